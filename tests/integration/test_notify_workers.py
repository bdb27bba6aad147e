"""Notifications through real Celery workers on a private Redis, PostgreSQL, a real HTTP
receiver that checks signatures with the `standardwebhooks` package, and a real SMTP server
(aiosmtpd): signatures, retries with one webhook-id, a final 410, a worker killed
mid-delivery, two beats and one digest, mail in Turkish and Russian, no secret anywhere."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from sync.config import Settings
from sync.db.models import Delivery, DeliveryAttempt, Digest, Task, User
from sync.db.session import transaction
from sync.notify import tick
from sync.notify.webhooks import add_webhook
from sync.queue import assign
from tests.conftest import make_settings, service_missing
from tests.helpers.processes import Services, wait_until
from tests.helpers.receivers import Mailbox, Receiver
from tests.helpers.tracking import EDITOR, add_people, scan


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    started = Services(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def redis_url(services: Services) -> str:
    try:
        _, url = services.redis()
    except (OSError, AssertionError) as exc:
        service_missing("redis-server", exc)
    return url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    try:
        yield box
    finally:
        box.stop()


def nsettings(pg_url: str, redis_url: str, tmp_path: Path, **kw: object) -> Settings:
    kw.setdefault("webhook_timeout", 2.0)
    kw.setdefault("webhook_retry_seconds", 0.5)
    kw.setdefault("notify_interval", 1.0)
    return make_settings(
        pg_url,
        broker_url=redis_url,
        locales_dir=str(tmp_path / "locales"),
        base_url="https://ts.example",
        **kw,
    )


def hook(settings: Settings, receiver: Receiver, path: str, events: str) -> int:
    with transaction(settings.database_url) as s:
        h, secret = add_webhook(s, receiver.url(path), events)
        receiver.secrets[path] = secret
        return h.id


def deliveries(settings: Settings, hook_id: int) -> list[Delivery]:
    with transaction(settings.database_url) as s:
        rows = (
            s.execute(select(Delivery).where(Delivery.webhook_id == hook_id).order_by(Delivery.id))
            .scalars()
            .all()
        )
        s.expunge_all()
        return list(rows)


def settled(settings: Settings, hook_id: int) -> bool:
    rows = deliveries(settings, hook_id)
    return bool(rows) and all(d.state != "pending" for d in rows)


def secrets_of(settings: Settings, receiver: Receiver, mailbox: Mailbox | None = None) -> list[str]:
    out = [s.removeprefix("whsec_") for s in receiver.secrets.values()]
    if mailbox is not None:
        out.append(mailbox.password)
    return out


def test_signed_deliveries_retries_and_final_answers(
    pg_url: str,
    redis_url: str,
    services: Services,
    receiver: Receiver,
    content: Path,
    tmp_path: Path,
) -> None:
    settings = nsettings(pg_url, redis_url, tmp_path)
    add_people(settings)
    every = hook(settings, receiver, "/all", "*")
    flaky = hook(settings, receiver, "/flaky", "task.claimed")
    gone = hook(settings, receiver, "/gone", "task.claimed")
    receiver.scripts["/flaky"] = lambda n: (500, 0.0) if n <= 2 else (200, 0.0)
    receiver.scripts["/gone"] = lambda n: (410, 0.0)
    scan(settings, content)
    worker = services.worker("w1", settings)
    beat = services.beat("beat", settings)
    wait_until(lambda: settled(settings, every), 60, "the scan's deliveries", alive=(worker,))

    got = receiver.at("/all")
    assert got and all(r.verified for r in got)  # standardwebhooks agrees with transync
    assert len({r.id for r in got}) == len(got) == len(deliveries(settings, every))
    first = got[0]
    body = json.loads(first.body)
    assert body["type"] == "task.queued" and set(body) == {"type", "timestamp", "data"}
    assert body["data"]["task"]["state"] in ("queued", "claimed")
    tampered = first.body.replace(b'"queued"', b'"claimed"')
    assert tampered != first.body
    assert not receiver.verify("/all", tampered, first.headers)  # a changed body fails
    assert not receiver.verify("/all", first.body, {**first.headers, "webhook-id": first.id + "x"})

    with transaction(settings.database_url) as s:  # an editor gives ayse a task
        task_id = s.execute(select(Task.id).where(Task.lang == "tr").limit(1)).scalar_one()
        assign(s, settings, task_id, EDITOR, "ayse")
    wait_until(
        lambda: settled(settings, flaky) and settled(settings, gone),
        60,
        "the claim's deliveries",
        alive=(worker, beat),
    )
    tries = receiver.at("/flaky")
    assert [r.status for r in tries] == [500, 500, 200]  # three attempts …
    assert len({r.id for r in tries}) == 1  # … with one webhook-id
    assert all(r.verified for r in tries)
    assert len({r.timestamp for r in tries}) >= 2  # signed anew each time
    (d,) = deliveries(settings, flaky)
    assert (d.state, d.attempts, d.last_status) == ("delivered", 3, 200)
    assert [r.status for r in receiver.at("/gone")] == [410]  # a 410 is final
    (g,) = deliveries(settings, gone)
    assert (g.state, g.attempts) == ("failed", 1)
    with transaction(settings.database_url) as s:
        log = (
            s.execute(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == d.id)
                .order_by(DeliveryAttempt.id)
            )
            .scalars()
            .all()
        )
        assert [a.result for a in log] == ["retry", "retry", "delivered"]
        assert all(a.latency_ms is not None for a in log)
        assert log[0].next_attempt_at is not None and log[-1].next_attempt_at is None
    for service in (worker, beat):
        for secret in secrets_of(settings, receiver):
            assert secret not in service.log()
    assert "/flaky" not in worker.log()  # the log names hosts, never paths


def test_a_worker_killed_mid_delivery_delivers_once_per_id(
    pg_url: str,
    redis_url: str,
    services: Services,
    receiver: Receiver,
    content: Path,
    tmp_path: Path,
) -> None:
    settings = nsettings(pg_url, redis_url, tmp_path)
    slow = hook(settings, receiver, "/slow", "task.queued")
    calls = itertools.count(1)
    receiver.scripts["/slow"] = lambda n: (200, 1.5 if next(calls) == 3 else 0.0)
    for i in range(20):  # 20 more posts: 40 tasks to tell
        (content / f"en/posts/extra-{i}.md").write_text(
            f"---\ntitle: Extra {i}\ntranslationKey: extra-{i}\n---\n\nParagraph {i}.\n",
            encoding="utf-8",
        )
    scan(settings, content)
    worker = services.worker("w1", settings)
    tick(settings)  # fan out: the deliveries go to the worker in one message
    wait_until(lambda: len(receiver.at("/slow")) >= 3, 30, "deliveries under way", alive=(worker,))
    worker.kill()  # mid-batch, some answered, one being answered, some not sent
    before = {r.id for r in receiver.at("/slow")}
    total = len(deliveries(settings, slow))
    assert len(before) < total
    worker = services.worker("w2", settings)

    def finished() -> bool:
        tick(settings)  # the beat's job: republish what lost its lease
        return settled(settings, slow)

    wait_until(finished, 60, "every delivery after the restart", interval=1.0, alive=(worker,))
    got = receiver.at("/slow")
    ids = Counter(r.id for r in got)
    rows = deliveries(settings, slow)
    assert set(ids) == {f"msg_{d.id}" for d in rows}  # every id reached the receiver
    assert all(d.state == "delivered" for d in rows)
    twice = {i for i, n in ids.items() if n > 1}
    assert twice <= before  # sent again: only what the dead worker had sent, unrecorded
    for i in twice:  # … with the same id and the same bytes: the receiver deduplicates
        assert len({r.body for r in got if r.id == i}) == 1
    with transaction(settings.database_url) as s:
        ok = Counter(
            s.execute(
                select(DeliveryAttempt.delivery_id).where(DeliveryAttempt.result == "delivered")
            ).scalars()
        )
    assert set(ok.values()) == {1}  # each delivery recorded delivered exactly once


def test_two_beats_send_one_digest_per_user_in_their_language(
    pg_url: str,
    redis_url: str,
    services: Services,
    receiver: Receiver,
    mailbox: Mailbox,
    content: Path,
    tmp_path: Path,
) -> None:
    settings = nsettings(
        pg_url,
        redis_url,
        tmp_path,
        smtp_url=mailbox.url,
        mail_from="transync@ts.example",
        digest_hour=0,
    )
    add_people(settings)
    with transaction(settings.database_url) as s:
        for name, lang in (("ayse", "tr"), ("ivan", "ru"), (EDITOR, "en")):
            s.execute(
                update(User)
                .where(User.name == name)
                .values(email=f"{name}@example.org", digest="daily", ui_lang=lang)
            )
    hook(settings, receiver, "/all", "*")  # a secret that must not leak into mail
    scan(settings, content)  # tasks in tr and ru: the translators' digests have news
    workers = [services.worker(f"w{i}", settings) for i in (1, 2)]
    beats = [services.beat(f"beat{i}", settings) for i in (1, 2)]

    def digests() -> dict[str, str]:
        with transaction(settings.database_url) as s:
            return {
                n: st
                for n, st in s.execute(
                    select(User.name, Digest.state).join(User, User.id == Digest.user_id)
                )
            }

    wait_until(
        lambda: len(digests()) >= 3 and "sending" not in digests().values(),
        60,
        "the daily digests",
        alive=(*workers, *beats),
    )
    wait_until(
        lambda: sum(1 for line in beats[1].log().splitlines() if "transync.notify" in line) >= 4,
        30,
        "more ticks of both beats",
        alive=(*workers, *beats),
    )
    assert digests() == {"ayse": "sent", "ivan": "sent", EDITOR: "empty"}  # nothing to say
    assert len(mailbox.to("ayse@example.org")) == 1  # two beats, one mail
    assert len(mailbox.to("ivan@example.org")) == 1
    assert mailbox.to("edith@example.org") == []
    assert mailbox.logins and set(mailbox.logins) == {mailbox.user}
    (tr,) = mailbox.to("ayse@example.org")
    (ru,) = mailbox.to("ivan@example.org")
    assert tr["Content-Language"] == "tr" and ru["Content-Language"] == "ru"
    tr_text = tr.get_body(("plain",)).get_content()
    ru_text = ru.get_body(("plain",)).get_content()
    assert "Merhaba ayse" in tr_text and "Dillerinizde" in tr_text
    assert "Здравствуйте, ivan" in ru_text and "ваших языках" in ru_text
    assert "https://ts.example/tasks/" in tr_text
    assert tr.get_body(("html",)).get_content().count('href="https://ts.example/tasks/') >= 1
    assert tr["Message-ID"].startswith("<digest-")
    for mail in (tr, ru):
        raw = mail.as_string()
        for secret in secrets_of(settings, receiver, mailbox):
            assert secret not in raw
    for service in (*workers, *beats):
        for secret in secrets_of(settings, receiver, mailbox):
            assert secret not in service.log()
