"""Rendering a translation back into post HTML.

render_html splices translations into the source text, so everything around the segments
(block comments, attributes, white space, entities, shortcodes) stays byte for byte. To know
where a segment's text is in the source, the source is tokenized here with offsets, every
start tag gets a data attribute naming its token (data-* attributes are not canonical, so
segmentation is unchanged) and the lxml tree of that marked-up copy is walked by _Locator,
a _Walker that also keeps, for each character of a segment's text, the source span it came
from. The segments it finds must equal html_segments(); otherwise rendering is refused.

Pure: no database, no I/O.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

from sync.htmlsegments.analysis import (
    _BLANK_LINE,
    _BLOCK_COMMENT,
    _CONTAINERS,
    _IGNORED,
    _OWN_SEGMENTS,
    _SEGMENT_KINDS,
    _SOFT,
    HugoShortcodes,
    _AttributeText,
    _canonical_attributes,
    _comment_texts,
    _escape_text,
    _html_parser,
    _is_code,
    _tag,
    _Walker,
    canonical_html,
    html_segments,
)
from sync.htmlsegments.blockjson import _block_json_string
from sync.htmlsegments.sourcemap import _Chars, _Document, _Span
from sync.segments import Segment
from sync.text import normalize_inline

_START_TAG_TEXT = re.compile(r"""<[a-zA-Z](?:"[^"]*"|'[^']*'|[^'">])*>""")


class _Locator(_Walker):
    """_Walker that also records where each segment's text is (see _Chars and _Span)."""

    def __init__(self, document: _Document, *, autop: bool) -> None:
        super().__init__(autop=autop)
        self.document = document
        self.spans: list[_Span | _AttributeText | None] = []

    def emit(
        self, kind: str, text: str, chars: _Chars, low: int = 0, high: int | None = None
    ) -> None:
        count = len(self.segments)
        self.add(kind, text)
        if len(self.segments) > count:
            self.spans.append(chars.locate(low, high))

    def container(self, element: etree._Element, *, in_quote: bool) -> None:
        in_quote = in_quote or element.tag == "blockquote"
        loose_kind = "quote" if in_quote else "paragraph"
        run: list[tuple[str, etree._Element, str]] = []
        if element.text:
            run.append(("text", element, ""))
        for child in element:
            tag = _tag(child)
            if tag is None and (texts := self.attribute_texts(child)):
                self.loose(run, loose_kind)
                run = []
                for text in texts:
                    count = len(self.segments)
                    self.add("attribute", text.segment)
                    if len(self.segments) > count:
                        self.spans.append(text)
            elif tag is None or tag in _IGNORED:
                run.append(("kept", child, ""))
            elif tag in _SEGMENT_KINDS:
                self.loose(run, loose_kind)
                run = []
                self.block(child, tag, in_quote=in_quote)
            elif tag in _CONTAINERS:
                self.loose(run, loose_kind)
                run = []
                self.container(child, in_quote=in_quote)
            else:
                deferred: list[etree._Element] = []
                run.append(("inline", child, self.inline(child, deferred)))
                for nested in deferred:
                    self.container(nested, in_quote=in_quote)
            if child.tail:
                run.append(("tail", child, ""))
        self.loose(run, loose_kind)

    def attribute_texts(self, comment: etree._Element) -> list[_AttributeText]:
        """A block comment's texts, with spans in the expanded text (the tree holds only
        a marker where each comment was)."""
        if not isinstance(comment, etree._Comment):
            return []
        start, end = self.document.outer(comment)
        written = self.document.text[start:end]
        if not written.startswith("<!--"):
            return []
        inner = written[4:].removesuffix("-->")
        return [
            _AttributeText(t.segment, t.rich, start + 4 + t.start, start + 4 + t.end)
            for t in _comment_texts(inner)
        ]

    def loose(self, run: Any, kind: str) -> None:
        chars = _Chars()
        for what, node, serialized in run:
            if what == "kept":
                chars.kept.append(self.document.outer(node))
            elif what == "inline":
                self.opaque_element(node, serialized, chars)
            else:
                document = self.document
                text, spans = document.text_of(node) if what == "text" else document.tail_of(node)
                at = 0
                for blank in _BLANK_LINE.finditer(text):
                    chars.add_text(text[at : blank.start()], spans[at : blank.start()])
                    self.emit(kind, chars.joined(), chars)
                    chars = _Chars()
                    at = blank.end()
                chars.add_text(text[at:], spans[at:])
        self.emit(kind, chars.joined(), chars)

    def block(self, element: etree._Element, tag: str, *, in_quote: bool) -> None:
        kind = _SEGMENT_KINDS[tag]
        if tag == "p" and in_quote:
            kind = "quote"
        if tag == "pre" and _is_code(element):
            return
        deferred: list[etree._Element] = []
        chars = _Chars()
        self.chars_inner(element, chars, deferred)
        text = chars.joined()
        if text != self.inner(element, []):
            raise ValueError("render_html: cannot follow a block's text")
        if tag == "pre":
            self.emit(kind, self.finish(text, preformatted=True), chars)
        elif tag == "p" and self.autop:
            at = 0
            for blank in [*_BLANK_LINE.finditer(text), None]:
                end = blank.start() if blank else len(text)
                if blank and any(chars.opaque[blank.start() : blank.end()]):
                    raise ValueError("render_html: a blank line inside inline markup")
                self.emit(kind, self.finish(text[at:end], preformatted=False), chars, at, end)
                at = blank.end() if blank else at
        else:
            self.emit(kind, self.finish(text, preformatted=False), chars)
        for nested in deferred:
            self.container(nested, in_quote=in_quote)

    def chars_inner(self, element: etree._Element, chars: _Chars, deferred: list[Any]) -> None:
        """What inner() does, character by character."""
        if element.text:
            chars.add_text(*self.document.text_of(element))
        for child in element:
            self.chars_inline(child, chars, deferred)
            if child.tail:
                chars.add_text(*self.document.tail_of(child))

    def chars_inline(self, element: etree._Element, chars: _Chars, deferred: list[Any]) -> None:
        tag = _tag(element)
        if tag is None or tag in _IGNORED:
            chars.kept.append(self.document.outer(element))
        elif tag in _OWN_SEGMENTS:
            deferred.append(element)
            outer = self.document.outer(element)
            chars.add_opaque(_SOFT, outer, trim=True)
            chars.kept.append(outer)
        elif tag in _SEGMENT_KINDS or tag in _CONTAINERS:
            open_at = len(chars)
            chars.add_opaque(_SOFT, self.document.start_tag(element), trim=True)
            self.chars_inner(element, chars, deferred)
            chars.add_opaque(_SOFT, self.document.end_tag(element), trim=True)
            chars.pairs.append((open_at, len(chars) - 1))
        else:
            self.opaque_element(element, self.inline(element, deferred), chars)

    def opaque_element(self, element: etree._Element, serialized: str, chars: _Chars) -> None:
        """An inline element, whole: its text, what inside it must stay, its start tags."""
        chars.add_opaque(serialized, self.document.outer(element))
        pending = [element]
        while pending:
            node = pending.pop()
            tag = _tag(node)
            if node is not element and (tag is None or tag in _IGNORED or tag in _OWN_SEGMENTS):
                chars.kept.append(self.document.outer(node))
                continue
            if tag not in _SEGMENT_KINDS and tag not in _CONTAINERS and tag != "br":
                attributes = _canonical_attributes(node)
                if attributes or tag != "span":
                    outer = serialized if node is element else self.inline(node, [])
                    start = self.document.start_tag(node)
                    chars.tags.append((start, f"<{tag}{attributes}>", normalize_inline(outer)))
            pending.extend(node)


