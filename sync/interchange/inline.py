"""Inline codes: a segment's markup as protected codes a CAT tool shows as tags, and back.

Pure: no database, no I/O. :func:`parse` splits a segment's text into prose and codes,
using the grammar of :mod:`sync.checks` (what a translation must keep):

- paired codes (XLIFF 1.2 ``<g>``, 2.0 ``<pc>``) wrap translatable text: HTML elements
  (``<a href="…">…</a>``, ``<b>…</b>``), Markdown links and images (``[`` … ``](target)``,
  ``![`` … ``](src)``), emphasis (``**``, ``__``, ``*``, ``_``, ``~~``), and a Hugo
  shortcode whose text parameters (``text``, ``title``, ``alt``, ``caption``) are prose:
  ``{{< tip text="`` *prose* ``" >}}``, a second text parameter's glue being a standalone
  code inside;
- standalone codes (1.2 ``<x/>``, 2.0 ``<ph/>``): other shortcodes, HTML tags left open or
  void (``<br>``, ``<img …>``), a Markdown hard line break (``\\`` and a newline, 1.2's
  ``ctype="lb"``), comments, code spans, autolinks, footnote markers
  (``[^1]``, ``[1]``), placeholders (``%s``, ``{name}``), a link target without its
  opening bracket, an emphasis marker without its partner.

Codes are numbered 1, 2, … in the order their first part appears; a pair has one number.
``render(parse(text)) == text`` for every text, and a translation comes back through
:func:`restore`, which takes each code's original from the *source* segment by number:
the file only says where a code goes, never what it is, so a code cannot be altered,
only moved, dropped or repeated, and those are reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sync.checks.grammar import (
    _BRACE,
    _PRINTF,
    _SHORTCODE,
    _SHORTCODE_NAME,
    _TAG,
    _URL,
    _URL_TRAILING,
    _VOID_TAGS,
)

__all__ = [
    "Code",
    "Pair",
    "Piece",
    "Single",
    "align",
    "codes_of",
    "flatten",
    "parse",
    "render",
    "restore",
]

TEXT_PARAMS = ("text", "title", "alt", "caption")

_PARAM = re.compile(
    r"""(?:([A-Za-z_][\w.-]*)\s*=\s*)?(?:"((?:\\.|[^"\\])*)"|'([^']*)'|`([^`]*)`|([^\s"'`]+))"""
)
_TAG_CTYPE = {
    "a": "link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underlined",
    "br": "lb",
    "img": "image",
}
_EMPHASIS_CTYPE = {"**": "bold", "__": "bold", "*": "italic", "_": "italic", "~~": "x-strike"}


@dataclass(slots=True)
class Code:
    """One code: ``start`` is its text (a pair's opening), ``end`` a pair's closing."""

    id: int
    start: str
    end: str = ""
    ctype: str = "x-other"
    paired: bool = False

    @property
    def disp(self) -> str:
        """How a CAT tool may show it: the original, shortened when long."""
        text = self.start + ("…" + self.end if self.paired else "")
        return text if len(text) <= 80 else text[:79] + "…"


@dataclass(slots=True)
class Single:
    code: Code


@dataclass(slots=True)
class Pair:
    code: Code
    children: list[Node] = field(default_factory=list)


Node = str | Single | Pair


def render(nodes: list[Node]) -> str:
    """The text the nodes stand for."""
    out: list[str] = []
    _render(nodes, out)
    return "".join(out)


def _render(nodes: list[Node], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Single):
            out.append(node.code.start)
        else:
            out.append(node.code.start)
            _render(node.children, out)
            out.append(node.code.end)


def codes_of(nodes: list[Node]) -> dict[int, Code]:
    """Every code of a parsed segment by number."""
    found: dict[int, Code] = {}
    stack = [iter(nodes)]
    while stack:
        for node in stack[-1]:
            if isinstance(node, Single):
                found[node.code.id] = node.code
            elif isinstance(node, Pair):
                found[node.code.id] = node.code
                stack.append(iter(node.children))
                break
        else:
            stack.pop()
    return found


