"""Generated inputs: a content tree of N posts in three languages (about 20 paragraphs each),
catalog entries, one very long post, and a WordPress export (WXR) with Polylang groups."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WORDS = {
    "en": (
        "energy security water policy corridor transport grain market labour migration "
        "climate adaptation heat rail investment region border trade pipeline port "
        "electricity storage agreement analysis institute report growth"
    ).split(),
    "tr": (
        "enerji güvenliği su politikası koridor ulaşım tahıl piyasa emek göç iklim uyum "
        "sıcaklık demiryolu yatırım bölge sınır ticaret boru hattı liman elektrik depolama "
        "anlaşma analiz enstitü rapor büyüme"
    ).split(),
    "ru": (
        "энергетическая безопасность водная политика коридор транспорт зерно рынок труд "
        "миграция климат адаптация жара железная дорога инвестиции регион граница торговля "
        "трубопровод порт электричество хранение соглашение анализ институт доклад рост"
    ).split(),
}
LANGS = ("en", "tr", "ru")


def paragraph(rng: random.Random, lang: str, n: int = 45) -> str:
    text = " ".join(rng.choices(WORDS[lang], k=n))
    return text[0].upper() + text[1:] + "."


def translate(text: str, lang: str) -> str:
    """An English generated text with each word replaced by the word at the same place in
    `lang`'s list: the same length, punctuation and numbers (PO checks pass)."""
    table = dict(zip(WORDS["en"], WORDS[lang], strict=False))
    out = []
    for word in text.split(" "):
        core = word.rstrip(".,")
        tail = word[len(core) :]
        low = core.lower()
        if low in table:
            new = table[low]
            core = new[0].upper() + new[1:] if core[:1].isupper() else new
        out.append(core + tail)
    return " ".join(out)


def post_text(rng: random.Random, lang: str, i: int, paragraphs: int) -> str:
    blocks = []
    for p in range(paragraphs):
        if p % 7 == 3:
            blocks.append("## " + paragraph(rng, lang, 5).rstrip("."))
        else:
            blocks.append(paragraph(rng, lang))
    title = paragraph(rng, lang, 6).rstrip(".")
    return (
        f'---\ntitle: "{title} {i}"\ndate: 2026-01-01T00:00:00Z\ndraft: false\n'
        f"translationKey: post-{i:06d}\n---\n\n" + "\n\n".join(blocks) + "\n"
    )


def generate(root: Path, posts: int, *, paragraphs: int = 20, seed: int = 7) -> int:
    """Write the tree (folder-per-language layout); returns the number of files."""
    files = 0
    for lang in LANGS:
        rng = random.Random(f"{seed}-{lang}")
        base = root / lang / "posts"
        for i in range(posts):
            d = base / f"{i // 1000:03d}"
            if i % 1000 == 0:
                d.mkdir(parents=True, exist_ok=True)
            (d / f"post-{i:06d}.md").write_text(
                post_text(rng, lang, i, paragraphs), encoding="utf-8"
            )
            files += 1
    return files


def change_sources(root: Path, fraction: float, *, seed: int = 11) -> int:
    """Edit one paragraph in `fraction` of the English sources."""
    files = sorted((root / "en" / "posts").rglob("*.md"))
    rng = random.Random(seed)
    chosen = rng.sample(files, max(1, int(len(files) * fraction)))
    for path in chosen:
        text = path.read_text(encoding="utf-8")
        parts = text.split("\n\n")
        parts[2] = paragraph(rng, "en")
        path.write_text("\n\n".join(parts), encoding="utf-8")
    return len(chosen)


def long_post(root: Path, paragraphs: int, *, key: str = "long-post", seed: int = 5) -> Path:
    """One English post with `paragraphs` paragraphs (every seventh a heading)."""
    rng = random.Random(seed)
    text = post_text(rng, "en", 0, paragraphs).replace(
        "translationKey: post-000000", f"translationKey: {key}"
    )
    path = root / "en" / "posts" / f"{key}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def paragraph_length(rng: random.Random) -> int:
    """Words in a paragraph: 5 to 120, most between 20 and 70 (a skewed triangle)."""
    return int(rng.triangular(5, 121, 40))


def catalog_entries(count: int, lang: str, *, seed: int = 3, per_post: int = 20) -> list[Any]:
    """CatalogEntry objects as one language's export would hold them: 20 a post, the first
    the title with the state comment; 70% translated, 15% fuzzy (stale, with the previous
    msgid), 15% untranslated; paragraphs of 5-120 words; msgstr in `lang`."""
    from sync.catalog import CatalogEntry

    rng = random.Random(seed)
    en, target = WORDS["en"], WORDS[lang]
    picks = rng.choices(range(len(en)), k=1 << 18)  # windows of one long random text
    en_seq = [en[p] for p in picks]
    tr_seq = [target[p % len(target)] for p in picks]
    top = len(picks) - 130
    entries = []
    for i in range(count):
        post, pos = divmod(i, per_post)
        key = f"post-{post:06d}"
        n = rng.randint(4, 9) if pos == 0 else paragraph_length(rng)
        at = rng.randrange(top)
        msgid = " ".join(en_seq[at : at + n])
        msgstr = " ".join(tr_seq[at : at + n])
        msgid, msgstr = msgid[0].upper() + msgid[1:], msgstr[0].upper() + msgstr[1:]
        if pos:
            msgid, msgstr = msgid + ".", msgstr + "."
        roll = rng.random()
        fuzzy = 0.70 <= roll < 0.85
        previous = None
        if fuzzy:
            at = rng.randrange(top)
            previous = " ".join(en_seq[at : at + n]) + "."
        src = f"en/posts/{post // 1000:03d}/{key}.md"
        entries.append(
            CatalogEntry(
                key=key,
                msgid=msgid,
                msgstr="" if roll >= 0.85 else msgstr,
                fuzzy=fuzzy,
                previous_msgid=previous,
                comments=(
                    (f"state: current; source: en r1; based on r1; task #{post} queued",)
                    if pos == 0
                    else ()
                ),
                occurrences=(src, f"{lang}/posts/{post // 1000:03d}/{key}.md")
                if pos == 0
                else (src,),
            )
        )
    return entries


