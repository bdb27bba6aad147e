"""The streaming catalog writer: the order claim it rests on, and the same bytes as
render_po / render_mo of the whole catalog."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.catalog import (
    CatalogEntry,
    CatalogStream,
    build_catalog,
    count_entries,
    render_mo,
    render_po,
)
from sync.export import context_order

# Characters that make byte order tricky: ones below and above U+0004 and "-" (so "a" vs
# "a-b" vs "a\x01"), two-, three- and four-byte UTF-8, upper and lower case.
TRICKY = [
    "a",
    "b",
    "-",
    "/",
    " ",
    "~",
    "Z",
    "\x01",
    "\x03",
    "\x05",
    "\x7f",
    "é",
    "É",
    "ß",
    "\u00ff",
    "\u0100",
    "\u20ac",
    "\uffff",
    "\U0001f600",
]
keys = st.text(alphabet=st.sampled_from(TRICKY), min_size=1, max_size=5)
msgids = st.text(alphabet=st.sampled_from(TRICKY + ["\n", '"', "\\"]), min_size=1, max_size=6)
WHEN = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)


@given(
    st.dictionaries(
        keys, st.lists(msgids, min_size=1, max_size=5, unique=True), min_size=1, max_size=12
    )
)
def test_posts_in_context_order_give_mo_keys_sorted(posts: dict[str, list[str]]) -> None:
    """Posts visited in byte order of key + U+0004, each post's msgids in byte order: the
    MO keys (key + U+0004 + msgid) arrive sorted, so they can be streamed."""
    stream = [
        (key + "\x04" + msgid).encode()
        for key in sorted(posts, key=context_order)
        for msgid in sorted(posts[key], key=str.encode)
    ]
    assert stream == sorted(stream)


def test_plain_key_order_is_not_enough() -> None:
    """Why the order is key + U+0004, not the key: a key continuing with a byte below 4."""
    assert sorted(["a", "a\x01"], key=str.encode) == ["a", "a\x01"]
    assert sorted(["a", "a\x01"], key=context_order) == ["a\x01", "a"]
    assert sorted(["a-b", "a", "é", "z", "Z"], key=context_order) == ["Z", "a", "a-b", "z", "é"]


entry_strategy = st.builds(
    lambda msgid, msgstr, fuzzy, previous, comment, occurrence: (
        msgid,
        msgstr,
        fuzzy,
        previous,
        comment,
        occurrence,
    ),
    msgids,
    st.one_of(st.just(""), msgids),
    st.booleans(),
    st.one_of(st.none(), msgids),
    st.sampled_from(["", "state: stale", "a\nb"]),
    st.sampled_from(["", "en/posts/a.md", "my post.md"]),
)


def groups_of(posts: dict[str, list[tuple]]) -> list[list[CatalogEntry]]:
    return [
        [
            CatalogEntry(
                key=key,
                msgid=msgid,
                msgstr=msgstr,
                fuzzy=fuzzy,
                previous_msgid=prev,
                comments=(comment,) if comment else (),
                occurrences=(occ,) if occ else (),
            )
            for msgid, msgstr, fuzzy, prev, comment, occ in items
        ]
        for key, items in sorted(posts.items(), key=lambda kv: context_order(kv[0]))
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys, st.lists(entry_strategy, min_size=1, max_size=6), max_size=8))
def test_stream_writes_the_bytes_of_render_po_and_render_mo(posts: dict[str, list[tuple]]) -> None:
    groups = groups_of(posts)  # repeated msgids within a post included: merged
    catalog = build_catalog("ru", [e for g in groups for e in g], revision_date=WHEN, version="1.2")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ru" / "LC_MESSAGES"
        with CatalogStream("ru", out / "posts.po", out / "posts.mo", version="1.2") as stream:
            for group in groups:
                stream.add_group(group)
            assert stream.finish(WHEN) == count_entries(catalog)
            assert stream.commit()
        assert (out / "posts.po").read_bytes() == render_po(catalog)
        assert (out / "posts.mo").read_bytes() == render_mo(catalog)
        assert sorted(p.name for p in out.iterdir()) == ["posts.mo", "posts.po"]


def stream_of(tmp_path: Path, groups: list[list[CatalogEntry]], **kw: object) -> CatalogStream:
    stream = CatalogStream("tr", tmp_path / "posts.po", tmp_path / "posts.mo", version="1", **kw)  # type: ignore[arg-type]
    for group in groups:
        stream.add_group(group)
    return stream


def test_unchanged_files_are_left_alone_and_check_compares(tmp_path: Path) -> None:
    groups = [
        [CatalogEntry(key="a", msgid="x", msgstr="y")],
        [CatalogEntry(key="b", msgid="x", msgstr="")],
    ]
    with stream_of(tmp_path, groups) as stream:
        stream.finish(WHEN)
        assert stream.commit()
    before = (tmp_path / "posts.po").stat().st_mtime_ns
    with stream_of(tmp_path, groups) as stream:
        stream.finish(WHEN)
        assert not stream.commit()
    assert (tmp_path / "posts.po").stat().st_mtime_ns == before
    elsewhere = tmp_path / "check"
    with stream_of(tmp_path, groups, temp_dir=elsewhere) as stream:
        stream.finish(WHEN)
        assert stream.matches()
    with stream_of(tmp_path, groups[:1], temp_dir=elsewhere) as stream:
        stream.finish(WHEN)
        assert not stream.matches()
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["check", "posts.mo", "posts.po"]


def test_groups_out_of_order_or_repeated_are_refused(tmp_path: Path) -> None:
    with stream_of(tmp_path, [[CatalogEntry(key="b", msgid="x")]]) as stream:
        with pytest.raises(ValueError, match="byte order"):
            stream.add_group([CatalogEntry(key="a", msgid="x")])
        with pytest.raises(ValueError, match="byte order"):
            stream.add_group([CatalogEntry(key="b", msgid="y")])
        with pytest.raises(ValueError, match="one msgctxt"):
            stream.add_group([CatalogEntry(key="c", msgid="x"), CatalogEntry(key="d", msgid="x")])
    assert list(tmp_path.iterdir()) == []  # every temporary file removed


def test_a_failure_leaves_no_temporary_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), stream_of(tmp_path, []) as stream:
        stream.add_group([CatalogEntry(key="a", msgid="x", msgstr="y")])
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
