"""The tracker: applies what sources read to posts, versions, revisions and segments.

A scan loads a snapshot of every version in one query, computes in memory, and
writes back in bulk inside the caller's transaction: if it dies, nothing of it
is applied. Files whose bytes hash as recorded are not even parsed.

The scan is split by step: ``rows`` (the report and the in-memory version rows),
``snapshot`` (loading it and deriving states), ``base`` (the scan's shared state),
``reading``, ``history``, ``settling`` and ``writing``, composed in ``scan``. Reading
stored segments is :mod:`sync.revisions`' (below the tracker); learning from a scan is
:mod:`sync.scanning`'s (above it).
"""

from __future__ import annotations

from sync.revisions import CHUNK, chunks, load_segments
from sync.tracker.base import analyze
from sync.tracker.history import HISTORY_BATCH
from sync.tracker.reading import MAX_ORIGIN, MAX_TITLE, Progress, is_stub, unstorable
from sync.tracker.rows import VERSION_COLUMNS, ScanReport, Spilled, VRow
from sync.tracker.scan import Scan
from sync.tracker.snapshot import (
    Snapshot,
    choose_source_lang,
    known_hashes,
    source_version,
    state_of,
)
from sync.tracker.writing import (
    SEGMENT_FIELDS,
    VERSION_CHUNK,
    WRITE_BYTES,
    content_chunks,
    segment_inserter,
)

__all__ = [
    "CHUNK",
    "HISTORY_BATCH",
    "MAX_ORIGIN",
    "MAX_TITLE",
    "SEGMENT_FIELDS",
    "VERSION_CHUNK",
    "VERSION_COLUMNS",
    "WRITE_BYTES",
    "Progress",
    "Scan",
    "ScanReport",
    "Snapshot",
    "Spilled",
    "VRow",
    "analyze",
    "choose_source_lang",
    "chunks",
    "content_chunks",
    "is_stub",
    "known_hashes",
    "load_segments",
    "segment_inserter",
    "source_version",
    "state_of",
    "unstorable",
]
