"""Reading XLIFF: what a CAT tool returns (or what translate-toolkit's ``po2xliff`` made of
transync's PO), XLIFF 1.1, 1.2 or 2.x, as :class:`UnitIn` values whose contents are
:mod:`sync.interchange.inline` pieces; and :func:`sniff`, which tells XLIFF from TMX.

Pure: no database, no I/O. Read back, a target counts as translated unless it is marked
for review (1.2: a ``needs-*`` or ``new`` state, or ``approved="no"`` with no state; 2.0:
``initial``, the default). A unit a CAT tool split into sentences (1.2 ``<seg-source>``
and ``<mrk mtype="seg">``, 2.0 several ``<segment>``) names the sentences its target leaves
out: the rest of its target is not the whole translation. A 2.0 target goes where its
``order`` says (a sentence a translator moved), else where its segment is. Whether a
target's white space is all text (``xml:space="preserve"``, inherited) is the caller's to
use: under the default, the line breaks a tool indents a target with are layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sync.errors import InputError
from sync.i18n import t_
from sync.interchange.inline import Piece
from sync.interchange.safexml import Element, parse_tree
from sync.interchange.xliff.names import (
    DONE_20,
    HASH_META,
    NEEDS_REVIEW_12,
    TASK_META,
    TS,
    XLIFF11,
    XLIFF12,
    XLIFF20,
    XLIFF21,
    XML,
)

__all__ = ["UnitIn", "XliffIn", "read_xliff", "sniff"]

_KEY_POSITION = re.compile(r"^(.*)#(\d+)$", re.DOTALL)
_SEGMENT_NOTE = re.compile(r"^segment (\d+):")
_OVERRIDE_REF = re.compile(r"d\d+te?")
_SPACE = f"{{{XML}}}space"


@dataclass(slots=True)
class UnitIn:
    """One unit as the file has it."""

    id: str
    name: str
    line: int
    source: list[Piece]
    target: list[Piece] | None
    target_line: int
    fuzzy: bool
    keep_source: bool
    notes: list[str] = field(default_factory=list)
    has_codes: bool = False  # the source holds inline codes (transync's, or a tool's)
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # sentences the target leaves out
    space_preserved: bool = True  # the target is under xml:space="preserve"

    @property
    def where(self) -> str:
        return f"line {self.target_line or self.line}: unit {self.id!r}"

    def key_position(self) -> tuple[str | None, int | None]:
        """The post key and segment position the unit names: ``KEY#N`` (transync's id or
        2.0 name), else a po2xliff note ``segment N: kind``."""
        for value in (self.name, self.id):
            m = _KEY_POSITION.match(value or "")
            if m:
                return m.group(1), int(m.group(2))
        for note in self.notes:
            m = _SEGMENT_NOTE.match(note)
            if m:
                return None, int(m.group(1))
        return None, None


@dataclass(slots=True)
class XliffIn:
    version: str
    original: str
    source_lang: str
    target_lang: str
    meta: dict[str, str]
    units: list[UnitIn]
    files: int = 1


def read_xliff(data: bytes, *, path: str = "") -> XliffIn:
    """A CAT tool's XLIFF 1.x or 2.x file. One ``<file>`` per task: a file with several is
    read whole (their units together) and takes its languages from the first."""
    root = parse_tree(data, path=path)
    if root.local != "xliff":
        raise InputError(
            f"not an XLIFF file: the root element is <{root.local}>", path=path, line=root.line
        )
    ns = root.namespace
    version = root.attrs.get("version", "")
    if ns in (XLIFF20, XLIFF21) or version.startswith("2"):
        return _read20(root, path)
    if ns not in (XLIFF12, XLIFF11, "") and not version.startswith("1"):
        raise InputError(
            f"unknown XLIFF namespace {ns!r} (version {version!r}): transync "
            "reads XLIFF 1.1, 1.2 and 2.x",
            path=path,
            line=root.line,
        )
    return _read12(root, path)


def _attr_any(element: Element, local: str) -> str | None:
    """An attribute by local name, whatever its namespace (tools disagree)."""
    if local in element.attrs:
        return element.attrs[local]
    for k, v in element.attrs.items():
        if k.endswith("}" + local):
            return v
    return None


def _space(element: Element, inherited: str) -> str:
    """The element's xml:space: its own, else its parent's ("default" at the root)."""
    return element.attrs.get(_SPACE, inherited)


def _read12(root: Element, path: str) -> XliffIn:
    files = list(root.elements("file"))
    if not files:
        raise InputError("the XLIFF file has no <file>", path=path, line=root.line)
    first = files[0]
    meta: dict[str, str] = {}
    units: list[UnitIn] = []
    for f in files:
        header = f.first("header")
        if header is not None:
            for group in header.elements("prop-group"):
                for prop in group.elements("prop"):
                    meta.setdefault(prop.attrs.get("prop-type", ""), prop.text().strip())
        for attr in ("task", "source-hash"):
            value = f.attrs.get(f"{{{TS}}}{attr}")
            if value:
                meta.setdefault(TASK_META if attr == "task" else HASH_META, value)
        body = f.first("body")
        if body is None:
            continue
        for tu, space in _trans_units(body, _space(body, _space(f, _space(root, "default")))):
            if tu.attrs.get("restype") == "x-gettext-domain-header":
                _po_header(tu, meta)
                continue
            units.append(_unit12(tu, space))
    return XliffIn(
        version=root.attrs.get("version", "1.2"),
        original=first.attrs.get("original", ""),
        source_lang=first.attrs.get("source-language", ""),
        target_lang=first.attrs.get("target-language", ""),
        meta=meta,
        units=units,
        files=len(files),
    )


def _trans_units(body: Element, space: str) -> list[tuple[Element, str]]:
    """The trans-units in groups at any depth, each with the xml:space it inherits."""
    found: list[tuple[Element, str]] = []
    for child in body.elements():
        if child.local == "trans-unit":
            found.append((child, space))
        elif child.local == "group":
            found += _trans_units(child, _space(child, space))
    return found


def _po_header(tu: Element, meta: dict[str, str]) -> None:
    """translate-toolkit's po2xliff keeps the PO header as a unit: its lines are metadata."""
    source = tu.first("source")
    for line in (source.text() if source is not None else "").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            meta.setdefault(name.strip(), value.strip())


