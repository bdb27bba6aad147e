"""Every endpoint × every role (admin, editor, translator, translator of another language,
no token) with the status code it must give. Each case runs on its own copy of one
prepared database, so no case sees another's changes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sync.people
from sync.db.migrate import upgrade
from sync.db.session import dispose, dispose_all, transaction
from sync.queue import assign, claim, get_task
from sync.scanning import run_scan
from sync.submission import submit_markdown
from tests.conftest import EXAMPLES, make_settings
from tests.web import contract
from tests.web.site import FAST_HASHER, Site, build_site, change_energy_source, csrf

ROLES = ("root", "ed", "ayse", "ivan", None)  # admin, editor, tr translator, ru translator, anon
ALL = dict.fromkeys(ROLES[:4], 200) | {None: 401}
EDITORS = {"root": 200, "ed": 200, "ayse": 403, "ivan": 403, None: 401}
ADMIN = {"root": 200, "ed": 403, "ayse": 403, "ivan": 403, None: 401}
CLAIMER = {"root": 403, "ed": 403, "ayse": 200, "ivan": 403, None: 401}  # ayse holds task 1
OPEN = dict.fromkeys(ROLES, 200)

MARKDOWN = ("t.md", b"---\ntitle: Dijital Kamu Hizmetleri\n---\n\nMetin.\n", "text/markdown")

# (method, path, body, {role: status}); body: dict → JSON, "po"/"md" → a file upload
API_CASES: list[tuple[str, str, Any, dict[str | None, int]]] = [
    ("GET", "/api/v1/status", None, ALL),
    ("GET", "/api/v1/status/summary", None, ALL),
    ("GET", "/api/v1/posts/energy-security", None, EDITORS),
    ("GET", "/api/v1/posts/energy-security/diff/ru", None, EDITORS),
    ("POST", "/api/v1/posts/energy-security/ack", {"lang": "ru"}, EDITORS),
    ("GET", "/api/v1/events", None, EDITORS),
    ("GET", "/api/v1/tasks", None, ALL),
    ("GET", "/api/v1/tasks/1", None, {"root": 200, "ed": 200, "ayse": 200, "ivan": 403, None: 401}),
    ("GET", "/api/v1/tasks/2", None, EDITORS),
    ("GET", "/api/v1/tasks/99", None, dict.fromkeys(ROLES[:4], 404) | {None: 401}),
    (
        "POST",
        "/api/v1/tasks/claim",
        {"lang": "ru"},
        {"root": 200, "ed": 200, "ayse": 403, "ivan": 200, None: 401},
    ),
    (
        "POST",
        "/api/v1/tasks/claim",
        {"lang": "tr"},
        {"root": 204, "ed": 204, "ayse": 204, "ivan": 403, None: 401},
    ),
    ("POST", "/api/v1/tasks/claim", {"lang": "xx"}, dict.fromkeys(ROLES[:4], 422) | {None: 401}),
    ("POST", "/api/v1/tasks/1/release", None, CLAIMER),
    ("POST", "/api/v1/tasks/1/renew", {"lease": "4h"}, CLAIMER),
    (
        "GET",
        "/api/v1/tasks/1/po",
        None,
        {"root": 200, "ed": 200, "ayse": 200, "ivan": 403, None: 401},
    ),
    ("POST", "/api/v1/tasks/1/po", "po", CLAIMER),
    ("POST", "/api/v1/tasks/1/submit", "md", CLAIMER),
    (
        "POST",
        "/api/v1/tasks/1/translations",
        {"translations": {"0": "Dijital Kamu Hizmetleri"}, "partial": True},
        CLAIMER,
    ),
    ("POST", "/api/v1/tasks/3/approve", None, EDITORS),
    ("POST", "/api/v1/tasks/3/reject", {"reason": "Başlık eksik"}, EDITORS),
    ("POST", "/api/v1/tasks/2/assign", {"to": "ivan"}, EDITORS),
    ("PATCH", "/api/v1/tasks/2", {"priority": 3}, EDITORS),
    ("POST", "/api/v1/tasks/2/cancel", {"reason": "not needed"}, EDITORS),
    ("POST", "/api/v1/scan", {}, EDITORS),
    ("POST", "/api/v1/export", {}, EDITORS),
    ("GET", "/api/v1/users", None, ADMIN),
    ("POST", "/api/v1/users", {"name": "zeynep", "langs": ["tr"]}, ADMIN | {"root": 201}),
    ("DELETE", "/api/v1/users/ivan", None, ADMIN),
    ("POST", "/api/v1/users", {"name": "ed"}, ADMIN | {"root": 409}),
    ("PATCH", "/api/v1/users/ivan", {"langs": ["ru", "tr"]}, ADMIN),
    ("PATCH", "/api/v1/users/root", {"role": "editor"}, ADMIN | {"root": 409}),
    ("PATCH", "/api/v1/users/nobody", {"active": False}, ADMIN | {"root": 404}),
    ("GET", "/api/v1/me", None, ALL),
    ("PATCH", "/api/v1/me", {"ui_lang": "en"}, ALL),
    ("POST", "/api/v1/me/token", None, ALL),
    ("GET", "/healthz", None, OPEN),
    ("GET", "/metrics", None, OPEN),
]

LOGIN = {None: 303}
PAGE_CASES: list[tuple[str, dict[str | None, int]]] = [
    ("/", ALL | LOGIN),
    ("/my", ALL | LOGIN),
    ("/account", ALL | LOGIN),
    ("/tasks", EDITORS | LOGIN),
    ("/review", EDITORS | LOGIN),
    ("/posts/energy-security", EDITORS | LOGIN),
    ("/tasks/1", {"root": 200, "ed": 200, "ayse": 200, "ivan": 403, None: 303}),
    ("/tasks/1/po", {"root": 200, "ed": 200, "ayse": 200, "ivan": 403, None: 303}),
    ("/users", ADMIN | LOGIN),
    ("/users/ayse", ADMIN | LOGIN),
    ("/login", dict.fromkeys(ROLES[:4], 303) | {None: 200}),
    ("/api/docs", OPEN),
    ("/api/swagger", OPEN),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One prepared database: task 1 (tr) claimed by ayse, 2 (ru) queued, 3 (tr) submitted
    by ayse for review, 4 (ru) queued; energy-security is stale in tr and ru."""
    base = tmp_path_factory.mktemp("permissions")
    content = base / "content"
    shutil.copytree(EXAMPLES / "content", content)
    url = f"sqlite:///{base / 'template.db'}"
    upgrade(url)
    saved = sync.people._hasher
    sync.people._hasher = FAST_HASHER
    try:
        site = build_site(url, content, base, review=True)
        settings = site.settings
        change_energy_source(content)
        run_scan(settings, [f"fs:{content}"])
        with transaction(url) as session:
            got = claim(session, settings, "ayse", "tr")
            assert got is not None and got[0].id == 1
            assign(session, settings, 3, "ed", "ayse")
            submit_markdown(session, settings, 3, "ayse", "t.md", MARKDOWN[1])
            from sync.pofiles import task_po

            po = task_po(session, settings, 1)
    finally:
        sync.people._hasher = saved
    dispose_all()
    yield {"db": base / "template.db", "site": site, "po": po, "base": base}
    dispose_all()


