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
  void (``<br>``, ``<img …>``), comments, code spans, autolinks, footnote markers
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

__all__ = ["Code", "Pair", "Piece", "Single", "align", "codes_of", "flatten", "parse", "render",
           "restore"]

TEXT_PARAMS = ("text", "title", "alt", "caption")

_MASTER = re.compile(
    r"""
    (?P<code>(?<!`)(`+)(?!`).+?(?<!`)\2(?!`))                   # a code span
  | (?P<escape>\\[\\`*_{}\[\]()#+\-.!%<>~])                    # an escaped character: prose
  | (?P<shortcode>\{\{[<%])                                   # a Hugo shortcode (below)
  | (?P<comment><!--.*?-->)
  | (?P<autolink><[A-Za-z][A-Za-z0-9+.\-]{1,31}:[^\s<>]*>)
  | (?P<tag><)                                                # an HTML tag (below)
  | (?P<footnote>\[\^[^\]\s]+\]|\[\d+\](?![(\[]))
  | (?P<linkend>\](?:\((?:<[^<>\n]*>|(?:[^\s()]|\([^\s()]*\))*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'))?\s*\)
                    |\[[^\[\]\n]*\]))
  | (?P<linkstart>!?\[)
  | (?P<url>https?://)                                        # a bare URL (below)
  | (?P<emphasis>\*\*|__|~~|\*|_)
  | (?P<percent>%)                                            # a printf placeholder (below)
  | (?P<brace>\{)                                             # a brace placeholder (below)
    """,
    re.VERBOSE | re.DOTALL,
)
_PARAM = re.compile(
    r"""(?:([A-Za-z_][\w.-]*)\s*=\s*)?(?:"((?:\\.|[^"\\])*)"|'([^']*)'|`([^`]*)`|([^\s"'`]+))"""
)
_TAG_CTYPE = {"a": "link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
              "u": "underlined", "br": "lb", "img": "image"}
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
    children: list[Node] = field(default_factory=list)


def parse(text: str, *, text_params: tuple[str, ...] | frozenset[str] = TEXT_PARAMS
          ) -> list[Node]:
    """Prose and codes of a segment's text (see the module's docstring).

    >>> render(parse("See **[the docs](/x)**[^1]")) == "See **[the docs](/x)**[^1]"
    True
    >>> [type(n).__name__ for n in parse("a <b>bold</b> %s")]
    ['str', 'Pair', 'str', 'Single']
    """
    if not _needs_parsing(text):
        return [text] if text else []
    stack = [_Frame("root", "", "")]
    pos = 0
    n = len(text)
    search, match = _TRIGGERS.search, _MASTER.match
    while pos < n:
        t = search(text, pos)  # every alternative starts at one of these: a cheap
        if t is None:  # search, then one match there, not a search of _MASTER
            break
        at = t.start()
        m = match(text, at)
        if m is None:
            _add_text(stack[-1].children, text[pos:at + 1])
            pos = at + 1
            continue
        if at > pos:
            children = stack[-1].children
            if children and isinstance(children[-1], str):
                children[-1] += text[pos:at]
            else:
                children.append(text[pos:at])
        kind = m.lastgroup
        end = m.end()
        if kind == "code" or kind == "comment" or kind == "autolink" or kind == "footnote":
            ctype = {"code": "x-code", "comment": "x-comment", "autolink": "link",
                     "footnote": "x-footnote"}[kind]  # type: ignore[index]
            stack[-1].children.append(Single(Code(0, m.group(0), ctype=ctype)))
        elif kind == "escape":
            _add_text(stack[-1].children, m.group(0))
        elif kind == "shortcode":
            sm = _SHORTCODE.match(text, m.start())
            if sm is None:
                _add_text(stack[-1].children, m.group(0))
            else:
                stack[-1].children.append(_shortcode(sm.group(0), text_params))
                end = sm.end()
        elif kind == "tag":
            tm = _TAG.match(text, m.start())
            if tm is None:
                _add_text(stack[-1].children, "<")
            else:
                end = tm.end()
                _tag(stack, tm.group(0), tm.group(1) == "/", tm.group(2).lower(),
                     tm.group(3).rstrip().endswith("/"))
        elif kind == "linkstart":
            stack.append(_Frame("link", m.group(0), "image" if m.group(0) == "![" else "link"))
        elif kind == "linkend":
            _close(stack, "link", m.group(0), single_ctype="link")
        elif kind == "url":
            um = _URL.match(text, m.start())
            url = um.group(0).rstrip(_URL_TRAILING) if um is not None else ""
            if len(url) <= len(m.group(0)):
                _add_text(stack[-1].children, m.group(0))
            else:
                stack[-1].children.append(Single(Code(0, url, ctype="link")))
                end = m.start() + len(url)
        elif kind == "emphasis":
            marker = m.group(0)
            if _is_emphasis(text, m.start(), end, marker):
                if stack[-1].kind == f"emphasis:{marker}":
                    _close(stack, f"emphasis:{marker}", marker, single_ctype="")
                else:
                    stack.append(_Frame(f"emphasis:{marker}", marker, _EMPHASIS_CTYPE[marker]))
            else:
                _add_text(stack[-1].children, marker)
        elif kind == "percent":
            pm = _PRINTF.match(text, m.start())
            if pm is None or pm.group(0) == "%%":
                piece = pm.group(0) if pm is not None else "%"
                _add_text(stack[-1].children, piece)
                end = m.start() + len(piece)
            else:
                stack[-1].children.append(Single(Code(0, pm.group(0), ctype="x-placeholder")))
                end = pm.end()
        elif kind == "brace":
            bm = _BRACE.match(text, m.start())
            if bm is None:
                _add_text(stack[-1].children, "{")
            else:
                stack[-1].children.append(Single(Code(0, bm.group(0), ctype="x-placeholder")))
                end = bm.end()
        pos = end
    if pos < n:
        _add_text(stack[-1].children, text[pos:])
    while len(stack) > 1:
        _flatten(stack)
    nodes = stack[0].children
    _number(nodes, [0])
    return nodes


