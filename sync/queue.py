"""The task queue: claiming with leases, releasing, renewing, expiring, assigning, listing.

A claim on PostgreSQL is one statement, one round trip: CTEs check the claimer, pick the
next queued task ``FOR UPDATE SKIP LOCKED`` in the claim order, UPDATE it with the lease,
INSERT the event and return the task with its post's key. On SQLite it is ``UPDATE … WHERE
id = (SELECT … LIMIT 1) RETURNING`` inside an IMMEDIATE transaction. No task is ever given
to two claimers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import String, and_, bindparam, column, select, text, update
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import OPEN_TASK_STATES, Event, Post, Task, UTCDateTime, utcnow
from sync.errors import ConflictError, InputError, NotFound, PermissionDenied
from sync.history import record
from sync.i18n import t_
from sync.people import get_user, require_lang, require_role
from sync.status import iso

TASK_STATES = ("queued", "claimed", "submitted", "conflict", "done", "cancelled")


def state_text(state: str) -> str:
    """A task state as a message names it: the state itself in English, its name in the
    reader's language on a page."""
    return {
        "queued": t_("queued"),
        "claimed": t_("claimed"),
        "submitted": t_("submitted"),
        "conflict": t_("conflict"),
        "done": t_("done"),
        "cancelled": t_("cancelled"),
    }.get(state, state)


TASK_SORTS = ("queue", "words")


def parse_duration(text: str) -> dt.timedelta:
    """``48h``, ``30m``, ``2d``, ``1w`` or a number of hours."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text or "")
    if not m:
        raise InputError(t_("lease %(lease)s: write it like 48h, 90m, 2d or 1w", lease=repr(text)))
    value, unit = float(m.group(1)), m.group(2) or "h"
    seconds = value * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    if not 60 <= seconds <= 90 * 86400:
        raise InputError(t_("lease %(lease)s: between 1 minute and 90 days", lease=repr(text)))
    return dt.timedelta(seconds=seconds)


def task_dict(task: Task, key: str) -> dict[str, Any]:
    """The task object of the contract (tasks --json, claim --json, task ID --json, API)."""
    return {
        "id": task.id,
        "post": key,
        "lang": task.lang,
        "state": task.state,
        "kind": task.kind,
        "source_revision": task.source_revision,
        "assignee": task.assignee,
        "lease_expires_at": iso(task.lease_expires_at),
        "priority": task.priority,
        "due": task.due.isoformat() if task.due else None,
        "source_changed": task.source_changed,
        "created_at": iso(task.created_at),
        "words": task.words,
    } | ({"conflict": task.conflict} if task.state == "conflict" else {})


def get_task(session: Session, task_id: int, *, lock: bool = False) -> tuple[Task, str]:
    q = select(Task, Post.key).join(Post, Post.id == Task.post_id).where(Task.id == task_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update(of=Task)
    row = session.execute(q).first()
    if row is None:
        raise NotFound(
            t_("no task #%(id)d", id=task_id, cli="`transync tasks` lists them"), task=task_id
        )
    return row[0], row[1]


def list_tasks(
    session: Session,
    *,
    lang: str | None = None,
    states: Sequence[str] = (),
    assignee: str | None = None,
    post: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "queue",
) -> list[tuple[Task, str]]:
    """Tasks in the queue's order (language, priority, due, age) or, with ``sort="words"``,
    largest first (per language)."""
    if sort not in TASK_SORTS:
        raise InputError(f"sort {sort!r}: use one of {', '.join(TASK_SORTS)}")
    q = select(Task, Post.key).join(Post, Post.id == Task.post_id)
    if lang:
        q = q.where(Task.lang == lang)
    if states:
        bad = [s for s in states if s not in TASK_STATES]
        if bad:
            raise InputError(
                t_(
                    "task state %(state)s: use one of %(states)s",
                    state=repr(bad[0]),
                    states=", ".join(TASK_STATES),
                )
            )
        q = q.where(Task.state.in_(list(states)))
    if assignee:
        q = q.where(Task.assignee == assignee)
    if post:
        q = q.where(Post.key == post)
    first = (Task.words.desc().nulls_last(),) if sort == "words" else ()
    q = q.order_by(
        Task.lang,
        *first,
        Task.priority.desc(),
        Task.due.asc().nulls_last(),
        Task.created_at,
        Task.id,
    ).offset(offset)
    if limit:
        q = q.limit(limit)
    return [(t, k) for t, k in session.execute(q)]


# The PostgreSQL claim, one round trip: check the claimer (active; an editor or admin, or a
# translator of the language: the same tests as get_user and require_lang), pick the next
# queued task in the claim order (that of ix_tasks_claim_order) skipping rows other claimers
# hold, claim it with its lease, log the event, and return the task with its post's key.
# The event's details are built with jsonb_build_object: its text is what json.dumps writes
# for the same dict ({"task": 1, "state": "claimed", "lease_expires_at": "…"}, in that
# order, as jsonb orders keys by length), the same bytes `record` stores.
_CLAIM_PG = (
    text("""
