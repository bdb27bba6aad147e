"""Bounds of the WXR reader: namespaces, sizes, entities, faults, and peak memory per file
shape (the slow test at the end)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sync.htmlsegments import analyze_html
from sync.sources.base import Document, Problem
from sync.sources.wxr import WP_NAMESPACES, read_wxr
from sync.sources.wxr import items as wxr_items
from sync.sources.wxr import reader as wxr_reader
from sync.sources.wxr import records as wxr_records

ROOT = Path(__file__).resolve().parents[2]
WXR = ROOT / "tests" / "data" / "wxr"
LANGS = ("en", "tr", "ru")
ISTANBUL = "pll_65e1a3c2b7d4e"
#: Over libxml2's 10,000,000-byte text node limit, which drops such a node silently.
ELEVEN_MB = 11_000_000
POLYLANG = (WXR / "polylang.xml").read_text(encoding="utf-8")
EXPECTED = [  # (key, lang, post id) of polylang.xml
    (ISTANBUL, "en", "12"),
    (ISTANBUL, "tr", "14"),
    (ISTANBUL, "ru", "15"),
    ("pll_65e1a3c2b9e1f", "en", "20"),
    ("pll_65e1a3c2b9e1f", "tr", "21"),
    ("wp-30", "en", "30"),
]


def read(path: Path, **options: object) -> list[Document | Problem]:
    options.setdefault("languages", LANGS)
    return list(read_wxr(path, source=f"wxr:{path}", **options))  # type: ignore[arg-type]


def documents(found: list[Document | Problem]) -> list[Document]:
    return [f for f in found if isinstance(f, Document)]


def problems(found: list[Document | Problem]) -> list[Problem]:
    return [f for f in found if isinstance(f, Problem)]


def summary(found: list[Document | Problem]) -> list[tuple[str, str, str | None]]:
    return [(d.key, d.lang, d.external_id) for d in documents(found)]


def fatal(found: list[Document | Problem]) -> Problem:
    """The one fatal problem a file gave, last."""
    last = found[-1]
    assert isinstance(last, Problem) and last.fatal and last.key is None, found
    assert [p for p in problems(found) if p.fatal] == [last]
    return last


def write(tmp_path: Path, text: str, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def in_item(text: str, post_id: int, old: str, new: str) -> str:
    """The export with ``old`` replaced by ``new`` inside one item only."""
    at = text.index(f"<wp:post_id>{post_id}</wp:post_id>")
    start = text.rindex("<item>", 0, at)
    end = text.index("</item>", at)
    assert old in text[start:end], old
    return text[:start] + text[start:end].replace(old, new, 1) + text[end:]


def item_line(text: str, post_id: int) -> int:
    return text.count("\n", 0, text.rindex("<item>", 0, text.index(f"<wp:post_id>{post_id}<"))) + 1


def long_paragraph(size: int = ELEVEN_MB) -> str:
    """Distinct words, so a dropped or repeated piece shows: ``w0 w1 w2 …`` up to ``size``."""
    words: list[str] = []
    total = n = 0
    while total < size:
        word = f"w{n}"
        words.append(word)
        total += len(word) + 1
        n += 1
    return " ".join(words)


# -- namespaces ----------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", WP_NAMESPACES)
def test_every_wxr_namespace_is_read(tmp_path: Path, namespace: str) -> None:
    text = POLYLANG.replace("http://wordpress.org/export/1.2/", namespace)
    found = read(write(tmp_path, text))
    assert problems(found) == []
    assert summary(found) == EXPECTED


def test_a_wordpress_com_export_in_the_https_namespace() -> None:
    found = read(WXR / "wordpress-com.xml")
    assert problems(found) == []
    assert summary(found) == [(ISTANBUL, "en", "12"), (ISTANBUL, "tr", "14")]
    assert documents(found)[1].title == "İstanbul’da Bir Gün"


def test_an_rss_feed_is_not_an_export() -> None:
    path = WXR / "rss-feed.xml"
    found = read(path)
    problem = fatal(found)
    assert found == [problem]
    assert problem.origin == str(path)
    assert "no WXR namespace" in problem.reason
    assert "http://purl.org/dc/elements/1.1/" in problem.reason  # what was found
    assert all(ns in problem.reason for ns in WP_NAMESPACES)  # what is supported


def test_an_unknown_wxr_version_names_its_namespace(tmp_path: Path) -> None:
    text = POLYLANG.replace("http://wordpress.org/export/1.2/", "http://wordpress.org/export/1.3/")
    problem = fatal(read(write(tmp_path, text)))
    assert "http://wordpress.org/export/1.3/" in problem.reason
    assert "https://wordpress.org/export/1.2/" in problem.reason
    assert problem.line == item_line(text, 40)  # noticed at the first item


def test_an_rss_feed_without_items_is_not_an_export_either(tmp_path: Path) -> None:
    text = (WXR / "rss-feed.xml").read_text(encoding="utf-8")
    text = text[: text.index("\t<item>")] + "</channel>\n</rss>\n"
    assert "no WXR namespace" in fatal(read(write(tmp_path, text))).reason


@pytest.mark.parametrize(
    ("what", "text", "says"),
    [
        ("not XML", "Hello, this is a text file.\n", "malformed WXR"),
        ("empty", "", "malformed WXR"),
        (
            "Atom",
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"></feed>',
            "the root element is <feed>",
        ),
        (
            "no channel",
            '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"></rss>',
            "has no <channel>",
        ),
    ],
)
def test_a_file_that_is_no_export_is_fatal(tmp_path: Path, what: str, text: str, says: str) -> None:
    problem = fatal(read(write(tmp_path, text)))
    assert says in problem.reason, problem.reason


def test_items_that_are_all_skipped_are_not_silent(tmp_path: Path) -> None:
    text = POLYLANG
    for kind in ("post", "page"):
        text = text.replace(f"<wp:post_type><![CDATA[{kind}]]>", "<wp:post_type><![CDATA[x]]>")
    problem = fatal(read(write(tmp_path, text)))
    assert "none of the 9 items is a post transync tracks" in problem.reason
    assert "x items × 7" in problem.reason and "tracked types: page, post" in problem.reason


def test_items_all_in_untracked_languages_say_so(tmp_path: Path) -> None:
    """An export of a site in languages transync does not track: its posts were left out
    of what was found, and the message pointed at post types alone."""
    problem = fatal(read(write(tmp_path, POLYLANG), languages=("de", "fr")))
    assert "none of the 9 items is a post transync tracks" in problem.reason
    assert "posts in en × " in problem.reason and "posts in tr × " in problem.reason
    assert "pages in en × 1" in problem.reason, problem.reason
    assert "in de, fr" in problem.reason and "TRANSYNC_LANGUAGES" in problem.reason


def test_an_item_without_a_post_type_is_a_problem(tmp_path: Path) -> None:
    text = in_item(POLYLANG, 14, "<wp:post_type><![CDATA[post]]></wp:post_type>", "")
    found = read(write(tmp_path, text))
    [problem] = problems(found)
    assert problem.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert "no <wp:post_type>" in problem.reason
    assert len(documents(found)) == 5


# -- a rejected item is named by the origin its version has ----------------------------------


def test_identity_falls_back_from_a_broken_link_to_the_guid_then_the_post_id(
    tmp_path: Path,
) -> None:
    too_long = "https://example.org/" + "x" * 70_000
    text = in_item(
        POLYLANG,
        14,
        "<link>https://example.org/tr/istanbulda-bir-gun/</link>",
        f"<link>{too_long}</link>",
    )
    [problem] = problems(read(write(tmp_path, text)))
    assert problem.origin == "https://example.org/?p=14"  # the guid
    assert "<link>" in problem.reason and "70,020 bytes" in problem.reason
    assert problem.line == item_line(text, 14)
    text = in_item(text, 14, '<guid isPermaLink="false">https://example.org/?p=14</guid>', "")
    path = write(tmp_path, text)
    [problem] = problems(read(path))
    assert problem.origin == f"{path}#item 14"
    assert "(wp:post_id 14)" in problem.reason


def test_an_item_without_a_link_is_known_by_its_guid(tmp_path: Path) -> None:
    text = in_item(POLYLANG, 14, "<link>https://example.org/tr/istanbulda-bir-gun/</link>", "")
    assert documents(read(write(tmp_path, text)))[1].origin == "https://example.org/?p=14"
    text = in_item(text, 14, 'nicename="pll_65e1a3c2b7d4e"', 'nicename="../x"')
    [problem] = problems(read(write(tmp_path, text)))
    assert problem.origin == "https://example.org/?p=14"


# -- any exception rejects one item ---------------------------------------------------------


def test_an_exception_while_parsing_an_item_rejects_that_item_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wxr_reader._WxrReader.item_field

    def item_field(self: wxr_reader._WxrReader, what: str, *args: object) -> None:
        assert self.item is not None
        if what == "guid" and self.item.number == 3:
            raise KeyError("surprise")
        real(self, what, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(wxr_reader._WxrReader, "item_field", item_field)
    path = write(tmp_path, POLYLANG)
    found = read(path)
    [problem] = problems(found)
    assert problem.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert problem.line == item_line(POLYLANG, 14)
    assert "KeyError: 'surprise'" in problem.reason and not problem.fatal
    assert [d.external_id for d in documents(found)] == ["12", "15", "20", "21", "30"]


def test_an_exception_in_the_text_of_an_item_rejects_that_item_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Odd(str):
        def isascii(self) -> bool:
            raise ValueError("odd text")

    real = wxr_records._Text.add

    def add(self: wxr_records._Text, text: str) -> None:
        real(self, Odd(text) if "Bir Gün" in text else text)

    monkeypatch.setattr(wxr_records._Text, "add", add)
    found = read(write(tmp_path, POLYLANG))
    [problem] = problems(found)
    assert problem.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert "<title>" in problem.reason and "ValueError: odd text" in problem.reason
    assert len(documents(found)) == 5


def test_an_exception_while_making_the_document_rejects_that_item_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gmt(text: str) -> None:
        raise MemoryError("pretend")

    monkeypatch.setattr(wxr_items, "_gmt_datetime", gmt)
    found = read(write(tmp_path, POLYLANG))
    assert len(problems(found)) == 6 and documents(found) == []
    assert all("MemoryError: pretend" in p.reason for p in problems(found))
    assert not any(p.fatal for p in problems(found))


def test_an_exception_in_a_term_rejects_that_term_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wxr_items.php_loads

    def loads(text: str) -> object:
        if "i:12;" in text:
            raise RecursionError("deep")
        return real(text)

    monkeypatch.setattr(wxr_items, "php_loads", loads)
    path = write(tmp_path, POLYLANG)
    found = read(path)
    [problem] = problems(found)
    assert problem.origin == f"{path}#term {ISTANBUL}" and problem.key == ISTANBUL
    assert "RecursionError: deep" in problem.reason and not problem.fatal
    assert summary(found) == EXPECTED  # the items carry their own group


# -- sizes -----------------------------------------------------------------------------------


def test_an_item_over_the_limit_is_rejected_by_name_and_size(tmp_path: Path) -> None:
    big = "<p>" + "çay " * 30_000 + "</p>"  # 150,007 bytes
    text = in_item(POLYLANG, 14, "<content:encoded><![CDATA[", f"<content:encoded><![CDATA[{big}")
    found = read(write(tmp_path, text), max_bytes=100_000)
    [problem] = problems(found)
    assert problem.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert problem.line == item_line(text, 14) and problem.key is None
    size = len(("İstanbul’da Bir Gün").encode()) + len(
        text[text.index(big) : text.index("]]>", text.index(big))].encode()
    )
    assert f"are {size:,} bytes, over the 100,000 of TRANSYNC_MAX_DOCUMENT_BYTES" in problem.reason
    assert [d.external_id for d in documents(found)] == ["12", "15", "20", "21", "30"]
    assert summary(read(write(tmp_path, text), max_bytes=200_000)) == EXPECTED


def test_an_eleven_megabyte_paragraph_is_read_and_segmented_in_full(tmp_path: Path) -> None:
    paragraph = long_paragraph()
    body = f"<!-- wp:paragraph -->\n<p>{paragraph}</p>\n<!-- /wp:paragraph -->"
    text = in_item(POLYLANG, 14, "<content:encoded><![CDATA[", f"<content:encoded><![CDATA[{body}")
    path = write(tmp_path, text)
    [problem] = problems(read(path))  # over the default 10,000,000: rejected, not cut
    assert "TRANSYNC_MAX_DOCUMENT_BYTES" in problem.reason
    found = read(path, max_bytes=12_000_000)
    assert problems(found) == []
    document = documents(found)[1]
    assert document.body.startswith(body)
    segments = analyze_html(document.title, document.body).segments
    assert segments[1].kind == "paragraph" and segments[1].text == paragraph


def test_an_eleven_megabyte_paragraph_of_escaped_text_is_read_in_full(tmp_path: Path) -> None:
    paragraph = long_paragraph()
    text = in_item(
        POLYLANG,
        14,
        "<content:encoded><![CDATA[",
        f"<content:encoded>&lt;p&gt;{paragraph}&lt;/p&gt;<![CDATA[",
    )
    document = documents(read(write(tmp_path, text), max_bytes=12_000_000))[1]
    assert document.body.startswith(f"<p>{paragraph}</p>")


def test_other_plugins_large_meta_does_not_count_but_wpml_meta_is_bounded(
    tmp_path: Path,
) -> None:
    builder = (
        "<wp:postmeta><wp:meta_key><![CDATA[_elementor_data]]></wp:meta_key>"
        f"<wp:meta_value><![CDATA[{'[{}]' * 200_000}]]></wp:meta_value></wp:postmeta>"
    )
    text = in_item(POLYLANG, 14, "<wp:postmeta>", builder + "<wp:postmeta>")
    assert summary(read(write(tmp_path, text), max_bytes=100_000)) == EXPECTED
    wpml = (
        "<wp:postmeta><wp:meta_key><![CDATA[_wpml_import_language_code]]></wp:meta_key>"
        f"<wp:meta_value><![CDATA[{'x' * 70_000}]]></wp:meta_value></wp:postmeta>"
    )
    text = in_item(POLYLANG, 14, "<wp:postmeta>", wpml + "<wp:postmeta>")
    [problem] = problems(read(write(tmp_path, text)))
    assert "<wp:meta_value>" in problem.reason and "70,000 bytes" in problem.reason


def test_markup_inside_a_field_rejects_the_item(tmp_path: Path) -> None:
    text = in_item(
        POLYLANG,
        14,
        "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
        "<title>İstanbul’da <b>Bir</b> Gün</title>",
    )
    [problem] = problems(read(write(tmp_path, text)))
    assert "<title>" in problem.reason and "holds the element <b>" in problem.reason


@pytest.mark.parametrize(
    ("what", "change", "says"),
    [
        (
            "a huge tag",
            lambda t: t.replace("<channel>", f'<channel><x a="{"y" * 200_000}"/>', 1),
            "a single tag, comment or processing instruction of over 20,000 bytes",
        ),
        (
            "a huge comment",
            lambda t: t.replace("<channel>", f"<channel><!-- {'y' * 200_000} -->", 1),
            "a single tag, comment or processing instruction of over 20,000 bytes",
        ),
        (
            "deep nesting",
            lambda t: t.replace("<channel>", "<channel>" + "<a>" * 300 + "</a>" * 300, 1),
            "nested over 256 deep",
        ),
        (
            "many names",
            lambda t: t.replace(
                "<channel>", "<channel>" + "".join(f"<n{i}/>" for i in range(10_001)), 1
            ),
            "over 10,000 distinct element and attribute names",
        ),
        (
            "many names, deep",
            lambda t: t.replace(
                "<channel>",
                "<channel><a><b><c>" + "".join(f"<n{i}/>" for i in range(10_001)) + "</c></b></a>",
                1,
            ),
            "over 10,000 distinct element and attribute names",
        ),
        (
            "many attribute names",
            lambda t: t.replace(
                "<channel>", "<channel>" + "".join(f'<a n{i}="1"/>' for i in range(10_001)), 1
            ),
            "over 10,000 distinct element and attribute names",
        ),
        (
            "a huge DOCTYPE",
            lambda t: t.replace(
                "<rss ",
                "<!DOCTYPE rss ["
                + "".join(f'<!ENTITY e{i} "{"v" * 1000}">' for i in range(1100))
                + "]>\n<rss ",
                1,
            ),
            "the DOCTYPE is over 1,048,576 bytes",
        ),
    ],
)
def test_shapes_no_export_has_end_the_file(
    tmp_path: Path, what: str, change: object, says: str
) -> None:
    text = change(POLYLANG)  # type: ignore[operator]
    problem = fatal(read(write(tmp_path, text), max_bytes=20_000))
    assert says in problem.reason, problem.reason


# -- entities, DTDs, network ----------------------------------------------------------------


def test_internal_entities_expand_in_titles_content_and_attributes(tmp_path: Path) -> None:
    text = POLYLANG.replace(
        "<rss ",
        '<!DOCTYPE rss [<!ENTITY co "Company"><!ENTITY lang "tr">'
        '<!ENTITY both "&co; &amp; Co">]>\n<rss ',
        1,
    )
    text = in_item(
        text,
        14,
        "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
        "<title>&co; in İstanbul, &both;</title>",
    )
    text = in_item(
        text,
        14,
        "<content:encoded><![CDATA[",
        "<content:encoded>&lt;p&gt;&co; &amp; &both;&lt;/p&gt;<![CDATA[",
    )
    text = in_item(text, 14, 'nicename="tr"', 'nicename="&lang;"')
    found = read(write(tmp_path, text))
    assert problems(found) == []
    tr = documents(found)[1]
    assert tr.title == "Company in İstanbul, Company & Co"
    assert tr.body.startswith("<p>Company & Company & Co</p><!-- wp:paragraph -->")
    assert tr.lang == "tr"


class Listener:
    """A local TCP port that records whether anything connected to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(5)
        self.socket.setblocking(False)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def connected(self) -> bool:
        try:
            self.socket.accept()[0].close()
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.socket.close()


