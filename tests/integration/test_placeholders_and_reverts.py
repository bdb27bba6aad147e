"""Statuses that must be true on real sites: a translation file that is a copy of its source
(made to stand in for the page) or a translated title alone is missing, not current; and a
source edit that is undone makes its translations current again, not stale with nothing
changed. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import cell, open_task, scan

SOURCE = "---\ntitle: Energy\n---\n\nGas matters.\n\nOil matters.\n"
TRANSLATION = "---\ntitle: Enerji\n---\n\nGaz önemli.\n\nPetrol önemli.\n"


def tree(tmp_path: Path) -> Path:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/e.md").write_text(SOURCE, encoding="utf-8")
    return content


def test_a_copy_of_the_source_is_missing_until_it_is_translated(
    settings: Settings, tmp_path: Path
) -> None:
    content = tree(tmp_path)
    shutil.copy(content / "posts/e.md", content / "posts/e.ru.md")
    (content / "posts/e.tr.md").write_text("---\ntitle: Enerji\n---\n", encoding="utf-8")
    assert not scan(settings, content).problems
    for lang in ("ru", "tr"):  # a copy, and a translated title alone
        found = cell(settings, "posts/e", lang)
        assert (found["state"], found.get("detail")) == ("missing", "stub"), (lang, found)
        assert open_task(settings, "posts/e", lang) is not None

    (content / "posts/e.tr.md").write_text(TRANSLATION, encoding="utf-8")
    scan(settings, content)
    assert cell(settings, "posts/e", "tr")["state"] == "current"
    assert cell(settings, "posts/e", "ru")["state"] == "missing"


def test_an_undone_source_edit_makes_the_translation_current_again(
    settings: Settings, tmp_path: Path
) -> None:
    content = tree(tmp_path)
    (content / "posts/e.tr.md").write_text(TRANSLATION, encoding="utf-8")
    scan(settings, content)
    assert cell(settings, "posts/e", "tr")["state"] == "current"
    en = content / "posts/e.md"
    en.write_text(SOURCE.replace("Oil matters.", "Oil matters a lot."), encoding="utf-8")
    scan(settings, content)
    assert cell(settings, "posts/e", "tr")["state"] == "stale"
    assert open_task(settings, "posts/e", "tr") is not None

    en.write_text(SOURCE, encoding="utf-8")  # the edit undone
    assert scan(settings, content).new_revisions == 1
    back = cell(settings, "posts/e", "tr")
    assert back["state"] == "current", back
    assert open_task(settings, "posts/e", "tr") is None  # its update task is not needed


def test_a_translation_edited_after_the_source_moved_on_is_not_judged_by_the_undo(
    settings: Settings, tmp_path: Path
) -> None:
    """The translation was edited by hand while stale (perhaps to follow the source's edit):
    what it translates is not known, so the source's undo does not make it current."""
    content = tree(tmp_path)
    tr = content / "posts/e.tr.md"
    tr.write_text(TRANSLATION, encoding="utf-8")
    scan(settings, content)
    en = content / "posts/e.md"
    en.write_text(SOURCE.replace("Oil matters.", "Oil matters a lot."), encoding="utf-8")
    scan(settings, content)
    tr.write_text(TRANSLATION.replace("Petrol önemli.", "Petrol çok önemli."), encoding="utf-8")
    scan(settings, content)
    assert cell(settings, "posts/e", "tr")["state"] == "stale"
    en.write_text(SOURCE, encoding="utf-8")  # the source's edit undone
    scan(settings, content)
    assert cell(settings, "posts/e", "tr")["state"] == "stale"
