"""Run the `transync` command with observation hooks, for tests that watch worker processes.

    python -m tests.helpers.probe worker --pool solo

behaves like ``transync worker --pool solo`` and, driven by environment variables:

- ``TRANSYNC_TEST_PROBE=FILE`` appends one JSON line per event to FILE: ``prefill-start``
  (with the task ids whose suggestions are out of date, i.e. the ones that will be computed),
  ``prefill-committed`` (after the Celery task's transaction committed), ``scan-start`` /
  ``scan-end`` around reading the sources (the scan's lock is held all along), and
  ``run-scan`` with whether the scan ran or was skipped;
- ``TRANSYNC_TEST_GATE=FILE``: pre-fill stops after it has read its tasks and their segments,
  before it looks anything up in the memory, and waits (up to 60 s) for FILE to exist, so a
  test can act while a pre-fill is mid-way;
- ``TRANSYNC_TEST_DIE_ON_EXPORT=FILE``: the first time an export is about to rename a new
  ``posts.po`` into place (its temporary file written), the worker creates FILE and kills
  itself with SIGKILL: the worst moment for an export to die;
- ``TRANSYNC_TEST_SCAN_HOLD=SECONDS``: a scan keeps its lock that much longer, which widens
  the window in which two scans of one source would overlap if the lock failed.

Nothing of transync is changed: the hooks wrap its functions and call them.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

_local = threading.local()


def emit(event: str, **fields: Any) -> None:
    path = os.environ.get("TRANSYNC_TEST_PROBE")
    if not path:
        return
    line = json.dumps({"event": event, "pid": os.getpid(), "t": time.time(), **fields})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def read_events(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def install_export_killer() -> None:
    marker = os.environ.get("TRANSYNC_TEST_DIE_ON_EXPORT")
    if not marker:
        return
    import signal

    real_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if str(dst).endswith("posts.po") and not os.path.exists(marker):
            Path(marker).touch()
            emit("export-killed")
            os.kill(os.getpid(), signal.SIGKILL)
        real_replace(src, dst, *args, **kwargs)

    os.replace = replace  # type: ignore[assignment]


def install() -> None:
    install_export_killer()
    from celery.signals import task_postrun
    from sqlalchemy import select

    import sync.memory
    import sync.scanning
    from sync.db.models import Task

    real_prefill = sync.memory.prefill
    real_matcher = sync.memory.matcher
    real_scan_sources = sync.scanning.scan_sources
    real_run_scan = sync.scanning.run_scan

    def prefill(session, settings, task_ids):  # type: ignore[no-untyped-def]
        due = sorted(
            session.execute(
                select(Task.id).where(
                    Task.id.in_(list(task_ids)),
                    Task.state.in_(("queued", "claimed")),
                    Task.prefilled_revision.is_distinct_from(Task.source_revision),
                )
            ).scalars()
        )
        _local.computing = due
        emit("prefill-start", task_ids=list(task_ids), computing=due)
        return real_prefill(session, settings, task_ids)

    def matcher(*args, **kwargs):  # type: ignore[no-untyped-def]
        gate = os.environ.get("TRANSYNC_TEST_GATE")
        if gate:
            emit("gate-wait")
            deadline = time.monotonic() + 60
            while not os.path.exists(gate) and time.monotonic() < deadline:
                time.sleep(0.05)
            emit("gate-pass")
        return real_matcher(*args, **kwargs)

    def scan_sources(*args, **kwargs):  # type: ignore[no-untyped-def]
        emit("scan-start")
        ok = False
        try:
            report = real_scan_sources(*args, **kwargs)
            time.sleep(float(os.environ.get("TRANSYNC_TEST_SCAN_HOLD", "0")))
            ok = True
            return report
        finally:
            emit("scan-end", ok=ok)

    def run_scan(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real_run_scan(*args, **kwargs)
        emit("run-scan", scheduled=kwargs.get("scheduled", False), ran=report is not None)
        return report

    def postrun(sender=None, state=None, kwargs=None, **_: Any) -> None:  # type: ignore[no-untyped-def]
        if getattr(sender, "name", "") == "transync.prefill":
            emit(
                "prefill-committed" if state == "SUCCESS" else "prefill-failed",
                computing=getattr(_local, "computing", []),
                state=state,
                outbox_id=(kwargs or {}).get("outbox_id"),
            )
            _local.computing = []

    sync.memory.prefill = prefill
    sync.memory.matcher = matcher
    sync.scanning.scan_sources = scan_sources
    sync.scanning.run_scan = run_scan
    task_postrun.connect(postrun, weak=False)


def main() -> None:
    install()
    from sync.cli import main as transync

    transync(sys.argv[1:])


if __name__ == "__main__":
    main()
