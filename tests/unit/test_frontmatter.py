"""Tests for sync.frontmatter: decoding, YAML/TOML/JSON front matter, dates, rendering."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
import yaml

from sync.errors import FrontMatterError, InputError
from sync.frontmatter import (
    FrontMatterLoader,
    json_safe,
    parse_date,
    parse_document,
    render_document,
    to_datetime,
)

BOM = b"\xef\xbb\xbf"

YAML_DOC = """\
---
title: "İstanbul'da bir gün"
date: 2024-03-01
lastmod: 2024-03-02T10:30:00+03:00
translationKey: istanbul-gunu
tags: [gezi, şehir]
---
İlk paragraf.
"""


def test_yaml_front_matter_body_and_start_line() -> None:
    meta, body, line = parse_document(YAML_DOC.encode(), origin="content/tr/gun.md")
    assert meta == {
        "title": "İstanbul'da bir gün",
        "date": "2024-03-01",  # dates stay as written; parse_date reads them
        "lastmod": "2024-03-02T10:30:00+03:00",
        "translationKey": "istanbul-gunu",
        "tags": ["gezi", "şehir"],
    }
    assert body == "İlk paragraf.\n"
    assert line == 8


def test_bom_is_removed_and_crlf_becomes_lf() -> None:
    raw = BOM + YAML_DOC.replace("\n", "\r\n").encode()
    meta, body, line = parse_document(raw, origin="a.md")
    assert meta["title"] == "İstanbul'da bir gün"
    assert body == "İlk paragraf.\n"
    assert line == 8


def test_no_front_matter() -> None:
    raw = "# Заголовок\n\nТекст.\n".encode()
    assert parse_document(raw, origin="a.md") == ({}, "# Заголовок\n\nТекст.\n", 1)
    assert parse_document(BOM + raw, origin="a.md") == ({}, "# Заголовок\n\nТекст.\n", 1)
    assert parse_document(b"", origin="a.md") == ({}, "", 1)


def test_empty_front_matter_is_an_empty_mapping() -> None:
    assert parse_document(b"---\n---\nMetin.\n", origin="a.md") == ({}, "Metin.\n", 3)


def test_toml_front_matter() -> None:
    raw = (
        '+++\ntitle = "Москва"\ndate = 2024-01-02T03:04:05Z\ndraft = false\n+++\n\nТекст.\n'
    ).encode()
    meta, body, line = parse_document(raw, origin="content/ru/moskva.md")
    assert meta == {
        "title": "Москва",
        "date": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "draft": False,
    }
    assert body == "\nТекст.\n"
    assert line == 6


JSON_DOC = """\
{
  "title": "Москва",
  "translationKey": "moskva",
  "draft": true,
  "weight": 3,
  "tags": ["şehir", "başkent"],
  "params": {"author": "Ada"}
}

