"""A write-back never drops what only the translation has. An update task rebuilds the
translation from its source's structure; a translator's note, a localized link definition
or code the translation has in its own form would be gone, and the task never showed them.
The submission then stops in `conflict` (reason `drops`), the file untouched, until an editor
keeps the file or the submission. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sync.config import Settings
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

SOURCE = "---\ntitle: Energy\n---\n\nGas matters.\n\nOil matters.\n\n[src]: https://example.org/en/report\n"
TRANSLATION = (
    "---\ntitle: Enerji\n---\n\nGaz önemli.\n\nPetrol önemli.\n\n"
    "Çevirmen notu: bu bölüm yalnızca Türkçede var.\n\n[src]: https://example.org/tr/rapor\n"
)


def run(settings: Settings, *args: str) -> str:
    code, out, err = transync(settings, *args)
    assert code == 0, f"transync {' '.join(args)} exited {code}\n{out}\n{err}"
    return out + err


def submitted_update(settings: Settings, tmp_path: Path) -> tuple[Path, int, str]:
    """Source and translation (path-paired by suffix) scanned, the source edited and scanned
    again, the Turkish update task translated through its PO and submitted: the file, the
    task and what submit printed."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    en, tr = content / "posts/e.md", content / "posts/e.tr.md"
    en.write_text(SOURCE, encoding="utf-8")
    tr.write_text(TRANSLATION, encoding="utf-8")
    add_people(settings)
    assert not scan(settings, content).problems
    en.write_text(SOURCE.replace("Oil matters.", "Oil matters a lot."), encoding="utf-8")
    scan(settings, content)
    task_id = assigned(settings, "posts/e", "tr", "ayse")
    path = tmp_path / "e.po"
    po = task_po(settings, task_id, path)
    assert not any("Çevirmen" in e.msgid + e.msgstr for e in po)  # never shown
    # with a paragraph more in the translation, which is the first one's is a guess: given
    # to check (fuzzy), and the translator confirms it
    (guessed,) = [e for e in po if e.msgid == "Gas matters."]
    assert guessed.msgstr == "Gaz önemli." and "fuzzy" in guessed.flags
    guessed.flags.remove("fuzzy")
    translate_fuzzy(po, "Petrol çok önemli.")
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(path))
    assert code == 2, (code, out, err)  # a conflict: the task waits for an editor
    return tr, task_id, out + err


def test_a_note_only_the_translation_has_stops_the_write_back(
    settings: Settings, tmp_path: Path
) -> None:
    tr, task_id, out = submitted_update(settings, tmp_path)
    assert tr.read_text(encoding="utf-8") == TRANSLATION  # not a byte written
    assert "conflict" in out and "2 blocks" in out and "Çevirmen notu" in out, out
    row = task_row(settings, task_id)
    assert row.state == "conflict" and row.conflict["reason"] == "drops", row.conflict
    assert cell(settings, "posts/e", "tr")["state"] == "stale"

    # the editor keeps the file: the task closes, nothing is written
    run(settings, "resolve", str(task_id), "--keep", "disk", "--as", EDITOR)
    assert tr.read_text(encoding="utf-8") == TRANSLATION


def test_the_editor_may_keep_the_submission_over_it(settings: Settings, tmp_path: Path) -> None:
    tr, task_id, _ = submitted_update(settings, tmp_path)
    out = json.loads(
        run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR, "--json")
    )
    assert out["state"] == "done", out
    written = tr.read_text(encoding="utf-8")
    assert "Petrol çok önemli." in written and "Çevirmen notu" not in written
    assert cell(settings, "posts/e", "tr")["state"] == "current"
