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
import shutil
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import polib
from babel.core import UnknownLocaleError
from babel.messages.plurals import get_plural

from sync.errors import MAX_SHOWN_PROBLEMS, CatalogError
from sync.i18n import nt_, t_

__all__ = [
    "CatalogCounts",
    "CatalogEntry",
    "CatalogStream",
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
    flags: tuple[str, ...] = ()  # more ``#,`` flags (``keep-source``)

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
        _add_entry(catalog, seen, entry)
    return catalog


def _add_entry(
    out: list[polib.POEntry], seen: dict[tuple[str, str], polib.POEntry], entry: CatalogEntry
) -> None:
    """Append ``entry`` as a POEntry, or merge it into the one ``seen`` for its (key, msgid)."""
    comments = [_comment(line) for c in entry.comments for line in c.splitlines()]
    comments = [line for line in comments if line]
    occurrences = [_occurrence(o) for o in entry.occurrences if o.strip()]
    existing = seen.get((entry.key, entry.msgid))
    if existing is not None:
        _merge(existing, comments, occurrences)
        return
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
        flags=[*([_FUZZY] if fuzzy else []), *entry.flags],
        previous_msgid=entry.previous_msgid,
        comment="\n".join(_unique(comments)),
        occurrences=[(o, "") for o in _unique(occurrences)],
    )
    seen[(entry.key, entry.msgid)] = po_entry
    out.append(po_entry)


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
    tally = [0, 0, 0]
    _tally(tally, catalog)
    return CatalogCounts(translated=tally[0], fuzzy=tally[1], untranslated=tally[2])


def _tally(tally: list[int], entries: Iterable[polib.POEntry]) -> None:
    """Add [translated, fuzzy, untranslated] of non-obsolete ``entries`` to ``tally``."""
    for entry in entries:
        if entry.obsolete:
            continue
        if not _first_msgstr(entry):
            tally[2] += 1
        elif _FUZZY in entry.flags:
            tally[1] += 1
        else:
            tally[0] += 1


def render_po(catalog: polib.POFile) -> bytes:
    """The catalog as UTF-8 PO bytes: same entries, same bytes.

    Strings are wrapped at 79 columns after a space, and after each ``\\n``, as
    msgcat does (msgcat leaves such a file of prose unchanged); ``#.`` comments are
    one line each. Written here rather than with polib's ``__unicode__``, whose
    textwrap is slower than msgcat on catalogs of real paragraphs.
    """
    _require_utf8(catalog)
    text = (_po_head(catalog) + _po_entries(e for e in catalog if not e.obsolete)
            + _po_entries(e for e in catalog if e.obsolete))
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
    pairs += _mo_pairs(catalog)
    pairs.sort(key=lambda pair: pair[0])
    for (a, _), (b, _) in pairwise(pairs):
        _check_mo_order(a, b, sorted_already=True)

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


def _mo_pairs(entries: Iterable[polib.POEntry]) -> list[tuple[bytes, bytes]]:
    """(original, translation) bytes of the entries a MO file holds, in the given order:
    msgfmt leaves out obsolete, fuzzy and untranslated entries."""
    pairs = []
    for entry in entries:
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
    return pairs


def _check_mo_order(a: bytes, b: bytes, *, sorted_already: bool = False) -> None:
    """Refuse the original ``b`` coming after ``a``: the same message (a MO file holds each
    once), or, unless the caller sorted them, one not in byte order."""
    if a.split(b"\0", 1)[0] == b.split(b"\0", 1)[0]:
        context, _, msgid = a.split(b"\0", 1)[0].rpartition(b"\x04")
        raise ValueError(
            f"duplicate message msgctxt={context.decode()!r} msgid={msgid.decode()!r}; "
            "a MO file can hold each only once"
        )
    if not sorted_already and b < a:
        raise ValueError(
            f"MO keys out of order: {b[:80]!r} after {a[:80]!r}; add the entries sorted by "
            "the UTF-8 bytes of msgctxt + U+0004 + msgid"
        )


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
        _rename_into_place(Path(tmp_name), path, mode)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return True


