"""Writing XLIFF: a task (:class:`TaskFile`, one unit per segment) as XLIFF 1.2 or 2.0.

Pure and deterministic: the same task gives the same bytes. One pass over each unit's
inline pieces writes its content (and, in 2.0, the ``<originalData>`` its codes point at);
text with nothing to escape, nearly all of it, is written as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sync.errors import InputError
from sync.interchange.inline import Code, Node, Single, codes_of
from sync.interchange.xliff.names import (
    HASH_META,
    MDA,
    MTC,
    TASK_META,
    TS,
    VERSIONS,
    XLIFF12,
    XLIFF20,
)

__all__ = ["TaskFile", "UnitOut", "write_xliff"]

_ATTR_SPECIAL = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PC_TYPE = {
    "bold": ' type="fmt" subType="xlf:b"',
    "italic": ' type="fmt" subType="xlf:i"',
    "link": ' type="link"',
    "image": ' type="image"',
}


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
    # the text ``source`` was parsed from, when the caller has it: one search of it tells
    # the writer that no piece of the source needs escaping (nearly always)
    source_text: str | None = None


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


# -- escaping -------------------------------------------------------------------------------


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
    return (
        value.replace('"', "&quot;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _text12(value: str) -> str:
    """1.2 text: a character XML cannot hold becomes U+FFFD."""
    if _TEXT_SPECIAL.search(value) is None:
        return value
    if _BAD_XML_CHARS.search(value) is not None:
        value = _BAD_XML_CHARS.sub("\ufffd", value)
    return _text(value)


def _text20(value: str) -> str:
    """2.0 text: a character XML cannot hold becomes ``<cp hex="…"/>``."""
    if _TEXT_SPECIAL.search(value) is None:
        return value
    if _BAD_XML_CHARS.search(value) is None:
        return _text(value)
    return _BAD_XML_CHARS.sub(lambda m: f'<cp hex="{ord(m.group(0)):04X}"/>', _text(value))


def _stamp(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _nmtoken(value: str) -> str:
    return re.sub(r"[^\w.\-]", "-", value) or "segment"


def _header_note(task: TaskFile) -> str:
    return (
        f"transync task #{task.task_id}: {task.title} ({task.key}), {task.source_lang} "
        f"→ {task.target_lang}. Inline codes stand for markup: keep each one, move it "
        "with its words."
    )


# -- inline content -------------------------------------------------------------------------


def _plain(unit: UnitOut) -> bool:
    """Nothing in the unit's source needs escaping, as text or in an attribute (every piece
    and every code's text is a part of the source text)."""
    return unit.source_text is not None and _ATTR_SPECIAL.search(unit.source_text) is None


def _content12(nodes: list[Node], out: list[str], plain: bool = False) -> None:
    special = _TEXT_SPECIAL.search
    attr_special = _ATTR_SPECIAL.search
    for node in nodes:
        if isinstance(node, str):
            out.append(node if plain or special(node) is None else _text12(node))
        elif isinstance(node, Single):
            c = node.code
            start = c.start if plain or attr_special(c.start) is None else _attr(c.start)
            out.append(f'<x id="{c.id}" ctype="{c.ctype}" equiv-text="{start}"/>')
        else:
            c = node.code
            out.append(f'<g id="{c.id}" ctype="{c.ctype}">')
            _content12(node.children, out, plain)
            out.append("</g>")


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
            out.append(f'<x id="{c.id}" ctype="{c.ctype}" equiv-text="{_attr(c.start)}"{extra}/>')
        else:
            if base is not None and base.end != c.end:
                extra += f' ts:end="{_attr(c.end)}"'
            out.append(f'<g id="{c.id}" ctype="{c.ctype}"{extra}>')
            _overrides12(node.children, source, out)
            out.append("</g>")


def _source20(nodes: list[Node], out: list[str], data: list[str], plain: bool) -> None:
    """A source's content in 2.0, and its ``<data>`` lines: every code is its own (``d3``,
    ``d3e``), numbered once each, as :func:`~sync.interchange.inline.parse` numbers them."""
    special = _TEXT_SPECIAL.search
    attr_special = _ATTR_SPECIAL.search
    for node in nodes:
        if isinstance(node, str):
            out.append(node if plain or special(node) is None else _text20(node))
            continue
        c = node.code
        cid = c.id
        start = c.start
        data.append(
            f'        <data id="d{cid}" xml:space="preserve">'
            f"{start if plain or special(start) is None else _text20(start)}</data>\n"
        )
        if isinstance(node, Single):
            disp = c.disp
            disp = disp if plain or attr_special(disp) is None else _attr(disp)
            out.append(
                f'<ph id="{cid}" dataRef="d{cid}" disp="{disp}" canCopy="no" canDelete="no"/>'
            )
        else:
            end = c.end
            data.append(
                f'        <data id="d{cid}e" xml:space="preserve">'
                f"{end if plain or special(end) is None else _text20(end)}</data>\n"
            )
            if not plain:
                start = start if attr_special(start) is None else _attr(start)
                end = end if attr_special(end) is None else _attr(end)
            out.append(
                f'<pc id="{cid}"{_PC_TYPE.get(c.ctype, "")} dataRefStart="d{cid}" '
                f'dataRefEnd="d{cid}e" dispStart="{start}" dispEnd="{end}" '
                'canCopy="no" canDelete="no">'
            )
            _source20(node.children, out, data, plain)
            out.append("</pc>")


