"""The forecast on the web (issue 19): GET /api/v1/forecast for editors, in its declared
shape; the dashboard's panel with its SVG burn-down; words and at-risk due dates on the
tasks page and in the task objects of the API; the forecast page."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from sync.db.models import Task
from sync.db.session import transaction
from sync.queue import cancel
from tests.helpers.workhistory import add_done
from tests.web import contract
from tests.web.site import Site


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def history(
    site: Site, words: int = 700, days: int = 20, lang: str = "tr", who: str = "ayse"
) -> None:
    """`who` finished `words` words on each of the last `days` days (today included, at
    midnight: already past whenever the test runs)."""
    with transaction(site.settings.database_url) as session:
        for n in range(days):
            add_done(
                session,
                key="urban-heat",
                lang=lang,
                words=words,
                day=today() - dt.timedelta(days=n),
                assignee=who,
                wait_hours=0,
                work_hours=0,
                hour=0,
            )


def set_due(site: Site, task_id: int, due: dt.date | None) -> None:
    with transaction(site.settings.database_url) as session:
        session.get(Task, task_id).due = due


def spec(site: Site) -> dict:
    return site.client().get("/api/openapi.json").json()


@pytest.mark.parametrize(
    ("who", "status"), [("root", 200), ("ed", 200), ("ayse", 403), ("ivan", 403), (None, 401)]
)
def test_forecast_api_is_for_editors(site: Site, who: str | None, status: int) -> None:
    response = site.api(who).get("/api/v1/forecast")
    assert response.status_code == status, response.text
    contract.check(spec(site), "GET", "/api/v1/forecast", response)


def test_forecast_api_has_dates_where_there_is_history_and_none_where_not(site: Site) -> None:
    history(site)
    response = site.api("ed").get("/api/v1/forecast")
    contract.check(spec(site), "GET", "/api/v1/forecast", response)
    doc = response.json()
    tr, ru = doc["languages"]["tr"], doc["languages"]["ru"]
    assert tr["pending_words"] == 185 and tr["words_per_day"] == 700.0
    assert tr["translators"] == ["ayse"] and tr["reason"] is None
    # 185 words at 700 a day, every day of the week: done tomorrow
    assert tr["clear"] == (today() + dt.timedelta(days=1)).isoformat()
    assert tr["early"] <= tr["clear"] <= tr["late"]
    assert [t["id"] for t in tr["tasks"]] == [1]
    assert ru["pending_words"] == 190 and ru["words_per_day"] is None
    assert ru["reason"] == "no_history" and ru["clear"] is None and ru["note"]
    assert all(t["expected"] is None for t in ru["tasks"])
    assert doc["translators"][0]["name"] == "ayse"
    assert doc["translators"][0]["days_worked"] == 20
    only = site.api("ed").get("/api/v1/forecast", params={"lang": "ru"}).json()
    assert list(only["languages"]) == ["ru"]
    bad = site.api("ed").get("/api/v1/forecast", params={"lang": "xx"})
    assert bad.status_code == 422
    contract.check(spec(site), "GET", "/api/v1/forecast", bad)


def test_the_openapi_document_names_the_role(site: Site) -> None:
    op = spec(site)["paths"]["/api/v1/forecast"]["get"]
    assert op["x-transync-role"] == "editor"


def test_task_objects_carry_words_cost_and_at_risk(site: Site) -> None:
    history(site, words=50)  # 50 words a day: task 1's 185 words take four days
    set_due(site, 1, today() + dt.timedelta(days=2))
    site.settings = dataclasses.replace(site.settings, word_rate="tr=0.10")
    client = site.api("ed")
    response = client.get("/api/v1/tasks", params={"state": "queued"})
    contract.check(spec(site), "GET", "/api/v1/tasks", response)
    tasks = {t["id"]: t for t in response.json()["tasks"]}
    assert tasks[1]["words"] == 185 and tasks[1]["cost"] == 18.5
    assert tasks[1]["at_risk"] is True  # expected in four days, due in two
    assert "cost" not in tasks[2] and tasks[2]["at_risk"] is None  # ru: no rate, no due
    set_due(site, 1, today() + dt.timedelta(days=9))
    tasks = {t["id"]: t for t in client.get("/api/v1/tasks").json()["tasks"]}
    assert tasks[1]["at_risk"] is False
    by_words = client.get("/api/v1/tasks", params={"sort": "words", "lang": "ru"}).json()
    assert [t["words"] for t in by_words["tasks"]] == sorted(
        [t["words"] for t in by_words["tasks"]], reverse=True
    )


def test_the_dashboard_panel_draws_the_burn_down_for_editors_only(site: Site) -> None:
    history(site)
    page = site.login("ed").get("/").text
    panel = page[page.index('class="forecast-panel"') :]
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in panel and "burndown" in panel
    assert "style=" not in re.sub(r"(?s)^.*?<svg", "<svg", panel).split("</section>")[0]
    assert 'data-lang="tr"' in panel and 'data-lang="ru"' in panel
    assert "No forecast" in panel  # ru has no history
    assert "185 words in queued and claimed tasks" in panel
    assert "forecast-panel" not in site.login("ayse").get("/").text


def test_the_panel_does_not_call_words_nobody_queued_nothing_pending(site: Site) -> None:
    """The bars count every missing and stale translation's words, the panel only those of
    queued and claimed tasks: on one page, the panel says which it counts."""
    history(site)
    with transaction(site.settings.database_url) as session:
        cancel(session, 1, "ed")  # the Turkish translation is still missing
    page = site.login("ed").get("/").text
    assert "185 words to translate" in page
    panel = page[page.index('class="forecast-panel"') :]
    card = panel[panel.index('data-lang="tr"') :].split('class="forecast-card"')[0]
    assert "words pending" not in card and "Nothing pending" not in card
    assert "0 words in queued and claimed tasks" in card and "No task queued or claimed." in card


def test_the_matrix_shows_words_beside_the_state(site: Site) -> None:
    page = site.login("ed").get("/").text
    assert "185 words" in page  # digital-public-services is missing in Turkish
    assert "185 words to translate" in page  # the Turkish card's words pending


def test_tasks_page_shows_words_and_flags_tasks_at_risk(site: Site) -> None:
    history(site, words=50)
    set_due(site, 1, today() + dt.timedelta(days=2))
    client = site.login("ed")
    page = client.get("/tasks", params={"lang": "tr"}).text
    row = page[page.index('id="task-1"') :].split("</tr>")[0]
    assert ">185<" in row and "at risk" in row
    set_due(site, 1, None)
    row = client.get("/tasks", params={"lang": "tr"}).text
    row = row[row.index('id="task-1"') :].split("</tr>")[0]
    assert "at risk" not in row
    assert client.get("/tasks", params={"lang": "ru", "sort": "words"}).status_code == 200


def test_forecast_page(site: Site) -> None:
    history(site)
    history(site, words=400, lang="ru", who="ivan")
    client = site.login("ed")
    page = client.get("/forecast").text
    assert page.count('class="card forecast-lang"') == 2
    assert "chart throughput" in page and "ayse" in page and "ivan" in page
    tr_page = client.get("/forecast", params={"lang": "tr"}).text
    assert tr_page.count('class="card forecast-lang"') == 1
    assert site.login("ayse").get("/forecast").status_code == 403


def test_the_panel_and_page_speak_turkish(site: Site) -> None:
    history(site)
    client = site.login("ed")
    client.cookies.clear()
    client = site.login("ed", headers={"Accept-Language": "tr"})
    page = client.get("/forecast", headers={"Accept-Language": "tr"}).text
    assert "Tahmin" in page
