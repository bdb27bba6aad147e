"""Notifications on SQLite and PostgreSQL, in process: every change site's event reaches the
right webhooks and people (the fan-out reads the history's own events, queued by a trigger
in the change's transaction), once; lease warnings once per lease; a scan's rejections;
digests once per user and period, in the reader's language."""

from __future__ import annotations

import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text, update

from sync.config import Settings
from sync.db.models import (
    Delivery,
    Digest,
    Event,
    MailItem,
    Notification,
    NotifyQueue,
    Task,
    User,
    utcnow,
)
from sync.db.session import transaction
from sync.notify.fanout import fan_out, lease_warnings
from sync.notify.webhooks import add_webhook, notifications_for
from sync.queue import assign, claim, expire, release
from sync.submission import approve, reject, submit_markdown
from tests.conftest import EXAMPLES, make_settings
from tests.helpers.tracking import EDITOR, add_people, scan

TRANSLATIONS = EXAMPLES / "translations"
DIGITAL = "digital-public-services"


def notify_settings(db_url: str, **kw: Any) -> Settings:
    kw.setdefault("smtp_url", "smtp://127.0.0.1:9")  # mail items are made; nothing is sent
    return make_settings(db_url, base_url="https://ts.example", **kw)


def set_mail(
    settings: Settings,
    name: str,
    email: str | None,
    digest: str = "daily",
    ui_lang: str | None = None,
) -> None:
    with transaction(settings.database_url) as s:
        s.execute(
            update(User)
            .where(User.name == name)
            .values(email=email, digest=digest, ui_lang=ui_lang)
        )


def drain(settings: Settings) -> list[dict[str, Any]]:
    """Fan out everything queued; the notifications made, oldest first, with their
    deliveries' webhooks and their mail items' users."""
    with transaction(settings.database_url) as s:
        before = s.execute(select(func.max(Notification.id))).scalar() or 0
    while True:
        with transaction(settings.database_url) as s:
            if fan_out(s, settings).events == 0:
                break
    return made_since(settings, before)


def made_since(settings: Settings, after: int) -> list[dict[str, Any]]:
    with transaction(settings.database_url) as s:
        notes = (
            s.execute(select(Notification).where(Notification.id > after).order_by(Notification.id))
            .scalars()
            .all()
        )
        out = []
        for n in notes:
            hooks = sorted(
                s.execute(
                    select(Delivery.webhook_id).where(Delivery.notification_id == n.id)
                ).scalars()
            )
            users = sorted(
                s.execute(
                    select(User.name)
                    .join(MailItem, MailItem.user_id == User.id)
                    .where(MailItem.notification_id == n.id)
                ).scalars()
            )
            out.append(
                {
                    "type": n.type,
                    "body": json.loads(n.body),
                    "hooks": hooks,
                    "mail": users,
                    "task": n.task_id,
                    "lang": n.lang,
                }
            )
        return out


def of_type(made: list[dict[str, Any]], type_: str) -> list[dict[str, Any]]:
    return [m for m in made if m["type"] == type_]


def submit(settings: Settings, task_id: int, name: str, path: Path) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return submit_markdown(s, settings, task_id, name, path.name, path.read_bytes())


def replace_in(path: Path, old: str, new: str) -> None:
    text_ = path.read_text(encoding="utf-8")
    assert old in text_
    path.write_text(text_.replace(old, new, 1), encoding="utf-8")


def test_nothing_is_queued_while_nobody_listens(db_url: str, content: Path) -> None:
    settings = notify_settings(db_url)
    scan(settings, content)
    with transaction(settings.database_url) as s:
        assert s.execute(select(func.count()).select_from(NotifyQueue)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Event)).scalar_one() > 10


