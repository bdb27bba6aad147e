"""A task as a translator sees it: each source segment, what changed, the current
translation, and translation-memory suggestions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Post, Revision, Segment, Version
from sync.memory import suggestions_for
from sync.queue import get_task, task_dict
from sync.segments import align, diff_segments
from sync.tracker import load_segments


def translation_segments(session: Session, version: Version | None,
                         source: list[Any]) -> list[str | None]:
    """The existing translation lined up with `source`: exact where transync recorded
    the source text of each segment, else by position (see `segments.align`)."""
    if version is None or version.deleted:
        return [None] * len(source)
    rows = session.execute(
        select(Segment.kind, Segment.text, Segment.source_text)
        .join(Revision, Revision.id == Segment.revision_id)
        .where(Revision.version_id == version.id, Revision.number == version.revision)
        .order_by(Segment.position)
    ).all()
    if rows and all(r.source_text is not None for r in rows):
        by_source = {r.source_text: r.text for r in rows}
        return [by_source.get(s.text) for s in source]
    from sync.segments import Segment as Seg

    return align(source, [Seg(kind=r.kind, text=r.text) for r in rows])


def task_detail(session: Session, settings: Settings, task_id: int) -> dict[str, Any]:
    task, key = get_task(session, task_id)
    post = session.execute(select(Post).where(Post.id == task.post_id)).scalar_one()
    versions = {
        v.lang: v for v in session.execute(
            select(Version).where(Version.post_id == post.id)).scalars()
    }
    src = versions.get(post.source_lang or "")
    mine = versions.get(task.lang)
    based_on = mine.based_on_revision if mine is not None and not mine.deleted else None
    wanted = [(src.id, task.source_revision)] if src else []
    if src and based_on:
        wanted.append((src.id, based_on))
    if src and task.source_changed:
        wanted.append((src.id, src.revision))
    segs = load_segments(session, wanted)
    source = list(segs.get((src.id, task.source_revision), ())) if src else []
    old = list(segs.get((src.id, based_on), ())) if src and based_on else []
    change: dict[int, tuple[str, str | None]] = {}
    if based_on and based_on != task.source_revision:
        for op in diff_segments(old, source).ops:
            if op.new_index is not None and op.tag in ("changed", "added"):
                change[op.new_index] = (op.tag, op.old_text)
    current = translation_segments(session, mine, old if based_on else source) if mine else []
    # translations of the old source line up with the new one where the segment is unchanged
    carried: list[str | None] = [None] * len(source)
    if based_on and current:
        for op in diff_segments(old, source).ops:
            if op.new_index is not None and op.old_index is not None:
                carried[op.new_index] = current[op.old_index]
    elif current:
        carried = list(current)
    suggestions = suggestions_for(session, task.id)
    progress = task.progress or {}
    segments = []
    for i, seg in enumerate(source):
        tag, previous = change.get(i, ("equal" if based_on else None, None))
        segments.append({
            "position": i,
            "kind": seg.kind,
            "source": seg.text,
            "change": tag,
            "previous_source": previous,
            "translation": progress.get(str(i), carried[i] if i < len(carried) else None),
            "suggestions": suggestions.get(i, []),
        })
    detail = task_dict(task, key)
    detail.update(
        title=src.title if src else key,
        source_lang=post.source_lang,
        based_on_revision=based_on,
        claimed_revision=task.claimed_revision,
        reject_reason=task.reject_reason,
        segments=segments,
    )
    if task.state == "conflict" and task.submission:
        detail["submitted"] = {"title": task.submission.get("title"),
                               "body": task.submission.get("body"),
                               "submitted_by": task.submission.get("submitted_by")}
    if task.source_changed and src is not None and task.claimed_revision:
        since = diff_segments(list(segs.get((src.id, task.claimed_revision), ())),
                              list(segs.get((src.id, src.revision), ())))
        detail["changes_since_claim"] = [
            {"op": op.tag, "old": op.old_text, "new": op.new_text}
            for op in since.ops if op.tag != "equal"
        ]
    return detail