WITH claimer AS (
    SELECT name FROM users
    WHERE name = :name AND active
      AND (role IN ('admin', 'editor') OR CAST(:lang AS VARCHAR) = ANY(string_to_array(langs, ',')))
), pick AS (
    SELECT id FROM tasks
    WHERE lang = :lang AND state = 'queued' AND EXISTS (SELECT 1 FROM claimer)
    ORDER BY priority DESC, due IS NULL, due, created_at, id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE tasks SET state = 'claimed', assignee = (SELECT name FROM claimer),
        lease_expires_at = :lease_expires_at, claimed_at = :now,
        claimed_revision = tasks.source_revision, source_changed = false, updated_at = :now
    FROM pick
    WHERE tasks.id = pick.id AND tasks.state = 'queued'
    RETURNING tasks.*
), logged AS (
    INSERT INTO events (at, actor, kind, post_id, lang, details)
    SELECT :now, claimed.assignee, 'task', claimed.post_id, claimed.lang,
           CAST(jsonb_build_object('task', claimed.id, 'state', 'claimed',
                                   'lease_expires_at', CAST(:lease_iso AS TEXT)) AS JSON)
    FROM claimed
)
SELECT claimed.*, posts.key AS post_key FROM claimed JOIN posts ON posts.id = claimed.post_id
""")
    .bindparams(
        bindparam("now", type_=UTCDateTime()), bindparam("lease_expires_at", type_=UTCDateTime())
    )
    .columns(*Task.__table__.columns, column("post_key", String))
)
_CLAIM_PG_ORM = (
    select(Task, _CLAIM_PG.selected_columns.post_key)
    .from_statement(_CLAIM_PG)
    .execution_options(populate_existing=True)
)


def claim(
    session: Session, settings: Settings, name: str, lang: str, lease: dt.timedelta | None = None
) -> tuple[Task, str] | None:
    """Give the next queued task in `lang` to `name` (priority, earliest due, oldest first).

    On PostgreSQL one statement checks the claimer, claims and logs; only when it returns
    nothing is the claimer looked up again, to say why (no such user, not their language)
    or that the queue is empty. Elsewhere (SQLite, inside its IMMEDIATE transaction): the
    user, one UPDATE … RETURNING, the post's key and the event."""
    now = utcnow()
    lease = lease or dt.timedelta(hours=settings.lease_hours)
    pg = session.get_bind().dialect.name == "postgresql"
    if pg and lang and "," not in lang:
        expires = now + lease
        row = session.execute(
            _CLAIM_PG_ORM,
            {
                "name": name,
                "lang": lang,
                "now": now,
                "lease_expires_at": expires,
                "lease_iso": iso(expires),
            },
        ).first()
        if row is not None:
            return row[0], row[1]
    user = get_user(session, name)
    require_lang(user, lang)
    if pg and lang and "," not in lang:
        return None  # the claimer may claim: the queue was empty
    pick = (
        select(Task.id)
        .where(Task.lang == lang, Task.state == "queued")
        # the order of ix_tasks_claim_order: priority, earliest due (none last), oldest
        .order_by(Task.priority.desc(), Task.due.is_(None), Task.due, Task.created_at, Task.id)
        .limit(1)
    )
    if pg:
        pick = pick.with_for_update(skip_locked=True)
    stmt = (
        update(Task)
        .where(Task.id == pick.scalar_subquery(), Task.state == "queued")
        .values(
            state="claimed",
            assignee=user.name,
            lease_expires_at=now + lease,
            claimed_at=now,
            claimed_revision=Task.source_revision,
            source_changed=False,
            updated_at=now,
        )
        .returning(Task)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    task = session.execute(stmt).scalar_one_or_none()
    if task is None:
        return None
    key = session.execute(select(Post.key).where(Post.id == task.post_id)).scalar_one()
    record(
        session,
        "task",
        user.name,
        task.post_id,
        lang,
        task=task.id,
        state="claimed",
        lease_expires_at=iso(task.lease_expires_at),
    )
    return task, key


def _own_claim(session: Session, task_id: int, name: str, action: str) -> tuple[Task, str]:
    user = get_user(session, name)
    task, key = get_task(session, task_id, lock=True)
    state = state_text(task.state)
    if task.state != "claimed":
        raise ConflictError(
            t_("task #%(id)d is %(state)s, not claimed; cannot release it", id=task_id, state=state)
            if action == "release"
            else t_(
                "task #%(id)d is %(state)s, not claimed; cannot renew it", id=task_id, state=state
            )
        )
    if task.assignee != user.name:
        params = {"id": task_id, "assignee": task.assignee, "name": user.name}
        raise PermissionDenied(
            t_(
                "task #%(id)d is claimed by %(assignee)s, not %(name)s; only they (or an "
                "editor assigning it) can release it",
                **params,
            )
            if action == "release"
            else t_(
                "task #%(id)d is claimed by %(assignee)s, not %(name)s; only they (or an "
                "editor assigning it) can renew it",
                **params,
            )
        )
    return task, key


def release(session: Session, task_id: int, name: str) -> tuple[Task, str]:
    task, key = _own_claim(session, task_id, name, "release")
    _requeue(task)
    record(
        session,
        "task",
        name,
        task.post_id,
        task.lang,
        task=task.id,
        state="queued",
        reason="released",
    )
    from sync.planning import requeued

    session.flush()
    requeued(session, [task.id], actor=name)
    return task, key


def renew(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    lease: dt.timedelta | None = None,
) -> tuple[Task, str]:
    task, key = _own_claim(session, task_id, name, "renew")
    task.lease_expires_at = utcnow() + (lease or dt.timedelta(hours=settings.lease_hours))
    task.updated_at = utcnow()
    record(
        session,
        "task",
        name,
        task.post_id,
        task.lang,
        task=task.id,
        state="claimed",
        renewed_until=iso(task.lease_expires_at),
    )
    return task, key


def _requeue(task: Task) -> None:
    task.state = "queued"
    task.assignee = None
    task.lease_expires_at = None
    task.claimed_at = None
    task.updated_at = utcnow()


def expire(session: Session, now: dt.datetime | None = None) -> list[int]:
    """Return every claimed task whose lease has ended to the queue (one statement)."""
    now = now or utcnow()
    rows = session.execute(
        update(Task)
        .where(and_(Task.state == "claimed", Task.lease_expires_at < now))
        .values(
            state="queued", assignee=None, lease_expires_at=None, claimed_at=None, updated_at=now
        )
        .returning(Task.id, Task.post_id, Task.lang)
        .execution_options(synchronize_session=False)
    ).all()
    if rows:
        session.execute(
            Event.__table__.insert(),
            [
                {
                    "at": now,
                    "actor": "expire",
                    "kind": "task",
                    "post_id": pid,
                    "lang": lang,
                    "details": {"task": tid, "state": "queued", "reason": "lease expired"},
                }
                for tid, pid, lang in rows
            ],
        )
        from sync.planning import requeued

        requeued(session, [r[0] for r in rows], actor="expire")
    return sorted(r[0] for r in rows)


def assign(
    session: Session,
    settings: Settings,
    task_id: int,
    editor: str,
    name: str,
    lease: dt.timedelta | None = None,
) -> tuple[Task, str]:
    """An editor gives an open task to a translator (claimed for them, with a lease)."""
    require_role(get_user(session, editor), "editor")
    user = get_user(session, name)
    task, key = get_task(session, task_id, lock=True)
    require_lang(user, task.lang)
    if task.state not in ("queued", "claimed"):
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; only queued or claimed tasks can be assigned",
                id=task_id,
                state=state_text(task.state),
            )
        )
    now = utcnow()
    task.state = "claimed"
    task.assignee = user.name
    task.claimed_at = now
    task.claimed_revision = task.source_revision
    task.lease_expires_at = now + (lease or dt.timedelta(hours=settings.lease_hours))
    task.updated_at = now
    record(
        session,
        "task",
        editor,
        task.post_id,
        task.lang,
        task=task.id,
        state="claimed",
        assigned_to=user.name,
        lease_expires_at=iso(task.lease_expires_at),
    )
    return task, key


