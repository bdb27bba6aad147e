"""Webhook deliveries: leasing, sending over one kept-alive connection per batch, the log,
retries with exponential backoff, and disabling an endpoint that keeps failing.

A delivery is sent only by whoever holds its lease: the tick (or the fan-out) leases
pending deliveries to a Celery message (a random token), the worker that receives the
message takes the lease over with a token of its own, sends, and writes each attempt. Two
messages for the same delivery (a republished one, a redelivered one) never both send it;
a worker killed mid-batch leaves leases that lapse, and the tick publishes them again with
the same ``webhook-id``, so a receiver deduplicates what it may see twice.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from sync import __version__
from sync.config import Settings
from sync.db.models import Delivery, DeliveryAttempt, Notification, Webhook, utcnow
from sync.db.session import transaction
from sync.notify import signing
from sync.notify.fanout import DELIVERIES_PER_MESSAGE, QUEUE_LEASE, lease_token
from sync.notify.sender import (
    Sender,
    backoff,
    host_of,
    retry_after_seconds,
    safe_error,
)

log = logging.getLogger(__name__)

DELIVER = "transync.deliver"
# results are written at least this often: what a killed worker sent but did not record
# is sent again (same webhook-id), so the window is kept short
RECORD_EVERY, RECORD_SECONDS = 50, 1.0


def publish(settings: Settings, messages: Sequence[dict[str, Any]]) -> int:
    """Send delivery messages to Celery; a failure leaves the leases to lapse (the tick
    publishes them again), never an error for the caller."""
    if not messages:
        return 0
    from workers.app import get_app

    app = get_app(settings)
    sent = 0
    try:
        with app.producer_or_acquire() as producer:
            for m in messages:
                app.send_task(DELIVER, kwargs=m, queue="default", producer=producer)
                sent += 1
    except Exception as exc:  # noqa: BLE001 - the broker is down: the tick retries
        log.warning(
            "could not publish %d delivery messages: %s", len(messages) - sent, type(exc).__name__
        )
    return sent


def waiting_from(
    session: Session, now: dt.datetime, hooks: Sequence[int] | None = None
) -> dict[int, int]:
    """Per endpoint, its oldest pending delivery that is not due (waiting for a retry) or
    is being sent (a live lease): nothing newer to that endpoint may go before it."""
    q = select(Delivery.webhook_id, func.min(Delivery.id)).where(
        Delivery.state == "pending",
        or_(
            Delivery.next_attempt_at > now,
            and_(Delivery.lease.is_not(None), Delivery.leased_until >= now),
        ),
    )
    if hooks is not None:
        q = q.where(Delivery.webhook_id.in_(list(hooks)))
    return dict(session.execute(q.group_by(Delivery.webhook_id)).all())


def lease_due(
    session: Session,
    now: dt.datetime | None = None,
    limit: int = 5000,
    hooks: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Lease the pending deliveries that are due (no live lease, an active endpoint) to new
    messages: per endpoint, the oldest batch, unless an older delivery to it waits for a
    retry or is being sent (deliveries reach an endpoint in order; :func:`deliver` leases
    the next batch when one is done)."""
    now = now or utcnow()
    q = (
        select(Delivery.id, Delivery.webhook_id)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
        .where(
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now,
            Webhook.active.is_(True),
            Webhook.removed.is_(False),
            or_(Delivery.lease.is_(None), Delivery.leased_until < now),
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    if hooks is not None:
        q = q.where(Delivery.webhook_id.in_(list(hooks)))
    rows = session.execute(q).all()
    blocked = waiting_from(session, now, hooks)
    per_hook: dict[int, list[int]] = {}
    for did, hook in rows:
        if did < blocked.get(hook, did + 1):
            per_hook.setdefault(hook, []).append(did)
    messages = []
    for ids in per_hook.values():
        for i in range(0, min(len(ids), DELIVERIES_PER_MESSAGE), DELIVERIES_PER_MESSAGE):
            token = lease_token()
            got = (
                session.execute(
                    update(Delivery)
                    .where(
                        Delivery.id.in_(ids[i : i + DELIVERIES_PER_MESSAGE]),
                        Delivery.state == "pending",
                        or_(Delivery.lease.is_(None), Delivery.leased_until < now),
                    )
                    .values(lease=token, leased_until=now + QUEUE_LEASE)
                    .returning(Delivery.id)
                    .execution_options(synchronize_session=False)
                )
                .scalars()
                .all()
            )
            if got:
                messages.append({"delivery_ids": sorted(got), "lease": token})
    return messages


@dataclass
class Job:
    """One delivery as the worker sends it."""

    id: int
    webhook_id: int
    notification_id: int
    attempts: int
    first_attempt_at: dt.datetime | None
    body: bytes
    url: str
    secret: str
    # filled in by the attempt
    result: str = ""
    status: int | None = None
    latency_ms: float | None = None
    error: str | None = None
    at: dt.datetime | None = None
    next_at: dt.datetime | None = None

    @property
    def msg_id(self) -> str:
        """``webhook-id``: the same for every attempt of this delivery."""
        return f"msg_{self.id}"


def send_lease(settings: Settings) -> dt.timedelta:
    return dt.timedelta(seconds=2 * settings.webhook_timeout + 5)


def take(
    session: Session, settings: Settings, ids: Sequence[int], lease: str, mine: str
) -> list[Job]:
    """Take over the message's lease on its deliveries (those still pending and leased to
    it); returns them with what sending needs."""
    now = utcnow()
    got = (
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(ids)), Delivery.lease == lease, Delivery.state == "pending")
            .values(lease=mine, leased_until=now + send_lease(settings))
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not got:
        return []
    rows = session.execute(
        select(
            Delivery.id,
            Delivery.webhook_id,
            Delivery.notification_id,
            Delivery.attempts,
            Delivery.first_attempt_at,
            Notification.body,
            Webhook.url,
            Webhook.secret,
            Webhook.active,
            Webhook.removed,
        )
        .join(Notification, Notification.id == Delivery.notification_id)
        .join(Webhook, Webhook.id == Delivery.webhook_id)
        .where(Delivery.id.in_(list(got)))
        .order_by(Delivery.id)
    ).all()
    jobs = []
    for r in rows:
        if not r.active or r.removed:
            continue  # disabled meanwhile: the lease lapses, nothing is sent
        jobs.append(
            Job(
                id=r.id,
                webhook_id=r.webhook_id,
                notification_id=r.notification_id,
                attempts=r.attempts,
                first_attempt_at=r.first_attempt_at,
                body=r.body.encode(),
                url=r.url,
                secret=r.secret,
            )
        )
    return jobs


def attempt(sender: Sender, job: Job, settings: Settings) -> None:
    """POST one delivery, signed; fill in the job's result."""
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": f"transync/{__version__}",
        **signing.headers(job.secret, job.msg_id, timestamp, job.body),
    }
    job.at = utcnow()
    t0 = time.perf_counter()
    retry_after = None
    try:
        job.status, header = sender.post(job.url, job.body, headers)
        retry_after = retry_after_seconds(header, job.at)
    except TimeoutError:
        job.error = f"no answer within {settings.webhook_timeout:g} s"
    except (OSError, http.client.HTTPException) as exc:
        job.error = safe_error(exc, job.url)
    job.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
    status = job.status
    first = job.first_attempt_at or job.at
    if status is not None and 200 <= status < 300:
        job.result = "delivered"
        return
    if status is None or status == 429 or status >= 500:
        job.next_at = backoff(
            job.attempts + 1,
            first,
            job.at,
            base=settings.webhook_retry_seconds,
            horizon=dt.timedelta(hours=settings.webhook_retry_hours),
            retry_after=retry_after,
        )
        job.result = "retry" if job.next_at is not None else "failed"
        return
    job.result = "failed"  # another 4xx (or a redirect): the receiver will not take it


