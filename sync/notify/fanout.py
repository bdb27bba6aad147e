"""The fan-out: queued events become notifications, webhook deliveries and mail items.

Every change writes its ``events`` row in its own transaction, and a trigger (migration
0007) queues the row's id in ``notify_queue`` in that same transaction while anyone listens.
:func:`fan_out` deletes a batch of queue rows (``SKIP LOCKED`` on PostgreSQL: two fan-outs
take different rows) and writes what they mean in the same transaction, so an event is told
exactly once, or not yet. Deliveries are written already leased to the Celery message that
will carry them (:func:`sync.notify.delivery.publish`); a message that never arrives lets its
lease lapse, and the tick publishes the deliveries again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import (
    Delivery,
    Event,
    MailItem,
    Notification,
    NotifyQueue,
    Post,
    Task,
    User,
    Webhook,
    utcnow,
)
from sync.notify.vocabulary import EventType, classify, mail_recipients, needs_prior
from sync.status import iso

log = logging.getLogger(__name__)

EVENTS_PER_FANOUT = 500  # per transaction: deliveries of a batch start while the next fans out
DELIVERIES_PER_MESSAGE = 100  # one Celery message, one kept-alive connection, one commit
QUEUE_LEASE = dt.timedelta(minutes=5)  # a published message not started by then: republished
LEASE_WARNING = dt.timedelta(hours=24)  # lease.expiring, once per lease


@dataclass
class Fanned:
    """What one fan-out wrote: counts, and the delivery messages to publish after commit."""

    events: int = 0
    notifications: int = 0
    deliveries: int = 0
    mail_items: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Fanned) -> None:
        self.events += other.events
        self.notifications += other.notifications
        self.deliveries += other.deliveries
        self.mail_items += other.mail_items
        self.messages += other.messages


@dataclass(frozen=True, kw_only=True)
class Listener:
    id: int
    types: frozenset[str]


@dataclass(frozen=True, kw_only=True)
class Reader:
    """A user who gets mail: what the recipient rules need."""

    id: int
    name: str
    role: str
    languages: tuple[str, ...]


def webhook_types(events: str) -> frozenset[str]:
    from sync.notify.vocabulary import EVENT_TYPES

    names = {x.strip() for x in events.split(",") if x.strip()}
    return frozenset(EVENT_TYPES) if "*" in names else frozenset(names)


def listeners(session: Session) -> list[Listener]:
    rows = session.execute(
        select(Webhook.id, Webhook.events)
        .where(Webhook.active.is_(True), Webhook.removed.is_(False))
        .order_by(Webhook.id)
    )
    return [Listener(id=i, types=webhook_types(ev)) for i, ev in rows]


def readers(session: Session, settings: Settings) -> list[Reader]:
    """Users who get mail: active, with an address, digest not off; none without SMTP."""
    if not settings.smtp_url:
        return []
    rows = session.execute(
        select(User).where(
            User.active.is_(True), User.email.is_not(None), User.email != "", User.digest != "off"
        )
    ).scalars()
    return [Reader(id=u.id, name=u.name, role=u.role, languages=tuple(u.languages)) for u in rows]


def claim_events(session: Session, limit: int) -> list[int]:
    """Take up to `limit` queued event ids (deleted now, committed with what they became)."""
    pick = "SELECT event_id FROM notify_queue ORDER BY event_id LIMIT :n"
    if session.get_bind().dialect.name == "postgresql":
        pick += " FOR UPDATE SKIP LOCKED"
    rows = (
        session.execute(
            text(f"DELETE FROM notify_queue WHERE event_id IN ({pick}) RETURNING event_id"),
            {"n": limit},
        )
        .scalars()
        .all()
    )
    return sorted(rows)


def lease_token() -> str:
    return secrets.token_hex(8)


def fan_out(session: Session, settings: Settings, limit: int = EVENTS_PER_FANOUT) -> Fanned:
    """Fan out up to `limit` queued events, in the caller's transaction."""
    ids = claim_events(session, limit)
    result = Fanned(events=len(ids))
    if not ids:
        return result
    hooks, people = listeners(session), readers(session, settings)
    if not hooks and not people:
        return result  # nobody listens any more: the queue rows go, nothing else
    rows = session.execute(
        select(Event, Post.key)
        .outerjoin(Post, Post.id == Event.post_id)
        .where(Event.id.in_(ids))
        .order_by(Event.id)
    ).all()
    wanted = {t for h in hooks for t in h.types}
    if people:
        from sync.notify.vocabulary import MAIL_AUDIENCE

        wanted |= set(MAIL_AUDIENCE)
    made = notifications_of(session, settings, rows, wanted)
    shared = [k for k in made if not k.startswith("event:")]  # told once, whichever event
    if shared:
        for k in session.execute(
            select(Notification.key).where(Notification.key.in_(shared))
        ).scalars():
            made.pop(k, None)
    result.add(write(session, settings, list(made.values()), hooks, people))
    return result