def _unit12(tu: Element, space: str) -> UnitIn:
    source = tu.first("source")
    target = tu.first("target")
    notes = [n.text().strip() for n in tu.elements("note")]
    for group in tu.elements("context-group"):
        for context in group.elements("context"):
            if context.attrs.get("context-type") == "x-po-autocomment":
                notes.append(context.text().strip())
    src_pieces, has_codes, problems = _pieces12(source) if source is not None else ([], False, [])
    tgt_pieces: list[Piece] | None = None
    missing: list[str] = []
    if target is not None:
        tgt_pieces, _, more = _pieces12(target)
        problems += more
        seg_source = tu.first("seg-source")
        if seg_source is not None:
            missing = _missing12(seg_source, target)
    state = target.attrs.get("state") if target is not None else None
    approved = tu.attrs.get("approved")
    fuzzy = approved != "yes" and (state in NEEDS_REVIEW_12 or (approved == "no" and state is None))
    keep = tu.attrs.get(f"{{{TS}}}keep-source") == "yes" or any(
        n.lower() == "keep-source" for n in notes
    )
    return UnitIn(
        id=tu.attrs.get("id", ""),
        name=tu.attrs.get("resname", "") if "#" in tu.attrs.get("resname", "") else "",
        line=tu.line,
        source=src_pieces,
        target=tgt_pieces,
        target_line=target.line if target is not None else 0,
        fuzzy=fuzzy,
        keep_source=keep,
        notes=notes,
        has_codes=has_codes,
        problems=problems,
        missing=missing,
        space_preserved=target is not None and _space(target, _space(tu, space)) == "preserve",
    )


def _missing12(seg_source: Element, target: Element) -> list[str]:
    """The ``<mrk mtype="seg">`` sentences of a seg-source that the target leaves out or
    empty. A target with no such mrks is read whole (a tool that dropped the split)."""
    translated = _sentences12(target)
    if not translated:
        return []
    return [
        f'<mrk mid="{mid}">'
        for mid, mrk in _sentences12(seg_source).items()
        if _has_content(mrk) and not (mid in translated and _has_content(translated[mid]))
    ]


def _sentences12(element: Element) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for child in element.elements():
        if child.local == "mrk" and child.attrs.get("mtype") == "seg":
            found.setdefault(child.attrs.get("mid", ""), child)
        else:
            for mid, mrk in _sentences12(child).items():
                found.setdefault(mid, mrk)
    return found


def _has_content(element: Element) -> bool:
    """Text other than white space, or an inline code."""
    return bool(element.text().strip()) or any(True for _ in element.elements())


def _code_id(value: str | None) -> int | str:
    if value is not None and value.isdigit():
        return int(value)
    return value if value is not None else "(no id)"