def _content20(
    nodes: list[Node], out: list[str], data: list[str], codes: dict[int, Code], refs: set[str]
) -> None:
    """A target's content in 2.0: its codes point at the source's data (``d3``, ``d3e``);
    one whose text differs from the source's (a link with the language prefix) at its own
    ``d3t`` / ``d3te``, added to ``data`` once (``refs``: the ``<data>`` ids so far)."""
    for node in nodes:
        if isinstance(node, str):
            out.append(_text20(node))
            continue
        c = node.code
        base = codes.get(c.id)
        ref = f"d{c.id}" if base is None or base.start == c.start else f"d{c.id}t"
        if ref not in refs:
            refs.add(ref)
            data.append(
                f'        <data id="{ref}" xml:space="preserve">{_text20(c.start)}</data>\n'
            )
        if isinstance(node, Single):
            out.append(
                f'<ph id="{c.id}" dataRef="{ref}" disp="{_attr(c.disp)}" '
                'canCopy="no" canDelete="no"/>'
            )
        else:
            end = f"d{c.id}e" if base is None or base.end == c.end else f"d{c.id}te"
            if end not in refs:
                refs.add(end)
                data.append(
                    f'        <data id="{end}" xml:space="preserve">{_text20(c.end)}</data>\n'
                )
            out.append(
                f'<pc id="{c.id}"{_PC_TYPE.get(c.ctype, "")} dataRefStart="{ref}" '
                f'dataRefEnd="{end}" dispStart="{_attr(c.start)}" '
                f'dispEnd="{_attr(c.end)}" canCopy="no" canDelete="no">'
            )
            _content20(node.children, out, data, codes, refs)
            out.append("</pc>")


# -- documents ------------------------------------------------------------------------------


def write_xliff(task: TaskFile, version: str = "1.2") -> bytes:
    """The task as XLIFF ``version`` (1.2 or 2.0), UTF-8."""
    if version not in VERSIONS:
        raise InputError(f"XLIFF version {version!r} is not supported: use 1.2 or 2.0")
    head: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    units: list[str] = []
    (_write12 if version == "1.2" else _write20)(task, head, units)
    # encoded apart: the header's "→" would make the whole text a wide string, several
    # times slower to encode than the units' text, which is often ASCII only
    return "".join(head).encode("utf-8") + "".join(units).encode("utf-8")


def _write12(task: TaskFile, head: list[str], out: list[str]) -> None:
    datatype = "html" if task.body_format == "html" else "x-markdown"
    key = _attr(task.key)
    head.append(f'<xliff version="1.2" xmlns="{XLIFF12}" xmlns:ts="{TS}">\n')
    head.append(
        f'  <file original="{key}" source-language="{task.source_lang}" '
        f'target-language="{task.target_lang}" datatype="{datatype}" '
        f'date="{_stamp(task.date)}" tool-id="transync">\n'
    )
    head.append("    <header>\n")
    head.append(
        f'      <tool tool-id="transync" tool-name="transync" '
        f'tool-version="{_attr(task.tool_version)}"/>\n'
    )
    head.append('      <prop-group name="transync">\n')
    head.append(f'        <prop prop-type="{TASK_META}">{task.task_id}</prop>\n')
    head.append(f'        <prop prop-type="{HASH_META}">{task.source_hash}</prop>\n')
    head.append("      </prop-group>\n")
    head.append(f"      <note>{_text12(_header_note(task))}</note>\n")
    head.append("    </header>\n    <body>\n")
    kinds: dict[str, str] = {}
    for u in task.units:
        keep = ' ts:keep-source="yes"' if u.keep_source else ""
        kind = kinds.get(u.kind)
        if kind is None:
            kind = kinds[u.kind] = _attr(u.kind)
        out.append(
            f'      <trans-unit id="{key}#{u.position}" resname="{kind}" '
            f'xml:space="preserve"{keep}>\n        <source>'
        )
        _content12(u.source, out, _plain(u))
        out.append("</source>\n")
        if u.target is not None:
            if u.suggestion is not None:
                score = u.suggestion[0]
                qualifier = "exact-match" if score >= 100 else "fuzzy-match"
                state = f' state="needs-review-translation" state-qualifier="{qualifier}"'
            elif u.review:
                state = ' state="needs-review-translation"'
            else:
                state = ' state="translated"'
            out.append(f"        <target{state}>")
            _overrides12(u.target, codes_of(u.source), out)
            out.append("</target>\n")
        out.append(f'        <note from="transync">{_text12(u.label)}</note>\n')
        if u.previous_source is not None:
            out.append(
                f'        <note from="transync" annotates="source">the source changed '
                f"since this translation; it was: {_text12(u.previous_source)}"
                "</note>\n"
            )
        if u.suggestion is not None:
            score, origin, text = u.suggestion
            out.append(
                f'        <alt-trans match-quality="{score:g}" '
                f'origin="{_attr(origin)}"><target>{_text12(text)}</target>'
                "</alt-trans>\n"
            )
        out.append("      </trans-unit>\n")
    out.append("    </body>\n  </file>\n</xliff>\n")


