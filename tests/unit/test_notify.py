"""The pure parts of notifications: the event vocabulary, signatures (checked against the
`standardwebhooks` package, an implementation independent of transync's), backoff, SMTP
URLs that never show their password, and mail rendered in three languages."""

from __future__ import annotations

import datetime as dt
import doctest
import time

import pytest
from standardwebhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

import sync.notify.delivery
import sync.notify.digests
import sync.notify.mail
import sync.notify.sender
import sync.notify.signing
import sync.notify.vocabulary
from sync.config import Settings
from sync.errors import ConfigError
from sync.notify import signing
from sync.notify.mail import compose, parse_smtp_url
from sync.notify.sender import backoff, host_of, safe_error
from sync.notify.vocabulary import EVENT_TYPES, classify, parse_types


def test_the_doctests() -> None:
    for module in (
        sync.notify.vocabulary,
        sync.notify.signing,
        sync.notify.delivery,
        sync.notify.sender,
        sync.notify.mail,
        sync.notify.digests,
    ):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_the_vocabulary_is_the_issues() -> None:
    assert set(EVENT_TYPES) == {
        "translation.stale",
        "translation.current",
        "task.queued",
        "task.claimed",
        "task.released",
        "task.submitted",
        "task.approved",
        "task.rejected",
        "task.source_changed",
        "task.conflict",
        "lease.expiring",
        "lease.expired",
        "scan.rejected",
    }
    assert [str(t) for t in classify("review", {"verdict": "rejected", "reason": "x"})] == [
        "task.rejected"
    ]
    assert [
        str(t) for t in classify("task", {"task": 3, "source_changed": True, "source_revision": 4})
    ] == ["task.source_changed"]
    assert classify("task", {"task": 3, "moved_from": 1, "source_revision": 2}) == []
    assert [str(t) for t in classify("state", {"previous": "current", "state": "stale"})] == [
        "translation.stale"
    ]
    assert classify("scan", {"rejected": 0}) == []
    with pytest.raises(ValueError, match="task.eaten"):
        parse_types("task.queued,task.eaten")


@pytest.mark.parametrize("body", [b'{"type":"task.queued"}', '{"é": "ş я"}'.encode()])
def test_signatures_verify_with_an_independent_implementation(body: bytes) -> None:
    secret = signing.new_secret()
    now = int(time.time())
    headers = signing.headers(secret, "msg_42", now, body)
    Verifier(secret).verify(body, headers)  # raises when the signature is wrong
    assert signing.verify(secret, "msg_42", now, body, headers["webhook-signature"])
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(body[:-1] + b" }", headers)  # a changed body
    with pytest.raises(WebhookVerificationError):
        Verifier(secret).verify(body, {**headers, "webhook-id": "msg_43"})
    with pytest.raises(WebhookVerificationError):
        Verifier(signing.new_secret()).verify(body, headers)


def test_backoff_doubles_and_stops_at_the_horizon() -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    horizon = dt.timedelta(hours=24)
    waits, now, n = [], t0, 1
    while True:
        nxt = backoff(n, t0, now, base=30, horizon=horizon, jitter=0)
        if nxt is None:
            break
        waits.append((nxt - now).total_seconds())
        now, n = nxt, n + 1
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) <= 6 * 3600
    assert now == t0 + horizon  # the last try at the horizon, then none
    assert backoff(1, t0, t0, base=30, horizon=horizon, retry_after=600, jitter=0) == (
        t0 + dt.timedelta(seconds=600)
    )


def test_nothing_secret_in_what_is_logged() -> None:
    url = "https://user:pw123@hooks.example.org/T0/B1/s3cr3tpath?token=abc"
    assert host_of(url) == "hooks.example.org"
    text = safe_error(OSError(f"cannot reach {url}"), url)
    assert "pw123" not in text and "s3cr3tpath" not in text and "token=abc" not in text
    target = parse_smtp_url("smtps://me%40x.org:p%40ss@mail.x.org")
    assert (target.user, target.password, target.port) == ("me@x.org", "p@ss", 465)
    assert "p@ss" not in target.describe() and "p%40ss" not in target.describe()
    assert "p@ss" not in repr(Settings(smtp_url="smtps://me:p@ss@h"))
    with pytest.raises(ConfigError) as err:
        parse_smtp_url("imap://me:p4ss@h")
    assert "p4ss" not in str(err.value)


@pytest.mark.parametrize(
    ("lang", "hello", "heading"),
    [
        ("en", "Hello ayse,", "2 new tasks in your languages"),
        ("tr", "Merhaba ayse,", "Dillerinizde 2 yeni görev"),
        ("ru", "Здравствуйте, ayse!", "2 новые задачи на ваших языках"),
    ],
)
def test_a_digest_in_three_languages(lang: str, hello: str, heading: str) -> None:
    items = [
        {
            "type": "task.queued",
            "post": f"post-{i}",
            "lang": "tr",
            "url": f"https://ts.example/tasks/{i}",
        }
        for i in (1, 2)
    ]
    items.append(
        {
            "type": "task.rejected",
            "post": "p",
            "lang": "tr",
            "reason": "<b>no</b>",
            "url": "https://ts.example/tasks/9",
        }
    )
    mail = compose(
        Settings(base_url="https://ts.example", mail_from="t@ts.example"),
        to="ayse@example.org",
        name="ayse",
        lang=lang,
        items=items,
        period="daily:2026-01-01",
        message_id="<digest-1.1@ts.example>",
    )
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert hello in text and heading in text
    assert "https://ts.example/tasks/2" in text and 'href="https://ts.example/tasks/2"' in html
    assert "<b>no</b>" in text and "&lt;b&gt;no&lt;/b&gt;" in html  # escaped in HTML only
    assert mail["Content-Language"] == lang and mail["Message-ID"] == "<digest-1.1@ts.example>"
