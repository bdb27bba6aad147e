"""A scan and another writer of the same post's versions at once: a write-back (a submission)
or an editor's acknowledgement made while a scan of the source runs.

A scan rewrites each version it changes from the snapshot it loaded, so whichever of the two
commits second must have seen the other's change. On PostgreSQL (read committed) the scan's
per-source lock is what serialises them; SQLite's IMMEDIATE transactions do it by themselves.
Each case pauses a real scan after it loaded its snapshot, runs the other writer in another
thread, lets the scan finish, and checks what the next scan and the status say.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from sqlalchemy import select

from sync.config import Settings
from sync.db.models import Post, Version
from sync.db.session import transaction
from sync.history import acknowledge
from sync.submission import submit_markdown
from sync.tracker import Scan
from tests.conftest import EXAMPLES
from tests.helpers.tracking import EDITOR, add_people, assigned, cell, scan, task

pytestmark = pytest.mark.faults

ENERGY_EN = "en/posts/energy-security.md"
ENERGY_TR = "tr/posts/energy-security.md"


def demo_edit(content: Path) -> None:
    """The demo's change to energy-security's second paragraph, which
    examples/translations/energy-security.tr.md translates."""
    path = content / ENERGY_EN
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    i = next(i for i, p in enumerate(paragraphs) if p.startswith("Offshore gas"))
    paragraphs[i] = (EXAMPLES / "demo-edit.txt").read_text(encoding="utf-8").strip()
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")


def retitle(content: Path) -> None:
    path = content / ENERGY_EN
    text = path.read_text(encoding="utf-8")
    assert "Power Grids" in text
    path.write_text(text.replace("Power Grids", "Grids", 1), encoding="utf-8")


def tr_version(settings: Settings) -> tuple[int, str, int | None, str | None]:
    with transaction(settings.database_url) as s:
        row = s.execute(
            select(Version.revision, Version.raw_hash, Version.based_on_revision, Version.baseline)
            .join(Post, Post.id == Version.post_id)
            .where(Post.key == "energy-security", Version.lang == "tr")
        ).one()
    return row[0], row[1], row[2], row[3]


class PausedScan:
    """A scan in a thread, stopped after loading its snapshot (before settling) until
    `finish` lets it go on."""

    def __init__(self, settings: Settings, content: Path) -> None:
        self.paused, self.go = threading.Event(), threading.Event()
        self.errors: list[BaseException] = []
        real_settle = Scan.settle

        def settle(scan_: Scan, *args: Any, **kw: Any) -> Any:
            if threading.current_thread() is self.thread and not self.paused.is_set():
                self.paused.set()
                assert self.go.wait(60)
            return real_settle(scan_, *args, **kw)

        def run() -> None:
            try:
                scan(settings, content)
            except BaseException as exc:  # noqa: BLE001 - raised by finish()
                self.errors.append(exc)

        self.patch = mock.patch.object(Scan, "settle", settle)
        self.patch.start()
        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.paused.wait(60), "the scan never got to settling"

    def finish(self) -> None:
        self.go.set()
        self.thread.join(60)
        self.patch.stop()
        assert not self.thread.is_alive()
        if self.errors:
            raise self.errors[0]


def alongside(paused: PausedScan, work: Callable[[], Any]) -> Any:
    """Run `work` in a thread while the scan is paused; give it two seconds (it waits for the
    scan, or not), then let the scan finish and return what `work` returned."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(2)
    try:
        paused.finish()
    finally:
        thread.join(60)
    assert not thread.is_alive()
    if errors:
        raise errors[0]
    return result[0]


def test_a_write_back_during_a_scan_is_kept_and_the_next_scan_works(
    settings: Settings, content: Path
) -> None:
    scan(settings, content)
    add_people(settings)
    demo_edit(content)
    scan(settings, content)
    task_id = assigned(settings, "energy-security", "tr", "ayse")
    retitle(content)  # the source changes again: the scan will rewrite tr's row (now stale)

    paused = PausedScan(settings, content)
    data = (EXAMPLES / "translations" / "energy-security.tr.md").read_bytes()

    def submit() -> dict[str, Any]:
        with transaction(settings.database_url) as s:
            return submit_markdown(s, settings, task_id, "ayse", "energy-security.tr.md", data)

    result = alongside(paused, submit)
    assert result["state"] == "done", result

    written = hashlib.sha256((content / ENERGY_TR).read_bytes()).hexdigest()
    revision, raw_hash, based_on, baseline = tr_version(settings)
    assert (raw_hash, revision, based_on, baseline) == (written, 2, 2, "recorded")
    report = scan(settings, content)  # failed on the revision the paused scan undid
    assert report.new_revisions == 0 and not report.problems
    tr = cell(settings, "energy-security", "tr")
    assert (tr["state"], tr["based_on_revision"], tr["changed_segments"]) == ("stale", 2, 1), tr
    assert task(settings, task_id)["state"] == "done"


def test_an_acknowledgement_during_a_scan_is_kept(settings: Settings, content: Path) -> None:
    scan(settings, content)
    add_people(settings)
    demo_edit(content)
    scan(settings, content)
    assert cell(settings, "energy-security", "tr")["based_on_revision"] == 1
    retitle(content)  # the source changes again while the editor acknowledges r2

    paused = PausedScan(settings, content)

    def ack() -> list[dict[str, Any]]:
        with transaction(settings.database_url) as s:
            return acknowledge(s, settings, "energy-security", "tr", EDITOR)

    assert alongside(paused, ack)[0]["based_on_revision"] in (2, 3)
    tr = cell(settings, "energy-security", "tr")
    if tr["based_on_revision"] == 2:  # acknowledged before the scan: stale by the new title
        assert (tr["state"], tr["changed_segments"], tr["baseline"]) == ("stale", 1, "recorded")
    else:  # after it: the title change was acknowledged too
        assert (tr["state"], tr["baseline"]) == ("current", "recorded"), tr
