"""The event vocabulary of notifications, read from the history's own events.

Every change already writes an ``events`` row (kind ``task``, ``review``, ``state`` or
``scan`` with its details) in its own transaction; :func:`classify` names what such a row
means to the outside world. Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    TRANSLATION_STALE = "translation.stale"
    TRANSLATION_CURRENT = "translation.current"
    TASK_QUEUED = "task.queued"
    TASK_CLAIMED = "task.claimed"
    TASK_RELEASED = "task.released"
    TASK_SUBMITTED = "task.submitted"
    TASK_APPROVED = "task.approved"
    TASK_REJECTED = "task.rejected"
    TASK_SOURCE_CHANGED = "task.source_changed"
    TASK_CONFLICT = "task.conflict"
    LEASE_EXPIRING = "lease.expiring"
    LEASE_EXPIRED = "lease.expired"
    SCAN_REJECTED = "scan.rejected"


EVENT_TYPES: tuple[str, ...] = tuple(str(t) for t in EventType)

#: told to admins by mail only (never a webhook event): an endpoint was disabled
WEBHOOK_DISABLED = "webhook.disabled"
#: in the daily digest of editors only, computed when it is sent
OVERDUE = "task.overdue"


def parse_types(text: str) -> tuple[str, ...]:
    """``a,b`` → the named types (``*`` or ``all``: every type), or ValueError naming the
    unknown one.

    >>> parse_types("task.queued, task.submitted")
    ('task.queued', 'task.submitted')
    >>> parse_types("*") == EVENT_TYPES
    True
    """
    names = [x.strip() for x in (text or "").replace(" ", ",").split(",") if x.strip()]
    if not names:
        raise ValueError("name at least one event type (or * for all)")
    if any(n in ("*", "all") for n in names):
        return EVENT_TYPES
    bad = [n for n in names if n not in EVENT_TYPES]
    if bad:
        raise ValueError(f"unknown event type {bad[0]!r}; known: {', '.join(EVENT_TYPES)}")
    return tuple(dict.fromkeys(names))


def needs_prior(kind: str, details: Mapping[str, Any]) -> bool:
    """A task that became ``done`` means different things after a review or not: the
    fan-out looks up the task's previous event for it."""
    return kind == "task" and details.get("state") == "done"


def classify(
    kind: str, details: Mapping[str, Any], prior: tuple[str, Mapping[str, Any]] | None = None
) -> list[EventType]:
    """What an events row means, as notification types (often none).

    A ``done`` task whose previous event was an editor's approval or resolution was told
    as that; without review, ``done`` is the translator's submission, applied at once.
    Either way its translation was written back: ``translation.current``, told once per
    translation revision whether it comes from the task or from a state change.

    >>> classify("task", {"task": 1, "state": "queued"})
    [<EventType.TASK_QUEUED: 'task.queued'>]
    >>> classify("task", {"task": 1, "state": "queued", "reason": "lease expired"})
    [<EventType.LEASE_EXPIRED: 'lease.expired'>]
    >>> classify("task", {"task": 1, "state": "claimed", "renewed_until": "…"})
    []
    >>> classify("task", {"task": 1, "state": "claimed", "progress": 3, "of": 8})
    []
    >>> classify("task", {"task": 1, "state": "done"}, ("review", {"verdict": "approved"}))
    [<EventType.TRANSLATION_CURRENT: 'translation.current'>]
    >>> [str(t) for t in classify("task", {"state": "done"}, ("task", {"state": "claimed"}))]
    ['task.submitted', 'translation.current']
    """
    if kind == "task":
        state = details.get("state")
        if details.get("source_changed") and state is None:
            return [EventType.TASK_SOURCE_CHANGED]
        if state == "queued":
            reason = details.get("reason")
            if reason == "lease expired":
                return [EventType.LEASE_EXPIRED]
            if reason == "released":
                return [EventType.TASK_RELEASED]
            return [EventType.TASK_QUEUED] if reason is None else []
        if state == "claimed":  # a renewal or a saved step of work is no new claim
            return (
                []
                if "renewed_until" in details or "progress" in details
                else [EventType.TASK_CLAIMED]
            )
        if state == "submitted":
            return [EventType.TASK_SUBMITTED]
        if state == "conflict":
            return [EventType.TASK_CONFLICT]
        if state == "done":  # written back: the translation is current (unless the
            # source moved on meanwhile: the fan-out looks), and without review, submitted
            if prior is not None and (
                prior[0] == "resolve"
                or (prior[0] == "review" and prior[1].get("verdict") == "approved")
            ):
                return [EventType.TRANSLATION_CURRENT]
            return [EventType.TASK_SUBMITTED, EventType.TRANSLATION_CURRENT]
        return []
    if kind == "review":
        verdict = details.get("verdict")
        if verdict == "approved":
            return [EventType.TASK_APPROVED]
        if verdict == "rejected":
            return [EventType.TASK_REJECTED]
        return []
    if kind == "state":
        if details.get("state") == "stale":
            return [EventType.TRANSLATION_STALE]
        if details.get("state") == "current" and details.get("previous") != "source":
            return [EventType.TRANSLATION_CURRENT]
        return []
    if kind == "scan" and int(details.get("rejected") or 0) > 0:
        return [EventType.SCAN_REJECTED]
    return []


#: who is told by mail: "langs" (users who translate into the language), "assignee" (the
#: task's translator), "editors" (editors and admins)
MAIL_AUDIENCE: dict[str, str] = {
    EventType.TASK_QUEUED: "langs",
    EventType.TASK_SOURCE_CHANGED: "assignee",
    EventType.TASK_REJECTED: "assignee",
    EventType.LEASE_EXPIRING: "assignee",
    EventType.TASK_SUBMITTED: "editors",  # only while it waits for review
    EventType.TRANSLATION_STALE: "editors",
}


def mail_recipients(
    type_: str, data: Mapping[str, Any], actor: str | None, users: list[Any]
) -> list[Any]:
    """The users (with ``name``, ``role``, ``languages``) one notification goes to by mail:
    never the one who did it.

    >>> from types import SimpleNamespace as U
    >>> ayse = U(name="ayse", role="translator", languages=["tr"])
    >>> ed = U(name="ed", role="editor", languages=[])
    >>> [u.name for u in mail_recipients("task.queued", {"lang": "tr"}, "scan", [ayse, ed])]
    ['ayse']
    >>> mail_recipients("task.submitted", {"task": {"state": "done"}}, "ayse", [ayse, ed])
    []
    """
    audience = MAIL_AUDIENCE.get(type_)
    if audience is None:
        return []
    task = data.get("task") or {}
    if type_ == EventType.TASK_SUBMITTED and not data.get("awaiting_review"):
        return []
    if audience == "langs":
        lang = data.get("lang") or task.get("lang")
        chosen = [u for u in users if lang in u.languages]
    elif audience == "assignee":
        who = data.get("assignee") or task.get("assignee")
        chosen = [u for u in users if u.name == who]
    else:
        chosen = [u for u in users if u.role in ("editor", "admin")]
    return [u for u in chosen if u.name != actor]
