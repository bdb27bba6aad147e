"""Gettext catalogs: build, render (PO and MO), write atomically, and read uploaded PO files.

Pure: no database. The only file system access is :func:`write_atomic`.

A catalog holds one language: ``msgctxt`` is the post key, ``msgid`` a source
segment, ``msgstr`` its translation; stale segments are ``#, fuzzy`` with the old
source text as ``#| msgid``. Rendering is deterministic (same entries, same
bytes) and the result passes ``msgfmt --check``.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import os
import re
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import polib
from babel.core import UnknownLocaleError
from babel.messages.plurals import get_plural

from sync.errors import CatalogError

__all__ = [
    "CatalogCounts",
    "CatalogEntry",
    "build_catalog",
    "count_entries",
    "newlines_differ",
    "plural_forms",
    "read_po",
    "render_mo",
    "render_po",
    "write_atomic",
]

#: Width at which PO lines are wrapped (Poedit and msgcat use 79).
WRAP_WIDTH = 79
PROJECT = "transync-posts"
DEFAULT_PLURAL_FORMS = "nplurals=2; plural=(n != 1);"
_FIXED_PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "tr": "nplurals=2; plural=(n != 1);",
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
}
#: Headers build_catalog computes itself; extra_headers may not redefine them.
_OWN_HEADERS = frozenset({
    "Language", "Plural-Forms", "PO-Revision-Date", "X-Generator", "MIME-Version",
    "Content-Type", "Content-Transfer-Encoding",
})
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_FUZZY = "fuzzy"
_MO_MAGIC = 0x950412DE


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogEntry:
    """One segment of one post in one language's catalog.

    ``key`` becomes msgctxt; ``previous_msgid`` is the old source text of a stale
    segment (``#| msgid``); ``comments`` are ``#.`` lines; ``occurrences`` are
    ``#:`` references (paths or URLs; white space, ``*``, ``\\`` and control
    characters are percent-encoded, e.g. ``my%20post.md``, so that each stays one
    word for polib and gettext; ``urllib.parse.unquote`` gives the original back).
    """

    key: str
    msgid: str
    msgstr: str = ""
    fuzzy: bool = False
    previous_msgid: str | None = None
    comments: tuple[str, ...] = ()
    occurrences: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.msgid:
            raise ValueError(f"post {self.key!r}: a catalog entry needs a non-empty msgid")
        for name in ("key", "msgid", "msgstr", "previous_msgid"):
            value = getattr(self, name)
            if value is not None and ("\x00" in value or "\x04" in value or _has_surrogate(value)):
                raise ValueError(
                    f"post {self.key!r}: {name} contains NUL, U+0004 (the context separator) "
                    "or a lone surrogate, which a PO file cannot hold"
                )


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogCounts:
    """Entry counts as ``msgfmt --statistics`` reports them."""

    translated: int
    fuzzy: int
    untranslated: int


def plural_forms(lang: str) -> str:
    """The Plural-Forms header for a language code such as ``tr``, ``ru_RU`` or ``pt-BR``.

    >>> plural_forms("tr")
    'nplurals=2; plural=(n != 1);'
    >>> plural_forms("ja")
    'nplurals=1; plural=0;'
    """
    code = lang.strip().replace("-", "_")
    primary = code.split("_", 1)[0].lower()
    if primary in _FIXED_PLURAL_FORMS:
        return _FIXED_PLURAL_FORMS[primary]
    for candidate in (code, primary):
        if not candidate:
            continue
        try:
            return str(get_plural(candidate).plural_forms)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return DEFAULT_PLURAL_FORMS


def build_catalog(
    lang: str,
    entries: Iterable[CatalogEntry],
    *,
    revision_date: datetime | None,
    version: str,
    extra_headers: Mapping[str, str] | None = None,
) -> polib.POFile:
    """A catalog for ``lang`` holding ``entries`` in the order given (the caller sorts).

    ``revision_date`` is the latest change included (naive means UTC), not the time
    of export. A repeated (key, msgid) keeps the first entry and merges the others'
    comments and occurrences. An entry is fuzzy only if it has a msgstr (msgfmt
    counts an empty fuzzy entry as untranslated). A translation whose leading or
    trailing newline differs from the msgid's, which ``msgfmt --check`` rejects, is
    written fuzzy with a ``#.`` note (see :func:`newlines_differ`).
    """
    catalog = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
    catalog.header = (
        f"Posts translated into {lang}, exported by transync.\n"
        "Do not edit: translate through 'transync po' and 'transync submit'."
    )
    catalog.metadata = _headers(lang, revision_date, version, extra_headers or {})
    seen: dict[tuple[str, str], polib.POEntry] = {}
    for entry in entries:
        comments = [_comment(line) for c in entry.comments for line in c.splitlines()]
        comments = [line for line in comments if line]
        occurrences = [_occurrence(o) for o in entry.occurrences if o.strip()]
        existing = seen.get((entry.key, entry.msgid))
        if existing is not None:
            _merge(existing, comments, occurrences)
            continue
        fuzzy = entry.fuzzy and bool(entry.msgstr)
        if entry.msgstr and not fuzzy and newlines_differ(entry.msgid, entry.msgstr):
            fuzzy = True
            comments.append(
                "transync: fuzzy because msgid and msgstr differ in a leading or "
                "trailing newline"
            )
        po_entry = polib.POEntry(
            msgctxt=entry.key,
            msgid=entry.msgid,
            msgstr=entry.msgstr,
            flags=[_FUZZY] if fuzzy else [],
            previous_msgid=entry.previous_msgid,
            comment="\n".join(_unique(comments)),
            occurrences=[(o, "") for o in _unique(occurrences)],
        )
        seen[(entry.key, entry.msgid)] = po_entry
        catalog.append(po_entry)
    return catalog


def newlines_differ(msgid: str, msgstr: str) -> bool:
    """Whether msgfmt --check would reject this pair: one starts or ends with a newline
    and the other does not.

    >>> newlines_differ("a\\n", "b")
    True
    """
    return (msgid.startswith("\n") != msgstr.startswith("\n")) or (
        msgid.endswith("\n") != msgstr.endswith("\n")
    )


def count_entries(catalog: polib.POFile) -> CatalogCounts:
    """Translated, fuzzy and untranslated entries, counted the way ``msgfmt --statistics`` does."""
    translated = fuzzy = untranslated = 0
    for entry in catalog:
        if entry.obsolete:
            continue
        if not _first_msgstr(entry):
            untranslated += 1
        elif _FUZZY in entry.flags:
            fuzzy += 1
        else:
            translated += 1
    return CatalogCounts(translated=translated, fuzzy=fuzzy, untranslated=untranslated)


def render_po(catalog: polib.POFile) -> bytes:
    """The catalog as UTF-8 PO bytes: same entries, same bytes.

    Strings are wrapped at 79 columns after a space, and after each ``\\n``, as
    msgcat does (msgcat leaves such a file of prose unchanged); ``#.`` comments are
    one line each. Written here rather than with polib's ``__unicode__``, whose
    textwrap is slower than msgcat on catalogs of real paragraphs.
    """
    _require_utf8(catalog)
    out: list[str] = []
    for line in catalog.header.split("\n") if catalog.header else ():
        out.append(f"# {line}".rstrip())
    if catalog.metadata_is_fuzzy:
        out.append("#, fuzzy")
    _field(out, "", "msgid", "")
    _field(out, "", "msgstr", catalog.metadata_as_entry().msgstr)
    for entry in catalog:
        if not entry.obsolete:
            out.append("")
            _entry(out, entry)
    for entry in catalog:
        if entry.obsolete:
            out.append("")
            _entry(out, entry)
    out.append("")
    return "\n".join(out).encode("utf-8")


def render_mo(catalog: polib.POFile) -> bytes:
    """The catalog as a GNU MO file (little-endian, no hash table), in linear time.

    Like msgfmt, leaves out obsolete, fuzzy and untranslated entries (the header
    stays even when marked fuzzy, as msgfmt keeps it); keys are
    ``msgctxt + "\\x04" + msgid`` sorted by their UTF-8 bytes.
    polib's ``save_as_mofile`` concatenates bytes in a loop and is quadratic.
    """
    _require_utf8(catalog)
    pairs: list[tuple[bytes, bytes]] = []
    header = catalog.metadata_as_entry().msgstr
    if header:
        pairs.append((b"", header.encode("utf-8")))
    for entry in catalog:
        if entry.obsolete or _FUZZY in entry.flags or not _first_msgstr(entry):
            continue
        if entry.msgid_plural:
            forms = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
            original, translation = entry.msgid + "\0" + entry.msgid_plural, "\0".join(forms)
        else:
            original, translation = entry.msgid, entry.msgstr
        if entry.msgctxt is not None:
            original = entry.msgctxt + "\x04" + original
        pairs.append((original.encode("utf-8"), translation.encode("utf-8")))
    pairs.sort(key=lambda pair: pair[0])
    for (a, _), (b, _) in pairwise(pairs):
        if a.split(b"\0", 1)[0] == b.split(b"\0", 1)[0]:
            context, _, msgid = a.split(b"\0", 1)[0].rpartition(b"\x04")
            raise ValueError(
                f"duplicate message msgctxt={context.decode()!r} msgid={msgid.decode()!r}; "
                "a MO file can hold each only once"
            )

    count = len(pairs)
    originals_at = 28
    translations_at = originals_at + 8 * count
    strings_at = translations_at + 8 * count
    table = array("I")
    if table.itemsize != 4:  # pragma: no cover - every supported platform has 4-byte "I"
        table = array("L")
    position = strings_at
    for original, _ in pairs:
        table.extend((len(original), position))
        position += len(original) + 1
    for _, translation in pairs:
        table.extend((len(translation), position))
        position += len(translation) + 1
    if sys.byteorder == "big":  # pragma: no cover
        table.byteswap()
    head = struct.pack("<7I", _MO_MAGIC, 0, count, originals_at, translations_at, 0, strings_at)
    chunks = [head, table.tobytes()]
    chunks += [original + b"\0" for original, _ in pairs]
    chunks += [translation + b"\0" for _, translation in pairs]
    return b"".join(chunks)


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed into place.

    Returns False, writing nothing, when the file already holds exactly these bytes.
    Readers see either the old file or the new one, never a partial write. A new
    file gets mode 0644; an existing file keeps its mode.
    """
    path = Path(path)
    try:
        current = path.stat()
    except FileNotFoundError:
        mode = 0o644
    else:
        if current.st_size == len(data) and path.read_bytes() == data:
            return False
        mode = current.st_mode & 0o7777
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)
    return True


