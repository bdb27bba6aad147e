"""Running a scan: open the sources, hold the per-source lock, scan and plan, all in one
transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import SourceState, utcnow
from sync.db.session import lock_sources, transaction
from sync.errors import ConfigError
from sync.sources import open_source
from sync.sources.base import StreamUndone
from sync.tracker import Progress, Scan, ScanReport

log = logging.getLogger("sync.scanning")


def mark_scanned(session: Session, uris: Sequence[str], now: dt.datetime) -> None:
    for uri in uris:
        state = session.get(SourceState, uri)
        if state is None:
            state = SourceState(source=uri, scans=0)
            session.add(state)
        state.last_scan_at = now
        state.scans = (state.scans or 0) + 1
    session.flush()


def recently_scanned(session: Session, uri: str, within: dt.timedelta) -> bool:
    last = session.execute(
        select(SourceState.last_scan_at).where(SourceState.source == uri)
    ).scalar_one_or_none()
    return last is not None and utcnow() - last < within


def resolve_specs(settings: Settings, specs: Sequence[str]) -> list[str]:
    specs = list(specs) or list(settings.sources)
    if not specs:
        raise ConfigError(
            "no source to scan: name one (transync scan content/) or set TRANSYNC_SOURCES"
        )
    return specs


def scan_sources(
    session: Session,
    settings: Settings,
    sources: Sequence[Any],
    *,
    actor: str = "scan",
    progress: Progress | None = None,
    stream: bool = True,
) -> ScanReport:
    """Read the sources and apply them in the caller's transaction, then let translation
    memory learn from the translations the scan found current. ``stream``: a source that
    gives whole posts before its end (a WordPress first scan) has them written and learned
    from as it reads on (the tracker's ``Settled``); they may raise StreamUndone, after
    which the caller rolls back and scans again with ``stream=False``."""
    scan = Scan(session, settings, actor)
    if stream:
        scan.stream_learner = lambda written: learn_some(session, settings, written)
    report = scan.apply(sources, progress)
    if not report.touched_posts:  # nothing new to learn (a no-change rescan): skip the
        scan.spill.close()  # translation memory's imports (rapidfuzz and more) too
        return report
    learn_from_scan(session, settings, scan)
    return report


def learn_from_scan(session: Session, settings: Settings, scan: Scan) -> None:
    """Store the segment pairs of the scan's new current translations in translation
    memory, then close the scan's spill. Above the tracker, so that the tracker and
    translation memory never import each other."""
    learn_some(session, settings, scan)
    scan.spill.close()


def learn_some(session: Session, settings: Settings, scan: Scan) -> None:
    """Learn from what the scan has settled and not yet written off (all of it at the end;
    a part written before a source's end, as it is written)."""
    from sync.memory import learn_many, learn_versions

    fallback: set[int] = set()
    learn_many(session, scan.memory_pairs(fallback))
    if fallback:
        learn_versions(session, settings, fallback)


def run_scan(
    settings: Settings,
    specs: Sequence[str],
    *,
    actor: str = "scan",
    progress: Progress | None = None,
    plan: bool = True,
    scheduled: bool = False,
    stream: bool = True,
) -> ScanReport | None:
    """Scan and plan in one transaction. A scheduled scan skips a source scanned (or being
    scanned) within half an interval, so two beat processes never scan twice. A first scan
    of a WordPress site writes whole posts as the pages come (``stream``); should a page
    read later change one of them, the transaction is rolled back and the scan made again
    with every page read first (logged: it costs a second fetch, never a wrong record)."""
    if stream:
        counted = [0]  # what the attempt told the progress bar, taken back if it is undone

        def told(n: int) -> None:
            counted[0] += n
            if progress is not None:
                progress(n)

        try:
            return _run_scan(settings, specs, actor, told, plan, scheduled, stream=True)
        except StreamUndone as exc:
            log.warning("%s; scanning again with every page read first", exc)
            if progress is not None and counted[0]:
                progress(-counted[0])  # the bar starts again with the second read
    return _run_scan(settings, specs, actor, progress, plan, scheduled, stream=False)


def _run_scan(
    settings: Settings,
    specs: Sequence[str],
    actor: str,
    progress: Progress | None,
    plan: bool,
    scheduled: bool,
    *,
    stream: bool,
) -> ScanReport | None:
    sources: list[Any] = [open_source(s, settings) for s in resolve_specs(settings, specs)]
    for s in sources:
        if hasattr(s, "check"):
            s.check()
    uris = [s.uri for s in sources]
    with transaction(settings.database_url) as session:
        if not lock_sources(session, uris, wait=not scheduled):
            return None
        if scheduled:
            window = dt.timedelta(seconds=settings.scan_interval / 2)
            sources = [s for s in sources if not recently_scanned(session, s.uri, window)]
            if not sources:
                return None
        for s in sources:  # incremental sources (WordPress) keep a cursor per source
            if hasattr(s, "load_state"):
                s.load_state(session)
        report = scan_sources(
            session, settings, sources, actor=actor, progress=progress, stream=stream
        )
        if report.problems:  # told as scan.rejected while a webhook listens (sync.notify)
            from sync.notify.fanout import record_rejections

            record_rejections(session, settings, report, actor)
        for s in sources:
            if hasattr(s, "save_state"):
                s.save_state(session)
        if plan:
            from sync.planning import plan_tasks

            plan_tasks(session, settings, report.touched_posts, actor=actor, changed=report.revised)
        mark_scanned(
            session, [s.uri for s in sources if s.uri not in report.failed_sources], utcnow()
        )
    if settings.sqlite and report.new_revisions + report.deleted > 100:
        checkpoint(settings.database_url)
    if not settings.sqlite and report.new_revisions >= ANALYZE_AFTER:
        analyze(settings.database_url)
    return report


ANALYZE_AFTER = 1000  # new revisions (about 20 segment rows each) that make a scan ANALYZE
ANALYZED = ("posts", "versions", "revisions", "segments", "events", "tasks", "memory")


def analyze(url: str) -> None:
    """Refresh PostgreSQL's statistics of the tables a large scan filled. Without them the
    planner guesses, and after a first scan of 100,000 posts it guessed a parallel scan of
    six million segment rows for every batch of an export (measured: an export that took
    minutes per 10,000 posts). Autovacuum would analyze them eventually (or never, where
    it is off); the scan that changed the tables pays the few seconds now."""
    from sqlalchemy import text

    from sync.db.session import get_engine

    with get_engine(url).connect() as conn:
        conn.execute(text(f"ANALYZE {', '.join(ANALYZED)}"))
        conn.commit()


def checkpoint(url: str) -> None:
    """Fold SQLite's write-ahead log into the database now: the scan that wrote pays for it,
    not the next reader (a no-change rescan would otherwise checkpoint a large scan's log)."""
    from sync.db.session import get_engine

    raw = get_engine(url).raw_connection()  # outside any transaction, as the pragma needs
    try:
        raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        raw.close()
