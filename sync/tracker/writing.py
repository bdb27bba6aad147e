"""Writing what a scan changed, in bulk: dirty versions, new revisions with their segments
(batches bounded in bytes), revisions found in history, and the events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session

from sync.db.models import Event, Revision, Version, utcnow
from sync.db.models import Segment as SegmentRow
from sync.db.session import copy_rows
from sync.revisions import CHUNK, chunks
from sync.tracker.base import ScanBase, insert_with_ids
from sync.tracker.rows import VERSION_COLUMNS, ScanReport, VRow
from sync.tracker.snapshot import source_version, state_of
from sync.words import count_words

#: Content (pickled bytes) in one batch of new revisions and their segments.
WRITE_BYTES = 2 << 20
#: Version rows in one statement: 25 columns each, one bind parameter per value (a batch of
#: 500 made the scan's peak memory, in the driver's query conversion).
VERSION_CHUNK = 100


class Writing(ScanBase):
    """A scan's writing step: the snapshot's changes to the database."""

    def write(self, part: set[int] | None = None) -> ScanReport:
        """Write every dirty version, new revisions with their segments, and the events.
        ``part``: the posts of a part written before a source's end, which hold every
        version it changed (the rest of the snapshot is not gone through)."""
        if part is None:
            dirty = [v for v in self.snap.versions.values() if v.dirty]
        else:
            held = self.snap.versions_of(sorted(part)).values()
            dirty = [v for vs in held for v in vs if v.dirty]
        new = [v for v in dirty if v.id is None]
        old = [v for v in dirty if v.id is not None]
        versions = Version.__table__
        for chunk in chunks(new, VERSION_CHUNK):
            ids = insert_with_ids(self.session, versions, [self.version_values(v) for v in chunk])
            for v, vid in zip(chunk, ids, strict=True):
                v.id = vid
        by_id = versions.update().where(versions.c.id == bindparam("_id"))
        for read in (True, False):  # versions whose file was read also update front matter
            group = [v for v in old if (v.front_matter is not None) is read]
            for chunk in chunks(group, VERSION_CHUNK):
                self.session.execute(
                    by_id, [{"_id": v.id, **self.version_values(v)} for v in chunk]
                )
        revised = [v for v in dirty if v.revised]
        insert_segments = segment_inserter(self.session)
        for chunk in content_chunks(revised):  # bounded in bytes, not only in rows
            src_rev = {}
            for v in chunk:
                src = source_version(self.snap, v.post_id)
                src_rev[v.id] = v.based_on_revision if src is not v else None
            contents = [v.content() for v in chunk]  # once each: a spilled one is unpickled
            if self.contents is not None:  # a part written before the source's end
                self.contents.update((id(v), c) for v, c in zip(chunk, contents, strict=True))
            revisions = Revision.__table__
            rev_ids = insert_with_ids(
                self.session,
                revisions,
                [
                    {
                        "version_id": v.id,
                        "number": v.revision,
                        "content_hash": v.content_hash,
                        "title": v.title,
                        "body": content[1],  # type: ignore[index]
                        "body_format": v.body_format,
                        "segment_count": v.segment_count,
                        "source_revision": src_rev[v.id],
                        "created_at": self.now,
                    }
                    for v, content in zip(chunk, contents, strict=True)
                ],
            )
            rows: list[tuple[int, int, str, str, str | None]] = []
            counted: list[int | None] = []
            words = dict.fromkeys(rev_ids, 0)
            for content, rid in zip(contents, rev_ids, strict=True):
                segments, _body, texts, known, _hashes = content  # type: ignore[misc]
                if texts:
                    n = len(texts)
                    rows.extend(
                        (rid, pos, s.kind, s.text, texts[pos] if pos < n else None)
                        for pos, s in enumerate(segments)
                    )
                else:
                    rows.extend((rid, pos, s.kind, s.text, None) for pos, s in enumerate(segments))
                if known is not None and len(known) == len(segments):
                    counted.extend(known)
                else:
                    counted.extend([None] * len(segments))
            if rows:
                for row, n in zip(rows, insert_segments(rows, counted), strict=True):
                    words[row[0]] += n
            self.session.execute(
                by_id.values(words=bindparam("_words")),
                [
                    {"_id": v.id, "_words": words[rid]}
                    for v, rid in zip(chunk, rev_ids, strict=True)
                ],
            )
        self.write_historical(insert_segments)
        self.state_events()
        if self.events:
            for chunk in chunks(self.events, 2000):
                self.session.execute(
                    Event.__table__.insert(),
                    [
                        {
                            "at": self.now,
                            "actor": self.actor,
                            "kind": kind,
                            "post_id": post_id,
                            "lang": lang,
                            "details": details,
                        }
                        for kind, post_id, lang, details in chunk
                    ],
                )
        return self.report

    def written(self, part: set[int] | None = None) -> None:
        """Forget what this scan wrote, so that more can be staged and written in the same
        transaction (write-back records a hand edit, then the translation over it; a part
        written before a source's end, whose ``part`` posts hold every version it changed)."""
        if part is None:
            versions: Iterable[VRow] = self.snap.versions.values()
        else:
            versions = [v for vs in self.snap.versions_of(part).values() for v in vs]
        for v in versions:
            if v.dirty or v.spill is not None:
                v.dirty, v.spill, v.first_seen, v.forced_baseline = False, None, False, None
        self.events.clear()
        self.before.clear()
        self.remembered.clear()
        self.historical.clear()
        self.historical_rows.clear()
        self.report.touched_posts.clear()

    def write_historical(
        self, insert_segments: Callable[[SegmentRows, Sequence[int | None] | None], Any]
    ) -> None:
        """Source revisions found in git history: rows and segments like any revision."""
        revisions = Revision.__table__
        for chunk in chunks(self.historical_rows, 200):
            contents = [self.spill.get(row[4]) for row in chunk]
            ids = insert_with_ids(
                self.session,
                revisions,
                [
                    {
                        "version_id": src.id,
                        "number": number,
                        "content_hash": h,
                        "title": title,
                        "body": content[1],
                        "body_format": body_format,
                        "segment_count": count,
                        "source_revision": None,
                        "created_at": when,
                    }
                    for (src, number, h, title, _slot, count, when, body_format), content in zip(
                        chunk, contents, strict=True
                    )
                ],
            )
            rows: list[tuple[int, int, str, str, str | None]] = []
            for content, rid in zip(contents, ids, strict=True):
                rows.extend(
                    (rid, pos, seg.kind, seg.text, None) for pos, seg in enumerate(content[0])
                )
            if rows:
                insert_segments(rows, None)

    def state_events(self) -> None:
        for (pid, lang), before in sorted(self.before.items()):
            after = state_of(self.snap, pid, lang)
            if after != before:
                self.report.state_changes += 1
                self.event("state", pid, lang, previous=str(before), state=str(after))

    @staticmethod
    def version_values(v: VRow) -> dict[str, Any]:
        values = {c: getattr(v, c) for c in VERSION_COLUMNS if c != "id"}
        values["declared_source_hash"] = v.declared_hash
        if v.front_matter is not None:
            values["front_matter"] = v.front_matter
        elif v.id is None:
            values["front_matter"] = {}
        values["updated_at"] = utcnow()
        return values


SEGMENT_FIELDS = ("revision_id", "position", "kind", "text", "source_text", "words")


#: Segment rows as the writers give them: revision id, position, kind, text, source text.
SegmentRows = Sequence[tuple[int, int, str, str, str | None]]


def segment_inserter(
    session: Session,
) -> Callable[[SegmentRows, Sequence[int | None] | None], list[int]]:
    """A function inserting segment rows given as tuples in SEGMENT_FIELDS order, but for
    the words: those given (counted where the segments were made), the others counted here
    (sync.words); the words of every row are returned.

    A scan inserts about twenty segments per new revision. On SQLite they go straight to the
    driver's executemany (plain ints and strs: no type needs SQLAlchemy's bind processing),
    which skips SQLAlchemy's per-row parameter building, several times the cost of the
    insert itself. On PostgreSQL with psycopg they are copied (``copy_rows``); other drivers
    keep the Core insert (batched multi-row VALUES).
    """

    def counted(rows: SegmentRows, words: Sequence[int | None] | None) -> list[int]:
        if words is None:
            return [count_words(r[3]) for r in rows]
        return [count_words(r[3]) if n is None else n for r, n in zip(rows, words, strict=True)]

    dialect = session.get_bind().dialect
    if dialect.name == "sqlite":
        sql = (
            f"INSERT INTO {SegmentRow.__tablename__} ({', '.join(SEGMENT_FIELDS)}) "
            f"VALUES ({', '.join('?' * len(SEGMENT_FIELDS))})"
        )
        connection = session.connection()

        def insert_raw(rows: SegmentRows, given: Sequence[int | None] | None = None) -> list[int]:
            words = counted(rows, given)
            connection.exec_driver_sql(sql, [(*r, n) for r, n in zip(rows, words, strict=True)])
            return words

        return insert_raw
    statement = SegmentRow.__table__.insert()

    def insert_core(rows: SegmentRows, given: Sequence[int | None] | None = None) -> list[int]:
        words = counted(rows, given)
        added = ((*r, n) for r, n in zip(rows, words, strict=True))
        if copy_rows(session, SegmentRow.__tablename__, SEGMENT_FIELDS, added):
            return words
        session.execute(
            statement,
            [
                dict(zip(SEGMENT_FIELDS, (*r, n), strict=True))
                for r, n in zip(rows, words, strict=True)
            ],
        )
        return words

    return insert_core


def content_chunks(
    versions: Sequence[VRow], size: int = CHUNK, budget: int = WRITE_BYTES
) -> Iterator[Sequence[VRow]]:
    """Revised versions in batches of at most `size` whose content (its pickled size in the
    spill) is at most about `budget` bytes: a batch's rows, bodies and segments are all in
    memory at once, whether posts are a few kilobytes or several megabytes."""
    start = weight = 0
    for i, v in enumerate(versions):
        w = v.spill.size(v.slot) if v.spill is not None else 0
        if i > start and (i - start >= size or weight + w > budget):
            yield versions[start:i]
            start, weight = i, 0
        weight += w
    if start < len(versions):
        yield versions[start:]