def _write20(task: TaskFile, head: list[str], out: list[str]) -> None:
    key = _attr(task.key)
    head.append(
        f'<xliff version="2.0" xmlns="{XLIFF20}" xmlns:mtc="{MTC}" xmlns:mda="{MDA}" '
        f'xmlns:ts="{TS}" srcLang="{task.source_lang}" trgLang="{task.target_lang}">\n'
    )
    head.append(f'  <file id="f1" original="{key}">\n')
    head.append('    <mda:metadata>\n      <mda:metaGroup category="transync">\n')
    head.append(f'        <mda:meta type="{TASK_META}">{task.task_id}</mda:meta>\n')
    head.append(f'        <mda:meta type="{HASH_META}">{task.source_hash}</mda:meta>\n')
    head.append(f'        <mda:meta type="tool">transync {_text(task.tool_version)}</mda:meta>\n')
    head.append(f'        <mda:meta type="date">{_stamp(task.date)}</mda:meta>\n')
    head.append("      </mda:metaGroup>\n    </mda:metadata>\n")
    head.append(
        f'    <notes>\n      <note category="transync">{_text(_header_note(task))}'
        "</note>\n    </notes>\n"
    )
    kinds: dict[str, str] = {}
    special = _TEXT_SPECIAL.search
    for u in task.units:
        keep = ' ts:keep-source="yes"' if u.keep_source else ""
        kind = kinds.get(u.kind)
        if kind is None:
            kind = kinds[u.kind] = _attr(_nmtoken(u.kind))
        out.append(
            f'    <unit id="s{u.position}" name="{key}#{u.position}" type="ts:{kind}"{keep}>\n'
        )
        data: list[str] = []  # the <data> lines: the source's codes, then the target's
        source: list[str] = []
        _source20(u.source, source, data, _plain(u))
        source_text = "".join(source)
        target = ""
        if u.target is not None:
            codes = codes_of(u.source)
            refs = {f"d{i}{e}" for i, c in codes.items() for e in ("", "e")[: 1 + c.paired]}
            pieces: list[str] = []
            _content20(u.target, pieces, data, codes, refs)
            target = f'        <target xml:space="preserve">{"".join(pieces)}</target>\n'
        if u.suggestion is not None:
            score, origin, text = u.suggestion
            out.append(
                f'      <mtc:matches>\n        <mtc:match ref="#s" '
                f'matchQuality="{score:g}" origin="{_attr(origin)}" type="tm">'
                f"<source>{source_text}</source><target>{_text20(text)}</target>"
                "</mtc:match>\n      </mtc:matches>\n"
            )
        previous = (
            ""
            if u.previous_source is None
            else '        <note category="transync" appliesTo="source">the source changed since '
            f"this translation; it was: {_text20(u.previous_source)}</note>\n"
        )
        state = (
            "translated"
            if u.target is not None and not u.review and u.suggestion is None
            else "initial"
        )
        label = u.label if special(u.label) is None else _text(u.label)
        original = f"      <originalData>\n{''.join(data)}      </originalData>\n" if data else ""
        out.append(
            f'      <notes>\n        <note category="transync">{label}</note>\n{previous}'
            f"      </notes>\n{original}"
            f'      <segment id="s" state="{state}">\n'
            f'        <source xml:space="preserve">{source_text}</source>\n{target}'
            "      </segment>\n    </unit>\n"
        )
    out.append("  </file>\n</xliff>\n")
