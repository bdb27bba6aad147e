"""TMX 1.4b: translation memory as CAT tools exchange it, written and read as streams.

Pure: no database. :func:`write_tmx` writes one ``<tu>`` per (source, translation) pair
to a binary file object, piece by piece; :func:`read_tmx` reads a TMX of any size through
the guarded expat parser of :mod:`sync.interchange.safexml`, yielding one :class:`TuIn`
at a time, so memory holds one 64 KiB piece and the units parsed from it.

Inside ``<seg>``, TMX's inline elements hold the native code of the original document
(``<bpt>``, ``<ept>``, ``<ph>``, ``<it>``, ``<ut>``) or mark text (``<hi>``, ``<sub>``): a
segment is read as the text they stand for, native code included, so Markdown or HTML
markup another tool wrapped comes back as it was written. transync writes its segments
as plain text (the markup as the tracker keeps it).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from sync.errors import InputError
from sync.interchange.safexml import Guarded

XML = "{http://www.w3.org/XML/1998/namespace}"
DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$")
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INLINE = frozenset({"bpt", "ept", "ph", "it", "ut", "hi", "sub"})


@dataclass(frozen=True, slots=True)
class TuOut:
    """One pair, as :func:`write_tmx` writes it."""

    tuid: str
    source_lang: str
    target_lang: str
    source: str
    target: str
    changed: dt.datetime
    key: str = ""  # the post the pair came from, as the property x-context
    origin: str = ""  # transync's origin of the pair ("KEY [lang]")


def tmx_date(value: dt.datetime) -> str:
    """A TMX date: ``YYYYMMDDThhmmssZ`` in UTC."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y%m%dT%H%M%SZ")


@functools.lru_cache(maxsize=4096)
def parse_date(text: str) -> dt.datetime | None:
    """A TMX date as an aware UTC datetime; None when it is not one.

    >>> parse_date("20240301T093000Z")
    datetime.datetime(2024, 3, 1, 9, 30, tzinfo=datetime.timezone.utc)
    >>> parse_date("2024-03-01") is None, parse_date("20241301T000000Z") is None
    (True, True)
    """
    m = DATE.match(text)
    if m is None:
        return None
    try:
        return dt.datetime(*(int(g) for g in m.groups()), tzinfo=dt.UTC)  # type: ignore[misc]
    except ValueError:
        return None