Текст.
"""


def test_json_front_matter_is_read_like_yaml_and_toml() -> None:
    meta, body, line = parse_document(JSON_DOC.encode(), origin="content/ru/moskva.md")
    assert meta == {
        "title": "Москва",
        "translationKey": "moskva",
        "draft": True,
        "weight": 3,
        "tags": ["şehir", "başkent"],
        "params": {"author": "Ada"},
    }
    assert list(meta) == ["title", "translationKey", "draft", "weight", "tags", "params"]
    assert body == "\nТекст.\n"
    assert line == 9
    crlf = BOM + JSON_DOC.replace("\n", "\r\n").encode()
    assert parse_document(crlf, origin="a.md") == (meta, body, line)


def test_json_front_matter_without_a_body_or_with_text_after_the_brace() -> None:
    assert parse_document(b'{"title": "A"}', origin="a.md") == ({"title": "A"}, "", 2)
    assert parse_document(b'{"title": "A"}  \n', origin="a.md") == ({"title": "A"}, "", 2)
    assert parse_document(b"{}\nBody\n", origin="a.md") == ({}, "Body\n", 2)
    assert parse_document(b'{"a": 1} rest\nBody\n', origin="a.md") == (
        {"a": 1},
        " rest\nBody\n",
        1,
    )


def test_a_shortcode_opening_the_body_is_no_json_front_matter() -> None:
    raw = b'{{< figure src="a.png" >}}\n\nText.\n'
    assert parse_document(raw, origin="a.md") == ({}, raw.decode(), 1)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        (b'{\n  "title": "A",\n  "draft": yes\n}\nBody\n', 3),
        (b'{\n  "title": "A",\n}\nBody\n', 3),
        (b'{\n  "title": "A"\n\nBody\n', 4),
        (b"{ title: A }\nBody\n", 1),
        (b"{" + b'"a":[' * 100_000 + b"\n", 1),
    ],
)
def test_invalid_json_front_matter_names_the_file_line(raw: bytes, line: int) -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(raw, origin="d.md")
    assert info.value.path == "d.md"
    assert info.value.line == line
    assert "front matter is not valid JSON" in info.value.message


def test_invalid_toml_names_the_file_line() -> None:
    raw = b'+++\ntitle = "x"\ndraft = yes\n+++\nbody\n'
    with pytest.raises(FrontMatterError) as info:
        parse_document(raw, origin="b.md")
    assert info.value.path == "b.md"
    assert info.value.line == 3
    assert str(info.value).startswith("b.md:3: ")


def test_invalid_utf8_reports_byte_offset_and_line() -> None:
    raw = "---\ntitle: Şehir\n---\nBir satır\nİki".encode() + b"\xff\n"
    with pytest.raises(InputError) as info:
        parse_document(raw, origin="posts/bozuk.md")
    offset = raw.index(b"\xff")
    assert info.value.path == "posts/bozuk.md"
    assert info.value.line == 5
    assert info.value.message == (f"not valid UTF-8 (byte offset {offset}); save the file as UTF-8")
    assert not isinstance(info.value, FrontMatterError)


def test_invalid_utf8_offset_counts_the_bom() -> None:
    with pytest.raises(InputError) as info:
        parse_document(BOM + b"ok\n\xc3(", origin="a.md")
    assert "byte offset 6" in info.value.message
    assert info.value.line == 2


def test_invalid_yaml_line_is_the_file_line() -> None:
    raw = b"---\ntitle: Tamam\ntags: [a, b\ndate: 2024-01-01\n---\nbody\n"
    with pytest.raises(FrontMatterError) as info:
        parse_document(raw, origin="c.md")
    assert info.value.path == "c.md"
    assert info.value.line == 4
    assert "not valid YAML" in info.value.message


def test_bad_indentation_line_is_the_file_line() -> None:
    raw = b"---\ntitle: x\n  extra: y\n---\n"
    with pytest.raises(FrontMatterError) as info:
        parse_document(raw, origin="c.md")
    assert info.value.line == 3


def test_alias_bomb_is_refused_before_construction() -> None:
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    raw = ("---\n" + "\n".join(lines) + "\n---\nbody\n").encode()
    with pytest.raises(FrontMatterError) as info:
        parse_document(raw, origin="bomb.md")
    assert info.value.path == "bomb.md"
    assert info.value.line == 2
    assert "aliases" in info.value.message


def test_single_alias_and_lone_anchor_are_refused() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(b"---\nbase: x\ncopy: *base\n---\n", origin="d.md")
    assert info.value.line == 3
    assert "not allowed" in info.value.message
    with pytest.raises(FrontMatterError):
        parse_document(b"---\ntitle: &t Merhaba\n---\n", origin="d.md")


def test_loader_itself_refuses_aliases() -> None:
    with pytest.raises(yaml.YAMLError):
        yaml.load("a: &x 1\nb: *x\n", Loader=FrontMatterLoader)  # noqa: S506
    assert yaml.load("a: 1\n", Loader=FrontMatterLoader) == {"a": 1}  # noqa: S506


def test_unsafe_tags_are_refused() -> None:
    with pytest.raises(FrontMatterError):
        parse_document(b"---\nx: !!python/object/apply:os.system [ls]\n---\n", origin="e.md")


def test_front_matter_must_be_a_mapping() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(b"---\n- a\n- b\n---\nbody\n", origin="f.md")
    assert "mapping" in info.value.message


def test_unclosed_front_matter() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(b"---\ntitle: x\nbody\n", origin="g.md")
    assert info.value.line == 1
    assert "never closed" in info.value.message


def test_render_document_round_trips() -> None:
    meta = {"title": "Ön söz: «Москва»", "date": date(2024, 1, 2), "tags": ["a", "b"]}
    text = render_document(meta, "Metin.")
    assert text == (
        "---\ntitle: 'Ön söz: «Москва»'\ndate: 2024-01-02\ntags:\n- a\n- b\n---\nMetin.\n"
    )
    assert parse_document(text.encode(), origin="r.md") == (
        {**meta, "date": "2024-01-02"},
        "Metin.\n",
        8,
    )


def test_dates_stay_strings_and_parse_date_reads_them() -> None:
    """A YAML date is the text its author wrote; an impossible one is a value the scan
    rejects with its line, never an exception from inside the YAML library."""
    meta, _, _ = parse_document(
        b"---\ndate: 2024-02-30\nlastmod: 2019-29-11\n---\nx\n", origin="d.md"
    )
    assert meta == {"date": "2024-02-30", "lastmod": "2019-29-11"}
    with pytest.raises(ValueError, match="'2024-02-30' is not a date"):
        parse_date(meta["date"])
    assert parse_date("2024-03-02T10:30:00+03:00") == datetime(2024, 3, 2, 7, 30, tzinfo=UTC)
    assert parse_date(date(2024, 1, 2)) == datetime(2024, 1, 2, tzinfo=UTC)
    assert parse_date("Tue, 05 Mar 2019 10:00:00 +0000") == datetime(2019, 3, 5, 10, tzinfo=UTC)
    assert parse_date(None) is None and parse_date(" ") is None
    with pytest.raises(ValueError):
        parse_date(12)


def test_explicit_timestamp_that_is_no_date_is_a_front_matter_error() -> None:
    with pytest.raises(FrontMatterError) as info:
        parse_document(b"---\ntitle: x\ndate: !!timestamp 2024-02-30\n---\n", origin="t.md")
    assert info.value.path == "t.md" and "cannot be read" in info.value.message


def test_json_safe_takes_what_yaml_can_build() -> None:
    """Sets, bytes, infinities and odd keys become JSON every database column accepts."""
    import json

    meta, _, _ = parse_document(
        b"---\nw: .inf\ns: !!set {b: null, a: null}\nbin: !!binary aGk=\n1: one\n"
        b"~: none\nfalse: no\n---\n",
        origin="j.md",
    )
    safe = json_safe(meta)
    assert safe == {
        "w": "inf",
        "s": ["a", "b"],
        "bin": "aGk=",
        "1": "one",
        "null": "none",
        "false": False,
    }
    json.dumps(safe, allow_nan=False)


def test_render_document_empty_front_matter_and_body() -> None:
    assert render_document({}, "") == "---\n---\n"
    assert parse_document(render_document({}, "x\n").encode(), origin="r.md") == ({}, "x\n", 3)


def test_to_datetime() -> None:
    utc_noon = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert to_datetime(datetime(2024, 3, 1, 12)) == utc_noon
    assert to_datetime(datetime(2024, 3, 1, 15, tzinfo=timezone(timedelta(hours=3)))) == utc_noon
    assert to_datetime(date(2024, 3, 1)) == datetime(2024, 3, 1, tzinfo=UTC)
    assert to_datetime("2024-03-01T12:00:00Z") == utc_noon
    assert to_datetime("2024-03-01 15:00:00+03:00") == utc_noon
    assert to_datetime("2024-03-01") == datetime(2024, 3, 1, tzinfo=UTC)
    assert to_datetime("2024-03-01T15:00:00+03:00").tzinfo is UTC
    assert to_datetime("dün") is None
    assert to_datetime(None) is None
    assert to_datetime(20240301) is None


def test_json_safe_converts_dates_recursively() -> None:
    meta = {
        "date": date(2024, 3, 1),
        "nested": {"at": datetime(2024, 3, 1, 12, tzinfo=UTC), "list": [time(9, 30), 1]},
        date(2024, 1, 1): "date key",
        "title": "Başlık",
    }
    assert json_safe(meta) == {
        "date": "2024-03-01",
        "nested": {"at": "2024-03-01T12:00:00+00:00", "list": ["09:30:00", 1]},
        "2024-01-01": "date key",
        "title": "Başlık",
    }
    assert meta["date"] == date(2024, 3, 1)
