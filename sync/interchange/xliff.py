"""XLIFF 1.2 and 2.0: a task as the file CAT tools translate, and that file read back.

Pure: no database, no I/O. :func:`write_xliff` renders a :class:`TaskFile` (one ``<file>``
for the post, one unit per segment); :func:`read_xliff` reads what a CAT tool returns (or
what translate-toolkit's ``po2xliff`` made of transync's PO) into :class:`UnitIn` values
whose contents are :mod:`sync.interchange.inline` pieces. Deterministic: the same task
gives the same bytes.

How a unit says what it is:

==================  ==================================  =================================
                    XLIFF 1.2                           XLIFF 2.0
==================  ==================================  =================================
post, task          ``<file original=KEY>``, header     ``<file original=KEY>``,
                    ``<prop-group name="transync">``    ``<mda:metaGroup category=…>``
segment             ``<trans-unit id="KEY#N">``         ``<unit id="sN" name="KEY#N">``
translated          ``state="translated"``              ``<segment state="translated">``
needs review        ``state="needs-review-translation"`` ``state="initial"``
memory suggestion   the above, ``state-qualifier``,     ``state="initial"``,
                    ``<alt-trans match-quality>``       ``<mtc:match matchQuality>``
previous source     ``<note from="transync">``          ``<note category="transync">``
keep-source         ``ts:keep-source="yes"``            ``ts:keep-source="yes"``
paired code         ``<g id ctype>``                    ``<pc id dataRefStart dataRefEnd>``
standalone code     ``<x id ctype equiv-text>``         ``<ph id dataRef disp>``
==================  ==================================  =================================

Read back, a target counts as translated unless it is marked for review (1.2: a
``needs-*`` or ``new`` state, or ``approved="no"`` with no state; 2.0: ``initial``, the
default): such targets are used only with ``accept_fuzzy``, as fuzzy PO entries are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.errors import InputError
from sync.interchange.inline import Code, Node, Piece, Single, codes_of
from sync.interchange.safexml import Element, parse_tree

XLIFF12 = "urn:oasis:names:tc:xliff:document:1.2"
XLIFF11 = "urn:oasis:names:tc:xliff:document:1.1"
XLIFF20 = "urn:oasis:names:tc:xliff:document:2.0"
XLIFF21 = "urn:oasis:names:tc:xliff:document:2.1"
MTC = "urn:oasis:names:tc:xliff:matches:2.0"
MDA = "urn:oasis:names:tc:xliff:metadata:2.0"
TS = "urn:transync:xliff"
XML = "http://www.w3.org/XML/1998/namespace"
VERSIONS = ("1.2", "2.0")
TASK_META = "X-Transync-Task"
HASH_META = "X-Transync-Source-Hash"
NEEDS_REVIEW_12 = frozenset({
    "new", "needs-translation", "needs-adaptation", "needs-l10n", "needs-review-translation",
    "needs-review-adaptation", "needs-review-l10n",
})
DONE_20 = frozenset({"translated", "reviewed", "final"})
_KEY_POSITION = re.compile(r"^(.*)#(\d+)$", re.DOTALL)
_SEGMENT_NOTE = re.compile(r"^segment (\d+):")
_ATTR_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_OVERRIDE_REF = re.compile(r"d\d+te?")
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, kw_only=True, slots=True)
class UnitOut:
    """One segment of a task, as the file shows it."""

    position: int
    kind: str
    label: str  # "segment 3: paragraph"
    source: list[Node]
    target: list[Node] | None = None  # the current translation or a suggestion
    review: bool = False  # the target needs review: a changed segment's old translation
    previous_source: str | None = None
    suggestion: tuple[float, str, str] | None = None  # (score, origin, text) in the target
    keep_source: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskFile:
    task_id: int
    key: str
    title: str
    source_lang: str
    target_lang: str
    source_hash: str
    body_format: str
    date: dt.datetime
    tool_version: str
    units: Sequence[UnitOut]


# -- writing --------------------------------------------------------------------------------


def _text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value.replace("\r", "&#13;") if "\r" in value else value


def _attr(value: str) -> str:
    if _ATTR_SPECIAL.search(value) is None:
        return value
    value = _BAD_XML_CHARS.sub("\ufffd", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (value.replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
            .replace("\t", "&#9;"))


def _content12(nodes: list[Node], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(_text12(node))
        elif isinstance(node, Single):
            c = node.code
            out.append(f'<x id="{c.id}" ctype="{c.ctype}" equiv-text="{_attr(c.start)}"/>')
        else:
            c = node.code
            out.append(f'<g id="{c.id}" ctype="{c.ctype}">')
            _content12(node.children, out)
            out.append("</g>")


def _text12(value: str) -> str:
    if _BAD_XML_CHARS.search(value) is not None:
        value = _BAD_XML_CHARS.sub("\ufffd", value)
    return _text(value)


def _content20(nodes: list[Node], out: list[str], data: dict[str, str], codes: dict[int, Code]
               ) -> None:
    """2.0 inline codes point at ``<originalData>``: ``d3`` is code 3's text (a pair's
    opening), ``d3e`` a pair's closing; a target code whose text differs from the
    source's (a link with the language prefix) points at ``d3t`` / ``d3te``."""
    for node in nodes:
        if isinstance(node, str):
            out.append(_text20(node))
            continue
        c = node.code
        base = codes.get(c.id)
        ref = f"d{c.id}" if base is None or base.start == c.start else f"d{c.id}t"
        data.setdefault(ref, c.start)
        if isinstance(node, Single):
            out.append(f'<ph id="{c.id}" dataRef="{ref}" disp="{_attr(c.disp)}" '
                       f'canCopy="no" canDelete="no"/>')
        else:
            end = f"d{c.id}e" if base is None or base.end == c.end else f"d{c.id}te"
            data.setdefault(end, c.end)
            kind = {"bold": ' type="fmt" subType="xlf:b"', "italic": ' type="fmt" '
                    'subType="xlf:i"', "link": ' type="link"', "image": ' type="image"'}.get(
                        c.ctype, "")
            out.append(f'<pc id="{c.id}"{kind} dataRefStart="{ref}" dataRefEnd="{end}" '
                       f'dispStart="{_attr(c.start)}" dispEnd="{_attr(c.end)}" '
                       'canCopy="no" canDelete="no">')
            _content20(node.children, out, data, codes)
            out.append("</pc>")


