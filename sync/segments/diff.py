"""Comparing segments: what changed between two revisions of a version, and which
translation segment lines up with each source segment.

Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from sync.segments.model import DiffOp, Segment, SegmentDiff


def diff_segments(old: Sequence[Segment], new: Sequence[Segment]) -> SegmentDiff:
    """Compare two revisions' segments by text (difflib, no autojunk).

    Inside a replaced run, segments pair one-to-one as changed; the surplus is added or removed.
    """
    matcher = SequenceMatcher(None, [s.text for s in old], [s.text for s in new], autojunk=False)
    ops: list[DiffOp] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        if tag == "equal":
            paired = i2 - i1
        for k in range(paired):
            ops.append(
                DiffOp(
                    tag="equal" if tag == "equal" else "changed",
                    old_index=i1 + k,
                    new_index=j1 + k,
                    old_text=old[i1 + k].text,
                    new_text=new[j1 + k].text,
                )
            )
        for i in range(i1 + paired, i2):
            ops.append(
                DiffOp(
                    tag="removed", old_index=i, new_index=None, old_text=old[i].text, new_text=None
                )
            )
        for j in range(j1 + paired, j2):
            ops.append(
                DiffOp(
                    tag="added", old_index=None, new_index=j, old_text=None, new_text=new[j].text
                )
            )
    return SegmentDiff(
        changed=sum(op.tag == "changed" for op in ops),
        added=sum(op.tag == "added" for op in ops),
        removed=sum(op.tag == "removed" for op in ops),
        ops=tuple(ops),
    )


def align(source: Sequence[Segment], translation: Sequence[Segment]) -> list[str | None]:
    """For each source segment, the translation's text at the same place, or None.

    When both have the same sequence of kinds, segments pair by position. Otherwise (a block
    added or dropped in one language) the kind sequences are matched with difflib: segments
    pair by position only inside runs of equal kinds; everything else gets None.
    """
    if [s.kind for s in source] == [t.kind for t in translation]:
        return [t.text for t in translation]
    result: list[str | None] = [None] * len(source)
    matcher = SequenceMatcher(
        None, [s.kind for s in source], [t.kind for t in translation], autojunk=False
    )
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            result[block.a + k] = translation[block.b + k].text
    return result