def test_external_entities_are_never_loaded(tmp_path: Path, listener: Listener) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    text = POLYLANG.replace(
        "<rss ",
        f'<!DOCTYPE rss [<!ENTITY file SYSTEM "{secret.as_uri()}">'
        f'<!ENTITY web SYSTEM "{listener.url}/x">]>\n<rss ',
        1,
    )
    text = in_item(
        text,
        14,
        "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
        "<title>İstanbul’da Bir Gün &file;</title>",
    )
    text = in_item(text, 15, "<content:encoded><![CDATA[", "<content:encoded>&web;<![CDATA[")
    found = read(write(tmp_path, text))
    assert [(p.origin, p.fatal) for p in problems(found)] == [
        ("https://example.org/tr/istanbulda-bir-gun/", False),
        ("https://example.org/ru/odin-den-v-stambule/", False),
    ]
    assert "external entity &file;" in problems(found)[0].reason
    assert secret.as_uri() in problems(found)[0].reason
    assert [d.external_id for d in documents(found)] == ["12", "20", "21", "30"]
    assert not any("TOP SECRET" in d.title + d.body for d in documents(found))
    assert not listener.connected()


def test_an_external_entity_in_the_link_falls_back_to_the_guid(tmp_path: Path) -> None:
    text = POLYLANG.replace("<rss ", '<!DOCTYPE rss [<!ENTITY x SYSTEM "x.txt">]>\n<rss ', 1)
    text = in_item(text, 14, "istanbulda-bir-gun/</link>", "istanbulda-bir-gun/&x;</link>")
    [problem] = problems(read(write(tmp_path, text)))
    assert problem.origin == "https://example.org/?p=14"
    assert "external entity &x;" in problem.reason