def _text20(value: str) -> str:
    if _BAD_XML_CHARS.search(value) is None:
        return _text(value)
    return _BAD_XML_CHARS.sub(lambda m: f'<cp hex="{ord(m.group(0)):04X}"/>',
                              _text(value))


def _overrides12(nodes: list[Node], source: dict[int, Code], out: list[str]) -> None:
    """1.2 target codes whose text differs from the source's carry it in ``ts:`` attributes."""
    for node in nodes:
        if isinstance(node, str):
            out.append(_text12(node))
            continue
        c = node.code
        base = source.get(c.id)
        extra = ""
        if base is not None and base.start != c.start:
            extra += f' ts:start="{_attr(c.start)}"'
        if isinstance(node, Single):
            out.append(f'<x id="{c.id}" ctype="{c.ctype}" equiv-text="{_attr(c.start)}"'
                       f"{extra}/>")
        else:
            if base is not None and base.end != c.end:
                extra += f' ts:end="{_attr(c.end)}"'
            out.append(f'<g id="{c.id}" ctype="{c.ctype}"{extra}>')
            _overrides12(node.children, source, out)
            out.append("</g>")


def _stamp(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_xliff(task: TaskFile, version: str = "1.2") -> bytes:
    """The task as XLIFF ``version`` (1.2 or 2.0), UTF-8."""
    if version not in VERSIONS:
        raise InputError(f"XLIFF version {version!r} is not supported: use 1.2 or 2.0")
    out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    (_write12 if version == "1.2" else _write20)(task, out)
    return "".join(out).encode("utf-8")


def _write12(task: TaskFile, out: list[str]) -> None:
    datatype = "html" if task.body_format == "html" else "x-markdown"
    out.append(f'<xliff version="1.2" xmlns="{XLIFF12}" xmlns:ts="{TS}">\n')
    out.append(f'  <file original="{_attr(task.key)}" source-language="{task.source_lang}" '
               f'target-language="{task.target_lang}" datatype="{datatype}" '
               f'date="{_stamp(task.date)}" tool-id="transync">\n')
    out.append("    <header>\n")
    out.append(f'      <tool tool-id="transync" tool-name="transync" '
               f'tool-version="{_attr(task.tool_version)}"/>\n')
    out.append('      <prop-group name="transync">\n')
    out.append(f'        <prop prop-type="{TASK_META}">{task.task_id}</prop>\n')
    out.append(f'        <prop prop-type="{HASH_META}">{task.source_hash}</prop>\n')
    out.append("      </prop-group>\n")
    out.append(f"      <note>{_text12(_header_note(task))}</note>\n")
    out.append("    </header>\n    <body>\n")
    for u in task.units:
        keep = ' ts:keep-source="yes"' if u.keep_source else ""
        out.append(f'      <trans-unit id="{_attr(task.key)}#{u.position}" '
                   f'resname="{_attr(u.kind)}" xml:space="preserve"{keep}>\n')
        source: list[str] = []
        _content12(u.source, source)
        out.append(f"        <source>{''.join(source)}</source>\n")
        if u.target is not None:
            target: list[str] = []
            _overrides12(u.target, codes_of(u.source), target)
            if u.suggestion is not None:
                score = u.suggestion[0]
                qualifier = "exact-match" if score >= 100 else "fuzzy-match"
                state = (f' state="needs-review-translation" '
                         f'state-qualifier="{qualifier}"')
            elif u.review:
                state = ' state="needs-review-translation"'
            else:
                state = ' state="translated"'
            out.append(f"        <target{state}>{''.join(target)}</target>\n")
        out.append(f'        <note from="transync">{_text12(u.label)}</note>\n')
        if u.previous_source is not None:
            out.append(f'        <note from="transync" annotates="source">the source changed '
                       f"since this translation; it was: {_text12(u.previous_source)}"
                       "</note>\n")
        if u.suggestion is not None:
            score, origin, text = u.suggestion
            out.append(f'        <alt-trans match-quality="{score:g}" '
                       f'origin="{_attr(origin)}"><target>{_text12(text)}</target>'
                       "</alt-trans>\n")
        out.append("      </trans-unit>\n")
    out.append("    </body>\n  </file>\n</xliff>\n")


def _write20(task: TaskFile, out: list[str]) -> None:
    out.append(f'<xliff version="2.0" xmlns="{XLIFF20}" xmlns:mtc="{MTC}" xmlns:mda="{MDA}" '
               f'xmlns:ts="{TS}" srcLang="{task.source_lang}" trgLang="{task.target_lang}">\n')
    out.append(f'  <file id="f1" original="{_attr(task.key)}">\n')
    out.append('    <mda:metadata>\n      <mda:metaGroup category="transync">\n')
    out.append(f'        <mda:meta type="{TASK_META}">{task.task_id}</mda:meta>\n')
    out.append(f'        <mda:meta type="{HASH_META}">{task.source_hash}</mda:meta>\n')
    out.append(f'        <mda:meta type="tool">transync {_text(task.tool_version)}'
               "</mda:meta>\n")
    out.append(f'        <mda:meta type="date">{_stamp(task.date)}</mda:meta>\n')
    out.append("      </mda:metaGroup>\n    </mda:metadata>\n")
    out.append(f'    <notes>\n      <note category="transync">{_text(_header_note(task))}'
               "</note>\n    </notes>\n")
    for u in task.units:
        keep = ' ts:keep-source="yes"' if u.keep_source else ""
        out.append(f'    <unit id="s{u.position}" name="{_attr(task.key)}#{u.position}" '
                   f'type="ts:{_attr(_nmtoken(u.kind))}"{keep}>\n')
        data: dict[str, str] = {}
        source: list[str] = []
        _content20(u.source, source, data, {})  # no base: every code is its own
        target: list[str] = []
        if u.target is not None:
            _content20(u.target, target, data, codes_of(u.source))
        if u.suggestion is not None:
            score, origin, text = u.suggestion
            out.append(f'      <mtc:matches>\n        <mtc:match ref="#s" '
                       f'matchQuality="{score:g}" origin="{_attr(origin)}" type="tm">'
                       f"<source>{''.join(source)}</source><target>{_text20(text)}</target>"
                       "</mtc:match>\n      </mtc:matches>\n")
        out.append(f'      <notes>\n        <note category="transync">{_text(u.label)}'
                   "</note>\n")
        if u.previous_source is not None:
            out.append('        <note category="transync" appliesTo="source">the source '
                       "changed since this translation; it was: "
                       f"{_text20(u.previous_source)}</note>\n")
        out.append("      </notes>\n")
        if data:
            out.append("      <originalData>\n")
            for ref, value in data.items():  # the source's codes in order, then the target's
                out.append(f'        <data id="{ref}" xml:space="preserve">{_text20(value)}'
                           "</data>\n")
            out.append("      </originalData>\n")
        state = ("translated" if u.target is not None and not u.review
                 and u.suggestion is None else "initial")
        out.append(f'      <segment id="s" state="{state}">\n')
        out.append(f'        <source xml:space="preserve">{"".join(source)}</source>\n')
        if u.target is not None:
            out.append(f'        <target xml:space="preserve">{"".join(target)}</target>\n')
        out.append("      </segment>\n    </unit>\n")
    out.append("  </file>\n</xliff>\n")


def _nmtoken(value: str) -> str:
    return re.sub(r"[^\w.\-]", "-", value) or "segment"


def _header_note(task: TaskFile) -> str:
    return (f"transync task #{task.task_id}: {task.title} ({task.key}), {task.source_lang} "
            f"→ {task.target_lang}. Inline codes stand for markup: keep each one, move it "
            "with its words.")


# -- reading --------------------------------------------------------------------------------


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
        raise InputError(f"not an XLIFF file: the root element is <{root.local}>", path=path,
                         line=root.line)
    ns = root.namespace
    version = root.attrs.get("version", "")
    if ns in (XLIFF20, XLIFF21) or version.startswith("2"):
        return _read20(root, path)
    if ns not in (XLIFF12, XLIFF11, "") and not version.startswith("1"):
        raise InputError(f"unknown XLIFF namespace {ns!r} (version {version!r}): transync "
                         "reads XLIFF 1.1, 1.2 and 2.x", path=path, line=root.line)
    return _read12(root, path)


def _attr_any(element: Element, local: str) -> str | None:
    """An attribute by local name, whatever its namespace (tools disagree)."""
    if local in element.attrs:
        return element.attrs[local]
    for k, v in element.attrs.items():
        if k.endswith("}" + local):
            return v
    return None


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
        for tu in _trans_units(body):
            if tu.attrs.get("restype") == "x-gettext-domain-header":
                _po_header(tu, meta)
                continue
            units.append(_unit12(tu))
    return XliffIn(version=root.attrs.get("version", "1.2"), original=first.attrs.get(
        "original", ""), source_lang=first.attrs.get("source-language", ""),
        target_lang=first.attrs.get("target-language", ""), meta=meta, units=units,
        files=len(files))


def _trans_units(body: Element) -> list[Element]:
    found: list[Element] = []
    for child in body.elements():
        if child.local == "trans-unit":
            found.append(child)
        elif child.local == "group":
            found += _trans_units(child)
    return found


def _po_header(tu: Element, meta: dict[str, str]) -> None:
    """translate-toolkit's po2xliff keeps the PO header as a unit: its lines are metadata."""
    source = tu.first("source")
    for line in (source.text() if source is not None else "").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            meta.setdefault(name.strip(), value.strip())


def _unit12(tu: Element) -> UnitIn:
    source = tu.first("source")
    target = tu.first("target")
    notes = [n.text().strip() for n in tu.elements("note")]
    for group in tu.elements("context-group"):
        for context in group.elements("context"):
            if context.attrs.get("context-type") == "x-po-autocomment":
                notes.append(context.text().strip())
    src_pieces, has_codes, problems = _pieces12(source) if source is not None else ([], False,
                                                                                   [])
    tgt_pieces: list[Piece] | None = None
    if target is not None:
        tgt_pieces, _, more = _pieces12(target)
        problems += more
    state = target.attrs.get("state") if target is not None else None
    approved = tu.attrs.get("approved")
    fuzzy = approved != "yes" and (state in NEEDS_REVIEW_12
                                   or (approved == "no" and state is None))
    keep = (tu.attrs.get(f"{{{TS}}}keep-source") == "yes"
            or any(n.lower() == "keep-source" for n in notes))
    return UnitIn(id=tu.attrs.get("id", ""), name=tu.attrs.get("resname", "") if "#" in
                  tu.attrs.get("resname", "") else "", line=tu.line,
                  source=src_pieces, target=tgt_pieces,
                  target_line=target.line if target is not None else 0, fuzzy=fuzzy,
                  keep_source=keep, notes=notes, has_codes=has_codes, problems=problems)


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
                pieces.append(("end", _code_id(a.get("rid") or a.get("id")),
                               a.get(f"{{{TS}}}end")))
            elif local == "it":
                has_codes = True
                what = "end" if a.get("pos") == "close" else "start"
                pieces.append((what, _code_id(a.get("rid") or a.get("id")), None))
            elif local == "mrk":
                walk(child)
            else:
                problems.append(f"line {child.line}: <{local}> is not an inline element of "
                                "XLIFF 1.2")
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
        for unit in _units20(f):
            units.append(_unit20(unit))
    return XliffIn(version=root.attrs.get("version", "2.0"),
                   original=files[0].attrs.get("original", ""),
                   source_lang=root.attrs.get("srcLang", ""),
                   target_lang=root.attrs.get("trgLang", ""), meta=meta, units=units,
                   files=len(files))


def _units20(parent: Element) -> list[Element]:
    found: list[Element] = []
    for child in parent.elements():
        if child.local == "unit" and child.namespace in (XLIFF20, XLIFF21):
            found.append(child)
        elif child.local == "group" and child.namespace in (XLIFF20, XLIFF21):
            found += _units20(child)
    return found


def _unit20(unit: Element) -> UnitIn:
    data: dict[str, str] = {}
    original = unit.first("originalData")
    if original is not None:
        for d in original.elements("data"):
            data[d.attrs.get("id", "")] = _data_text(d)
    notes: list[str] = []
    for block in unit.elements("notes"):
        notes += [n.text().strip() for n in block.elements("note")]
    src: list[Piece] = []
    tgt: list[Piece] | None = None
    has_codes = False
    problems: list[str] = []
    states: list[str] = []
    target_line = 0
    for seg in unit.elements():
        if seg.local not in ("segment", "ignorable"):
            continue
        s = seg.first("source")
        t = seg.first("target")
        src_pieces: list[Piece] = []
        if s is not None:
            src_pieces, codes, more = _pieces20(s, data)
            src += src_pieces
            has_codes = has_codes or codes
            problems += more
        if t is not None:
            pieces, _, more = _pieces20(t, data)
            tgt = (tgt or []) + pieces
            problems += more
            target_line = target_line or t.line
        elif seg.local == "ignorable":
            tgt = (tgt or []) + src_pieces  # white space between segments: kept as it is
        if seg.local == "segment":
            states.append(seg.attrs.get("state", "initial"))
    fuzzy = any(s not in DONE_20 for s in states)
    keep = (unit.attrs.get(f"{{{TS}}}keep-source") == "yes"
            or any(n.lower() == "keep-source" for n in notes))
    return UnitIn(id=unit.attrs.get("id", ""), name=unit.attrs.get("name", ""),
                  line=unit.line, source=src, target=tgt, target_line=target_line,
                  fuzzy=fuzzy, keep_source=keep, notes=notes, has_codes=has_codes,
                  problems=problems)


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
                pieces.append(("single", _code_id(a.get("id")), _override(a, "dataRef",
                                                                          data)))
            elif local == "pc":
                has_codes = True
                pieces.append(("start", _code_id(a.get("id")), _override(a, "dataRefStart",
                                                                         data)))
                walk(child)
                pieces.append(("end", _code_id(a.get("id")), _override(a, "dataRefEnd",
                                                                       data)))
            elif local == "sc":
                has_codes = True
                pieces.append(("start", _code_id(a.get("id")), _override(a, "dataRef",
                                                                         data)))
            elif local == "ec":
                has_codes = True
                pieces.append(("end", _code_id(a.get("startRef") or a.get("id")),
                               _override(a, "dataRef", data)))
            elif local == "mrk":
                walk(child)
            elif local in ("sm", "em"):
                continue
            elif local == "cp":
                pieces.append(("text", _cp(child), None))
            else:
                problems.append(f"line {child.line}: <{local}> is not an inline element of "
                                "XLIFF 2.0")
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
    """"xliff", "tmx" or None, from the first element of ``data``."""
    head = data[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return None
    for m in re.finditer(rb"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)", head):
        name = m.group(2).lower().decode("ascii", "replace")
        return name if name in ("xliff", "tmx") else None
    return None
