"""PO reading: an uploaded PO file parsed, or refused with the line and what to do.

polib reads what it is given leniently; the checks here (binary files, syntax, duplicate
entries) and in :mod:`sync.catalog.charset` make sure a translator's upload is a complete
PO catalog before anything is taken from it.
"""

from __future__ import annotations

import codecs
import re
import struct

import polib

from sync.catalog.build import WRAP_WIDTH
from sync.catalog.charset import _decode, _unix_newlines
from sync.catalog.mo import _MO_MAGIC
from sync.errors import MAX_SHOWN_PROBLEMS, CatalogError
from sync.i18n import nt_, t_

__all__ = ["read_po"]


def read_po(data: bytes, *, name: str, max_bytes: int) -> polib.POFile:
    """Parse an uploaded PO file, refusing anything that is not a complete PO catalog.

    Accepts what PO editors write: a UTF-8 BOM, CRLF line endings, rewrapped and
    reordered entries, Poedit's extra headers, any ASCII-compatible charset the
    header declares (UTF-8 when it declares none). Refuses a charset that does not
    fit the bytes, among them UTF-8 text under a header naming another charset,
    which would otherwise read as mojibake (see :func:`_decode`). Obsolete (``#~``)
    entries are dropped from the result. Every refusal is a :class:`CatalogError`
    with ``path=name`` and the line, when there is one.
    """
    if len(data) > max_bytes:
        raise CatalogError(
            t_(
                "the file is %(size)s bytes, larger than the limit of %(limit)s bytes "
                "(TRANSYNC_MAX_UPLOAD_BYTES); upload one task's PO file, or raise the limit",
                size=f"{len(data):,}",
                limit=f"{max_bytes:,}",
            ),
            path=name,
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    _refuse_binary(data, name)
    text, charset = _decode(_unix_newlines(data), name)
    lines = text.split("\n")
    _check_syntax(lines, name)
    try:
        catalog = polib.pofile(_Lines(lines), encoding=charset, wrapwidth=WRAP_WIDTH)
    except (OSError, ValueError, KeyError, IndexError) as exc:
        match = re.search(r"line (\d+)\)(?::\s*(.*))?", str(exc))
        line = int(match.group(1)) if match else None
        detail = (match.group(2) if match else None) or t_("syntax error")
        raise CatalogError(
            t_(
                "not a valid PO file: %(detail)s; open it in a PO editor (Poedit) and save it "
                "again",
                detail=detail,
            ),
            path=name,
            line=line,
        ) from exc
    catalog[:] = [entry for entry in catalog if not entry.obsolete]
    _refuse_duplicates(catalog, name)
    return catalog


class _Lines:
    """Hands polib lines split on ``\\n`` only.

    Given a str, polib calls ``str.splitlines``, which also splits on U+2028, U+0085,
    U+001C… inside strings, and it first tries the str as a file path. A non-str
    with a ``splitlines`` method avoids both.
    """

    def __init__(self, lines: list[str]) -> None:
        self._lines = lines

    def splitlines(self) -> list[str]:
        return self._lines


_UTF16_32_BOMS = (
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
)


def _refuse_binary(data: bytes, name: str) -> None:
    if not data.strip():
        raise CatalogError(t_("the file is empty; upload the PO file of the task"), path=name)
    if data[:4] in (struct.pack("<I", _MO_MAGIC), struct.pack(">I", _MO_MAGIC)):
        raise CatalogError(
            t_("this is a compiled MO file; upload the .po file instead"), path=name, line=None
        )
    if data.startswith(_UTF16_32_BOMS):
        raise CatalogError(
            t_("the file is saved as UTF-16 or UTF-32; save it as UTF-8"), path=name, line=1
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise CatalogError(
            t_(
                "the file is binary (a NUL byte on line %(line)d), not a PO text file; upload "
                "the .po file your PO editor saved",
                line=line,
            ),
            path=name,
            line=line,
        )


_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr\[\d+\]|msgstr)(?:\s+|(?=\"))(.*)\Z")
_STRING_PREFIX = re.compile(r'"(?:[^"\\]|\\.)*')


_NOT_QUOTED = t_("expected a quoted string")
_UNTERMINATED = t_("unterminated string (the file may be truncated)")
_AFTER_QUOTE = t_("unescaped double quote or text after the closing quote")
_NOT_PO = t_('not PO syntax: expected msgctxt, msgid, msgstr, a "string" or a # comment')
#: The escapes a PO string may hold that polib reads; gettext's others (\\a, \\?, octal
#: and \\x hex) would reach the text as a backslash and letters.
_ESCAPE = re.compile(r"\\(.?)")
_READ_ESCAPES = frozenset('\\"ntrvbf')


def _string_problem(literal: str) -> str | None:
    """Why a quoted PO string is malformed, or None when it is fine."""
    if not literal.startswith('"'):
        return _NOT_QUOTED
    end = _STRING_PREFIX.match(literal)
    assert end is not None
    rest = literal[end.end() :]
    if rest == "":
        return _UNTERMINATED
    if rest != '"':
        return _AFTER_QUOTE
    for escape in _ESCAPE.finditer(literal, 1, end.end()):
        char = escape.group(1)
        if char not in _READ_ESCAPES:
            if char in "01234567x?a'":
                return t_(
                    "the escape \\%(char)s is gettext's, but transync reads only \\n, \\t, "
                    '\\", \\\\ and their like: write the character itself',
                    char=char,
                )
            return t_(
                "\\%(char)s is no escape (msgfmt refuses it); write a backslash as \\\\",
                char=char,
            )
    return None


def _check_syntax(lines: list[str], name: str) -> None:
    """Check line by line what polib lets through: unterminated strings, a missing msgstr.

    Every line is checked, so the refusal gives the total; only the problems a person is
    shown are kept (a 5 MB file of garbage would otherwise make millions of them).
    """
    problems: list[tuple[int, str]] = []  # (line, problem): the first MAX_SHOWN_PROBLEMS
    found = 0

    def note(number: int, text: str) -> None:
        nonlocal found
        found += 1
        if len(problems) < MAX_SHOWN_PROBLEMS:
            problems.append((number, text))

    pending: tuple[int, str] | None = None  # (line, keyword) waiting for its msgstr
    entries = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        previous = False
        if line.startswith("#~"):
            line = line[2:].lstrip()
            if not line or line.startswith("|"):
                continue
        elif line.startswith("#|"):
            line, previous = line[2:].lstrip(), True
        elif line.startswith("#"):
            continue
        keyword_match = _KEYWORD.match(line)
        if keyword_match is not None:
            keyword, literal = keyword_match.groups()
        elif line.startswith('"'):
            keyword, literal = None, line
        else:
            note(number, _NOT_PO)
            continue
        problem = _string_problem(literal)
        if problem:
            note(number, problem)
        if previous or keyword is None:
            continue
        if keyword.startswith("msgstr"):
            pending = None
        elif keyword in ("msgctxt", "msgid"):
            if pending is not None and not (pending[1] == "msgctxt" and keyword == "msgid"):
                note(pending[0], t_("%(keyword)s without a msgstr", keyword=pending[1]))
            pending = (number, keyword)
            entries += keyword == "msgid"
    if pending is not None:
        note(
            pending[0],
            t_(
                "%(keyword)s without a msgstr: the file ends early (truncated?)", keyword=pending[1]
            ),
        )
    if problems:
        raise CatalogError(
            nt_(
                "not a valid PO file (%(count)s problem); fix the lines listed, or save the "
                "file again from a PO editor",
                "not a valid PO file (%(count)s problems); fix the lines listed, or save the "
                "file again from a PO editor",
                found,
                count=f"{found:,}",
            ),
            path=name,
            line=problems[0][0],
            problems=[
                t_("line %(line)d: %(problem)s", line=n, problem=text) for n, text in problems
            ],
            problem_count=found,
        )
    if entries == 0:
        raise CatalogError(
            t_("the file has no msgid, so it is not a PO catalog; upload the task's .po file"),
            path=name,
        )


def _refuse_duplicates(catalog: polib.POFile, name: str) -> None:
    first_seen: dict[tuple[str | None, str], int | None] = {}
    problems: list[str] = []
    first_line: int | None = None
    for entry in catalog:
        key = (entry.msgctxt, entry.msgid)
        if key in first_seen:
            first_line = first_line or entry.linenum
            problems.append(
                t_(
                    "line %(line)s: msgctxt %(msgctxt)s msgid %(msgid)s repeats the entry on line "
                    "%(first)s",
                    line=entry.linenum,
                    msgctxt=repr(entry.msgctxt),
                    msgid=repr(entry.msgid[:60]),
                    first=first_seen[key],
                )
            )
        else:
            first_seen[key] = entry.linenum
    if problems:
        raise CatalogError(
            t_("the file has the same entry more than once; keep one of each and upload again"),
            path=name,
            line=first_line,
            problems=problems,
        )
