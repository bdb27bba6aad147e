"""Tests for sync.sources.wxr: WordPress export files with Polylang or WPML."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from sync.errors import SourceError
from sync.sources.base import Document, Problem, Skipped
from sync.sources.wxr import read_wxr

DATA = Path(__file__).resolve().parents[1] / "data"
WXR = DATA / "wxr"
LANGS = ("en", "tr", "ru")
ISTANBUL = "pll_65e1a3c2b7d4e"
TEA = "pll_65e1a3c2b9e1f"


def read(path: Path, **options: object) -> list[Document | Problem]:
    options.setdefault("languages", LANGS)
    return list(read_wxr(path, source=f"wxr:{path}", **options))  # type: ignore[arg-type]


def documents(found: list[Document | Problem]) -> list[Document]:
    return [f for f in found if isinstance(f, Document)]


def problems(found: list[Document | Problem]) -> list[Problem]:
    return [f for f in found if isinstance(f, Problem)]


def summary(found: list[Document | Problem]) -> list[tuple[str, str, str | None, bool]]:
    return [(d.key, d.lang, d.external_id, d.draft) for d in documents(found)]


def item_line(path: Path, post_id: int) -> int:
    """1-based line of the <item> start tag of a post, found the plain way."""
    lines = path.read_text(encoding="utf-8").splitlines()
    target = f"<wp:post_id>{post_id}</wp:post_id>"
    at = next(n for n, line in enumerate(lines) if target in line)
    return next(n for n in range(at, -1, -1) if lines[n].strip() == "<item>") + 1


# -- Polylang -------------------------------------------------------------------------------


def test_polylang_documents_keys_drafts_and_skips() -> None:
    found = read(WXR / "polylang.xml")
    assert problems(found) == []
    assert summary(found) == [
        (ISTANBUL, "en", "12", False),
        (ISTANBUL, "tr", "14", False),
        (ISTANBUL, "ru", "15", False),
        (TEA, "en", "20", False),
        (TEA, "tr", "21", True),  # draft
        ("wp-30", "en", "30", False),  # a page in no translation group
    ]
    # 22 is trashed, 40 an attachment, 41 a menu item: skipped, and counted by reason
    assert sorted(i.reason for i in found if isinstance(i, Skipped)) == [
        "not_content",
        "not_content",
        "trashed",
    ]


def test_every_item_that_is_no_tracked_post_is_counted_by_reason(tmp_path: Path) -> None:
    """An export's products, reusable blocks and portfolio items were dropped without a
    word (the scan's report said nothing of them): each is counted by why."""
    rows = [
        (1, "post", "publish", None),
        (2, "product", "publish", "untracked_type"),
        (3, "wp_block", "publish", "untracked_type"),
        (4, "jetpack-portfolio", "publish", "untracked_type"),
        (5, "post", "trash", "trashed"),
        (6, "post", "auto-draft", "not_content"),
        (7, "revision", "inherit", "not_content"),
        (8, "attachment", "inherit", "not_content"),
        (9, "nav_menu_item", "publish", "not_content"),
    ]
    path = tmp_path / "export.xml"
    path.write_text(
        WPML_CORE_HEAD
        + "".join(
            f"<item><title>T{n}</title><link>https://example.org/{n}/</link>"
            f"<content:encoded><![CDATA[<p>Text {n}.</p>]]></content:encoded>"
            f"<wp:post_id>{n}</wp:post_id><wp:status>{status}</wp:status>"
            f'<wp:post_type>{post_type}</wp:post_type><category domain="language" '
            'nicename="en">English</category></item>\n'
            for n, post_type, status, _ in rows
        )
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    found = read(path)
    assert summary(found) == [("wp-1", "en", "1", False)]
    assert [(i.origin, i.reason) for i in found if isinstance(i, Skipped)] == [
        (f"https://example.org/{n}/", why) for n, _, _, why in rows if why
    ]
    # a type that is configured is read
    assert len(documents(read(path, post_types=("post", "product")))) == 2


def test_polylang_document_fields() -> None:
    path = WXR / "polylang.xml"
    by_id = {d.external_id: d for d in documents(read(path))}
    tr = by_id["14"]
    assert tr.source == f"wxr:{path}"
    assert tr.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert tr.title == "İstanbul’da Bir Gün"
    assert tr.body_format == "html"
    assert tr.body.startswith("<!-- wp:paragraph -->\n<p>İstanbul, dünyada")
    assert "Harika bir yazı" not in tr.body  # the comment is not the post
    assert tr.date == dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)
    assert tr.source_lang is None
    assert tr.front_matter == {
        "wp_post_id": 14,
        "post_type": "post",
        "status": "publish",
        "slug": "istanbulda-bir-gun",
    }
    assert tr.raw_hash == hashlib.sha256((tr.title + tr.body).encode()).hexdigest()

    draft = by_id["21"]
    assert draft.draft is True
    assert draft.date is None  # drafts have no GMT date: 0000-00-00 00:00:00
    assert draft.front_matter["status"] == "draft"
    assert draft.body.startswith("Türk çayı, <em>çaydanlık</em>")


def test_post_types_select_what_is_read() -> None:
    found = read(WXR / "polylang.xml", post_types=("post",))
    assert "wp-30" not in {d.key for d in documents(found)}
    pages = read(WXR / "polylang.xml", post_types=("page", "attachment", "nav_menu_item"))
    assert summary(pages) == [("wp-30", "en", "30", False)]


def test_language_slugs_map_through_the_polylang_locale(tmp_path: Path) -> None:
    # A site whose Turkish language has the slug "turkce": its term says locale tr_TR.
    text = (WXR / "polylang.xml").read_text(encoding="utf-8")
    text = text.replace('nicename="tr"', 'nicename="turkce"')
    text = text.replace("<wp:term_slug><![CDATA[tr]]>", "<wp:term_slug><![CDATA[turkce]]>")
    path = tmp_path / "slugs.xml"
    path.write_text(text, encoding="utf-8")
    assert 'nicename="turkce"' in text
    assert problems(read(path)) == []
    assert [d.lang for d in documents(read(path))] == ["en", "tr", "ru", "en", "tr", "en"]


def test_locale_map_overrides_the_default(tmp_path: Path) -> None:
    found = read(WXR / "polylang.xml", languages=("en", "tr", "rus"), locale_map={"ru_RU": "rus"})
    assert problems(found) == []
    assert [d.lang for d in documents(found)][:3] == ["en", "tr", "rus"]


# -- WPML ---------------------------------------------------------------------------------


def test_wpml_documents_keys_and_source_languages() -> None:
    found = read(WXR / "wpml.xml")
    assert problems(found) == []
    assert [(d.key, d.lang, d.external_id, d.draft, d.source_lang) for d in documents(found)] == [
        ("wpml-1043", "en", "12", False, None),
        ("wpml-1043", "tr", "14", False, "en"),
        ("wpml-1043", "ru", "15", False, "en"),
        ("wpml-1057", "tr", "50", False, None),  # written in Turkish first
        ("wpml-1057", "en", "51", False, "tr"),
        ("wpml-1057", "ru", "52", True, "tr"),  # pending review
        ("wpml-1061", "en", "20", False, None),  # its Turkish version (21) is in the trash
        ("wp-30", "en", "30", False, None),
    ]
    pending = documents(found)[5]
    assert pending.front_matter["status"] == "pending"
    assert pending.title == "Воздушные шары над Каппадокией"


#: A WPML site's export from Tools → Export: WPML keeps languages in its own table
#: (icl_translations), which WordPress does not export; what shows WPML is its
#: translation_priority taxonomy (while it is active) and its post meta.
WPML_CORE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Site</title>\n'
)
WPML_PRIORITY_TERM = (
    "<wp:term><wp:term_id>20</wp:term_id><wp:term_taxonomy><![CDATA[translation_priority]]>"
    "</wp:term_taxonomy><wp:term_slug><![CDATA[optional]]></wp:term_slug>"
    "<wp:term_name><![CDATA[Optional]]></wp:term_name></wp:term>\n"
)


