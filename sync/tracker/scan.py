"""The scan: reading, settling and writing composed, and what the scan's new content
teaches translation memory (the learning itself is :mod:`sync.scanning`'s, above)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sync.segments import Segment, align_certain
from sync.state import State
from sync.text import memory_hash
from sync.tracker.reading import Progress, Reading
from sync.tracker.rows import Content, ScanReport
from sync.tracker.settling import Settling
from sync.tracker.snapshot import source_version, state_of
from sync.tracker.writing import Writing


class Scan(Reading, Settling, Writing):
    """One scan of some sources inside one transaction."""

    def apply(self, sources: Sequence[Any], progress: Progress | None = None) -> ScanReport:
        """Read the sources, then settle and write what they changed, in the caller's
        transaction. The spill stays open (``memory_pairs`` reads it): the caller closes it."""
        self.pending = {s.uri for s in sources}
        for source in sources:
            self.read_source(source, progress)
        self.take_deferred()
        if not self.loaded:  # every file unchanged: nothing staged, nothing to settle or write
            return self.report
        self.settle()
        report = self.write()
        report.touched_posts |= self.streamed  # written before (and learned from already)
        return report

    def memory_pairs(
        self, fallback: set[int]
    ) -> Iterator[tuple[tuple[str, str], tuple[str, str, str, str, str]]]:
        """Translation-memory pairs from this scan's new content: (source, translation)
        segments of every current translation that got a new revision or a new based-on,
        as (source text, translation text, origin, source hash, translation hash): each
        text hashed once, or not at all where its analysis hashed it (a worker process).
        Posts whose segments are not in the spill are added to `fallback` (a database pass)."""
        keys = {pid: key for key, pid in self.snap.posts.items()}
        for pid in sorted(self.report.touched_posts):
            src = source_version(self.snap, pid)
            if src is None or not src.alive:
                continue
            source_segments: tuple[Segment, ...] | None = None  # read from the spill once
            source_hashes: Sequence[str] = ()
            for lang in self.settings.languages:
                v = self.snap.versions.get((pid, lang))
                if v is None or v is src or state_of(self.snap, pid, lang) is not State.CURRENT:
                    continue
                if not v.revised and not src.revised:
                    continue  # nothing new to learn from this pair
                if not v.revised or not src.revised:
                    fallback.add(pid)
                    continue
                if source_segments is None:
                    source_segments, source_hashes = hashed(self.content_of(src))
                source = source_segments
                target, target_hashes = hashed(self.content_of(v))
                by_text = dict(zip((t.text for t in target), target_hashes, strict=True))
                origin = f"{keys[pid]} [{lang}]"
                for s, h, t in zip(
                    source, source_hashes, align_certain(source, target), strict=True
                ):
                    if t is not None:
                        yield (src.lang, lang), (s.text, t, origin, h, by_text[t])


def hashed(content: Content | None) -> tuple[tuple[Segment, ...], Sequence[str]]:
    """A new revision's segments and translation memory's hash of each: as its analysis
    made them, or made now."""
    if content is None:
        return (), ()
    segments, hashes = content[0], content[4]
    if hashes is None or len(hashes) != len(segments):
        hashes = [memory_hash(s.text) for s in segments]
    return segments, hashes
