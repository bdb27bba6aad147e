"""A task's PO brought up to date with msgmerge after the source changed, as gettext users
do: `msgmerge --previous r1.po r2.po` gives the new PO's msgids with the old file's
translations and header, so its X-Transync-Source-Hash still names the old revision. The
file is the current revision's segments all the same, and is taken as such; a PO truly
made from the old revision keeps being taken in part. The POs are the real msgmerge's."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import polib
import pytest

from sync.config import Settings
from sync.pofiles import HASH_HEADER
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    assigned,
    open_task,
    scan,
    task_po,
    task_row,
    translate_fuzzy,
    transync,
)

pytestmark = pytest.mark.skipif(shutil.which("msgmerge") is None, reason="needs msgmerge")

SOURCE = """\
---
title: Opening hours
---

The library opens at nine.

The reading room closes at six.

Loans last three weeks.
"""
TRANSLATIONS = {
    "Opening hours": "Çalışma saatleri",
    "The library opens at nine.": "Kütüphane dokuzda açılır.",
    "The reading room closes at six.": "Okuma salonu altıda kapanır.",
    "Loans last three weeks.": "Ödünç süresi üç haftadır.",
}
CHANGED = "The reading room closes at seven."
CHANGED_TR = "Okuma salonu yedide kapanır."


def run(settings: Settings, *args: str) -> str:
    code, out, err = transync(settings, *args)
    assert code == 0, f"transync {' '.join(args)} exited {code}\n{out}\n{err}"
    return out


def two_revisions(settings: Settings, tmp_path: Path) -> tuple[Path, Path, int]:
    """The hours page scanned and its queued Turkish task's PO (r1.po) translated in full;
    then one sentence of the source changed and scanned again (the queued task moves to the
    new revision), the task's PO downloaded anew (r2.po) and the task assigned to ayse.
    Returns the two files and the task."""
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    en = content / "en/posts/hours.md"
    en.write_text(SOURCE, encoding="utf-8")
    add_people(settings)
    assert not scan(settings, content).problems
    queued = open_task(settings, "posts/hours", "tr")
    assert queued is not None
    task_id = int(queued["id"])
    r1 = tmp_path / "r1.po"
    po = task_po(settings, task_id, r1)
    for entry in po:
        entry.msgstr = TRANSLATIONS[entry.msgid]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    po.save(str(r1))
    en.write_text(SOURCE.replace("at six", "at seven"), encoding="utf-8")
    assert scan(settings, content).new_revisions == 1
    r2 = tmp_path / "r2.po"
    task_po(settings, task_id, r2)
    assert assigned(settings, "posts/hours", "tr", "ayse") == task_id
    return r1, r2, task_id


def msgmerge(old: Path, new: Path, out: Path) -> polib.POFile:
    subprocess.run(
        ["msgmerge", "--quiet", "--previous", str(old), str(new), "-o", str(out)], check=True
    )
    return polib.pofile(str(out))


def test_a_po_brought_up_to_date_by_msgmerge_is_taken_whole(
    settings: Settings, tmp_path: Path
) -> None:
    r1, r2, task_id = two_revisions(settings, tmp_path)
    merged = tmp_path / "merged.po"
    po = msgmerge(r1, r2, merged)
    # msgmerge keeps the old file's header: it names the revision r1.po was made from
    assert po.metadata[HASH_HEADER] == polib.pofile(str(r1)).metadata[HASH_HEADER]
    assert po.metadata[HASH_HEADER] != polib.pofile(str(r2)).metadata[HASH_HEADER]
    assert [e.msgid for e in po] == [e.msgid for e in polib.pofile(str(r2))]
    translate_fuzzy(po, CHANGED_TR)
    po.save(str(merged))

    result = json.loads(
        run(settings, "submit", str(task_id), "--as", "ayse", str(merged), "--json")
    )
    assert result["state"] in ("submitted", "done"), result
    assert not any("made from source" in w for w in result.get("warnings", [])), result
    if result["state"] == "submitted":
        run(settings, "approve", str(task_id), "--as", EDITOR)
    assert task_row(settings, task_id).state == "done"
    written = (tmp_path / "content/tr/posts/hours.md").read_text(encoding="utf-8")
    assert CHANGED_TR in written and TRANSLATIONS["Loans last three weeks."] in written, written


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_po_made_from_the_old_revision_is_still_taken_in_part(
    settings: Settings, tmp_path: Path
) -> None:
    r1, _r2, task_id = two_revisions(settings, tmp_path)
    result = json.loads(run(settings, "submit", str(task_id), "--as", "ayse", str(r1), "--json"))
    assert any("made from source r1" in w for w in result["warnings"]), result
    assert task_row(settings, task_id).state == "claimed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_edited_msgid_under_the_old_header_says_which_revision_it_names(
    settings: Settings, tmp_path: Path
) -> None:
    r1, r2, task_id = two_revisions(settings, tmp_path)
    merged = tmp_path / "merged.po"
    po = msgmerge(r1, r2, merged)
    translate_fuzzy(po, CHANGED_TR)
    edited = next(e for e in po if e.msgid == "Loans last three weeks.")
    edited.msgid = "Loans last three weeks!"
    po.save(str(merged))
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(merged))
    assert code != 0, out
    # the edited msgid, not the changed one msgmerge brought from the new PO
    (problem,) = [line for line in err.splitlines() if line.lstrip().startswith("- ")]
    assert "'Loans last three weeks!'" in problem, err
    assert "not a segment of source r1, which header X-Transync-Source-Hash names" in problem
    assert "msgmerge keeps the old file's header" in problem, err
    assert task_row(settings, task_id).state == "claimed"
