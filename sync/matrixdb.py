"""The status matrix read with the database driver alone: every post with its versions and
open tasks, a few hundred posts at a time, in key order.

`transync status` starts in a fraction of the time SQLAlchemy takes to import, and a
document of 100,000 posts is written while it is read, never held whole. The rows are
the same as sync.status.load_rows gives (a test compares them); the values are
converted as SQLAlchemy's types would (booleans, aware UTC datetimes).
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sync.config import Settings
from sync.matrix import Cell, Row, cell_state

#: Version columns the matrix reads (the light rows of sync.status leave out the same).
VERSION_COLUMNS = (
    "id",
    "post_id",
    "lang",
    "source",
    "origin",
    "external_id",
    "title",
    "draft",
    "deleted",
    "revision",
    "content_hash",
    "raw_hash",
    "segment_count",
    "declared_source_lang",
    "declared_source_hash",
    "priority",
    "due",
    "based_on_revision",
    "stale_since",
    "changed_segments",
    "added_segments",
    "removed_segments",
    "baseline",
    "stub",
    "words",
    "stale_words",
)
TASK_COLUMNS = ("id", "post_id", "lang", "state", "assignee")
OPEN_STATES = ("queued", "claimed", "submitted", "conflict")
_BOOLEANS = ("draft", "deleted", "stub")

PostRow = namedtuple("PostRow", ("id", "key", "source_lang"))
VersionRow = namedtuple("VersionRow", VERSION_COLUMNS)  # type: ignore[misc]
TaskRow = namedtuple("TaskRow", TASK_COLUMNS)  # type: ignore[misc]


def connect(url: str) -> tuple[Any, str]:
    """A DB-API connection for a transync database URL, and its parameter marker."""
    if url.startswith("sqlite"):
        import sqlite3

        import sync.db

        path = url.split(":///", 1)[1].split("?", 1)[0] if ":///" in url else ":memory:"
        if path != ":memory:" and not Path(path).expanduser().is_file():
            raise FileNotFoundError(path)  # never create an empty database by reading
        return sqlite3.connect(str(Path(path).expanduser()), timeout=sync.db.BUSY_SECONDS), "?"
    import psycopg

    dsn = "postgresql://" + url.split("://", 1)[1]
    return psycopg.connect(dsn), "%s"


def _utc(value: Any) -> dt.datetime | None:
    """A stored time as an aware UTC datetime (SQLite keeps them as naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def iter_rows(conn: Any, marker: str, settings: Settings, *, batch: int = 500) -> Iterator[Row]:
    """Every post's row, in key order, `batch` posts per round of queries."""
    cur = conn.cursor()
    last: str | None = None
    langs = settings.languages
    states = ", ".join([marker] * len(OPEN_STATES))
    while True:
        if last is None:
            cur.execute(f"SELECT id, key, source_lang FROM posts ORDER BY key LIMIT {batch}")
        else:
            cur.execute(
                f"SELECT id, key, source_lang FROM posts WHERE key > {marker} "
                f"ORDER BY key LIMIT {batch}",
                (last,),
            )
        posts = [PostRow(*r) for r in cur.fetchall()]
        if not posts:
            return
        last = posts[-1].key
        ids = [p.id for p in posts]
        marks = ", ".join([marker] * len(ids))
        versions: dict[int, dict[str, Any]] = {}
        cur.execute(
            f"SELECT {', '.join(VERSION_COLUMNS)} FROM versions WHERE post_id IN ({marks})", ids
        )
        draft, deleted, stub = (VERSION_COLUMNS.index(c) for c in _BOOLEANS)
        since, due = VERSION_COLUMNS.index("stale_since"), VERSION_COLUMNS.index("due")
        for r in cur.fetchall():
            values = list(r)
            values[draft], values[deleted] = bool(values[draft]), bool(values[deleted])
            values[stub] = bool(values[stub])
            values[since], values[due] = _utc(values[since]), _date(values[due])
            v = VersionRow(*values)
            versions.setdefault(v.post_id, {})[v.lang] = v
        tasks: dict[tuple[int, str], Any] = {}
        cur.execute(
            f"SELECT {', '.join(TASK_COLUMNS)} FROM tasks WHERE state IN ({states}) "
            f"AND post_id IN ({marks})",
            [*OPEN_STATES, *ids],
        )
        for r in cur.fetchall():
            t = TaskRow(*r)
            tasks[(t.post_id, t.lang)] = t
        for p in posts:
            vs = versions.get(p.id, {})
            src = vs.get(p.source_lang) if p.source_lang else None
            row = Row(post=p, source=src)
            for lang in langs:
                v = vs.get(lang)
                row.cells[lang] = Cell(cell_state(p, lang, v, src), v, tasks.get((p.id, lang)))
            yield row
        if len(posts) < batch:
            return