def read_po(data: bytes, *, name: str, max_bytes: int) -> polib.POFile:
    """Parse an uploaded PO file, refusing anything that is not a complete PO catalog.

    Accepts what PO editors write: a UTF-8 BOM, CRLF line endings, rewrapped and
    reordered entries, Poedit's extra headers. Obsolete (``#~``) entries are
    dropped from the result. Every refusal is a :class:`CatalogError` with
    ``path=name`` and the line, when there is one.
    """
    if len(data) > max_bytes:
        raise CatalogError(
            f"the file is {len(data):,} bytes, larger than the limit of {max_bytes:,} bytes "
            "(TRANSYNC_MAX_UPLOAD_BYTES); upload one task's PO file, or raise the limit",
            path=name,
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    _refuse_binary(data, name)
    charset, charset_line = _declared_charset(data, name)
    try:
        text = data.decode(charset)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        if exc.end >= len(data) and exc.reason == "unexpected end of data":
            raise CatalogError(
                "the file ends in the middle of a character, so it is truncated; "
                "upload the whole file",
                path=name,
                line=line,
            ) from exc
        raise CatalogError(
            f"byte 0x{data[exc.start]:02x} on line {line} is not valid {charset}, the "
            f"charset the header declares (line {charset_line or '-'}); save the file as "
            "UTF-8 and declare 'charset=UTF-8' in the Content-Type header",
            path=name,
            line=line,
        ) from exc
    text = text.replace("\r\n", "\n")
    if "\n" not in text:
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    _check_syntax(lines, name)
    try:
        catalog = polib.pofile(_Lines(lines), encoding=charset, wrapwidth=WRAP_WIDTH)
    except (OSError, ValueError, KeyError, IndexError) as exc:
        match = re.search(r"line (\d+)\)(?::\s*(.*))?", str(exc))
        line = int(match.group(1)) if match else None
        detail = (match.group(2) if match else None) or "syntax error"
        raise CatalogError(
            f"not a valid PO file: {detail}; open it in a PO editor (Poedit) and save it again",
            path=name,
            line=line,
        ) from exc
    catalog[:] = [entry for entry in catalog if not entry.obsolete]
    _refuse_duplicates(catalog, name)
    return catalog


# -- PO rendering ---------------------------------------------------------------

_ESCAPE_MAP = {
    "\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r",
    "\v": "\\v", "\b": "\\b", "\f": "\\f",
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


def _require_utf8(catalog: polib.POFile) -> None:
    """Both renderers write UTF-8; a header declaring another charset would lie."""
    match = re.search(r"charset=([\w.:-]+)", catalog.metadata.get("Content-Type", ""))
    if match and match.group(1).upper() not in ("UTF-8", "UTF8", "CHARSET"):
        raise ValueError(
            f"the catalog declares charset={match.group(1)}; set Content-Type to "
            "'text/plain; charset=UTF-8' before rendering (transync writes UTF-8 only)"
        )


def _occurrence_lines(out: list[str], occurrences: list[tuple[str, str]]) -> None:
    line = "#:"
    for path, number in occurrences:
        word = f"{path}:{number}" if number else path
        if len(line) > 2 and len(line) + 1 + len(word) > WRAP_WIDTH:
            out.append(line)
            line = "#:"
        line += " " + word
    out.append(line)


# -- helpers -----------------------------------------------------------------


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _headers(
    lang: str, revision_date: datetime | None, version: str, extra: Mapping[str, str]
) -> dict[str, str]:
    if revision_date is None:
        stamp = "1970-01-01 00:00+0000"
    else:
        if revision_date.tzinfo is not None:
            revision_date = revision_date.astimezone(UTC)
        stamp = revision_date.strftime("%Y-%m-%d %H:%M+0000")
    headers = {
        "Project-Id-Version": PROJECT,
        "PO-Revision-Date": stamp,
        "Last-Translator": "transync",
        "Language-Team": lang,
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms(lang),
        "X-Generator": f"transync {version}",
    }
    for header_name in sorted(extra):
        value = extra[header_name]
        if not _HEADER_NAME.match(header_name) or header_name in _OWN_HEADERS:
            raise ValueError(f"extra header {header_name!r} is not allowed")
        if any(c in value for c in "\r\n\x00"):
            raise ValueError(f"extra header {header_name!r} has a line break in its value")
        headers[header_name] = value
    for line in (lang, version):
        if any(c in line for c in "\r\n\x00"):
            raise ValueError(f"{line!r} cannot go into a PO header")
    return headers


def _comment(line: str) -> str:
    """A ``#.`` line: white space collapsed (as polib reads it back), no word-final backslash.

    gettext joins a line ending in a backslash with the next one, which would swallow
    the ``#, fuzzy`` flag; lines are wrapped between words, so no word may end with one.
    """
    return _WORD_FINAL_BACKSLASH.sub("%5C", " ".join(line.split()))


_WORD_FINAL_BACKSLASH = re.compile(r"\\(?=\s|\Z)")


_PLAIN_REFERENCE = re.compile(r"[^\s*\\\x00-\x1f\x7f]*\Z")


@functools.lru_cache(maxsize=4096)
def _occurrence(reference: str) -> str:
    """A ``#:`` reference as one word: white space, ``*``, ``\\`` and controls percent-encoded.

    polib splits ``#:`` lines on white space and, when wrapping, turns ``*`` into ``-``;
    gettext joins a line ending in a backslash with the next one.
    """
    reference = reference.strip()
    if _PLAIN_REFERENCE.match(reference):
        return reference
    out = []
    for char in reference:
        if char.isspace() or char in "*\\" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge(entry: polib.POEntry, comments: list[str], occurrences: list[str]) -> None:
    old_comments = entry.comment.split("\n") if entry.comment else []
    entry.comment = "\n".join(_unique(old_comments + comments))
    known = {path for path, _ in entry.occurrences}
    entry.occurrences += [(o, "") for o in _unique(occurrences) if o not in known]


def _first_msgstr(entry: polib.POEntry) -> str:
    if entry.msgid_plural:
        return str(entry.msgstr_plural.get(0, ""))
    return str(entry.msgstr)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


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
    codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
)


def _refuse_binary(data: bytes, name: str) -> None:
    if not data.strip():
        raise CatalogError("the file is empty; upload the PO file of the task", path=name)
    if data[:4] in (struct.pack("<I", _MO_MAGIC), struct.pack(">I", _MO_MAGIC)):
        raise CatalogError(
            "this is a compiled MO file; upload the .po file instead", path=name, line=None
        )
    if data.startswith(_UTF16_32_BOMS):
        raise CatalogError(
            "the file is saved as UTF-16 or UTF-32; save it as UTF-8", path=name, line=1
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data[:nul].count(b"\n") + 1
        raise CatalogError(
            f"the file is binary (a NUL byte on line {line}), not a PO text file; "
            "upload the .po file your PO editor saved",
            path=name,
            line=line,
        )


_CHARSET = re.compile(rb'^[ \t]*"Content-Type:[^\n]*?charset=([A-Za-z0-9_.:\-]+)', re.MULTILINE)


def _declared_charset(data: bytes, name: str) -> tuple[str, int | None]:
    match = _CHARSET.search(data)
    if match is None:
        return "utf-8", None
    line = data[: match.start()].count(b"\n") + 1
    declared = match.group(1).decode("ascii")
    if declared.upper() == "CHARSET":  # the template placeholder: read as UTF-8
        return "utf-8", line
    try:
        return codecs.lookup(declared).name, line
    except LookupError:
        raise CatalogError(
            f"the header declares an unknown charset {declared!r}; save the file as UTF-8 "
            "with 'charset=UTF-8' in the Content-Type header",
            path=name,
            line=line,
        ) from None


_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr\[\d+\]|msgstr)(?:\s+|(?=\"))(.*)\Z")
_STRING_PREFIX = re.compile(r'"(?:[^"\\]|\\.)*')
_MAX_SYNTAX_PROBLEMS = 20


def _string_problem(literal: str) -> str | None:
    """Why a quoted PO string is malformed, or None when it is fine."""
    if not literal.startswith('"'):
        return "expected a quoted string"
    end = _STRING_PREFIX.match(literal)
    assert end is not None
    rest = literal[end.end():]
    if rest == "":
        return "unterminated string (the file may be truncated)"
    if rest != '"':
        return "unescaped double quote or text after the closing quote"
    return None


def _check_syntax(lines: list[str], name: str) -> None:
    """Check line by line what polib lets through: unterminated strings, a missing msgstr."""
    problems: list[tuple[int, str]] = []
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
            problems.append((number, "not PO syntax: expected msgctxt, msgid, msgstr, a "
                                     "\"string\" or a # comment"))
            continue
        problem = _string_problem(literal)
        if problem:
            problems.append((number, problem))
        if previous or keyword is None:
            continue
        if keyword.startswith("msgstr"):
            pending = None
        elif keyword in ("msgctxt", "msgid"):
            if pending is not None and not (pending[1] == "msgctxt" and keyword == "msgid"):
                problems.append((pending[0], f"{pending[1]} without a msgstr"))
            pending = (number, keyword)
            entries += keyword == "msgid"
        if len(problems) >= _MAX_SYNTAX_PROBLEMS:
            break
    if pending is not None and len(problems) < _MAX_SYNTAX_PROBLEMS:
        problems.append((pending[0], f"{pending[1]} without a msgstr: the file ends early "
                                     "(truncated?)"))
    if problems:
        first = problems[0][0]
        raise CatalogError(
            f"not a valid PO file ({len(problems)} problem{'s' if len(problems) > 1 else ''}"
            f"{' or more' if len(problems) >= _MAX_SYNTAX_PROBLEMS else ''}); fix the lines "
            "listed, or save the file again from a PO editor",
            path=name,
            line=first,
            problems=[f"line {n}: {text}" for n, text in problems],
        )
    if entries == 0:
        raise CatalogError(
            "the file has no msgid, so it is not a PO catalog; upload the task's .po file",
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
                f"line {entry.linenum}: msgctxt {entry.msgctxt!r} msgid {entry.msgid[:60]!r} "
                f"repeats the entry on line {first_seen[key]}"
            )
        else:
            first_seen[key] = entry.linenum
    if problems:
        raise CatalogError(
            "the file has the same entry more than once; keep one of each and upload again",
            path=name,
            line=first_line,
            problems=problems,
        )
