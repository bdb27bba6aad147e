"""What a write-back would drop from a translation: the blocks only the translation has.

A write-back rebuilds a translation from its source's structure, each segment filled with
the translator's text. Whatever the translation has beyond the source's segments (a
translator's note, a paragraph the source lost since), and the code blocks, HTML blocks
without text and link reference definitions it has in its own form (a localized link
target, code comments in its language), would be gone, and the translator never saw
them in the task. :func:`dropped_blocks` lists them, so that the write-back can stop and
ask an editor instead.

Pure: no database, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sync.segments.diff import align
from sync.segments.markdown import body_blocks
from sync.segments.model import Segment


def dropped_blocks(
    translation: str,
    written: str,
    source: str,
    *,
    blocks: Callable[[str], list[tuple[bool, str, str]]] = body_blocks,
) -> list[str]:
    """The texts of the blocks of ``translation`` (the body on disk) that ``written`` (the
    body the write-back would put there) does not have and that are not the source's own:
    a non-segment block that ``source`` (the source body the translation was made from)
    does not have too, and a segment that does not line up with a source segment (so the
    task never showed it). In the translation's order. ``blocks`` reads a body (Markdown by
    default; a WordPress post's HTML with :func:`sync.htmlsegments.html_body_blocks`).

    >>> dropped_blocks("Bir.\\n\\nNot: yalnız Türkçe.\\n", "Bir!\\n", "One.\\n")
    ['Not: yalnız Türkçe.']
    >>> en, tr = "One.\\n\\n[a]: /en/x\\n", "Bir.\\n\\n[a]: /tr/x\\n"
    >>> dropped_blocks(tr, "Bir!\\n\\n[a]: /en/x\\n", en)
    ['[a]: /tr/x']
    """
    old = blocks(translation)
    written_texts = Counter(text for _, _, text in blocks(written))
    base = blocks(source)
    inherited = Counter((kind, text) for segment, kind, text in base if not segment)
    shown = Counter(
        text
        for text in align(
            [Segment(kind=kind, text=text) for segment, kind, text in base if segment],
            [Segment(kind=kind, text=text) for segment, kind, text in old if segment],
        )
        if text is not None
    )
    lost = []
    for segment, kind, text in old:
        seen = shown if segment else inherited
        key = text if segment else (kind, text)
        if seen[key] > 0:
            seen[key] -= 1
        elif written_texts[text] > 0:
            written_texts[text] -= 1
        else:
            lost.append(_shown(kind, text))
    return lost


def _shown(kind: str, text: str) -> str:
    """A block as a message quotes it: a reference definition as it is written (its label
    as the parser keeps it, in lower case)."""
    if kind != "reference":
        return text
    label, href, title = text.split("\n", 2)
    return f"[{label.lower()}]: {href}" + (f' "{title}"' if title else "")