def _pieces12(element: Element) -> tuple[list[Piece], bool, list[str]]:
    pieces: list[Piece] = []
    problems: list[str] = []
    has_codes = False

    def walk(node: Element) -> None:
        nonlocal has_codes
        for child in node.children:
            if isinstance(child, str):
                pieces.append(("text", child, None))
                continue
            local = child.local
            ns = child.namespace
            if ns not in (XLIFF12, XLIFF11, ""):
                walk(child)  # another tool's markup inside the text: its text counts
                continue
            a = child.attrs
            start_override = a.get(f"{{{TS}}}start")
            if local == "g":
                has_codes = True
                pieces.append(("start", _code_id(a.get("id")), start_override))
                walk(child)
                pieces.append(("end", _code_id(a.get("id")), a.get(f"{{{TS}}}end")))
            elif local in ("x", "ph"):
                has_codes = True
                pieces.append(("single", _code_id(a.get("id")), start_override))
            elif local in ("bx", "bpt"):
                has_codes = True
                pieces.append(("start", _code_id(a.get("rid") or a.get("id")), start_override))
            elif local in ("ex", "ept"):
                has_codes = True
                pieces.append(("end", _code_id(a.get("rid") or a.get("id")), a.get(f"{{{TS}}}end")))
            elif local == "it":
                has_codes = True
                what = "end" if a.get("pos") == "close" else "start"
                pieces.append((what, _code_id(a.get("rid") or a.get("id")), None))
            elif local == "mrk":
                walk(child)
            else:
                problems.append(
                    f"line {child.line}: <{local}> is not an inline element of XLIFF 1.2"
                )

    walk(element)
    return pieces, has_codes, problems


def _read20(root: Element, path: str) -> XliffIn:
    files = list(root.elements("file"))
    if not files:
        raise InputError("the XLIFF file has no <file>", path=path, line=root.line)
    meta: dict[str, str] = {}
    units: list[UnitIn] = []
    for f in files:
        for metadata in f.elements("metadata"):
            for group in metadata.elements("metaGroup"):
                for m in group.elements("meta"):
                    meta.setdefault(m.attrs.get("type", ""), m.text().strip())
        for unit, space in _units20(f, _space(f, _space(root, "default"))):
            units.append(_unit20(unit, space))
    return XliffIn(
        version=root.attrs.get("version", "2.0"),
        original=files[0].attrs.get("original", ""),
        source_lang=root.attrs.get("srcLang", ""),
        target_lang=root.attrs.get("trgLang", ""),
        meta=meta,
        units=units,
        files=len(files),
    )


def _units20(parent: Element, space: str) -> list[tuple[Element, str]]:
    """The units in groups at any depth, each with the xml:space it inherits."""
    found: list[tuple[Element, str]] = []
    for child in parent.elements():
        if child.local == "unit" and child.namespace in (XLIFF20, XLIFF21):
            found.append((child, space))
        elif child.local == "group" and child.namespace in (XLIFF20, XLIFF21):
            found += _units20(child, _space(child, space))
    return found


def _unit20(unit: Element, space: str) -> UnitIn:
    data: dict[str, str] = {}
    original = unit.first("originalData")
    if original is not None:
        for d in original.elements("data"):
            data[d.attrs.get("id", "")] = _data_text(d)
    notes: list[str] = []
    for block in unit.elements("notes"):
        notes += [n.text().strip() for n in block.elements("note")]
    src: list[Piece] = []
    placed: list[tuple[int, list[Piece]]] = []  # (place in the unit, a target's pieces)
    taken: dict[int, int] = {}  # place → the line of the target there
    has_codes = False
    problems: list[str] = []
    states: list[str] = []
    missing: list[str] = []
    target_line = 0
    disordered = False  # an order out of range or repeated: the target cannot be read
    preserved = False
    space = _space(unit, space)
    parts = [e for e in unit.elements() if e.local in ("segment", "ignorable")]
    for ordinal, seg in enumerate(parts, 1):
        s = seg.first("source")
        t = seg.first("target")
        src_pieces: list[Piece] = []
        if s is not None:
            src_pieces, codes, more = _pieces20(s, data)
            src += src_pieces
            has_codes = has_codes or codes
            problems += more
        if seg.local == "segment":
            states.append(seg.attrs.get("state", "initial"))
            if s is not None and _has_content(s) and (t is None or not _has_content(t)):
                seg_id = seg.attrs.get("id")
                missing.append(f'<segment id="{seg_id}">' if seg_id else f"segment {ordinal}")
        place: int | None = ordinal
        if t is not None:
            pieces, _, more = _pieces20(t, data)
            problems += more
            target_line = target_line or t.line
            preserved = preserved or _space(t, _space(seg, space)) == "preserve"
            place = _place20(t, ordinal, len(parts), problems)
        elif seg.local == "ignorable":
            pieces = src_pieces  # white space between segments: kept as it is, where it is
        else:
            continue
        if place is None:
            disordered = True
        elif place in taken:
            disordered = True
            problems.append(
                t_(
                    "line %(line)d: two targets take place %(place)d of the unit (lines "
                    "%(other)d and %(line)d); give each target its own order attribute",
                    line=(t or seg).line,
                    place=place,
                    other=taken[place],
                )
            )
        else:
            taken[place] = (t or seg).line
            placed.append((place, pieces))
    fuzzy = any(s not in DONE_20 for s in states)
    keep = unit.attrs.get(f"{{{TS}}}keep-source") == "yes" or any(
        n.lower() == "keep-source" for n in notes
    )
    tgt = [p for _, pieces in sorted(placed, key=lambda e: e[0]) for p in pieces]
    return UnitIn(
        id=unit.attrs.get("id", ""),
        name=unit.attrs.get("name", ""),
        line=unit.line,
        source=src,
        target=tgt if placed and not disordered else None,
        target_line=target_line,
        fuzzy=fuzzy,
        keep_source=keep,
        notes=notes,
        has_codes=has_codes,
        problems=problems,
        missing=missing,
        space_preserved=preserved,
    )


