"""What a translator's CAT tool does to transync's XLIFF, for the tests: fill the targets
from a finished translation, and the edits tools make (reordering, other namespaces,
BOM, CRLF)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from lxml import etree

from sync.config import Settings
from sync.db.session import transaction
from sync.frontmatter import parse_document
from sync.interchange.inline import align, codes_of
from sync.interchange.tasks import task_file
from sync.interchange.xliff import XLIFF12, XLIFF20, write_xliff
from sync.segments import analyze_markdown

NS = {"x": XLIFF12, "x2": XLIFF20}


def translation_texts(path: Path) -> list[str]:
    """The segments of a finished translation file, in order."""
    meta, body, _ = parse_document(path.read_bytes(), origin=str(path))
    return [s.text for s in analyze_markdown(meta["title"], body).segments]


def filled_xliff(
    settings: Settings, task_id: int, texts: Sequence[str] | Mapping[int, str], version: str = "1.2"
) -> bytes:
    """The task's XLIFF with every target (or those in ``texts``) translated and marked
    translated, codes kept where the translation has them: a CAT tool's output."""
    with transaction(settings.database_url) as session:
        tf = task_file(session, settings, task_id)
    wanted = dict(enumerate(texts)) if not isinstance(texts, Mapping) else dict(texts)
    units = []
    for u in tf.units:
        if u.position in wanted:
            target = align(wanted[u.position], codes_of(u.source))
            u = dataclasses.replace(u, target=target, review=False, suggestion=None)
        units.append(u)
    return write_xliff(dataclasses.replace(tf, units=units), version)


def units(tree: etree._Element) -> list[etree._Element]:
    return tree.xpath("//x:trans-unit | //x2:unit", namespaces=NS)


def target_of(unit: etree._Element) -> etree._Element:
    found = unit.xpath(".//x:target | .//x2:target", namespaces=NS)
    assert found, "the unit has no target"
    return found[0]


def cat_tool_resave(data: bytes) -> bytes:
    """Units reversed, another tool's namespace with attributes and elements, a BOM, CRLF."""
    tree = etree.fromstring(data)
    all_units = units(tree)
    parent = all_units[0].getparent()
    for u in all_units:
        parent.remove(u)
    sdl = "http://sdl.com/FileTypes/SdlXliff/1.0"
    for u in reversed(all_units):
        u.set(f"{{{sdl}}}conf", "Translated")
        extra = etree.SubElement(u, f"{{{sdl}}}seg-defs")
        etree.SubElement(extra, f"{{{sdl}}}seg", id="1", conf="Translated")
        parent.append(u)
    tree.set(f"{{{sdl}}}version", "1.0")
    text = etree.tostring(tree, encoding="unicode")
    return b"\xef\xbb\xbf" + ('<?xml version="1.0" encoding="utf-8"?>\n' + text).replace(
        "\n", "\r\n"
    ).encode("utf-8")
