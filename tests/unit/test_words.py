"""Word counts (sync.words) on English, Turkish and Russian text with markup, shortcodes,
numbers and URLs; the words of a change; prices; the settings that set them."""

from __future__ import annotations

import doctest
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sync.words
from sync.config import load_settings, parse_word_rates
from sync.errors import ConfigError
from sync.segments import Segment, analyze_markdown
from sync.words import changed_words, count_words, price, prose


def test_the_doctests() -> None:
    assert doctest.testmod(sync.words).failed == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # English: emphasis, a link (its text counts, its target does not), a footnote marker
        ('The **Black Sea** [grain deal](https://example.org/deal "Deal") held[^1].', 6),
        # numbers are one word each, however written (grouped with a no-break space too)
        (
            "In 2026 output rose 3.5% to 20,000,000 m³ — 1\u00a0000 more than 12:30 on 2026-03-01.",
            14,
        ),
        ("1 000", 2),  # a plain space separates two numbers
        # Turkish: the apostrophe of a suffix joins, dotted and dotless i are letters
        ("Türkiye'nin Sakarya sahası 2023'te ilk gazı verdi; İstanbul’da ışıklar yandı.", 10),
        ('{{< figure src="harita.png" caption="Karadeniz" >}} Boru hattı <em>uzun</em>.', 3),
        # Russian: hyphenated words are one, a URL none, inline HTML none
        ('Что-то изменилось: см. https://example.org/ru/docs и <a href="/ru">обзор</a>.', 5),
        ('Доклад о <abbr title="x">ЕС</abbr> и {{% note %}}примечание{{% /note %}} — 2,5 млн.', 7),
        # markup only: no words
        ('{{< ref "energy-security" >}} <br> [^note] `code()` <https://example.org>', 0),
        ("![](/img/map.png) [1]", 0),
        # an image's alt text is prose
        ("![Map of the Black Sea](/img/map.png)", 5),
        # WordPress: caption shortcode tags are none, the caption counts
        (
            '[caption id="attachment_7" align="alignleft"]<img src="a.jpg"> Limanda gemiler'
            "[/caption]",
            2,
        ),
        ("&nbsp;Entities&amp;more&hellip;", 2),
        ("e-posta: ayse@example.org, www.example.org/tr", 1),
        ("", 0),
        (None, 0),
    ],
)
def test_count_words(text: str | None, words: int) -> None:
    assert count_words(text) == words


def test_scripts_without_spaces_and_combining_marks() -> None:
    assert count_words("東京は大きい") == 6  # one word a character
    assert count_words("हिन्दी में लिखा") == 3  # vowel signs are marks inside words
    assert count_words("молоко́ и сме́тана") == 3  # a stress mark does not split a word


def test_markup_that_is_not_prose_is_removed() -> None:
    out = prose("Read [the **report**](https://x.org/r) {{< x >}} and `y`.").split()
    assert out == ["Read", "[the", "**report**", "and", "."]


def test_segments_of_a_real_post() -> None:
    body = (
        "First paragraph with [a link](https://example.org).\n\n"
        "- an item\n- another item[^1]\n\n"
        "```\ncode is not a segment\n```\n\n[^1]: A footnote.\n"
    )
    segs = analyze_markdown("A Title", body).segments
    assert [count_words(s.text) for s in segs] == [2, 5, 2, 2, 2]


def test_changed_words_are_those_of_changed_and_added_segments() -> None:
    old = [
        Segment(kind="title", text="Energy"),
        Segment(kind="paragraph", text="One two."),
        Segment(kind="paragraph", text="Gone paragraph."),
    ]
    new = [
        Segment(kind="title", text="Energy"),
        Segment(kind="paragraph", text="One two three."),
        Segment(kind="paragraph", text="A new paragraph of six words."),
        Segment(kind="paragraph", text="And another."),
    ]
    # "One two." → "One two three." is changed (3 words), the rest is added (6 + 2)
    assert changed_words(old, new) == 11
    assert changed_words(new, new) == 0
    assert changed_words([], new) == 1 + 3 + 6 + 2


@given(
    st.lists(
        st.sampled_from(
            ["güneş", "ışık", "слово", "word", "2026", "İzmir'de", "что-то", "state-of-the-art"]
        ),
        max_size=30,
    )
)
def test_words_joined_by_spaces_count_one_each(words: list[str]) -> None:
    assert count_words(" ".join(words)) == len(words)
    assert count_words(" — ".join(words)) == len(words)  # punctuation is no word


def test_prices_to_the_cent() -> None:
    assert price(0, Decimal("0.08")) == 0.0
    assert price(258, Decimal("0.08")) == 20.64
    assert price(3, Decimal("0.005")) == 0.02  # half up


def test_word_rate_settings() -> None:
    assert parse_word_rates("0.1", ("en", "tr")) == {"en": Decimal("0.1"), "tr": Decimal("0.1")}
    assert parse_word_rates("", ("en",)) == {}
    for bad in ("tr=abc", "xx=0.1", "-1", "tr=nan"):
        with pytest.raises(ConfigError):
            parse_word_rates(bad, ("en", "tr", "ru"))
    settings = load_settings(
        {
            "TRANSYNC_WORD_RATE": "tr=0.08,ru=0.07",
            "TRANSYNC_CURRENCY": "TRY",
            "TRANSYNC_FORECAST_DAYS": "30",
        },
        config_file=None,
    )
    assert settings.word_rates == {"tr": Decimal("0.08"), "ru": Decimal("0.07")}
    assert (settings.currency, settings.forecast_days) == ("TRY", 30)
    assert load_settings({}, config_file=None).forecast_days == 60
    with pytest.raises(ConfigError, match="TRANSYNC_FORECAST_DAYS"):
        load_settings({"TRANSYNC_FORECAST_DAYS": "0"}, config_file=None)
    with pytest.raises(ConfigError, match="TRANSYNC_WORD_RATE"):
        load_settings({"TRANSYNC_WORD_RATE": "tr=x"}, config_file=None)


def test_the_fast_path_misses_no_combining_mark() -> None:
    """Text with nothing in these blocks is counted with a small class of marks: every
    other mark below U+3000 must be in them (checked against this Python's Unicode)."""
    import unicodedata

    from sync.words import _BEYOND_GREEK_AND_CYRILLIC

    missed = [
        hex(c)
        for c in range(0x300, 0x3000)
        if unicodedata.category(chr(c)).startswith("M")
        and not (0x300 <= c <= 0x36F or 0x483 <= c <= 0x489)
        and not _BEYOND_GREEK_AND_CYRILLIC.match(chr(c))
    ]
    assert missed == []
    # the same counts either way
    assert (
        count_words("«Соба́ка» — друг; “quoted” it’s")
        == count_words("«Соба́ка» — друг; “quoted” it’s \u05d0") - 1
    )
