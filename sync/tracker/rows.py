"""What a scan works with: its report, the versions it changes in memory (``VRow``), and
the analysis of a document whose content it has spilled (``Spilled``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.scanreport import ScanReport  # noqa: F401 - re-exported: the scan's report
from sync.segments import Segment
from sync.spill import Spill

#: A new revision's content, as the spill keeps it (see sync.spill).
Content = tuple[
    tuple[Segment, ...],
    str,
    Sequence[str | None] | None,
    Sequence[int] | None,
    Sequence[str] | None,
]


@dataclass(eq=False, slots=True)  # tens of thousands per scan: no __dict__ each
class VRow:
    """A version as the scan sees it: loaded from the snapshot or new, changed in memory.

    The fields up to ``declared_hash`` are VERSION_COLUMNS and declared_source_hash, in that
    order: the snapshot builds rows positionally (checked below the class).
    """

    id: int | None
    post_id: int
    lang: str
    source: str
    origin: str
    title: str = ""
    draft: bool = False
    deleted: bool = False
    revision: int = 0
    content_hash: str = ""
    raw_hash: str = ""
    segment_count: int = 0
    date: dt.datetime | None = None
    declared_source_lang: str | None = None
    priority: int = 0
    due: dt.date | None = None
    external_id: str | None = None
    based_on_revision: int | None = None
    stale_since: dt.datetime | None = None
    changed_segments: int = 0
    added_segments: int = 0
    removed_segments: int = 0
    baseline: str | None = None
    stub: bool = False
    stale_words: int = 0  # a stale translation's work: source words changed and added
    declared_hash: str | None = None  # the source_hash the file declares (column above)
    front_matter: dict[str, Any] | None = None  # not in the snapshot; set when a file is read
    # scan-local
    dirty: bool = False
    declared_source_hash: str | None = None
    first_seen: bool = False
    forced_baseline: str | None = None  # write-back: the task recorded what it was made from
    body_format: str = "markdown"
    spill: Spill | None = field(default=None, repr=False)  # where a new revision's content is
    slot: int = -1

    @property
    def alive(self) -> bool:
        return not self.deleted and self.revision > 0

    @property
    def live(self) -> bool:
        """Alive and not a stub: a version that counts (a stub translation is missing)."""
        return not self.deleted and self.revision > 0 and not self.stub

    def content(self) -> Content | None:
        """(segments, body, source texts, words of each segment if counted, memory hash of
        each if made) of the new revision this scan made, if any (sync.spill)."""
        return None if self.spill is None else self.spill.get(self.slot)

    @property
    def new_segments(self) -> tuple[Segment, ...] | None:
        content = self.content()
        return None if content is None else content[0]

    @property
    def revised(self) -> bool:
        return self.spill is not None


@dataclass(frozen=True, slots=True)
class Spilled:
    """A document's analysis, its content kept in the scan's spill (Document.analysis)."""

    content_hash: str
    slot: int
    segment_count: int

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]


VERSION_COLUMNS = (
    "id post_id lang source origin title draft deleted revision content_hash raw_hash "
    "segment_count date declared_source_lang priority due external_id "
    "based_on_revision stale_since changed_segments added_segments removed_segments "
    "baseline stub stale_words"
).split()
if [f.name for f in dataclasses.fields(VRow)][: len(VERSION_COLUMNS) + 1] != [
    *VERSION_COLUMNS,
    "declared_hash",
]:
    raise AssertionError("VRow's first fields must be VERSION_COLUMNS, then declared_hash")
