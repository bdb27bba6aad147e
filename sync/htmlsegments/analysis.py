"""Segmenting WordPress post HTML and hashing it: the walker over lxml's tree that finds the
blocks, their canonical inner HTML, and the texts Gutenberg keeps in block comments (see
the package's docstring for the rules).

Pure: no database, no I/O.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import lxml.html
from lxml import etree

from sync.htmlsegments.blockjson import _BLOCK_OPENER, BLOCK_TEXT_ATTRIBUTES, _json_value
from sync.segments import Analysis, Segment
from sync.text import (
    NO_BREAK_SPACES,
    NOT_XML,
    normalize_block,
    normalize_inline,
    sha256_hex,
    title_text,
)

RECORD_SEPARATOR = "\x1e"
UNIT_SEPARATOR = "\x1f"

_HEADINGS = {f"h{n}" for n in range(1, 7)}
#: Elements whose inner HTML is one segment, and its kind.
_SEGMENT_KINDS: dict[str, str] = {
    "p": "paragraph",
    **{h: "heading" for h in _HEADINGS},
    "li": "item",
    "dt": "item",
    "dd": "item",
    "td": "cell",
    "th": "cell",
    "figcaption": "caption",
    "caption": "caption",
    "pre": "paragraph",
    "summary": "paragraph",
}
#: Blocks that only hold other blocks; text directly inside them is a paragraph.
_CONTAINERS = {
    "address", "article", "aside", "blockquote", "body", "center", "colgroup", "details",
    "div", "dl", "fieldset", "figure", "footer", "form", "header", "hgroup", "html",
    "main", "menu", "nav", "ol", "section", "table", "tbody", "tfoot", "thead", "tr", "ul",
}  # fmt: skip
#: Blocks inside a segment block that make segments of their own (a list inside a list item).
_OWN_SEGMENTS = {"blockquote", "dl", "figure", "ol", "table", "ul"}
#: Never text.
_IGNORED = {
    "audio", "canvas", "embed", "head", "iframe", "link", "math", "meta", "noscript",
    "object", "script", "style", "svg", "template", "textarea", "title", "video",
}  # fmt: skip
_VOID = {"br", "hr", "img", "wbr", "input", "source", "track", "area", "col"}
#: Attributes WordPress adds or changes by itself (editor classes, lazy loading, srcset).
_DROPPED_ATTRIBUTES = {
    "class", "id", "style", "rel", "srcset", "sizes", "loading", "decoding",
    "fetchpriority", "width", "height",
}  # fmt: skip

_WS = rf"[^\S{NO_BREAK_SPACES}]"  # breaking white space, as normalize_inline sees it
_WS_RUN = re.compile(rf"{_WS}+")
_BLANK_LINE = re.compile(rf"\n[^\S\n{NO_BREAK_SPACES}]*\n{_WS}*")
_NEWLINE_AS_BR = re.compile(rf"(?:<br>)?[^\S\n{NO_BREAK_SPACES}]*\n{_WS}*")
_AROUND_BR = re.compile(rf"{_WS}*<br>{_WS}*")
_SOFT = "\x00"  # a block boundary inside a segment; lxml never yields NUL in text
_SOFT_RUN = re.compile(rf"(?:{_WS}*{_SOFT}{_WS}*)+")
_SOFT_BR = re.compile(rf"(?:<br>)?{_SOFT}(?:<br>)?")
_EDGE_BR = re.compile(rf"^(?:<br>|{_WS})+|(?:<br>|{_WS})+$")
_TAG = re.compile(r"<[^>]*>")
_NOT_XML = NOT_XML  # lxml refuses them
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:")
_SHORTCODES_ONLY = re.compile(r"(?:\[/?[A-Za-z_][\w-]*(?:\s[^\[\]]*)?\]\s*)+")
_CAPTION_SHORTCODE = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.DOTALL | re.I)
_CAPTION_MEDIA = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL)
_CAPTION_ATTRIBUTE = re.compile(r"""\bcaption=(?:"([^"]*)"|'([^']*)')""")

#: An element's text, its descendants' included (lxml.html's text_content()).
_TEXT_CONTENT = etree.XPath("string()")

_ADDRESS = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#)\S*")  # a URL, path or anchor: no text


def hash_segments(segments: Iterable[Segment]) -> str:
    """SHA-256 hex of segments: ``kind \\x1f text`` records joined by ``\\x1e``, as UTF-8.

    >>> hash_segments([Segment(kind="title", text="A")]) == sha256_hex("title\\x1fA")
    True
    """
    return sha256_hex(RECORD_SEPARATOR.join(f"{s.kind}{UNIT_SEPARATOR}{s.text}" for s in segments))


