"""A document cut into raw pieces around its front matter, line endings kept, as
:func:`sync.frontmatter.parse_document` cuts it (CRLF, CR and LF all end a line).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sync.frontmatter import is_json_front_matter

_DELIMITERS = {"---": "YAML", "+++": "TOML"}
#: The kind of JSON front matter: an object opening the file, no delimiter lines.
JSON_KIND = "{"
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


@dataclass(frozen=True, kw_only=True)
class _Parts:
    """A document cut into raw pieces (line endings kept) around its front matter."""

    bom: str
    opener: str  # the opening delimiter line, "" when there is no front matter
    kind: str | None  # "---", "+++", JSON_KIND or None
    block: list[str]  # front-matter lines, each with its own line ending (JSON: all of it)
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
    if is_json_front_matter(text[len(bom) :]):
        return _split_json(bom, text[len(bom) :])
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


def _split_json(bom: str, text: str) -> _Parts | None:
    """JSON front matter: the object and the rest of its closing line when only white space
    follows the ``}`` (parse_document's body starts on the next line), else up to the ``}``.
    None when the object does not parse (parse_document says why)."""
    try:
        end = json.JSONDecoder().raw_decode(text)[1]
    except (json.JSONDecodeError, RecursionError):
        return None
    newline = _LINE_END.search(text)
    line_end = _LINE_END.search(text, end)
    rest = text[end : line_end.start() if line_end else len(text)]
    if not rest.strip():
        end = line_end.end() if line_end else len(text)
    return _Parts(
        bom=bom,
        opener="",
        kind=JSON_KIND,
        block=_LINE.findall(text[:end]),
        closer="",
        body=text[end:],
        newline=newline.group() if newline else "\n",
    )