def _place20(target: Element, ordinal: int, count: int, problems: list[str]) -> int | None:
    """The place (1 to the unit's segments and ignorables) a 2.0 target takes: its
    ``order``, else its segment's own; None for an order out of range."""
    value = target.attrs.get("order")
    if value is None:
        return ordinal
    if value.isdigit() and 1 <= int(value) <= count:
        return int(value)
    problems.append(
        t_(
            'line %(line)d: <target order="%(order)s"> is not a place in the unit: order counts '
            "the unit's segments and ignorables, from 1 to %(count)d",
            line=target.line,
            order=value,
            count=count,
        )
    )
    return None


def _data_text(element: Element) -> str:
    out: list[str] = []
    for child in element.children:
        if isinstance(child, str):
            out.append(child)
        elif child.local == "cp":
            out.append(_cp(child))
    return "".join(out)


def _cp(element: Element) -> str:
    try:
        return chr(int(element.attrs.get("hex", ""), 16))
    except ValueError:
        return "\ufffd"


def _pieces20(element: Element, data: dict[str, str]) -> tuple[list[Piece], bool, list[str]]:
    pieces: list[Piece] = []
    problems: list[str] = []
    has_codes = False

    def walk(node: Element) -> None:
        nonlocal has_codes
        for child in node.children:
            if isinstance(child, str):
                pieces.append(("text", child, None))
                continue
            local = child.local
            if child.namespace not in (XLIFF20, XLIFF21):
                walk(child)
                continue
            a = child.attrs
            if local == "ph":
                has_codes = True
                pieces.append(("single", _code_id(a.get("id")), _override(a, "dataRef", data)))
            elif local == "pc":
                has_codes = True
                pieces.append(("start", _code_id(a.get("id")), _override(a, "dataRefStart", data)))
                walk(child)
                pieces.append(("end", _code_id(a.get("id")), _override(a, "dataRefEnd", data)))
            elif local == "sc":
                has_codes = True
                pieces.append(("start", _code_id(a.get("id")), _override(a, "dataRef", data)))
            elif local == "ec":
                has_codes = True
                pieces.append(
                    (
                        "end",
                        _code_id(a.get("startRef") or a.get("id")),
                        _override(a, "dataRef", data),
                    )
                )
            elif local == "mrk":
                walk(child)
            elif local in ("sm", "em"):
                continue
            elif local == "cp":
                pieces.append(("text", _cp(child), None))
            else:
                problems.append(
                    f"line {child.line}: <{local}> is not an inline element of XLIFF 2.0"
                )

    walk(element)
    return pieces, has_codes, problems


def _override(attrs: dict[str, str], name: str, data: dict[str, str]) -> str | None:
    """A 2.0 code's text when it points at transync's ``d3t`` / ``d3te`` data (the target's
    own text for that code); None means the source's."""
    value = attrs.get(name)
    if value and _OVERRIDE_REF.fullmatch(value) and value in data:
        return data[value]
    return None


def sniff(data: bytes) -> str | None:
    """ "xliff", "tmx" or None, from the first element of ``data``."""
    head = data[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return None
    if not head.lstrip().startswith(b"<"):
        return None  # not XML (a PO file may mention <xliff> in its text)
    for m in re.finditer(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)", head):
        name = m.group(2).lower().decode("ascii", "replace")
        return name if name in ("xliff", "tmx") else None
    return None
