"""Segments: the blocks of a version that translators translate and catalogs list.

Pure: no database, no I/O.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Literal

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


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """One block of a version: kind is title, heading, paragraph, item, quote, cell, footnote, caption."""  # noqa: E501

    kind: str
    text: str

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # Pickled by the tens of thousands (process pool, scan spill): the dataclass default
        # for frozen slots classes (__getstate__/__setstate__ over fields()) is several
        # times slower.
        return _segment, (self.kind, self.text)


def _segment(kind: str, text: str, _new: Any = object.__new__, _set: Any = object.__setattr__
             ) -> Segment:
    """Segment(kind=kind, text=text) at half the cost (no keyword parsing, no frozen check)."""
    segment = _new(Segment)
    _set(segment, "kind", kind)
    _set(segment, "text", text)
    return segment


class _Segments(tuple):  # type: ignore[type-arg]
    """The segments of an analysis: a tuple that pickles as two tuples of strings (kinds and
    texts), one object per segment fewer to pickle and to call back when unpickled. Every
    new revision's segments travel from a parser process and through the scan's spill."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...], tuple[str, ...]]]:
        return _unpack_segments, (tuple(s.kind for s in self), tuple(s.text for s in self))


def _unpack_segments(kinds: tuple[str, ...], texts: tuple[str, ...]) -> _Segments:
    return _Segments(map(_segment, kinds, texts))


@dataclass(frozen=True, kw_only=True, slots=True)
class Analysis:
    """A version's segments and its content hash (full SHA-256 hex of the normalized content)."""

    segments: tuple[Segment, ...]
    content_hash: str

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]

    def __reduce__(self) -> tuple[Any, tuple[tuple[Segment, ...], str]]:
        return _analysis, (self.segments, self.content_hash)


def _analysis(segments: tuple[Segment, ...], content_hash: str) -> Analysis:
    return Analysis(segments=segments, content_hash=content_hash)


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


def _new_parser() -> MarkdownIt:
    # Footnote definitions stay where they are written (move_to_end=False), so segments
    # follow the source order and unreferenced definitions are not silently dropped.
    # Inline footnotes (^[...]) are left as text of the paragraph that holds them.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    return (
        MarkdownIt("commonmark")
        .enable("table")
        .use(footnote_plugin, inline=False, move_to_end=False)
    )


@functools.cache
def _parser() -> MarkdownIt:
    return _new_parser()


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


def _records(tokens: Sequence[Token]) -> Iterator[tuple[bool, str, str, int]]:
    """Yield (is_segment, kind, text, token index) for every block that counts, in order.

    The index is that of the token holding the text: ``inline`` (its opener comes just
    before it), ``html_block``, ``fence`` or ``code_block``.
    """
    containers: list[str] = []
    opener = ""
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _CONTAINERS:
            containers.append(_CONTAINERS[kind])
        elif kind in _CONTAINER_CLOSE:
            containers.pop()
        elif kind == "inline":
            if opener == "heading_open":
                yield True, "heading", token.content, index
            elif opener == "paragraph_open":
                yield True, containers[-1] if containers else "paragraph", token.content, index
            elif opener in ("th_open", "td_open"):
                # The table rule unescapes "\|"; every "|" left in a cell was written "\|".
                yield True, "cell", token.content.replace("|", "\\|"), index
        elif kind in ("fence", "code_block"):
            info = normalize_inline(token.info)
            yield False, "code", f"{info}\n{normalize_block(token.content)}", index
        elif kind == "html_block":
            yield has_visible_text(token.content), "html", token.content, index
        opener = kind


