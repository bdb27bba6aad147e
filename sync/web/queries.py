"""Read-only aggregates the pages and /metrics show: queue depth, task durations,
revisions of versions, translators of a language. Grouped in SQL, never one query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sync.db.models import Outbox, Revision, Task, User


def task_counts(session: Session) -> dict[tuple[str, str], int]:
    """(language, task state) → number of tasks."""
    rows = session.execute(
        select(Task.lang, Task.state, func.count()).group_by(Task.lang, Task.state)
    )
    return {(lang, state): n for lang, state, n in rows}


def queued(session: Session) -> dict[str, int]:
    """Language → tasks waiting to be claimed."""
    rows = session.execute(
        select(Task.lang, func.count()).where(Task.state == "queued").group_by(Task.lang)
    )
    return {lang: n for lang, n in rows}


def finished_tasks(session: Session) -> list[tuple[str, float | None, float]]:
    """(language, seconds from last claim to done, seconds from planned to done) per done task."""
    out = []
    for lang, created, claimed, finished in session.execute(
        select(Task.lang, Task.created_at, Task.claimed_at, Task.finished_at).where(
            Task.state == "done", Task.finished_at.is_not(None)
        )
    ):
        work = (finished - claimed).total_seconds() if claimed else None
        out.append((lang, work, (finished - created).total_seconds()))
    return out


def outbox_pending(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(Outbox).where(Outbox.done_at.is_(None))
    ).scalar_one()


def revisions(session: Session, version_ids: Iterable[int]) -> dict[int, list[Revision]]:
    """Version id → its revisions, newest first."""
    out: dict[int, list[Revision]] = defaultdict(list)
    ids = list(version_ids)
    if not ids:
        return {}
    for rev in session.execute(
        select(Revision)
        .where(Revision.version_id.in_(ids))
        .order_by(Revision.version_id, Revision.number.desc())
    ).scalars():
        out[rev.version_id].append(rev)
    return dict(out)


def translators_by_lang(session: Session) -> dict[str, list[str]]:
    """Language → names of active translators who work in it."""
    out: dict[str, list[str]] = defaultdict(list)
    for user in session.execute(
        select(User).where(User.active.is_(True), User.role == "translator").order_by(User.name)
    ).scalars():
        for lang in user.languages:
            out[lang].append(user.name)
    return dict(out)


def assignees(session: Session) -> list[str]:
    """Everyone who holds or held a task (for the matrix's translator filter)."""
    return sorted(n for n in session.execute(select(Task.assignee).distinct()).scalars() if n)
