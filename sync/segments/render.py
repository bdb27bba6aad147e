"""Rendering a translation back into a Markdown source: each segment's text replaced,
everything around it (markers, indentation, code, blank lines, line endings) kept.

Pure: no database, no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from sync.segments.markdown import (
    _DEFINITION_LINE,
    _ONE_LINE_KINDS,
    HARD_BREAK,
    _new_parser,
    _parser,
    _prepare,
    _records,
    _with_definitions,
    inline_text,
)
from sync.text import normalize_inline

if TYPE_CHECKING:  # markdown-it loads with the first parse
    from markdown_it import MarkdownIt
    from markdown_it.rules_block import StateBlock


#: Where the render parser records, per line, the offset at which a leaf block's text starts.
_LINE_STARTS = "transync_line_starts"
_TRACKED_RULES = ("table", "html_block", "heading", "lheading", "paragraph", "deflist")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_ORDERED_MARKER = re.compile(r"[0-9]{1,9}(?=[.)])")
_THEMATIC_BREAK = re.compile(r"(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}")
_HEADING_CLOSER = re.compile(r"(?:^|[ \t])(#+)$")
_LEADING_TAG = re.compile(r"(<[^<>]*>) ")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
#: A line the table rule may take for the delimiter row under a header (container prefix aside).
_DELIMITER_ROW = re.compile(r"[>\s]*(?:[|:][|:\s-]|-[|:-])[|:\s-]*")
_ANY_PIPE = re.compile(r"\\?\|")


def _tracking(rule: Callable[[StateBlock, int, int, bool], bool]) -> Any:
    """Wrap a leaf block rule to record where the block's text starts on each of its lines."""

    def tracked(state: StateBlock, start: int, end: int, silent: bool) -> bool:
        if not rule(state, start, end, silent):
            return False
        if not silent:
            starts = state.env.setdefault(_LINE_STARTS, {})
            for line in range(start, state.line):  # a definition's own paragraphs came first
                starts.setdefault(line, state.bMarks[line] + state.tShift[line])
        return True

    return tracked


@functools.cache
def _render_parser(definitions: bool = False) -> MarkdownIt:
    """The segmenting parser (with definition lists when ``definitions``), also noting the
    offset of each leaf block line's first character (after container markers and
    indentation) in ``env[_LINE_STARTS]``.

    Rendering reads only block tokens (types, maps, markup, raw inline content), so the
    inline parse, which fills nothing but their children, is skipped."""
    md = _new_parser()
    if definitions:
        md = _with_definitions(md)
    md.disable(["inline", "text_join"])
    for rule in list(md.block.ruler.__rules__):
        if rule.name in _TRACKED_RULES:
            md.block.ruler.at(rule.name, _tracking(rule.fn), {"alt": list(rule.alt)})
    return md


def _translated(translation: str | None) -> str:
    """The text to write for a translation; empty means keep the source text. Its hard
    line breaks stay (:func:`inline_text`), whichever way the translator wrote them.

    Leading and trailing no-break spaces go too: Markdown trims them from every block.
    """
    return inline_text(translation).strip() if translation else ""


def _one_line(text: str) -> str:
    """The text for a block that has no hard breaks (a heading, a table cell, an HTML
    block): its hard breaks become spaces."""
    return normalize_inline(text.replace(HARD_BREAK, " ")) if HARD_BREAK in text else text


def _parses_as(source: str, types: list[str], content: str, markup: str = "") -> bool:
    tokens = _parser().parse(source, {})
    return (
        [t.type for t in tokens] == types
        and tokens[1].content == content
        and tokens[0].markup == markup
    )


def _escape_block_start(text: str) -> str:
    """Backslash-escape the marker that makes a line start a block other than a paragraph."""
    if number := _ORDERED_MARKER.match(text):
        return f"{text[: number.end()]}\\{text[number.end() :]}"
    if text[0] in _ASCII_PUNCTUATION:
        return f"\\{text}"
    return text


