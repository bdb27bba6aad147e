"""Hypothesis throws junk at a scan: random front matter (YAML and TOML: random keys and
values, huge numbers, dates that are no dates, NULs, lists, nested maps, binary), random
bytes and random file names (not UTF-8 too), in a tree that also holds known valid files.

Whatever the junk: no exception escapes `run_scan` (which runs `scan_sources`), every
rejection can be printed and written as JSON, the known files are recorded as they are, and
a second scan of the same tree changes nothing. Each example starts from an empty database
(every row of the test's migrated database deleted), so a failure shrinks to the junk that
causes it. SQLite runs 120 examples, PostgreSQL 25.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomlkit
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from sync.scanning import run_scan
from tests.conftest import make_settings
from tests.helpers.tracking import db_snapshot, status

pytestmark = pytest.mark.faults

#: the valid files every tree holds: path -> bytes; and what the tracker must record
KNOWN = {
    "en/posts/known-one.md": "---\ntitle: Known One\ntranslationKey: hyp-known-one\n---\n\n"
    "The first known paragraph.\n\n## A heading\n\nAnother one.\n",
    "en/posts/known-two.md": '+++\ntitle = "Known Two"\ntranslationKey = "hyp-known-two"\n'
    "date = 2024-02-29\npriority = 3\n+++\n\nA TOML post.\n",
    "en/posts/known-three.html": "---\ntitle: Known Three\ntranslationKey: hyp-known-three\n"
    "---\n\n<p>An HTML post.</p>\n",
    "tr/posts/known-one.md": "---\ntitle: Bilinen Bir\ntranslationKey: hyp-known-one\n---\n\n"
    "Bilinen ilk paragraf.\n\n## Bir başlık\n\nBir tane daha.\n",
}
TITLES = {
    ("hyp-known-one", "en"): "Known One",
    ("hyp-known-two", "en"): "Known Two",
    ("hyp-known-three", "en"): "Known Three",
    ("hyp-known-one", "tr"): "Bilinen Bir",
}
KNOWN_KEYS = sorted({k for k, _ in TITLES})
FRONT_KEYS = [
    "title",
    "date",
    "due",
    "priority",
    "draft",
    "headless",
    "translationKey",
    "translationkey",
    "source_lang",
    "source_hash",
    "untranslated",
    "description",
    "summary",
    "linkTitle",
    "tags",
    "lang",
]
FOLDERS = [
    "en/posts",
    "tr/posts",
    "ru",
    "en",
    "",
    "xx/posts",
    "en/posts/deep/er",
    "en/posts/.hidden",
    "tr/posts/bundle",
]
EXTENSIONS = [
    b".md",
    b".markdown",
    b".mdown",
    b".html",
    b".htm",
    b".txt",
    b"",
    b".MD",
    b".tr.md",
    b".ru.md",
    b".de.md",
]

# -- values -------------------------------------------------------------------------------

WEIRD_SCALARS = [
    "2024-02-30",
    "2019-29-11",
    "2024-13-01T25:61:00Z",
    "0000-00-00",
    ".inf",
    "-.inf",
    ".nan",
    "1e400",
    "-0",
    "0x1F",
    "0o17",
    "99999999999999999999999999",
    "~",
    "null",
    "yes",
    "no",
    "on",
    "!!binary AP8=",
    "!!timestamp 2024-02-30",
    "!!int 12345678901234567890",
    "!!float nan",
    "!!str",
    "!!set {a, b}",
    "!!python/object:os.system",
    '"\\0"',
    '"\\x00\\x01"',
    '"\\uD800"',
    "'\\0'",
    "&anchor x",
    "*anchor",
    "|",
    ">-",
    "[1, [2, [3, [4]]]]",
    "{a: {b: {c: d}}}",
    "[",
    "{",
    '"unterminated',
    "- a\n- b",
    "@reserved",
    "`tick",
    "%TAG",
]
TOML_SCALARS = [
    "2024-02-30",
    "2019-29-11",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "inf",
    "-inf",
    "nan",
    "99999999999999999999",
    "-9223372036854775809",
    "0x7FFFFFFFFFFFFFFFF",
    '"\\u0000"',
    '"\\uD800"',
    "'\\0'",
    '"""multi\nline"""',
    '[1, "a", [2]]',
    "{ a = { b = 1 } }",
    "[",
    "true",
    "tru",
    "",
    '"unterminated',
]
huge_ints = st.integers(min_value=-(10**40), max_value=10**40) | st.sampled_from(
    [2**63, -(2**63) - 1, 10**25, 10**6 + 1, -(10**6) - 1]
)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.sampled_from(
    ["a\x00b", "\x00", "\ufeff", "İı", "\u0301", "\r\n", "---", "+++", "{{< x >}}", "<script>"]
)
dates = st.dates() | st.datetimes(timezones=st.none() | st.just(dt.UTC))
scalars = (
    st.none()
    | st.booleans()
    | huge_ints
    | st.floats()
    | texts
    | dates
    | st.binary(max_size=16)
    | st.sampled_from(WEIRD_SCALARS)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
front_maps = st.dictionaries(st.sampled_from(FRONT_KEYS) | texts, values, max_size=8)


def yaml_text(data: dict[Any, Any]) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except Exception:  # noqa: BLE001 - what PyYAML cannot write, write as repr lines
        return "".join(f"{k!r}: {v!r}\n" for k, v in data.items())


def toml_safe(value: Any) -> Any:
    """What tomlkit can write: None dropped, bytes as text, keys as text."""
    if isinstance(value, dict):
        return {str(k): toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [toml_safe(v) for v in value if v is not None]
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value


def toml_text(data: dict[Any, Any]) -> str:
    try:
        return tomlkit.dumps(toml_safe(data))
    except Exception:  # noqa: BLE001 - what tomlkit cannot write, write as raw lines
        return "".join(f"{k} = {v!r}\n" for k, v in data.items())


bodies = st.text(max_size=200) | st.sampled_from(
    ["", "Body.\n", "A\x00NUL.\n", "{{< figure src=x >}}\n", "<p>unclosed", "---\n---\n"]
)
raw_lines = st.lists(
    st.tuples(st.sampled_from(FRONT_KEYS) | texts, st.sampled_from(WEIRD_SCALARS) | texts),
    max_size=6,
)
toml_lines = st.lists(
    st.tuples(st.sampled_from(FRONT_KEYS), st.sampled_from(TOML_SCALARS)), max_size=6
)


@st.composite
def junk_content(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["yaml", "toml", "yaml_raw", "toml_raw", "bytes", "mutant"]))
    body = draw(bodies)
    if kind == "yaml":
        text = "---\n" + yaml_text(draw(front_maps)) + "---\n\n" + body
    elif kind == "toml":
        text = "+++\n" + toml_text(draw(front_maps)) + "+++\n\n" + body
    elif kind == "yaml_raw":
        text = "---\n" + "".join(f"{k}: {v}\n" for k, v in draw(raw_lines)) + "---\n" + body
    elif kind == "toml_raw":
        text = "+++\n" + "".join(f"{k} = {v}\n" for k, v in draw(toml_lines)) + "+++\n" + body
    elif kind == "bytes":
        return draw(st.binary(max_size=300))
    else:  # a known file with a junk key, its bytes then damaged
        data = bytearray(
            KNOWN[draw(st.sampled_from(sorted(KNOWN)))].replace("hyp-known", "mutant").encode()
        )
        for _ in range(draw(st.integers(1, 6))):
            at = draw(st.integers(0, len(data)))
            data[at : at + draw(st.integers(0, 3))] = draw(st.binary(min_size=0, max_size=4))
        return bytes(data)
    return text.encode("utf-8", "surrogatepass")


names = st.tuples(
    st.one_of(
        st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_characters="/"),
            min_size=1,
            max_size=12,
        ),
        st.text("abcdefghijklmnopqrstuvwxyz-_.", min_size=1, max_size=12),
        st.text(min_size=1, max_size=12).filter(lambda t: "/" not in t and "\x00" not in t),
    ).map(lambda t: t.encode("utf-8"))
    | st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b),
    st.sampled_from(EXTENSIONS),
).map(lambda p: p[0] + p[1])
junk_files = st.lists(st.tuples(st.sampled_from(FOLDERS), names, junk_content()), max_size=6)


# -- the tree and the database ----------------------------------------------------------------


def write_tree(root: Path, junk: list[tuple[str, bytes, bytes]]) -> None:
    for rel, text in KNOWN.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    for folder, name, data in junk:
        parent = os.fsencode(root / folder) if folder else os.fsencode(root)
        path = parent + b"/" + name
        rel = os.fsdecode(path)[len(str(root)) + 1 :]
        if rel in KNOWN or name in (b".", b".."):
            continue
        os.makedirs(parent, exist_ok=True)
        try:
            with open(path, "wb") as f:
                f.write(data)
        except (IsADirectoryError, NotADirectoryError, FileExistsError):
            continue  # the name is a folder this tree already has


def touches_known(junk: list[tuple[str, bytes, bytes]]) -> bool:
    """Junk that names a known post (its key in the bytes or the name) would be a legitimate
    duplicate of it, which the scan rightly rejects together with the known file."""
    blobs = [data for _, _, data in junk] + [name for _, name, _ in junk]
    return any(
        key.encode() in blob or key[4:].encode() in blob for key in KNOWN_KEYS for blob in blobs
    )


def check_scan(url: str, root: Path, junk: list[tuple[str, bytes, bytes]]) -> None:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    write_tree(root, junk)
    settings_ = make_settings(url)
    report = run_scan(settings_, [str(root)])  # no exception may escape
    assert report is not None
    event(f"{report.new_posts - len(KNOWN_KEYS)} junk posts recorded")
    # every rejection prints (UTF-8, the path escaped) and serializes
    for problem in report.problems:
        assert problem.origin and problem.reason
        str(problem).encode("utf-8")
        event("rejected: " + " ".join(problem.reason.split("'")[0].split()[:4]))
    json.dumps(report.as_dict(), ensure_ascii=False).encode("utf-8")
    assert not [
        p for p in report.problems if p.origin in KNOWN or p.origin.endswith("known-one.md")
    ], report.problems
    # the known files are recorded as they are
    doc = status(settings_)
    by_key = {p["key"]: p for p in doc["posts"]}
    for (key, lang), title in TITLES.items():
        assert key in by_key, (key, [p.origin for p in report.problems])
        version = by_key[key]["versions"][lang]
        assert version["state"] in ("source", "current"), (key, lang, version)
        assert version.get("revision") == 1, (key, lang, version)
        if lang == "en":
            assert by_key[key]["title"] == title
    # and a second scan of the same tree changes nothing
    before = db_snapshot(settings_)
    again = run_scan(settings_, [str(root)])
    assert again is not None and again.new_revisions == 0 and again.deleted == 0
    assert db_snapshot(settings_) == before


# -- the tests ----------------------------------------------------------------------------------


def emptied(url: str) -> str:
    """The database with every row deleted (the schema kept): each example starts empty,
    and reuses the engine and its compiled statements."""
    from sync.db.models import Base
    from sync.db.session import transaction

    with transaction(url) as s:
        for table in reversed(Base.metadata.sorted_tables):
            s.execute(table.delete())
    return url


HYPOTHESIS = dict(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@settings(max_examples=120, **HYPOTHESIS)
@given(junk=junk_files)
def test_junk_never_escapes_a_scan_sqlite(
    sqlite_url: str, tmp_path: Path, junk: list[tuple[str, bytes, bytes]]
) -> None:
    assume(not touches_known(junk))
    check_scan(emptied(sqlite_url), tmp_path / "tree", junk)


@settings(max_examples=25, **HYPOTHESIS)
@given(junk=junk_files)
def test_junk_never_escapes_a_scan_postgresql(
    pg_url: str, tmp_path: Path, junk: list[tuple[str, bytes, bytes]]
) -> None:
    assume(not touches_known(junk))
    check_scan(emptied(pg_url), tmp_path / "tree", junk)