# -- parsing ----------------------------------------------------------------------------


@dataclass(slots=True)
class _Frame:
    kind: str  # "root", "tag:<name>", "link", "emphasis:<marker>"
    start: str
    ctype: str
    id: int = 0  # its code's number, taken when it opens
    children: list[Node] = field(default_factory=list)


# The grammar, by the character a code starts with (parse tries them in this order):
#   `   a code span                         \\   an escaped character (prose)
#   {   a Hugo shortcode {{< … >}} / {{% … %}}, else a brace placeholder {name}
#   <   a comment, an autolink <scheme:…>, else an HTML tag
#   [   a footnote marker [^n] / [n], else a link's opening; ![ an image's
#   ]   a link's end ](target) or ][ref]    http(s)://  a bare URL
#   * _ ~~  emphasis markers                %   a printf placeholder
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
_ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!%<>~]")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]|\[\d+\](?![(\[])")
_LINKEND = re.compile(
    r"""\](?:\((?:<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)"""
    r"""|\[[^\[\]\n]*\])"""
)
# where a code can start: a search for these finds every candidate (single characters as
# alternatives, not a class, so that the engine skips to them by its first-character map)
_TRIGGERS = re.compile(r"`|\\|\{|<|\[|\]|\*|_|~|%|!|https?://")
_EMPHASIS_KIND = {marker: f"emphasis:{marker}" for marker in _EMPHASIS_CTYPE}