def analyze_html(title: str, html_text: str, *, autop: bool | None = None) -> Analysis:
    """Segments and content hash of a WordPress post (title plus HTML body).

    The hash covers the segments and, like the Markdown one, code blocks (which are not
    segments: there is nothing to translate in them, but changing them is an edit).
    ``autop`` says whether the body is read as ``wpautop`` renders it (newlines are line
    breaks); by default it is when the body has no Gutenberg block comments.
    """
    head: list[Segment] = []
    text = title_text(title, is_html=True)
    if text:
        head.append(Segment(kind="title", text=text))
    walker = _walk(html_text, autop=autop)
    return Analysis(
        segments=(*head, *walker.segments),
        content_hash=hash_segments([*head, *walker.records]),
    )


def html_body_blocks(html_text: str) -> list[tuple[bool, str, str]]:
    """Every block of a post body that holds something, as ``(is_segment, kind, text)``:
    its segments and its code blocks (what a write-back must not drop without saying so;
    :func:`sync.segments.markdown.body_blocks` is the Markdown one)."""
    walker = _walk(html_text, autop=None)
    segments = {id(s) for s in walker.segments}
    return [(id(r) in segments, r.kind, r.text) for r in walker.records]


def html_segments(html_text: str, *, autop: bool | None = None) -> list[Segment]:
    """The body's segments in document order (no title)."""
    return _walk(html_text, autop=autop).segments


def _walk(html_text: str, *, autop: bool | None) -> _Walker:
    if autop is None:
        autop = _BLOCK_COMMENT.search(html_text) is None
    masks = HugoShortcodes.of(html_text)
    if masks is not None:
        html_text = masks.mask(html_text)
    html_text = _CAPTION_SHORTCODE.sub(_caption_as_figure, html_text)
    walker = _Walker(autop=autop)
    if html_text.strip():
        walker.container(_parse(html_text), in_quote=False)
    if masks is not None:
        walker.segments = [Segment(kind=s.kind, text=masks.unmask(s.text)) for s in walker.segments]
        walker.records = [Segment(kind=s.kind, text=masks.unmask(s.text)) for s in walker.records]
    return walker


#: A Hugo shortcode, ``{{< name … >}}`` or ``{{% name … %}}`` (a Hugo site's ``.html``
#: content has them, in text and in attribute values: ``href="{{< relref "x.md" >}}"``).
_HUGO_SHORTCODE = re.compile(r"\{\{[<%].*?[>%]\}\}", re.DOTALL)
_MASK_OPEN, _MASK_CLOSE = "\ue000", "\ue001"
_MASKED = re.compile(f"{_MASK_OPEN}(\\d+){_MASK_CLOSE}")


class HugoShortcodes:
    """Hugo shortcodes held out of the HTML parser: each is a private-use placeholder while
    the HTML is read (lxml would escape ``<`` and ``>`` into ``{{&lt; … &gt;}}``, which
    Hugo no longer takes for a shortcode, and the quotes of one inside an attribute end
    the attribute), then itself again in the segment texts, as the file writes it."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @classmethod
    def of(cls, text: str) -> HugoShortcodes | None:
        """A masker for a text that has shortcodes (and no placeholder character of its
        own); None otherwise, when reading it needs none."""
        if "{{" not in text or _MASK_OPEN in text or _HUGO_SHORTCODE.search(text) is None:
            return None
        return cls()

    def mask(self, text: str) -> str:
        def hold(match: re.Match[str]) -> str:
            self.found.append(match.group())
            return f"{_MASK_OPEN}{len(self.found) - 1}{_MASK_CLOSE}"

        return _HUGO_SHORTCODE.sub(hold, text) if "{{" in text else text

    def unmask(self, text: str) -> str:
        if _MASK_OPEN not in text:
            return text
        return _MASKED.sub(lambda m: self.found[int(m.group(1))], text)


_PARSERS = threading.local()


def _html_parser() -> lxml.html.HTMLParser:
    """This thread's HTML parser. ``huge_tree``: libxml2 otherwise drops a text node over
    10 MB without an error (a long paragraph would vanish); posts are bounded before this
    by TRANSYNC_MAX_DOCUMENT_BYTES. One per thread: an lxml parser serializes its users."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.html.HTMLParser(huge_tree=True)
    return parser


def _tree_parser() -> etree.HTMLParser:
    """This thread's HTML parser for the walker: lxml's own HTML parser, which makes plain
    elements (lxml.html's looks up an HtmlElement class for every node, a tenth of the
    walk, for methods the walker does not use). ``huge_tree`` as in _html_parser."""
    parser = getattr(_PARSERS, "tree", None)
    if parser is None:
        parser = _PARSERS.tree = etree.HTMLParser(huge_tree=True)
    return parser


