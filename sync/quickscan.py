"""A rescan that finds nothing new, done with the database driver alone.

Most scheduled and hand-run scans of a content tree find every file as the last scan
recorded it. Such a scan reads each file and hashes it, and there is nothing to stage,
settle, plan or write but the scan's own record. This module does exactly that without
SQLAlchemy, the parsers or the task machinery (their imports cost more than reading a
small site), and gives up the moment anything else may have happened (a changed, new,
gone or unreadable file, a source that is not a content tree, a first scan, no database
yet): the full scan (sync.scanning) then runs from the start and sees everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sync.config import Settings
from sync.scanreport import ScanReport
from sync.sources.base import Skipped, Unchanged


def quick_rescan(
    settings: Settings, specs: Sequence[str], *, progress: Callable[[int], None] | None = None
) -> ScanReport | None:
    """The report of a scan of content trees that finds every file as recorded and none
    gone, with the scan recorded as the full scan records it; None when that is not what
    this scan is (nothing is changed then)."""
    from sync.sources import open_source
    from sync.sources.fs import ContentTree

    specs = list(specs) or list(settings.sources)
    if not specs:
        return None
    try:
        trees = [open_source(spec, settings) for spec in specs]
    except Exception:  # noqa: BLE001 - the full scan says what is wrong
        return None
    if not all(isinstance(t, ContentTree) and t.root.is_dir() for t in trees):
        return None
    from sync.matrixdb import connect

    try:
        conn, marker = connect(settings.database_url)
    except Exception:  # noqa: BLE001 - no database yet, or none this driver opens
        return None
    try:
        report = _rescan(conn, marker, trees, progress)
        if report is None:
            conn.rollback()
            return None
        conn.commit()
        return report
    except Exception as exc:  # noqa: BLE001 - anything unexpected: the full scan, from the start
        conn.rollback()
        from sync.db.session import busy

        if busy(exc):
            raise  # another process holds the database: the full scan would wait as long again
        return None
    finally:
        conn.close()


def _rescan(
    conn: Any, marker: str, trees: Sequence[Any], progress: Callable[[int], None] | None
) -> ScanReport | None:
    cur = conn.cursor()
    report = ScanReport()
    for tree in trees:
        report.sources.append(tree.uri)
        # what sync.tracker.known_hashes gives: the last version of each origin, if alive
        cur.execute(
            f"SELECT origin, raw_hash, deleted FROM versions WHERE source = {marker} ORDER BY id",
            (tree.uri,),
        )
        found = {origin: (raw_hash, bool(deleted)) for origin, raw_hash, deleted in cur}
        known = {o: h for o, (h, deleted) in found.items() if not deleted}
        if not known:
            return None  # a first scan
        seen: set[str] = set()
        for item in tree.read(known):
            if progress:
                progress(1)
            if isinstance(item, Skipped):
                report.skipped[item.reason] = report.skipped.get(item.reason, 0) + 1
            elif isinstance(item, Unchanged):
                report.files += 1
                report.unchanged += 1
                seen.add(item.origin)
            else:
                return None  # a new or changed file, a problem, a deletion
        if seen != set(known):
            return None  # a recorded file is gone
    now = dt.datetime.now(dt.UTC)
    stamp: Any = now.replace(tzinfo=None).isoformat(sep=" ") if marker == "?" else now
    for tree in trees:
        cur.execute(
            f"UPDATE source_states SET last_scan_at = {marker}, scans = scans + 1 "
            f"WHERE source = {marker}",
            (stamp, tree.uri),
        )
        if cur.rowcount != 1:
            return None  # never scanned through the full path: let it keep the record
    return report


def work_waits(settings: Settings) -> bool:
    """Whether the outbox or the notification queue holds something to publish (then the
    command's nudge runs as after any scan); True when it cannot tell."""
    from sync.matrixdb import connect

    try:
        conn, _marker = connect(settings.database_url)
    except Exception:  # noqa: BLE001
        return True
    try:
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM outbox WHERE done_at IS NULL AND published_at IS NULL LIMIT 1")
        if cur.fetchone() is not None:
            return True
        cur.execute("SELECT 1 FROM notify_queue LIMIT 1")
        return cur.fetchone() is not None
    except Exception:  # noqa: BLE001
        return True
    finally:
        conn.close()
