"""Where each character of a segment's text is in the source: the source with caption
shortcodes expanded, tokenized and marked up, its lxml tree, and the source span of every
node and character (see :mod:`sync.htmlsegments.render` for how rendering uses them).

Pure: no database, no I/O.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from lxml import etree

from sync.htmlsegments.analysis import (
    _CAPTION_ATTRIBUTE,
    _CAPTION_MEDIA,
    _CAPTION_SHORTCODE,
    _NOT_XML,
    _caption_as_figure,
    _escape_text,
    _parse,
    _tag,
)
from sync.htmlsegments.tokens import _tokenize
from sync.text import NO_BREAK_SPACES

_MARK = "data-transync-at"
_MARKED_COMMENT = re.compile(rf"{_MARK}=([0-9]+)")
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@dataclass(frozen=True, slots=True)
class _Piece:
    """A stretch of the figure-expanded text: copied from the source, or written for it
    (then only its two ends map to the source: ``<figure>`` starts where ``[caption]`` does)."""

    start: int  # in the expanded text
    end: int
    source_start: int
    source_end: int
    copied: bool
    attribute: tuple[int, int] | None = None  # a caption taken from caption="...": its value


def _expand_captions(text: str) -> tuple[str, list[_Piece]]:
    """``_CAPTION_SHORTCODE.sub(_caption_as_figure, text)``, with where each part came from."""
    out: list[str] = []
    pieces: list[_Piece] = []
    at = 0

    def put(value: str, source: tuple[int, int], attribute: Any = None) -> None:
        nonlocal at
        copied = value == text[source[0] : source[1]] and attribute is None
        pieces.append(_Piece(at, at + len(value), *source, copied, attribute))
        out.append(value)
        at += len(value)

    last = 0
    for match in _CAPTION_SHORTCODE.finditer(text):
        put(text[last : match.start()], (last, match.start()))
        content_start = match.start(2)
        media = _CAPTION_MEDIA.match(match.group(2))
        if media:
            put("<figure>", (match.start(), content_start + media.start(1)))
            put(media.group(1), (content_start + media.start(1), content_start + media.end(1)))
            caption = (content_start + media.start(2), match.end(2))
        else:
            put("<figure>", (match.start(), content_start))
            caption = (content_start, match.end(2))
        put("<figcaption>", (caption[0], caption[0]))
        if text[caption[0] : caption[1]].strip():
            put(text[caption[0] : caption[1]], caption)
        else:
            named = _CAPTION_ATTRIBUTE.search(match.group(1))
            if named:
                group = 1 if named.group(1) else 2
                value = (match.start(1) + named.start(group), match.start(1) + named.end(group))
                put(html.unescape(named.group(group) or ""), caption, value)
        put("</figcaption></figure>", (caption[1], match.end()))
        last = match.end()
    put(text[last:], (last, len(text)))
    return "".join(out), pieces


@dataclass(slots=True)
class _Span:
    """Where a segment's text is in the expanded text, and what inside it must stay."""

    start: int
    end: int
    kept: list[tuple[int, int]]  # comments, ignored elements, nested lists...: kept, moved after
    #: inline start tags, their canonical form and their element's canonical outer HTML
    tags: list[tuple[tuple[int, int], str, str]]


