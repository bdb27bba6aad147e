"""The status matrix loaded with SQLAlchemy: every post with its versions and open tasks in
three queries (sync.matrix holds the values), and the web's shared snapshot of it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from sync.config import Settings
from sync.db.models import OPEN_TASK_STATES, Post, Task, Version
from sync.matrix import (  # noqa: F401 - the matrix's values, re-exported for their users
    BASELINES,
    Cell,
    Filters,
    Row,
    Summary,
    baseline_of,
    cell_state,
    iso,
    status_document,
    stream_document,
    summarize,
)

LIGHT_VERSION_SKIP = ("front_matter", "date", "updated_at")


def _columns(model: Any, skip: tuple[str, ...] = ()) -> list[Any]:
    return [c for c in model.__table__.columns if c.name not in skip]


def load_rows(
    session: Session,
    settings: Settings,
    keys: Sequence[str] | None = None,
    *,
    post_ids: Collection[int] | None = None,
    for_update: bool = False,
) -> list[Row]:
    """Every post (or the ones named) with its versions and open tasks, in three queries.

    Read-only callers get light rows (plain column tuples: fast at 100,000 posts; without
    `date` and `updated_at` when every post is loaded);
    `for_update=True` gives ORM objects that the caller may change.
    """
    if post_ids is not None and len(post_ids) > 5000:
        # many ids: one pass over everything beats binding 65,535+ parameters
        wanted = set(post_ids)
        return [
            r
            for r in load_rows(session, settings, keys, for_update=for_update)
            if r.post.id in wanted
        ]
    restrict = keys is not None or post_ids is not None
    if for_update:
        post_q = select(Post)
        version_q = select(Version).options(defer(Version.front_matter))
        task_q = select(Task)
    else:
        post_q = select(Post.id, Post.key, Post.source_lang)
        # light rows of the whole matrix leave out what no reader of it uses and what costs
        # most to load at 100,000 posts: JSON documents, and datetimes (SQLite returns them
        # as text to parse); rows of named posts (a post page) have every column but those
        skip = ("front_matter",) if restrict else LIGHT_VERSION_SKIP
        version_q = select(*_columns(Version, skip))
        task_q = select(*_columns(Task, ("progress", "submission")))
    post_q = post_q.order_by(Post.key)
    if keys is not None:
        post_q = post_q.where(Post.key.in_(list(keys)))
    if post_ids is not None:
        post_q = post_q.where(Post.id.in_(list(post_ids)))
    fresh = {"populate_existing": True}
    posts = session.execute(post_q.execution_options(**fresh))
    posts = posts.scalars().all() if for_update else posts.all()
    ids = [p.id for p in posts]
    version_q = version_q.where(Version.post_id.in_(ids)) if restrict else version_q
    task_q = task_q.where(Task.state.in_(OPEN_TASK_STATES))
    task_q = task_q.where(Task.post_id.in_(ids)) if restrict else task_q
    versions: dict[int, dict[str, Any]] = {}
    result = session.execute(version_q.execution_options(**fresh))
    for v in result.scalars().all() if for_update else result.all():
        versions.setdefault(v.post_id, {})[v.lang] = v
    tasks: dict[tuple[int, str], Any] = {}
    result = session.execute(task_q.execution_options(**fresh))
    for t in result.scalars().all() if for_update else result.all():
        tasks[(t.post_id, t.lang)] = t
    rows = []
    langs = settings.languages
    for p in posts:
        vs = versions.get(p.id, {})
        src = vs.get(p.source_lang) if p.source_lang else None
        row = Row(post=p, source=src)
        for lang in langs:
            v = vs.get(lang)
            row.cells[lang] = Cell(cell_state(p, lang, v, src), v, tasks.get((p.id, lang)))
        rows.append(row)
    return rows


SNAPSHOT_TTL = 15.0  # seconds: how long a snapshot that may miss a late commit is trusted
MEMO_SIZE = 512  # derived values kept per snapshot (rendered pages, filtered documents)


class Snapshot:
    """Every row, as of the newest event id, plus values derived from them (memo)."""

    __slots__ = ("newest", "exact", "loaded_at", "rows", "_memo", "_lock")

    def __init__(self, newest: int, exact: bool, rows: list[Row]) -> None:
        self.newest = newest
        self.exact = exact
        self.loaded_at = time.monotonic()
        self.rows = rows
        self._memo: dict[Any, Any] = {}
        self._lock = threading.Lock()

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """`make()` once per snapshot and key (a racing thread may compute it twice: it is
        a pure function of the rows, so either result is right)."""
        try:
            return self._memo[key]
        except KeyError:
            pass
        value = make()
        with self._lock:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = value
        return value


_SNAPSHOTS: dict[tuple[str, tuple[str, ...]], Snapshot] = {}
_LOADING: dict[tuple[str, tuple[str, ...]], threading.Lock] = {}
_LOADING_GUARD = threading.Lock()


def newest_event(session: Session) -> tuple[int, bool]:
    """The newest event id, and whether it is exact: whether no transaction that could
    still commit an older id was running.

    Every change the matrix shows writes an event, so an unchanged newest id means an
    unchanged matrix, except for a transaction that took its event ids before and commits
    after (ids are handed out at insert, not at commit). SQLite runs one writer at a time,
    so its ids commit in order; on PostgreSQL, a transaction in progress at this moment
    (pg_snapshot_xip) could be one, and then the snapshot is trusted for SNAPSHOT_TTL only.
    """
    from sqlalchemy import func, text

    from sync.db.models import Event

    if session.get_bind().dialect.name == "postgresql":
        newest, running = session.execute(
            text(
                "SELECT (SELECT max(id) FROM events), "
                "(SELECT count(*) FROM pg_snapshot_xip(pg_current_snapshot()))"
            )
        ).one()
        return newest or 0, running == 0
    return session.execute(select(func.max(Event.id))).scalar() or 0, True


def snapshot(session: Session, settings: Settings) -> Snapshot:
    """All rows, shared between the requests of one process until the next event.

    The web serves many requests from one load instead of loading 10,000 posts per
    request (see newest_event for when a snapshot holds). One thread loads at a time:
    after a new event the others wait for it; when only the age limit passed, they go on
    with the previous snapshot meanwhile.
    """
    newest, exact = newest_event(session)
    key = (str(session.get_bind().url), tuple(settings.languages))
    cached = _SNAPSHOTS.get(key)
    same = cached is not None and cached.newest == newest
    if cached is not None and same:
        if cached.exact or time.monotonic() - cached.loaded_at < SNAPSHOT_TTL:
            return cached
    with _LOADING_GUARD:
        lock = _LOADING.setdefault(key, threading.Lock())
    if not lock.acquire(blocking=not same):
        assert cached is not None
        return cached  # another thread is refreshing it
    try:
        again = _SNAPSHOTS.get(key)
        if again is not None and again is not cached and again.newest >= newest:
            return again  # loaded by the thread this one waited for
        snap = Snapshot(newest, exact, load_rows(session, settings))
        _SNAPSHOTS[key] = snap
        return snap
    finally:
        lock.release()


def snapshot_rows(session: Session, settings: Settings) -> list[Row]:
    """The rows of `snapshot()`."""
    return snapshot(session, settings).rows