@dataclass(slots=True)
class _Edit:
    start: int
    end: int
    text: str
    kept: list[tuple[int, int]]
    done: bool = False


def _canonical_start_tag(tag_text: str) -> str | None:
    root = lxml.html.fragment_fromstring(tag_text, create_parent="div", parser=_html_parser())
    if len(root) == 0 or _tag(root[0]) is None:
        return None
    return f"<{_tag(root[0])}{_canonical_attributes(root[0])}>"


def _restore_tags(translation: str, document: _Document, span: _Span) -> str:
    """Give the translation's inline tags back the attributes canonical HTML drops (class,
    rel, srcset...): a tag whose canonical form equals a source tag's becomes that tag.
    Among source tags of the same canonical form, an element the translation writes whole
    as the source does takes its own tag wherever the translation moved it (two footnote
    markers swapped: each ``<sup data-fn>`` stays with its link); the rest go in order."""
    pool = []
    for (start, end), canonical, outer in span.tags:
        original = document.text[start:end]
        if original != canonical:
            pool.append((canonical, original, outer))
    if not pool:
        return translation
    found = list(_START_TAG_TEXT.finditer(translation))
    canonicals = [_canonical_start_tag(match.group()) for match in found]
    free = list(range(len(pool)))
    chosen: dict[int, int] = {}  # tag of the translation → its source tag in the pool
    for at, (match, canonical) in enumerate(zip(found, canonicals, strict=True)):
        alike = [p for p in free if pool[p][0] == canonical]
        if len({pool[p][2] for p in alike}) < 2:
            continue  # nothing to tell apart
        written = canonical_html(translation[match.start() :])
        for p in alike:
            if written.startswith(pool[p][2]):
                chosen[at] = p
                free.remove(p)
                break
    for at, canonical in enumerate(canonicals):
        if at not in chosen:
            p = next((p for p in free if pool[p][0] == canonical), None)
            if p is not None:
                chosen[at] = p
                free.remove(p)
    out: list[str] = []
    last = 0
    for at, match in enumerate(found):
        if at in chosen:
            out += [translation[last : match.start()], pool[chosen[at]][1]]
            last = match.end()
    out.append(translation[last:])
    return "".join(out)