def test_an_external_entity_in_text_that_is_not_read_does_not_matter(tmp_path: Path) -> None:
    text = POLYLANG.replace("<rss ", '<!DOCTYPE rss [<!ENTITY x SYSTEM "x.txt">]>\n<rss ', 1)
    text = text.replace("<description>Türkiye", "<description>&x; Türkiye", 1)  # the channel's
    assert summary(read(write(tmp_path, text))) == EXPECTED


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss SYSTEM "{url}/rss.dtd">',
        '<!DOCTYPE rss PUBLIC "-//X//DTD RSS//EN" "{url}/rss.dtd">',
        '<!DOCTYPE rss [<!ENTITY % remote SYSTEM "{url}/x.ent"> %remote;]>',
    ],
)
def test_an_external_dtd_is_never_loaded_and_the_file_is_refused(
    tmp_path: Path, listener: Listener, doctype: str
) -> None:
    text = POLYLANG.replace("<rss ", doctype.format(url=listener.url) + "\n<rss ", 1)
    text = in_item(
        text,
        14,
        "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
        "<title>İstanbul&rsquo;da Bir Gün</title>",
    )
    problem = fatal(read(write(tmp_path, text)))
    assert "external DTD" in problem.reason and "remove the DOCTYPE" in problem.reason
    assert problem.line == 5
    assert not listener.connected()