#: One line markdown-it surely reads as a paragraph (or heading text) that is exactly itself:
#: no line break or NUL (the parser rewrites those), no white space at either end (it trims
#: it), and, for a paragraph, a first character that cannot start another block (block
#: markers are ASCII punctuation or ASCII digits). Such text needs no trial parse.
_PLAIN_PARAGRAPH = re.compile(r"[^\s\0!-@\[-`{-~][^\0\r\n]*(?<!\s)", re.DOTALL)
_PLAIN_HEADING = re.compile(r"[^\s\0\r\n][^\0\r\n]*(?<![\s#])", re.DOTALL)


def _paragraph_lines(prefix: str, text: str) -> list[str]:
    """The lines holding a paragraph's (or setext heading's) new text after its container
    prefix: one, or one per hard line break, each after the prefix's continuation (``> ``
    in a quote, spaces in a list item).

    A line that would start another block (``# x``, ``- x``, ``1. x``, ``> x``, a fence, an
    HTML block, a reference or footnote definition, or under a break ``---`` that would
    make the lines above a heading) gets its first marker escaped.
    """
    if prefix and not prefix[-1].isspace():
        prefix += " "  # ">text": keep the text from composing with the marker under NFC
    safe = bool(_PLAIN_PARAGRAPH.fullmatch(text)) or _parses_as(
        text, ["paragraph_open", "inline", "paragraph_close"], text
    )
    first = text.split("\n", 1)[0]
    bullet = prefix.rstrip()[-1:]
    if safe and bullet in ("-", "*") and _THEMATIC_BREAK.fullmatch(f"{bullet} {first}"):
        safe = False  # "- " followed by "--" is a thematic break, not an item
    lines = text.split("\n")
    if not safe and len(lines) == 1:
        lines = [_escape_block_start(text)]
    elif not safe:  # the lines that start a block where they stand, each escaped
        kept: list[str] = []
        for line in lines:
            joined = "\n".join([*kept, line])
            if line and not _parses_as(
                joined, ["paragraph_open", "inline", "paragraph_close"], joined
            ):
                line = _escape_block_start(line)
            kept.append(line)
        lines = kept
    continuation = "".join(c if c in ">\t" else " " for c in prefix)
    return [prefix + lines[0], *(continuation + line for line in lines[1:])]


def _heading_line(prefix: str, markup: str, text: str) -> str:
    """An ATX heading line; a trailing run of ``#`` would be read as closing, so it is escaped."""
    types = ["heading_open", "inline", "heading_close"]
    if not _PLAIN_HEADING.fullmatch(text) and not _parses_as(
        f"{markup} {text}", types, text, markup
    ):
        closer = _HEADING_CLOSER.search(text)
        if closer:
            text = f"{text[: closer.start(1)]}\\{text[closer.start(1) :]}"
    return f"{prefix}{markup} {text}"


def _html_lines(prefix: str, text: str) -> list[str]:
    """An HTML block's new text; on one line unless its first tag must stand alone (type 7)."""

    def is_html_block(source: str) -> bool:
        tokens = _parser().parse(source, {})
        return [t.type for t in tokens] == ["html_block"] and (
            normalize_inline(tokens[0].content) == text
        )

    if prefix and not prefix[-1].isspace():
        prefix += " "
    if not is_html_block(text):
        tag = _LEADING_TAG.match(text)
        rest = text[tag.end() :] if tag else ""
        if tag and rest and is_html_block(f"{tag.group(1)}\n{rest}"):
            continuation = "".join(c if c in ">\t" else " " for c in prefix)
            return [prefix + tag.group(1), continuation + rest]
    return [prefix + text]


