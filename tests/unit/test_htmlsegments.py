"""Tests for sync.htmlsegments: segmenting WordPress post HTML and hashing it."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sync.htmlsegments import analyze_html, canonical_html, hash_segments, render_html
from sync.segments import Segment
from sync.text import normalize_inline

WXR = Path(__file__).resolve().parents[1] / "data" / "wxr"


def pairs(title: str, html: str, **options: bool) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in analyze_html(title, html, **options).segments]


GUTENBERG = """<!-- wp:paragraph -->
<p>İstanbul, dünyada iki kıtaya yayılan tek şehirdir. Güne erken başlayın: \
<a href="https://tr.wikipedia.org/wiki/Boğaz">Boğaz</a>’daki vapurlar sabah sakindir.</p>
<!-- /wp:paragraph -->

<!-- wp:heading -->
<h2 class="wp-block-heading" id="sabah">Sultanahmet’te sabah</h2>
<!-- /wp:heading -->

<!-- wp:list -->
<ul class="wp-block-list"><!-- wp:list-item -->
<li>Kalabalık gelmeden Ayasofya’yı ziyaret edin.</li>
<!-- /wp:list-item -->

<!-- wp:list-item -->
<li>Bir <em>simit</em> yiyip bir bardak çay için.</li>
<!-- /wp:list-item --></ul>
<!-- /wp:list -->

<!-- wp:quote -->
<blockquote class="wp-block-quote"><!-- wp:paragraph -->
<p>İstanbul’u dinliyorum, gözlerim kapalı;</p>
<!-- /wp:paragraph --><cite>Orhan Veli Kanık</cite></blockquote>
<!-- /wp:quote -->

<!-- wp:table -->
<figure class="wp-block-table"><table><thead><tr><th>Yer</th><th>Açılış saatleri</th></tr>\
</thead><tbody><tr><td>Topkapı Sarayı</td><td>9:00–18:00</td></tr></tbody></table>\
<figcaption class="wp-element-caption">Ramazan ayında saatler değişir.</figcaption></figure>
<!-- /wp:table -->