def test_an_undeclared_entity_is_malformed(tmp_path: Path) -> None:
    text = in_item(
        POLYLANG,
        14,
        "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
        "<title>İstanbul&rsquo;da Bir Gün</title>",
    )
    problem = fatal(read(write(tmp_path, text)))
    assert "malformed WXR: undefined entity" in problem.reason
    assert problem.line == item_line(text, 14) + 1


def billion_laughs() -> str:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return f"<!DOCTYPE rss [{''.join(levels)}]>\n<rss "


def test_a_billion_laughs_is_rejected(tmp_path: Path) -> None:
    text = POLYLANG.replace("<rss ", billion_laughs(), 1)
    text = in_item(
        text, 14, "<title><![CDATA[İstanbul’da Bir Gün]]></title>", "<title>&lol9;</title>"
    )
    found = read(write(tmp_path, text), max_bytes=1_000_000_000)
    problem = fatal(found)
    assert "amplification" in problem.reason and "remove the DOCTYPE" in problem.reason
    assert not any(isinstance(f, Document) and "lol" * 100 in f.title for f in found)


# -- encodings ------------------------------------------------------------------------------


def test_a_single_byte_encoding_is_read(tmp_path: Path) -> None:
    text = (WXR / "wordpress-com.xml").read_text(encoding="utf-8")
    text = text.replace('encoding="UTF-8"', 'encoding="windows-1254"')
    text = text.replace("’", "'").replace("Русский", "Rusça")  # what cp1254 can hold
    path = tmp_path / "cp1254.xml"
    path.write_bytes(text.encode("cp1254"))
    found = read(path)
    assert problems(found) == [] and documents(found)[1].title == "İstanbul'da Bir Gün"


