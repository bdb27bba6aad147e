"""A task as a translator sees it (each source segment, what changed, the current
translation, translation-memory suggestions) and as its reviewer sees it (the submitted
translation beside the previous one, with the checks' warnings)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Post, Revision, Segment, Suggestion, Task, Version
from sync.errors import ConflictError
from sync.i18n import t_
from sync.matrix import version_title
from sync.queue import get_task, task_dict
from sync.revisions import load_segments
from sync.segments import Segment as Seg
from sync.segments import align, align_certain, diff_segments


def suggestions_for(session: Session, task_id: int) -> dict[int, list[dict[str, Any]]]:
    """Position → the task's translation-memory suggestions, best first, each with the
    source text it translates (to show how that differs from the segment)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for s in session.execute(
        select(Suggestion)
        .where(Suggestion.task_id == task_id)
        .order_by(Suggestion.position, Suggestion.score.desc(), Suggestion.id)
    ).scalars():
        out.setdefault(s.position, []).append(
            {"text": s.text, "score": s.score, "origin": s.origin, "source_text": s.source_text}
        )
    return out


def translation_segments(
    session: Session, version: Version | None, source: list[Any], guessed: set[int] | None = None
) -> list[str | None]:
    """The existing translation lined up with `source`: exact where transync recorded
    the source text of each segment, else by position (see `segments.align`). The
    positions whose pairing is a guess (the translation has blocks the source has not, or
    lacks some: `segments.align_certain` leaves them out) are added to `guessed`."""
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
    theirs = [Seg(kind=r.kind, text=r.text) for r in rows]
    lined = align(source, theirs)
    if guessed is not None:
        sure = align_certain(source, theirs, lined)
        guessed.update(i for i, t in enumerate(lined) if t is not None and sure[i] is None)
    return lined


@dataclass(frozen=True, slots=True, kw_only=True)
class LinedUp:
    """A task's source segments beside the translation it updates."""

    post: Post
    src: Version | None  # the source version
    based_on: int | None  # the source revision the translation was made from
    loaded: dict[tuple[int, int], tuple[Seg, ...]]  # (version id, revision) → segments
    source: list[Seg]  # the segments of the revision the task translates
    change: dict[int, tuple[str, str | None]]  # position → ("changed"/"added", old text)
    carried: list[str | None]  # position → the translation's text for it, if any
    guessed: frozenset[int]  # positions whose carried text is lined up by a guess

    def tag(self, position: int) -> str | None:
        """What happened to the segment since the translation: changed, added, equal
        (None for a first translation)."""
        return self.change.get(position, ("equal" if self.based_on else None, None))[0]