class Copies:
    """The prepared database copied over one path, again and again. The engine stays (only
    its connections are closed), so SQLAlchemy's compiled statements are reused: a new
    engine per copy would compile every query afresh."""

    def __init__(self, template: dict[str, Any], directory: Path) -> None:
        self.template = template
        self.db = directory / "case.db"
        site: Site = template["site"]
        settings = make_settings(
            f"sqlite:///{self.db}",
            **{
                k: getattr(site.settings, k)
                for k in ("broker_url", "sources", "locales_dir", "secret_key", "review")
            },
        )
        self.current = Site(settings=settings, content=site.content, tokens=site.tokens)

    def site(self) -> Site:
        dispose(self.current.settings.database_url)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template["db"], self.db)
        return self.current


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cases")


@pytest.fixture(scope="module")
def all_copies(template: dict[str, Any], case_dir: Path) -> Copies:
    return Copies(template, case_dir)


@pytest.fixture
def copies(all_copies: Copies, monkeypatch: pytest.MonkeyPatch) -> Iterator[Copies]:
    monkeypatch.setattr(sync.people, "_hasher", FAST_HASHER)
    yield all_copies


def send(client: Any, token: str | None, method: str, path: str, body: Any, po: bytes) -> Any:
    kw: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"} if token else {}}
    if body == "po":
        kw["files"] = {"file": ("task.po", po, "text/x-gettext-translation")}
        kw["data"] = {"partial": "true"}
    elif body == "md":
        kw["files"] = {"file": MARKDOWN}
    elif body is not None:
        kw["json"] = body
    return client.request(method, path, **kw)