<!-- wp:image {"id":40,"sizeSlug":"large"} -->
<figure class="wp-block-image size-large"><img src="https://example.org/galata.jpg" \
alt="Galata Kulesi" class="wp-image-40"/><figcaption class="wp-element-caption">\
Akşamüstü Galata Kulesi.</figcaption></figure>
<!-- /wp:image -->"""

GUTENBERG_SEGMENTS = [
    ("title", "İstanbul’da Bir Gün"),
    (
        "paragraph",
        "İstanbul, dünyada iki kıtaya yayılan tek şehirdir. Güne erken başlayın: "
        '<a href="https://tr.wikipedia.org/wiki/Boğaz">Boğaz</a>’daki vapurlar sabah sakindir.',
    ),
    ("heading", "Sultanahmet’te sabah"),
    ("item", "Kalabalık gelmeden Ayasofya’yı ziyaret edin."),
    ("item", "Bir <em>simit</em> yiyip bir bardak çay için."),
    ("quote", "İstanbul’u dinliyorum, gözlerim kapalı;"),
    ("quote", "<cite>Orhan Veli Kanık</cite>"),
    ("cell", "Yer"),
    ("cell", "Açılış saatleri"),
    ("cell", "Topkapı Sarayı"),
    ("cell", "9:00–18:00"),
    ("caption", "Ramazan ayında saatler değişir."),
    ("caption", "Akşamüstü Galata Kulesi."),
]


def rendered(raw: str) -> str:
    """What WordPress serves as content.rendered for block content: no block comments,
    typographic characters as numeric entities, self-closing tags spelled differently."""
    html = re.sub(r"<!-- /?wp:.*? -->\n?", "", raw)
    html = html.replace("’", "&#8217;").replace("–", "&#8211;").replace('"/>', '" />')
    return html


# -- segmenting -----------------------------------------------------------------------------


def test_gutenberg_post_segments_by_block() -> None:
    assert pairs("İstanbul’da Bir Gün", GUTENBERG) == GUTENBERG_SEGMENTS


def test_block_comments_script_and_style_are_not_text() -> None:
    html = (
        "<!-- wp:paragraph --><p>Metin</p><!-- /wp:paragraph -->"
        "<script>document.write('x')</script><style>p { color: red }</style>"
        "<!-- wp:html --><p>İkinci<script>alert(1)</script></p><!-- /wp:html -->"
    )
    assert pairs("", html) == [("paragraph", "Metin"), ("paragraph", "İkinci")]


def test_title_comes_first_and_is_omitted_when_empty() -> None:
    assert pairs("  Başlık\n ", "<p>Metin</p>")[0] == ("title", "Başlık")
    assert pairs("", "<p>Metin</p>") == [("paragraph", "Metin")]
    assert pairs("Fish &amp; Chips &#8211; Don&#8217;t", "") == [("title", "Fish & Chips – Don’t")]


def test_headings_of_every_level() -> None:
    html = "".join(f"<h{n}>Заголовок {n}</h{n}>" for n in range(1, 7))
    assert pairs("", html) == [("heading", f"Заголовок {n}") for n in range(1, 7)]


def test_inline_markup_is_kept_and_attributes_made_canonical() -> None:
    html = (
        '<p class="has-text-color" style="color:red">Read <a target="_blank" '
        'href="https://example.org/?a=1&amp;b=2" rel="noopener" data-id="3">this</a>, '
        '<strong>now</strong> <abbr title="Türkiye Cumhuriyeti">TC</abbr>.</p>'
    )
    assert pairs("", html) == [
        (
            "paragraph",
            'Read <a href="https://example.org/?a=1&amp;b=2" target="_blank">this</a>, '
            '<strong>now</strong> <abbr title="Türkiye Cumhuriyeti">TC</abbr>.',
        )
    ]


def test_nested_blocks_make_one_segment() -> None:
    html = "<ul><li><p>Birinci madde</p></li><li>İkinci <p>madde</p></li></ul>"
    assert pairs("", html) == [("item", "Birinci madde"), ("item", "İkinci<br>madde")]


def test_nested_list_items_are_segments_of_their_own() -> None:
    html = "<ol><li>Чай<ul><li>чёрный</li><li>зелёный</li></ul></li><li>Кофе</li></ol>"
    assert pairs("", html) == [
        ("item", "Чай"),
        ("item", "чёрный"),
        ("item", "зелёный"),
        ("item", "Кофе"),
    ]


def test_blockquote_paragraphs_and_bare_text_are_quotes() -> None:
    html = "<blockquote><p>Один</p><p>Два</p></blockquote><blockquote>Я слушаю Стамбул</blockquote>"
    assert pairs("", html) == [("quote", "Один"), ("quote", "Два"), ("quote", "Я слушаю Стамбул")]


def test_table_cells_and_captions() -> None:
    html = (
        "<table><caption>Saatler</caption><tr><th>Yer</th><td>Kapalıçarşı</td></tr></table>"
        "<figure><img src='a.jpg' alt=''><figcaption>Galata</figcaption></figure>"
    )
    assert pairs("", html) == [
        ("caption", "Saatler"),
        ("cell", "Yer"),
        ("cell", "Kapalıçarşı"),
        ("caption", "Galata"),
    ]


def test_empty_blocks_and_image_only_paragraphs_are_not_segments() -> None:
    html = '<p>&nbsp;</p><p> </p><p><img src="a.jpg" alt="x"></p><ul><li></li></ul><p>Metin</p>'
    assert pairs("", html) == [("paragraph", "Metin")]


def test_code_is_not_text_but_verse_is() -> None:
    html = (
        '<pre class="wp-block-code"><code>print("merhaba")</code></pre>'
        "<pre><code>x = 1</code></pre>"
        '<pre class="wp-block-verse">İstanbul’u dinliyorum,\ngözlerim kapalı;</pre>'
    )
    assert pairs("", html) == [("paragraph", "İstanbul’u dinliyorum,<br>gözlerim kapalı;")]


# -- classic editor content (no <p> tags) -----------------------------------------------------

CLASSIC = """Türk çayı, <em>çaydanlık</em> denen iki katlı bir demlikte demlenir.