def deliver(settings: Settings, delivery_ids: Sequence[int], lease: str) -> dict[str, int]:
    """Send the deliveries leased to this message, in order, over one connection. A batch
    stops at the first answer that asks to retry (the endpoint is down or busy): the rest,
    and every newer delivery to the endpoint, wait as long as that one does. Results are
    written every few seconds, and at the end; then the endpoint's next batch is leased."""
    mine = lease_token()
    with transaction(settings.database_url) as session:
        jobs = take(session, settings, delivery_ids, lease, mine)
    counts = {"delivered": 0, "retry": 0, "failed": 0, "deferred": 0}
    if not jobs:
        return counts
    done: list[Job] = []
    checkpoint = time.monotonic()
    lease_s = send_lease(settings).total_seconds()
    sender = Sender(settings.webhook_timeout)
    try:
        for i, job in enumerate(jobs):
            attempt(sender, job, settings)
            done.append(job)
            counts[job.result] += 1
            log.info(
                "webhook %d delivery %d (%s) attempt %d: %s%s in %.0f ms",
                job.webhook_id,
                job.id,
                host_of(job.url),
                job.attempts + 1,
                job.result,
                f" {job.status}" if job.status else f" ({job.error})",
                job.latency_ms,
            )
            rest = jobs[i + 1 :]
            if job.result == "retry" and rest:
                for other in rest:  # wait with it, without an attempt of their own
                    other.result, other.next_at = "deferred", job.next_at
                counts["deferred"] += len(rest)
                done += rest
                break
            if rest and (
                len(done) >= RECORD_EVERY
                or time.monotonic() - checkpoint > min(lease_s / 3, RECORD_SECONDS)
            ):
                record(settings, done, mine, extend=[j.id for j in rest])
                done, checkpoint = [], time.monotonic()
    finally:
        sender.close()
    record(settings, done, mine)
    if not counts["retry"]:  # the endpoint's next batch, in order, without waiting a tick
        with transaction(settings.database_url) as session:
            follow = lease_due(session, hooks=sorted({j.webhook_id for j in jobs}))
        publish(settings, follow)
    return counts