def _parse(fragment: str) -> etree._Element:
    """The body holding an HTML fragment (lxml's fragment helpers drop leading NBSP text)."""
    document = etree.fromstring(
        f"<html><body>{_NOT_XML.sub(' ', fragment)}</body></html>", parser=_tree_parser()
    )
    if document is None:  # as lxml.html.document_fromstring says of it
        raise etree.ParserError("Document is empty")
    body = document.find("body")
    return document if body is None else body


def canonical_html(fragment: str, *, autop: bool = False) -> str:
    """The canonical form of an inline HTML fragment, as segment texts use it.

    >>> canonical_html('<a title="t" class="c" href="/x">a&nbsp;b</a> <br />  c')
    '<a href="/x" title="t">a\\xa0b</a><br>c'
    """
    walker = _Walker(autop=autop)
    return walker.finish(walker.inner(_parse(fragment), []), preformatted=False)


class _Walker:
    def __init__(self, *, autop: bool) -> None:
        self.autop = autop
        self.segments: list[Segment] = []
        self.records: list[Segment] = []  # what the hash covers: segments and code blocks

    # -- blocks ---------------------------------------------------------------------------

    def container(self, element: etree._Element, *, in_quote: bool) -> None:
        """Walk a block that holds blocks; runs of loose inline content become paragraphs."""
        in_quote = in_quote or element.tag == "blockquote"
        loose_kind = "quote" if in_quote else "paragraph"
        run: list[tuple[bool, str]] = []  # (is raw text, piece)
        if element.text:
            run.append((True, element.text))
        for child in element:
            tag = _tag(child)
            if tag is None and (texts := _comment_texts(child.text)):
                self.loose(run, loose_kind)
                run = []
                for text in texts:
                    self.add("attribute", text.segment)
            elif tag is None or tag in _IGNORED:
                pass
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
                run.append((False, self.inline(child, deferred)))
                for nested in deferred:
                    self.container(nested, in_quote=in_quote)
            if child.tail:
                run.append((True, child.tail))
        self.loose(run, loose_kind)

    def loose(self, run: list[tuple[bool, str]], kind: str) -> None:
        """Inline content outside any block: blank lines separate paragraphs."""
        if all(is_text and (not piece or piece.isspace()) for is_text, piece in run):
            return  # white space between blocks (most runs): no text, no segment
        paragraph: list[str] = []
        for is_text, piece in run:
            if not is_text:
                paragraph.append(piece)
                continue
            first, *rest = _BLANK_LINE.split(piece)
            paragraph.append(_escape_text(first))
            for part in rest:
                self.add(kind, "".join(paragraph))
                paragraph = [_escape_text(part)]
        self.add(kind, "".join(paragraph))

    def block(self, element: etree._Element, tag: str, *, in_quote: bool) -> None:
        kind = _SEGMENT_KINDS[tag]
        if tag == "p" and in_quote:
            kind = "quote"
        if tag == "pre":
            if _is_code(element):
                code = normalize_block(str(_TEXT_CONTENT(element)))
                if code:
                    self.records.append(Segment(kind="code-block", text=code))
                return
            deferred: list[etree._Element] = []
            self.add(
                kind, self.finish(self.inner(element, deferred), preformatted=True), finished=True
            )
        else:
            deferred = []
            text = self.inner(element, deferred)
            if tag == "p" and self.autop:
                # wpautop makes a paragraph of each blank-line separated part.
                for part in _BLANK_LINE.split(text):
                    self.add(kind, self.finish(part, preformatted=False), finished=True)
            else:
                self.add(kind, self.finish(text, preformatted=False), finished=True)
        for nested in deferred:
            self.container(nested, in_quote=in_quote)

    def add(self, kind: str, text: str, *, finished: bool = False) -> None:
        """A segment of the text, unless it shows nothing. ``finished``: the text is what
        finish() made of it already (finish is idempotent: it would not change it)."""
        if not finished:
            text = self.finish(text, preformatted=False)
        if "<" in text or "&" in text:
            visible = html.unescape(_TAG.sub("", text)).strip()
        else:
            visible = text.strip()
        if not visible:
            return
        if kind in ("paragraph", "quote") and _SHORTCODES_ONLY.fullmatch(text):
            return  # a gallery or embed shortcode: rendered by WordPress, not text
        segment = Segment(kind=kind, text=text)
        self.segments.append(segment)
        self.records.append(segment)

    # -- inline content -------------------------------------------------------------------

    def inner(self, element: etree._Element, deferred: list[etree._Element]) -> str:
        """Serialize an element's content canonically; nested own-segment blocks are deferred."""
        parts: list[str] = []
        if element.text:
            parts.append(_escape_text(element.text))
        for child in element:
            parts.append(self.inline(child, deferred))
            if child.tail:
                parts.append(_escape_text(child.tail))
        return "".join(parts)

    def inline(self, element: etree._Element, deferred: list[etree._Element]) -> str:
        tag = _tag(element)
        if tag is None or tag in _IGNORED:
            return ""
        if tag == "br":
            return "<br>"
        if tag in _OWN_SEGMENTS:
            deferred.append(element)
            return _SOFT
        if tag in _SEGMENT_KINDS or tag in _CONTAINERS:
            return _SOFT + self.inner(element, deferred) + _SOFT
        attributes = _canonical_attributes(element)
        if tag == "span" and not attributes:
            return self.inner(element, deferred)
        start = f"<{tag}{attributes}>"
        if tag in _VOID:
            return start
        return f"{start}{self.inner(element, deferred)}</{tag}>"

    def finish(self, text: str, *, preformatted: bool) -> str:
        """Canonical line breaks and block boundaries, then normalize_inline."""
        if (
            "<br" not in text
            and _SOFT not in text
            and ("\n" not in text or not (preformatted or self.autop))
        ):
            return normalize_inline(text)  # most paragraphs: nothing for the regexes to do
        if preformatted or self.autop:
            text = _NEWLINE_AS_BR.sub("<br>", text)
        text = _AROUND_BR.sub("<br>", text)
        text = _SOFT_RUN.sub(_SOFT, text).strip(_SOFT)
        text = _SOFT_BR.sub("<br>", text)
        return normalize_inline(_EDGE_BR.sub("", text))


