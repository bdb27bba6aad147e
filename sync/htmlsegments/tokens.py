"""Tokenizing post HTML with offsets, as libxml2 will read it: start and end tags,
comments, and what it drops. Rendering uses it to tell where each element is in the source.

Pure: no database, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Elements whose content libxml2 reads as text, up to their end tag.
_RAW_TEXT = {"iframe", "noembed", "noframes", "script", "style", "textarea", "title", "xmp"}
_HTML_VOID = {
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
}  # fmt: skip
_TAG_SPACE = " \t\n\f\r"


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