def record(settings: Settings, jobs: Sequence[Job], mine: str, extend: Sequence[int] = ()) -> None:
    """Write attempts and their outcome (only for deliveries this worker still holds), the
    endpoints' failing streaks, and disable an endpoint failing for too long."""
    now = utcnow()
    with transaction(settings.database_url) as session:
        held = (
            set(
                session.execute(
                    select(Delivery.id).where(
                        Delivery.id.in_([j.id for j in jobs]), Delivery.lease == mine
                    )
                ).scalars()
            )
            if jobs
            else set()
        )
        jobs = [j for j in jobs if j.id in held]
        attempts = [j for j in jobs if j.result != "deferred"]
        if attempts:
            session.execute(
                insert(DeliveryAttempt),
                [
                    {
                        "delivery_id": j.id,
                        "webhook_id": j.webhook_id,
                        "number": j.attempts + 1,
                        "at": j.at,
                        "result": j.result,
                        "status": j.status,
                        "latency_ms": j.latency_ms,
                        "error": j.error,
                        "next_attempt_at": j.next_at,
                    }
                    for j in attempts
                ],
            )
        table = Delivery.__table__
        held_by_me = (table.c.id == bindparam("_id")) & (table.c.lease == bindparam("_mine"))
        if attempts:  # one executemany (pipelined by psycopg), not a statement per row
            session.connection().execute(
                table.update().where(held_by_me),
                [
                    {
                        "_id": j.id,
                        "_mine": mine,
                        "lease": None,
                        "leased_until": None,
                        "attempts": j.attempts + 1,
                        "last_status": j.status,
                        "last_error": j.error,
                        "first_attempt_at": j.first_attempt_at or j.at,
                        "state": j.result if j.result in ("delivered", "failed") else "pending",
                        "finished_at": now if j.result in ("delivered", "failed") else None,
                        "next_attempt_at": j.next_at if j.result == "retry" else j.at,
                    }
                    for j in attempts
                ],
            )
        deferred = [j for j in jobs if j.result == "deferred"]
        if deferred:
            session.connection().execute(
                table.update().where(held_by_me),
                [
                    {
                        "_id": j.id,
                        "_mine": mine,
                        "lease": None,
                        "leased_until": None,
                        "next_attempt_at": j.next_at or now,
                    }
                    for j in deferred
                ],
            )
        if extend:
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(list(extend)), Delivery.lease == mine)
                .values(leased_until=now + send_lease(settings))
                .execution_options(synchronize_session=False)
            )
        streaks(session, settings, attempts, now)


