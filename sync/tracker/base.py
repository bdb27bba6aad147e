"""A scan's working state, which its reading, settling, history and writing steps share:
the session and settings, the snapshot (loaded at first use), the spill holding new
content, the events and the states before the scan changed them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from sync.analysis import analyze_document
from sync.config import Settings
from sync.db.models import utcnow
from sync.segments import Analysis
from sync.sources.base import Document
from sync.spill import Packed, Spill
from sync.state import State
from sync.tracker.rows import ScanReport, Spilled, VRow
from sync.tracker.snapshot import Snapshot, state_of


def insert_with_ids(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert rows; their new ids, in order.

    The ids are chosen first, then the rows go in one executemany of a one-row INSERT:
    an ordered INSERT … RETURNING costs a statement a row on SQLite (which does not promise
    RETURNING's order: 12,000 statements on a first scan of 6,000 posts), and on PostgreSQL
    a multi-row statement of thousands of parameters that psycopg parses anew each time
    (2.5 s of CPU on that scan). SQLite: the next ids after the table's largest (what SQLite
    itself would choose for an INTEGER PRIMARY KEY), safe because the scan's transaction
    holds the write lock (BEGIN IMMEDIATE). PostgreSQL: drawn from the id column's sequence.
    Elsewhere, INSERT … RETURNING, ordered as the rows were given.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        top = session.execute(select(func.max(table.c.id))).scalar() or 0
        ids = list(range(top + 1, top + 1 + len(rows)))
    elif dialect == "postgresql":
        drawn = text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
        )
        ids = list(session.execute(drawn, {"table": table.name, "n": len(rows)}).scalars())
    else:
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(statement, list(rows)).scalars())
    session.execute(table.insert(), [{**r, "id": i} for r, i in zip(rows, ids, strict=True)])
    return ids


def analyze(doc: Document) -> Analysis:
    if doc.analysis is not None:
        return doc.analysis
    return analyze_document(doc.title, doc.body, body_format=doc.body_format, fields=doc.fields)


class ScanBase:
    """The state of one scan inside one transaction (see ``sync.tracker.Scan``)."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        actor: str = "scan",
        keys: Sequence[str] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.actor = actor
        self.now = utcnow()
        self.report = ScanReport()
        self.keys = keys
        self._snap: Snapshot | None = None
        # (kind, post_id, lang, details): a tuple, not a row dict, until written (an initial
        # scan of 100,000 posts holds 300,000 of them)
        self.events: list[tuple[str, int | None, str | None, dict[str, Any]]] = []
        self.before: dict[tuple[int, str], State] = {}
        self.remembered: set[int] = set()
        self.spill = Spill()
        self.sources: dict[str, Any] = {}  # uri → source object, for history look-ups
        self.pending: set[str] = set()  # this scan's sources not read yet
        # documents waiting for a source read later that holds their (post, language):
        # (document, its source's uri, the version at its origin)
        self.deferred: list[tuple[Document, str, VRow | None]] = []
        # source revisions found in history and not yet recorded: (post, number) → slot
        self.historical: dict[tuple[int, int], int] = {}
        self.historical_rows: list[tuple[VRow, int, str, str, int, int, dt.datetime, str]] = []
        # a source that gives whole posts before its end (Settled): what learns translation
        # memory from each part written (the caller's: the tracker does not import the
        # memory), None where the caller writes only at the end; the posts and origins
        # written so, which nothing read later may touch (StreamUndone)
        self.stream_learner: Callable[[Any], None] | None = None
        self.streamed: set[int] = set()
        self.streamed_origins: set[str] = set()
        self.stream_existing: dict[str, VRow] | None = None  # the source's, before the scan
        # the content of a part written before a source's end, as writing read it from
        # the spill, for learning to read again (a part is a page's posts; the whole scan's
        # would be as large as the spill)
        self.contents: dict[int, Any] | None = None

    def content_of(self, v: VRow) -> Any:
        """A version's new content (:meth:`VRow.content`), read from the spill once."""
        if self.contents is not None:
            found = self.contents.get(id(v))
            if found is not None:
                return found
        return v.content()

    @property
    def snap(self) -> Snapshot:
        """Every post and version, loaded at first use: a rescan that finds every file
        unchanged never needs it (see read_source)."""
        if self._snap is None:
            self._snap = Snapshot(self.session, self.keys)
        return self._snap

    @property
    def loaded(self) -> bool:
        """Whether the snapshot was loaded; until it is, nothing can have changed."""
        return self._snap is not None

    def keep(self, doc: Document) -> Spilled:
        """Analyze a document and put its content in the spill: only metadata stays. An
        analysis a worker process packed (of this very body) goes in as it came."""
        analysis = doc.analysis
        if isinstance(analysis, Packed):
            slot = self.spill.put_packed(analysis.data)
            return Spilled(analysis.content_hash, slot, analysis.segment_count)
        analysis = analyze(doc)
        slot = self.spill.put((analysis.segments, doc.body, None, analysis.words, None))
        return Spilled(analysis.content_hash, slot, len(analysis.segments))

    def remember(self, v: VRow) -> None:
        """Note a post's states before this scan changes it, once."""
        pid = v.post_id
        if pid in self.remembered:
            return
        self.remembered.add(pid)
        for lang in self.settings.languages:
            self.before[(pid, lang)] = state_of(self.snap, pid, lang)

    def event(self, kind: str, post_id: int | None, lang: str | None, **details: Any) -> None:
        self.events.append((kind, post_id, lang, details))
        if kind in ("revision", "deleted", "restored") and post_id is not None and lang:
            self.report.revised.add((post_id, lang))
