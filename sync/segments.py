"""Segments: the blocks of a version that translators translate and catalogs list.

Pure: no database, no I/O.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import Any, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from sync.text import (
    normalize_block,
    normalize_inline,
    normalize_newlines,
    sha256_hex,
    strip_trailing_whitespace,
)


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """One block of a version: kind is title, heading, paragraph, item, quote, cell, footnote, caption."""  # noqa: E501

    kind: str
    text: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Analysis:
    """A version's segments and its content hash (full SHA-256 hex of the normalized content)."""

    segments: tuple[Segment, ...]
    content_hash: str

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffOp:
    """One step from old segments to new: equal, changed, added or removed, with both sides."""

    tag: Literal["equal", "changed", "added", "removed"]
    old_index: int | None
    new_index: int | None
    old_text: str | None
    new_text: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentDiff:
    """How a version's segments moved between two revisions: counts plus the ops behind them."""

    changed: int
    added: int
    removed: int
    ops: tuple[DiffOp, ...]

    @property
    def is_unchanged(self) -> bool:
        return not (self.changed or self.added or self.removed)


#: Bumped whenever the canonical serialization below changes (every hash would change).
HASH_FORMAT = "transync-content-v1"

_CONTAINERS = {
    "list_item_open": "item",
    "blockquote_open": "quote",
    "footnote_reference_open": "footnote",
}
_CONTAINER_CLOSE = {"list_item_close", "blockquote_close", "footnote_reference_close"}


@functools.cache
def _parser() -> MarkdownIt:
    # Footnote definitions stay where they are written (move_to_end=False), so segments
    # follow the source order and unreferenced definitions are not silently dropped.
    # Inline footnotes (^[...]) are left as text of the paragraph that holds them.
    return (
        MarkdownIt("commonmark")
        .enable("table")
        .use(footnote_plugin, inline=False, move_to_end=False)
    )


class _VisibleText(HTMLParser):
    """Collects the text a browser would show (no comments, scripts, styles)."""

    _HIDDEN = frozenset({"script", "style", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden_depth = 0
        self.found = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth and data.strip():
            self.found = True


def has_visible_text(html: str) -> bool:
    """Whether an HTML fragment shows any text (comments, tags and white space alone do not).

    >>> has_visible_text("<!-- more -->"), has_visible_text("<p>Merhaba</p>")
    (False, True)
    """
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.found


def _prepare(body: str) -> str:
    """Make cosmetic differences vanish before parsing: NFC, LF, no trailing white space."""
    return strip_trailing_whitespace(normalize_newlines(unicodedata.normalize("NFC", body)))


def _records(tokens: Sequence[Token]) -> Iterator[tuple[bool, str, str]]:
    """Yield (is_segment, kind, text) for every block that counts, in document order."""
    containers: list[str] = []
    opener = ""
    for token in tokens:
        kind = token.type
        if kind in _CONTAINERS:
            containers.append(_CONTAINERS[kind])
        elif kind in _CONTAINER_CLOSE:
            containers.pop()
        elif kind == "inline":
            if opener == "heading_open":
                yield True, "heading", token.content
            elif opener == "paragraph_open":
                yield True, containers[-1] if containers else "paragraph", token.content
            elif opener in ("th_open", "td_open"):
                # The table rule unescapes "\|"; every "|" left in a cell was written "\|".
                yield True, "cell", token.content.replace("|", "\\|")
        elif kind in ("fence", "code_block"):
            info = normalize_inline(token.info)
            yield False, "code", f"{info}\n{normalize_block(token.content)}"
        elif kind == "html_block":
            yield has_visible_text(token.content), "html", token.content
        opener = kind


def analyze_markdown(title: str, body: str) -> Analysis:
    """Split a Markdown version into segments and hash its normalized content.

    Segment texts are the blocks' inline Markdown source (links, emphasis, inline HTML,
    footnote references verbatim), normalized with :func:`normalize_inline`. The hash also
    covers code blocks, HTML blocks without visible text and link reference definitions,
    so any edit except white space, line wrapping, line endings and Unicode form changes it.
    """
    env: dict[str, Any] = {}
    tokens = _parser().parse(_prepare(body), env)
    norm_title = normalize_inline(title)
    segments: list[Segment] = []
    if norm_title:
        segments.append(Segment(kind="title", text=norm_title))
    hashed: list[list[str]] = [["title", norm_title]]
    for is_segment, kind, raw in _records(tokens):
        text = normalize_inline(raw) if kind != "code" else raw
        if not text or text == "\n":
            continue
        if is_segment:
            segments.append(Segment(kind=kind, text=text))
            hashed.append([kind, text])
        else:
            hashed.append([f"{kind}-block", text])
    for label, ref in env.get("references", {}).items():
        hashed.append(["reference", f"{label}\n{ref.get('href', '')}\n{ref.get('title', '')}"])
    payload = json.dumps([HASH_FORMAT, hashed], ensure_ascii=False, separators=(",", ":"))
    return Analysis(segments=tuple(segments), content_hash=sha256_hex(payload))


def diff_segments(old: Sequence[Segment], new: Sequence[Segment]) -> SegmentDiff:
    """Compare two revisions' segments by text (difflib, no autojunk).

    Inside a replaced run, segments pair one-to-one as changed; the surplus is added or removed.
    """
    matcher = SequenceMatcher(None, [s.text for s in old], [s.text for s in new], autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        if tag == "equal":
            paired = i2 - i1
        for k in range(paired):
            ops.append(
                DiffOp(
                    tag="equal" if tag == "equal" else "changed",
                    old_index=i1 + k,
                    new_index=j1 + k,
                    old_text=old[i1 + k].text,
                    new_text=new[j1 + k].text,
                )
            )
        for i in range(i1 + paired, i2):
            ops.append(
                DiffOp(
                    tag="removed", old_index=i, new_index=None, old_text=old[i].text, new_text=None
                )
            )
        for j in range(j1 + paired, j2):
            ops.append(
                DiffOp(
                    tag="added", old_index=None, new_index=j, old_text=None, new_text=new[j].text
                )
            )
    return SegmentDiff(
        changed=sum(op.tag == "changed" for op in ops),
        added=sum(op.tag == "added" for op in ops),
        removed=sum(op.tag == "removed" for op in ops),
        ops=tuple(ops),
    )


def align(source: Sequence[Segment], translation: Sequence[Segment]) -> list[str | None]:
    """For each source segment, the translation's text at the same place, or None.

    When both have the same sequence of kinds, segments pair by position. Otherwise (a block
    added or dropped in one language) the kind sequences are matched with difflib: segments
    pair by position only inside runs of equal kinds; everything else gets None.
    """
    if [s.kind for s in source] == [t.kind for t in translation]:
        return [t.text for t in translation]
    result: list[str | None] = [None] * len(source)
    matcher = SequenceMatcher(
        None, [s.kind for s in source], [t.kind for t in translation], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            result[block.a + k] = translation[block.b + k].text
    return result
