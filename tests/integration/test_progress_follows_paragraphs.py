"""Saved work follows its paragraphs when the source changes. A task's saved translations
were kept by position: a paragraph inserted above shifted them onto the wrong paragraphs,
and a submission published them there. Now a paragraph the source kept keeps its
translation wherever it moved; one the source changed has its translation offered again
marked for review (fuzzy in the PO, with the source text it translates), never published
unconfirmed. Through both ways a task moves: queued when the scan comes, and released
after the source changed while it was claimed. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import polib

from sync.config import Settings
from tests.helpers.tracking import add_people, open_task, scan, transync

SOURCE = (
    "---\ntitle: Ports\n---\n\nShips wait at the ports.\n\nGrain leaves in autumn.\n\n"
    "Prices rise in winter.\n\nThe corridor stays open.\n"
)
SAVED = {  # what ayse saved before the source changed
    "Ships wait at the ports.": "Gemiler limanlarda bekliyor.",
    "Grain leaves in autumn.": "Tahıl sonbaharda çıkıyor.",
    "Prices rise in winter.": "Fiyatlar kışın yükseliyor.",
}
CHANGED = SOURCE.replace(
    "Ships wait at the ports.\n", "Ships wait at the ports.\n\nA new paragraph, inserted.\n"
).replace("Prices rise in winter.", "Prices rise sharply in winter.")


def run(settings: Settings, *args: str) -> str:
    code, out, err = transync(settings, *args)
    assert code == 0, f"transync {' '.join(args)} exited {code}\n{out}\n{err}"
    return out


def save_some(settings: Settings, task_id: int, tmp_path: Path) -> None:
    path = tmp_path / "saved.po"
    run(settings, "po", str(task_id), "-o", str(path))
    po = polib.pofile(str(path))
    for entry in po:
        entry.msgstr = SAVED.get(entry.msgid, "")
    po.save(str(path))
    run(settings, "submit", str(task_id), str(path), "--as", "ayse", "--partial")


def entries(settings: Settings, task_id: int, tmp_path: Path) -> dict[str, polib.POEntry]:
    path = tmp_path / "after.po"
    run(settings, "po", str(task_id), "-o", str(path))
    return {e.msgid: e for e in polib.pofile(str(path))}


def check_followed(found: dict[str, polib.POEntry]) -> None:
    for text in ("Ships wait at the ports.", "Grain leaves in autumn."):
        assert found[text].msgstr == SAVED[text] and "fuzzy" not in found[text].flags
    assert found["A new paragraph, inserted."].msgstr == ""
    changed = found["Prices rise sharply in winter."]
    assert changed.msgstr == SAVED["Prices rise in winter."] and "fuzzy" in changed.flags
    assert changed.previous_msgid == "Prices rise in winter."
    assert found["The corridor stays open."].msgstr == ""


def setup(settings: Settings, tmp_path: Path) -> tuple[Path, int]:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/ports.md").write_text(SOURCE, encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    task = open_task(settings, "posts/ports", "tr")
    assert task is not None
    run(settings, "claim", "--lang", "tr", "--as", "ayse")
    save_some(settings, task["id"], tmp_path)
    return content, task["id"]


def test_a_queued_task_moved_by_the_scan(settings: Settings, tmp_path: Path) -> None:
    content, task_id = setup(settings, tmp_path)
    run(settings, "release", str(task_id), "--as", "ayse")
    (content / "posts/ports.md").write_text(CHANGED, encoding="utf-8")
    scan(settings, content)
    run(settings, "claim", "--lang", "tr", "--as", "ayse")
    check_followed(entries(settings, task_id, tmp_path))


def test_a_claimed_task_released_after_the_source_changed(
    settings: Settings, tmp_path: Path
) -> None:
    content, task_id = setup(settings, tmp_path)
    (content / "posts/ports.md").write_text(CHANGED, encoding="utf-8")
    scan(settings, content)  # the task is flagged, its revision kept while claimed
    run(settings, "release", str(task_id), "--as", "ayse")  # back to the queue: it moves
    run(settings, "claim", "--lang", "tr", "--as", "ayse")
    found = entries(settings, task_id, tmp_path)
    check_followed(found)
    # the set-aside text is not published unconfirmed: it is still to translate
    path = tmp_path / "final.po"
    po = polib.POFile()
    po.metadata = polib.pofile(str(tmp_path / "after.po")).metadata
    for msgid, entry in found.items():
        if msgid and entry.msgstr and "fuzzy" not in entry.flags:
            po.append(entry)
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code != 0 and "untranslated" in out + err, out + err