class _Document:
    """The expanded text, its tokens, and the marked-up lxml tree, with source offsets."""

    def __init__(self, text: str) -> None:
        expanded, self.pieces = _expand_captions(text)
        if expanded != _CAPTION_SHORTCODE.sub(_caption_as_figure, text):
            raise ValueError("render_html: caption shortcodes expanded differently")
        self.text = _NOT_XML.sub(" ", expanded)  # as _parse does it; offsets do not move
        self.tokens = _tokenize(self.text)
        self.token_at = {token.start: token for token in self.tokens}
        marked: list[str] = []
        last = 0
        for index, token in enumerate(self.tokens):
            if token.kind == "start":
                marked += [self.text[last : token.mark_at], f' {_MARK}="{index}"']
                last = token.mark_at
            elif token.kind in ("comment", "drop"):
                marked.append(self.text[last : token.start])
                if token.kind == "comment":
                    marked.append(f"<!--{_MARK}={index}-->")
                last = token.end
        marked.append(self.text[last:])
        self.root = _parse("".join(marked))
        self.elements: dict[int, etree._Element] = {}
        for node in self.root.iter():
            if node is self.root:
                continue
            if isinstance(node.tag, str):
                if (index := node.get(_MARK)) is not None:
                    self.elements[int(index)] = node
        self.closing: dict[int, tuple[int, int]] = {}
        self._match_end_tags()

    def _match_end_tags(self) -> None:
        """Find where each element ends, as libxml2 built the tree (implied ends included)."""
        stack: list[tuple[int, etree._Element]] = []
        for index, token in enumerate(self.tokens):
            if token.kind == "start" and (element := self.elements.get(index)) is not None:
                if token.closed:
                    self.closing[index] = (token.end, token.end)
                    continue
                parent = element.getparent()
                if parent is not self.root and all(e is not parent for _, e in stack):
                    raise ValueError("render_html: cannot follow the document's structure")
                while stack and stack[-1][1] is not parent:
                    self.closing[stack.pop()[0]] = (token.start, token.start)
                stack.append((index, element))
            elif token.kind == "end":
                for depth in range(len(stack) - 1, -1, -1):
                    if _tag(stack[depth][1]) == token.name:
                        while len(stack) > depth + 1:
                            self.closing[stack.pop()[0]] = (token.start, token.start)
                        self.closing[stack.pop()[0]] = (token.start, token.end)
                        break
        while stack:
            self.closing[stack.pop()[0]] = (len(self.text), len(self.text))

    # -- offsets of nodes ---------------------------------------------------------------------

    def _index(self, node: etree._Element) -> int:
        if isinstance(node.tag, str):
            index = node.get(_MARK)
        else:
            found = _MARKED_COMMENT.search(node.text or "")
            index = found.group(1) if found else None
        if index is None:
            raise ValueError("render_html: an element the source does not spell out")
        return int(index)

    def outer(self, node: etree._Element) -> tuple[int, int]:
        index = self._index(node)
        token = self.tokens[index]
        return token.start, self.closing[index][1] if token.kind == "start" else token.end

    def start_tag(self, node: etree._Element) -> tuple[int, int]:
        token = self.tokens[self._index(node)]
        return token.start, token.end

    def end_tag(self, node: etree._Element) -> tuple[int, int]:
        return self.closing[self._index(node)]

    def _inner(self, node: etree._Element) -> tuple[int, int]:
        if node is self.root:
            return 0, len(self.text)
        return self.start_tag(node)[1], self.end_tag(node)[0]

    def text_of(self, element: etree._Element) -> tuple[str, list[tuple[int, int]]]:
        """An element's text with the source span of each character."""
        start, end = self._inner(element)
        if len(element):
            end = self.outer(element[0])[0]
        return self._decode(start, end, element.text or "")

    def tail_of(self, node: etree._Element) -> tuple[str, list[tuple[int, int]]]:
        parent = node.getparent()
        following = node.getnext()
        end = self.outer(following)[0] if following is not None else self._inner(parent)[1]
        return self._decode(self.outer(node)[1], end, node.tail or "")

    def _decode(self, start: int, end: int, expected: str) -> tuple[str, list[tuple[int, int]]]:
        chars: list[str] = []
        spans: list[tuple[int, int]] = []
        text = self.text
        i = start
        while i < end:
            token = self.token_at.get(i)
            if token is not None:  # a stray end tag or a tag libxml2 dropped
                i = token.end
                continue
            c = text[i]
            step = 1
            if c == "&" and (ref := _CHARREF.match(text, i, end)):
                c, step = html.unescape(ref.group()), ref.end() - i
            elif c == "\r":
                c, step = "\n", 2 if text.startswith("\n", i + 1) else 1
            chars.append(c)
            spans += [(i, i + step)] * len(c)
            i += step
        decoded = "".join(chars)
        if decoded != expected:
            raise ValueError("render_html: cannot locate a text in the source")
        return decoded, spans

    # -- from the expanded text to the source -------------------------------------------------

    def to_source(self, start: int, end: int) -> tuple[int, int, bool]:
        """Source offsets of an expanded range; True when it is a caption attribute's value."""
        first = last = None
        for piece in self.pieces:
            if piece.attribute and piece.start <= start and end <= piece.end:
                return piece.attribute[0], piece.attribute[1], True
            if piece.start <= start < piece.end and (piece.copied or start == piece.start):
                first = piece.source_start + (start - piece.start if piece.copied else 0)
            if piece.start < end <= piece.end and (piece.copied or end == piece.end):
                last = piece.source_end - (piece.end - end if piece.copied else 0)
        if first is None or last is None or last < first:
            raise ValueError("render_html: a segment inside a rewritten shortcode")
        return first, last, False


class _Chars:
    """A segment's text as _Walker builds it, with the source span of every character."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.spans: list[tuple[int, int]] = []
        self.trim: list[bool] = []  # white space or a block boundary: cut from the edges
        self.opaque: list[bool] = []  # not from a text node (markup, whole inline elements)
        self.pairs: list[tuple[int, int]] = []  # block boundaries of a flattened element
        self.kept: list[tuple[int, int]] = []
        self.tags: list[tuple[tuple[int, int], str, str]] = []

    def __len__(self) -> int:
        return len(self.spans)

    def joined(self) -> str:
        return "".join(self.parts)

    def add_text(self, text: str, spans: list[tuple[int, int]]) -> None:
        for char, span in zip(text, spans, strict=True):
            escaped = _escape_text(char)
            self.parts.append(escaped)
            space = char.isspace() and char not in NO_BREAK_SPACES
            for _ in escaped:
                self.spans.append(span)
                self.trim.append(space)
                self.opaque.append(False)

    def add_opaque(self, text: str, span: tuple[int, int], *, trim: bool = False) -> None:
        self.parts.append(text)
        for _ in text:
            self.spans.append(span)
            self.trim.append(trim)
            self.opaque.append(True)

    def locate(self, low: int = 0, high: int | None = None) -> _Span | None:
        """The source span of characters low..high, less the white space at its edges."""
        start, end = low, len(self) if high is None else high
        while start < end and self.trim[start]:
            start += 1
        while end > start and self.trim[end - 1]:
            end -= 1
        if start == end:
            return None
        changed = True
        while changed:  # never cut through a flattened element: take it whole
            changed = False
            for open_at, close_at in self.pairs:
                if open_at < start <= close_at < end:
                    start, changed = open_at, True
                elif start <= open_at < end <= close_at:
                    end, changed = close_at + 1, True
        first, last = self.spans[start][0], self.spans[end - 1][1]
        return _Span(
            first,
            last,
            [k for k in self.kept if first <= k[0] and k[1] <= last],
            [t for t in self.tags if first <= t[0][0] and t[0][1] <= last],
        )
