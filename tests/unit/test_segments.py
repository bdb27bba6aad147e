"""Tests for sync.segments: segmenting Markdown, the content hash, diffs and alignment."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.segments import Segment, align, analyze_markdown, diff_segments
from sync.segments.markdown import HARD_BREAK

TURKISH = """\
# İstanbul'da bir *gün*

Sabah erkenden [Galata Köprüsü](https://example.com/galata)'ne yürüdük ve
<abbr title="Türkiye Cumhuriyeti">TC</abbr> bayrağını gördük.[^1]

- Simit ve çay
- Balık ekmek,
  ılık bir öğle vakti

  İkinci paragraf
  - iç içe madde

> Şehir, denizin üstünde
> yüzen bir düştür.

| Semt | Ünlü yeri |
|------|-----------|
| Fatih | Ayasofya |
| Beyoğlu |  |

```python
print("merhaba")
```

[^1]: Bayrak her yerde
    dalgalanıyordu.
"""

TURKISH_SEGMENTS = [
    Segment(kind="title", text="İstanbul Günlüğü"),
    Segment(kind="heading", text="İstanbul'da bir *gün*"),
    Segment(
        kind="paragraph",
        text="Sabah erkenden [Galata Köprüsü](https://example.com/galata)'ne yürüdük ve "
        '<abbr title="Türkiye Cumhuriyeti">TC</abbr> bayrağını gördük.[^1]',
    ),
    Segment(kind="item", text="Simit ve çay"),
    Segment(kind="item", text="Balık ekmek, ılık bir öğle vakti"),
    Segment(kind="item", text="İkinci paragraf"),
    Segment(kind="item", text="iç içe madde"),
    Segment(kind="quote", text="Şehir, denizin üstünde yüzen bir düştür."),
    Segment(kind="cell", text="Semt"),
    Segment(kind="cell", text="Ünlü yeri"),
    Segment(kind="cell", text="Fatih"),
    Segment(kind="cell", text="Ayasofya"),
    Segment(kind="cell", text="Beyoğlu"),
    Segment(kind="footnote", text="Bayrak her yerde dalgalanıyordu."),
]

RUSSIAN = """\
Заголовок второго уровня
------------------------

Москва\u00a0— столица России. См. **[карту](https://example.com/map "Карта")**.

1. Первый пункт
2. Второй пункт с `кодом`

Пример:

    отступленный код

<div class="note">
  Важное <b>замечание</b>
</div>

<!-- more -->
"""


def segs(body: str, title: str = "") -> list[Segment]:
    return list(analyze_markdown(title, body).segments)


def digest(body: str, title: str = "T") -> str:
    return analyze_markdown(title, body).content_hash


# ---------------------------------------------------------------- segmenting


def test_turkish_document_gives_every_kind_in_order() -> None:
    assert segs(TURKISH, "  İstanbul\n Günlüğü ") == TURKISH_SEGMENTS


def test_russian_document_setext_heading_ordered_list_html_block() -> None:
    assert segs(RUSSIAN, "Москва") == [
        Segment(kind="title", text="Москва"),
        Segment(kind="heading", text="Заголовок второго уровня"),
        Segment(
            kind="paragraph",
            text='Москва\u00a0— столица России. См. **[карту](https://example.com/map "Карта")**.',
        ),
        Segment(kind="item", text="Первый пункт"),
        Segment(kind="item", text="Второй пункт с `кодом`"),
        Segment(kind="paragraph", text="Пример:"),
        Segment(kind="html", text='<div class="note"> Важное <b>замечание</b> </div>'),
    ]


def test_empty_title_is_omitted_and_empty_body_has_no_segments() -> None:
    assert segs("Metin.") == [Segment(kind="paragraph", text="Metin.")]
    assert segs("", "  ") == []
    assert segs("", "Başlık") == [Segment(kind="title", text="Başlık")]


def test_code_blocks_are_not_segments() -> None:
    body = "Önce:\n\n```sh\necho merhaba\n```\n\n    indented code\n\nSonra."
    assert [s.text for s in segs(body)] == ["Önce:", "Sonra."]


HIGHLIGHT = """\
Kurun:
{{< highlight python "linenos=table" >}}
def main():
    print("merhaba")
{{< /highlight >}}

- Madde

  {{% code %}}
  ls   -la
  {{% /code %}}

> {{< highlight go >}}
> x := 1
> {{< /highlight >}}

{{< highlight sh >}}echo tek satır{{< /highlight >}}

Sonra.
"""


def test_code_shortcodes_are_code_blocks_not_segments() -> None:
    assert segs(HIGHLIGHT) == [
        Segment(kind="paragraph", text="Kurun:"),
        Segment(kind="item", text="Madde"),
        Segment(kind="paragraph", text="Sonra."),
    ]


def test_code_shortcode_content_is_hashed_like_code() -> None:
    assert digest(HIGHLIGHT.replace('"merhaba"', '"selam"')) != digest(HIGHLIGHT)
    assert digest(HIGHLIGHT.replace("    print", "  print")) != digest(HIGHLIGHT)
    assert digest(HIGHLIGHT.replace("python", "py")) != digest(HIGHLIGHT)
    assert digest(HIGHLIGHT.replace("{{% /code %}}", "{{< /code >}}")) != digest(HIGHLIGHT)
    assert digest(HIGHLIGHT.replace("\n", "  \r\n")) == digest(HIGHLIGHT)


def test_shortcodes_that_hold_no_code_stay_text() -> None:
    assert [s.text for s in segs("{{< code >}}\nnot closed\n\nPara.\n")] == [
        "{{< code >}} not closed",
        "Para.",
    ]
    assert [s.text for s in segs('{{< code src="a.go" />}}\n')] == ['{{< code src="a.go" />}}']
    assert [s.text for s in segs("{{< code-block >}}\nx\n{{< /code-block >}}\n")] == [
        "{{< code-block >}} x {{< /code-block >}}"
    ]
    assert [s.text for s in segs("{{</* highlight go */>}}\nx\n{{</* /highlight */>}}\n")] == [
        "{{</* highlight go */>}} x {{</* /highlight */>}}"
    ]


def test_code_shortcode_closed_outside_its_list_item_is_not_code() -> None:
    body = "- {{< highlight go >}}\n  x := 1\n\n{{< /highlight >}}\n"
    assert [s.kind for s in segs(body)] == ["item", "paragraph"]


def test_html_block_without_visible_text_is_not_a_segment() -> None:
    body = '<!-- more -->\n\n<img src="a.png" alt="x">\n\n<script>var a = 1;</script>\n\nMetin.'
    assert segs(body) == [Segment(kind="paragraph", text="Metin.")]


def test_quote_containing_list_and_list_containing_quote() -> None:
    body = "> - alıntıdaki madde\n>\n> alıntı\n\n- > maddedeki alıntı\n"
    assert segs(body) == [
        Segment(kind="item", text="alıntıdaki madde"),
        Segment(kind="quote", text="alıntı"),
        Segment(kind="quote", text="maddedeki alıntı"),
    ]


def test_footnotes_stay_in_source_order_even_unreferenced() -> None:
    body = "Metin.[^b]\n\n[^a]: Kullanılmayan not.\n\n[^b]: Birinci.\n\n    İkinci paragraf.\n"
    assert segs(body) == [
        Segment(kind="paragraph", text="Metin.[^b]"),
        Segment(kind="footnote", text="Kullanılmayan not."),
        Segment(kind="footnote", text="Birinci."),
        Segment(kind="footnote", text="İkinci paragraf."),
    ]


def test_table_cells_keep_escaped_pipes_and_inline_markup() -> None:
    body = "| a \\| b | `x \\| y` |\n|---|---|\n| **kalın** | [bağ](https://e.com) |\n"
    assert [s.text for s in segs(body)] == [
        "a \\| b",
        "`x \\| y`",
        "**kalın**",
        "[bağ](https://e.com)",
    ]


def test_inline_markup_is_verbatim_not_rendered() -> None:
    body = 'Bir ![resim](a.png "Başlık") ve <span lang="ru">слово</span>\\\nve &amp; `kod`.'
    assert segs(body) == [
        Segment(
            kind="paragraph",
            # the backslash ends the line: a hard break, kept (flattened, "\\ ve" would be
            # a backslash shown before a space)
            text='Bir ![resim](a.png "Başlık") ve <span lang="ru">слово</span>\\\nve &amp; `kod`.',
        )
    ]


def test_segment_texts_are_nfc() -> None:
    body = unicodedata.normalize("NFD", "Ölçü ёлка")
    assert segs(body)[0].text == "Ölçü ёлка"


# ---------------------------------------------------------------- content hash


def test_cosmetic_edits_keep_the_hash() -> None:
    base = digest(TURKISH)
    crlf = TURKISH.replace("\n", "\r\n")
    trailing = TURKISH.replace("\n", "  \t\n")
    nfd = unicodedata.normalize("NFD", TURKISH)
    rewrapped = TURKISH.replace("yürüdük ve\n<abbr", "yürüdük\nve <abbr").replace(
        "Şehir, denizin üstünde\n> yüzen", "Şehir,\n> denizin   üstünde yüzen"
    )
    extra_blank_lines = TURKISH.replace("\n\n", "\n\n\n\n")
    for variant in (crlf, trailing, nfd, rewrapped, extra_blank_lines):
        assert variant != TURKISH
        assert digest(variant) == base
    assert digest(TURKISH, " T\t") == base
    assert digest(TURKISH, unicodedata.normalize("NFD", "T")) == base


def test_one_word_edit_changes_the_hash() -> None:
    assert digest(TURKISH.replace("Simit ve çay", "Simit ve kahve")) != digest(TURKISH)


def test_title_edit_changes_the_hash() -> None:
    assert digest(TURKISH, "Başlık") != digest(TURKISH, "Başlik")


def test_code_only_edit_changes_the_hash() -> None:
    assert digest(TURKISH.replace('print("merhaba")', 'print("selam")')) != digest(TURKISH)
    assert digest(TURKISH.replace("```python", "```py")) != digest(TURKISH)
    body = "Metin.\n\n    kod\n"
    assert digest(body) != digest("Metin.\n\n    kod2\n")


def test_code_trailing_spaces_and_crlf_keep_the_hash() -> None:
    assert digest("```\nx = 1\n```\n") == digest("```\r\nx = 1   \r\n\r\n```\r\n")


def test_code_indentation_edit_changes_the_hash() -> None:
    assert digest("```\nif a:\n    b\n```\n") != digest("```\nif a:\n  b\n```\n")


def test_invisible_html_and_link_reference_edits_change_the_hash() -> None:
    assert digest("Metin.\n\n<!-- a -->\n") != digest("Metin.\n\n<!-- b -->\n")
    ref = "Bkz. [site][s].\n\n[s]: https://example.com/{}\n"
    assert digest(ref.format("a")) != digest(ref.format("b"))


def test_block_kind_change_changes_the_hash() -> None:
    assert digest("Merhaba\n") != digest("# Merhaba\n")
    assert digest("- Merhaba\n") != digest("> Merhaba\n")


def test_moving_a_word_across_blocks_changes_the_hash() -> None:
    assert digest("a b\n\nc\n") != digest("a\n\nb c\n")


def test_hash_is_full_sha256_hex() -> None:
    analysis = analyze_markdown("T", TURKISH)
    assert len(analysis.content_hash) == 64
    int(analysis.content_hash, 16)
    assert analysis.short_hash == analysis.content_hash[:16]


# ---------------------------------------------------------------- diff


def test_diff_identical_is_all_equal() -> None:
    old = segs(TURKISH, "T")
    diff = diff_segments(old, old)
    assert (diff.changed, diff.added, diff.removed) == (0, 0, 0)
    assert diff.is_unchanged
    assert [op.tag for op in diff.ops] == ["equal"] * len(old)


def test_diff_one_edited_paragraph_is_one_change() -> None:
    old = segs("Bir.\n\nİki.\n\nÜç.\n")
    new = segs("Bir.\n\nİki, düzeltildi.\n\nÜç.\n")
    diff = diff_segments(old, new)
    assert (diff.changed, diff.added, diff.removed) == (1, 0, 0)
    (changed,) = [op for op in diff.ops if op.tag == "changed"]
    assert (changed.old_index, changed.new_index) == (1, 1)
    assert (changed.old_text, changed.new_text) == ("İki.", "İki, düzeltildi.")


def test_diff_inserted_paragraph_is_one_addition() -> None:
    old = segs("Один.\n\nДва.\n")
    new = segs("Один.\n\nНовый.\n\nДва.\n")
    diff = diff_segments(old, new)
    assert (diff.changed, diff.added, diff.removed) == (0, 1, 0)
    (added,) = [op for op in diff.ops if op.tag == "added"]
    assert (added.old_index, added.new_index, added.new_text) == (None, 1, "Новый.")


def test_diff_deleted_paragraph_is_one_removal() -> None:
    diff = diff_segments(segs("Один.\n\nДва.\n\nТри.\n"), segs("Один.\n\nТри.\n"))
    assert (diff.changed, diff.added, diff.removed) == (0, 0, 1)
    (removed,) = [op for op in diff.ops if op.tag == "removed"]
    assert (removed.old_index, removed.new_index, removed.old_text) == (1, None, "Два.")


def test_diff_replace_pairs_then_counts_the_rest() -> None:
    old = [Segment(kind="paragraph", text=t) for t in ("a", "b", "c", "d")]
    new = [Segment(kind="paragraph", text=t) for t in ("a", "x", "d")]
    diff = diff_segments(old, new)
    assert (diff.changed, diff.added, diff.removed) == (1, 0, 1)
    assert [(op.tag, op.old_index, op.new_index) for op in diff.ops] == [
        ("equal", 0, 0),
        ("changed", 1, 1),
        ("removed", 2, None),
        ("equal", 3, 2),
    ]


def test_diff_from_nothing_is_all_added() -> None:
    diff = diff_segments([], segs("Bir.\n\nİki.\n"))
    assert (diff.changed, diff.added, diff.removed) == (0, 2, 0)


# ---------------------------------------------------------------- align


def test_align_by_position_when_kinds_match() -> None:
    source = segs("# Başlık\n\nParagraf.\n\n- madde\n", "Ad")
    translation = segs("# Заголовок\n\nАбзац.\n\n- пункт\n", "Имя")
    assert align(source, translation) == ["Имя", "Заголовок", "Абзац.", "пункт"]


def test_align_fallback_skips_an_extra_translated_block() -> None:
    source = segs("# Başlık\n\nParagraf.\n\n- madde\n")
    translation = segs("# Заголовок\n\nАбзац.\n\nЛишний абзац.\n\n- пункт\n")
    assert align(source, translation) == ["Заголовок", "Абзац.", "пункт"]


def test_align_fallback_gives_none_for_untranslated_blocks() -> None:
    source = segs("Paragraf.\n\n> alıntı\n\n- madde\n")
    translation = segs("Абзац.\n\n- пункт\n")
    assert align(source, translation) == ["Абзац.", None, "пункт"]


def test_align_with_empty_translation() -> None:
    assert align(segs("Bir.\n\nİki.\n"), []) == [None, None]


# ---------------------------------------------------------------- properties

MARKDOWN_TEXT = st.text(
    alphabet=st.sampled_from(
        list("aeiİıIŞşçğöüЖжЁёйщЫ0123")
        + ["\u0301", "\u0307", "\u0308", "\u0327"]
        + list("#*-_>|`[]()!:.\\^<>/=+1")
        + [" ", " ", "\t", "\n", "\n", "\u00a0", "\u2003"]
    ),
    max_size=120,
)


@settings(max_examples=150, deadline=None)
@given(title=MARKDOWN_TEXT, body=MARKDOWN_TEXT)
def test_analysis_is_deterministic_and_segments_normalized(title: str, body: str) -> None:
    first = analyze_markdown(title, body)
    assert analyze_markdown(title, body) == first
    for segment in first.segments:
        assert segment.text
        assert segment.text == unicodedata.normalize("NFC", segment.text)
        assert "\n" not in segment.text.replace(HARD_BREAK, "")  # a break is a backslash's


def _flat(text: str) -> str:
    """A segment's text with its hard breaks as the white space they were before."""
    return " ".join(text.replace(HARD_BREAK, " ").split())


@settings(max_examples=150, deadline=None)
@given(title=MARKDOWN_TEXT, body=MARKDOWN_TEXT, pad=st.sampled_from([" ", "\t", "  \t ", "\u2003"]))
def test_hash_survives_crlf_trailing_space_and_nfd(title: str, body: str, pad: str) -> None:
    base = analyze_markdown(title, body)
    crlf = body.replace("\n", "\r\n")
    padded = "\n".join(line + pad for line in body.split("\n"))
    for variant in (crlf, unicodedata.normalize("NFD", body)):
        assert analyze_markdown(title, variant) == base
    # two trailing spaces may make a hard break the segment keeps; the hash does not see it
    spaced = analyze_markdown(title, padded)
    assert spaced.content_hash == base.content_hash
    assert [_flat(s.text) for s in spaced.segments] == [_flat(s.text) for s in base.segments]
    assert analyze_markdown(title.replace("\n", "\r\n") + pad, body) == base


def test_align_leaves_out_an_item_only_the_translation_has() -> None:
    """A translator's extra list item is not paired with the next source item (every item
    after it would be a translation of the one before): numbers, link targets and lengths,
    which every language keeps, tell where it sits."""
    source = [
        Segment(kind="title", text="Labour migration"),
        Segment(kind="item", text="Recognise skills gained abroad through short, cheap tests."),
        Segment(kind="item", text="Lower the cost of sending money ([2023 data](/d/2023))."),
        Segment(kind="item", text="Offer pre-departure training on workers' rights."),
        Segment(kind="item", text="Support returnees who want to start a small business."),
    ]
    translation = [
        Segment(kind="title", text="İşçi göçü"),
        Segment(
            kind="item", text="Yurt dışında edinilen becerileri kısa, ucuz sınavlarla tanıyın."
        ),
        Segment(kind="item", text="Para göndermenin maliyetini düşürün ([2023 verisi](/d/2023))."),
        Segment(kind="item", text="(Türkiye için) Yabancı diploma denkliği hızlandırılmalı."),
        Segment(kind="item", text="Yola çıkmadan önce işçi hakları eğitimi verin."),
        Segment(kind="item", text="Küçük bir işletme kurmak isteyen geri dönenleri destekleyin."),
    ]
    lined = align(source, translation)
    assert lined[3] == "Yola çıkmadan önce işçi hakları eğitimi verin."
    assert lined[4] == "Küçük bir işletme kurmak isteyen geri dönenleri destekleyin."
    assert "(Türkiye için) Yabancı diploma denkliği hızlandırılmalı." not in lined


def test_diff_pairs_an_edited_paragraph_beside_a_removed_quote() -> None:
    old = [
        Segment(kind="title", text="Grain"),
        Segment(kind="quote", text="Ports are the corridor's lungs, a captain told us."),
        Segment(kind="paragraph", text="Flexibility has a price: insurance costs rise."),
    ]
    new = [old[0], Segment(kind="paragraph", text="Flexibility has a cost: insurance rises.")]
    diff = diff_segments(old, new)
    assert (diff.changed, diff.added, diff.removed) == (1, 0, 1)
    changed = next(op for op in diff.ops if op.tag == "changed")
    assert (changed.old_index, changed.new_index) == (2, 1)
