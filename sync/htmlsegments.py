"""Segment WordPress post HTML into the blocks translators translate, and hash them.

Blocks are ``p`` (paragraph), ``h1``–``h6`` (heading), ``li``/``dt``/``dd`` (item),
paragraphs inside ``blockquote`` (quote), ``td``/``th`` (cell), ``figcaption`` and
``caption`` (caption), and ``pre`` that is not code (paragraph, line breaks kept).
A segment's text is the block's inner HTML with inline markup kept, in a canonical
form, so markup WordPress adds by itself does not count as an edit: ``class``,
``id``, ``style``, ``data-*``, ``rel`` and image sizing attributes are dropped, the
rest are sorted, entities become characters, ``<br />`` becomes ``<br>`` with no
white space around it, and white space is collapsed. Gutenberg block comments,
``script`` and ``style`` are not text, except the texts a block keeps in its comment's
JSON attributes (``label``, ``title``, ``text``, ``alt``, ``caption``, ``content``, at any
depth, holding letters and not an address): each is an ``attribute`` segment where the
comment stands (``alt`` and ``title``
are plain text, shown escaped; the others are rich text, HTML). Code blocks are not
segments but count in the content hash. Content without block comments is classic
editor content, read the way ``wpautop`` renders it: blank lines separate
paragraphs and single newlines are line breaks.

Pure: no database, no I/O.

>>> body = '<!-- wp:paragraph --><p class="x">İyi&#8217;ler</p><!-- /wp:paragraph -->'
>>> a = analyze_html("Merhaba", body)
>>> [(s.kind, s.text) for s in a.segments]
[('title', 'Merhaba'), ('paragraph', 'İyi’ler')]
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from lxml import etree

from sync.segments import Analysis, Segment
from sync.text import NO_BREAK_SPACES, normalize_block, normalize_inline, sha256_hex

__all__ = ["analyze_html", "canonical_html", "hash_segments"]

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
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # lxml refuses them
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:")
_SHORTCODES_ONLY = re.compile(r"(?:\[/?[A-Za-z_][\w-]*(?:\s[^\[\]]*)?\]\s*)+")
_CAPTION_SHORTCODE = re.compile(r"\[caption([^\]]*)\](.*?)\[/caption\]", re.DOTALL | re.I)
_CAPTION_MEDIA = re.compile(r"\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)", re.DOTALL)
_CAPTION_ATTRIBUTE = re.compile(r"""\bcaption=(?:"([^"]*)"|'([^']*)')""")


#: Block attributes that hold text a reader sees, and whether each is rich text (HTML).
BLOCK_TEXT_ATTRIBUTES = {"label": True, "text": True, "content": True, "caption": True,
                         "alt": False, "title": False}
_BLOCK_OPENER = re.compile(r"\s*wp:[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?\s+(?=\{)")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_WS = re.compile(r"[ \t\n\r]*")
_ADDRESS = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#)\S*")  # a URL, path or anchor: no text
_JSON_ESCAPES = {'"': "\\u0022", "\\": "\\\\", "<": "\\u003c", ">": "\\u003e",
                 "&": "\\u0026"}


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
    title_text = normalize_inline(html.unescape(_NOT_XML.sub(" ", title)))
    if title_text:
        head.append(Segment(kind="title", text=title_text))
    walker = _walk(html_text, autop=autop)
    return Analysis(
        segments=(*head, *walker.segments),
        content_hash=hash_segments([*head, *walker.records]),
    )


def html_segments(html_text: str, *, autop: bool | None = None) -> list[Segment]:
    """The body's segments in document order (no title)."""
    return _walk(html_text, autop=autop).segments


def _walk(html_text: str, *, autop: bool | None) -> _Walker:
    if autop is None:
        autop = _BLOCK_COMMENT.search(html_text) is None
    html_text = _CAPTION_SHORTCODE.sub(_caption_as_figure, html_text)
    walker = _Walker(autop=autop)
    if html_text.strip():
        walker.container(_parse(html_text), in_quote=False)
    return walker


_PARSERS = threading.local()


def _html_parser() -> lxml.html.HTMLParser:
    """This thread's HTML parser. ``huge_tree``: libxml2 otherwise drops a text node over
    10 MB without an error (a long paragraph would vanish); posts are bounded before this
    by TRANSYNC_MAX_DOCUMENT_BYTES. One per thread: an lxml parser serializes its users."""
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.html.HTMLParser(huge_tree=True)
    return parser


