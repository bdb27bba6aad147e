"""Past work written straight into the tasks table: finished tasks with chosen words, days
and translators, for the forecast's tests (the forecast reads nothing else of them)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.db.models import Post, Task


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def add_done(
    session: Session,
    *,
    key: str,
    lang: str,
    words: int,
    day: dt.date,
    assignee: str,
    wait_hours: float = 5,
    work_hours: float = 20,
    hour: int = 12,
) -> Task:
    """A task finished at ``hour`` of ``day``, claimed ``work_hours`` before, planned
    ``wait_hours`` before that."""
    post_id = session.execute(select(Post.id).where(Post.key == key)).scalar_one()
    finished = at(day, hour)
    claimed = finished - dt.timedelta(hours=work_hours)
    task = Task(
        post_id=post_id,
        lang=lang,
        state="done",
        kind="update",
        source_revision=1,
        claimed_revision=1,
        assignee=assignee,
        words=words,
        created_at=claimed - dt.timedelta(hours=wait_hours),
        claimed_at=claimed,
        finished_at=finished,
        updated_at=finished,
        progress={},
    )
    session.add(task)
    session.flush()
    return task
