"""Notifications: the events the history records, told to webhooks (signed, Standard
Webhooks) and to people by mail (digests), through the database like every other job.

::

    events row ─trigger─► notify_queue ─fan_out─► notifications ─► deliveries ─► Celery ─► HTTP
    (same transaction)                 (one transaction)       └─► mail items ─► digests ─► SMTP

:func:`tick` (beat, every TRANSYNC_NOTIFY_INTERVAL seconds, and after each command) does
everything that is due; each step is safe to run in several processes at once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sync.config import Settings
from sync.db.session import transaction
from sync.notify.vocabulary import EVENT_TYPES, EventType, classify

__all__ = ["EVENT_TYPES", "EventType", "classify", "fan_out_all", "tick"]

log = logging.getLogger(__name__)

TICK = "transync.notify"
FANOUT_BUDGET = 20.0  # seconds of fan-out per tick; the rest waits for the next one


def fan_out_all(settings: Settings, budget: float = FANOUT_BUDGET) -> dict[str, int]:
    """Fan out queued events batch by batch, publishing each batch's deliveries after its
    commit (``published``: how many messages)."""
    from sync.notify.delivery import publish
    from sync.notify.fanout import EVENTS_PER_FANOUT, Fanned, fan_out

    total = Fanned()
    published = 0
    deadline = time.monotonic() + budget
    while True:
        with transaction(settings.database_url) as session:
            fanned = fan_out(session, settings)
        published += publish(settings, fanned.messages)
        total.add(fanned)
        if fanned.events < EVENTS_PER_FANOUT or time.monotonic() > deadline:
            break
    return {
        "events": total.events,
        "notifications": total.notifications,
        "deliveries": total.deliveries,
        "mail_items": total.mail_items,
        "published": published,
    }


def tick(settings: Settings) -> dict[str, Any]:
    """Fan out, warn of ending leases, publish due (and lost) deliveries, send due mail.
    ``published`` counts every delivery message the tick published."""
    from sync.notify.delivery import lease_due, publish
    from sync.notify.digests import send_due
    from sync.notify.fanout import lease_warnings

    fanned = fan_out_all(settings)
    out: dict[str, Any] = {"fanout": fanned}
    with transaction(settings.database_url) as session:
        warned = lease_warnings(session, settings)
    published = fanned["published"] + publish(settings, warned.messages)
    with transaction(settings.database_url) as session:
        due = lease_due(session)
    out["published"] = published + publish(settings, due)
    out["lease_warnings"] = warned.notifications
    out["mail"] = send_due(settings)
    return out


def kick(settings: Settings) -> None:
    """Ask a worker for a tick now, if events wait (after a command or a web request);
    never fails the caller: the beat's tick comes anyway."""
    try:
        from sqlalchemy import select

        from sync.db.models import NotifyQueue

        with transaction(settings.database_url, readonly=True) as session:
            waiting = session.execute(select(NotifyQueue.event_id).limit(1)).first()
        if waiting is None:
            return
        from workers.app import get_app

        get_app(settings).send_task(TICK, kwargs={}, queue="default")
    except Exception as exc:  # noqa: BLE001 - the tick comes anyway
        log.info("notify kick deferred: %s", type(exc).__name__)