def parse(text: str, *, text_params: tuple[str, ...] | frozenset[str] = TEXT_PARAMS) -> list[Node]:
    """Prose and codes of a segment's text (see the module's docstring).

    One pass: a search finds the next character a code can start with, and that character
    says which alternatives of the grammar to try there. Each code is numbered as it
    appears (a pair when it opens), so the numbers are those of a walk of the finished
    tree; only an unclosed ``[`` that turns back into prose leaves a gap, and then the tree
    is numbered again.

    >>> render(parse("See **[the docs](/x)**[^1]")) == "See **[the docs](/x)**[^1]"
    True
    >>> [type(n).__name__ for n in parse("a <b>bold</b> %s")]
    ['str', 'Pair', 'str', 'Single']
    """
    search = _TRIGGERS.search
    t = search(text)
    if t is None:
        return [text] if text else []
    stack = [_Frame("root", "", "")]
    children = stack[0].children  # the innermost open frame's
    n = 0  # the last code number given
    pos = 0
    size = len(text)
    while t is not None:
        at = t.start()
        if at > pos:
            if children and isinstance(children[-1], str):
                children[-1] += text[pos:at]
            else:
                children.append(text[pos:at])
        ch = text[at]
        end = at + 1  # past what is handled here; a character that starts nothing is prose
        if ch == "*" or ch == "_" or ch == "~":
            if text[at + 1 : at + 2] == ch:
                end = at + 2
            elif ch == "~":
                _add_text(children, ch)
                pos = end
                t = search(text, pos) if pos < size else None
                continue
            marker = text[at:end]
            before = text[at - 1] if at else " "
            after = text[end] if end < size else " "
            if (before.isspace() and after.isspace()) or (
                ch == "_" and before.isalnum() and after.isalnum()
            ):
                _add_text(children, marker)  # 5 * 3, snake_case: prose
            elif stack[-1].kind == _EMPHASIS_KIND[marker]:
                frame = stack.pop()
                children = stack[-1].children
                children.append(
                    Pair(Code(frame.id, marker, marker, frame.ctype, True), frame.children)
                )
            else:
                n += 1
                frame = _Frame(_EMPHASIS_KIND[marker], marker, _EMPHASIS_CTYPE[marker], n)
                stack.append(frame)
                children = frame.children
        elif ch == "[":
            m = _FOOTNOTE.match(text, at)
            if m is not None:
                n += 1
                children.append(Single(Code(n, m.group(0), "", "x-footnote")))
                end = m.end()
            else:
                n += 1
                frame = _Frame("link", "[", "link", n)
                stack.append(frame)
                children = frame.children
        elif ch == "]":
            m = _LINKEND.match(text, at)
            if m is None:
                _add_text(children, ch)
            else:
                n = _close(stack, "link", m.group(0), "link", n)
                children = stack[-1].children
                end = m.end()
        elif ch == "`":
            m = _CODE_SPAN.match(text, at)
            if m is None:
                _add_text(children, ch)
            else:
                n += 1
                children.append(Single(Code(n, m.group(0), "", "x-code")))
                end = m.end()
        elif ch == "%":
            m = _PRINTF.match(text, at)
            if m is None or m.group(0) == "%%":
                piece = m.group(0) if m is not None else "%"
                _add_text(children, piece)
                end = at + len(piece)
            else:
                n += 1
                children.append(Single(Code(n, m.group(0), "", "x-placeholder")))
                end = m.end()
        elif ch == "{":
            if text[at + 1 : at + 2] == "{" and text[at + 2 : at + 3] in ("<", "%"):
                m = _SHORTCODE.match(text, at)
                if m is None:
                    _add_text(children, text[at : at + 3])
                    end = at + 3
                else:
                    node = _shortcode(m.group(0), text_params)
                    counter = [n]
                    _number([node], counter)
                    n = counter[0]
                    children.append(node)
                    end = m.end()
            else:
                m = _BRACE.match(text, at)
                if m is None:
                    _add_text(children, "{")
                else:
                    n += 1
                    children.append(Single(Code(n, m.group(0), "", "x-placeholder")))
                    end = m.end()
        elif ch == "<":
            m = _COMMENT.match(text, at)
            ctype = "x-comment"
            if m is None:
                m = _AUTOLINK.match(text, at)
                ctype = "link"
            if m is not None:
                n += 1
                children.append(Single(Code(n, m.group(0), "", ctype)))
                end = m.end()
            else:
                m = _TAG.match(text, at)
                if m is None:
                    _add_text(children, "<")
                else:
                    end = m.end()
                    n = _tag(
                        stack,
                        m.group(0),
                        m.group(1) == "/",
                        m.group(2).lower(),
                        m.group(3).rstrip().endswith("/"),
                        n,
                    )
                    children = stack[-1].children
        elif ch == "\\" and text.startswith("\n", at + 1):  # a hard line break
            n += 1
            children.append(Single(Code(n, "\\\n", "", "lb")))
            end = at + 2
        elif ch == "\\":
            m = _ESCAPE.match(text, at)
            if m is None:
                _add_text(children, ch)
            else:
                _add_text(children, m.group(0))
                end = m.end()
        elif ch == "!":
            if text[at + 1 : at + 2] == "[":
                n += 1
                frame = _Frame("link", "![", "image", n)
                stack.append(frame)
                children = frame.children
                end = at + 2
            else:
                _add_text(children, ch)
        else:  # "http://" or "https://"
            m = _URL.match(text, at)
            url = m.group(0).rstrip(_URL_TRAILING) if m is not None else ""
            scheme = t.group(0)
            if len(url) <= len(scheme):
                _add_text(children, scheme)
                end = t.end()
            else:
                n += 1
                children.append(Single(Code(n, url, "", "link")))
                end = at + len(url)
        pos = end
        t = search(text, pos) if pos < size else None
    if pos < size:
        _add_text(children, text[pos:])
    gaps = False
    while len(stack) > 1:
        gaps = _flatten(stack) or gaps
    nodes = stack[0].children
    if gaps:
        _number(nodes, [0])
    return nodes


def _needs_parsing(text: str) -> bool:
    return _TRIGGERS.search(text) is not None


def _add_text(children: list[Node], text: str) -> None:
    if children and isinstance(children[-1], str):
        children[-1] += text
    else:
        children.append(text)


