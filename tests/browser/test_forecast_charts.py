"""The forecast's charts in a real headless Chromium under the site's CSP: the dashboard's
burn-down per language and the forecast page's throughput per translator are drawn (their
shapes have a size on screen), nothing is refused by the policy, nothing is fetched from
another host. Screenshots in test-output/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from sync.db.models import Task
from sync.db.session import transaction
from tests.browser.conftest import SHOTS, Live, login
from tests.browser.test_apidocs import Watch
from tests.helpers.workhistory import add_done

pytestmark = pytest.mark.browser


def history(live: Live) -> None:
    """Three weeks of Turkish and Russian work, a due date Turkish will miss."""
    today = dt.datetime.now(dt.UTC).date()
    with transaction(live.site.settings.database_url) as session:
        for n in range(21):
            day = today - dt.timedelta(days=n)
            if day.weekday() < 5:
                add_done(
                    session,
                    key="urban-heat",
                    lang="tr",
                    words=60 + 10 * (n % 4),
                    day=day,
                    assignee="ayse",
                    hour=0,
                    wait_hours=0,
                    work_hours=0,
                )
                add_done(
                    session,
                    key="labour-migration",
                    lang="ru",
                    words=300,
                    day=day,
                    assignee="ivan",
                    hour=0,
                    wait_hours=0,
                    work_hours=0,
                )
        session.get(Task, 1).due = today + dt.timedelta(days=1)


def drawn(page: Any, selector: str) -> int:
    """How many of the shapes are laid out with a size (rendered, not refused)."""
    return page.locator(selector).evaluate_all(
        "els => els.filter(e => { const b = e.getBBox(); return b.width > 0 || b.height > 0 })"
        ".length"
    )


def test_dashboard_burn_down_renders_under_the_csp(page: Any, live: Live) -> None:
    history(live)
    watch = Watch(page, live)
    login(page, "ed")
    response = page.goto("/")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    panel = page.locator("section.forecast-panel")
    panel.wait_for()
    charts = panel.locator("svg.burndown")
    assert charts.count() == 2
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100
    assert drawn(page, "svg.burndown polyline") == 2  # the past, both languages
    assert drawn(page, "svg.burndown line[stroke-dasharray='5 3']") == 2  # the forecasts
    assert "Clears on" in panel.inner_text()
    SHOTS.mkdir(exist_ok=True)
    panel.screenshot(path=str(SHOTS / "forecast-panel.png"))
    watch.assert_clean()


def test_forecast_page_charts_render_under_the_csp(page: Any, live: Live) -> None:
    history(live)
    watch = Watch(page, live)
    login(page, "ed")
    page.goto("/forecast")
    page.locator("svg.throughput").wait_for()
    assert drawn(page, "svg.throughput rect") >= 6  # three weeks of bars, ayse and ivan
    assert page.locator("tr.risk").count() == 1  # task 1: due tomorrow, not done by then
    assert page.locator("tr.risk .at-risk").inner_text() == "at risk"
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "forecast-page.png"), full_page=True)
    watch.assert_clean()
