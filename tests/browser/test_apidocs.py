"""The API documentation in a real headless Chromium that may reach nothing but transync:
every request to another host fails. /api/docs and Swagger UI at /api/swagger must load
everything they need from transync, under its strict CSP (no violation reported), and
Swagger UI must work: list the operations, say their roles and errors, and run a request
with a token."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SHOTS, Live

pytestmark = pytest.mark.browser


class Watch:
    """Requests to other hosts (aborted), CSP violations and script errors of a page."""

    def __init__(self, page: Any, live: Live) -> None:
        self.own = urlsplit(live.base_url).netloc
        self.foreign: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        self.requested: list[str] = []
        page.route("**/*", self.route)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.own:
            self.requested.append(url)
            route.continue_()
        else:
            self.foreign.append(url)
            route.abort()

    def violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]

    def assert_clean(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.violations() == [], self.violations()
        assert self.errors == [], self.errors


def test_api_docs_page_loads_only_from_transync(page: Any, live: Live) -> None:
    watch = Watch(page, live)
    response = page.goto("/api/docs")
    assert response.status == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("section.api-op").count() >= 30
    assert page.locator(".badge.role-admin").count() >= 3
    assert page.get_by_role("link", name="/api/swagger").is_visible()
    watch.assert_clean()


def test_swagger_ui_works_offline_under_the_csp(page: Any, live: Live) -> None:
    watch = Watch(page, live)
    response = page.goto("/api/swagger")
    assert response.status == 200
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 30
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("transync")
    # one operation opened: its role and its errors, in the one error shape
    me = page.locator("#operations-users-me_api_v1_me_get")
    me.locator(".opblock-summary").click()
    me.locator(".responses-table").first.wait_for()
    assert "Role:" in me.locator(".opblock-description-wrapper").first.inner_text()
    codes = me.locator(".responses-table tr.response").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-code'))"
    )
    assert {"200", "401", "503"} <= set(codes), codes
    # authorize with a token and run the request from the page
    page.locator("button.authorize").first.click()
    page.locator(".auth-container input").first.fill(live.site.tokens["ayse"])
    page.locator(".auth-btn-wrapper button.authorize").click()
    page.locator(".auth-btn-wrapper button.btn-done").click()
    me.locator("button.try-out__btn").click()
    me.locator("button.execute").click()
    status = me.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip().startswith("200")
    assert '"name": "ayse"' in me.locator(".live-responses-table .microlight").first.inner_text()
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "swagger.png"), full_page=False)
    assert any(u.endswith("/api/openapi.json") for u in watch.requested)
    assert any("/api/swagger/swagger-ui-bundle.js" in u for u in watch.requested)
    watch.assert_clean()


def test_swagger_would_have_been_caught(page: Any, live: Live) -> None:
    """The watch itself: a page that asks another host is caught (so the tests above can
    fail)."""
    watch = Watch(page, live)
    page.set_content('<img src="https://cdn.example.invalid/x.png">')
    page.wait_for_timeout(200)
    assert watch.foreign == ["https://cdn.example.invalid/x.png"]