def _rename_into_place(tmp: Path, path: Path, mode: int) -> None:
    """The last step of an atomic write: ``tmp`` (written and fsynced, in ``path``'s folder)
    gets ``mode`` and replaces ``path``; then the folder is fsynced."""
    os.chmod(tmp, mode)
    os.replace(os.fspath(tmp), path)
    _fsync_dir(path.parent)


def _same_file_bytes(a: Path, b: Path, *, chunk: int = 1 << 20) -> bool:
    """Whether two files hold the same bytes (read in chunks, never whole)."""
    try:
        if a.stat().st_size != b.stat().st_size:
            return False
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(chunk), fb.read(chunk)
                if x != y:
                    return False
                if not x:
                    return True
    except FileNotFoundError:
        return False


#: Entries (MO lengths) buffered before they go to their temporary file.
_MO_LENGTHS_BUFFER = 1 << 16


def _uint_array() -> array:
    table = array("I")
    if table.itemsize != 4:  # pragma: no cover - every supported platform has 4-byte "I"
        table = array("L")
    return table


class CatalogStream:
    """One language's catalog written while it is built, in memory bounded by one group.

    The same bytes as ``render_po(build_catalog(...))`` and ``render_mo(...)`` of all the
    entries, without holding them: each :meth:`add_group` formats its entries (with the
    code render_po and render_mo use) straight into temporary files beside ``po_path`` (or
    in ``temp_dir``), named ``.posts.po.*.tmp`` / ``.posts.mo.*.tmp`` like
    :func:`write_atomic`'s. The PO body follows a header written with a placeholder
    PO-Revision-Date, which :meth:`finish` overwrites in place (the stamp has a fixed width;
    should the header's length differ anyway, the body is copied after the new header).
    MO originals and translations go to two files and their lengths (4 bytes a pair) to two
    more; :meth:`finish` assembles head + offset tables + strings.

    MO keys must be sorted by the UTF-8 bytes of ``msgctxt + "\\x04" + msgid``, so callers
    add all the entries of one msgctxt at once, the groups in byte order of
    ``(msgctxt + "\\x04").encode()``: a group's pairs, sorted here by msgid, then sort after
    every pair of the groups before (no msgctxt holds U+0004, so of two different contexts
    + U+0004 neither is a prefix of the other, and the first byte where they differ decides).
    A group out of order and a duplicate message are refused with ValueError. Within a
    group, a repeated msgid is merged as :func:`build_catalog` does.

    Then :meth:`commit` renames both files into place (an unchanged file is left alone) or
    :meth:`matches` compares them with the files at the paths. :meth:`close` (or leaving
    the ``with`` block) removes every temporary file left.
    """

    _PARTS = ("po", "originals", "translations", "original_lengths", "translation_lengths")

    def __init__(
        self,
        lang: str,
        po_path: Path,
        mo_path: Path,
        *,
        version: str,
        extra_headers: Mapping[str, str] | None = None,
        temp_dir: Path | None = None,
    ) -> None:
        self.lang = lang
        self.po_path, self.mo_path = Path(po_path), Path(mo_path)
        self._version = version
        self._extra_headers = dict(extra_headers or {})
        self._dir = Path(temp_dir) if temp_dir is not None else self.po_path.parent
        self._files: dict[str, tuple[Path, Any]] = {}
        self._tally = [0, 0, 0]
        self._last_group: bytes | None = None
        self._last_original: bytes | None = None
        self._count = 0  # MO pairs, the header not included
        self._strings_size = 0  # bytes of originals and translations, each with its NUL
        self._lengths = (_uint_array(), _uint_array())
        self._finished = False
        self._placeholder = _po_head(self._catalog(None)).encode("utf-8")
        self._dir.mkdir(parents=True, exist_ok=True)
        try:
            for part in self._PARTS:
                self._open(part)
            self._file("po").write(self._placeholder)
        except BaseException:
            self.close()
            raise

    def _open(self, part: str) -> Any:
        name = self.po_path.name if part == "po" else self.mo_path.name
        fd, tmp_name = tempfile.mkstemp(dir=self._dir, prefix=f".{name}.", suffix=".tmp")
        handle = os.fdopen(fd, "w+b", buffering=1 << 18)
        self._files[part] = (Path(tmp_name), handle)
        return handle

    def _file(self, part: str) -> Any:
        return self._files[part][1]

    def _catalog(self, revision_date: datetime | None) -> polib.POFile:
        catalog = build_catalog(self.lang, (), revision_date=revision_date,
                                version=self._version, extra_headers=self._extra_headers)
        _require_utf8(catalog)
        return catalog

    def add_group(self, entries: Iterable[CatalogEntry]) -> None:
        """The entries of one msgctxt, in the order the PO file lists them."""
        if self._finished:
            raise ValueError("the catalog is finished")
        group: list[polib.POEntry] = []
        seen: dict[tuple[str, str], polib.POEntry] = {}
        key: str | None = None
        for entry in entries:
            if key is None:
                key = entry.key
            elif entry.key != key:
                raise ValueError(f"a group holds one msgctxt, not {key!r} and {entry.key!r}")
            _add_entry(group, seen, entry)
        if key is None:
            return
        order = (key + "\x04").encode("utf-8")
        if self._last_group is not None and order <= self._last_group:
            raise ValueError(
                f"msgctxt {key!r} comes after {self._last_group[:-1].decode()!r}: add each "
                "msgctxt once, in byte order of msgctxt + U+0004"
            )
        self._last_group = order
        self._file("po").write(_po_entries(group).encode("utf-8"))
        _tally(self._tally, group)
        pairs = _mo_pairs(group)
        pairs.sort(key=lambda pair: pair[0])
        originals, translations = self._file("originals"), self._file("translations")
        original_lengths, translation_lengths = self._lengths
        for original, translation in pairs:
            if self._last_original is not None:
                _check_mo_order(self._last_original, original)
            self._last_original = original
            originals.write(original + b"\0")
            translations.write(translation + b"\0")
            original_lengths.append(len(original))
            translation_lengths.append(len(translation))
            self._strings_size += len(original) + len(translation) + 2
        self._count += len(pairs)
        if len(original_lengths) >= _MO_LENGTHS_BUFFER:
            self._flush_lengths()

    @property
    def counts(self) -> CatalogCounts:
        """Translated, fuzzy and untranslated entries so far (as ``count_entries``)."""
        translated, fuzzy, untranslated = self._tally
        return CatalogCounts(translated=translated, fuzzy=fuzzy, untranslated=untranslated)

    def _flush_lengths(self) -> None:
        for lengths, part in zip(self._lengths, ("original_lengths", "translation_lengths"),
                                 strict=True):
            lengths.tofile(self._file(part))
            del lengths[:]

    def finish(self, revision_date: datetime | None) -> CatalogCounts:
        """Complete both files; ``revision_date`` is the latest change included (the
        PO-Revision-Date, as build_catalog's)."""
        if self._finished:
            raise ValueError("the catalog is finished")
        self._finished = True
        catalog = self._catalog(revision_date)
        head = _po_head(catalog).encode("utf-8")
        po = self._file("po")
        if len(head) == len(self._placeholder):
            po.seek(0)
            po.write(head)
        else:  # pragma: no cover - the stamp has a fixed width
            po = self._rewrite_po(head)
        po.flush()
        os.fsync(po.fileno())
        self._write_mo(catalog.metadata_as_entry().msgstr.encode("utf-8"))
        for part in self._PARTS[1:]:
            self._drop(part)
        return self.counts

    def _rewrite_po(self, head: bytes) -> Any:
        old_path, old = self._files.pop("po")
        new = self._open("po")
        new.write(head)
        old.seek(len(self._placeholder))
        shutil.copyfileobj(old, new, 1 << 20)
        old.close()
        old_path.unlink(missing_ok=True)
        return new

    def _write_mo(self, header: bytes) -> None:
        self._flush_lengths()
        count = self._count + (1 if header else 0)
        originals_at = 28
        translations_at = originals_at + 8 * count
        strings_at = translations_at + 8 * count
        total = strings_at + self._strings_size + (len(header) + 2 if header else 0)
        if total > 0xFFFFFFFF:
            raise ValueError(
                f"the {self.lang} MO file would be {total:,} bytes; a MO file holds at most "
                "4 GiB of offsets"
            )
        out = self._open("mo")
        out.write(struct.pack("<7I", _MO_MAGIC, 0, count, originals_at, translations_at, 0,
                              strings_at))
        position = strings_at
        for part, header_length in (("original_lengths", 0), ("translation_lengths", len(header))):
            table = _uint_array()
            if header:
                table.extend((header_length, position))
                position += header_length + 1
            source = self._file(part)
            source.flush()
            source.seek(0)
            while True:
                lengths = _uint_array()
                with contextlib.suppress(EOFError):  # the last chunk is shorter
                    lengths.fromfile(source, _MO_LENGTHS_BUFFER)
                if not lengths:
                    break
                for length in lengths:
                    table.append(length)
                    table.append(position)
                    position += length + 1
                out.write(_le(table))
                table = _uint_array()
            out.write(_le(table))
        for part, header_string in (("originals", b""), ("translations", header)):
            if header:
                out.write(header_string + b"\0")
            source = self._file(part)
            source.flush()
            source.seek(0)
            shutil.copyfileobj(source, out, 1 << 20)
        out.flush()
        os.fsync(out.fileno())

    def commit(self) -> bool:
        """Rename both files into place (PO, then MO); whether either changed. A file that
        already holds these bytes is left alone (its temporary file removed)."""
        self._require_finished()
        changed = False
        for part, path in (("po", self.po_path), ("mo", self.mo_path)):
            tmp, handle = self._files[part]
            handle.close()
            try:
                mode = path.stat().st_mode & 0o7777
            except FileNotFoundError:
                mode = 0o644
            else:
                if _same_file_bytes(tmp, path):
                    self._drop(part)
                    continue
            _rename_into_place(tmp, path, mode)
            del self._files[part]
            changed = True
        return changed

    def matches(self) -> bool:
        """Whether the files at the paths already hold exactly these bytes."""
        self._require_finished()
        for part in ("po", "mo"):
            self._file(part).flush()
        return (_same_file_bytes(self._files["po"][0], self.po_path)
                and _same_file_bytes(self._files["mo"][0], self.mo_path))

    def _require_finished(self) -> None:
        if not self._finished or "mo" not in self._files:
            raise ValueError("finish() the catalog first")

    def _drop(self, part: str) -> None:
        path, handle = self._files.pop(part)
        with contextlib.suppress(OSError):
            handle.close()
        path.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove every temporary file still here."""
        for part in list(self._files):
            self._drop(part)

    def __enter__(self) -> CatalogStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _le(table: array) -> bytes:
    if sys.byteorder == "big":  # pragma: no cover
        table.byteswap()
    return table.tobytes()


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
            t_("the file is %(size)s bytes, larger than the limit of %(limit)s bytes "
               "(TRANSYNC_MAX_UPLOAD_BYTES); upload one task's PO file, or raise the limit",
               size=f"{len(data):,}", limit=f"{max_bytes:,}"),
            path=name,
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
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
            t_("not a valid PO file: %(detail)s; open it in a PO editor (Poedit) and save it "
               "again", detail=detail),
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
            t_("the file is binary (a NUL byte on line %(line)d), not a PO text file; upload "
               "the .po file your PO editor saved", line=line),
            path=name,
            line=line,
        )


def _unix_newlines(data: bytes) -> bytes:
    """CRLF as LF, and CR as LF in a file with no LF at all (old Mac editors), before decoding:
    every charset read here is ASCII-compatible, so no multi-byte character holds these bytes."""
    data = data.replace(b"\r\n", b"\n")
    if b"\n" not in data:
        data = data.replace(b"\r", b"\n")
    return data


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


_HEADER_MSGID = re.compile(rb'[ \t]*msgid[ \t]*""[ \t]*\Z')
_HEADER_CHARSET = re.compile(
    rb'[ \t]*(?:msgstr[ \t]*)?"Content-Type:[^"\n]*?charset=([A-Za-z0-9_.:\-]+)'
)


def _header_charset(data: bytes) -> tuple[str | None, int | None]:
    """The charset the header's Content-Type line declares, and that line's number; None for
    both when the file has no header entry or its Content-Type names no charset.

    The header is the first entry, with ``msgid ""`` and no msgctxt: a Content-Type line in
    the msgstr of another entry (a post about HTTP) declares nothing.
    """
    start, number, in_header = 0, 0, False
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        line, start, number = data[start:end], end + 1, number + 1
        stripped = line.strip()
        if not in_header:
            if not stripped or stripped.startswith(b"#"):
                continue
            if not _HEADER_MSGID.match(line):
                return None, None
            in_header = True
            continue
        if not (stripped.startswith(b'"') or stripped.startswith(b"msgstr")):
            return None, None
        match = _HEADER_CHARSET.match(line)
        if match is not None:
            return match.group(1).decode("ascii"), number
    return None, None


#: Printable ASCII, tab, newline and what PO strings hold: a charset a PO file can be in
#: reads them as ASCII does. This rules out UTF-16, UTF-7, EBCDIC, HZ and Python codecs
#: that are no charsets: rot13, base64, unicode_escape (``\\n``), idna (``xn--``) …
_ASCII_PROBE = (bytes(b for b in range(0x20, 0x7F) if b != 0x5C) + b"\t\n"
                + rb'msgstr "\n\t\\ \"\u0434\" xn--d1a.xn--p1ai ~{ +AGEA-"')
_UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})


@functools.lru_cache(maxsize=64)
def _reads_ascii(codec: str) -> bool:
    try:
        return _ASCII_PROBE.decode(codec) == _ASCII_PROBE.decode("ascii")
    except (LookupError, UnicodeError, ValueError):
        return False


def _codec(declared: str, name: str, line: int) -> str:
    """The Python codec for a declared charset, refusing one that is unknown or that a PO
    file cannot be in."""
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise CatalogError(
            t_("the header declares charset=%(charset)s on line %(line)d, an encoding transync "
               "does not know; save the file as UTF-8 and set 'charset=UTF-8' in the "
               "Content-Type header", charset=declared, line=line),
            path=name,
            line=line,
        ) from None
    if not _reads_ascii(codec):
        raise CatalogError(
            t_("the header declares charset=%(charset)s on line %(line)d, which a PO file "
               "cannot be in (it does not read plain ASCII as ASCII); save the file as UTF-8 "
               "and set 'charset=UTF-8' in the Content-Type header", charset=declared,
               line=line),
            path=name,
            line=line,
        )
    return "utf-8" if codec in _UTF8_NAMES else codec


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a PO file (BOM gone, LF line ends) and the codec that read it.

    The charset is the one the header declares, else UTF-8. ``charset=CHARSET``, the
    placeholder a POT file carries, reads as UTF-8, as gettext reads it as ASCII-compatible
    bytes; if the bytes are not UTF-8 the refusal says the placeholder was never set.
    A file whose header names another charset, but whose bytes are valid UTF-8 with
    multi-byte sequences, is refused: a single-byte charset (KOI8-R, CP1251, Latin-1)
    decodes any bytes, so it would read as mojibake, while text really in such a charset is
    almost never valid UTF-8 (its letters would have to come in lead-and-continuation
    byte patterns, e.g. KOI8-R's lowercase Cyrillic followed by box-drawing characters).
    """
    declared, header_line = _header_charset(data)
    if declared is None or declared.upper() == "CHARSET":
        codec = "utf-8"
    else:
        assert header_line is not None
        codec = _codec(declared, name, header_line)
        if codec != "utf-8":
            _refuse_utf8_under_another_name(data, declared, codec, name, header_line)
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise _undecodable(data, exc, declared, header_line, name) from exc


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _refuse_utf8_under_another_name(
    data: bytes, declared: str, codec: str, name: str, header_line: int
) -> None:
    """Refuse bytes that are valid UTF-8 with non-ASCII text under another charset's name,
    showing the first such word as UTF-8 reads it and as the declared charset would."""
    if data.isascii():
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    first = _NON_ASCII.search(text)
    assert first is not None
    at = first.start()
    start = max(at - 20, *(text.rfind(c, 0, at) + 1 for c in ' \t\n"'))
    ends = [i for i in (text.find(c, at) for c in ' \t\n"') if i >= 0]
    word = text[start:min([*ends, len(text), start + 40])]
    misread = word.encode("utf-8").decode(codec, errors="replace")
    line = text.count("\n", 0, at) + 1
    as_declared = (t_("%(charset)s cannot read it", charset=declared) if "\ufffd" in misread
                   else t_("%(misread)s as %(charset)s", misread=repr(misread), charset=declared))
    raise CatalogError(
        t_("the header declares charset=%(charset)s on line %(header_line)d, but the file is "
           "UTF-8: line %(line)d reads %(word)s as UTF-8 and %(as_declared)s; change line "
           "%(header_line)d to charset=UTF-8 (the editor saved UTF-8 and kept an old header) "
           "and upload again", charset=declared, header_line=header_line, line=line,
           word=repr(word), as_declared=as_declared),
        path=name,
        line=header_line,
        text_line=line,
    )