def notifications_of(
    session: Session,
    settings: Settings,
    rows: Sequence[Any],
    wanted: set[str] | frozenset[str],
) -> dict[str, Made]:
    """What (event, post key) rows mean as notifications of the `wanted` types, by key, in
    the events' order."""
    priors = prior_events(session, [e for e, _ in rows if needs_prior(e.kind, e.details)])
    facts: list[tuple[Event, str | None, EventType]] = []
    for event, key in rows:
        for type_ in classify(event.kind, event.details or {}, priors.get(event.id)):
            if type_ in wanted:
                facts.append((event, key, type_))
    if not facts:
        return {}
    data = Payloads(session, settings, facts)
    made: dict[str, Made] = {}
    for event, key, type_ in facts:
        d = data.of(event, key, type_)
        if d is None:
            continue
        k = d.pop("_key", None) or f"event:{event.id}:{type_}"
        made.setdefault(
            k,
            Made(
                key=k,
                type=type_,
                event_id=event.id,
                post_id=event.post_id,
                lang=event.lang,
                at=event.at,
                actor=event.actor,
                data=d,
            ),
        )
    return made


#: events this long before an endpoint was disabled are looked at again when it is enabled:
#: a fan-out that ran after the disabling left out what happened just before it
REPLAY_MARGIN = dt.timedelta(hours=1)


