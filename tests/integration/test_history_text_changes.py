"""Git history dates a translation by the last commit that changed its *text*: a later
commit that only touched its file (a front-matter key, line endings) is no evidence that it
was redone against the newer source."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from sync.db.session import transaction
from sync.scanning import run_scan
from sync.status import load_rows, status_document
from tests.conftest import make_settings
from tests.helpers.gitrepo import GitRepo


def states(settings: Settings, key: str) -> dict[str, dict]:
    with transaction(settings.database_url) as s:
        doc = status_document(load_rows(s, settings), settings)
    return next(p for p in doc["posts"] if p["key"] == key)["versions"]


def test_a_touch_without_a_text_change_does_not_make_a_stale_translation_current(
    db_url: str, tmp_path: Path
) -> None:
    repo = GitRepo.init(tmp_path / "site")
    repo.write("content/en/i.md", "---\ntitle: Iota\n---\n\nIota one.\n\nIota two.\n")
    repo.write("content/en/k.md", "---\ntitle: Kappa\n---\n\nKappa one.\n")
    repo.write("content/tr/i.md", "---\ntitle: İota\n---\n\nİota bir.\n\nİota iki.\n")
    repo.write("content/tr/k.md", "---\ntitle: Kappa\n---\r\n\r\nKappa bir.\r\n")
    repo.commit("translations", when=1)
    repo.write("content/en/i.md", "---\ntitle: Iota\n---\n\nIota one.\n\nIota two, new.\n")
    repo.write("content/en/k.md", "---\ntitle: Kappa\n---\n\nKappa one, new.\n")
    repo.commit("sources edited", when=2)
    # a front-matter key that is not translatable, and line endings made LF
    repo.write("content/tr/i.md", "---\ntitle: İota\nweight: 5\n---\n\nİota bir.\n\nİota iki.\n")
    repo.write("content/tr/k.md", "---\ntitle: Kappa\n---\n\nKappa bir.\n")
    repo.commit("weights and line endings", when=4)
    settings = make_settings(db_url)
    report = run_scan(settings, [f"fs:{repo.path / 'content'}"])
    assert report is not None and not report.problems
    for key in ("i", "k"):
        tr = states(settings, key)["tr"]
        assert tr["state"] == "stale" and tr["baseline"] == "history", (key, tr)
        assert tr["based_on_revision"] == 1, (key, tr)


def test_a_text_change_after_the_source_edit_is_current(db_url: str, tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "site")
    repo.write("content/en/i.md", "---\ntitle: Iota\n---\n\nIota one.\n")
    repo.write("content/tr/i.md", "---\ntitle: İota\n---\n\nİota bir.\n")
    repo.commit("one", when=1)
    repo.write("content/en/i.md", "---\ntitle: Iota\n---\n\nIota one, new.\n")
    repo.commit("two", when=2)
    repo.write("content/tr/i.md", "---\ntitle: İota\nweight: 5\n---\n\nİota bir, yeni.\n")
    repo.commit("three", when=4)
    settings = make_settings(db_url)
    report = run_scan(settings, [f"fs:{repo.path / 'content'}"])
    assert report is not None and not report.problems
    tr = states(settings, "i")["tr"]
    assert tr["state"] == "current" and tr["baseline"] == "history", tr