def test_an_unsupported_encoding_says_to_convert(tmp_path: Path) -> None:
    path = tmp_path / "sjis.xml"
    path.write_bytes(
        POLYLANG.replace('encoding="UTF-8"', 'encoding="Shift_JIS"')
        .replace("İstanbul Notları", "東京")
        .encode("shift_jis", "replace")
    )
    problem = fatal(read(path))
    assert "malformed WXR" in problem.reason and "convert the file to UTF-8" in problem.reason
    assert "multi-byte encodings are not supported" in problem.reason


# -- peak memory per file shape ---------------------------------------------------------------

MB = 1_000_000
SHAPE_BYTES = 200 * MB
PEAK_LIMIT = 250 * MB
HEADER = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
    'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:wp="http://wordpress.org/export/1.2/" xmlns:x="urn:x">\n<channel>\n'
    "<title>Big</title><wp:wxr_version>1.2</wp:wxr_version>\n"
)
FOOTER = "</channel>\n</rss>\n"
PARAGRAPH = (
    "<!-- wp:paragraph -->\n<p>İstanbul, dünyada iki kıtaya yayılan tek şehirdir. "
    "Стамбул — единственный город, который стоит на двух континентах.</p>\n"
    "<!-- /wp:paragraph -->\n"
)


def item(n: int, body: str = PARAGRAPH * 8, extra: str = "") -> str:
    group = f"pll_{n // 3:08x}"
    return (
        f"<item><title>Post {n}</title><link>https://example.org/p{n}/</link>"
        f'<guid isPermaLink="false">https://example.org/?p={n}</guid>'
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<wp:post_id>{n}</wp:post_id>"
        "<wp:post_date_gmt>2024-03-01 09:30:00</wp:post_date_gmt>"
        f"<wp:post_name>p{n}</wp:post_name><wp:status>publish</wp:status>"
        f"<wp:post_type>post</wp:post_type>{extra}"
        f'<category domain="language" nicename="{LANGS[n % 3]}">L</category>'
        f'<category domain="post_translations" nicename="{group}">{group}</category>'
        "</item>\n"
    )