def wpml_core_item(post_id: int, slug: str, title: str, extra: str = "") -> str:
    return (
        f"<item><title>{title}</title><link>https://example.org/{slug}/</link>"
        f"<content:encoded><![CDATA[<p>{title}.</p>]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id><wp:status>publish</wp:status>"
        f"<wp:post_type>post</wp:post_type>{extra}"
        "<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key>"
        "<wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta></item>\n"
    )


WPML_MEDIA = (
    "<wp:postmeta><wp:meta_key><![CDATA[_wpml_media_featured]]></wp:meta_key>"
    "<wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>"
)
WPML_PRIORITY = '<category domain="translation_priority" nicename="optional">Optional</category>'


@pytest.mark.parametrize(
    ("channel", "extra"),
    [
        (WPML_PRIORITY_TERM, ""),  # the channel's terms show WPML (an export of all content)
        ("", WPML_PRIORITY),  # the items' taxonomy does (an export of posts only)
    ],
    ids=["channel-term", "item-category"],
)
def test_a_wpml_sites_core_export_is_never_read_in_the_default_language(
    tmp_path: Path, channel: str, extra: str
) -> None:
    """Tools → Export on a WPML site writes no languages: its Turkish and Russian posts are
    not English posts because TRANSYNC_WP_DEFAULT_LANG says en (they were three English
    sources, each queued for translation), and the problem says what WPML needs."""
    path = tmp_path / "export.xml"
    path.write_text(
        WPML_CORE_HEAD
        + channel
        + wpml_core_item(10, "a-day", "A Day in Istanbul", extra)
        + wpml_core_item(11, "tr/bir-gun", "İstanbul'da Bir Gün", extra)
        + wpml_core_item(12, "ru/den", "День в Стамбуле", extra)
        + "</channel></rss>\n",
        encoding="utf-8",
    )
    for default_lang in ("en", None):
        found = read(path, default_lang=default_lang)
        assert documents(found) == []
        assert len(problems(found)) == 3
        for problem in problems(found):
            assert not problem.fatal
            assert "WPML site" in problem.reason, problem.reason
            assert "Export and Import add-on" in problem.reason
            assert "_wpml_import_language_code" in problem.reason
            assert "TRANSYNC_WP_DEFAULT_LANG" not in problem.reason