Alttaki demlikte suyu kaynatın.
On beş dakika demlenmeye bırakın.

<h3>Servis</h3>
İnce belli bardaklarda servis edin.
<ul>
<li>Şekerle</li>
<li>Limonla</li>
</ul>
Afiyet olsun!"""


def test_classic_content_is_split_into_paragraphs_at_blank_lines() -> None:
    assert pairs("", CLASSIC) == [
        ("paragraph", "Türk çayı, <em>çaydanlık</em> denen iki katlı bir demlikte demlenir."),
        ("paragraph", "Alttaki demlikte suyu kaynatın.<br>On beş dakika demlenmeye bırakın."),
        ("heading", "Servis"),
        ("paragraph", "İnce belli bardaklarda servis edin."),
        ("item", "Şekerle"),
        ("item", "Limonla"),
        ("paragraph", "Afiyet olsun!"),
    ]


def test_classic_content_hashes_as_wordpress_renders_it() -> None:
    autop = (
        "<p>Türk çayı, <em>çaydanlık</em> denen iki katlı bir demlikte demlenir.</p>\n"
        "<p>Alttaki demlikte suyu kaynatın.<br />\nOn beş dakika demlenmeye bırakın.</p>\n"
        "<h3>Servis</h3>\n<p>İnce belli bardaklarda servis edin.</p>\n"
        "<ul>\n<li>Şekerle</li>\n<li>Limonla</li>\n</ul>\n<p>Afiyet olsun!</p>\n"
    )
    assert analyze_html("Çay", autop) == analyze_html("Çay", CLASSIC)


def test_classic_caption_shortcode_is_a_caption() -> None:
    html = (
        '[caption id="attachment_40" align="aligncenter" width="300"]'
        '<img src="galata.jpg" alt="" width="300" height="200" /> Akşamüstü Galata Kulesi.'
        '[/caption]\n\n[gallery ids="40,41"]\n\nMetin'
    )
    assert pairs("", html) == [("caption", "Akşamüstü Galata Kulesi."), ("paragraph", "Metin")]


def test_block_content_keeps_newlines_as_white_space() -> None:
    html = "<!-- wp:paragraph -->\n<p>Bir\niki</p>\n<!-- /wp:paragraph -->"
    assert pairs("", html) == [("paragraph", "Bir iki")]
    assert pairs("", "<p>Bir\niki</p>", autop=False) == [("paragraph", "Bir iki")]
    assert pairs("", "<p>Bir\niki</p>", autop=True) == [("paragraph", "Bir<br>iki")]


# -- the content hash ------------------------------------------------------------------------


def test_hash_scheme() -> None:
    segments = [Segment(kind="title", text="Başlık"), Segment(kind="paragraph", text="Metin")]
    expected = hashlib.sha256("title\x1fBaşlık\x1eparagraph\x1fMetin".encode()).hexdigest()
    assert hash_segments(segments) == expected
    assert analyze_html("Başlık", "<p>Metin</p>").content_hash == expected


def test_rendered_block_content_hashes_like_the_raw_content() -> None:
    raw = analyze_html("İstanbul’da Bir Gün", GUTENBERG)
    served = analyze_html("İstanbul&#8217;da Bir Gün", rendered(GUTENBERG))
    assert served.segments == raw.segments
    assert served.content_hash == raw.content_hash


@pytest.mark.parametrize(
    "variant",
    [
        # attribute order, quoting, class/id/style/data-* and rel added by the editor
        '<p class=\'x\' id="p1">Bir <a title="t" href="/x">bağlantı</a>’lı cümle.<br>'
        "İkinci satır</p>",
        '<p style="text-align:left" data-block="1">Bir <a href="/x" title="t" '
        'rel="noopener noreferrer">bağlantı</a>&#8217;lı cümle.<br />İkinci satır</p>',
        # entities for characters, white space and line breaks around <br />
        "<p>\n  Bir <a href='/x' title='t'>bağlantı</a>&rsquo;lı   cümle.<br/>\n"
        "  İkinci satır\n</p>",
        # a span the editor added and emptied
        '<p>Bir <a href="/x" title="t">bağlantı</a><span class="x">’lı</span> cümle.<br>'
        "İkinci satır</p>",
        # Gutenberg comments around it
        '<!-- wp:paragraph {"className":"x"} -->\n<p class="x">Bir <a href="/x" title="t">'
        "bağlantı</a>’lı cümle.<br>İkinci satır</p>\n<!-- /wp:paragraph -->",
    ],
)
def test_wordpress_cosmetic_markup_does_not_change_the_hash(variant: str) -> None:
    base = analyze_html(
        "Başlık", '<p>Bir <a href="/x" title="t">bağlantı</a>’lı cümle.<br>İkinci satır</p>'
    )
    assert analyze_html("Başlık", variant).content_hash == base.content_hash


def test_image_attributes_wordpress_adds_do_not_change_the_hash() -> None:
    raw = '<p>Resim: <img src="/a.jpg" alt="Galata" class="wp-image-40"/></p>'
    served = (
        '<p>Resim: <img decoding="async" loading="lazy" width="300" height="200" '
        'src="/a.jpg" alt="Galata" class="wp-image-40" srcset="/a-300.jpg 300w" '
        'sizes="(max-width: 300px) 100vw, 300px" /></p>'
    )
    assert analyze_html("", raw).content_hash == analyze_html("", served).content_hash


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("<p>Çayı sütle içmeyin.</p>", "<p>Çayı limonla içmeyin.</p>"),
        ("<p>Один день в Стамбуле.</p>", "<p>Два дня в Стамбуле.</p>"),
        ("<p>Bir <em>simit</em> alın.</p>", "<p>Bir <strong>simit</strong> alın.</p>"),
        ('<p><a href="/a">bağlantı</a></p>', '<p><a href="/b">bağlantı</a></p>'),
        ("<p>Servis</p>", "<h3>Servis</h3>"),
        ("<p>Bir</p><p>iki</p>", "<p>Bir iki</p>"),
        (
            '<p>Kod:</p><pre class="wp-block-code"><code>çay = 1</code></pre>',
            '<p>Kod:</p><pre class="wp-block-code"><code>çay = 2</code></pre>',
        ),
    ],
)
def test_an_edit_changes_the_hash(before: str, after: str) -> None:
    assert analyze_html("Çay", before).content_hash != analyze_html("Çay", after).content_hash


def test_a_title_edit_changes_the_hash() -> None:
    html = "<p>Metin</p>"
    assert analyze_html("Çay", html).content_hash != analyze_html("Kahve", html).content_hash


def test_canonical_html() -> None:
    assert canonical_html('<b class="x">a</b>&#160;&amp; <br /> b') == "<b>a</b>\u00a0&amp;<br>b"


def test_polylang_export_posts_segment_alike_in_every_language() -> None:
    from sync.sources.wxr import read_wxr

    docs = list(read_wxr(WXR / "polylang.xml", source="wxr:test", languages=("en", "tr", "ru")))
    shapes = {
        d.lang: [s.kind for s in analyze_html(d.title, d.body).segments]
        for d in docs
        if getattr(d, "key", None) == "pll_65e1a3c2b7d4e"
    }
    assert set(shapes) == {"en", "tr", "ru"}
    assert shapes["en"] == shapes["tr"] == shapes["ru"]
    assert shapes["en"].count("cell") == 6


# -- properties --------------------------------------------------------------------------------

HTMLISH = st.lists(
    st.sampled_from(
        list("aİıçşЖж ’\n\t\u00a0&;#<>/=\"'\x0b")
        + ["<p>", "</p>", "<li>", "<ul>", "</ul>", "<br />", "<em>", "</em>", "<!-- wp:x -->"]
        + ["<blockquote>", "</blockquote>", "<td>", "<table>", "&#8217;", "&nbsp;", "&amp;"]
        + ["<pre>", "</pre>", '<a href="x">', "</a>", "<span>", "<h2>", "<script>"]
    ),
    max_size=40,
).map("".join)


@given(HTMLISH, st.text(max_size=20))
def test_segments_are_normalized_and_never_empty(html: str, title: str) -> None:
    analysis = analyze_html(title, html)
    for segment in analysis.segments:
        assert segment.text
        assert normalize_inline(segment.text) == segment.text
        assert "\x00" not in segment.text
    assert analysis.content_hash == hash_segments(analysis.segments)


@given(st.text(max_size=60))
def test_any_text_can_be_segmented(text: str) -> None:
    analyze_html(text, text)


@given(HTMLISH)
def test_segment_texts_are_fixed_points_of_canonical_html(html: str) -> None:
    assume(html.count("<a ") < 2)  # a link inside a link is invalid HTML and reparses apart
    for segment in analyze_html("", html, autop=False).segments:
        if segment.kind != "title":
            assert canonical_html(segment.text) == segment.text


# -- Gutenberg block attributes ---------------------------------------------------------------

BLOCKS = """<!-- wp:navigation {"ref":4} -->
<!-- wp:navigation-link {"label":"Enerji \\u0026 limanlar","url":"/enerji/","kind":"custom"} /-->
<!-- wp:navigation-link {"label":"Hakkımızda","title":"Kurum hakkında","url":"/hakkinda/"} /-->
<!-- /wp:navigation -->

