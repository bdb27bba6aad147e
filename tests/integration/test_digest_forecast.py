"""An editor's daily digest says when each queue clears, with the burn-down drawn as SVG
(issue 19), in the reader's language; a translator's digest does not; a language with no
history says why it has no date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from sync.db.models import Task, User, utcnow
from sync.db.session import transaction
from sync.notify import digests, mail
from tests.conftest import make_settings
from tests.helpers.tracking import EDITOR, add_people, scan
from tests.helpers.workhistory import add_done
from tests.integration.test_notify import drain


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    out: list[Any] = []
    monkeypatch.setattr(mail, "send", lambda settings, message: out.append(message))
    return out


def parts(message: Any) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_editors_daily_digest_has_the_forecast(db_url: str, content: Path, sent: list[Any]) -> None:
    settings = make_settings(db_url, smtp_url="smtp://127.0.0.1:9", base_url="https://ts.example")
    add_people(settings)
    with transaction(settings.database_url) as s:
        s.execute(
            update(User)
            .where(User.name.in_((EDITOR, "ayse")))
            .values(email="x@example.org", digest="daily")
        )
        s.execute(update(User).where(User.name == EDITOR).values(ui_lang="tr"))
        ids = dict(s.execute(select(User.name, User.id)).all())
    scan(settings, content)  # the new tasks are news for the editor
    now = utcnow()
    with transaction(settings.database_url) as s:
        for n in range(14):
            add_done(
                s,
                key="urban-heat",
                lang="tr",
                words=100,
                day=now.date() - dt.timedelta(days=n),
                assignee="ayse",
                hour=0,
                wait_hours=0,
                work_hours=0,
            )
        # a Russian task past its due date: news for the editor's digest
        s.execute(
            update(Task)
            .where(Task.lang == "ru", Task.state == "queued")
            .values(due=now.date() - dt.timedelta(days=1))
        )
    drain(settings)
    period = digests.daily_period(settings, now)
    assert digests.run_digest(settings, ids[EDITOR], period, now) == "sent"
    text, html = parts(sent[-1])
    assert "Kuyruklar ne zaman biter" in text and "Kuyruklar ne zaman biter" in html
    assert "185 sözcük bekliyor" in text  # Turkish: digital-public-services
    assert "Tahmin yok:" in text  # Russian: no finished work
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    assert "<script" not in html and "https://ts.example/forecast" in html
    # a translator's digest has no forecast (the editor's has overdue tasks and the queues)
    with transaction(settings.database_url) as s:
        s.execute(update(User).where(User.name == "ayse").values(digest="daily"))
    result = digests.run_digest(settings, ids["ayse"], period, now)
    if result == "sent":
        assert "<svg" not in parts(sent[-1])[1]
