"""A write-back stopped between writing the file and committing (the process killed, the
machine restarted): the file holds the translation, the database does not know it.

Submitting again finds on disk the very file it writes: that is no hand edit, and the task
is done, not in conflict (and the file is not "a file that appeared since the last scan").
A scan before the retry reads the file as the translation it is: current, from its
`source_hash`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.submission import submit_markdown
from sync.writeback import write_file
from tests.conftest import EXAMPLES
from tests.helpers.tracking import add_people, assigned, cell, scan, task

pytestmark = pytest.mark.faults


class Killed(BaseException):
    """The process died here."""


def demo_edit(content: Path) -> None:
    """The demo's change to energy-security's second paragraph, which
    examples/translations/energy-security.tr.md translates."""
    path = content / "en/posts/energy-security.md"
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    i = next(i for i, p in enumerate(paragraphs) if p.startswith("Offshore gas"))
    paragraphs[i] = (EXAMPLES / "demo-edit.txt").read_text(encoding="utf-8").strip()
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")


def submit(settings: Settings, task_id: int, key: str) -> dict[str, Any]:
    data = (EXAMPLES / "translations" / f"{key}.tr.md").read_bytes()
    with transaction(settings.database_url) as s:
        return submit_markdown(s, settings, task_id, "ayse", f"{key}.tr.md", data)


def killed_after_writing(settings: Settings, task_id: int, key: str) -> None:
    def write_then_die(*args: Any, **kwargs: Any) -> None:
        write_file(*args, **kwargs)
        raise Killed

    with mock.patch("sync.writeback.write_file", write_then_die), pytest.raises(Killed):
        submit(settings, task_id, key)


@pytest.mark.parametrize("key", ["energy-security", "digital-public-services"])
def test_submitting_again_after_a_killed_write_back_finishes_the_task(
    settings: Settings, content: Path, key: str
) -> None:
    scan(settings, content)
    add_people(settings)
    demo_edit(content)  # energy-security [tr] is stale; digital-public-services [tr] missing
    scan(settings, content)
    task_id = assigned(settings, key, "tr", "ayse")
    target = content / "tr/posts" / f"{key}.md"
    before = target.read_bytes() if target.exists() else None

    killed_after_writing(settings, task_id, key)
    written = target.read_bytes()
    assert written != before
    assert task(settings, task_id)["state"] == "claimed"  # nothing of it committed

    result = submit(settings, task_id, key)
    assert result["state"] == "done", result
    assert target.read_bytes() == written
    tr = cell(settings, key, "tr")
    assert (tr["state"], tr["baseline"]) == ("current", "recorded"), tr
    assert scan(settings, content).new_revisions == 0


def test_a_scan_after_a_killed_write_back_reads_the_translation(
    settings: Settings, content: Path
) -> None:
    scan(settings, content)
    add_people(settings)
    demo_edit(content)
    scan(settings, content)
    task_id = assigned(settings, "energy-security", "tr", "ayse")
    killed_after_writing(settings, task_id, "energy-security")

    scan(settings, content)
    tr = cell(settings, "energy-security", "tr")
    assert (tr["state"], tr["based_on_revision"], tr["baseline"]) == ("current", 2, "declared")