def repeat(piece: str, total: int) -> Iterator[str]:
    """``piece`` as many times as ``total`` bytes hold, in runs of about 1 MB."""
    size = len(piece.encode())
    per_run = max(1, MB // size)
    runs, rest = divmod(-(-total // size), per_run)
    for _ in range(runs):
        yield piece * per_run
    yield piece * rest


def one_big_item() -> Iterator[str]:
    """One 200 MB post body in one CDATA section, then an ordinary item."""
    yield HEADER
    head, tail = item(1).split("<![CDATA[", 1)
    yield head + "<![CDATA["
    yield from repeat(PARAGRAPH, SHAPE_BYTES)
    yield "]]>" + tail.split("]]>", 1)[1]
    yield item(2)
    yield FOOTER


def one_big_escaped_item() -> Iterator[str]:
    """One 200 MB post body written as escaped text (&lt;p&gt;…), then an ordinary item."""
    yield HEADER
    head, tail = item(1).split("<![CDATA[", 1)
    yield head
    yield from repeat("&lt;p&gt;Ankara &amp; İzmir, Москва&lt;/p&gt;\n", SHAPE_BYTES)
    yield tail.split("]]>", 1)[1]
    yield item(2)
    yield FOOTER


def one_item_of_unread_elements() -> Iterator[str]:
    """An ordinary post carrying 200 MB of what is not read: a page builder's meta and
    comments. It is read as a post."""
    yield HEADER
    head, tail = item(1).split("<wp:post_type>", 1)
    yield head
    yield ("<wp:postmeta><wp:meta_key>_elementor_data</wp:meta_key><wp:meta_value><![CDATA[")
    yield from repeat('[{"id":"1a2b3c","elType":"section","settings":[]}]', SHAPE_BYTES // 2)
    yield "]]></wp:meta_value></wp:postmeta>"
    yield from repeat(
        "<wp:comment><wp:comment_id>7</wp:comment_id><wp:comment_author><![CDATA[Ayşe]]>"
        "</wp:comment_author><wp:comment_content><![CDATA[Harika bir yazı, teşekkürler! "
        "Очень интересно.]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
        "</wp:comment>\n",
        SHAPE_BYTES // 2,
    )
    yield "<wp:post_type>" + tail
    yield FOOTER


def non_item_elements() -> Iterator[str]:
    """200 MB that is not items: the channel's text, terms, authors, unknown elements, then
    three ordinary items."""
    yield HEADER.replace("<title>Big</title>", "<description>")
    yield from repeat("Türkiye üzerine notlar &amp; Заметки о Турции. ", SHAPE_BYTES // 4)
    yield "</description>\n"
    yield from repeat(
        "<wp:term><wp:term_id>9</wp:term_id><wp:term_taxonomy><![CDATA[post_tag]]>"
        "</wp:term_taxonomy><wp:term_slug><![CDATA[istanbul]]></wp:term_slug>"
        "<wp:term_description><![CDATA[Posts about İstanbul]]></wp:term_description>"
        "</wp:term>\n",
        SHAPE_BYTES // 4,
    )
    yield from repeat(
        "<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[editor]]>"
        "</wp:author_login></wp:author>\n",
        SHAPE_BYTES // 4,
    )
    yield "<x:blob><x:part>"
    yield from repeat("<x:row a='1'>Unknown plugin data, kept by nobody.</x:row>", SHAPE_BYTES // 4)
    yield "</x:part></x:blob>\n"
    yield item(1) + item(2) + item(3)
    yield FOOTER


ITEMS = SHAPE_BYTES // len(item(1).encode()) + 1  # about 2 KB each


def many_items() -> Iterator[str]:
    """Ordinary posts, 200 MB of them."""
    yield HEADER
    for n in range(1, ITEMS + 1):
        yield item(n)
    yield FOOTER


def laughs() -> Iterator[str]:
    """A billion laughs in the title of the one item."""
    yield HEADER.replace("<rss ", billion_laughs(), 1)
    yield item(1).replace("<title>Post 1</title>", "<title>&lol9;</title>")
    yield FOOTER


#: name -> (file, what reading it must give: documents, item problems, fatal problems)
SHAPES: dict[str, tuple[Callable[[], Iterator[str]], tuple[int, int, int]]] = {
    "one 200 MB item (CDATA)": (one_big_item, (1, 1, 0)),
    "one 200 MB item (escaped text)": (one_big_escaped_item, (1, 1, 0)),
    "one item with 200 MB of meta and comments": (one_item_of_unread_elements, (1, 0, 0)),
    "200 MB of non-item elements": (non_item_elements, (3, 0, 0)),
    "200 MB of ordinary items": (many_items, (ITEMS, 0, 0)),
    "billion laughs": (laughs, (0, 0, 1)),
}

MEASURE = textwrap.dedent("""
    import json, resource, sys, time
    from pathlib import Path
    from sync.sources.base import Document
    from sync.sources.wxr import read_wxr
    start = time.perf_counter()
    found = [0, 0, 0]
    for f in read_wxr(Path(sys.argv[1]), source="wxr:shape", languages=("en", "tr", "ru")):
        found[0 if isinstance(f, Document) else 2 if f.fatal else 1] += 1
        if not isinstance(f, Document):
            print(f.reason[:300], file=sys.stderr)
    try:  # this process's own high-water mark (see the test's docstring)
        with open("/proc/self/status") as status:
            peak = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) * 1024
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"found": found, "seconds": round(time.perf_counter() - start, 1),
                      "peak": peak}))
""")


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_peak_memory_of_each_file_shape(tmp_path: Path, shape: str) -> None:
    """Reading stays under 250 MB resident, interpreter included, whatever the file is
    made of: measured in a child process, by its VmHWM. Not getrusage's ru_maxrss: on
    Linux it starts from the parent's RSS when subprocess (v)forks, so in a child of this
    pytest process it never reads under about 100 MB, whatever the child does."""
    make, expected = SHAPES[shape]
    path = tmp_path / "shape.xml"
    with path.open("w", encoding="utf-8") as out:
        for piece in make():
            out.write(piece)
    size = path.stat().st_size
    assert size >= SHAPE_BYTES or shape == "billion laughs"
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    path.unlink()
    result = json.loads(done.stdout)
    print(
        f"\n{shape}: {size:,} bytes, peak RSS {result['peak'] / MB:.1f} MB, "
        f"{result['seconds']} s, found {result['found']}; {done.stderr[:300]}"
    )
    assert tuple(result["found"]) == expected, done.stderr
    assert result["peak"] <= PEAK_LIMIT
