"""Adding many memory pairs at once, for a TMX import: the rows go straight to the driver.

A row is ``(source_lang, target_lang, source_hash, target_hash, source_text, target_text,
origin, updated_at)``, in the order the file gives them. A pair already in the memory, or
given twice, is kept as it first came (``ON CONFLICT DO NOTHING``), and :meth:`finish`
says how many rows each language pair added.

- PostgreSQL: the rows are copied (``COPY … FROM STDIN``) into a temporary table while
  the file is read, so the server parses them on its own core, and one
  ``INSERT … SELECT … ORDER BY … ON CONFLICT DO NOTHING`` adds them at the end. Nothing
  reaches the memory table before the whole file has been read and checked.
- SQLite: batches of :data:`BATCH` rows through the driver's ``executemany``, one per
  language pair (its row count is what the pair added).

Both write inside the caller's transaction, on the session's own connection: its
rollback undoes everything.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from sync.db.models import Memory

__all__ = ["BATCH", "Row", "open_writer"]

BATCH = 5_000
COLUMNS = (
    "source_lang",
    "target_lang",
    "source_hash",
    "target_hash",
    "source_text",
    "target_text",
    "origin",
    "updated_at",
)
STAGING = "transync_tmx_import"
# COPY's text format: a backslash and the separators are escaped (a normalized text has no
# tab or line break, but an origin may); the language codes and hashes never need it
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
Row = tuple[str, str, str, str, str, str, str, dt.datetime]
Pair = tuple[str, str]


class Writer:
    """Rows in, counts per language pair out."""

    def add(self, row: Row) -> None:
        raise NotImplementedError

    def finish(self) -> dict[Pair, int]:
        """Add what was given; rows added per (source, target) language pair."""
        raise NotImplementedError

    def discard(self) -> None:
        """Add nothing more (the file was refused): on PostgreSQL nothing was added, on
        SQLite the batches already written wait for the caller's rollback."""
        raise NotImplementedError


def open_writer(session: Session) -> Writer:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        return _CopyWriter(connection)
    return _BatchWriter(connection)


class _CopyWriter(Writer):
    def __init__(self, connection: Connection) -> None:
        raw = connection.connection.driver_connection
        self.cursor = raw.cursor()  # type: ignore[union-attr]
        self.cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{STAGING}")
        self.cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} (seq bigint, source_lang text, "
            "target_lang text, source_hash text, target_hash text, source_text text, "
            "target_text text, origin text, updated_at timestamptz) ON COMMIT DROP"
        )
        self._copy: AbstractContextManager[Any] | None = self.cursor.copy(
            f"COPY {STAGING} (seq, {', '.join(COLUMNS)}) FROM STDIN"
        )
        self._write: Callable[[str], None] = self._copy.__enter__().write
        self.lines: list[str] = []  # COPY's text format, written 2,000 rows at a time
        self.dates: dict[dt.datetime, str] = {}
        self.n = 0

    def add(self, row: Row) -> None:
        sl, tl, sh, th, source, target, origin, when = row
        date = self.dates.get(when)
        if date is None:
            if len(self.dates) > 10_000:
                self.dates.clear()
            date = self.dates[when] = when.isoformat()
        self.n += 1
        escape = _COPY_SPECIAL.search
        self.lines.append(
            f"{self.n}\t{sl}\t{tl}\t{sh}\t{th}\t"
            f"{source if escape(source) is None else source.translate(_COPY_ESCAPES)}\t"
            f"{target if escape(target) is None else target.translate(_COPY_ESCAPES)}\t"
            f"{origin if escape(origin) is None else origin.translate(_COPY_ESCAPES)}\t"
            f"{date}\n"
        )
        if len(self.lines) >= 2_000:
            self._write("".join(self.lines))
            self.lines.clear()

    def _end_copy(self) -> None:
        if self._copy is not None:
            if self.lines:
                self._write("".join(self.lines))
                self.lines.clear()
            copy, self._copy = self._copy, None
            copy.__exit__(None, None, None)

    def finish(self) -> dict[Pair, int]:
        self._end_copy()
        columns = ", ".join(COLUMNS)
        found = self.cursor.execute(
            f"WITH added AS (INSERT INTO {Memory.__tablename__} ({columns}) "
            f"SELECT {columns} FROM {STAGING} ORDER BY seq "
            "ON CONFLICT (source_lang, target_lang, source_hash, target_hash) DO NOTHING "
            "RETURNING source_lang, target_lang) "
            "SELECT source_lang, target_lang, count(*) FROM added "
            "GROUP BY source_lang, target_lang"
        ).fetchall()
        self.cursor.execute(f"DROP TABLE {STAGING}")
        self.cursor.close()
        return {(sl, tl): n for sl, tl, n in found}

    def discard(self) -> None:
        self._end_copy()
        self.cursor.execute(f"DROP TABLE {STAGING}")
        self.cursor.close()


class _BatchWriter(Writer):
    def __init__(self, connection: Connection) -> None:
        self.cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        column = Memory.__table__.c.updated_at
        self._date: Callable[[Any], Any] = column.type.dialect_impl(
            connection.dialect
        ).bind_processor(connection.dialect) or (lambda v: v)
        self._dates: dict[dt.datetime, Any] = {}
        self.statement = (
            f"INSERT INTO {Memory.__tablename__} ({', '.join(COLUMNS)}) VALUES "
            f"({', '.join('?' * len(COLUMNS))}) ON CONFLICT DO NOTHING"
        )
        self.pending: dict[Pair, list[tuple[Any, ...]]] = {}
        self.size = 0
        self.added: dict[Pair, int] = {}

    def add(self, row: Row) -> None:
        changed = row[7]
        stored = self._dates.get(changed)
        if stored is None:
            if len(self._dates) > 10_000:
                self._dates.clear()
            stored = self._dates[changed] = self._date(changed)
        pair = (row[0], row[1])
        rows = self.pending.get(pair)
        if rows is None:
            rows = self.pending[pair] = []
        rows.append((*row[:7], stored))
        self.size += 1
        if self.size >= BATCH:
            self._flush()

    def _flush(self) -> None:
        for pair, rows in self.pending.items():
            self.cursor.executemany(self.statement, rows)
            if self.cursor.rowcount > 0:
                self.added[pair] = self.added.get(pair, 0) + self.cursor.rowcount
        self.pending.clear()
        self.size = 0

    def finish(self) -> dict[Pair, int]:
        self._flush()
        self.cursor.close()
        return self.added

    def discard(self) -> None:
        self.pending.clear()
        self.cursor.close()