def _parse(fragment: str) -> etree._Element:
    """The body holding an HTML fragment (lxml's fragment helpers drop leading NBSP text)."""
    document = lxml.html.document_fromstring(
        f"<html><body>{_NOT_XML.sub(' ', fragment)}</body></html>", parser=_html_parser()
    )
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
                code = normalize_block(element.text_content())
                if code:
                    self.records.append(Segment(kind="code-block", text=code))
                return
            deferred: list[etree._Element] = []
            self.add(kind, self.finish(self.inner(element, deferred), preformatted=True))
        else:
            deferred = []
            text = self.inner(element, deferred)
            if tag == "p" and self.autop:
                # wpautop makes a paragraph of each blank-line separated part.
                for part in _BLANK_LINE.split(text):
                    self.add(kind, self.finish(part, preformatted=False))
            else:
                self.add(kind, self.finish(text, preformatted=False))
        for nested in deferred:
            self.container(nested, in_quote=in_quote)

    def add(self, kind: str, text: str) -> None:
        text = self.finish(text, preformatted=False)
        visible = html.unescape(_TAG.sub("", text)).strip()
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
        if "<br" not in text and _SOFT not in text and (
            "\n" not in text or not (preformatted or self.autop)
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


def _json_value(text: str, i: int, key: str | None,
                found: list[tuple[str, str, int, int]]) -> int:
    """Parse the JSON value at text[i]; note every string under a text attribute's key
    (with its span); return where the value ends. ValueError if it is not JSON."""
    c = text[i]
    if c == "{":
        i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return i + 1
        while True:
            if text[i] != '"':
                raise ValueError("a key")
            name, i = json.decoder.scanstring(text, i + 1)
            i = _JSON_WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] != ":":
                raise ValueError("a colon")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
            i = _JSON_WS.match(text, _json_value(text, i, name, found)).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return i + 1
            if text[i] != ",":
                raise ValueError("a comma")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if c == "[":
        i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "]":
            return i + 1
        while True:
            i = _JSON_WS.match(text, _json_value(text, i, key, found)).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return i + 1
            if text[i] != ",":
                raise ValueError("a comma")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if c == '"':
        value, end = json.decoder.scanstring(text, i + 1)
        if key in BLOCK_TEXT_ATTRIBUTES:
            found.append((key, value, i, end))
        return end
    for literal in ("true", "false", "null"):
        if text.startswith(literal, i):
            return i + len(literal)
    number = _JSON_NUMBER.match(text, i)
    if number is None or number.end() == i:
        raise ValueError("a value")
    return number.end()


def _block_json_string(value: str) -> str:
    """A JSON string as WordPress writes block attributes (serialize_block_attributes):
    ``"``, ``<``, ``>``, ``&`` and ``--`` as ``\\u`` escapes, so the comment stays a comment
    and kses leaves it alone; other characters as they are.

    >>> _block_json_string('Tom & "Jerry" -- <b>')
    '"Tom \\\\u0026 \\\\u0022Jerry\\\\u0022 \\\\u002d\\\\u002d \\\\u003cb\\\\u003e"'
    """
    out = []
    for c in value:
        if c in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[c])
        elif c < " " or c in "\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out).replace("--", "\\u002d\\u002d") + '"'


# -- rendering translations -------------------------------------------------------------------
#
# render_html splices translations into the source text, so everything around the segments
# (block comments, attributes, white space, entities, shortcodes) stays byte for byte. To know
# where a segment's text is in the source, the source is tokenized here with offsets, every
# start tag gets a data attribute naming its token (data-* attributes are not canonical, so
# segmentation is unchanged) and the lxml tree of that marked-up copy is walked by _Locator,
# a _Walker that also keeps, for each character of a segment's text, the source span it came
# from. The segments it finds must equal html_segments(); otherwise rendering is refused.

__all__ += ["render_html"]

