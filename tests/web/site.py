"""A small transync site for web tests: the demo content scanned into SQLite, four people
(admin, editor, a Turkish and a Russian translator) with tokens and passwords."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from sync.config import Settings
from sync.db.models import Task
from sync.db.session import transaction
from sync.people import add_user, set_password
from sync.scanning import run_scan
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
PEOPLE = {  # name: (role, languages)
    "root": ("admin", ()),
    "ed": ("editor", ()),
    "ayse": ("translator", ("tr",)),
    "ivan": ("translator", ("ru",)),
}
# argon2 at its cheapest: the tests exercise the flow, not the hash's cost
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)

XSS_TITLE = '<script>alert("title")</script> "><img src=x onerror=alert(1)> Tricky'
XSS_BODY = (
    "A paragraph with <script>window.__pwned = 1; alert('body')</script> inside.\n\n"
    '"><img src=x onerror="window.__pwned=2;alert(2)"> and a '
    '[javascript link](javascript:alert(3)) and <a href="javascript:alert(4)">raw</a>.\n'
)


def edit_paragraph(path: Path, old_start: str, new: str) -> None:
    paras = path.read_text(encoding="utf-8").split("\n\n")
    idx = next(i for i, p in enumerate(paras) if p.startswith(old_start))
    paras[idx] = new
    path.write_text("\n\n".join(paras), encoding="utf-8")


def change_energy_source(content: Path) -> None:
    """Two paragraphs of energy-security (English source) change: tr and ru become stale."""
    path = content / "en/posts/energy-security.md"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "Offshore gas is the region's biggest new asset.",
        "Offshore gas is, by far, the region's biggest new asset.",
    )
    text = text.replace("No single state can secure", "No single government can secure")
    path.write_text(text, encoding="utf-8")


def submit_update_as(site: Site, name: str) -> int:
    """The energy-security source changes; `name` claims the Turkish update through the
    API and submits it (its changed paragraph translated anew)."""
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    with transaction(site.settings.database_url) as session:
        task = session.scalars(
            select(Task).where(Task.lang == "tr", Task.state == "queued", Task.kind == "update")
        ).one()
        task.priority = 100
    me = site.api(name)
    task_id = me.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()["id"]
    segments = me.get(f"/api/v1/tasks/{task_id}").json()["segments"]
    texts = {
        s["position"]: s["translation"].replace("Açık deniz gazı,", "Açık deniz gazı, açık ara,")
        for s in segments
    }
    r = me.post(f"/api/v1/tasks/{task_id}/translations", json={"translations": texts})
    assert r.status_code == 200, r.text
    return task_id


def add_xss_post(content: Path) -> None:
    (content / "en/posts/tricky.md").write_text(
        "---\n"
        f"title: '{XSS_TITLE.replace(chr(39), chr(39) * 2)}'\n"
        "translationKey: tricky\n"
        "date: 2026-10-05T09:00:00Z\n"
        "---\n\n" + XSS_BODY,
        encoding="utf-8",
    )


_APPS: dict[tuple[Any, ...], Any] = {}


def shared_app(settings: Settings) -> Any:
    """One app per middleware configuration, pointed at this test's settings. FastAPI
    prepares each route on its first request (a few hundred ms per app), so tests share
    apps; an app keeps only caches that check the database (tokens) besides its settings."""
    from sync.web import create_app

    key = (settings.secret_key, settings.max_upload_bytes, settings.secure_cookies)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings)
    app.state.web.settings = settings
    app.state.web.renderer.settings = settings
    return app


@dataclass
class Site:
    settings: Settings
    content: Path
    tokens: dict[str, str] = field(default_factory=dict)
    app: Any = None

    def make_app(self) -> Any:
        if self.app is None:
            self.app = shared_app(self.settings)
        return self.app

    def client(self, **kw: Any) -> TestClient:
        kw.setdefault("follow_redirects", False)
        return TestClient(self.make_app(), **kw)

    def api(self, name: str | None, **kw: Any) -> TestClient:
        client = self.client(**kw)
        if name is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[name]}"
        return client

    def login(self, name: str, password: str = PASSWORD, **kw: Any) -> TestClient:
        client = self.client(**kw)
        response = client.post(
            "/login", data={"name": name, "password": password, "csrf_token": csrf(client)}
        )
        assert response.status_code == 303, response.text
        return client


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token of the client's session (from any page with a form)."""
    page = client.get(path, follow_redirects=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def shown_submission(page: str) -> str:
    """What the review page's forms say they decide on: the submission it shows."""
    m = re.search(r'name="submission_digest" value="([^"]+)"', page)
    assert m, "the review page's forms do not name the submission they show"
    return m.group(1)


def build_site(database_url: str, content: Path, tmp_path: Path, **overrides: Any) -> Site:
    settings = make_settings(
        database_url,
        broker_url="memory://",
        sources=(f"fs:{content}",),
        locales_dir=str(tmp_path / "locales"),
        secret_key="a-test-secret-that-is-long-enough-0123456789",
        **overrides,
    )
    run_scan(settings, [f"fs:{content}"])
    site = Site(settings=settings, content=content)
    with transaction(settings.database_url) as session:
        for name, (role, langs) in PEOPLE.items():
            user, token = add_user(session, settings, name, role=role, langs=langs, with_token=True)
            set_password(user, PASSWORD)
            assert token is not None
            site.tokens[name] = token
    return site


class Pristine:
    """A site built once (scan, people), then restored in place before each test: the
    database file and the content tree are copied back over the same paths. The engine
    for that URL stays, so its compiled statements are reused from test to test."""

    def __init__(self, base: Path) -> None:
        from sync.db.migrate import upgrade
        from tests.conftest import EXAMPLES

        self.work = base / "work"
        self.saved = base / "pristine"
        content = self.work / "content"
        shutil.copytree(EXAMPLES / "content", content)
        self.db = self.work / "transync.db"
        url = f"sqlite:///{self.db}"
        upgrade(url)
        self.site = build_site(url, content, self.work)
        self._release()
        self.saved.mkdir()
        shutil.copyfile(self.db, self.saved / "transync.db")
        shutil.copytree(content, self.saved / "content")

    def _release(self) -> None:
        from sync.db.session import dispose

        dispose(self.site.settings.database_url)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)

    def restore(self, **overrides: Any) -> Site:
        """The site as built, with these settings changed (e.g. review=True)."""
        import dataclasses

        self._release()
        shutil.copyfile(self.saved / "transync.db", self.db)
        shutil.rmtree(self.site.content)
        shutil.copytree(self.saved / "content", self.site.content)
        shutil.rmtree(self.work / "locales", ignore_errors=True)
        settings = dataclasses.replace(self.site.settings, **overrides)
        return Site(settings=settings, content=self.site.content, tokens=dict(self.site.tokens))
