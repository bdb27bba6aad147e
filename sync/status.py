"""The status matrix: posts × languages, loaded in one pass and filtered in memory."""

from __future__ import annotations

import datetime as dt
import fnmatch
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from sync.config import Settings
from sync.db.models import OPEN_TASK_STATES, Post, Task, Version
from sync.state import STATES, State, translation_state


def iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 UTC with a Z: ``2026-11-28T07:00:00Z``."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class Cell:
    state: State
    version: Any | None  # a Version row (or None when missing)
    task: Any | None = None

    def words(self, source: Any | None) -> int:
        """The work in words: a source's own, a stale translation's changed and added source
        segments, a missing one's whole source; none for the rest (sync.words)."""
        if self.state is State.SOURCE:
            return self.version.words or 0
        if self.state is State.STALE:
            return self.version.stale_words or 0
        if self.state is State.MISSING and source is not None and not source.deleted:
            return source.words or 0
        return 0

    def as_dict(self, source: Any | None) -> dict[str, Any]:
        out: dict[str, Any] = {"state": str(self.state), "words": self.words(source)}
        v = self.version
        if v is not None and self.state is State.MISSING and v.stub and not v.deleted:
            out["detail"] = "stub"  # a placeholder file the site keeps: missing all the same
            out["origin"] = v.origin
        if v is not None and self.state is not State.MISSING:
            out["revision"] = v.revision
            if self.state is not State.SOURCE:
                out["based_on_revision"] = v.based_on_revision
                if self.state in (State.CURRENT, State.STALE):
                    out["baseline"] = v.baseline or "assumed"
                if self.state is State.STALE:
                    out["changed_segments"] = v.changed_segments
                    out["added_segments"] = v.added_segments
                    out["removed_segments"] = v.removed_segments
                if source is not None:
                    out["total_segments"] = source.segment_count
                if self.state is State.STALE:
                    out["stale_since"] = iso(v.stale_since)
            out["draft"] = v.draft
            out["origin"] = v.origin
        if self.task is not None:
            out["task"] = {
                "id": self.task.id,
                "state": self.task.state,
                "assignee": self.task.assignee,
            }
        return out


@dataclass(slots=True)
class Row:
    post: Any
    source: Any | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.source is not None:
            return self.source.title
        for cell in self.cells.values():
            if cell.version is not None:
                return cell.version.title
        return self.post.key

    def as_dict(self) -> dict[str, Any]:
        src = self.source
        return {
            "key": self.post.key,
            "source_lang": self.post.source_lang,
            "source_revision": src.revision if src else None,
            "source_hash": src.content_hash[:16] if src else None,
            "title": self.title,
            "draft": bool(src.draft) if src else False,
            "versions": {lang: c.as_dict(src) for lang, c in self.cells.items()},
        }


def cell_state(post: Any, lang: str, v: Any | None, src: Any | None) -> State:
    alive = v is not None and not v.deleted and not v.stub
    if lang == post.source_lang and alive:
        return State.SOURCE
    return translation_state(
        version_alive=alive,
        source_alive=src is not None and not src.deleted and not src.stub,
        based_on=v.based_on_revision if v is not None else None,
        source_revision=src.revision if src is not None else None,
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
        return [r for r in load_rows(session, settings, keys, for_update=for_update)
                if r.post.id in wanted]
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


@dataclass(frozen=True, kw_only=True)
class Filters:
    langs: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    post: str | None = None
    text: str | None = None
    translator: str | None = None
    baselines: tuple[str, ...] = ()

    def keep(self, row: Row, langs: Sequence[str]) -> bool:
        if self.post and not (
            fnmatch.fnmatchcase(row.post.key, self.post) or self.post in row.post.key
        ):
            return False
        if self.text and self.text.casefold() not in (row.post.key + " " + row.title).casefold():
            return False
        cells = [row.cells[lang] for lang in langs]
        if self.states and not any(str(c.state) in self.states for c in cells):
            return False
        if self.translator and not any(
            c.task is not None and c.task.assignee == self.translator for c in cells
        ):
            return False
        if self.baselines and not any(baseline_of(c) in self.baselines for c in cells):
            return False
        return True


BASELINES = ("recorded", "declared", "history", "assumed")


def baseline_of(cell: Cell) -> str | None:
    """How a translation's based-on revision is known; None unless it is current or stale
    (a source, a missing or an orphaned translation is judged against nothing)."""
    if cell.version is None or cell.state not in (State.CURRENT, State.STALE):
        return None
    return cell.version.baseline or "assumed"


def summarize(rows: Sequence[Row], langs: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per language: how many posts are in each state, how many translations have an
    assumed baseline (first seen with no evidence of the source they were made from), and
    the words of the missing and stale ones (``words_pending``)."""
    summary = {lang: {**{str(s): 0 for s in STATES}, "assumed": 0, "words_pending": 0}
               for lang in langs}
    for row in rows:
        for lang in langs:
            cell = row.cells[lang]
            counts = summary[lang]
            counts[str(cell.state)] += 1
            if baseline_of(cell) == "assumed":
                counts["assumed"] += 1
            if cell.state in (State.MISSING, State.STALE):
                counts["words_pending"] += cell.words(row.source)
    return summary


def status_document(
    rows: Sequence[Row],
    settings: Settings,
    filters: Filters = Filters(),
    *,
    page: int | None = None,
    per_page: int | None = None,
) -> dict[str, Any]:
    """The object `transync status --json` prints and GET /api/v1/status returns."""
    langs = [lang for lang in settings.languages if not filters.langs or lang in filters.langs]
    kept = [r for r in rows if filters.keep(r, langs)]
    shown = kept
    doc: dict[str, Any] = {"languages": list(settings.languages)}
    if page is not None and per_page is not None:
        start = (page - 1) * per_page
        shown = kept[start : start + per_page]
    posts = []
    for r in shown:
        d = r.as_dict()
        if filters.langs:
            d["versions"] = {k: v for k, v in d["versions"].items() if k in langs}
        posts.append(d)
    doc["posts"] = posts
    doc["summary"] = summarize(kept, settings.languages)
    if settings.word_rates:  # the price of the pending words, where a rate is set
        from sync.words import price

        doc["currency"] = settings.currency
        for lang, rate in settings.word_rates.items():
            doc["summary"][lang]["cost_pending"] = price(
                doc["summary"][lang]["words_pending"], rate)
    if page is not None and per_page is not None:
        doc.update(page=page, per_page=per_page, total=len(kept))
    return doc


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
        newest, running = session.execute(text(
            "SELECT (SELECT max(id) FROM events), "
            "(SELECT count(*) FROM pg_snapshot_xip(pg_current_snapshot()))")).one()
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