def _esc(value: str) -> str:
    value = _BAD_XML_CHARS.sub("\ufffd", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return (
        _esc(value)
        .replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def write_tmx(
    out: BinaryIO,
    units: Iterable[TuOut],
    *,
    srclang: str,
    tool_version: str,
    created: dt.datetime,
    buffer: int = 1 << 20,
) -> int:
    """Write a TMX 1.4b document of ``units`` to ``out``; the number of units written.
    ``srclang`` is the header's (``*all*`` when the pairs start from several languages)."""
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'
        '<tmx version="1.4">\n'
        f'  <header creationtool="transync" creationtoolversion="{_attr(tool_version)}" '
        f'datatype="plaintext" segtype="paragraph" adminlang="en" srclang="{_attr(srclang)}" '
        f'o-tmf="transync" creationdate="{tmx_date(created)}"/>\n'
        "  <body>\n"
    )
    pieces: list[str] = [head]
    size = len(head)
    n = 0
    for u in units:
        date = tmx_date(u.changed)
        props = ""
        if u.key:
            props += f'      <prop type="x-context">{_esc(u.key)}</prop>\n'
        if u.origin:
            props += f'      <prop type="x-transync-origin">{_esc(u.origin)}</prop>\n'
        piece = (
            f'    <tu tuid="{_attr(u.tuid)}" srclang="{u.source_lang}" creationdate="{date}" '
            f'changedate="{date}">\n{props}'
            f'      <tuv xml:lang="{u.source_lang}"><seg>{_esc(u.source)}</seg></tuv>\n'
            f'      <tuv xml:lang="{u.target_lang}"><seg>{_esc(u.target)}</seg></tuv>\n'
            "    </tu>\n"
        )
        pieces.append(piece)
        size += len(piece)
        n += 1
        if size >= buffer:
            out.write("".join(pieces).encode("utf-8"))
            pieces.clear()
            size = 0
    pieces.append("  </body>\n</tmx>\n")
    out.write("".join(pieces).encode("utf-8"))
    return n


# -- reading --------------------------------------------------------------------------------


@dataclass(slots=True)
class Variant:
    lang: str
    text: str | None  # None: the <tuv> has no <seg>
    line: int


@dataclass(slots=True)
class TuIn:
    """One ``<tu>`` as the file has it."""

    number: int
    line: int
    tuid: str
    srclang: str  # the unit's, else the header's
    creationdate: str
    changedate: str
    props: dict[str, str] = field(default_factory=dict)
    variants: list[Variant] = field(default_factory=list)

    @property
    def name(self) -> str:
        """How problems name the unit."""
        tuid = f" (tuid {self.tuid!r})" if self.tuid else ""
        return f"line {self.line}: <tu> {self.number:,}{tuid}"


_LANG = "http://www.w3.org/XML/1998/namespace}lang"  # xml:lang as expat names it


class _TmxReader(Guarded):
    """A state machine over expat's events: only ``tmx``, ``header``, ``tu``, ``prop``,
    ``tuv``, ``seg`` and the inline elements inside a segment matter. Its handlers are
    expat's own (not :class:`Guarded`'s renaming ones: a million units are six million
    events), with the same depth and name guards."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.done: list[TuIn] = []
        self.header_srclang = ""
        self.root_seen = False
        self.tu: TuIn | None = None
        self.tuv: Variant | None = None
        self.buffer: list[str] | None = None  # the text being collected (seg or prop)
        self.prop_type = ""
        self.seg_depth = 0
        self.count = 0
        self.locals: dict[str, str] = {}  # expat's names → local names (and the guard)
        p = self.parser
        p.StartElementHandler = self.root_start
        p.EndElementHandler = self.raw_end
        p.CharacterDataHandler = None

    def local(self, raw: str) -> str:
        """A name not seen before: its local part, counted against the names guard."""
        if len(self.locals) >= self.max_names:
            raise self.refuse(
                f"over {self.max_names:,} distinct element names; this is not a TMX file"
            )
        local = self.locals[raw] = raw.rsplit("}", 1)[1] if "}" in raw else raw
        return local

    def root_start(self, raw: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        local = self.local(raw)
        if local != "tmx":
            raise self.refuse(f"not a TMX file: the root element is <{local}>")
        self.root_seen = True
        self.parser.StartElementHandler = self.raw_start

    def raw_start(self, raw: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.refuse(f"elements nested over {self.max_depth} deep")
        local = self.locals.get(raw) or self.local(raw)
        if self.seg_depth:
            if local not in _INLINE:
                raise self.refuse(
                    f"<{local}> inside <seg>: a TMX segment holds text and "
                    "bpt, ept, ph, it, ut, hi or sub"
                )
            self.seg_depth += 1
        elif local == "seg":
            if self.tuv is not None:
                self.seg_depth = 1
                buffer = self.buffer = []
                self.parser.CharacterDataHandler = buffer.append  # no Python frame per text
        elif local == "tuv":
            if self.tu is not None:
                self.tuv = Variant(
                    attrs.get(_LANG) or attrs.get("lang", ""), None, self.parser.CurrentLineNumber
                )
        elif local == "prop":
            if self.tu is not None and self.tuv is None:
                self.prop_type = attrs.get("type", "")
                buffer = self.buffer = []
                self.parser.CharacterDataHandler = buffer.append
        elif local == "tu":
            self.count += 1
            self.tu = TuIn(
                self.count,
                self.parser.CurrentLineNumber,
                attrs.get("tuid", ""),
                attrs.get("srclang", "") or self.header_srclang,
                attrs.get("creationdate", ""),
                attrs.get("changedate", ""),
            )
        elif local == "header":
            self.header_srclang = attrs.get("srclang", "")

    def raw_end(self, raw: str) -> None:
        self.depth -= 1
        if self.seg_depth:
            if self.seg_depth > 1:  # an inline element inside the segment
                self.seg_depth -= 1
                return
            self.seg_depth = 0  # </seg>
            self.parser.CharacterDataHandler = None
            buffer = self.buffer or ()
            self.tuv.text = buffer[0] if len(buffer) == 1 else "".join(buffer)  # type: ignore[union-attr]
            self.buffer = None
            return
        local = self.locals[raw]
        if local == "tuv":
            if self.tuv is not None:
                if self.tu is not None:
                    self.tu.variants.append(self.tuv)
                self.tuv = None
        elif local == "tu":
            if self.tu is not None:
                self.done.append(self.tu)
                self.tu = None
        elif local == "prop" and self.buffer is not None:
            self.parser.CharacterDataHandler = None
            if self.tu is not None:
                self.tu.props.setdefault(self.prop_type, "".join(self.buffer))
            self.buffer = None


def read_tmx(data: bytes | BinaryIO, *, path: str = "") -> Iterator[TuIn]:
    """Every ``<tu>`` of a TMX file, in order, streamed. Raises
    :class:`~sync.interchange.safexml.XmlRefused` for malformed or unsafe XML (an XML bomb
    among them), :class:`~sync.errors.InputError` for a document that is not TMX."""
    reader = _TmxReader(path)
    for _ in reader.run(data):
        if reader.done:
            yield from reader.done
            reader.done.clear()
    if not reader.root_seen:
        raise InputError("not a TMX file: no <tmx> element", path=path or None)
