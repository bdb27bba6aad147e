"""Digests: each user's mail items, sent once per user and period.

A period is ``daily:<date>`` (at TRANSYNC_DIGEST_HOUR, UTC) or, for users who chose
``immediate``, ``immediate:<first item>``. The (user, period) row is inserted before
anything is sent and is unique, so two beat processes or two workers send one mail; the
items are bound to it in the same transaction. A digest left ``sending`` (a worker killed
mid-send) is taken over after five minutes and sent with the same items and Message-ID.
A digest with nothing to say is recorded as ``empty`` and not sent. A daily digest waits
while older events wait to be fanned out, so a tick running beside another's fan-out does
not send the day's digest without that fan-out's news.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import (
    OPEN_TASK_STATES,
    Digest,
    Event,
    MailItem,
    NotifyQueue,
    Post,
    Task,
    User,
    utcnow,
)
from sync.db.session import transaction
from sync.notify import mail
from sync.notify.vocabulary import OVERDUE, WEBHOOK_DISABLED
from sync.status import iso

log = logging.getLogger(__name__)

SENDING_LEASE = dt.timedelta(minutes=5)
SETTLE = dt.timedelta(seconds=1)  # events younger than this may wait for tomorrow's digest
MAX_ATTEMPTS = 10
OVERDUE_LIMIT = 50


def daily_period(settings: Settings, now: dt.datetime) -> str:
    """The latest daily period that has begun.

    >>> from sync.config import Settings
    >>> daily_period(Settings(digest_hour=7), dt.datetime(2026, 3, 2, 6, 59, tzinfo=dt.UTC))
    'daily:2026-03-01'
    """
    day = now.date() if now.hour >= settings.digest_hour else now.date() - dt.timedelta(days=1)
    return f"daily:{day.isoformat()}"


def send_due(settings: Settings, now: dt.datetime | None = None) -> dict[str, int]:
    """Send what is due: immediate mails, the daily period's digests, and digests left
    sending. Safe to run in several processes at once."""
    counts = {"sent": 0, "empty": 0, "failed": 0}
    if not settings.smtp_url:
        return counts
    now = now or utcnow()
    period = daily_period(settings, now)
    cutoff = now - SENDING_LEASE
    with transaction(settings.database_url, readonly=True) as session:
        readers = (User.active.is_(True), User.email.is_not(None), User.email != "")
        pending = session.execute(
            select(MailItem.user_id, func.min(MailItem.id))
            .join(User, User.id == MailItem.user_id)
            .where(
                MailItem.digest_id.is_(None),
                *readers,
                or_(User.digest == "immediate", MailItem.type == WEBHOOK_DISABLED),
            )
            .group_by(MailItem.user_id)
        ).all()
        daily = (
            session.execute(
                select(User.id).where(
                    *readers,
                    User.digest.in_(("daily", "immediate")),
                    ~exists().where(Digest.user_id == User.id, Digest.period == period),
                )
            )
            .scalars()
            .all()
        )
        stuck = session.execute(
            select(Digest.user_id, Digest.period).where(
                Digest.state == "sending", Digest.claimed_at < cutoff
            )
        ).all()
    jobs = [(uid, f"immediate:{first}") for uid, first in pending]
    jobs += [(uid, period) for uid in daily] + [tuple(r) for r in stuck]
    for user_id, p in jobs:
        try:
            outcome = run_digest(settings, user_id, p, now)
        except Exception:  # noqa: BLE001 - one reader's trouble must not stop the others
            log.exception("digest %s for user %d failed", p, user_id)
            outcome = "failed"
        if outcome in counts:
            counts[outcome] += 1
    return counts


def unfanned(session: Session, before: dt.datetime) -> bool:
    """Whether an event older than `before` waits to be fanned out (on PostgreSQL a fan-out
    under way still shows its queue rows until it commits)."""
    return (
        session.execute(
            select(NotifyQueue.event_id)
            .join(Event, Event.id == NotifyQueue.event_id)
            .where(Event.at < before)
            .limit(1)
        ).first()
        is not None
    )


def claim(session: Session, user_id: int, period: str, now: dt.datetime) -> int | None:
    """The digest's id if this process is to send it (new, or left sending too long)."""
    dialect = session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Digest)
    new = session.execute(
        ins.values(
            user_id=user_id, period=period, state="sending", items=0, attempts=1, claimed_at=now
        )
        .on_conflict_do_nothing(index_elements=["user_id", "period"])
        .returning(Digest.id)
    ).scalar()
    if new is not None:
        return int(new)
    return session.execute(
        update(Digest)
        .where(
            Digest.user_id == user_id,
            Digest.period == period,
            Digest.state == "sending",
            Digest.claimed_at < now - SENDING_LEASE,
        )
        .values(claimed_at=now, attempts=Digest.attempts + 1)
        .returning(Digest.id)
        .execution_options(synchronize_session=False)
    ).scalar()


