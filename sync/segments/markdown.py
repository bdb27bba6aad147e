"""Segmenting Markdown: the blocks of a version (markdown-it-py) and its content hash.

Pure: no database, no I/O.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from sync.segments.model import Analysis, Segment, _Segments
from sync.text import (
    normalize_block,
    normalize_inline,
    normalize_newlines,
    sha256_hex,
    strip_trailing_whitespace,
)

if TYPE_CHECKING:  # markdown-it loads with the first parse: a no-change rescan never needs it
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock
    from markdown_it.token import Token


#: Bumped whenever the canonical serialization below changes (every hash would change).
HASH_FORMAT = "transync-content-v1"

_CONTAINERS = {
    "list_item_open": "item",
    "blockquote_open": "quote",
    "footnote_reference_open": "footnote",
}
_CONTAINER_CLOSE = {"list_item_close", "blockquote_close", "footnote_reference_close"}
#: Definition lists (Goldmark's, on in Hugo by default): ``Term`` then ``: definition``
#: lines. A term is a segment of its own, a definition's paragraphs are ``definition``s.
_DEFINITION_OPEN, _DEFINITION_CLOSE = "dd_open", "dd_close"
#: A line that may open a definition (``:`` then white space, after any container marks):
#: only then is a body read a second time with definition lists on.
_DEFINITION_LINE = re.compile(r"^[ \t>]*(?:[-*+][ \t]+|\d{1,9}[.)][ \t]+)*:[ \t]", re.MULTILINE)

#: Hugo shortcodes whose inner text is code (``{{< highlight go >}}…{{< /highlight >}}``,
#: ``{{% code %}}…{{% /code %}}``): read as a fenced code block, not as prose.
CODE_SHORTCODES = ("highlight", "code")
#: The token a code shortcode pair becomes: info is its opening shortcode, markup its
#: closing one (with whatever follows it on that line).
SHORTCODE_CODE = "shortcode_code"
_CODE_OPENER = re.compile(
    r"\{\{([<%])\s*(" + "|".join(CODE_SHORTCODES) + r")(?![-\w/.])([^\n]*?)([>%])\}\}"
)
_CODE_CLOSER = re.compile(r"\{\{([<%])\s*/\s*([-\w/.]+)\s*([>%])\}\}")


def _code_shortcode(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """Block rule: a code shortcode opening a line, through the line of its closing shortcode.

    Hugo hands the inner text to a highlighter verbatim, so it must be kept like a fence's:
    as a paragraph its lines would be offered for translation, counted as words and written
    back joined on one line. Without its closing shortcode (in the same container) the line
    is left to the other rules: an unpaired ``{{< code >}}`` is some other shortcode.
    """
    pos = state.bMarks[start] + state.tShift[start]
    if not state.src.startswith("{{", pos) or state.is_code_block(start):
        return False
    opener = _CODE_OPENER.match(state.src, pos, state.eMarks[start])
    if (
        opener is None
        or (opener[1] == "<") != (opener[4] == ">")
        or opener[3].rstrip().endswith("/")  # self-closing: nothing inside
    ):
        return False
    line, search = start, opener.end()
    while line < end:
        if line > start:
            search = state.bMarks[line] + state.tShift[line]
            if search < state.eMarks[line] and state.sCount[line] < state.blkIndent:
                return False  # a line outside the container: the list item or quote ended
        closer = next(
            (
                m
                for m in _CODE_CLOSER.finditer(state.src, search, state.eMarks[line])
                if m[2] == opener[2]
            ),
            None,
        )
        if closer is not None:
            break
        line += 1
    else:
        return False
    if silent:
        return True
    # lines cut as a fence's content is: container markers and the opener's indent gone
    inside = state.src[opener.end() : state.eMarks[start]]
    if line > start:
        inside += "\n" + state.getLines(start + 1, line + 1, state.sCount[start], False)
    cut = len(inside) - (state.eMarks[line] - closer.start())
    token = state.push(SHORTCODE_CODE, "code", 0)
    token.info = opener[0]
    token.content = inside[:cut]
    token.markup = inside[cut:]
    token.map = [start, line + 1]
    state.line = line + 1
    return True


def _new_parser() -> MarkdownIt:
    # Footnote definitions stay where they are written (move_to_end=False), so segments
    # follow the source order and unreferenced definitions are not silently dropped.
    # Inline footnotes (^[...]) are left as text of the paragraph that holds them.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(footnote_plugin, inline=False, move_to_end=False)
    )
    # Like a fence it may interrupt a paragraph, and end a quote's or list's lazy lines.
    alt = ["paragraph", "reference", "blockquote", "list"]
    md.block.ruler.before("fence", SHORTCODE_CODE, _code_shortcode, {"alt": alt})
    return md


def _with_definitions(md: MarkdownIt) -> MarkdownIt:
    from mdit_py_plugins.deflist import deflist_plugin

    return md.use(deflist_plugin)


@functools.cache
def _parser() -> MarkdownIt:
    return _new_parser()


@functools.cache
def _definitions_block_parser() -> MarkdownIt:
    """:func:`_block_parser` with definition lists: what segments a body that has them.
    The content hash is read without them, as it always was (a definition list was a
    paragraph ``Term : definition`` then), so a page that has one keeps its revision."""
    return _with_definitions(_new_parser()).disable(["normalize", "inline", "text_join"])


@functools.cache
def _block_parser() -> MarkdownIt:
    """The segmenting parser without the inline pass: segments and the hash read only block
    tokens (an ``inline`` token's ``content`` is set by the block rules; the inline pass
    only builds its ``children``). Link reference definitions are found by the block rules
    too, and footnote definitions stay in place (no core rule moves them), so the tokens
    and ``env`` that :func:`analyze_markdown` reads are the same, at about 2/3 of the cost.

    The ``normalize`` core rule (line endings to LF, NUL to U+FFFD) is off too: it is two
    regular expression passes over the text, and :func:`_block_source` does the same."""
    return _new_parser().disable(["normalize", "inline", "text_join"])


def _block_source(body: str) -> str:
    """:func:`_prepare` plus what markdown-it's ``normalize`` rule would do (no CR is left)."""
    source = _prepare(body)
    return source.replace("\0", "\ufffd") if "\0" in source else source


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


