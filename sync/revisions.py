"""Stored revisions' segments, read in bulk, and the batching their queries share.

Below the tracker, translation memory, catalogs, task views and history, which all read
the segments of (version, revision) pairs: none of them needs another to do it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from sync.db.models import Revision
from sync.db.models import Segment as SegmentRow
from sync.segments import Segment

CHUNK = 500


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_segments(
    session: Session, wanted: Iterable[tuple[int | None, int | None]]
) -> dict[tuple[int, int], tuple[Segment, ...]]:
    """Segments of (version id, revision number) pairs, in one query per chunk."""
    pairs = sorted({(v, n) for v, n in wanted if v is not None and n is not None})
    out: dict[tuple[int, int], list[Segment]] = defaultdict(list)
    for chunk in chunks(pairs, 300):
        rows = session.execute(
            select(Revision.version_id, Revision.number, SegmentRow.kind, SegmentRow.text)
            .join(SegmentRow, SegmentRow.revision_id == Revision.id)
            .where(tuple_(Revision.version_id, Revision.number).in_(list(chunk)))
            .order_by(Revision.version_id, Revision.number, SegmentRow.position)
        )
        for vid, n, kind, text in rows:
            out[(vid, n)].append(Segment(kind=kind, text=text))
    return {k: tuple(v) for k, v in out.items()}
