"""Planning: every missing or stale translation gets exactly one open task.

The database enforces "at most one open task per (post, language)" with a partial
unique index; inserts use ON CONFLICT DO NOTHING on it, so concurrent planners
never create a duplicate.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import OPEN_STATES_SQL, Event, Task, utcnow
from sync.outbox import enqueue_prefill
from sync.state import State
from sync.status import load_rows

PLAN_CHUNK = 1000  # tasks per INSERT statement
OPEN_WHERE = text(OPEN_STATES_SQL)


def insert_ignoring_open_duplicates(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert tasks; a row whose (post, language) already has an open task is skipped."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Task)
    created = []
    # one multi-row INSERT … VALUES … ON CONFLICT DO NOTHING RETURNING per chunk: it returns
    # exactly the rows it inserted (an executemany's RETURNING would be per row on SQLite);
    # chunks keep SQLite under its 32,766 bound parameters
    by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_shape.setdefault(tuple(row), []).append(row)
    for same in by_shape.values():
        for i in range(0, len(same), PLAN_CHUNK):
            stmt = (
                ins.values(same[i : i + PLAN_CHUNK])
                .on_conflict_do_nothing(index_elements=["post_id", "lang"], index_where=OPEN_WHERE)
                .returning(Task.id, Task.post_id, Task.lang)
            )
            created.extend(session.execute(stmt).all())
    return created


def plan_tasks(
    session: Session,
    settings: Settings,
    post_ids: Collection[int],
    *,
    actor: str = "planner",
    changed: Collection[tuple[int, str]] = (),
) -> dict[str, int]:
    """Create, move, flag or cancel tasks for the given posts. Returns counts.

    ``changed``: (post, language) of versions a scan saw appear, change or go. Submitted
    work is never cancelled: a submitted task whose translation changed on disk, or that
    is no longer needed, goes to ``conflict`` for an editor, its text kept. A task in
    conflict is left alone until an editor resolves it."""
    counts = {"created": 0, "moved": 0, "flagged": 0, "cancelled": 0, "conflict": 0}
    if not post_ids:
        return counts
    now = utcnow()
    new_rows: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    declined = editor_cancelled(session, post_ids)
    for row in load_rows(session, settings, post_ids=post_ids):
        src = row.source
        for lang, cell in row.cells.items():
            task = cell.task  # a light row; changes go through session.get below
            wanted = (
                cell.state in (State.MISSING, State.STALE)
                and src is not None
                and (
                    not src.deleted
                    and (settings.plan_drafts or not src.draft)
                    and src.segment_count > 0  # nothing to translate: no task
                )
            )
            if task is not None and task.state == "conflict":
                continue  # an editor decides
            if (
                task is not None
                and task.state == "submitted"
                and (not wanted or (row.post.id, lang) in changed)
            ):
                task = session.get(Task, task.id)
                why = (
                    ("the translation changed on disk while the submission waited for review")
                    if (row.post.id, lang) in changed
                    else f"now {cell.state}"
                )
                task.state = "conflict"
                task.conflict = {
                    "reason": "changed" if (row.post.id, lang) in changed else "not_needed",
                    "message": why,
                    "path": cell.version.origin if cell.version else None,
                    "detected_at": now.isoformat(),
                }
                task.updated_at = now
                counts["conflict"] += 1
                events.append(
                    _event(
                        now,
                        actor,
                        "task",
                        row.post.id,
                        lang,
                        task=task.id,
                        state="conflict",
                        reason=why,
                    )
                )
                continue
            if task is None and wanted and (row.post.id, lang, src.revision) not in declined:
                new_rows.append(
                    {
                        "post_id": row.post.id,
                        "lang": lang,
                        "state": "queued",
                        "kind": "new" if cell.state is State.MISSING else "update",
                        "source_revision": src.revision,
                        "priority": src.priority or 0,
                        "due": src.due,
                        "created_at": now,
                        "updated_at": now,
                        "progress": {},
                        "source_changed": False,
                        "words": cell.words(src),
                    }
                )
            elif task is not None and not wanted:
                gone = src is None or src.deleted
                reason = "source deleted" if gone else f"now {cell.state}"
                if not gone and cell.state in (State.MISSING, State.STALE):
                    continue  # a draft source: leave the open task alone
                task = session.get(Task, task.id)
                task.state = "cancelled"
                task.finished_at = task.updated_at = now
                counts["cancelled"] += 1
                events.append(
                    _event(
                        now,
                        actor,
                        "task",
                        row.post.id,
                        lang,
                        task=task.id,
                        state="cancelled",
                        reason=reason,
                    )
                )
            elif task is not None and task.source_revision != src.revision:
                task = session.get(Task, task.id)
                if task.state == "queued":
                    previous = task.source_revision
                    carried = carry_progress(session, task, src.id, previous, src.revision)
                    task.source_revision = src.revision
                    task.kind = "new" if cell.state is State.MISSING else "update"
                    task.priority = max(task.priority, src.priority or 0)
                    task.due = task.due or src.due
                    task.words = cell.words(src)
                    task.updated_at = now  # prefilled_revision now differs: pre-fill again
                    counts["moved"] += 1
                    events.append(
                        _event(
                            now,
                            actor,
                            "task",
                            row.post.id,
                            lang,
                            task=task.id,
                            moved_from=previous,
                            source_revision=src.revision,
                            **carried,
                        )
                    )
                    new_rows.append({"_prefill": (task.id, lang)})
                elif not task.source_changed:
                    task.source_changed = True
                    task.updated_at = now
                    counts["flagged"] += 1
                    events.append(
                        _event(
                            now,
                            actor,
                            "task",
                            row.post.id,
                            lang,
                            task=task.id,
                            source_changed=True,
                            source_revision=src.revision,
                        )
                    )
            elif (
                task is not None and task.state == "queued" and (task.words != cell.words(src))
            ):  # the translation changed by hand meanwhile, or words were not counted yet
                session.get(Task, task.id).words = cell.words(src)
    prefill = [r["_prefill"] for r in new_rows if "_prefill" in r]
    created = insert_ignoring_open_duplicates(session, [r for r in new_rows if "_prefill" not in r])
    counts["created"] = len(created)
    for task_id, post_id, lang in created:
        events.append(_event(now, actor, "task", post_id, lang, task=task_id, state="queued"))
        prefill.append((task_id, lang))
    session.flush()
    if events:
        session.execute(Event.__table__.insert(), events)
    enqueue_prefill(session, prefill)
    return counts


def editor_cancelled(session: Session, post_ids: Collection[int]) -> set[tuple[int, str, int]]:
    """(post, language, source revision) an editor cancelled: not planned again until the
    source has a new revision."""
    from sqlalchemy import select

    query = select(Task.post_id, Task.lang, Task.source_revision).where(
        Task.state == "cancelled", Task.cancelled_by_editor.is_(True)
    )
    if len(post_ids) <= 5000:
        query = query.where(Task.post_id.in_(list(post_ids)))
    return {tuple(r) for r in session.execute(query)}  # type: ignore[misc]


def requeued(session: Session, task_ids: Collection[int], *, actor: str = "planner") -> int:
    """Tasks back in the queue whose source moved on while claimed go to its current revision."""
    from sqlalchemy import select

    from sync.db.models import Post, Version

    if not task_ids:
        return 0
    rows = session.execute(
        select(Task, Version.revision, Version.id)
        .join(Post, Post.id == Task.post_id)
        .join(Version, (Version.post_id == Task.post_id) & (Version.lang == Post.source_lang))
        .where(
            Task.id.in_(list(task_ids)),
            Task.state == "queued",
            Version.deleted.is_(False),
            Task.source_revision != Version.revision,
        )
        .execution_options(populate_existing=True)
    ).all()
    now, events, moved = utcnow(), [], []
    from sync.workload import pending_words

    words = pending_words(session, [(task.post_id, task.lang) for task, _, _ in rows])
    for task, revision, source_id in rows:
        carried = carry_progress(session, task, source_id, task.source_revision, revision)
        events.append(
            _event(
                now,
                actor,
                "task",
                task.post_id,
                task.lang,
                task=task.id,
                moved_from=task.source_revision,
                source_revision=revision,
                **carried,
            )
        )
        task.source_revision, task.source_changed = revision, False
        task.words = words.get((task.post_id, task.lang), task.words)
        task.updated_at = now  # prefilled_revision now differs: pre-fill again
        moved.append((task.id, task.lang))
    session.flush()
    if events:
        session.execute(Event.__table__.insert(), events)
    enqueue_prefill(session, moved)
    return len(moved)


def carry_progress(
    session: Session, task: Task, source_id: int, old: int, new: int
) -> dict[str, int]:
    """Move a task's saved translations from source revision ``old`` to ``new`` with their
    segments, not their positions (a paragraph inserted above would shift every one onto the
    wrong paragraph): a segment the source kept as it was keeps its translation where it
    now is; one the source changed has its translation set aside with the text it
    translates (offered again for review, as an update task's changed segment is); one the
    source removed needs none. What moved, for the task's event."""
    from sync.revisions import load_segments
    from sync.segments import diff_segments

    progress, aside = task.progress or {}, task.set_aside or {}
    if not progress and not aside:
        return {}
    segments = load_segments(session, [(source_id, old), (source_id, new)])
    before, after = segments.get((source_id, old), ()), segments.get((source_id, new), ())
    kept: dict[str, Any] = {}
    outdated: dict[str, Any] = {}
    for op in diff_segments(before, after).ops:
        if op.old_index is None or op.new_index is None:
            continue
        was, now = str(op.old_index), str(op.new_index)
        if was in progress and op.tag == "equal":
            kept[now] = progress[was]
        elif was in progress:
            outdated[now] = {"text": progress[was], "source": op.old_text}
        elif was in aside:
            outdated[now] = aside[was]  # still the translation of the text it was made for
    dropped = len(progress) + len(aside) - len(kept) - len(outdated)
    task.progress, task.set_aside = kept, outdated or None
    return {"kept": len(kept), "set_aside": len(outdated), "dropped": dropped}


def _event(now: Any, actor: str, kind: str, post_id: int, lang: str, **details: Any) -> dict:
    return {
        "at": now,
        "actor": actor,
        "kind": kind,
        "post_id": post_id,
        "lang": lang,
        "details": details,
    }


def touch(session: Session, task: Task) -> None:
    session.execute(update(Task).where(Task.id == task.id).values(updated_at=utcnow()))