def _splice(source: str, edits: list[_Edit]) -> str:
    edits.sort(key=lambda e: (e.start, -e.end))

    def render(low: int, high: int) -> str:
        out: list[str] = []
        at = low
        for edit in edits:
            if edit.start < at or edit.start < low or edit.end > high or edit.done:
                continue
            edit.done = True
            out += [source[at : edit.start], edit.text]
            out += [render(start, end) for start, end in edit.kept]
            at = edit.end
        out.append(source[at:high])
        return "".join(out)

    result = render(0, len(source))
    if not all(edit.done for edit in edits):
        raise ValueError("render_html: segments overlap in the source")
    return result


def render_html(
    html_text: str, translations: Sequence[str | None], *, autop: bool | None = None
) -> str:
    """The post body with each segment's inner HTML replaced by its translation (see
    :func:`_render_html`); a Hugo page's shortcodes held out of the HTML parser as
    ``analyze_html`` holds them, in the body and in the translations."""
    masks = HugoShortcodes.of(html_text)
    if masks is None:
        return _render_html(html_text, translations, autop=autop)
    if autop is None:
        autop = _BLOCK_COMMENT.search(html_text) is None
    masked = masks.mask(html_text)
    done = _render_html(masked, [masks.mask(t) if t else t for t in translations], autop=autop)
    return masks.unmask(done)


def _render_html(
    html_text: str, translations: Sequence[str | None], *, autop: bool | None = None
) -> str:
    """The post body with each segment's inner HTML replaced by its translation.

    ``translations[i]`` belongs to the i-th segment of ``analyze_html("", html_text)`` (the
    body's segments) and is inner HTML itself, written with its white space collapsed;
    ``None`` or a blank string keeps the source text.
    Only the segment's text changes: the block element, its attributes, Gutenberg block
    comments, non-text blocks, shortcodes and white space between blocks stay as written.
    Classic (``wpautop``) content is split at blank lines, as ``analyze_html`` splits it.
    A block attribute's text (an ``attribute`` segment) is written into the same attribute
    of the block comment, as WordPress escapes block JSON (a plain-text attribute such as
    ``alt`` gets the translation's text, entities decoded); the rest of the comment stays.
    Comments, scripts or nested lists that sat inside a translated text are kept, right
    after the translation; inline start tags the translation spells as the source's
    canonical form get their dropped attributes (``class``, ``rel``, ``srcset``...) back.

    The result is checked: ``analyze_html`` must find the same segments, with the
    translations' canonical HTML as texts. ValueError is raised when the counts differ, when
    the source's markup is too broken to tell where a text is, or when a translation would
    not stay one segment in its place (a ``<p>`` in it, a list moved out of an inline
    element...): nothing is guessed.

    >>> render_html('<!-- wp:paragraph --><p class="x">Merhaba</p><!-- /wp:paragraph -->',
    ...             ["Привет, <em>мир</em>"])
    '<!-- wp:paragraph --><p class="x">Привет, <em>мир</em></p><!-- /wp:paragraph -->'
    """
    if autop is None:
        autop = _BLOCK_COMMENT.search(html_text) is None
    expected = html_segments(html_text, autop=autop)
    if len(translations) != len(expected):
        raise ValueError(f"{len(translations)} translations for {len(expected)} segments")
    if not any(normalize_inline(t or "").strip() for t in translations):
        return html_text
    document = _Document(html_text)
    locator = _Locator(document, autop=autop)
    locator.container(document.root, in_quote=False)
    if locator.segments != expected:
        raise ValueError("render_html: cannot follow the document's segments")
    edits: list[_Edit] = []
    want = [segment.text for segment in expected]  # what analyze_html must find afterwards
    for index, (span, translation) in enumerate(zip(locator.spans, translations, strict=True)):
        text = normalize_inline(translation or "").strip()
        if not text or span is None:
            continue
        if isinstance(span, _AttributeText):  # a block attribute: a JSON string, rewritten
            start, end, _ = document.to_source(span.start, span.end)
            value = text if span.rich else normalize_inline(html.unescape(text))
            want[index] = canonical_html(value) if span.rich else _escape_text(value)
            edits.append(_Edit(start, end, _block_json_string(value), []))
            continue
        want[index] = canonical_html(text, autop=autop)
        start, end, in_attribute = document.to_source(span.start, span.end)
        if in_attribute:  # caption="..." of a classic [caption]: WordPress prints the value
            text = text.replace('"', "&quot;")  # as HTML, so only its quote is escaped
        else:
            text = _restore_tags(text, document, span)
        kept = [document.to_source(*k)[:2] for k in span.kept]
        edits.append(_Edit(start, end, text, kept))
    result = _splice(html_text, edits)
    found = html_segments(result, autop=autop)
    for index, (segment, text) in enumerate(zip(expected, want, strict=True)):
        if index >= len(found) or found[index] != Segment(kind=segment.kind, text=text):
            raise ValueError(f"render_html: segment {index} would not keep its place")
    if len(found) != len(expected):
        raise ValueError("render_html: the translations add segments")
    return result