<!-- wp:paragraph -->
<p>Karadeniz’de enerji güvenliği.</p>
<!-- /wp:paragraph -->

<!-- wp:image {"id":5,"alt":"Terminalde bir tanker","sizeSlug":"large"} -->
<figure class="wp-block-image size-large"><img src="tanker.jpg" alt="" class="wp-image-5"/></figure>
<!-- /wp:image -->

<!-- wp:acme/cta {"title":"Отчёт","text":"Скачать \\u003cstrong\\u003ePDF\\u003c/strong\\u003e",\
"cards":[{"caption":"Первая"},{"caption":"https://example.org/"}],"width":1.5,"wide":true} /-->

<!-- wp:acme/quote {"content":"Deniz \\u003cem\\u003eher şeydir\\u003c/em\\u003e",\
"style":{"x":null}} -->
<div class="wp-block-acme-quote"></div>
<!-- /wp:acme/quote -->"""


def test_block_attributes_that_hold_text_are_segments() -> None:
    """label, title, text, alt, caption and content, at any depth, where the comment is;
    rich text as HTML, alt and title as plain text (escaped); a URL or number is no text."""
    assert pairs("", BLOCKS) == [
        ("attribute", "Enerji &amp; limanlar"),
        ("attribute", "Hakkımızda"),
        ("attribute", "Kurum hakkında"),
        ("paragraph", "Karadeniz’de enerji güvenliği."),
        ("attribute", "Terminalde bir tanker"),
        ("attribute", "Отчёт"),
        ("attribute", "Скачать <strong>PDF</strong>"),
        ("attribute", "Первая"),
        ("attribute", "Deniz <em>her şeydir</em>"),
    ]


@pytest.mark.parametrize(
    "comment",
    [
        '<!-- wp:acme/cta {"title":"Broken",} /-->',  # not JSON
        '<!-- wp:acme/cta {"title":"Broken" /-->',
        '<!-- wp:acme/cta {"title":"Trailing"} junk /-->',
        '<!-- not a block {"title":"Nope"} -->',
        '<!-- wp:acme/cta {"url":"https://example.org","id":7} /-->',  # no text attribute
        '<!-- wp:acme/cta {"title":"   ","alt":"2024"} /-->',  # nothing a reader reads
    ],
)
def test_comments_without_readable_block_texts_are_not_text(comment: str) -> None:
    assert pairs("", f"{comment}<p>Metin</p>") == [("paragraph", "Metin")]


def test_a_block_attribute_change_is_an_edit() -> None:
    before = analyze_html("T", BLOCKS)
    after = analyze_html("T", BLOCKS.replace("Hakkımızda", "Biz kimiz"))
    assert before.content_hash != after.content_hash
    reordered = BLOCKS.replace('"url":"/hakkinda/"}', '"url":"/hakkinda/","rel":"x"}')
    assert analyze_html("T", reordered).content_hash == before.content_hash


def block_attributes(html: str) -> list[dict[str, object]]:
    """Every block comment's attributes, read with json (WordPress's parse_blocks reads
    the same JSON)."""
    return [json.loads(m.group(1)) for m in re.finditer(r"<!-- wp:\S+ (\{.*?\}) /?-->", html)]


def test_block_attribute_translations_go_into_the_same_attribute() -> None:
    translations = [
        "Energy & ports",
        "About us",
        "About the institute",
        "",
        'A tanker at the terminal, "Aurora"',
        "Report -- 2024",
        "Download the <strong>PDF</strong>",
        "First <b>card</b>",
        "The sea <em>is everything</em>",
    ]
    out = render_html(BLOCKS, translations)
    assert [t for _, t in pairs("", out)] == [
        "Energy &amp; ports",
        "About us",
        "About the institute",
        "Karadeniz’de enerji güvenliği.",
        'A tanker at the terminal, "Aurora"',
        "Report -- 2024",
        "Download the <strong>PDF</strong>",
        "First <b>card</b>",
        "The sea <em>is everything</em>",
    ]
    attributes = block_attributes(out)
    assert attributes[1] == {"label": "Energy & ports", "url": "/enerji/", "kind": "custom"}
    assert attributes[3]["alt"] == 'A tanker at the terminal, "Aurora"'
    assert attributes[4] == {
        "title": "Report -- 2024",
        "text": "Download the <strong>PDF</strong>",
        "cards": [{"caption": "First <b>card</b>"}, {"caption": "https://example.org/"}],
        "width": 1.5,
        "wide": True,
    }
    # written as WordPress writes block JSON: the comment stays one comment
    assert '"alt":"A tanker at the terminal, \\u0022Aurora\\u0022"' in out
    assert '"title":"Report \\u002d\\u002d 2024"' in out
    assert '"text":"Download the \\u003cstrong\\u003ePDF\\u003c/strong\\u003e"' in out
    # everything else as it was, byte for byte
    assert out.replace("About us", "Hakkımızda").count("<!--") == BLOCKS.count("<!--")
    assert '{"ref":4}' in out and "<p>Karadeniz’de enerji güvenliği.</p>" in out  # "": kept


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_attribute_translation_keeps_the_block_json_valid(text: str) -> None:
    assume(any(c.isalpha() for c in text))
    source = '<!-- wp:image {"alt":"Bir tanker","id":5} --><figure></figure><!-- /wp:image -->'
    try:
        out = render_html(source, [text])
    except ValueError:
        return  # refused (a translation that would not stay one segment): nothing written
    (attributes,) = block_attributes(out)
    assert attributes["id"] == 5
    assert attributes["alt"] == normalize_inline(__import__("html").unescape(text)).strip()
    assert out.count("-->") == 2 and "--" not in out[4 : out.index("-->")]