def test_every_event_reaches_the_right_endpoints_and_people(db_url: str, content: Path) -> None:
    settings = notify_settings(db_url, review=True)
    add_people(settings)  # ayse tr, ivan ru, nadia tr+ru, edith editor
    set_mail(settings, "ayse", "ayse@example.org", "immediate", "tr")
    set_mail(settings, "ivan", "ivan@example.org", "daily", "ru")
    set_mail(settings, EDITOR, "edith@example.org", "daily")
    with transaction(settings.database_url) as s:  # nadia has no address: no mail
        every, _ = add_webhook(s, "https://hooks.example/all", "*", actor="root")
        reviews, _ = add_webhook(s, "https://hooks.example/reviews", "task.submitted,task.approved")
        every_id, reviews_id = every.id, reviews.id

    # a scan plans tasks: task.queued, to the translators of each language
    scan(settings, content)
    made = drain(settings)
    queued = of_type(made, "task.queued")
    with transaction(settings.database_url) as s:
        planned = s.execute(select(Task.id, Task.lang)).all()
    assert sorted(m["task"] for m in queued) == sorted(t for t, _ in planned)
    for m in queued:
        assert m["hooks"] == [every_id]
        assert m["mail"] == {"tr": ["ayse"], "ru": ["ivan"]}[m["lang"]]
        data = m["body"]["data"]
        assert m["body"]["type"] == "task.queued"
        assert data["task"]["state"] == "queued" and data["task"]["id"] == m["task"]
        assert data["url"] == f"https://ts.example/tasks/{m['task']}"
    assert drain(settings) == []  # told once

    # claim, submit for review, reject, submit again, approve
    with transaction(settings.database_url) as s:
        task_id = claim(s, settings, "ivan", "ru")[0].id  # type: ignore[index]
    (claimed,) = drain(settings)
    assert (claimed["type"], claimed["hooks"], claimed["mail"]) == ("task.claimed", [every_id], [])
    assert claimed["body"]["data"]["assignee"] == "ivan"
    post = claimed["body"]["data"]["post"]
    submit(settings, task_id, "ivan", TRANSLATIONS / f"{post}.ru.md")
    (submitted,) = drain(settings)
    assert submitted["type"] == "task.submitted"
    assert submitted["hooks"] == [every_id, reviews_id]
    assert submitted["mail"] == [EDITOR]  # waiting for review: the editors, not ivan
    assert submitted["body"]["data"]["awaiting_review"] is True
    with transaction(settings.database_url) as s:
        reject(s, settings, task_id, EDITOR, "Keep the FAO link in English.")
    (rejected,) = drain(settings)
    assert (rejected["type"], rejected["mail"]) == ("task.rejected", ["ivan"])
    assert rejected["body"]["data"]["reason"] == "Keep the FAO link in English."
    submit(settings, task_id, "ivan", TRANSLATIONS / f"{post}.ru.md")
    drain(settings)
    with transaction(settings.database_url) as s:
        approve(s, settings, task_id, EDITOR)
    made = drain(settings)
    types = [m["type"] for m in made]
    assert "task.approved" in types and "translation.current" in types
    assert "task.submitted" not in types  # the write-back's "done" is the approval
    assert of_type(made, "task.approved")[0]["hooks"] == [every_id, reviews_id]
    current = of_type(made, "translation.current")[0]
    assert current["body"]["data"]["post"] == post and current["lang"] == "ru"
    assert current["hooks"] == [every_id] and current["mail"] == []

    # a source change: stale translations (told to editors), a flagged claim (its
    # translator), and a queued task moved in place (nothing to tell)
    with transaction(settings.database_url) as s:
        tr_task = assign(s, settings, _open_task(s, DIGITAL, "tr"), EDITOR, "ayse")[0].id
    drain(settings)
    replace_in(
        content / f"en/posts/{DIGITAL}.md",
        "Yet availability is not the same as usability.",
        "Yet being online is not the same as being usable.",
    )
    scan(settings, content)
    made = drain(settings)
    (stale,) = of_type(made, "translation.stale")  # ru (tr is missing: its task is flagged)
    data = stale["body"]["data"]
    assert (data["post"], data["lang"], data["state"]) == (DIGITAL, "ru", "stale")
    assert data["changed_segments"] == 1 and data["url"] == f"https://ts.example/posts/{DIGITAL}"
    assert stale["mail"] == [EDITOR] and stale["hooks"] == [every_id]
    (flag,) = of_type(made, "task.source_changed")
    assert (flag["task"], flag["mail"]) == (tr_task, ["ayse"])

    # released, then expired
    with transaction(settings.database_url) as s:
        release(s, tr_task, "ayse")
    (released,) = drain(settings)
    assert (released["type"], released["mail"]) == ("task.released", [])
    with transaction(settings.database_url) as s:
        assign(s, settings, tr_task, EDITOR, "nadia")
        s.execute(
            update(Task)
            .where(Task.id == tr_task)
            .values(lease_expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    drain(settings)
    with transaction(settings.database_url) as s:
        assert expire(s) == [tr_task]
    (expired,) = drain(settings)
    assert (expired["type"], expired["task"]) == ("lease.expired", tr_task)

    # the page of a task lists what went out
    with transaction(settings.database_url) as s:
        told = notifications_for(s, task_id=task_id)
    assert [n["type"] for n in reversed(told)][:3] == [
        "task.queued",
        "task.claimed",
        "task.submitted",
    ]
    assert told[-1]["webhooks"][0]["webhook"] == every_id


def _open_task(s: Any, key: str, lang: str) -> int:
    from sync.db.models import Post

    return s.execute(
        select(Task.id)
        .join(Post, Post.id == Task.post_id)
        .where(Post.key == key, Task.lang == lang, Task.state == "queued")
    ).scalar_one()


def test_lease_warning_once_per_lease(db_url: str, content: Path) -> None:
    settings = notify_settings(db_url)
    add_people(settings)
    set_mail(settings, "ayse", "ayse@example.org", "immediate")
    with transaction(settings.database_url) as s:
        add_webhook(s, "https://hooks.example/leases", "lease.expiring")
    scan(settings, content)
    drain(settings)
    with transaction(settings.database_url) as s:
        task_id = claim(s, settings, "ayse", "tr", dt.timedelta(hours=30))[0].id  # type: ignore[index]
    drain(settings)
    with transaction(settings.database_url) as s:  # 30 h away: not yet
        assert lease_warnings(s, settings).notifications == 0
    later = utcnow() + dt.timedelta(hours=7)
    with transaction(settings.database_url) as s:
        fanned = lease_warnings(s, settings, later)
    assert (fanned.notifications, fanned.deliveries, fanned.mail_items) == (1, 1, 1)
    with transaction(settings.database_url) as s:  # once per lease, however many ticks
        assert lease_warnings(s, settings, later).notifications == 0
        s.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(lease_expires_at=utcnow() + dt.timedelta(hours=20))
        )  # renewed: warned again
    with transaction(settings.database_url) as s:
        assert lease_warnings(s, settings).notifications == 1
        body = json.loads(
            s.execute(
                select(Notification.body).order_by(Notification.id.desc()).limit(1)
            ).scalar_one()
        )
    assert body["type"] == "lease.expiring" and body["data"]["assignee"] == "ayse"


def test_a_scan_that_rejects_inputs_says_so(db_url: str, content: Path) -> None:
    settings = notify_settings(db_url)
    with transaction(settings.database_url) as s:
        add_webhook(s, "https://hooks.example/scans", "scan.rejected")
    (content / "en/posts/broken.md").write_text(
        "---\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8"
    )
    scan(settings, content)
    (rejected,) = made_since(settings, 0)  # written by the scan itself
    data = rejected["body"]["data"]
    assert rejected["type"] == "scan.rejected"
    assert data["count"] == 1 and data["source"].startswith("fs:")
    assert data["problems"][0]["origin"].endswith("broken.md")


def test_the_fanout_takes_each_event_once_when_two_run_at_once(pg_url: str, content: Path) -> None:
    settings = notify_settings(pg_url)
    with transaction(settings.database_url) as s:
        add_webhook(s, "https://hooks.example/all", "*")
    for i in range(30):  # 30 more posts: 60 tasks to tell
        (content / f"en/posts/extra-{i}.md").write_text(
            f"---\ntitle: Extra {i}\ntranslationKey: extra-{i}\n---\n\nParagraph {i}.\n",
            encoding="utf-8",
        )
    scan(settings, content)
    with transaction(settings.database_url) as s:
        queued = s.execute(select(func.count()).select_from(NotifyQueue)).scalar_one()
    assert queued > 50
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run() -> None:
        barrier.wait()
        total = 0
        while True:
            with transaction(settings.database_url) as s:
                fanned = fan_out(s, settings, limit=3)
            total += fanned.events
            if fanned.events == 0:
                break
        counts.append(total)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == queued
    with transaction(settings.database_url) as s:
        keys = s.execute(select(Notification.key)).scalars().all()
        assert len(keys) == len(set(keys)) > 0
        assert s.execute(text("SELECT count(*) FROM notify_queue")).scalar_one() == 0


def test_two_digest_runs_send_one_mail(db_url: str) -> None:
    """The (user, period) row is the idempotency key: a second run finds it."""
    from sync.notify.digests import claim as claim_digest

    settings = notify_settings(db_url)
    add_people(settings)
    with transaction(settings.database_url) as s:
        uid = s.execute(select(User.id).where(User.name == "ayse")).scalar_one()
    now = utcnow()
    with transaction(settings.database_url) as s:
        first = claim_digest(s, uid, "daily:2026-01-01", now)
    with transaction(settings.database_url) as s:
        assert claim_digest(s, uid, "daily:2026-01-01", now) is None
        # left "sending" for longer than the lease (a worker killed mid-send): taken over
        again = claim_digest(s, uid, "daily:2026-01-01", now + dt.timedelta(minutes=6))
    assert first is not None and again == first
    with transaction(settings.database_url) as s:
        assert s.execute(select(Digest.attempts)).scalar_one() == 2


def test_an_endpoint_failing_for_days_is_disabled_and_admins_are_told(
    db_url: str, content: Path
) -> None:
    """In process (the worker's function, a real HTTP receiver answering 503): the attempt
    is logged, the endpoint disabled after TRANSYNC_WEBHOOK_DISABLE_DAYS of failures, and
    every admin with an address gets a mail item, whatever their digest setting."""
    from sync.db.models import DeliveryAttempt, Webhook
    from sync.notify.delivery import deliver, lease_due
    from sync.people import add_user
    from tests.helpers.receivers import Receiver

    receiver = Receiver(scripts={"/down": lambda n: (503, 0.0)}).start()
    try:
        settings = notify_settings(db_url, webhook_timeout=2.0)
        with transaction(settings.database_url) as s:
            add_user(s, settings, "root", role="admin")
            hook, _ = add_webhook(s, receiver.url("/down"), "task.queued")
            hook_id = hook.id
        set_mail(settings, "root", "root@example.org", "off")
        scan(settings, content)
        drain(settings)
        with transaction(settings.database_url) as s:  # it has failed since four days ago
            s.execute(
                update(Webhook)
                .where(Webhook.id == hook_id)
                .values(failing_since=utcnow() - dt.timedelta(days=4))
            )
            s.execute(update(Delivery).values(lease=None, leased_until=None))
        with transaction(settings.database_url) as s:
            (message, *_) = lease_due(s)
        counts = deliver(settings, message["delivery_ids"], message["lease"])
        assert counts["retry"] == 1 and counts["deferred"] == len(message["delivery_ids"]) - 1
        with transaction(settings.database_url) as s:
            h = s.get(Webhook, hook_id)
            assert h is not None and not h.active and h.disabled_at is not None
            (attempt,) = s.execute(select(DeliveryAttempt)).scalars().all()
            assert (attempt.result, attempt.status) == ("retry", 503)
            assert attempt.next_attempt_at is not None and attempt.latency_ms is not None
            (told,) = (
                s.execute(select(MailItem).where(MailItem.notification_id.is_(None)))
                .scalars()
                .all()
            )
            assert told.type == "webhook.disabled" and told.data["webhook"] == hook_id
            assert "/down" not in json.dumps(told.data)  # the host, never the path
            assert lease_due(s) == []  # a disabled endpoint gets nothing more
    finally:
        receiver.stop()


def test_immediate_mail_once_and_nothing_for_nothing(db_url: str, content: Path) -> None:
    """`immediate` readers get what waits at each tick, once (two runs at once send one
    mail); a daily reader with nothing to say gets no mail at all."""
    from sync.notify.digests import send_due
    from tests.helpers.receivers import Mailbox

    box = Mailbox().start()
    try:
        settings = notify_settings(db_url, smtp_url=box.url, digest_hour=0)
        add_people(settings)
        set_mail(settings, "ayse", "ayse@example.org", "immediate", "tr")
        set_mail(settings, EDITOR, "edith@example.org", "daily")  # no news for editors here
        scan(settings, content)
        drain(settings)
        runs = [threading.Thread(target=send_due, args=(settings,)) for _ in range(2)]
        for t in runs:
            t.start()
        for t in runs:
            t.join()
        send_due(settings)
        assert len(box.to("ayse@example.org")) == 1
        assert box.to("edith@example.org") == []
        (mail,) = box.to("ayse@example.org")
        assert mail["Content-Language"] == "tr" and "yeni" in str(mail["Subject"])
        assert box.password not in mail.as_string()
        with transaction(settings.database_url) as s:
            assert (
                s.execute(
                    select(func.count()).select_from(MailItem).where(MailItem.digest_id.is_(None))
                ).scalar_one()
                == 0
            )
    finally:
        box.stop()


def test_notify_counts_the_messages_the_fanout_published(db_url: str, content: Path) -> None:
    """`transync notify --json`'s "published" counts every message of the tick, the
    fan-out's as well as those of due deliveries."""
    from sync.notify import tick

    settings = notify_settings(db_url, smtp_url=None)
    with transaction(settings.database_url) as s:
        hook_id = add_webhook(s, "https://hooks.example/all", "task.queued")[0].id
    scan(settings, content)
    result = tick(settings)
    with transaction(settings.database_url) as s:
        n = s.execute(
            select(func.count()).select_from(Delivery).where(Delivery.webhook_id == hook_id)
        ).scalar_one()
        leased = s.execute(
            select(func.count(func.distinct(Delivery.lease))).where(Delivery.lease.is_not(None))
        ).scalar_one()
    assert result["fanout"]["deliveries"] == n > 0
    assert result["published"] == leased >= 1


def test_what_happened_while_disabled_is_delivered_once_enabled(db_url: str, content: Path) -> None:
    """Events of a disabled endpoint's types are not lost: enabling it again delivers
    them, in order, with no notification made twice (another endpoint listened)."""
    from sync.db.models import Webhook
    from sync.notify.webhooks import enable_webhook

    settings = notify_settings(db_url, smtp_url=None)
    add_people(settings)
    with transaction(settings.database_url) as s:
        down = add_webhook(s, "https://hooks.example/down", "task.claimed,task.released")[0].id
        other = add_webhook(s, "https://hooks.example/other", "task.claimed")[0].id
    scan(settings, content)
    drain(settings)
    with transaction(settings.database_url) as s:
        s.execute(
            update(Webhook)
            .where(Webhook.id == down)
            .values(active=False, disabled_at=utcnow(), disabled_reason="failing for 3 days")
        )
    with transaction(settings.database_url) as s:
        task_id = claim(s, settings, "ivan", "ru")[0].id  # type: ignore[index]
    with transaction(settings.database_url) as s:
        release(s, task_id, "ivan")
    made = drain(settings)
    assert [(m["type"], m["hooks"]) for m in made] == [("task.claimed", [other])]
    with transaction(settings.database_url) as s:
        hook, missed = enable_webhook(s, settings, down)
        assert hook.active and missed == 2
    with transaction(settings.database_url) as s:
        rows = s.execute(
            select(Notification.type, Notification.body, Delivery.state)
            .join(Delivery, Delivery.notification_id == Notification.id)
            .where(Delivery.webhook_id == down)
            .order_by(Delivery.id)
        ).all()
        keys = s.execute(select(Notification.key)).scalars().all()
    assert [(t, st) for t, _, st in rows] == [
        ("task.claimed", "pending"),
        ("task.released", "pending"),
    ]
    assert json.loads(rows[1][1])["data"]["task"]["id"] == task_id
    assert len(keys) == len(set(keys))
    with transaction(settings.database_url) as s:  # enabling twice sends nothing twice
        assert enable_webhook(s, settings, down)[1] == 0
        assert (
            s.execute(
                select(func.count()).select_from(Delivery).where(Delivery.webhook_id == down)
            ).scalar_one()
            == 2
        )


def test_a_payload_describes_the_task_as_its_event_left_it(db_url: str, content: Path) -> None:
    """Events that pile up before a fan-out are told as they happened, not as the task is
    by then; a translation stale for a while is told, though current again."""
    settings = notify_settings(db_url, smtp_url=None)
    add_people(settings)
    with transaction(settings.database_url) as s:
        add_webhook(s, "https://hooks.example/all", "*")
    scan(settings, content)
    with transaction(settings.database_url) as s:
        tr_task = _open_task(s, DIGITAL, "tr")
        assign(s, settings, tr_task, EDITOR, "ayse")
    with transaction(settings.database_url) as s:
        release(s, tr_task, "ayse")
    with transaction(settings.database_url) as s:
        assign(s, settings, tr_task, EDITOR, "nadia")
    made = [m for m in drain(settings) if m["task"] == tr_task]
    told = [
        (m["type"], m["body"]["data"]["task"]["state"], m["body"]["data"]["task"]["assignee"])
        for m in made
    ]
    assert told == [
        ("task.queued", "queued", None),
        ("task.claimed", "claimed", "ayse"),
        ("task.released", "queued", None),
        ("task.claimed", "claimed", "nadia"),
    ]
    leases = [m["body"]["data"]["task"]["lease_expires_at"] for m in made]
    assert leases[0] is None and leases[2] is None and leases[1] and leases[3]

    # stale, then current again (the source change undone) before anyone fanned out
    path = content / f"en/posts/{DIGITAL}.md"
    original = path.read_text(encoding="utf-8")
    replace_in(
        path,
        "Yet availability is not the same as usability.",
        "Yet being online is not the same as being usable.",
    )
    scan(settings, content)
    with transaction(settings.database_url) as s:
        from sync.history import acknowledge

        acknowledge(s, settings, DIGITAL, "ru", EDITOR)
    path.write_text(original, encoding="utf-8")
    made = drain(settings)
    stale = of_type(made, "translation.stale")
    assert [(m["lang"], m["body"]["data"]["state"]) for m in stale] == [("ru", "stale")]


def test_a_retried_delivery_is_not_overtaken(db_url: str, content: Path) -> None:
    """Per endpoint, a newer delivery waits while an older one waits for its retry: the
    receiver answers 500 to task.claimed, and task.released goes out after it, not before."""
    from sync.notify.delivery import deliver, lease_due
    from tests.helpers.receivers import Receiver

    receiver = Receiver(scripts={"/h": lambda n: (500, 0.0) if n == 1 else (200, 0.0)}).start()
    try:
        settings = notify_settings(db_url, smtp_url=None, webhook_timeout=2.0)
        add_people(settings)
        with transaction(settings.database_url) as s:
            add_webhook(s, receiver.url("/h"), "task.claimed,task.released")
        scan(settings, content)
        with transaction(settings.database_url) as s:
            task_id = claim(s, settings, "ivan", "ru")[0].id  # type: ignore[index]
        with transaction(settings.database_url) as s:
            fanned = fan_out(s, settings)
        (message,) = fanned.messages
        assert deliver(settings, message["delivery_ids"], message["lease"])["retry"] == 1
        with transaction(settings.database_url) as s:
            release(s, task_id, "ivan")
        with transaction(settings.database_url) as s:
            assert fan_out(s, settings).messages == []  # written, waiting behind the retry
            assert lease_due(s) == []
            s.execute(update(Delivery).values(next_attempt_at=utcnow()))  # the retry is due
        with transaction(settings.database_url) as s:
            (message,) = lease_due(s)
        deliver(settings, message["delivery_ids"], message["lease"])
        got = [json.loads(r.body)["type"] for r in receiver.at("/h")]
        assert got == ["task.claimed", "task.claimed", "task.released"]
    finally:
        receiver.stop()