# -- WXR ------------------------------------------------------------------------------------

WXR_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!-- generated by transync's benchmark: Polylang, en/tr/ru translation groups -->
<rss version="2.0"
\txmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
\txmlns:content="http://purl.org/rss/1.0/modules/content/"
\txmlns:wfw="http://wellformedweb.org/CommentAPI/"
\txmlns:dc="http://purl.org/dc/elements/1.1/"
\txmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
\t<title>Bench</title>
\t<link>https://example.org</link>
\t<language>en-US</language>
\t<wp:wxr_version>1.2</wp:wxr_version>
\t<wp:base_site_url>https://example.org</wp:base_site_url>
\t<wp:base_blog_url>https://example.org</wp:base_blog_url>
"""
LOCALES = {"en": "en_US", "tr": "tr_TR", "ru": "ru_RU"}


def _php_map(pairs: dict[str, Any]) -> str:
    """A PHP-serialized array of string keys to ints or strings."""
    out = [f"a:{len(pairs)}:{{"]
    for k, v in pairs.items():
        out.append(f's:{len(k.encode())}:"{k}";')
        if isinstance(v, int):
            out.append(f"i:{v};")
        else:
            out.append(f's:{len(str(v).encode())}:"{v}";')
    out.append("}")
    return "".join(out)


def _term(term_id: int, taxonomy: str, slug: str, description: str) -> str:
    return (
        f"\t<wp:term><wp:term_id>{term_id}</wp:term_id>"
        f"<wp:term_taxonomy><![CDATA[{taxonomy}]]></wp:term_taxonomy>"
        f"<wp:term_slug><![CDATA[{slug}]]></wp:term_slug>"
        f"<wp:term_name><![CDATA[{slug}]]></wp:term_name>"
        f"<wp:term_description><![CDATA[{description}]]></wp:term_description>"
        "</wp:term>\n"
    )


def _html_body(rng: random.Random, lang: str, blocks: int) -> str:
    out = []
    for b in range(blocks):
        if b % 7 == 3:
            text = escape(paragraph(rng, lang, 5).rstrip("."))
            out.append(
                f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{text}</h2>\n'
                "<!-- /wp:heading -->"
            )
        elif b % 9 == 5:
            items = "".join(
                f"<!-- wp:list-item -->\n<li>{escape(paragraph(rng, lang, 12))}"
                "</li>\n<!-- /wp:list-item -->"
                for _ in range(3)
            )
            out.append(
                f'<!-- wp:list -->\n<ul class="wp-block-list">{items}</ul>\n<!-- /wp:list -->'
            )
        else:
            text = escape(paragraph(rng, lang, paragraph_length(rng)))
            out.append(
                f"<!-- wp:paragraph -->\n<p>{text} <em>{escape(rng.choice(WORDS[lang]))}"
                f"</em></p>\n<!-- /wp:paragraph -->"
            )
    return "\n\n".join(out)


def _items(rng: random.Random, items: int, blocks: int) -> Iterator[str]:
    for i in range(items):
        group, li = divmod(i, 3)
        lang = LANGS[li]
        post_id = 100 + i
        slug = f"pll_{group:010x}"
        title = escape(paragraph(rng, lang, 6).rstrip("."))
        body = _html_body(rng, lang, blocks)
        yield (
            "\t<item>\n"
            f"\t\t<title><![CDATA[{title} {group}]]></title>\n"
            f"\t\t<link>https://example.org/{lang}/post-{group}/</link>\n"
            f'\t\t<guid isPermaLink="false">https://example.org/?p={post_id}</guid>\n'
            f"\t\t<content:encoded><![CDATA[{body}]]></content:encoded>\n"
            f"\t\t<wp:post_id>{post_id}</wp:post_id>\n"
            "\t\t<wp:post_date_gmt><![CDATA[2024-03-01 09:00:00]]></wp:post_date_gmt>\n"
            f"\t\t<wp:post_name><![CDATA[post-{group}-{lang}]]></wp:post_name>\n"
            "\t\t<wp:status><![CDATA[publish]]></wp:status>\n"
            "\t\t<wp:post_type><![CDATA[post]]></wp:post_type>\n"
            f'\t\t<category domain="language" nicename="{lang}"><![CDATA[{lang}]]></category>\n'
            f'\t\t<category domain="post_translations" nicename="{slug}">'
            f"<![CDATA[{slug}]]></category>\n"
            "\t\t<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key>"
            "<wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>\n"
            "\t</item>\n"
        )


def write_wxr(path: Path, items: int, *, blocks: int = 20, seed: int = 13) -> int:
    """A WordPress export of `items` posts in Polylang groups of three (en, tr, ru), with
    Gutenberg block comments; returns the file size in bytes."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(WXR_HEAD)
        term_id = 2
        for lang in LANGS:
            f.write(_term(term_id, "language", lang, _php_map({"locale": LOCALES[lang], "rtl": 0})))
            term_id += 1
        for group in range((items + 2) // 3):
            members = {LANGS[j]: 100 + group * 3 + j for j in range(3) if group * 3 + j < items}
            f.write(_term(term_id, "post_translations", f"pll_{group:010x}", _php_map(members)))
            term_id += 1
        for chunk in _items(rng, items, blocks):
            f.write(chunk)
        f.write("</channel>\n</rss>\n")
    return path.stat().st_size