def _undecodable(data: bytes, exc: UnicodeDecodeError, declared: str | None,
                 header_line: int | None, name: str) -> CatalogError:
    """The refusal of bytes that the charset read does not decode."""
    line = _line_at(data, exc.start)
    if exc.end >= len(data) and exc.reason == "unexpected end of data":
        return CatalogError(
            t_("the file ends in the middle of a character, so it is truncated; upload the "
               "whole file"),
            path=name,
            line=line,
        )
    byte = f"0x{data[exc.start]:02x}"
    if declared is None:
        why = t_("byte %(byte)s on line %(line)d is not valid UTF-8 (the header declares no "
                 "charset, so UTF-8 is read)", byte=byte, line=line)
    elif declared.upper() == "CHARSET":
        why = t_("byte %(byte)s on line %(line)d is not valid UTF-8, and the header still has "
                 "the template's placeholder charset=CHARSET on line %(header_line)s", byte=byte,
                 line=line, header_line=header_line)
    else:
        why = t_("byte %(byte)s on line %(line)d is not valid %(charset)s, the charset the "
                 "header declares on line %(header_line)s", byte=byte, line=line,
                 charset=declared, header_line=header_line)
    return CatalogError(
        t_("%(why)s; save the file as UTF-8 and set 'charset=UTF-8' in the Content-Type header",
           why=why),
        path=name,
        line=line,
        header_line=header_line,
    )