def update_task(
    session: Session,
    task_id: int,
    editor: str,
    *,
    priority: int | None = None,
    due: dt.date | None | str = "keep",
) -> tuple[Task, str]:
    require_role(get_user(session, editor), "editor")
    task, key = get_task(session, task_id, lock=True)
    if task.state not in OPEN_TASK_STATES:
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; it can no longer be changed",
                id=task_id,
                state=state_text(task.state),
            )
        )
    changes: dict[str, Any] = {}
    if priority is not None:
        task.priority = priority
        changes["priority"] = priority
    if due != "keep":
        task.due = due  # type: ignore[assignment]
        changes["due"] = due.isoformat() if isinstance(due, dt.date) else None
    task.updated_at = utcnow()
    record(session, "task", editor, task.post_id, task.lang, task=task.id, **changes)
    return task, key


def cancel(session: Session, task_id: int, editor: str, reason: str = "") -> tuple[Task, str]:
    require_role(get_user(session, editor), "editor")
    task, key = get_task(session, task_id, lock=True)
    if task.state not in OPEN_TASK_STATES:
        raise ConflictError(
            t_("task #%(id)d is already %(state)s", id=task_id, state=state_text(task.state))
        )
    task.state = "cancelled"
    task.cancelled_by_editor = True
    task.finished_at = task.updated_at = utcnow()
    record(
        session,
        "task",
        editor,
        task.post_id,
        task.lang,
        task=task.id,
        state="cancelled",
        reason=reason or "cancelled by an editor",
    )
    return task, key
