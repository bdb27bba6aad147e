"""Tasks on posts read from a WXR export: the export is read-only, so a submission is refused
with what to do instead, and the task stays the translator's."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest

from sync.config import Settings
from sync.scanning import run_scan
from tests.conftest import DATA
from tests.helpers.tracking import add_people, task_row, transync

WXR = DATA / "wxr"


@pytest.mark.parametrize("how", ["po", "markdown"])
def test_submitting_a_translation_of_an_export_says_what_to_do(
    settings: Settings, tmp_path: Path, how: str
) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert not report.problems
    add_people(settings)
    code, out, err = transync(settings, "claim", "--as", "ayse", "--lang", "tr", "--json")
    assert code == 0, out + err
    task_id = int(json.loads(out)["id"])
    if how == "po":
        path = tmp_path / "t.po"
        code, out, err = transync(settings, "po", str(task_id), "-o", str(path))
        assert code == 0, out + err
        po = polib.pofile(str(path))
        for entry in po:  # kept as they are (names and markup): what a translator may do
            entry.msgstr = entry.msgid
            entry.flags.append("keep-source")
        po.save(str(path))
    else:
        path = tmp_path / "t.md"
        path.write_text("---\ntitle: Başlık\n---\n\nMetin.\n", encoding="utf-8")
    before = task_row(settings, task_id).state
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(path))
    said = out + err
    assert code != 0 and "Traceback" not in said and "AttributeError" not in said, said
    assert "read-only" in said and "paste it into WordPress" in said, said
    assert task_row(settings, task_id).state == before == "claimed"