def analyze_markdown(title: str, body: str) -> Analysis:
    """Split a Markdown version into segments and hash its normalized content.

    Segment texts are the blocks' inline Markdown source (links, emphasis, inline HTML,
    footnote references verbatim), normalized with :func:`normalize_inline`. The hash also
    covers code blocks, HTML blocks without visible text and link reference definitions,
    so any edit except white space, line wrapping, line endings and Unicode form changes it.
    """
    env: dict[str, Any] = {}
    tokens = _block_parser().parse(_block_source(body), env)
    norm_title = normalize_inline(title)
    segments: list[Segment] = []
    if norm_title:
        segments.append(Segment(kind="title", text=norm_title))
    hashed: list[list[str]] = [["title", norm_title]]
    for is_segment, kind, raw, _index in _records(tokens):
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
    return Analysis(segments=_Segments(segments), content_hash=sha256_hex(payload))


#: A front-matter field's segments have this kind prefix, then the field: ``meta:description``.
FIELD_KIND = "meta:"


def with_fields(analysis: Analysis, fields: Sequence[tuple[str, str]]) -> Analysis:
    """The analysis with translatable front-matter fields as segments after the title.

    ``fields`` are (field, text) pairs in order; a field holding a list or mapping gives one
    pair per string inside it. The texts are normalized like titles and empty ones dropped.
    Without fields the analysis is returned as it is (its hash unchanged); with fields, the
    hash covers them too, so a changed description makes the translations stale.

    >>> a = with_fields(analyze_markdown("T", "Body."), [("description", " A  note ")])
    >>> [(s.kind, s.text) for s in a.segments]
    [('title', 'T'), ('meta:description', 'A note'), ('paragraph', 'Body.')]
    """
    extra = [Segment(kind=FIELD_KIND + name, text=text)
             for name, raw in fields if (text := normalize_inline(raw))]
    if not extra:
        return analysis
    segments = list(analysis.segments)
    at = 1 if segments and segments[0].kind == "title" else 0
    payload = json.dumps([HASH_FORMAT + "+fields", analysis.content_hash,
                          [[s.kind, s.text] for s in extra]],
                         ensure_ascii=False, separators=(",", ":"))
    return Analysis(segments=_Segments([*segments[:at], *extra, *segments[at:]]),
                    content_hash=sha256_hex(payload))


def segment_label(kind: str) -> str:
    """How a catalog comment names a segment's kind.

    >>> segment_label("meta:linkTitle"), segment_label("paragraph")
    ('front-matter field linkTitle', 'paragraph')
    """
    return f"front-matter field {kind[len(FIELD_KIND):]}" if kind.startswith(FIELD_KIND) else kind


def split_fields(kinds: Sequence[str]) -> tuple[int, int]:
    """(title count, field count) at the head of a version's segment kinds: texts[:t] are the
    title, texts[t:t + f] the front-matter fields, the rest the body.

    >>> split_fields(["title", "meta:summary", "meta:cards", "paragraph"])
    (1, 2)
    """
    t = 1 if kinds and kinds[0] == "title" else 0
    f = 0
    while t + f < len(kinds) and kinds[t + f].startswith(FIELD_KIND):
        f += 1
    return t, f


def analyze_document(
    title: str,
    body: str,
    *,
    body_format: str = "markdown",
    fields: Sequence[tuple[str, str]] = (),
    autop: bool | None = None,
) -> Analysis:
    """Segments and hash of a version: title, translatable front-matter fields, then the
    body as Markdown or HTML (``autop`` as :func:`sync.htmlsegments.analyze_html` takes it)."""
    if body_format == "html":
        from sync.htmlsegments import analyze_html  # lxml loads only for HTML documents

        analysis = analyze_html(title, body, autop=autop)
    else:
        analysis = analyze_markdown(title, body)
    return with_fields(analysis, fields) if fields else analysis


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


# ---------------------------------------------------------------- rendering translations

#: Where the render parser records, per line, the offset at which a leaf block's text starts.
_LINE_STARTS = "transync_line_starts"
_TRACKED_RULES = ("table", "html_block", "heading", "lheading", "paragraph")
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
            for line in range(start, state.line):
                starts[line] = state.bMarks[line] + state.tShift[line]
        return True

    return tracked


