"""After a change commits (a command's end, a web response's background task): publish
what it queued in the outbox, and ask for a notify tick if it recorded events.

It sits above both :mod:`sync.outbox` and :mod:`sync.notify`, which need nothing of each
other: notifications plan tasks that go through the outbox, so the outbox must not reach
back into notifications.
"""

from __future__ import annotations

import logging

from sync import outbox
from sync.config import Settings

log = logging.getLogger("sync.outbox")


def nudge(settings: Settings) -> None:
    """Publish what the last transaction queued, after its commit (a command's end, a web
    response's background task). Never fails the caller: if the broker or the database is
    unreachable, the outbox keeps the work and the sweeper publishes it later."""
    try:
        outbox.dispatch(settings)
    except Exception as exc:  # noqa: BLE001 - the outbox keeps the work
        log.info("outbox dispatch deferred: %s", exc)
    from sync.notify import kick  # events to tell: a notify tick now, not at the next beat

    kick(settings)
