"""An editor's cancel sticks until the source changes: planning does not reopen the task."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from sync.db.session import transaction
from sync.people import add_user
from sync.planning import plan_tasks
from sync.queue import cancel, list_tasks
from sync.scanning import run_scan
from tests.integration.test_tracker import EN, edit_paragraph


def open_tasks(settings: Settings, key: str, lang: str) -> list[int]:
    with transaction(settings.database_url) as s:
        return [
            t.id
            for t, _ in list_tasks(
                s, post=key, lang=lang, states=("queued", "claimed", "submitted")
            )
        ]


def test_cancelled_task_is_not_replanned_until_the_source_changes(
    settings: Settings, content: Path
) -> None:
    run_scan(settings, [str(content)])
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas first.")
    run_scan(settings, [str(content)])
    (task_id,) = open_tasks(settings, "energy-security", "tr")
    with transaction(settings.database_url) as s:
        add_user(s, settings, "ed", role="editor")
        cancel(s, task_id, "ed", "a typo fix: no translation needed")
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        plan_tasks(s, settings, range(1, 100))
    assert open_tasks(settings, "energy-security", "tr") == []
    assert open_tasks(settings, "energy-security", "ru") != []  # only what was cancelled
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas, second change.")
    run_scan(settings, [str(content)])
    assert len(open_tasks(settings, "energy-security", "tr")) == 1