def test_wpml_meta_names_wpml_and_the_default_language_still_applies(tmp_path: Path) -> None:
    """WPML's post meta outlives the plugin: without a default language the problem names
    WPML; a site that set TRANSYNC_WP_DEFAULT_LANG (WPML long gone) is read in it."""
    path = tmp_path / "export.xml"
    path.write_text(
        WPML_CORE_HEAD + wpml_core_item(10, "a-day", "A Day", WPML_MEDIA) + "</channel></rss>\n",
        encoding="utf-8",
    )
    [problem] = problems(read(path))
    assert "WPML site" in problem.reason
    found = read(path, default_lang="en")
    assert problems(found) == []
    assert summary(found) == [("wp-10", "en", "10", False)]


# -- broken files: each yields its problem, the good items still come -----------------------


def test_malformed_translation_map_is_reported_with_the_term_slug() -> None:
    path = WXR / "bad-serialized.xml"
    found = read(path)
    [problem] = problems(found)
    assert problem.key == TEA
    assert TEA in problem.reason
    assert "post_translations" in problem.reason
    assert problem.origin == f"{path}#term {TEA}"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.line is not None and lines[problem.line - 1].strip() == "<wp:term>"
    assert f"<wp:term_slug><![CDATA[{TEA}]]>" in lines[problem.line + 2]
    assert not problem.fatal
    # The items carry their own group category, so they are still read.
    assert summary(found) == [
        (ISTANBUL, "en", "12", False),
        (ISTANBUL, "tr", "14", False),
        (ISTANBUL, "ru", "15", False),
        (TEA, "en", "20", False),
        (TEA, "tr", "21", False),
    ]


def test_an_item_in_a_language_not_configured_is_skipped() -> None:
    """A site may have languages transync does not track (German here, with en, tr, ru
    configured): its items are skipped and counted, as a content tree's files are, not an
    error on every scan."""
    found = read(WXR / "unknown-lang.xml")
    assert problems(found) == []
    assert [(i.origin, i.reason) for i in found if isinstance(i, Skipped)] == [
        ("https://example.org/de/tuerkischen-tee-zubereiten/", "unconfigured_language")
    ]
    assert summary(found) == [(TEA, "en", "20", False), (TEA, "tr", "21", False)]