def render_markdown(body: str, translations: Sequence[str | None]) -> str:
    """The body with each segment's text replaced by its translation, structure kept.

    ``translations[i]`` belongs to the i-th segment of ``analyze_markdown("", body)``; ``None``
    or an empty string keeps the source text (those lines are left exactly as written).
    Heading markers, list markers and indentation, block quote prefixes, footnote labels and
    table delimiter rows are kept; code blocks, HTML blocks without text, link reference
    definitions and blank lines are copied unchanged. A translated block is written on one
    line, or one line per hard line break in a paragraph; table rows
    are rebuilt as ``| a | b |`` with every unescaped ``|`` written ``\\|``.
    A translation that would start another kind of block has its first marker escaped
    (``\\#``, ``\\-``, ``1\\.``, ``\\>``), and a ``|`` in a block right above a ``---``
    line is written ``&#124;`` (else the two lines are a table), so ``analyze_markdown``
    finds the same segment kinds with the translations as texts: exactly the translations
    (whitespace-normalized) when they hold no Markdown block syntax.

    >>> render_markdown("## Title\\n\\n- one\\n- two\\n", ["Başlık", None, "# iki"])
    '## Başlık\\n\\n- one\\n- \\\\# iki\\n'
    """
    source = _prepare(body)
    # a body with a definition list is read with them, as analyze_markdown reads it now; a
    # task made before that has the segments of the paragraph it was then
    for definitions in (True, False) if _DEFINITION_LINE.search(source) else (False,):
        env: dict[str, Any] = {}
        tokens = _render_parser(definitions).parse(source, env)
        found = [
            (index, kind)
            for is_segment, kind, raw, index in _records(tokens)
            if is_segment and normalize_inline(raw)
        ]
        if len(translations) == len(found):
            break
    else:
        raise ValueError(f"{len(translations)} translations for {len(found)} segments")
    starts: dict[int, int] = env.get(_LINE_STARTS, {})

    lines = source.split("\n")
    line_offsets = [0]
    for line in lines:
        line_offsets.append(line_offsets[-1] + len(line) + 1)

    def prefix(line: int) -> str:
        return lines[line][: starts[line] - line_offsets[line]]

    edits: dict[int, tuple[int, list[str]]] = {}  # first line -> (end line, new lines)
    cells: dict[int, str] = {}  # inline token index -> new cell text
    for (index, kind), translation in zip(found, translations, strict=True):
        text = _translated(translation)
        if not text:
            continue
        if kind in _ONE_LINE_KINDS:
            text = _one_line(text)
        if kind == "cell":
            cells[index] = _UNESCAPED_PIPE.sub(r"\\|", text)
            continue
        token, opener = tokens[index], tokens[index - 1]
        first, end = token.map or (0, 0)
        end = max(end, first + 1)  # a definition list's term says [line, line]
        if end < len(lines) and "-" in lines[end] and _DELIMITER_ROW.fullmatch(lines[end]):
            # A line with a "|" (escaped or not) above a "---" line is a table header.
            text = _ANY_PIPE.sub("&#124;", text)
        if kind == "html":
            new = _html_lines(prefix(first), text)
        elif opener.type == "heading_open" and opener.markup.startswith("#"):
            new = [_heading_line(prefix(first), opener.markup, text)]
        else:  # a paragraph, or the text lines of a setext heading (its underline stays)
            new = _paragraph_lines(prefix(first), text)
        edits[first] = (end, new)

    for position, token in enumerate(tokens):
        if token.type != "tr_open" or not token.map:
            continue
        row: list[int] = []
        for index in range(position + 1, len(tokens)):
            if tokens[index].type == "tr_close":
                break
            if tokens[index].type == "inline":
                row.append(index)
        if any(index in cells for index in row):
            texts = [cells.get(i, tokens[i].content.replace("|", "\\|")) for i in row]
            line = token.map[0]
            # cells past the header's count are no cells to the parser (nor to Hugo), but
            # they are the file's text: they stay, as written
            written = _UNESCAPED_PIPE.split(lines[line][len(prefix(line)) :].strip())
            written = written[written[0] == "" : len(written) - (written[-1] == "")]
            texts += [cell.strip() for cell in written[len(row) :]]
            edits[line] = (line + 1, [f"{prefix(line)}| {' | '.join(texts)} |"])

    # Lines left alone are copied from the body as written (line endings included).
    original = _LINE_BREAK.split(body)
    endings = [m.group() for m in _LINE_BREAK.finditer(body)] + [""]
    out: list[str] = []
    line = 0
    while line < len(original):
        if line in edits:
            end, new = edits[line]
            ending = endings[end - 1]
            out.append((ending or "\n").join(new) + ending)
            line = end
        else:
            out.append(original[line] + endings[line])
            line += 1
    return "".join(out)
