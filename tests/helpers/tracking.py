"""Helpers to drive and inspect transync in integration tests: scans, people, tasks,
snapshots of the database and the content tree, and the CLI run in-process."""

from __future__ import annotations

import contextlib
import io
import os
from collections import Counter
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import func, select

from sync.config import Settings
from sync.db.models import Base, Post, Suggestion, Task, Version
from sync.db.session import transaction
from sync.people import add_user
from sync.queue import list_tasks, task_dict
from sync.scanning import run_scan
from sync.status import load_rows, status_document

TRANSLATORS = {"ayse": ["tr"], "ivan": ["ru"], "nadia": ["tr", "ru"]}
EDITOR = "edith"


def scan(settings: Settings, *paths: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_scan(settings, [str(p) for p in paths], **kw)


def add_people(settings: Settings) -> None:
    """Translators ayse (tr), ivan (ru), nadia (tr, ru) and the editor edith."""
    with transaction(settings.database_url) as s:
        for name, langs in TRANSLATORS.items():
            add_user(s, settings, name, langs=langs)
        add_user(s, settings, EDITOR, role="editor")


def tasks(settings: Settings, **filters: Any) -> list[dict[str, Any]]:
    with transaction(settings.database_url) as s:
        return [task_dict(t, k) for t, k in list_tasks(s, **filters)]


def task(settings: Settings, task_id: int) -> dict[str, Any]:
    return next(t for t in tasks(settings) if t["id"] == task_id)


def task_row(settings: Settings, task_id: int) -> Task:
    with transaction(settings.database_url) as s:
        row = s.get(Task, task_id)
        assert row is not None
        s.expunge(row)
        return row


def open_task(settings: Settings, post: str, lang: str) -> dict[str, Any] | None:
    found = [
        t
        for t in tasks(settings, post=post, lang=lang)
        if t["state"] in ("queued", "claimed", "submitted")
    ]
    assert len(found) <= 1, f"two open tasks for {post} [{lang}]: {found}"
    return found[0] if found else None


def open_task_counts(settings: Settings) -> Counter[tuple[str, str]]:
    """(post key, language) → number of open tasks, straight from the table."""
    with transaction(settings.database_url) as s:
        rows = s.execute(
            select(Post.key, Task.lang)
            .join(Post, Post.id == Task.post_id)
            .where(Task.state.in_(("queued", "claimed", "submitted")))
        ).all()
    return Counter((k, lang) for k, lang in rows)


def status(settings: Settings) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return status_document(load_rows(s, settings), settings)


def cell(settings: Settings, key: str, lang: str) -> dict[str, Any]:
    doc = status(settings)
    return next(p for p in doc["posts"] if p["key"] == key)["versions"][lang]


def post_id(settings: Settings, key: str) -> int:
    with transaction(settings.database_url) as s:
        return s.execute(select(Post.id).where(Post.key == key)).scalar_one()


def db_snapshot(settings: Settings) -> dict[str, Any]:
    """Row counts of every table, and the columns of tasks and versions that matter."""
    with transaction(settings.database_url) as s:
        counts = {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in Base.metadata.sorted_tables
        }
        task_rows = s.execute(
            select(
                Task.id,
                Task.state,
                Task.assignee,
                Task.lease_expires_at,
                Task.source_revision,
                Task.source_changed,
                Task.reject_reason,
                Task.submission,
                Task.updated_at,
            ).order_by(Task.id)
        ).all()
        versions = s.execute(
            select(
                Version.id,
                Version.revision,
                Version.based_on_revision,
                Version.deleted,
                Version.raw_hash,
            ).order_by(Version.id)
        ).all()
    return {
        "counts": counts,
        "tasks": [tuple(r) for r in task_rows],
        "versions": [tuple(r) for r in versions],
    }


def tree_snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def suggestion_rows(settings: Settings, task_id: int) -> list[tuple[int, str, float, str]]:
    with transaction(settings.database_url) as s:
        return [
            tuple(r)
            for r in s.execute(
                select(Suggestion.position, Suggestion.text, Suggestion.score, Suggestion.origin)
                .where(Suggestion.task_id == task_id)
                .order_by(Suggestion.position, Suggestion.text)
            )
        ]


def transync(settings: Settings, *args: str) -> tuple[int, str, str]:
    """Run the `transync` command in this process with these settings' environment;
    returns (exit code, stdout, stderr)."""
    from sync.cli import main
    from tests.helpers.processes import settings_env

    stdout, stderr = io.StringIO(), io.StringIO()
    code: Any = 0
    env = settings_env(settings)
    env.pop("PYTHONPATH", None)
    with (
        mock.patch.dict(os.environ, env, clear=True),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
    ):
        try:
            main(list(args))
        except SystemExit as exit_:
            code = exit_.code
    return int(code or 0), stdout.getvalue(), stderr.getvalue()


def assigned(settings: Settings, post: str, lang: str, who: str) -> int:
    """The open task of (post, lang), assigned to `who` by the editor: its id."""
    from sync.queue import assign

    found = open_task(settings, post, lang)
    assert found is not None, f"no open task for {post} [{lang}]"
    with transaction(settings.database_url) as s:
        assign(s, settings, found["id"], EDITOR, who)
    return int(found["id"])


def task_po(settings: Settings, task_id: int, path: Path) -> Any:
    """`transync po TASK -o path`, read back with polib."""
    import polib

    code, out, err = transync(settings, "po", str(task_id), "-o", str(path))
    assert code == 0, f"transync po {task_id} exited {code}\n{out}\n{err}"
    return polib.pofile(str(path))


def translate_fuzzy(po: Any, text: str) -> None:
    """The PO's one fuzzy entry translated as `text`, its fuzzy flag and previous msgid gone."""
    (entry,) = [e for e in po if "fuzzy" in e.flags]
    entry.msgstr, entry.previous_msgid = text, None
    entry.flags.remove("fuzzy")


def memory_rows(session: Any) -> list[tuple[Any, ...]]:
    """Every translation-memory pair, ids and times left out, in one order whatever order
    the pairs were learned in."""
    from sync.db.models import Memory

    return sorted(
        tuple(row)
        for row in session.execute(
            select(
                Memory.source_lang,
                Memory.target_lang,
                Memory.source_hash,
                Memory.target_hash,
                Memory.source_text,
                Memory.target_text,
                Memory.origin,
            )
        )
    )
