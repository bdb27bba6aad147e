"""Bounds of the WXR reader: sizes, entities, namespaces, and peak memory per file shape."""

from __future__ import annotations

from sync.htmlsegments import analyze_html

#: Over libxml2's 10,000,000-byte text node limit, which drops such a node silently.
ELEVEN_MB = 11_000_000


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


def test_an_eleven_megabyte_paragraph_is_segmented_in_full() -> None:
    text = long_paragraph()
    analysis = analyze_html("Title", f"<!-- wp:paragraph --><p>{text}</p><!-- /wp:paragraph -->")
    assert [s.kind for s in analysis.segments] == ["title", "paragraph"]
    assert analysis.segments[1].text == text