def _tag(
    stack: list[_Frame], written: str, closing: bool, name: str, self_closing: bool, n: int
) -> int:
    """An HTML tag: a pair's opening or closing, or a standalone code; the last code
    number given."""
    ctype = _TAG_CTYPE.get(name, f"x-html-{name}")
    if closing:
        return _close(stack, f"tag:{name}", written, ctype, n)
    if self_closing or name in _VOID_TAGS:
        stack[-1].children.append(Single(Code(n + 1, written, ctype=ctype)))
    else:
        stack.append(_Frame(f"tag:{name}", written, ctype, n + 1))
    return n + 1


def _close(stack: list[_Frame], kind: str, written: str, single_ctype: str, n: int) -> int:
    """Close the innermost frame when it is of ``kind``; a closing that crosses another
    frame, or closes nothing, is a standalone code. The last code number given."""
    if stack[-1].kind == kind:
        frame = stack.pop()
        stack[-1].children.append(
            Pair(Code(frame.id, frame.start, written, frame.ctype, True), frame.children)
        )
        return n
    ctype = single_ctype or _EMPHASIS_CTYPE.get(written, "x-other")
    stack[-1].children.append(Single(Code(n + 1, written, ctype=ctype)))
    return n + 1


def _flatten(stack: list[_Frame]) -> bool:
    """An opening never closed: a standalone code (a lone ``[`` is prose), its children
    moved up to the frame around it. True when its number goes unused (the ``[``)."""
    frame = stack.pop()
    parent = stack[-1].children
    if frame.kind == "link":
        _add_text(parent, frame.start)
    else:
        parent.append(Single(Code(frame.id, frame.start, ctype=frame.ctype)))
    for child in frame.children:
        if isinstance(child, str):
            _add_text(parent, child)
        else:
            parent.append(child)
    return frame.kind == "link"


def _shortcode(written: str, text_params: tuple[str, ...] | frozenset[str]) -> Node:
    """A shortcode: one standalone code, or a pair around its text parameters' values."""
    body_start = 3  # after "{{<" or "{{%"
    inner = written[body_start:-3]
    stripped = inner.lstrip()
    offset = body_start + len(inner) - len(stripped)
    if stripped.startswith(("/", "/*")):
        return Single(Code(0, written, ctype="x-shortcode"))
    nm = _SHORTCODE_NAME.match(stripped)
    if nm is None:
        return Single(Code(0, written, ctype="x-shortcode"))
    rest_at = offset + nm.end()
    spans: list[tuple[int, int]] = []
    for pm in _PARAM.finditer(written, rest_at, len(written) - 3):
        if pm.group(1) in text_params and pm.group(2):  # a double-quoted prose value
            spans.append(pm.span(2))
    if not spans:
        return Single(Code(0, written, ctype="x-shortcode"))
    children: list[Node] = []
    for i, (a, b) in enumerate(spans):
        if i:
            children.append(Single(Code(0, written[spans[i - 1][1] : a], ctype="x-shortcode")))
        children.append(written[a:b])
    return Pair(
        Code(0, written[: spans[0][0]], written[spans[-1][1] :], "x-shortcode", True), children
    )


def _number(nodes: list[Node], counter: list[int]) -> None:
    for node in nodes:
        if isinstance(node, str):
            continue
        counter[0] += 1
        node.code.id = counter[0]
        if isinstance(node, Pair):
            _number(node.children, counter)


# -- restoring a translation ----------------------------------------------------------------

#: One piece of a unit's content as a file has it: ("text", str, None), or ("single" |
#: "start" | "end", code number, None or the text the file gives that code instead).
Piece = tuple[str, "int | str", "str | None"]