_TRIGGERS = re.compile(r"[`\\{<\[\]*_~%!]|https?://")


def _needs_parsing(text: str) -> bool:
    return _TRIGGERS.search(text) is not None


def _add_text(children: list[Node], text: str) -> None:
    if children and isinstance(children[-1], str):
        children[-1] += text
    else:
        children.append(text)


def _is_emphasis(text: str, start: int, end: int, marker: str) -> bool:
    """A marker that can open or close emphasis: not inside a word for ``_``, not between
    two spaces (``5 * 3``)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if before.isspace() and after.isspace():
        return False
    if marker in ("_", "__") and before.isalnum() and after.isalnum():
        return False  # snake_case
    return True


def _tag(stack: list[_Frame], written: str, closing: bool, name: str, self_closing: bool
         ) -> None:
    ctype = _TAG_CTYPE.get(name, f"x-html-{name}")
    if closing:
        _close(stack, f"tag:{name}", written, single_ctype=ctype)
    elif self_closing or name in _VOID_TAGS:
        stack[-1].children.append(Single(Code(0, written, ctype=ctype)))
    else:
        stack.append(_Frame(f"tag:{name}", written, ctype))


def _close(stack: list[_Frame], kind: str, written: str, *, single_ctype: str) -> None:
    """Close the innermost frame when it is of ``kind``; a closing that crosses another
    frame, or closes nothing, is a standalone code."""
    if stack[-1].kind == kind:
        frame = stack.pop()
        stack[-1].children.append(Pair(Code(0, frame.start, written, frame.ctype, True),
                                       frame.children))
    else:
        ctype = single_ctype or _EMPHASIS_CTYPE.get(written, "x-other")
        stack[-1].children.append(Single(Code(0, written, ctype=ctype)))


def _flatten(stack: list[_Frame]) -> None:
    """An opening never closed: a standalone code (a lone ``[`` is prose), its children
    moved up to the frame around it."""
    frame = stack.pop()
    parent = stack[-1].children
    if frame.kind == "link":
        _add_text(parent, frame.start)
    else:
        parent.append(Single(Code(0, frame.start, ctype=frame.ctype)))
    for child in frame.children:
        if isinstance(child, str):
            _add_text(parent, child)
        else:
            parent.append(child)


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
            children.append(Single(Code(0, written[spans[i - 1][1]:a], ctype="x-shortcode")))
        children.append(written[a:b])
    return Pair(Code(0, written[:spans[0][0]], written[spans[-1][1]:], "x-shortcode", True),
                children)


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
            problems.append(f"inline code {cid} ({code.disp}) wraps text in the source: keep "
                            "it around the words it belongs to")
            continue
        if what != "single" and not code.paired:
            problems.append(f"inline code {cid} ({code.disp}) stands alone in the source: it "
                            "cannot wrap text")
            continue
        key = (cid, what)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 2:
            problems.append(f"inline code {cid} ({code.disp}) appears more than once")
        if what == "start":
            open_pairs.append(cid)
        elif what == "end":
            if (cid, "start") not in seen:
                problems.append(f"inline code {cid} ({code.disp}) is closed before it is "
                                "opened")
            elif open_pairs and open_pairs[-1] != cid and cid in open_pairs:
                problems.append(f"inline code {cid} ({code.disp}) is closed inside inline "
                                f"code {open_pairs[-1]}: codes must nest as in the source")
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


def align(translation: str, source: dict[int, Code],
          text_params: tuple[str, ...] | frozenset[str] = TEXT_PARAMS) -> list[Node]:
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
            if (s.id not in taken and s.paired == code.paired and s.start == code.start
                    and s.end == code.end):
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
                out.append(Pair(Code(s.id, node.code.start, node.code.end, s.ctype, True),
                                children))
    return out