@functools.cache
def _render_parser() -> MarkdownIt:
    """The segmenting parser, also noting the offset of each leaf block line's first character
    (after container markers and indentation) in ``env[_LINE_STARTS]``.

    Rendering reads only block tokens (types, maps, markup, raw inline content), so the
    inline parse, which fills nothing but their children, is skipped."""
    md = _new_parser().disable(["inline", "text_join"])
    for rule in list(md.block.ruler.__rules__):
        if rule.name in _TRACKED_RULES:
            md.block.ruler.at(rule.name, _tracking(rule.fn), {"alt": list(rule.alt)})
    return md


def _translated(translation: str | None) -> str:
    """The text to write for a translation; empty means keep the source text.

    Leading and trailing no-break spaces go too: Markdown trims them from every block.
    """
    return normalize_inline(translation).strip() if translation else ""


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


def _paragraph_line(prefix: str, text: str) -> str:
    """The line holding a paragraph's (or setext heading's) new text after its container prefix.

    Text that would start another block (``# x``, ``- x``, ``1. x``, ``> x``, a fence, an
    HTML block, a reference or footnote definition...) gets its first marker escaped.
    """
    if prefix and not prefix[-1].isspace():
        prefix += " "  # ">text": keep the text from composing with the marker under NFC
    safe = bool(_PLAIN_PARAGRAPH.fullmatch(text)) or _parses_as(
        text, ["paragraph_open", "inline", "paragraph_close"], text)
    bullet = prefix.rstrip()[-1:]
    if safe and bullet in ("-", "*") and _THEMATIC_BREAK.fullmatch(f"{bullet} {text}"):
        safe = False  # "- " followed by "--" is a thematic break, not an item
    return prefix + (text if safe else _escape_block_start(text))


def _heading_line(prefix: str, markup: str, text: str) -> str:
    """An ATX heading line; a trailing run of ``#`` would be read as closing, so it is escaped."""
    types = ["heading_open", "inline", "heading_close"]
    if not _PLAIN_HEADING.fullmatch(text) and not _parses_as(f"{markup} {text}", types, text,
                                                                  markup):
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
    line; table rows are rebuilt as ``| a | b |`` with every unescaped ``|`` written ``\\|``.
    A translation that would start another kind of block has its first marker escaped
    (``\\#``, ``\\-``, ``1\\.``, ``\\>``), and a ``|`` in a block right above a ``---``
    line is written ``&#124;`` (else the two lines are a table), so ``analyze_markdown``
    finds the same segment kinds with the translations as texts: exactly the translations
    (whitespace-normalized) when they hold no Markdown block syntax.

    >>> render_markdown("## Title\\n\\n- one\\n- two\\n", ["Başlık", None, "# iki"])
    '## Başlık\\n\\n- one\\n- \\\\# iki\\n'
    """
    source = _prepare(body)
    env: dict[str, Any] = {}
    tokens = _render_parser().parse(source, env)
    starts: dict[int, int] = env.get(_LINE_STARTS, {})
    found = [
        (index, kind)
        for is_segment, kind, raw, index in _records(tokens)
        if is_segment and normalize_inline(raw)
    ]
    if len(translations) != len(found):
        raise ValueError(f"{len(translations)} translations for {len(found)} segments")

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
        if kind == "cell":
            cells[index] = _UNESCAPED_PIPE.sub(r"\\|", text)
            continue
        token, opener = tokens[index], tokens[index - 1]
        first, end = token.map or (0, 0)
        if end < len(lines) and "-" in lines[end] and _DELIMITER_ROW.fullmatch(lines[end]):
            # A line with a "|" (escaped or not) above a "---" line is a table header.
            text = _ANY_PIPE.sub("&#124;", text)
        if kind == "html":
            new = _html_lines(prefix(first), text)
        elif opener.type == "heading_open" and opener.markup.startswith("#"):
            new = [_heading_line(prefix(first), opener.markup, text)]
        else:  # a paragraph, or the text lines of a setext heading (its underline stays)
            new = [_paragraph_line(prefix(first), text)]
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
