"""Exports as WordPress really writes them: UTF-8 text under a single-byte declaration
(wxr_cdata() converts every CDATA section to UTF-8, whatever blog_charset says), blank
lines before the XML declaration (a plugin's), and control characters pasted into a post
(WordPress exports them as they are; XML does not allow them)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sync.i18n import Text
from sync.sources.base import Document, Problem
from sync.sources.wxr import read_wxr
from sync.sources.wxr.prolog import declaration_first, declared_encoding, single_byte
from sync.sources.wxr.schema import CHUNK
from tests.unit.test_wxr_limits import in_item

WXR = Path(__file__).resolve().parents[1] / "data" / "wxr"
POLYLANG = (WXR / "polylang.xml").read_text(encoding="utf-8")
EXPECTED = [
    ("pll_65e1a3c2b7d4e", "en", "12"),
    ("pll_65e1a3c2b7d4e", "tr", "14"),
    ("pll_65e1a3c2b7d4e", "ru", "15"),
    ("pll_65e1a3c2b9e1f", "en", "20"),
    ("pll_65e1a3c2b9e1f", "tr", "21"),
    ("wp-30", "en", "30"),
]
HEAD = (
    '<?xml version="1.0" encoding="%s" ?>\n'
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n<title>%s</title>\n'
)
TITLE = "Enerji güvenliği"
BODY = "<p>Çanakkale’de boru hattı — café.</p>"


def item(post_id: int, title: str = TITLE, body: str = BODY) -> str:
    return (
        "<item>\n"
        f"<title><![CDATA[{title}]]></title>\n"
        f"<link>https://example.org/p{post_id}/</link>\n"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>\n"
        f"<wp:post_id>{post_id}</wp:post_id>\n"
        "<wp:status><![CDATA[publish]]></wp:status>\n"
        "<wp:post_type><![CDATA[post]]></wp:post_type>\n"
        '<category domain="language" nicename="tr"><![CDATA[Türkçe]]></category>\n'
        "</item>\n"
    )


def export(*items: str, encoding: str = "UTF-8", channel: str = "Site") -> str:
    return HEAD % (encoding, channel) + "".join(items) + "</channel>\n</rss>\n"


def read(path: Path) -> list[Document | Problem]:
    return list(read_wxr(path, source=f"wxr:{path}", languages=("en", "tr", "ru")))


def documents(found: list[Document | Problem]) -> list[Document]:
    return [f for f in found if isinstance(f, Document)]


def problems(found: list[Document | Problem]) -> list[Problem]:
    return [f for f in found if isinstance(f, Problem)]


def fatal(found: list[Document | Problem]) -> Problem:
    last = found[-1]
    assert isinstance(last, Problem) and last.fatal and last.key is None, found
    assert [p for p in problems(found) if p.fatal] == [last]
    return last


def write_bytes(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "export.xml"
    path.write_bytes(data)
    return path


def item_line(text: str, post_id: int) -> int:
    return text.count("\n", 0, text.rindex("<item>", 0, text.index(f"<wp:post_id>{post_id}<"))) + 1


# -- the declared charset, and what WordPress really wrote ------------------------------------


@pytest.mark.parametrize(
    "encoding",
    [
        "ISO-8859-1",
        "iso-8859-1",
        "latin1",
        "ISO-8859-15",
        "windows-1252",
        "windows-1254",
        "US-ASCII",
    ],
)
def test_utf8_text_under_a_single_byte_declaration_is_read_as_utf8(
    tmp_path: Path, encoding: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_bytes(tmp_path, export(item(14), encoding=encoding).encode("utf-8"))
    with caplog.at_level(logging.WARNING, logger="sync.sources.wxr"):
        found = read(path)
    assert problems(found) == []
    [doc] = documents(found)
    assert doc.title == TITLE and doc.body == BODY
    assert f"declared encoding {encoding}, but its text is UTF-8" in caplog.text


def test_the_same_text_whatever_single_byte_charset_is_declared(tmp_path: Path) -> None:
    utf8 = documents(read(write_bytes(tmp_path, POLYLANG.encode("utf-8"))))
    latin1 = POLYLANG.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)
    assert latin1 != POLYLANG
    found = read(write_bytes(tmp_path, latin1.encode("utf-8")))
    assert problems(found) == []
    assert [(d.key, d.lang, d.external_id) for d in documents(found)] == EXPECTED
    assert [(d.title, d.body, d.raw_hash) for d in documents(found)] == [
        (d.title, d.body, d.raw_hash) for d in utf8
    ]


def test_a_character_across_two_chunks_is_read_whole(tmp_path: Path) -> None:
    start = export(item(1, body="<p>"), encoding="ISO-8859-1").encode().index(b"<p>") + 3
    pad = "a" * (CHUNK - 1 - start)  # 'ü' (2 bytes) starts at the chunk's last byte
    body = f"<p>{pad}ü ğ</p>"
    data = export(item(1, body=body), encoding="ISO-8859-1").encode("utf-8")
    assert data[CHUNK - 1 : CHUNK + 1] == "ü".encode()
    [doc] = documents(read(write_bytes(tmp_path, data)))
    assert doc.body == body


@pytest.mark.parametrize(
    ("encoding", "codec", "title"),
    [
        ("windows-1252", "cp1252", "Café — naïve"),
        ("ISO-8859-1", "latin-1", "Café naïve"),
        ("ISO-8859-9", "iso8859-9", "Enerji güvenliği"),
    ],
)
def test_a_file_really_in_its_single_byte_charset_is_read_in_it(
    tmp_path: Path, encoding: str, codec: str, title: str, caplog: pytest.LogCaptureFixture
) -> None:
    data = export(item(14, title=title, body=f"<p>{title}</p>"), encoding=encoding).encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    with caplog.at_level(logging.WARNING, logger="sync.sources.wxr"):
        found = read(write_bytes(tmp_path, data))
    assert problems(found) == []
    [doc] = documents(found)
    assert doc.title == title and doc.body == f"<p>{title}</p>"
    assert "read as UTF-8" not in caplog.text


def test_the_whole_file_decides_not_its_first_chunk(tmp_path: Path) -> None:
    """Bytes that read as UTF-8 at the start (C3 BC), one that does not (E9) past the first
    chunk: the file is Latin-1 throughout, as declared."""
    first = item(1, title="Ã¼ber", body="<p>" + "a" * (CHUNK * 2) + "</p>")
    text = export(first, item(2, title="café", body="<p>é</p>"), encoding="ISO-8859-1")
    text = text.replace("Türkçe", "Turkish")
    data = text.encode("latin-1")
    assert data.index(b"\xe9") > CHUNK and data[: data.index(b"\xe9")].decode("utf-8")
    found = read(write_bytes(tmp_path, data))
    assert problems(found) == []
    assert [d.title for d in documents(found)] == ["Ã¼ber", "café"]


def test_an_ascii_file_is_read_as_declared(tmp_path: Path) -> None:
    path = write_bytes(tmp_path, export(item(3, title="Plain"), encoding="ISO-8859-1").encode())
    [doc] = documents(read(path))
    assert doc.title == "Plain"


def test_which_charsets_are_single_byte() -> None:
    for name in ("ISO-8859-1", "latin1", "l1", "ISO_8859-2", "windows-1250", "cp1258", "ascii"):
        assert single_byte(name), name
    for name in ("UTF-8", "utf-16", "Shift_JIS", "koi8-r", "no-such-charset", None, ""):
        assert not single_byte(name), name
    assert declared_encoding(b"<?xml version=\"1.0\" encoding='latin1'?><rss/>") == "latin1"
    assert declared_encoding(b"\xef\xbb\xbf<?xml version='1.0' encoding=\"l1\" ?>") == "l1"
    assert declared_encoding(b'<?xml version="1.0"?><rss encoding="x"/>') is None
    assert declared_encoding(b"<rss/>") is None


# -- blank lines before the XML declaration ------------------------------------------------------


@pytest.mark.parametrize("blank", ["\n\n", "\r\n\r\n", " \t\n", "\ufeff\n\n"])
def test_blank_lines_before_the_declaration_are_skipped(tmp_path: Path, blank: str) -> None:
    text = blank + POLYLANG
    found = read(write_bytes(tmp_path, text.encode("utf-8")))
    assert problems(found) == []
    assert [(d.key, d.lang, d.external_id) for d in documents(found)] == EXPECTED
    assert documents(found)[1].title == "İstanbul’da Bir Gün"


def test_lines_are_the_files_after_blank_lines(tmp_path: Path) -> None:
    at = POLYLANG.index("<wp:post_id>14</wp:post_id>")
    start, end = POLYLANG.rindex("<item>", 0, at), POLYLANG.index("</item>", at)
    block = POLYLANG[start:end].replace('nicename="pll_65e1a3c2b7d4e"', 'nicename="../x"')
    text = "\n\n\n" + POLYLANG[:start] + block + POLYLANG[end:]
    [problem] = problems(read(write_bytes(tmp_path, text.encode("utf-8"))))
    assert "post key '../x'" in problem.reason
    assert problem.line == item_line(text, 14)


def test_declaration_first_moves_only_whitespace_before_a_declaration() -> None:
    decl = b'<?xml version="1.0" encoding="UTF-8" ?>'
    assert declaration_first(b"\n\n" + decl + b"\n<rss/>") == decl + b"\n\n\n<rss/>"
    assert declaration_first(b"\xef\xbb\xbf \n" + decl) == b"\xef\xbb\xbf" + decl + b" \n"
    for same in (decl + b"\n<rss/>", b"\n\n<rss/>", b"\n\n<?xml-stylesheet x?>", b"\n<?xml "):
        assert declaration_first(same) == same


# -- control characters in a post ----------------------------------------------------------------


def position(text: str, char: str) -> tuple[int, int]:
    at = text.index(char)
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def assert_no_item_data(reason: str, *data: str) -> None:
    assert isinstance(reason, Text)
    texts = [reason] + [p for p in reason.params.values() if isinstance(p, Text)]
    for text in texts:
        for value in data:
            assert value not in text.msgid, (value, text.msgid)


@pytest.mark.parametrize("char", ["\x01", "\x08", "\x0b", "\x0c", "\x1f"])
def test_a_control_character_in_a_post_names_the_post_field_and_character(
    tmp_path: Path, char: str
) -> None:
    text = in_item(POLYLANG, 14, "<p>", f"<p>Pasted from Word:{char}")
    found = read(write_bytes(tmp_path, text.encode("utf-8")))
    problem = fatal(found)
    line, column = position(text, char)
    code = f"U+{ord(char):04X}"
    assert problem.line == line and problem.origin.endswith("export.xml")
    reason = problem.reason
    assert reason.startswith("malformed WXR: ")
    assert f"(line {line}, column {column})" in reason
    assert f"the control character {code} in <content:encoded> of the post " in reason
    assert (
        f"https://example.org/tr/istanbulda-bir-gun/ (item 3, line {item_line(text, 14)})" in reason
    )
    assert "remove the character from that post in WordPress and export again" in reason
    assert "delete it from the file and scan again" in reason
    assert "truncated" not in reason
    assert_no_item_data(reason, code, "istanbulda", "content:encoded", str(line))
    assert not any(isinstance(f, Document) and char in f.body for f in found)


def test_a_control_character_after_the_post_id_names_it(tmp_path: Path) -> None:
    text = in_item(
        POLYLANG,
        14,
        "<wp:post_name><![CDATA[istanbulda-bir-gun]]>",
        "<wp:post_name><![CDATA[istanbulda\x02bir-gun]]>",
    )
    reason = fatal(read(write_bytes(tmp_path, text.encode("utf-8")))).reason
    assert "U+0002 in <wp:post_name> of the post https://example.org/tr/istanbulda-bir-gun/ " in (
        reason
    )
    assert "(wp:post_id 14; item 3, line" in reason


def test_a_control_character_in_the_link_is_not_the_posts_name(tmp_path: Path) -> None:
    body = item(7).replace("<link>https://example.org/p7/", "<link>https://example.org/p\x037/")
    reason = fatal(read(write_bytes(tmp_path, export(body).encode()))).reason
    assert "U+0003 in <link> of item 1 (line 5)" in reason


def test_a_control_character_outside_a_post(tmp_path: Path) -> None:
    text = export(item(1), channel="My\x07 site")
    reason = fatal(read(write_bytes(tmp_path, text.encode()))).reason
    assert "the control character U+0007 in <title> is not allowed in XML" in reason
    assert "remove the character in WordPress and export again" in reason


def test_a_control_character_far_into_the_file(tmp_path: Path) -> None:
    text = in_item(POLYLANG, 12, "<p>", "<p>" + "x" * (3 * CHUNK))
    text = in_item(text, 15, "<p>", "<p>\x0e")
    reason = fatal(read(write_bytes(tmp_path, text.encode("utf-8")))).reason
    assert "U+000E in <content:encoded> of the post https://example.org/ru/" in reason


def test_a_control_character_in_a_latin1_file(tmp_path: Path) -> None:
    text = export(item(4, title="café", body="<p>naïve\x10</p>"), encoding="ISO-8859-1")
    reason = fatal(read(write_bytes(tmp_path, text.encode("latin-1")))).reason
    assert "U+0010 in <content:encoded> of the post https://example.org/p4/" in reason


def test_other_invalid_bytes_keep_the_general_message(tmp_path: Path) -> None:
    text = export(item(5))
    data = text.encode().replace(b"<p>", b"<p>\xff", 1)
    reason = fatal(read(write_bytes(tmp_path, data))).reason
    assert "control character" not in reason
    assert "the export is truncated or broken" in reason
