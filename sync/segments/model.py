"""The values segmenting makes: a segment, a version's analysis (its segments and content
hash), and a diff between two revisions' segments.

They are pickled by the tens of thousands (the scan's process pool and spill), so each
pickles by value through a small module-level constructor.

Pure: no database, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True, slots=True)
class Segment:
    """One block of a version: kind is title, heading, paragraph, item, quote, cell, footnote, caption."""  # noqa: E501

    kind: str
    text: str

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        # Pickled by the tens of thousands (process pool, scan spill): the dataclass default
        # for frozen slots classes (__getstate__/__setstate__ over fields()) is several
        # times slower.
        return _segment, (self.kind, self.text)


def _segment(
    kind: str, text: str, _new: Any = object.__new__, _set: Any = object.__setattr__
) -> Segment:
    """Segment(kind=kind, text=text) at half the cost (no keyword parsing, no frozen check)."""
    segment = _new(Segment)
    _set(segment, "kind", kind)
    _set(segment, "text", text)
    return segment


class _Segments(tuple):  # type: ignore[type-arg]
    """The segments of an analysis: a tuple that pickles as two tuples of strings (kinds and
    texts), one object per segment fewer to pickle and to call back when unpickled. Every
    new revision's segments travel from a parser process and through the scan's spill."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[tuple[str, ...], tuple[str, ...]]]:
        return _unpack_segments, (tuple(s.kind for s in self), tuple(s.text for s in self))


def _unpack_segments(kinds: tuple[str, ...], texts: tuple[str, ...]) -> _Segments:
    return _Segments(map(_segment, kinds, texts))


@dataclass(frozen=True, kw_only=True, slots=True)
class Analysis:
    """A version's segments and its content hash (full SHA-256 hex of the normalized content);
    ``words``: the words of each segment (sync.words), when whoever analyzed counted them
    (a parser process, or the WordPress reader while it waits for the next page)."""

    segments: tuple[Segment, ...]
    content_hash: str
    words: tuple[int, ...] | None = None

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]

    def __reduce__(
        self,
    ) -> tuple[Any, tuple[tuple[Segment, ...], str, tuple[int, ...] | None]]:
        return _analysis, (self.segments, self.content_hash, self.words)


def _analysis(
    segments: tuple[Segment, ...], content_hash: str, words: tuple[int, ...] | None = None
) -> Analysis:
    return Analysis(segments=segments, content_hash=content_hash, words=words)


@dataclass(frozen=True, kw_only=True, slots=True)
class DiffOp:
    """One step from old segments to new: equal, changed, added or removed, with both sides."""

    tag: Literal["equal", "changed", "added", "removed"]
    old_index: int | None
    new_index: int | None
    old_text: str | None
    new_text: str | None


@dataclass(frozen=True, kw_only=True, slots=True)
class SegmentDiff:
    """How a version's segments moved between two revisions: counts plus the ops behind them."""

    changed: int
    added: int
    removed: int
    ops: tuple[DiffOp, ...]

    @property
    def is_unchanged(self) -> bool:
        return not (self.changed or self.added or self.removed)
