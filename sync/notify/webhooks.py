"""Webhook endpoints: add (the secret is returned once), list, remove, enable again, and
the delivery log. The CLI (`transync webhooks …`), the API and the admin page call these."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Delivery, DeliveryAttempt, Notification, Webhook, utcnow
from sync.errors import InputError, NotFound
from sync.notify import signing
from sync.notify.sender import host_of
from sync.notify.vocabulary import EVENT_TYPES, parse_types
from sync.status import iso


def check_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"webhook URL {host_of(url)!r}: give an http:// or https:// URL")
    if len(url) > 2048:
        raise InputError("a webhook URL has at most 2,048 characters")
    return url


def check_types(events: str | Sequence[str]) -> tuple[str, ...]:
    text = events if isinstance(events, str) else ",".join(events)
    try:
        return parse_types(text)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def add_webhook(
    session: Session, url: str, events: str | Sequence[str], actor: str | None = None
) -> tuple[Webhook, str]:
    """A new endpoint; returns it and its secret (``whsec_…``), which is never shown
    again."""
    url = check_url(url)
    types = check_types(events)
    secret = signing.new_secret()
    hook = Webhook(
        url=url,
        events="*" if types == EVENT_TYPES else ",".join(types),
        secret=secret,
        active=True,
        removed=False,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(hook)
    session.flush()
    return hook, secret


def get_webhook(session: Session, hook_id: int) -> Webhook:
    hook = session.get(Webhook, hook_id)
    if hook is None or hook.removed:
        raise NotFound(
            f"no webhook #{hook_id}; `transync webhooks list` lists them", webhook=hook_id
        )
    return hook


def remove_webhook(session: Session, hook_id: int) -> Webhook:
    """The endpoint stops receiving at once; its pending deliveries are cancelled and its
    log is kept."""
    hook = get_webhook(session, hook_id)
    hook.removed, hook.active = True, False
    now = utcnow()
    session.execute(
        update(Delivery)
        .where(Delivery.webhook_id == hook.id, Delivery.state == "pending")
        .values(state="cancelled", finished_at=now, lease=None, leased_until=None)
        .execution_options(synchronize_session=False)
    )
    return hook


def enable_webhook(session: Session, settings: Settings, hook_id: int) -> tuple[Webhook, int]:
    """Bring back a disabled endpoint: its waiting deliveries, and what happened while it
        was disabled (in order), go out with the next tick (those past their 24 hours are tried
    once more). Returns it and how many events it
        had missed."""
    from sync.notify.fanout import Listener, replay, webhook_types

    hook = get_webhook(session, hook_id)
    missed = 0
    if not hook.active and hook.disabled_at is not None:
        listener = Listener(id=hook.id, types=webhook_types(hook.events))
        missed = replay(session, settings, listener, hook.disabled_at)
    hook.active, hook.disabled_at, hook.disabled_reason = True, None, None
    hook.failing_since = None
    return hook, missed


def webhook_dict(hook: Webhook, counts: dict[str, int] | None = None) -> dict[str, Any]:
    """An endpoint as the CLI's --json and the API show it: never its secret."""
    return {
        "id": hook.id,
        "url": hook.url,
        "events": list(EVENT_TYPES) if hook.events == "*" else hook.events.split(","),
        "active": hook.active,
        "created_at": iso(hook.created_at),
        "created_by": hook.created_by,
        "failing_since": iso(hook.failing_since),
        "disabled_at": iso(hook.disabled_at),
        "disabled_reason": hook.disabled_reason,
        "deliveries": counts or {},
    }


def list_webhooks(session: Session) -> list[dict[str, Any]]:
    hooks = (
        session.execute(select(Webhook).where(Webhook.removed.is_(False)).order_by(Webhook.id))
        .scalars()
        .all()
    )
    counts: dict[int, dict[str, int]] = {}
    for hook_id, state, n in session.execute(
        select(Delivery.webhook_id, Delivery.state, func.count()).group_by(
            Delivery.webhook_id, Delivery.state
        )
    ):
        counts.setdefault(hook_id, {})[state] = n
    return [webhook_dict(h, counts.get(h.id, {})) for h in hooks]