def run_digest(
    settings: Settings, user_id: int, period: str, now: dt.datetime | None = None
) -> str:
    """Claim, bind the items, send, mark sent: ``sent``, ``empty``, ``failed`` or ``skipped``
    (someone else has it)."""
    now = now or utcnow()
    with transaction(settings.database_url) as session:
        if period.startswith("daily:") and unfanned(session, now - SETTLE):
            return "skipped"  # a fan-out is due or under way: its items belong in this mail
        digest_id = claim(session, user_id, period, now)
        if digest_id is None:
            return "skipped"
        user = session.get(User, user_id)
        if user is None or not user.active or not user.email:
            session.execute(update(Digest).where(Digest.id == digest_id).values(state="empty"))
            return "empty"
        bind = [MailItem.user_id == user_id, MailItem.digest_id.is_(None)]
        if period.startswith("immediate:") and user.digest != "immediate":
            bind.append(MailItem.type == WEBHOOK_DISABLED)  # the rest waits for the day
        if period.startswith("immediate:") or user.digest != "immediate":
            session.execute(
                update(MailItem)
                .where(*bind)
                .values(digest_id=digest_id)
                .execution_options(synchronize_session=False)
            )
        items = [
            dict(i.data or {}, type=i.type)
            for i in session.execute(
                select(MailItem).where(MailItem.digest_id == digest_id).order_by(MailItem.id)
            ).scalars()
        ]
        forecast: list[dict[str, Any]] = []
        if period.startswith("daily:") and user.role in ("editor", "admin"):
            items += overdue(session, settings, now)
            from sync.workload import digest_forecast  # issue 19: when the queues clear

            forecast = digest_forecast(session, settings, now)
        to, name, lang = user.email, user.name, user.ui_lang or "en"
        digest = session.get(Digest, digest_id)
        assert digest is not None
        digest.items = len(items)
        if not items:
            digest.state = "empty"
            return "empty"
        attempts = digest.attempts
        msg_id = mail.message_id(settings, digest_id, user_id)
    message = mail.compose(
        settings,
        to=to,
        name=name,
        lang=lang,
        items=items,
        period=period,
        message_id=msg_id,
        now=now,
        forecast=forecast,
    )
    try:
        mail.send(settings, message)
    except mail.MailError as exc:
        log.warning("digest %d (%s) for %s not sent: %s", digest_id, period, name, exc)
        with transaction(settings.database_url) as session:
            values: dict[str, Any] = {"error": str(exc)}
            if attempts >= MAX_ATTEMPTS:  # give up: the items wait for the next period
                values["state"] = "failed"
                session.execute(
                    update(MailItem).where(MailItem.digest_id == digest_id).values(digest_id=None)
                )
            session.execute(update(Digest).where(Digest.id == digest_id).values(**values))
        return "failed"
    with transaction(settings.database_url) as session:
        session.execute(
            update(Digest)
            .where(Digest.id == digest_id)
            .values(state="sent", sent_at=utcnow(), message_id=msg_id, error=None)
        )
    log.info("digest %d (%s) sent to %s: %d items", digest_id, period, name, len(items))
    return "sent"


def overdue(session: Session, settings: Settings, now: dt.datetime) -> list[dict[str, Any]]:
    """Open tasks past their due date, for editors' daily digests (computed when sent)."""
    from sync.queue import task_dict

    base = settings.base_url.rstrip("/")
    rows = session.execute(
        select(Task, Post.key)
        .join(Post, Post.id == Task.post_id)
        .where(Task.state.in_(OPEN_TASK_STATES), Task.due.is_not(None), Task.due < now.date())
        .order_by(Task.due, Task.id)
        .limit(OVERDUE_LIMIT)
    ).all()
    return [
        {
            "type": OVERDUE,
            "task": task_dict(t, key),
            "post": key,
            "lang": t.lang,
            "due": t.due.isoformat() if t.due else None,
            "at": iso(now),
            "url": f"{base}/tasks/{t.id}",
        }
        for t, key in rows
    ]


def recent(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Digest, User.name)
        .join(User, User.id == Digest.user_id)
        .order_by(Digest.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": d.id,
            "user": name,
            "period": d.period,
            "state": d.state,
            "items": d.items,
            "attempts": d.attempts,
            "sent_at": iso(d.sent_at),
            "error": d.error,
        }
        for d, name in rows
    ]
