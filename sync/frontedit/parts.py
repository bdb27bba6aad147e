"""A document cut into raw pieces around its front matter, line endings kept, as
:func:`sync.frontmatter.parse_document` cuts it (CRLF, CR and LF all end a line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DELIMITERS = {"---": "YAML", "+++": "TOML"}
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True, kw_only=True)
class _Parts:
    """A document cut into raw pieces (line endings kept) around its front matter."""

    bom: str
    opener: str  # the opening delimiter line, "" when there is no front matter
    kind: str | None  # "---", "+++" or None
    block: list[str]  # front-matter lines, each with its own line ending
    closer: str  # the closing delimiter line (may lack a line ending at the end of file)
    body: str
    newline: str


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return line[-1] if line and line[-1] in "\r\n" else ""


def _strip_ending(line: str) -> str:
    return line[: len(line) - len(_ending(line))]


def _split(text: str) -> _Parts | None:
    """Cut like parse_document (CRLF, CR and LF all end a line); None when never closed."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _LINE.findall(text[len(bom) :])
    first = next((_ending(line) for line in lines if _ending(line)), "\n")
    opener = _strip_ending(lines[0]).rstrip() if lines else ""
    if opener not in _DELIMITERS:
        return _Parts(
            bom=bom, opener="", kind=None, block=[], closer="", body=text[len(bom) :], newline=first
        )
    close = next(
        (i for i in range(1, len(lines)) if _strip_ending(lines[i]).rstrip() == opener), None
    )
    if close is None:
        return None
    return _Parts(
        bom=bom,
        opener=lines[0],
        kind=opener,
        block=lines[1:close],
        closer=lines[close],
        body="".join(lines[close + 1 :]),
        newline=_ending(lines[0]) or first,
    )