def test_unknown_language_is_read_once_configured() -> None:
    found = read(WXR / "unknown-lang.xml", languages=("en", "tr", "ru", "de"))
    assert problems(found) == []
    assert [d.lang for d in documents(found)] == ["en", "tr", "de"]


def test_items_without_a_group_are_standalone_posts() -> None:
    path = WXR / "no-group.xml"
    found = read(path)
    assert summary(found) == [
        (TEA, "en", "20", False),
        (TEA, "tr", "21", False),
        ("wp-60", "tr", "60", False),
    ]
    [problem] = problems(found)  # 61 has no language at all
    assert problem.origin == "https://example.org/site-notice/"
    assert problem.line == item_line(path, 61)
    assert "no language" in problem.reason
    with_default = read(path, default_lang="en")
    assert problems(with_default) == []
    assert summary(with_default)[-1] == ("wp-61", "en", "61", False)


def test_truncated_file_ends_with_a_fatal_problem(tmp_path: Path) -> None:
    data = (WXR / "polylang.xml").read_bytes()
    cut = data.index(b"<wp:post_id>20</wp:post_id>")
    path = tmp_path / "truncated.xml"
    path.write_bytes(data[:cut])
    found = read(path)
    *before, last = found
    assert isinstance(last, Problem)
    assert last.fatal and last.key is None
    assert last.reason.startswith("malformed WXR")
    assert last.origin == str(path)
    assert last.line == data[:cut].count(b"\n") + 1
    assert [d.external_id for d in documents(before)] == ["12", "14", "15"]


def test_broken_xml_in_the_middle_names_its_line(tmp_path: Path) -> None:
    text = (WXR / "polylang.xml").read_text(encoding="utf-8")
    bad = text.replace("<wp:post_name><![CDATA[about]]></wp:post_name>", "<wp:post_name>about")
    path = tmp_path / "broken.xml"
    path.write_text(bad, encoding="utf-8")
    last = read(path)[-1]
    assert isinstance(last, Problem) and last.fatal
    assert last.reason.startswith("malformed WXR")
    opened = bad[: bad.index("<wp:post_name>about")].count("\n") + 1
    closed = bad[: bad.index("</item>", bad.index("<wp:post_name>about"))].count("\n") + 1
    assert last.line == closed  # where the parser noticed
    assert f"<wp:post_name> opened at line {opened} is not closed" in last.reason  # the mistake
    assert f"(line {closed}, column " in last.reason


def test_truncated_export_from_the_broken_inputs_set() -> None:
    path = DATA / "bad" / "wxr" / "truncated.xml"
    *before, last = read(path)
    assert isinstance(last, Problem) and last.fatal and last.key is None
    assert last.line == 47
    assert all(isinstance(f, Document) for f in before)


def test_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot open WXR file"):
        read(tmp_path / "nope.xml")


def test_second_version_in_the_same_language_is_a_problem(tmp_path: Path) -> None:
    text = (WXR / "polylang.xml").read_text(encoding="utf-8")
    start = text.rindex("\t<item>", 0, text.index("<wp:post_id>14<"))
    end = text.index("</item>", start) + len("</item>")
    copy = text[start:end].replace("<wp:post_id>14<", "<wp:post_id>99<")
    path = tmp_path / "dup.xml"
    path.write_text(text[:end] + "\n" + copy + text[end:], encoding="utf-8")
    found = read(path)
    [problem] = problems(found)
    # the copy kept item 14's link: the problem names that origin, item 14 is read
    assert problem.origin == "https://example.org/tr/istanbulda-bir-gun/"
    assert "(wp:post_id 99)" in problem.reason
    assert problem.key == ISTANBUL and problem.lang == "tr"
    assert [d.external_id for d in documents(found) if d.key == ISTANBUL] == ["12", "14", "15"]