def restore(pieces: list[Piece], codes: dict[int, Code]) -> tuple[str, list[str]]:
    """The text of a unit's content: prose as it is, each code's text from ``codes`` (the
    source segment's) unless the file gives another one for it (a link that gained the
    language prefix; the checks judge it as they judge a PO translation). With the
    problems: codes unknown, of the wrong shape, missing, repeated, crossing, or a pair's
    end before its start."""
    out: list[str] = []
    problems: list[str] = []
    seen: dict[tuple[object, str], int] = {}
    open_pairs: list[object] = []
    for what, value, override in pieces:
        if what == "text":
            out.append(value)  # type: ignore[arg-type]
            continue
        code = codes.get(value) if isinstance(value, int) else None
        if code is None:
            problems.append(f"inline code {value} is not in the source of this segment")
            continue
        cid = code.id
        if what == "single" and code.paired:
            problems.append(
                f"inline code {cid} ({code.disp}) wraps text in the source: keep "
                "it around the words it belongs to"
            )
            continue
        if what != "single" and not code.paired:
            problems.append(
                f"inline code {cid} ({code.disp}) stands alone in the source: it cannot wrap text"
            )
            continue
        key = (cid, what)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            problems.append(f"inline code {cid} ({code.disp}) appears more than once")
        if what == "start":
            open_pairs.append(cid)
        elif what == "end":
            if (cid, "start") not in seen:
                problems.append(f"inline code {cid} ({code.disp}) is closed before it is opened")
            elif open_pairs and open_pairs[-1] != cid and cid in open_pairs:
                problems.append(
                    f"inline code {cid} ({code.disp}) is closed inside inline "
                    f"code {open_pairs[-1]}: codes must nest as in the source"
                )
            if cid in open_pairs:
                open_pairs.remove(cid)
        if override is not None:
            out.append(override)
        else:
            out.append(code.end if what == "end" else code.start)
    for cid, code in codes.items():
        parts = ("start", "end") if code.paired else ("single",)
        if any((cid, p) not in seen for p in parts):
            problems.append(f"inline code {cid} ({code.disp}) is missing")
    return "".join(out), problems


def flatten(nodes: list[Node]) -> list[Piece]:
    """A parsed segment as :func:`restore`'s pieces (what an untouched target would be)."""
    pieces: list[Piece] = []
    for node in nodes:
        if isinstance(node, str):
            pieces.append(("text", node, None))
        elif isinstance(node, Single):
            pieces.append(("single", node.code.id, None))
        else:
            pieces.append(("start", node.code.id, None))
            pieces += flatten(node.children)
            pieces.append(("end", node.code.id, None))
    return pieces


def align(
    translation: str,
    source: dict[int, Code],
    text_params: tuple[str, ...] | frozenset[str] = TEXT_PARAMS,
) -> list[Node]:
    """A translation (current, or a memory suggestion) parsed, its codes numbered as the
    source's: the same text first, then the same kind in order (a link with the language
    prefix), each number once. A code with no counterpart stays as prose: the translator
    sees it, and the missing code is reported if the file comes back without it."""
    nodes = parse(translation, text_params=text_params)
    taken: set[int] = set()
    mine = list(codes_of(nodes).values())
    matched: dict[int, Code] = {}
    for code in mine:
        for s in source.values():
            if (
                s.id not in taken
                and s.paired == code.paired
                and s.start == code.start
                and s.end == code.end
            ):
                matched[id(code)] = s
                taken.add(s.id)
                break
    for code in mine:
        if id(code) in matched:
            continue
        for s in source.values():
            if s.id not in taken and s.paired == code.paired and s.ctype == code.ctype:
                matched[id(code)] = s
                taken.add(s.id)
                break
    return _renumber(nodes, matched)


def _renumber(nodes: list[Node], matched: dict[int, Code]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        if isinstance(node, str):
            _add_text(out, node)
            continue
        s = matched.get(id(node.code))
        if isinstance(node, Single):
            if s is None:
                _add_text(out, node.code.start)
            else:
                out.append(Single(Code(s.id, node.code.start, ctype=s.ctype)))
        else:
            children = _renumber(node.children, matched)
            if s is None:
                _add_text(out, node.code.start)
                for child in children:
                    if isinstance(child, str):
                        _add_text(out, child)
                    else:
                        out.append(child)
                _add_text(out, node.code.end)
            else:
                out.append(
                    Pair(Code(s.id, node.code.start, node.code.end, s.ctype, True), children)
                )
    return out
