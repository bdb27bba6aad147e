"""PO rendering: a catalog as UTF-8 PO bytes, wrapped as msgcat wraps them.

Written here rather than with polib's ``__unicode__``, whose textwrap is slower than
msgcat on catalogs of real paragraphs; :mod:`sync.catalog.stream` writes the same
head and entries piece by piece.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import polib

from sync.catalog.build import WRAP_WIDTH, _require_utf8

__all__ = ["render_po"]


def render_po(catalog: polib.POFile) -> bytes:
    """The catalog as UTF-8 PO bytes: same entries, same bytes.

    Strings are wrapped at 79 columns after a space, and after each ``\\n``, as
    msgcat does (msgcat leaves such a file of prose unchanged); ``#.`` comments are
    one line each. Written here rather than with polib's ``__unicode__``, whose
    textwrap is slower than msgcat on catalogs of real paragraphs.
    """
    _require_utf8(catalog)
    text = (
        _po_head(catalog)
        + _po_entries(e for e in catalog if not e.obsolete)
        + _po_entries(e for e in catalog if e.obsolete)
    )
    return text.encode("utf-8")


def _po_head(catalog: polib.POFile) -> str:
    """The header comment and header entry of :func:`render_po`, ending in a newline."""
    out: list[str] = []
    for line in catalog.header.split("\n") if catalog.header else ():
        out.append(f"# {line}".rstrip())
    if catalog.metadata_is_fuzzy:
        out.append("#, fuzzy")
    _field(out, "", "msgid", "")
    _field(out, "", "msgstr", catalog.metadata_as_entry().msgstr)
    return "\n".join(out) + "\n"


def _po_entries(entries: Iterable[polib.POEntry]) -> str:
    """Entries as :func:`render_po` writes them after the header: each a blank line and its
    lines, ending in a newline (so a PO file is head + entries + entries, in any chunks)."""
    out: list[str] = []
    for entry in entries:
        out.append("")
        _entry(out, entry)
    return "\n".join(out) + "\n" if out else ""


_ESCAPE_MAP = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\t": "\\t",
    "\r": "\\r",
    "\v": "\\v",
    "\b": "\\b",
    "\f": "\\f",
}
_NEEDS_ESCAPE = re.compile(r'[\\"\n\t\r\v\b\f]')


def _escape(text: str) -> str:
    """PO string escapes; most prose needs none, and re.sub is fast on what does
    (str.translate with a dict walks every character in Python)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    return _NEEDS_ESCAPE.sub(lambda m: _ESCAPE_MAP[m.group()], text)


# A line of at most N characters: the rest if it fits, else up to the last space that
# fits, else one long word. Escapes hold no space, so they are never split.
_WRAP_CACHE: dict[int, re.Pattern[str]] = {}


def _wrapper(width: int) -> re.Pattern[str]:
    pattern = _WRAP_CACHE.get(width)
    if pattern is None:
        pattern = re.compile(rf".{{1,{width}}}\Z|.{{0,{width - 1}}} |[^ ]+ ?")
        _WRAP_CACHE[width] = pattern
    return pattern


def _field(out: list[str], prefix: str, keyword: str, text: str) -> None:
    """Append ``keyword "text"`` lines, wrapped as msgcat does."""
    if "\n" in text[:-1]:
        lines = text.split("\n")
        pieces = [_escape(line + "\n") for line in lines[:-1]]
        if lines[-1]:
            pieces.append(_escape(lines[-1]))
    else:
        pieces = [_escape(text)]
    if len(pieces) == 1 and len(prefix) + len(keyword) + 3 + len(pieces[0]) <= WRAP_WIDTH:
        out.append(f'{prefix}{keyword} "{pieces[0]}"')
        return
    out.append(f'{prefix}{keyword} ""')
    width = WRAP_WIDTH - len(prefix) - 2
    wrap = _wrapper(width)
    for piece in pieces:
        if len(piece) <= width:
            out.append(f'{prefix}"{piece}"')
        else:
            out.extend(f'{prefix}"{line}"' for line in wrap.findall(piece))


def _entry(out: list[str], entry: polib.POEntry) -> None:
    prefix = "#~ " if entry.obsolete else ""
    if entry.tcomment:
        out.extend(f"# {line}".rstrip() for line in entry.tcomment.split("\n"))
    if entry.comment and not entry.obsolete:
        out.extend(f"#. {line}" for line in entry.comment.split("\n") if line)
    if entry.occurrences and not entry.obsolete:
        _occurrence_lines(out, entry.occurrences)
    if entry.flags:
        out.append("#, " + ", ".join(entry.flags))
    previous = "#~| " if entry.obsolete else "#| "
    if entry.previous_msgctxt is not None:
        _field(out, previous, "msgctxt", entry.previous_msgctxt)
    if entry.previous_msgid is not None:
        _field(out, previous, "msgid", entry.previous_msgid)
    if entry.previous_msgid_plural is not None:
        _field(out, previous, "msgid_plural", entry.previous_msgid_plural)
    if entry.msgctxt is not None:
        _field(out, prefix, "msgctxt", entry.msgctxt)
    _field(out, prefix, "msgid", entry.msgid)
    if entry.msgid_plural:
        _field(out, prefix, "msgid_plural", entry.msgid_plural)
        for index in sorted(entry.msgstr_plural):
            _field(out, prefix, f"msgstr[{index}]", entry.msgstr_plural[index])
    else:
        _field(out, prefix, "msgstr", entry.msgstr)


def _occurrence_lines(out: list[str], occurrences: list[tuple[str, str]]) -> None:
    line = "#:"
    for path, number in occurrences:
        word = f"{path}:{number}" if number else path
        if len(line) > 2 and len(line) + 1 + len(word) > WRAP_WIDTH:
            out.append(line)
            line = "#:"
        line += " " + word
    out.append(line)
