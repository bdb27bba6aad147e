"""Hard line breaks in Markdown (an address, a verse: two trailing spaces or a backslash at a
line's end) are markup a page is written with. They travel through a task's PO as a
backslash and a newline, and a write-back keeps them, in the paragraphs the translator
changed and in those they left alone; the page's hash never saw them, so a site scanned
before they were kept gets no new revision for them. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from lxml import etree

from sync.config import Settings
from sync.interchange.xliff import XLIFF12
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    assigned,
    cell,
    scan,
    task_po,
    task_row,
    translate_fuzzy,
    transync,
)

#: {SP} is two spaces ending a line (a hard break), which editors and linters would strip
SOURCE = """\
---
title: Contact
---

Write to the institute:

Atatürk Bulvarı 12{SP}
Çankaya\\
06420 Ankara

> Questions go{SP}
> to the press office.

Office hours are nine to five.
""".replace("{SP}", "  ")

TRANSLATION = """\
---
title: İletişim
---

Enstitüye yazın:

Atatürk Bulvarı 12{SP}
Çankaya{SP}
06420 Ankara

> Sorularınızı{SP}
> basın ofisine iletin.

Çalışma saatleri dokuzdan beşe.
""".replace("{SP}", "  ")


def run(settings: Settings, *args: str) -> str:
    code, out, err = transync(settings, *args)
    assert code == 0, f"transync {' '.join(args)} exited {code}\n{out}\n{err}"
    return out


def stale_contact(settings: Settings, tmp_path: Path) -> tuple[Path, int]:
    """The contact page and its Turkish translation scanned (current), the source's last
    paragraph changed and scanned again (stale by one segment); the translation file and
    its task, assigned to ayse."""
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    (content / "tr/posts").mkdir(parents=True)
    en, tr = content / "en/posts/contact.md", content / "tr/posts/contact.md"
    en.write_text(SOURCE, encoding="utf-8")
    tr.write_text(TRANSLATION, encoding="utf-8")
    add_people(settings)
    assert not scan(settings, content).problems
    assert cell(settings, "posts/contact", "tr")["state"] == "current"
    en.write_text(SOURCE.replace("nine to five", "nine to six"), encoding="utf-8")
    assert scan(settings, content).new_revisions == 1
    stale = cell(settings, "posts/contact", "tr")
    assert stale["state"] == "stale" and stale["changed_segments"] == 1, stale
    return tr, assigned(settings, "posts/contact", "tr", "ayse")


def test_a_write_back_keeps_the_hard_breaks(settings: Settings, tmp_path: Path) -> None:
    tr, task_id = stale_contact(settings, tmp_path)
    path = tmp_path / "task.tr.po"
    run(settings, "po", str(task_id), "-o", str(path))
    if shutil.which("msgfmt"):
        check = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(path)], capture_output=True, text=True
        )
        assert check.returncode == 0, check.stderr
    po = polib.pofile(str(path))
    by_id = {e.msgid: e for e in po}
    # the translator sees each break, in the source and in the current translation
    address = by_id["Atatürk Bulvarı 12\\\nÇankaya\\\n06420 Ankara"]
    assert address.msgstr == "Atatürk Bulvarı 12\\\nÇankaya\\\n06420 Ankara"
    assert by_id["Questions go\\\nto the press office."].msgstr == (
        "Sorularınızı\\\nbasın ofisine iletin."
    )
    assert "fuzzy" in by_id["Office hours are nine to six."].flags
    translate_fuzzy(po, "Çalışma saatleri dokuzdan altıya.")
    po.save(str(path))
    result = json.loads(run(settings, "submit", str(task_id), "--as", "ayse", str(path), "--json"))
    assert result["state"] in ("submitted", "done"), result
    if result["state"] == "submitted":
        run(settings, "approve", str(task_id), "--as", EDITOR)

    written = tr.read_text(encoding="utf-8")
    # the paragraphs the translator left alone are as the file wrote them, breaks and all
    assert "Atatürk Bulvarı 12  \nÇankaya  \n06420 Ankara\n" in written, written
    assert "> Sorularınızı  \n> basın ofisine iletin.\n" in written, written
    assert "Çalışma saatleri dokuzdan altıya.\n" in written, written
    assert "title: İletişim\n" in written and "---\n\nEnstitüye yazın:\n\n" in written
    scan(settings, tmp_path / "content")
    assert cell(settings, "posts/contact", "tr")["state"] == "current"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_cat_tool_that_folds_white_space_keeps_the_breaks(
    settings: Settings, tmp_path: Path
) -> None:
    """In XLIFF a hard break is a code (``<x ctype="lb"/>``): a tool that folds white space,
    as XLIFF 1.2 lets it, can neither drop it nor turn it into a visible backslash."""
    tr, task_id = stale_contact(settings, tmp_path)
    path = tmp_path / "task.xlf"
    run(settings, "xliff", str(task_id), "-o", str(path))
    tree = etree.parse(str(path))
    ns = {"x": XLIFF12}
    for unit in tree.iterfind(".//x:trans-unit", ns):
        source = unit.find("x:source", ns)
        target = unit.find("x:target", ns)
        if target is None:
            target = etree.SubElement(unit, f"{{{XLIFF12}}}target")
        if "Office hours" in "".join(source.itertext()):
            target[:] = []
            target.text = "Çalışma saatleri dokuzdan altıya."
        elif not "".join(target.itertext()).strip():
            target[:] = [etree.fromstring(etree.tostring(c)) for c in source]
            target.text = source.text
        for node in target.iter():  # fold white space, newlines included
            node.text = " ".join(node.text.split()) if node.text else node.text
            node.tail = " ".join(node.tail.split()) if node.tail else node.tail
        target.set("state", "translated")
    assert tree.find(".//x:x[@ctype='lb']", ns) is not None
    tree.write(str(path), xml_declaration=True, encoding="utf-8")
    result = json.loads(run(settings, "submit", str(task_id), "--as", "ayse", str(path), "--json"))
    if result["state"] == "submitted":
        run(settings, "approve", str(task_id), "--as", EDITOR)
    written = tr.read_text(encoding="utf-8")  # breaks as the file wrote them
    assert "Atatürk Bulvarı 12  \nÇankaya  \n06420 Ankara\n" in written, written
    assert "> Sorularınızı  \n> basın ofisine iletin.\n" in written, written


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_breaks_added_or_removed_alone_change_no_revision(
    settings: Settings, tmp_path: Path
) -> None:
    """Trailing spaces are white space to the hash, as they were before hard breaks were
    kept: a page that gains or loses them, or is wrapped anew, gets no new revision."""
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    en = content / "en/posts/contact.md"
    en.write_text(SOURCE, encoding="utf-8")
    assert scan(settings, content).new_revisions == 1
    rewrapped = SOURCE.replace("go  \n", "go\n").replace("Write to", "Write\nto")
    en.write_text(rewrapped, encoding="utf-8")
    report = scan(settings, content)
    assert report.new_revisions == 0 and not report.problems


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_plain_new_lines_for_hard_breaks_are_refused(settings: Settings, tmp_path: Path) -> None:
    """A translator who types plain line breaks (Poedit's Enter) where the source has hard
    ones would see the address published on one line, since Markdown reads a plain newline
    as a space: the PO is refused, saying how to write a break. On one line it is taken."""
    tr, task_id = stale_contact(settings, tmp_path)
    path = tmp_path / "task.tr.po"
    po = task_po(settings, task_id, path)
    address = next(e for e in po if e.msgid.startswith("Atatürk Bulvarı 12\\\n"))
    address.msgstr = "Atatürk Bulvarı 12\nÇankaya\n06420 Ankara"
    translate_fuzzy(po, "Çalışma saatleri dokuzdan altıya.")
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(path))
    assert code != 0, out
    assert "the source has 2 line breaks" in err, err
    assert "end the line with a backslash" in err, err
    assert task_row(settings, task_id).state == "claimed"

    address.msgstr = "Atatürk Bulvarı 12, Çankaya, 06420 Ankara"  # one line, on purpose
    po.save(str(path))
    result = json.loads(run(settings, "submit", str(task_id), "--as", "ayse", str(path), "--json"))
    assert result["state"] in ("submitted", "done"), result
    if result["state"] == "submitted":
        run(settings, "approve", str(task_id), "--as", EDITOR)
    assert "Atatürk Bulvarı 12, Çankaya, 06420 Ankara\n" in tr.read_text(encoding="utf-8")