@pytest.mark.parametrize("lang", ["tr", "ru"])
def test_a_post_id_given_twice_refuses_the_file(tmp_path: Path, lang: str) -> None:
    """WordPress exports each post once: two items with one wp:post_id (two exports joined,
    an edited file) leave unknown which text is the post's. The second was told as 'a second
    version in translation group', or (in another language) read as a second post; the
    first was recorded either way. The file is refused, naming both items."""
    text = (WXR / "polylang.xml").read_text(encoding="utf-8")
    start = text.rindex("\t<item>", 0, text.index("<wp:post_id>14<"))
    end = text.index("</item>", start) + len("</item>")
    copy = text[start:end].replace("<p>İstanbul", "<p>Başka bir İstanbul")
    if lang == "ru":  # the copy claims another language of the group: no clash by language
        copy = copy.replace('domain="language" nicename="tr"', 'domain="language" nicename="ru"')
        text = text.replace("<wp:post_id>15<", "<wp:post_id>16<")
    path = tmp_path / "dup.xml"
    path.write_text(text[:end] + "\n" + copy + text[end:], encoding="utf-8")
    found = read(path)
    last = found[-1]
    assert isinstance(last, Problem) and last.fatal, found[-1]
    first_line, copy_line = item_line(path, 14), text[:end].count("\n") + 2
    assert last.line == copy_line
    assert f"line {copy_line} has wp:post_id 14, as item" in last.reason, last.reason
    assert f"at line {first_line} does" in last.reason
    assert "export the site again" in last.reason


def test_internal_entities_are_expanded_in_full(tmp_path: Path) -> None:
    text = (WXR / "no-group.xml").read_text(encoding="utf-8")
    doctype = '<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
    text = text.replace("<rss ", doctype + "<rss ", 1)
    text = text.replace("<title><![CDATA[Site notice]]></title>", "<title>x &b; y</title>")
    path = tmp_path / "entities.xml"
    path.write_text(text, encoding="utf-8")
    found = read(path, default_lang="en")
    assert problems(found) == []
    assert documents(found)[-1].title == "x " + "a" * 80 + " y"


# -- streaming ------------------------------------------------------------------------------

BODY = (
    "<!-- wp:paragraph -->\n<p>İstanbul, dünyada iki kıtaya yayılan tek şehirdir. "
    "Стамбул — единственный город в мире, который стоит на двух континентах.</p>\n"
    "<!-- /wp:paragraph -->\n\n"
) * 8


def write_big_export(path: Path, items: int) -> None:
    langs = ("en", "tr", "ru")
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
        )
        for n in range(items):
            group = f"pll_{n // 3:08x}"
            out.write(
                f"<item><title>Post {n}</title><link>https://example.org/p{n}/</link>"
                f"<content:encoded><![CDATA[{BODY}]]></content:encoded>"
                f"<wp:post_id>{n + 1}</wp:post_id>"
                "<wp:post_date_gmt>2024-03-01 09:30:00</wp:post_date_gmt>"
                f"<wp:post_name>p{n}</wp:post_name><wp:status>publish</wp:status>"
                "<wp:post_type>post</wp:post_type>"
                f'<category domain="language" nicename="{langs[n % 3]}">L</category>'
                f'<category domain="post_translations" nicename="{group}">{group}</category>'
                "</item>\n"
            )
        out.write("</channel>\n</rss>\n")


def resident_bytes() -> int | None:
    """Current resident set size (Linux), to see the C memory lxml's tree takes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


@pytest.mark.slow
def test_a_large_export_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    write_big_export(path, 20_000)
    assert path.stat().st_size > 40_000_000
    limit = 50_000_000
    gc.collect()
    rss_start = resident_bytes()
    rss_peak = rss_start or 0
    count = 0
    tracemalloc.start()
    try:
        for found in read_wxr(path, source="wxr:big", languages=LANGS):
            assert isinstance(found, Document)
            count += 1
            if count % 1000 == 0 and rss_start is not None:
                rss_peak = max(rss_peak, resident_bytes() or 0)
        _, python_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    # Python objects: the reader keeps no documents or bodies around.
    assert python_peak < limit
    # lxml's tree lives in C memory, which tracemalloc does not see: kept whole, this
    # file's tree takes over 100 MB of resident memory; streamed, a few MB.
    if rss_start is not None:
        assert rss_peak - rss_start < limit