def _tag(element: etree._Element) -> str | None:
    """Lower-case tag name, or None for comments and processing instructions."""
    tag = element.tag
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1].lower()


def _is_code(element: etree._Element) -> bool:
    classes = (element.get("class") or "").split()
    if "wp-block-code" in classes:
        return True
    children = [c for c in element if _tag(c) is not None]
    text_outside = (element.text or "").strip() or any((c.tail or "").strip() for c in children)
    return len(children) == 1 and _tag(children[0]) == "code" and not text_outside


def _canonical_attributes(element: etree._Element) -> str:
    kept = sorted(
        (name.lower(), _WS_RUN.sub(" ", value).strip(" "))
        for name, value in element.attrib.items()
        if name.lower() not in _DROPPED_ATTRIBUTES and not name.lower().startswith("data-")
    )
    return "".join(f' {name}="{_escape_attribute(value)}"' for name, value in kept)


def _escape_text(text: str) -> str:
    if "&" not in text and "<" not in text and ">" not in text:
        return text  # most text: three searches instead of three copies
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(value: str) -> str:
    return _escape_text(value).replace('"', "&quot;")


def _caption_as_figure(match: re.Match[str]) -> str:
    """``[caption]<img> text[/caption]`` (classic editor) as the figure WordPress renders."""
    attributes, content = match.group(1), match.group(2)
    media = _CAPTION_MEDIA.match(content)
    image, caption = (media.group(1), media.group(2)) if media else ("", content)
    if not caption.strip():
        named = _CAPTION_ATTRIBUTE.search(attributes)
        caption = html.unescape(named.group(1) or named.group(2) or "") if named else ""
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


# -- Gutenberg block attributes -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _AttributeText:
    """A text in a block comment's JSON: its segment text, whether it is rich text, and
    where its JSON string (quotes included) is in the comment's text."""

    segment: str
    rich: bool
    start: int
    end: int


def _comment_texts(comment: str | None) -> list[_AttributeText]:
    """The texts a block comment (``<!-- wp:name {...} /-->``'s inner text) holds in its
    attributes, in order; none when it is no block comment or its JSON is not valid."""
    if not comment or "{" not in comment:
        return []
    opener = _BLOCK_OPENER.match(comment)
    if opener is None:
        return []
    found: list[tuple[str, str, int, int]] = []
    try:
        end = _json_value(comment, opener.end(), None, found)
    except (ValueError, IndexError):
        return []
    if comment[end:].strip() not in ("", "/"):
        return []
    texts = []
    for key, value, start, stop in found:
        rich = BLOCK_TEXT_ATTRIBUTES[key]
        text = canonical_html(value) if rich else _escape_text(normalize_inline(value))
        visible = html.unescape(_TAG.sub("", text)).strip()
        if any(c.isalpha() for c in visible) and not _ADDRESS.fullmatch(visible):
            texts.append(_AttributeText(text, rich, start, stop))
    return texts