def delivery_log(
    session: Session, hook_id: int | None = None, *, limit: int = 50, before: int | None = None
) -> list[dict[str, Any]]:
    """Attempts, newest first: when, which event, the answer, latency and the next try."""
    if hook_id is not None:
        get_webhook(session, hook_id)
    q = (
        select(DeliveryAttempt, Delivery.state, Notification.type, Notification.id)
        .join(Delivery, Delivery.id == DeliveryAttempt.delivery_id)
        .join(Notification, Notification.id == Delivery.notification_id)
    )
    if hook_id is not None:
        q = q.where(DeliveryAttempt.webhook_id == hook_id)
    if before is not None:
        q = q.where(DeliveryAttempt.id < before)
    q = q.order_by(DeliveryAttempt.id.desc()).limit(limit)
    return [
        {
            "id": a.id,
            "webhook": a.webhook_id,
            "delivery": a.delivery_id,
            "webhook_id": f"msg_{a.delivery_id}",
            "event": etype,
            "notification": nid,
            "attempt": a.number,
            "at": iso(a.at),
            "result": a.result,
            "status": a.status,
            "latency_ms": a.latency_ms,
            "error": a.error,
            "next_attempt_at": iso(a.next_attempt_at),
            "delivery_state": state,
        }
        for a, state, etype, nid in session.execute(q)
    ]


def notifications_for(
    session: Session, *, task_id: int | None = None, post_id: int | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Which notifications went out about a task or a post: type, when, and to whom
    (webhook deliveries with their state, and mails)."""
    from sync.db.models import Digest, MailItem, User

    q = select(Notification)
    if task_id is not None:
        q = q.where(Notification.task_id == task_id)
    if post_id is not None:
        q = q.where(Notification.post_id == post_id)
    notes = session.execute(q.order_by(Notification.id.desc()).limit(limit)).scalars().all()
    if not notes:
        return []
    ids = [n.id for n in notes]
    hooks: dict[int, list[dict[str, Any]]] = {}
    for nid, hook_id, state, attempts, status in session.execute(
        select(
            Delivery.notification_id,
            Delivery.webhook_id,
            Delivery.state,
            Delivery.attempts,
            Delivery.last_status,
        )
        .where(Delivery.notification_id.in_(ids))
        .order_by(Delivery.id)
    ):
        hooks.setdefault(nid, []).append(
            {"webhook": hook_id, "state": state, "attempts": attempts, "status": status}
        )
    mails: dict[int, list[dict[str, Any]]] = {}
    for nid, name, dstate in session.execute(
        select(MailItem.notification_id, User.name, Digest.state)
        .join(User, User.id == MailItem.user_id)
        .outerjoin(Digest, Digest.id == MailItem.digest_id)
        .where(MailItem.notification_id.in_(ids))
        .order_by(MailItem.id)
    ):
        mails.setdefault(nid, []).append({"user": name, "state": dstate or "waiting"})
    return [
        {
            "id": n.id,
            "type": n.type,
            "at": iso(n.created_at),
            "lang": n.lang,
            "webhooks": hooks.get(n.id, []),
            "mails": mails.get(n.id, []),
        }
        for n in notes
    ]


def metric_lines(session: Session) -> list[str]:
    """/metrics: webhook attempts and deliveries by result, digests by outcome."""
    from sync.db.models import Digest

    attempts = dict(
        session.execute(
            select(DeliveryAttempt.result, func.count()).group_by(DeliveryAttempt.result)
        ).all()
    )
    states = dict(
        session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
    )
    digests = dict(session.execute(select(Digest.state, func.count()).group_by(Digest.state)).all())
    lines = [
        "# HELP transync_webhook_attempts_total Webhook delivery attempts by result.",
        "# TYPE transync_webhook_attempts_total counter",
    ]
    lines += [
        f'transync_webhook_attempts_total{{result="{r}"}} {attempts.get(r, 0)}'
        for r in ("delivered", "retry", "failed")
    ]
    lines += [
        "# HELP transync_webhook_deliveries Webhook deliveries by state "
        "(pending: waiting or retrying).",
        "# TYPE transync_webhook_deliveries gauge",
    ]
    lines += [
        f'transync_webhook_deliveries{{state="{s}"}} {states.get(s, 0)}'
        for s in ("pending", "delivered", "failed", "cancelled")
    ]
    lines += [
        "# HELP transync_mail_digests_total Digests by outcome (empty: nothing to say, not sent).",
        "# TYPE transync_mail_digests_total counter",
    ]
    lines += [
        f'transync_mail_digests_total{{state="{s}"}} {digests.get(s, 0)}'
        for s in ("sent", "empty", "sending", "failed")
    ]
    return lines
