"""Running a scan: open the sources, hold the per-source lock, scan and plan, all in one
transaction."""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import SourceState, utcnow
from sync.db.session import transaction
from sync.errors import ConfigError
from sync.sources import open_source
from sync.tracker import Progress, Scan, ScanReport


def source_lock_id(uri: str) -> int:
    """A stable 63-bit id for PostgreSQL advisory locks, one per source."""
    return zlib.crc32(b"transync-scan:" + uri.encode()) & 0x7FFFFFFF


def lock_sources(session: Session, uris: Sequence[str], *, wait: bool = True) -> bool:
    """Hold each source's scan lock until the transaction ends.

    PostgreSQL: transaction-level advisory locks, released on commit, rollback or a
    dropped connection, so a dead scanner never leaves a lock behind. SQLite: the
    scan's IMMEDIATE transaction already excludes every other writer.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    fn = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    for uri in sorted(uris):
        got = session.execute(text(f"SELECT {fn}(:k)"), {"k": source_lock_id(uri)}).scalar()
        if not wait and not got:
            return False
    return True


def lock_post_sources(session: Session, post_id: Any) -> None:
    """Hold the scan locks of the sources a post's versions come from (`post_id`: an id or a
    scalar subquery giving one). Whatever writes versions outside a scan (a write-back, an
    acknowledgement) takes them before any row lock, as a scan does: a scan rewrites each
    version it changes from the snapshot it loaded, so one running alongside would undo the
    other's change (a write-back's revision undone, every later scan then failing on it)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the IMMEDIATE transaction excludes every other writer already
    from sync.db.models import Version

    uris = session.execute(select(Version.source).where(Version.post_id == post_id).distinct())
    lock_sources(session, list(uris.scalars()))


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
) -> ScanReport:
    """Read the sources and apply them in the caller's transaction, then let translation
    memory learn from the translations the scan found current."""
    scan = Scan(session, settings, actor)
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
    from sync.memory import learn_many, learn_versions

    fallback: set[int] = set()
    learn_many(session, scan.memory_pairs(fallback))
    scan.spill.close()
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
) -> ScanReport | None:
    """Scan and plan in one transaction. A scheduled scan skips a source scanned (or being
    scanned) within half an interval, so two beat processes never scan twice."""
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
        report = scan_sources(session, settings, sources, actor=actor, progress=progress)
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