_KEYWORD = re.compile(r"(msgctxt|msgid_plural|msgid|msgstr\[\d+\]|msgstr)(?:\s+|(?=\"))(.*)\Z")
_STRING_PREFIX = re.compile(r'"(?:[^"\\]|\\.)*')


_NOT_QUOTED = t_("expected a quoted string")
_UNTERMINATED = t_("unterminated string (the file may be truncated)")
_AFTER_QUOTE = t_("unescaped double quote or text after the closing quote")
_NOT_PO = t_('not PO syntax: expected msgctxt, msgid, msgstr, a "string" or a # comment')


def _string_problem(literal: str) -> str | None:
    """Why a quoted PO string is malformed, or None when it is fine."""
    if not literal.startswith('"'):
        return _NOT_QUOTED
    end = _STRING_PREFIX.match(literal)
    assert end is not None
    rest = literal[end.end():]
    if rest == "":
        return _UNTERMINATED
    if rest != '"':
        return _AFTER_QUOTE
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
        note(pending[0], t_("%(keyword)s without a msgstr: the file ends early (truncated?)",
                            keyword=pending[1]))
    if problems:
        raise CatalogError(
            nt_("not a valid PO file (%(count)s problem); fix the lines listed, or save the "
                "file again from a PO editor",
                "not a valid PO file (%(count)s problems); fix the lines listed, or save the "
                "file again from a PO editor", found, count=f"{found:,}"),
            path=name,
            line=problems[0][0],
            problems=[t_("line %(line)d: %(problem)s", line=n, problem=text)
                      for n, text in problems],
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
            problems.append(t_(
                "line %(line)s: msgctxt %(msgctxt)s msgid %(msgid)s repeats the entry on line "
                "%(first)s", line=entry.linenum, msgctxt=repr(entry.msgctxt),
                msgid=repr(entry.msgid[:60]), first=first_seen[key]))
        else:
            first_seen[key] = entry.linenum
    if problems:
        raise CatalogError(
            t_("the file has the same entry more than once; keep one of each and upload again"),
            path=name,
            line=first_line,
            problems=problems,
        )