def case_id(method: str, path: str, body: Any) -> str:
    lang = f" {body['lang']}" if isinstance(body, dict) and "lang" in body else ""
    return f"{method} {path}{lang}"


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [pytest.param(*case, id=case_id(*case[:3])) for case in API_CASES],
)
def test_api(
    copies: Copies,
    template: dict[str, Any],
    method: str,
    path: str,
    body: Any,
    expected: dict[str | None, int],
) -> None:
    """Refused callers go first on one copy (a refusal must change nothing); each caller
    who is allowed gets a copy of their own."""
    got: dict[str | None, int] = {}
    order = sorted(ROLES, key=lambda who: expected[who] < 300)
    site = copies.site()
    dirty = False
    with site.client() as client:
        spec = client.get("/api/openapi.json").json()
        for who in order:
            if dirty and expected[who] < 300:
                copies.site()
                dirty = False
            token = template["site"].tokens[who] if who else None
            response = send(client, token, method, path, body, template["po"])
            got[who] = response.status_code
            contract.check(spec, method, path, response)  # declared, in the declared shape
            dirty = dirty or (method != "GET" and got[who] < 300)
    assert got == expected


def test_pages(copies: Copies) -> None:
    """Every page × role, as a signed-in browser (or none) would see it."""
    site = copies.site()
    clients = {who: site.login(who) if who else site.client() for who in ROLES}
    got: dict[str, dict[str | None, int]] = {}
    for path, _expected in PAGE_CASES:
        got[path] = {}
        for who in ROLES:
            response = clients[who].get(path)
            got[path][who] = response.status_code
            if response.status_code == 303 and path != "/login":
                assert response.headers["location"].startswith("/login?next="), path
            if response.status_code == 403:
                assert "<html" in response.text and "Traceback" not in response.text
    assert got == dict(PAGE_CASES)


def test_page_posts_need_csrf_and_role(copies: Copies) -> None:
    """A form post without the session's CSRF token is refused, even from an editor; a
    translator posting an editor's form is refused even with the token."""
    site = copies.site()
    ed = site.login("ed")
    assert ed.post("/tasks/2/assign", data={"to": "ivan"}).status_code == 403
    r = ed.post("/tasks/2/assign", data={"to": "ivan", "csrf_token": "forged" * 8})
    assert r.status_code == 403
    ayse = site.login("ayse")
    r = ayse.post("/tasks/2/assign", data={"to": "ayse", "csrf_token": csrf(ayse, "/my")})
    assert r.status_code == 403
    with transaction(site.settings.database_url) as session:
        assert get_task(session, 2)[0].assignee is None
    r = ed.post("/tasks/2/assign", data={"to": "ivan", "csrf_token": csrf(ed, "/tasks")})
    assert r.status_code == 303
    with transaction(site.settings.database_url) as session:
        assert get_task(session, 2)[0].assignee == "ivan"
