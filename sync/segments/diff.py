"""Comparing segments: what changed between two revisions of a version, and which
translation segment lines up with each source segment.

Pure: no database, no I/O.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher

from sync.segments.model import DiffOp, Segment, SegmentDiff


def diff_segments(old: Sequence[Segment], new: Sequence[Segment]) -> SegmentDiff:
    """Compare two revisions' segments by text (difflib, no autojunk).

    Inside a replaced run of as many segments on each side, segments pair one-to-one as
    changed. A run that gained or lost segments pairs a segment with the one of the same
    kind whose text is most like it (a paragraph edited beside a quote that was removed is
    that paragraph changed, not the quote); the rest is added or removed.
    """
    matcher = SequenceMatcher(None, [s.text for s in old], [s.text for s in new], autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs = [(i1 + k, j1 + k) for k in range(i2 - i1)]
        elif i2 - i1 == j2 - j1:
            pairs = [(i1 + k, j1 + k) for k in range(i2 - i1)]
        else:
            pairs = _pair_edited(old, new, range(i1, i2), range(j1, j2))
        paired_old = {i for i, _ in pairs}
        paired_new = {j for _, j in pairs}
        for i, j in pairs:
            ops.append(
                DiffOp(
                    tag="equal" if tag == "equal" else "changed",
                    old_index=i,
                    new_index=j,
                    old_text=old[i].text,
                    new_text=new[j].text,
                )
            )
        for i in range(i1, i2):
            if i not in paired_old:
                ops.append(
                    DiffOp(
                        tag="removed",
                        old_index=i,
                        new_index=None,
                        old_text=old[i].text,
                        new_text=None,
                    )
                )
        for j in range(j1, j2):
            if j not in paired_new:
                ops.append(
                    DiffOp(
                        tag="added",
                        old_index=None,
                        new_index=j,
                        old_text=None,
                        new_text=new[j].text,
                    )
                )
    return SegmentDiff(
        changed=sum(op.tag == "changed" for op in ops),
        added=sum(op.tag == "added" for op in ops),
        removed=sum(op.tag == "removed" for op in ops),
        ops=tuple(ops),
    )


def _pair_edited(
    old: Sequence[Segment], new: Sequence[Segment], olds: range, news: range
) -> list[tuple[int, int]]:
    """In a run that gained or lost segments, which old segment each new one is an edit of:
    as many order-keeping pairs of same-kind segments as the run allows (as many as pairing
    by position made), and among those the pairs with the most alike texts (difflib's
    ratio; :func:`_best_pairs`)."""

    def worth(i: int, j: int) -> float:
        if old[i].kind != new[j].kind:
            return -1.0
        return 2.0 + SequenceMatcher(None, old[i].text, new[j].text, autojunk=False).ratio()

    a, b = list(olds), list(news)
    if len(a) * len(b) > _MAX_CELLS:
        return list(zip(a, b, strict=False))
    return [(a[x], b[y]) for x, y in _best_pairs(len(a), len(b), lambda x, y: worth(a[x], b[y]))]


def _best_pairs(n: int, m: int, worth: Callable[[int, int], float]) -> list[tuple[int, int]]:
    """The order-keeping pairs (i, j) of two sequences of n and m items with the greatest
    total worth (dynamic programming, as Needleman and Wunsch align sequences): a pair
    worth 0 or less is never made, an item left out costs nothing. Each worth is asked
    once."""
    cell = [[worth(i, j) for j in range(m)] for i in range(n)]
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, worths = best[i], best[i + 1], cell[i]
        for j in range(m - 1, -1, -1):
            here = max(below[j], row[j + 1])
            if worths[j] > 0:
                here = max(here, worths[j] + below[j + 1])
            row[j] = here
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if cell[i][j] > 0 and best[i][j] == cell[i][j] + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


#: A translation's text says little about which source paragraph it translates, but what
#: is the same in every language does: numbers, link and image targets, code, shortcodes,
#: tags. These are the anchors :func:`align` weighs, with the texts' lengths.
_ANCHOR = re.compile(
    r"\d+(?:[.,]\d+)*|\]\([^)\s]*|`[^`]+`|\{\{[<%].*?[>%]\}\}|</?[A-Za-z][^>]*>|https?://\S+"
)
#: Beyond this many cells the alignment is made by kinds alone (a page of thousands of
#: blocks in each language, and a different number of them).
_MAX_CELLS = 250_000


def align(source: Sequence[Segment], translation: Sequence[Segment]) -> list[str | None]:
    """For each source segment, the translation's text at the same place, or None.

    When both have the same sequence of kinds, segments pair by position. Otherwise (a block
    added or dropped in one language) segments of the same kind pair in order, choosing the
    pairing whose pairs look most alike in what every language keeps (numbers, link
    targets, code, tags: the anchors) and in length: an item a translator added to a list
    is left out rather than shifting every item after it onto the next source item.
    Everything not paired gets None.
    """
    if [s.kind for s in source] == [t.kind for t in translation]:
        return [t.text for t in translation]
    if len(source) * len(translation) > _MAX_CELLS:
        return _align_by_kinds(source, translation)
    return _align_by_likeness(source, translation)


def align_certain(
    source: Sequence[Segment],
    translation: Sequence[Segment],
    lined: Sequence[str | None] | None = None,
) -> list[str | None]:
    """:func:`align`'s pairs that are not a guess, for what must learn only true pairs
    (translation memory): all of them when both have the same sequence of kinds; else only
    segments of a kind both have as many of, each paired with the one at the same place
    among its kind. A paragraph added or dropped in one language leaves every paragraph
    unpaired (which one it was is a guess: the likeness of numbers and lengths cannot tell
    a translator's note from the paragraph beside it), while the title and the headings,
    as many on each side, still pair. ``lined``: :func:`align`'s pairing, when the caller
    has made it already (the pairing is the costly part)."""
    if [s.kind for s in source] == [t.kind for t in translation]:
        return [t.text for t in translation]
    theirs: dict[str, list[str]] = {}
    for t in translation:
        theirs.setdefault(t.kind, []).append(t.text)
    ours = Counter(s.kind for s in source)
    seen: Counter[str] = Counter()
    result: list[str | None] = []
    guesses = align(source, translation) if lined is None else lined
    for s, guess in zip(source, guesses, strict=True):
        texts = theirs.get(s.kind, [])
        k = seen[s.kind]
        seen[s.kind] += 1
        same_place = len(texts) == ours[s.kind] and guess == texts[k]
        result.append(guess if same_place else None)
    return result


def _align_by_kinds(source: Sequence[Segment], translation: Sequence[Segment]) -> list[str | None]:
    """Runs of equal kinds (difflib) paired by position: for pages too large to weigh."""
    result: list[str | None] = [None] * len(source)
    matcher = SequenceMatcher(
        None, [s.kind for s in source], [t.kind for t in translation], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            result[block.a + k] = translation[block.b + k].text
    return result


def _align_by_likeness(
    source: Sequence[Segment], translation: Sequence[Segment]
) -> list[str | None]:
    """An order-keeping pairing of same-kind segments with the greatest total likeness
    (:func:`_best_pairs`): every pair is worth 2 and up to 3 more for shared anchors and
    like lengths, so as many segments as can be pair, and among those pairings the most
    alike wins."""
    n, m = len(source), len(translation)
    anchors_s = [Counter(_ANCHOR.findall(s.text)) for s in source]
    anchors_t = [Counter(_ANCHOR.findall(t.text)) for t in translation]

    def worth(i: int, j: int) -> float:
        s, t = source[i], translation[j]
        if s.kind != t.kind:
            return -1.0
        a, b = anchors_s[i], anchors_t[j]
        shared = 0.0
        if a or b:
            shared = sum((a & b).values()) / max(sum(a.values()), sum(b.values()))
        ratio = abs(math.log((len(t.text) + 20) / (len(s.text) + 20)))
        return 2.0 + 2.0 * shared + max(0.0, 1.0 - ratio)

    result: list[str | None] = [None] * n
    for i, j in _best_pairs(n, m, worth):
        result[i] = translation[j].text
    return result