def _spaced_breaks(body: str) -> frozenset[int]:
    """The lines (numbered as in :func:`_prepare`'s text) that end in two spaces or more:
    a hard line break when the next line goes on with the same paragraph. ``_prepare``
    strips them, so that the blocks and the hash are what they always were;
    :func:`analyze_markdown` puts them back into the paragraphs it reads them from."""
    if "  \n" not in body and "  \r" not in body:
        return frozenset()
    lines = normalize_newlines(body).split("\n")
    return frozenset(i for i, line in enumerate(lines) if line.endswith("  ") and line.strip())


#: Segments whose text is one line: hard breaks in them are read (and written) as spaces,
#: since a heading, a table cell or an HTML block's text has no place for one in Markdown
#: (a setext heading does, but a heading is a heading, whichever way it is written).
_ONE_LINE_KINDS = frozenset({"heading", "cell", "html"})
#: A hard line break in a segment's text, however the file wrote it (two trailing spaces or
#: a backslash): a backslash and a newline, which a translator sees (trailing spaces vanish
#: in most editors) and which Markdown reads as the same break.
HARD_BREAK = "\\\n"
_BREAK_CANDIDATE = re.compile(r"(?:  |\\)\n")


def inline_text(raw: str) -> str:
    """A block's inline Markdown as segment text: :func:`normalize_inline` (white space and
    line wrapping are layout), except that hard line breaks stay, as :data:`HARD_BREAK`.
    A newline inside a code span or an HTML tag is no break, so the breaks are those
    markdown-it's inline parse finds; should its breaks not line up with the text's
    newlines one for one (a code span over two lines), the text is flattened, as a
    soft-wrapped one is.

    >>> inline_text("Atatürk Blv. 12  \\nÇankaya\\\\\\nAnkara\\nTürkiye")
    'Atatürk Blv. 12\\\\\\nÇankaya\\\\\\nAnkara Türkiye'
    >>> inline_text("`a  \\nb` c"), inline_text("one\\ntwo")
    ('`a b` c', 'one two')
    """
    raw = normalize_newlines(raw)  # a browser's form sends CR LF
    flat = normalize_inline(raw)
    if "\n" not in raw or not _BREAK_CANDIDATE.search(raw):
        return flat
    children = _parser().parseInline(raw)[0].children or []
    breaks = [t.type == "hardbreak" for t in children if t.type in ("softbreak", "hardbreak")]
    lines = raw.split("\n")
    if len(breaks) != len(lines) - 1 or not any(breaks):
        return flat
    groups: list[list[str]] = [[lines[0]]]
    for hard, line in zip(breaks, lines[1:], strict=True):
        if hard:
            end = groups[-1][-1].rstrip()
            groups[-1][-1] = end[:-1] if end.endswith("\\") else end
            groups.append([line])
        else:
            groups[-1].append(line)
    return HARD_BREAK.join(normalize_inline("\n".join(group)) for group in groups).strip()


