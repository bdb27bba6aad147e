"""Word counts: how much translatable text a segment, a version or a change holds.

Pure: no database, no I/O. A word is a run of letters, digits and combining marks in any
script; an apostrophe or a hyphen inside a run joins it (``İstanbul'da``, ``что-то``,
``state-of-the-art`` are one word each), and so do ``. , : /`` between digits, so a number
is one word (``1,234.56``, ``12:30``, ``3.5%``, and ``1 000`` grouped with a no-break or
thin space; with a plain space, two). Chinese and Japanese characters, written
without spaces, count one word each. What a translator does not translate counts as none:
Hugo shortcodes (``{{< figure … >}}``), WordPress shortcode tags (``[caption id="1"]``),
HTML tags and comments, link and image targets, autolinks, bare URLs and e-mail addresses,
code spans and footnote markers (``[^1]``, ``[2]``). Link texts and image alt texts are
prose and count.

>>> count_words("The **energy** [report](https://example.org/r) is out[^1].")
5
>>> count_words("İstanbul'da 1.250 kişi {{< ref \\"x\\" >}} <b>katıldı</b>.")
4
>>> count_words("Доклад о 3,5% росте: см. https://example.org/ru.")
5
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["changed_words", "count_words", "price", "segments_words"]

_SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}", re.DOTALL)
_WP_SHORTCODE = re.compile(
    r"\[/[A-Za-z_][\w-]*\]"  # a closing tag
    r"|\[[A-Za-z_][\w-]*(?:\s+[\w-]+=(?:\"[^\"]*\"|'[^']*'|[^\s\]]+))+\s*/?\]"  # attributes
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>|<[^\s<>@]+@[^\s<>]+>")
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]|\[\d+\]")
# ](target "title") of a link or image (one level of parentheses inside), ][label] of a
# reference link: the bracketed text before stays
_LINK_TARGET = re.compile(
    r"\]\(\s*(?:<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)|\]\[[^\]]*\]"
)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>")
_URL = re.compile(
    r"\b(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.|mailto:)\S+"
    r"|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+",
    re.IGNORECASE,
)
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# a number grouped with no-break or thin spaces (1 000 000, as Russian and French write it)
_GROUPED = re.compile("(?<![\\d\u00a0\u202f\u2009])\\d{1,3}(?:[\u00a0\u202f\u2009]\\d{3})+(?!\\d)")
_GROUP_SPACE = re.compile("[\u00a0\u202f\u2009]")
# outside these blocks (and below U+3000) the only combining marks are U+0300-036F and
# U+0483-0489: a small class, a quarter of the cost of every mark's (a Turkish or Russian
# paragraph, typographic quotes and dashes included, is counted twice as fast)
_BEYOND_GREEK_AND_CYRILLIC = re.compile(
    "[\u0590-\u1fff\u20d0-\u20ff\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u3000-\U0010ffff]"
)
_SMALL = "\\w\u0300-\u036f\u0483-\u0489"
_EUROPEAN_WORD = re.compile(
    f"[^\\W_][{_SMALL}]*(?:(?:['\u2019\u02bc\\-\u2010\u2011]|(?<=\\d)[.,:/](?=\\d))[{_SMALL}]+)*"
)
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+(?:(?:['\-]|(?<=\d)[.,:/](?=\d))[A-Za-z0-9]+)*")
# the passes below, each with a string its matches contain (absent: the pass is skipped)
_MARKUP = (
    (_SHORTCODE, "{{"),
    (_COMMENT, "<!--"),
    (_AUTOLINK, "<"),
    (_CODE_SPAN, "`"),
    (_FOOTNOTE, "["),
    (_LINK_TARGET, "]"),
    (_WP_SHORTCODE, "["),
    (_TAG, "<"),
)


@functools.cache
def _word() -> re.Pattern[str]:
    """The word pattern outside ASCII: word characters and combining marks (Python's ``\\w``
    leaves marks out, which would split Devanagari or a stressed Russian word in pieces).
    Marks are read from unicodedata once, up to the end of the Supplementary Multilingual
    Plane (about 30 ms)."""
    ranges: list[str] = []
    start = None
    category = unicodedata.category
    for code in range(0x300, 0x20001):
        mark = code < 0x20000 and category(chr(code))[0] == "M"
        if mark and start is None:
            start = code
        elif not mark and start is not None:
            ranges.append(f"{chr(start)}-{chr(code - 1)}")
            start = None
    marks = "".join(ranges)
    run = rf"[^\W_][\w{marks}]*"
    tail = rf"[\w{marks}]+"
    return re.compile(rf"{run}(?:(?:['\u2019\u02bc\-\u2010\u2011]|(?<=\d)[.,:/](?=\d)){tail})*")


def prose(text: str) -> str:
    """The text with what counts as no word removed (each piece becomes a space).

    >>> prose('See [the map](/m "Map") {{< figure src="a.png" >}} `code`').split()
    ['See', '[the', 'map']
    """
    for pattern, needle in _MARKUP:
        if needle in text:
            text = pattern.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    if "://" in text or "www." in text or "@" in text or "mailto:" in text:
        text = _URL.sub(" ", text)
    return text


def count_words(text: str | None) -> int:
    """The translatable words of one segment's text.

    >>> count_words("Well-known facts: 12:30, 1,000 and 3/4 — all counted once.")
    9
    >>> count_words("東京は大きい"), count_words("हिन्दी भाषा"), count_words("")
    (6, 2, 0)
    """
    if not text:
        return 0
    text = prose(text)
    if text.isascii():
        return len(_ASCII_WORD.findall(text.replace("_", " ")))
    cjk = 0
    if "\u00a0" in text or "\u202f" in text or "\u2009" in text:
        text = _GROUPED.sub(lambda m: _GROUP_SPACE.sub("", m.group()), text)
    if _BEYOND_GREEK_AND_CYRILLIC.search(text) is None:  # Latin, Greek, Cyrillic: the marks
        return len(_EUROPEAN_WORD.findall(text.replace("_", " ")))  # they may have are few
    if _CJK.search(text):
        text, cjk = _CJK.subn(" ", text)
    return cjk + len(_word().findall(text.replace("_", " ")))


def segments_words(segments: Iterable[Any]) -> int:
    """Words of segments (anything with a ``text``)."""
    return sum(count_words(s.text) for s in segments)


def changed_words(old: Sequence[Any], new: Sequence[Any]) -> int:
    """The work of bringing a translation of ``old`` up to ``new``: the words of the new
    segments that changed or were added (what ``diff_segments`` calls them).

    >>> from sync.segments import Segment as S
    >>> changed_words([S(kind="title", text="A title"), S(kind="paragraph", text="Old text.")],
    ...               [S(kind="title", text="A title"), S(kind="paragraph", text="New text."),
    ...                S(kind="paragraph", text="Three more words.")])
    5
    """
    from sync.segments import diff_segments

    diff = diff_segments(old, new)
    return sum(count_words(op.new_text) for op in diff.ops if op.tag in ("changed", "added"))


def price(words: int, rate: Any) -> float:
    """What ``words`` cost at ``rate`` a word, to the cent (half up).

    >>> from decimal import Decimal
    >>> price(1234, Decimal("0.075"))
    92.55
    """
    from decimal import ROUND_HALF_UP, Decimal

    return float((Decimal(words) * Decimal(rate)).quantize(Decimal("0.01"), ROUND_HALF_UP))
