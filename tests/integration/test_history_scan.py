"""The scan's use of git history beyond baselines: a page whose original was deleted is an
orphan, not a source of its own (issue 14), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from sync.db.session import transaction
from sync.scanning import run_scan
from sync.status import load_rows, status_document
from tests.conftest import make_settings
from tests.helpers.gitrepo import GitRepo

EN = "---\ntitle: Grain corridor\n---\nShips sail along the coast under escort.\n"
RU = "---\ntitle: Зерновой коридор\n---\nСуда идут вдоль берега под конвоем.\n"


def status(settings: Settings) -> dict:
    with transaction(settings.database_url) as session:
        return status_document(load_rows(session, settings), settings)


def versions(settings: Settings, key: str) -> dict:
    return next(p for p in status(settings)["posts"] if p["key"] == key)


def tasks(settings: Settings) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from sync.db.models import Post, Task

    with transaction(settings.database_url) as session:
        return [
            tuple(r)
            for r in session.execute(
                select(Post.key, Task.lang).join(Post, Post.id == Task.post_id)
            )
        ]


def site(tmp_path: Path, layout: str) -> Path:
    """A repository where the English original of one post was deleted and its Russian copy
    kept; another post whose only version ever was Russian."""
    repo = GitRepo.init(tmp_path / "site")
    en, ru = (
        ("content/en/posts/grain.md", "content/ru/posts/grain.md")
        if layout == "dirs"
        else ("content/posts/grain.md", "content/posts/grain.ru.md")
    )
    repo.write(en, EN)
    repo.commit("grain in English", when=0)
    repo.write(ru, RU)
    repo.commit("grain in Russian", when=2)
    repo.git("rm", "-q", en)
    repo.commit("the English page is withdrawn", when=5)
    only = "content/ru/posts/note.md" if layout == "dirs" else "content/posts/note.ru.md"
    repo.write(only, "---\ntitle: Заметка\n---\nТолько по-русски.\n")
    repo.commit("a Russian-only note", when=6)
    return repo.path / "content"


def check_orphan(settings: Settings, content: Path) -> None:
    report = run_scan(settings, [f"fs:{content}"])
    assert report is not None and not report.problems
    grain = versions(settings, "posts/grain")
    assert grain["source_lang"] == "en"
    assert grain["versions"]["ru"]["state"] == "orphaned"
    assert grain["versions"]["en"]["state"] == "missing"
    # nothing to translate from: no task, and certainly none into English
    assert not [t for t in tasks(settings) if t[0] == "posts/grain"]
    # a page that never had an English original is the Russian source it looks like
    note = versions(settings, "posts/note")
    assert note["source_lang"] == "ru" and note["versions"]["ru"]["state"] == "source"


def test_a_page_whose_original_was_deleted_is_an_orphan(db_url: str, tmp_path: Path) -> None:
    check_orphan(make_settings(db_url), site(tmp_path, "dirs"))


def test_the_same_in_the_suffix_layout(sqlite_url: str, tmp_path: Path) -> None:
    check_orphan(make_settings(sqlite_url), site(tmp_path, "suffix"))


def test_without_history_the_page_is_its_own_source(db_url: str, tmp_path: Path) -> None:
    settings = make_settings(db_url, history="off")
    content = site(tmp_path, "dirs")
    run_scan(settings, [f"fs:{content}"])
    grain = versions(settings, "posts/grain")
    assert grain["source_lang"] == "ru"  # no evidence of the deleted original
    assert ("posts/grain", "en") in tasks(settings)