def _records(tokens: Sequence[Token]) -> Iterator[tuple[bool, str, str, int]]:
    """Yield (is_segment, kind, text, token index) for every block that counts, in order.

    The index is that of the token holding the text: ``inline`` (its opener comes just
    before it), ``html_block``, ``fence``, ``code_block`` or a code shortcode's.
    """
    containers: list[str] = []
    opener = ""
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _CONTAINERS:
            containers.append(_CONTAINERS[kind])
        elif kind == _DEFINITION_OPEN:
            containers.append("definition")
        elif kind in _CONTAINER_CLOSE or kind == _DEFINITION_CLOSE:
            containers.pop()
        elif kind == "inline":
            if opener == "heading_open":
                yield True, "heading", token.content, index
            elif opener == "paragraph_open":
                yield True, containers[-1] if containers else "paragraph", token.content, index
            elif opener == "dt_open":
                yield True, "term", token.content, index
            elif opener in ("th_open", "td_open"):
                # The table rule unescapes "\|"; every "|" left in a cell was written "\|".
                yield True, "cell", token.content.replace("|", "\\|"), index
        elif kind in ("fence", "code_block"):
            info = normalize_inline(token.info)
            yield False, "code", f"{info}\n{normalize_block(token.content)}", index
        elif kind == SHORTCODE_CODE:
            opener, closer = normalize_inline(token.info), normalize_inline(token.markup)
            yield False, "code", f"{opener}\n{normalize_block(token.content)}\n{closer}", index
        elif kind == "html_block":
            yield has_visible_text(token.content), "html", token.content, index
        opener = kind


def _with_spaces(raw: str, where: list[int] | None, spaced: frozenset[int]) -> str:
    """A block's inline text with the two trailing spaces of its lines that had them (the
    block's lines start at ``where[0]``, one a line of its text)."""
    if not spaced or not where:
        return raw
    lines = raw.split("\n")
    first = where[0]
    for i in range(len(lines) - 1):
        if first + i in spaced:
            lines[i] += "  "
    return "\n".join(lines)


def _blocks(body: str) -> tuple[list[tuple[bool, str, str]], list[list[str]], list[str]]:
    """The body's blocks that hold something, in order, as ``(is_segment, kind, text)`` (a
    segment's text with its hard breaks, :func:`inline_text`); the records the content
    hash reads, ``[kind, text]`` (without hard breaks or definition lists: as it always
    has); and the link reference definitions (``label\\nhref\\ntitle``)."""
    env: dict[str, Any] = {}
    source = _block_source(body)
    tokens = _block_parser().parse(source, env)
    spaced = _spaced_breaks(body)
    hashed: list[list[str]] = []
    for is_segment, kind, raw, _index in _records(tokens):
        text = normalize_inline(raw) if kind != "code" else raw
        if text and text != "\n":
            hashed.append([kind if is_segment else f"{kind}-block", text])
    if _DEFINITION_LINE.search(source):
        tokens = _definitions_block_parser().parse(source, {})
    blocks: list[tuple[bool, str, str]] = []
    for is_segment, kind, raw, index in _records(tokens):
        text = normalize_inline(raw) if kind != "code" else raw
        if not text or text == "\n":
            continue
        if is_segment and "\n" in raw and kind not in _ONE_LINE_KINDS:
            text = inline_text(_with_spaces(raw, tokens[index].map, spaced))
        blocks.append((is_segment, kind, text))
    references = [
        f"{label}\n{ref.get('href', '')}\n{ref.get('title', '')}"
        for label, ref in env.get("references", {}).items()
    ]
    return blocks, hashed, references


def body_blocks(body: str) -> list[tuple[bool, str, str]]:
    """Every block of a body that holds something, as ``(is_segment, kind, text)``: its
    segments (as :func:`analyze_markdown` gives them, without the title), code blocks,
    HTML blocks without text, and link reference definitions (kind ``reference``). What a
    write-back must not drop without saying so."""
    blocks, _, references = _blocks(body)
    return blocks + [(False, "reference", ref) for ref in references]


def analyze_markdown(title: str, body: str) -> Analysis:
    """Split a Markdown version into segments and hash its normalized content.

    Segment texts are the blocks' inline Markdown source (links, emphasis, inline HTML,
    footnote references verbatim), normalized with :func:`normalize_inline`, hard line
    breaks kept (:func:`inline_text`); a definition list's terms and definitions are
    segments of their own. The hash also covers code blocks, HTML blocks without visible
    text and link reference definitions, so any edit except white space, line wrapping,
    line endings and Unicode form changes it.
    """
    blocks, hashed, references = _blocks(body)
    norm_title = normalize_inline(title)
    segments: list[Segment] = []
    if norm_title:
        segments.append(Segment(kind="title", text=norm_title))
    segments.extend(Segment(kind=kind, text=text) for seg, kind, text in blocks if seg)
    records = [["title", norm_title], *hashed]
    records.extend(["reference", reference] for reference in references)
    payload = json.dumps([HASH_FORMAT, records], ensure_ascii=False, separators=(",", ":"))
    return Analysis(segments=_Segments(segments), content_hash=sha256_hex(payload))
