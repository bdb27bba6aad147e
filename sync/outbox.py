"""The outbox: messages to Celery are rows written in the same transaction as the change.

A dispatcher publishes them after commit; a sweeper republishes whatever was not
done; the worker marks a row done in the transaction that does its work. A lost
message, a dead worker or a flushed Redis delays work, never loses it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Outbox, utcnow
from sync.db.session import transaction

log = logging.getLogger(__name__)

PREFILL = "transync.prefill"
EXPORT = "transync.export"
SCAN = "transync.scan"
BATCH = 200  # task ids per pre-fill message: 10,000 changed posts are 50 messages, not 10,000


def enqueue(session: Session, name: str, args: dict[str, Any], queue: str | None = None) -> int:
    return session.execute(
        insert(Outbox)
        .values(task_name=name, args=args, queue=queue, created_at=utcnow(), attempts=0)
        .returning(Outbox.id)
    ).scalar_one()


def enqueue_prefill(session: Session, tasks: Iterable[tuple[int, str]]) -> list[int]:
    """Batch (task id, language) pairs into pre-fill messages on per-language queues."""
    by_lang: dict[str, list[int]] = {}
    for task_id, lang in tasks:
        by_lang.setdefault(lang, []).append(task_id)
    ids = []
    for lang, task_ids in sorted(by_lang.items()):
        for i in range(0, len(task_ids), BATCH):
            ids.append(
                enqueue(
                    session, PREFILL, {"task_ids": task_ids[i : i + BATCH]}, queue=f"prefill.{lang}"
                )
            )
    return ids


def complete(session: Session, outbox_id: int | None) -> None:
    if outbox_id is not None:
        session.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.done_at.is_(None))
            .values(done_at=utcnow())
        )


def pending(
    session: Session, *, older_than: dt.timedelta | None = None, limit: int = 1000
) -> Sequence[Outbox]:
    q = select(Outbox).where(Outbox.done_at.is_(None))
    if older_than is not None:
        cutoff = utcnow() - older_than
        q = q.where((Outbox.published_at.is_(None)) | (Outbox.published_at < cutoff))
    # fewest attempts first: messages that keep failing never starve newer ones
    return session.execute(q.order_by(Outbox.attempts, Outbox.id).limit(limit)).scalars().all()


def publish(settings: Settings, rows: Sequence[Outbox]) -> int:
    """Send rows to the broker; returns how many went out. Failures leave them pending."""
    if not rows:
        return 0
    from workers.app import get_app

    app = get_app(settings)
    sent: list[int] = []
    try:
        with app.producer_or_acquire() as producer:
            for row in rows:
                app.send_task(
                    row.task_name,
                    kwargs={**row.args, "outbox_id": row.id},
                    queue=row.queue or "default",
                    producer=producer,
                )
                sent.append(row.id)
    except Exception as exc:  # noqa: BLE001 - broker down: the sweeper retries later
        log.warning("could not publish %d outbox messages: %s", len(rows) - len(sent), exc)
    if sent:
        with transaction(settings.database_url) as session:
            session.execute(
                update(Outbox)
                .where(Outbox.id.in_(sent))
                .values(published_at=utcnow(), attempts=Outbox.attempts + 1)
            )
    return len(sent)


def dispatch(settings: Settings) -> int:
    """Publish every message not yet published (call after commit)."""
    with transaction(settings.database_url) as session:
        rows = [r for r in pending(session) if r.published_at is None]
    return publish(settings, rows)


def sweep(settings: Settings, older_than: dt.timedelta = dt.timedelta(seconds=60)) -> int:
    """Republish messages not done within `older_than` of their last publication."""
    with transaction(settings.database_url) as session:
        rows = list(pending(session, older_than=older_than))
    return publish(settings, rows)
