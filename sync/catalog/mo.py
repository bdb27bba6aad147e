"""MO rendering: a catalog as a GNU MO file, with the entries and key order msgfmt uses.

The pairs and their order checks are shared with :mod:`sync.catalog.stream`, which writes
the same file as it goes.
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Iterable
from itertools import pairwise

import polib

from sync.catalog.build import _FUZZY, _first_msgstr, _require_utf8

__all__ = ["render_mo"]

_MO_MAGIC = 0x950412DE


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
