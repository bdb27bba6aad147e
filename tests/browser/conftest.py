"""A live transync server (Uvicorn in a thread, on a free port) and Debian's Chromium,
driven by Playwright. The site is restored before each test."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sync.people
from tests.conftest import ROOT
from tests.web.site import FAST_HASHER, PASSWORD, Pristine, Site

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
SHOTS = ROOT / "test-output"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pristine]:
    saved = sync.people._hasher
    sync.people._hasher = FAST_HASHER  # cheap hashes for the whole session, server included
    try:
        yield Pristine(tmp_path_factory.mktemp("browser-site"))
    finally:
        sync.people._hasher = saved


class Live:
    def __init__(self, app: Any, base_url: str, pristine: Pristine) -> None:
        self.app = app
        self.base_url = base_url
        self.pristine = pristine
        self.site: Site = pristine.site

    def reset(self, **overrides: Any) -> Site:
        self.site = self.pristine.restore(**overrides)
        self.app.state.web.settings = self.site.settings
        self.app.state.web.renderer.settings = self.site.settings
        return self.site


@pytest.fixture(scope="session")
def live_server(pristine: Pristine) -> Iterator[Live]:
    import uvicorn

    from sync.web import create_app

    app = create_app(pristine.site.settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield Live(app, f"http://127.0.0.1:{port}", pristine)
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def live(live_server: Live) -> Live:
    live_server.reset()
    return live_server


@pytest.fixture
def page(browser: Any, live: Live) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live.base_url, viewport={"width": 1360, "height": 900}, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page: Any, name: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:2000]