def line_up(session: Session, task: Task) -> LinedUp:
    """The task's source segments, what changed in each since the translation's source,
    and the translation's text carried onto each (where the segment is unchanged, or
    changed in place)."""
    post = session.execute(select(Post).where(Post.id == task.post_id)).scalar_one()
    versions = {
        v.lang: v
        for v in session.execute(select(Version).where(Version.post_id == post.id)).scalars()
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
    ops = diff_segments(old, source).ops if based_on else []
    change: dict[int, tuple[str, str | None]] = {}
    if based_on and based_on != task.source_revision:
        for op in ops:
            if op.new_index is not None and op.tag in ("changed", "added"):
                change[op.new_index] = (op.tag, op.old_text)
    guessed_old: set[int] = set()
    current = (
        translation_segments(session, mine, old if based_on else source, guessed_old)
        if mine
        else []
    )
    # translations of the old source line up with the new one where the segment is unchanged
    carried: list[str | None] = [None] * len(source)
    guessed: set[int] = set()
    if based_on and current:
        for op in ops:
            if op.new_index is not None and op.old_index is not None:
                carried[op.new_index] = current[op.old_index]
                if op.old_index in guessed_old:
                    guessed.add(op.new_index)
    elif current:
        carried, guessed = list(current), guessed_old
    return LinedUp(
        post=post,
        src=src,
        based_on=based_on,
        loaded=segs,
        source=source,
        change=change,
        carried=carried,
        guessed=frozenset(guessed),
    )


def task_source(session: Session, task: Task) -> tuple[Version, Revision]:
    """The source version of the task's post and the revision the task translates."""
    src_lang = session.execute(select(Post.source_lang).where(Post.id == task.post_id)).scalar()
    row = session.execute(
        select(Version, Revision)
        .join(Revision, Revision.version_id == Version.id)
        .where(
            Version.post_id == task.post_id,
            Version.lang == src_lang,
            Revision.number == task.source_revision,
        )
    ).first()
    if row is None:
        raise ConflictError(
            t_(
                "task #%(id)d: its source revision r%(revision)d is gone",
                id=task.id,
                revision=task.source_revision,
            )
        )
    return row[0], row[1]


def submission_digest(submission: Mapping[str, Any] | None) -> str:
    """What names one submission: a digest of all it holds but its approval, so a review
    page (or an API client) can say which submission its decision is about."""
    held = {k: v for k, v in (submission or {}).items() if k != "approved_by"}
    text = json.dumps(held, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def unchanged_translations(session: Session, task: Task) -> dict[int, str]:
    """Position → the current translation of each segment of an update task whose source
    did not change since that translation: what `transync po` gives as translated (not
    fuzzy), so a file that leaves the segment out keeps it."""
    lined = line_up(session, task)
    return {
        i: text
        for i, text in enumerate(lined.carried)
        if text and lined.tag(i) == "equal" and i not in lined.guessed
    }


def task_detail(session: Session, settings: Settings, task_id: int) -> dict[str, Any]:
    task, key = get_task(session, task_id)
    lined = line_up(session, task)
    post, src, based_on, segs = lined.post, lined.src, lined.based_on, lined.loaded
    source, change, carried = lined.source, lined.change, lined.carried
    suggestions = suggestions_for(session, task.id)
    progress = task.progress or {}
    aside = task.set_aside or {}
    segments = []
    for i, seg in enumerate(source):
        tag, previous = change.get(i, ("equal" if based_on else None, None))
        translation = progress.get(str(i), carried[i] if i < len(carried) else None)
        held = aside.get(str(i)) if str(i) not in progress else None
        if isinstance(held, dict) and held.get("text"):
            # saved before the source changed this segment: offered for review, with
            # the source text it translates, as an update task's changed segment is
            tag, previous, translation = "changed", held.get("source"), held["text"]
        segments.append(
            {
                "position": i,
                "kind": seg.kind,
                "source": seg.text,
                "change": tag,
                "previous_source": previous,
                "translation": translation,
                "previous_translation": carried[i] if i < len(carried) else None,
                # the page's text lined up with this segment by a guess: to check
                "guessed": i in lined.guessed and str(i) not in progress and held is None,
                "suggestions": suggestions.get(i, []),
            }
        )
    flag_misfits(segments, task.lang, settings)
    detail = task_dict(task, key)
    detail.update(
        title=version_title(src) if src else key,
        source_lang=post.source_lang,
        based_on_revision=based_on,
        claimed_revision=task.claimed_revision,
        reject_reason=task.reject_reason,
        segments=segments,
        # what names the submission waiting for review: approve and reject may be given it
        submission_digest=submission_digest(task.submission) if task.state == "submitted" else None,
    )
    if task.state == "conflict" and task.submission:
        detail["submitted"] = {
            "title": task.submission.get("title"),
            "body": task.submission.get("body"),
            "submitted_by": task.submission.get("submitted_by"),
        }
    if task.source_changed and src is not None and task.claimed_revision:
        since = diff_segments(
            list(segs.get((src.id, task.claimed_revision), ())),
            list(segs.get((src.id, src.revision), ())),
        )
        detail["changes_since_claim"] = [
            {"op": op.tag, "old": op.old_text, "new": op.new_text}
            for op in since.ops
            if op.tag != "equal"
        ]
    return detail


def flag_misfits(segments: list[dict[str, Any]], lang: str, settings: Settings) -> None:
    """Give each suggestion the ``problems`` it has as a translation of its segment (a
    number, link target, shortcode or placeholder of the segment it lacks or changes; a
    fuzzy match's differ often): a suggestion that does not fit says so wherever it is
    offered, and a 100% match learned from a translation of an older source text too."""
    from sync.checks import check_entry

    params = settings.shortcode_text_params
    for seg in segments:
        for suggestion in seg["suggestions"]:
            suggestion["problems"] = check_entry(
                seg["source"], suggestion["text"], lang=lang, text_params=params
            )


def submitted_texts(
    session: Session, settings: Settings, task: Task, source: list[Any]
) -> list[str | None]:
    """The submitted translation lined up with the task's source segments: the browser's
    and the PO file's per segment, a Markdown file's segmented and aligned like a scan."""
    from sync.analysis import analyze_document

    sub = task.submission or {}
    progress = task.progress or {}
    if sub.get("format") == "segments" and all(str(i) in progress for i in range(len(source))):
        return [progress[str(i)] for i in range(len(source))]
    if not isinstance(sub.get("title"), str) or not isinstance(sub.get("body"), str):
        return [None] * len(source)
    if sub.get("format") == "markdown":
        body_format = "markdown"
    else:
        body_format = task_source(session, task)[1].body_format
    given = sub.get("fields") or {}
    fields = [
        (name, text)
        for name in settings.front_matter_fields
        if name != "title"
        for text in given.get(name, [])
    ]
    try:
        analysis = analyze_document(
            sub["title"], sub["body"], body_format=body_format, fields=fields
        )
    except ValueError:
        return [None] * len(source)
    return align([Seg(kind=s["kind"], text=s["source"]) for s in source], analysis.segments)


def review_detail(session: Session, settings: Settings, task_id: int) -> dict[str, Any]:
    """A submitted task for its reviewer: per segment, the source (and for an update the
    source it replaced), the previous translation, the submitted one, and what the checks
    say about the submitted one (warnings: the submission passed the checks it had then)."""
    from sync.checks import check_entry

    detail = task_detail(session, settings, task_id)
    task, _key = get_task(session, task_id)
    segments = detail["segments"]
    texts = submitted_texts(session, settings, task, segments)
    for seg, text in zip(segments, texts, strict=True):
        seg["submitted"] = text
        seg["warnings"] = (
            check_entry(
                seg["source"], text, lang=task.lang, text_params=settings.shortcode_text_params
            )
            if text is not None
            else []
        )
        seg["same"] = (
            seg["change"] in (None, "equal")
            and text is not None
            and text == seg["previous_translation"]
        )
    runs: list[dict[str, Any]] = []  # unchanged segments in runs (shown folded)
    for seg in segments:
        if not runs or runs[-1]["same"] != seg["same"]:
            runs.append({"same": seg["same"], "segments": []})
        runs[-1]["segments"].append(seg)
    sub = task.submission or {}
    detail.update(
        runs=runs,
        submitted_by=sub.get("submitted_by") or task.assignee,
        submitted_at=task.updated_at,
        warnings=sum(len(s["warnings"]) for s in segments),
        unaligned=sum(1 for t in texts if t is None),
    )
    return detail