def streaks(
    session: Session, settings: Settings, attempts: Sequence[Job], now: dt.datetime
) -> None:
    ok = {j.webhook_id for j in attempts if j.result == "delivered"}
    bad = {j.webhook_id for j in attempts if j.result != "delivered"} - ok
    if ok:
        session.execute(
            update(Webhook).where(Webhook.id.in_(sorted(ok))).values(failing_since=None)
        )
    if not bad:
        return
    session.execute(
        update(Webhook)
        .where(Webhook.id.in_(sorted(bad)), Webhook.failing_since.is_(None))
        .values(failing_since=now)
    )
    cutoff = now - dt.timedelta(days=settings.webhook_disable_days)
    gone = session.execute(
        update(Webhook)
        .where(
            Webhook.id.in_(sorted(bad)), Webhook.active.is_(True), Webhook.failing_since <= cutoff
        )
        .values(
            active=False,
            disabled_at=now,
            disabled_reason=f"failing for {settings.webhook_disable_days:g} days",
        )
        .returning(Webhook.id, Webhook.url, Webhook.failing_since)
        .execution_options(synchronize_session=False)
    ).all()
    last = {j.webhook_id: j for j in attempts}
    for hook_id, url, since in gone:
        j = last.get(hook_id)
        why = f"HTTP {j.status}" if j is not None and j.status else (j.error if j else "")
        log.warning(
            "webhook %d (%s) disabled: failing since %s (last: %s)",
            hook_id,
            host_of(url),
            since,
            why,
        )
        tell_admins(session, settings, hook_id, host_of(url), since, why or "")


def tell_admins(
    session: Session,
    settings: Settings,
    hook_id: int,
    host: str,
    since: dt.datetime | None,
    why: str,
) -> None:
    """A mail item for every active admin with an address (whatever their digest setting:
    this is about keeping transync running), sent with the next immediate mails."""
    from sync.db.models import MailItem, User
    from sync.status import iso

    if not settings.smtp_url:
        return
    admins = (
        session.execute(
            select(User.id).where(
                User.role == "admin",
                User.active.is_(True),
                User.email.is_not(None),
                User.email != "",
            )
        )
        .scalars()
        .all()
    )
    now = utcnow()
    base = settings.base_url.rstrip("/")
    if admins:
        session.execute(
            insert(MailItem),
            [
                {
                    "user_id": uid,
                    "notification_id": None,
                    "type": "webhook.disabled",
                    "data": {
                        "type": "webhook.disabled",
                        "webhook": hook_id,
                        "host": host,
                        "failing_since": iso(since),
                        "last": why,
                        "at": iso(now),
                        "url": f"{base}/webhooks/{hook_id}",
                    },
                    "created_at": now,
                }
                for uid in admins
            ],
        )


def stale_leases(session: Session, now: dt.datetime | None = None) -> int:
    """How many pending deliveries hold a lapsed lease (a lost message, a dead worker)."""
    from sqlalchemy import func

    now = now or utcnow()
    return int(
        session.execute(
            select(func.count())
            .select_from(Delivery)
            .where(
                and_(
                    Delivery.state == "pending",
                    Delivery.lease.is_not(None),
                    Delivery.leased_until < now,
                )
            )
        ).scalar_one()
    )