_MARK = "data-transync-at"
_MARKED_COMMENT = re.compile(rf"{_MARK}=([0-9]+)")
#: Elements whose content libxml2 reads as text, up to their end tag.
_RAW_TEXT = {"iframe", "noembed", "noframes", "script", "style", "textarea", "title", "xmp"}
_HTML_VOID = {
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
}  # fmt: skip
_TAG_SPACE = " \t\n\f\r"
_CHARREF = re.compile(r"&(?:#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_START_TAG_TEXT = re.compile(r"""<[a-zA-Z](?:"[^"]*"|'[^']*'|[^'">])*>""")


@dataclass(slots=True)
class _Token:
    """A tag or comment of the source: start, end, comment, or drop (libxml2 keeps nothing)."""

    kind: str
    start: int
    end: int
    name: str = ""
    closed: bool = False  # a start tag with no content: void, or written "<x/>"
    mark_at: int = 0  # where a start tag's marking attribute goes


def _scan_tag(text: str, i: int) -> tuple[int, int, bool] | None:
    """(end, marking offset, self-closing) of the tag at text[i] ("<" then a letter)."""
    n = len(text)
    j = i + 2
    while j < n and text[j] not in _TAG_SPACE and text[j] not in "/>":
        j += 1
    while j < n:
        c = text[j]
        if c in _TAG_SPACE:
            j += 1
        elif c == ">":
            return j + 1, j, False
        elif c == "/":
            if text.startswith(">", j + 1):
                return j + 2, j, True
            j += 1
        else:  # an attribute: name, then maybe = and a value
            j += 1
            while j < n and text[j] not in _TAG_SPACE and text[j] not in "/>=":
                j += 1
            k = j
            while k < n and text[k] in _TAG_SPACE:
                k += 1
            if k < n and text[k] == "=":
                k += 1
                while k < n and text[k] in _TAG_SPACE:
                    k += 1
                if k < n and text[k] in "\"'":
                    close = text.find(text[k], k + 1)
                    if close < 0:
                        return None
                    j = close + 1
                else:
                    while k < n and text[k] not in _TAG_SPACE and text[k] != ">":
                        k += 1
                    j = k
    return None


def _token_at(text: str, i: int) -> _Token | None:
    """The token starting at text[i] == "<", or None when that "<" is text."""
    n = len(text)
    nxt = text[i + 1 : i + 2]
    if text.startswith("<!--", i):
        if text.startswith(">", i + 4) or text.startswith("->", i + 4):
            return _Token("comment", i, text.index(">", i) + 1)
        ends = [e for e in (text.find("-->", i + 4), text.find("--!>", i + 4)) if e >= 0]
        if not ends:
            return _Token("comment", i, n)
        end = min(ends)
        return _Token("comment", i, end + (3 if text.startswith("-->", end) else 4))
    if nxt in ("!", "?") or (nxt == "/" and text[i + 2 : i + 3] not in ("", ">")):
        if nxt == "/" and text[i + 2 : i + 3].isascii() and text[i + 2 : i + 3].isalpha():
            scanned = _scan_tag(text, i + 1)
            if scanned is None:
                return _Token("drop", i, n)
            j = i + 2
            while j < n and text[j] not in _TAG_SPACE and text[j] not in "/>":
                j += 1
            return _Token("end", i, scanned[0], name=text[i + 2 : j].lower())
        close = text.find(">", i + 2)
        end = n if close < 0 else close + 1
        if nxt == "!" and text[i + 2 : i + 9].lower() == "doctype":
            return _Token("drop", i, end)  # libxml2 drops a doctype inside the body
        return _Token("comment", i, end)  # bogus comment: <!x>, <?php ?>, </ x>
    if text.startswith("</>", i):
        return _Token("drop", i, i + 3)
    if nxt.isascii() and nxt.isalpha():
        scanned = _scan_tag(text, i)
        if scanned is None:
            return _Token("drop", i, n)
        end, mark_at, self_closing = scanned
        j = i + 1
        while j < n and text[j] not in _TAG_SPACE and text[j] not in "/>":
            j += 1
        name = text[i + 1 : j].lower()
        closed = self_closing or name in _HTML_VOID
        return _Token("start", i, end, name=name, closed=closed, mark_at=mark_at)
    return None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = text.find("<")
    while 0 <= i:
        token = _token_at(text, i)
        if token is None:
            i = text.find("<", i + 1)
            continue
        tokens.append(token)
        i = token.end
        if token.kind == "start" and not token.closed:
            if token.name == "plaintext":
                break
            if token.name in _RAW_TEXT:
                close = re.compile(rf"</{token.name}[{_TAG_SPACE}/>]", re.I).search(text, i)
                i = close.start() if close else len(text)
        i = text.find("<", i)
    return tokens


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
    tags: list[tuple[tuple[int, int], str]]  # inline start tags and their canonical form


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
        self.tags: list[tuple[tuple[int, int], str]] = []

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
        return [_AttributeText(t.segment, t.rich, start + 4 + t.start, start + 4 + t.end)
                for t in _comment_texts(inner)]

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
                    chars.tags.append((self.document.start_tag(node), f"<{tag}{attributes}>"))
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
    rel, srcset...): a tag whose canonical form equals a source tag's becomes that tag."""
    pool = []
    for (start, end), canonical in span.tags:
        original = document.text[start:end]
        if original != canonical:
            pool.append((canonical, original))
    if not pool:
        return translation

    def swap(match: re.Match[str]) -> str:
        canonical = _canonical_start_tag(match.group())
        for position, (candidate, original) in enumerate(pool):
            if candidate == canonical:
                del pool[position]
                return original
        return match.group()

    return _START_TAG_TEXT.sub(swap, translation)


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
        if in_attribute:  # caption="..." of a classic [caption]: the value is HTML, escaped
            text = html.escape(text, quote=True)
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