def replay(session: Session, settings: Settings, hook: Listener, since: dt.datetime) -> int:
    """Deliveries to an endpoint enabled again for what it missed while disabled: every
    event since `since` of its types that it has no delivery of, in the events' order (a
    notification others were told is delivered as they got it; the rest are made now).
    The tick sends them; returns how many."""
    rows = session.execute(
        select(Event, Post.key)
        .outerjoin(Post, Post.id == Event.post_id)
        .where(Event.at >= since - REPLAY_MARGIN)
        .order_by(Event.id)
    ).all()
    made = notifications_of(session, settings, rows, hook.types)
    if not made:
        return 0
    dialect = session.get_bind().dialect.name
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Notification)
    now = utcnow()
    ids: list[int] = []
    for m in made.values():
        nid = session.execute(
            ins.values(
                key=m.key,
                type=m.type,
                event_id=m.event_id,
                post_id=m.post_id,
                task_id=m.task_id,
                lang=m.lang,
                body=m.body(),
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(Notification.id)
        ).scalar()
        if nid is None:  # told to others already: the same notification, the same bytes
            nid = session.execute(
                select(Notification.id).where(Notification.key == m.key)
            ).scalar_one()
        ids.append(nid)
    had = set(
        session.execute(
            select(Delivery.notification_id).where(
                Delivery.webhook_id == hook.id, Delivery.notification_id.in_(ids)
            )
        ).scalars()
    )
    todo = [n for n in dict.fromkeys(ids) if n not in had]
    if todo:
        session.execute(
            insert(Delivery),
            [
                {
                    "notification_id": n,
                    "webhook_id": hook.id,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for n in todo
            ],
        )
    return len(todo)


@dataclass(frozen=True, kw_only=True)
class Made:
    """One notification about to be written."""

    key: str
    type: str
    event_id: int | None
    post_id: int | None
    lang: str | None
    at: dt.datetime
    actor: str | None
    data: dict[str, Any]

    @property
    def task_id(self) -> int | None:
        task = self.data.get("task")
        return task.get("id") if isinstance(task, dict) else None

    def body(self) -> str:
        return json.dumps(
            {"type": self.type, "timestamp": iso(self.at), "data": self.data},
            ensure_ascii=False,
            separators=(",", ":"),
        )


def write(
    session: Session,
    settings: Settings,
    made: Sequence[Made],
    hooks: list[Listener],
    people: list[Reader],
    *,
    unique: bool = False,
    leased: bool = True,
) -> Fanned:
    """Insert notifications with their deliveries (leased to the messages returned, unless
    not `leased`: then the tick publishes them) and mail items. `unique`: skip a
    notification whose key exists (it was told already)."""
    result = Fanned()
    chosen = [
        (
            m,
            [h.id for h in hooks if m.type in h.types],
            mail_recipients(m.type, m.data, m.actor, people),
        )
        for m in made
    ]
    chosen = [(m, h, p) for m, h, p in chosen if h or p]
    if not chosen:
        return result
    now = utcnow()
    values = [
        {
            "key": m.key,
            "type": m.type,
            "event_id": m.event_id,
            "post_id": m.post_id,
            "task_id": m.task_id,
            "lang": m.lang,
            "body": m.body(),
            "created_at": now,
        }
        for m, _, _ in chosen
    ]
    if unique:
        dialect = session.get_bind().dialect.name
        ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Notification)
        ids_by_key: dict[str, int] = {}
        for v in values:  # few at a time (lease warnings): one statement each
            new_id = session.execute(
                ins.values(v)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(Notification.id)
            ).scalar()
            if new_id is not None:
                ids_by_key[v["key"]] = new_id
        chosen = [(m, h, p) for m, h, p in chosen if m.key in ids_by_key]
        ids = [ids_by_key[m.key] for m, _, _ in chosen]
    else:
        ids = list(
            session.execute(
                insert(Notification).returning(Notification.id, sort_by_parameter_order=True),
                values,
            ).scalars()
        )
    result.notifications = len(ids)
    per_hook: dict[int, list[int]] = defaultdict(list)
    items = []
    for (m, hook_ids, people_), nid in zip(chosen, ids, strict=True):
        for h in hook_ids:
            per_hook[h].append(nid)
        items += [
            {
                "user_id": u.id,
                "notification_id": nid,
                "type": m.type,
                "data": {**m.data, "type": m.type, "at": iso(m.at)},
                "created_at": now,
            }
            for u in people_
        ]
    if items:
        session.execute(insert(MailItem), items)
    result.mail_items = len(items)
    until = now + QUEUE_LEASE
    busy = set(  # an older delivery waits or is being sent: the new ones queue behind it
        session.execute(
            select(Delivery.webhook_id)
            .where(Delivery.webhook_id.in_(sorted(per_hook)), Delivery.state == "pending")
            .distinct()
        ).scalars()
    )
    for hook_id, nids in sorted(per_hook.items()):
        for i in range(0, len(nids), DELIVERIES_PER_MESSAGE):
            # one message per endpoint at a time, so they arrive in order; the rest are
            # leased by the tick, or by the worker when the batch before is done
            lease_it = leased and i == 0 and hook_id not in busy
            token = lease_token()
            chunk = nids[i : i + DELIVERIES_PER_MESSAGE]
            dids = list(
                session.execute(
                    insert(Delivery).returning(Delivery.id, sort_by_parameter_order=True),
                    [
                        {
                            "notification_id": n,
                            "webhook_id": hook_id,
                            "state": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                            "lease": token if lease_it else None,
                            "leased_until": until if lease_it else None,
                            "created_at": now,
                        }
                        for n in chunk
                    ],
                ).scalars()
            )
            result.deliveries += len(dids)
            if lease_it:
                result.messages.append({"delivery_ids": dids, "lease": token})
    return result


def prior_events(session: Session, events: Sequence[Event]) -> dict[int, tuple[str, dict]]:
    """For each `done` event: the task's previous task, review or resolve event."""
    out: dict[int, tuple[str, dict]] = {}
    for e in events:
        task_id = (e.details or {}).get("task")
        rows = session.execute(
            select(Event.kind, Event.details)
            .where(
                Event.post_id == e.post_id,
                Event.lang == e.lang,
                Event.id < e.id,
                Event.kind.in_(("task", "review", "resolve")),
            )
            .order_by(Event.id.desc())
            .limit(20)
        ).all()
        for kind, details in rows:
            if (details or {}).get("task") == task_id:
                out[e.id] = (kind, details or {})
                break
    return out


#: the fields of a task object that an event may record as it left them
TASK_FIELDS = ("state", "assignee", "lease_expires_at", "source_revision", "source_changed")


def as_left(
    task: dict[str, Any], kind: str, details: dict[str, Any], actor: str | None
) -> dict[str, Any]:
    """The task object (``task_dict`` of the row now) as the event left it: what the event
    records wins, and what its state implies (a queued task has no assignee and no lease;
    a claim's assignee is the claimer).

    >>> now = {"id": 1, "state": "claimed", "assignee": "ivan", "lease_expires_at": "…"}
    >>> as_left(now, "task", {"task": 1, "state": "queued", "reason": "released"}, "ayse")
    {'id': 1, 'state': 'queued', 'assignee': None, 'lease_expires_at': None}
    >>> as_left(now, "task", {"task": 1, "state": "claimed", "assigned_to": "ayse"}, "ed")
    {'id': 1, 'state': 'claimed', 'assignee': 'ayse', 'lease_expires_at': '…'}
    """
    out = dict(task)
    out.update({k: details[k] for k in TASK_FIELDS if k in details})
    if kind == "review" and details.get("verdict") == "rejected":
        out["state"] = "claimed"  # back to the same translator, under a new lease
    if "renewed_until" in details:
        out["lease_expires_at"] = details["renewed_until"]
    state = details.get("state")
    if state in ("queued", "cancelled"):
        out["assignee"] = None if state == "queued" else out.get("assignee")
        out["lease_expires_at"] = None
    elif state == "claimed" and "assignee" not in details:
        out["assignee"] = details.get("assigned_to") or actor
    elif state in ("submitted", "done", "conflict"):
        out["lease_expires_at"] = None
    if out.get("state") != "conflict":
        out.pop("conflict", None)
    return out


class Payloads:
    """The `data` of each notification: the objects of the JSON contracts (a task as
    ``tasks --json`` gives it, a translation as a cell of ``status --json``), loaded in a
    few queries for the whole batch."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        facts: Iterable[tuple[Event, str | None, EventType]],
    ) -> None:
        from sync.queue import task_dict
        from sync.status import load_rows

        self.base = settings.base_url.rstrip("/")
        facts = list(facts)
        task_ids = {
            int(e.details["task"])
            for e, _, t in facts
            if str(t).startswith(("task.", "lease.")) and (e.details or {}).get("task")
        }
        self.tasks: dict[int, dict[str, Any]] = {}
        if task_ids:
            for task, key in session.execute(
                select(Task, Post.key)
                .join(Post, Post.id == Task.post_id)
                .where(Task.id.in_(sorted(task_ids)))
            ):
                self.tasks[task.id] = task_dict(task, key)
        post_ids = {
            e.post_id
            for e, _, t in facts
            if str(t).startswith("translation.") and e.post_id is not None
        }
        self.rows = (
            {r.post.id: r for r in load_rows(session, settings, post_ids=post_ids)}
            if post_ids
            else {}
        )

    def of(self, event: Event, key: str | None, type_: EventType) -> dict[str, Any] | None:
        details = event.details or {}
        if type_ is EventType.SCAN_REJECTED:
            return {
                "source": details.get("source"),
                "count": int(details.get("rejected") or 0),
                "problems": list(details.get("problems") or [])[:20],
                "url": f"{self.base}/",
            }
        if str(type_).startswith("translation."):
            return self.translation(event, key, type_)
        task = self.tasks.get(int(details.get("task") or 0))
        if task is None:
            return None  # the task is gone (its post was deleted)
        task = as_left(task, event.kind, details, event.actor)
        data: dict[str, Any] = {
            "task": task,
            "post": task["post"],
            "lang": task["lang"],
            "actor": event.actor,
            "url": f"{self.base}/tasks/{task['id']}",
        }
        if type_ is EventType.TASK_REJECTED:
            data.update(reason=details.get("reason"), assignee=details.get("assignee"))
        elif type_ is EventType.TASK_CONFLICT:
            data.update(reason=details.get("reason"))
        elif type_ is EventType.TASK_SOURCE_CHANGED:
            data.update(
                source_revision=details.get("source_revision"), assignee=task.get("assignee")
            )
        elif type_ is EventType.TASK_CLAIMED:
            data.update(assignee=details.get("assigned_to") or event.actor)
        elif type_ is EventType.TASK_SUBMITTED:
            data.update(
                awaiting_review=details.get("state") == "submitted",
                applied=details.get("state") == "done",
            )
        return data

    def translation(self, event: Event, key: str | None, type_: EventType) -> dict[str, Any] | None:
        row = self.rows.get(event.post_id or 0)
        if row is None or event.lang not in row.cells:
            return None
        cell = row.cells[event.lang]
        if cell.version is None:
            return None
        if str(cell.state) != str(type_).split(".")[1]:
            if type_ is not EventType.TRANSLATION_STALE:
                return None  # current, then changed again: told by its own events
            # stale, then current again before the fan-out: still told (an integrator
            # hears of every staleness), without the figures of a staleness that is over
            return {
                "post": key,
                "lang": event.lang,
                "title": row.title,
                "state": "stale",
                "previous": (event.details or {}).get("previous"),
                "now": str(cell.state),
                "source_revision": row.source.revision if row.source else None,
                "url": f"{self.base}/posts/{key}",
            }
        data: dict[str, Any] = {
            "post": key,
            "lang": event.lang,
            "title": row.title,
            **cell.as_dict(row.source),
            "state": (event.details or {}).get("state"),
            "previous": (event.details or {}).get("previous"),
            "source_revision": row.source.revision if row.source else None,
            "url": f"{self.base}/posts/{key}",
        }
        if type_ is EventType.TRANSLATION_STALE:
            data["words"] = getattr(cell.version, "stale_words", None)
        else:  # from a state change or a task's write-back: once per translation revision
            data["state"] = "current"
            data["_key"] = (
                f"translation.current:{event.post_id}:{event.lang}:"
                f"{cell.version.revision}:{cell.version.based_on_revision}"
            )
        return data


def lease_warnings(session: Session, settings: Settings, now: dt.datetime | None = None) -> Fanned:
    """``lease.expiring`` for every claim whose lease ends within 24 hours, once per lease
    (the key names the lease's end: a renewed lease is warned of again)."""
    now = now or utcnow()
    hooks, people = listeners(session), readers(session, settings)
    hooks = [h for h in hooks if EventType.LEASE_EXPIRING in h.types]
    if not hooks and not people:
        return Fanned()
    rows = session.execute(
        select(Task, Post.key)
        .join(Post, Post.id == Task.post_id)
        .where(
            Task.state == "claimed",
            Task.lease_expires_at.is_not(None),
            Task.lease_expires_at > now,
            Task.lease_expires_at <= now + LEASE_WARNING,
        )
        .order_by(Task.lease_expires_at)
    ).all()
    if not rows:
        return Fanned()
    told = set(
        session.execute(
            select(Notification.key).where(
                Notification.type == EventType.LEASE_EXPIRING,
                Notification.task_id.in_([t.id for t, _ in rows]),
            )
        ).scalars()
    )
    from sync.queue import task_dict

    base = settings.base_url.rstrip("/")
    made = []
    for task, key in rows:
        k = f"lease.expiring:{task.id}:{iso(task.lease_expires_at)}"
        if k in told:
            continue
        made.append(
            Made(
                key=k,
                type=EventType.LEASE_EXPIRING,
                event_id=None,
                post_id=task.post_id,
                lang=task.lang,
                at=now,
                actor=None,
                data={
                    "task": task_dict(task, key),
                    "post": key,
                    "lang": task.lang,
                    "assignee": task.assignee,
                    "lease_expires_at": iso(task.lease_expires_at),
                    "url": f"{base}/tasks/{task.id}",
                },
            )
        )
    return write(session, settings, made, hooks, people, unique=True)


def record_rejections(session: Session, settings: Settings, report: Any, actor: str) -> Fanned:
    """``scan.rejected``, one per source whose inputs a scan rejected, written in the scan's
    transaction while a webhook listens for it (a rejection changes nothing else, so no
    history row is written: a rescan of a bad tree leaves the database as it was). The
    deliveries wait for the next tick."""
    if not getattr(report, "problems", None):
        return Fanned()
    hooks = [h for h in listeners(session) if EventType.SCAN_REJECTED in h.types]
    if not hooks:
        return Fanned()
    by_source: dict[str, list[Any]] = defaultdict(list)
    for p in report.problems:
        by_source[p.source or ""].append(p)
    now = utcnow()
    made = [
        Made(
            key=f"scan.rejected:{lease_token()}",
            type=EventType.SCAN_REJECTED,
            event_id=None,
            post_id=None,
            lang=None,
            at=now,
            actor=actor,
            data={
                "source": source or None,
                "count": len(problems),
                "problems": [
                    {"origin": p.origin, "line": p.line, "reason": p.reason} for p in problems[:20]
                ],
                "actor": actor,
                "url": f"{settings.base_url.rstrip('/')}/",
            },
        )
        for source, problems in sorted(by_source.items())
    ]
    return write(session, settings, made, hooks, [], leased=False)


def drop_queue(session: Session) -> int:
    """Forget every queued event (nobody listened while they were queued)."""
    return int(session.execute(delete(NotifyQueue)).rowcount or 0)
