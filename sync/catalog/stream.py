"""Streaming catalogs: one language's PO and MO files written while they are built.

Memory stays bounded by one post's entries however large the catalog, and the bytes are
those of :func:`sync.catalog.po.render_po` and :func:`sync.catalog.mo.render_mo`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import struct
import sys
import tempfile
from array import array
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import polib

from sync.catalog.atomic import _rename_into_place, _same_file_bytes
from sync.catalog.build import (
    CatalogCounts,
    CatalogEntry,
    _add_entry,
    _require_utf8,
    _tally,
    build_catalog,
)
from sync.catalog.mo import _MO_MAGIC, _check_mo_order, _mo_pairs
from sync.catalog.po import _po_entries, _po_head

__all__ = ["CatalogStream"]

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
        catalog = build_catalog(
            self.lang,
            (),
            revision_date=revision_date,
            version=self._version,
            extra_headers=self._extra_headers,
        )
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
        for lengths, part in zip(
            self._lengths, ("original_lengths", "translation_lengths"), strict=True
        ):
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
        out.write(
            struct.pack("<7I", _MO_MAGIC, 0, count, originals_at, translations_at, 0, strings_at)
        )
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
        return _same_file_bytes(self._files["po"][0], self.po_path) and _same_file_bytes(
            self._files["mo"][0], self.mo_path
        )

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
