"""The server-rendered pages through a cookie session: login, CSRF, the throttle, escaping,
friendly errors, the editor's and the translator's forms, and the UI language."""

from __future__ import annotations

import html
import re

import polib
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from sync.db.session import transaction
from sync.queue import get_task
from sync.scanning import run_scan
from sync.web import create_app
from tests.web.site import (
    PASSWORD,
    XSS_BODY,
    XSS_TITLE,
    Pristine,
    Site,
    add_xss_post,
    change_energy_source,
    csrf,
    shown_submission,
)


def rows(page: str) -> list[str]:
    """Post keys of the matrix rows."""
    return re.findall(r'<span class="key">([^<]+)</span>', page)


def test_login_logout_and_cookie_flags(site: Site) -> None:
    client = site.client()
    r = client.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    token = csrf(client)
    r = client.post(
        "/login", data={"name": "ed", "password": "wrong password", "csrf_token": token}
    )
    assert r.status_code == 401 and "Wrong name or password" in r.text
    r = client.post(
        "/login", data={"name": "ed", "password": PASSWORD, "csrf_token": token, "next": "/tasks"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/tasks"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    page = client.get("/")
    assert page.status_code == 200 and ">ed<" in page.text
    r = client.post("/logout", data={"csrf_token": csrf(client, "/")})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert client.get("/").status_code == 303


def test_translators_land_on_their_tasks(site: Site) -> None:
    client = site.client()
    r = client.post(
        "/login", data={"name": "ayse", "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert r.headers["location"] == "/my"


def test_secure_cookies(pristine: Pristine, fast_hashes: None) -> None:
    site = pristine.restore(secure_cookies=True)
    client = site.client(base_url="https://testserver")
    r = client.post("/login", data={"name": "ed", "password": PASSWORD, "csrf_token": csrf(client)})
    assert "secure" in r.headers["set-cookie"].lower()


def test_login_needs_csrf_and_refuses_open_redirects(site: Site) -> None:
    client = site.client()
    r = client.post("/login", data={"name": "ed", "password": PASSWORD})
    assert r.status_code == 403 and "Traceback" not in r.text
    r = client.post(
        "/login",
        data={
            "name": "ed",
            "password": PASSWORD,
            "csrf_token": csrf(client),
            "next": "//evil.example/x",
        },
    )
    assert r.headers["location"] == "/"


def test_failed_logins_are_slowed(site: Site) -> None:
    app = create_app(site.settings)  # its own throttle
    client = TestClient(app, follow_redirects=False)
    token = csrf(client)
    for _ in range(3):
        r = client.post("/login", data={"name": "ed", "password": "nope", "csrf_token": token})
        assert r.status_code == 401
    r = client.post("/login", data={"name": "ed", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Wait" in r.text
    # another person from the same address is not held up
    r = client.post("/login", data={"name": "ayse", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303


def test_everything_from_posts_is_escaped(site: Site) -> None:
    add_xss_post(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.login("ed")
    for path in ("/", "/posts/tricky", "/tasks?lang=tr"):
        page = ed.get(path).text
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", ""), path
        assert str(escape(XSS_TITLE)) in page, path
    post = ed.get("/posts/tricky").text
    assert 'href="javascript:' not in post
    diff = ed.get("/api/v1/status")  # the API answers JSON only, never HTML
    assert diff.status_code == 401
    ayse = site.login("ayse")
    ayse.post("/my/claim", data={"lang": "tr", "csrf_token": csrf(ayse, "/my")})
    with transaction(site.settings.database_url) as session:
        from sync.queue import list_tasks

        ((task, _key),) = list_tasks(session, post="tricky", lang="tr")
    from sync.queue import assign

    with transaction(site.settings.database_url) as session:
        assign(session, site.settings, task.id, "ed", "ayse")
    editor_page = ayse.get(f"/tasks/{task.id}").text
    assert (
        "<script>"
        not in editor_page.split("<script src=")[0] + editor_page.split("defer></script>")[-1]
    )
    assert html.escape("window.__pwned = 1;") in editor_page
    assert "javascript:alert(3)" in editor_page  # shown as text, never as a link
    assert XSS_BODY  # the body came through the scan


def test_errors_are_friendly_pages_without_traces(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    ed = site.login("ed", raise_server_exceptions=False)
    r = ed.get("/posts/no-such-post")
    assert r.status_code == 404 and "no-such-post" in r.text and "<html" in r.text
    r = ed.get("/no/such/page")
    assert r.status_code == 404 and "Not found" in r.text
    r = ed.get("/?lang=xx")
    assert r.status_code == 422 and "xx" in r.text

    def boom(*args: object, **kw: object) -> None:
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr("sync.web.pages.snapshot", boom)
    r = ed.get("/")
    assert r.status_code == 500
    assert "secret internals" not in r.text and "Traceback" not in r.text
    assert "Something went wrong" in r.text
    monkeypatch.setattr("sync.web.api.snapshot", boom)
    r = site.api("ed", raise_server_exceptions=False).get("/api/v1/status")
    assert r.status_code == 500 and "secret" not in r.text and r.json()["detail"]


def test_matrix_filters_and_pages(site: Site) -> None:
    ed = site.login("ed")
    page = ed.get("/").text
    assert len(rows(page)) == 7 and 'class="cell st-missing' in page
    assert "83% current" in page  # tr: 5 of 6 translations
    page = ed.get("/?state=missing").text
    assert sorted(rows(page)) == ["digital-public-services", "grain-corridor"]
    page = ed.get("/?state=missing&lang=ru").text
    assert rows(page) == ["grain-corridor"]
    assert '<th class="lang-col"' in page and page.count('class="lang-col"') == 1
    page = ed.get("/?text=rail").text
    assert rows(page) == ["regional-rail"]
    page = ed.get("/?per_page=3&page=3").text
    assert len(rows(page)) == 1 and 'aria-current="page">3<' in page
    ayse = site.login("ayse")
    ayse.post("/my/claim", data={"lang": "tr", "csrf_token": csrf(ayse, "/my")})
    page = ed.get("/?translator=ayse").text
    assert rows(page) == ["digital-public-services"] and "in progress · ayse" in page


def test_matrix_past_the_last_page_shows_the_last_page(site: Site) -> None:
    """A page number past the end (a bookmark, fewer posts matching now) shows the last
    page, as the review page does, not "no post matches" under "7 posts match"."""
    ed = site.login("ed")
    page = ed.get("/?page=99").text
    assert len(rows(page)) == 7 and "No post matches" not in page
    page = ed.get("/?per_page=3&page=99").text
    assert len(rows(page)) == 1 and 'aria-current="page">3<' in page


def test_post_page_shows_diff_and_ack(site: Site) -> None:
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.login("ed")
    page = ed.get("/posts/energy-security").text
    # old source, new source and the current translation side by side, not interleaved
    rows = re.findall(r'<div class="side-row op-changed".*?\n      </div>\n', page, re.S)
    assert len(rows) == 4  # two changed paragraphs, tr and ru
    old, new, translated = re.findall(r'<div class="text"[^>]*>(.*?)</div>', rows[1])
    assert "<del>state</del>" in old and "<ins>" not in old
    assert "<ins>government</ins>" in new and "<del>" not in new
    assert "Hiçbir" in translated or "devlet" in translated, translated
    assert page.count('<details class="sides-same">') >= 2  # unchanged ones fold away
    token = csrf(ed, "/posts/energy-security")
    r = ed.post("/posts/energy-security/ack", data={"lang": "ru", "csrf_token": token})
    assert r.status_code == 200 and 'name="confirm" value="yes"' in r.text  # asks first
    assert "stale" in ed.get("/?lang=ru&state=stale").text.split("<tbody>")[1]
    r = ed.post(
        "/posts/energy-security/ack", data={"lang": "ru", "confirm": "yes", "csrf_token": token}
    )
    assert r.status_code == 303
    page = ed.get(r.headers["location"]).text
    assert "current again" in page


def test_editor_assigns_reprioritises_cancels(site: Site) -> None:
    ed = site.login("ed")
    page = ed.get("/tasks?lang=ru").text
    assert "grain-corridor" in page and 'form="assign-2"' in page
    token = csrf(ed, "/tasks")
    r = ed.post(
        "/tasks/2/assign", data={"to": "ivan", "csrf_token": token, "back": "/tasks?lang=ru"}
    )
    assert r.headers["location"] == "/tasks?lang=ru"
    assert "assigned to ivan" in ed.get("/tasks?lang=ru").text
    ed.post("/tasks/2/update", data={"priority": "9", "due": "2027-02-01", "csrf_token": token})
    r = ed.post("/tasks/2/update", data={"priority": "high", "due": "", "csrf_token": token})
    assert "whole number" in ed.get("/tasks?lang=ru").text
    r = ed.post("/tasks/2/cancel", data={"csrf_token": token, "reason": "wait"})
    assert r.status_code == 200 and "Cancel task #2?" in r.text  # a second step, no change
    assert 'name="reason" value="wait"' in r.text
    with transaction(site.settings.database_url) as session:
        assert get_task(session, 2)[0].state == "claimed"
    ed.post("/tasks/2/cancel", data={"csrf_token": token, "confirm": "yes"})
    with transaction(site.settings.database_url) as session:
        task, _ = get_task(session, 2)
        assert (task.assignee, task.priority, str(task.due), task.state) == (
            "ivan",
            9,
            "2027-02-01",
            "cancelled",
        )


def _claim(client: TestClient) -> int:
    r = client.post("/my/claim", data={"lang": "tr", "csrf_token": csrf(client, "/my")})
    assert r.status_code == 303 and r.headers["location"].startswith("/tasks/")
    return int(r.headers["location"].rsplit("/", 1)[1])


def test_translator_editor_problems_progress_submit(site: Site) -> None:
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    page = ayse.get(f"/tasks/{task_id}").text
    sources = re.findall(r'<div class="text" lang="en">(.*?)</div>', page, re.S)
    fields = re.findall(r'name="(t\d+)"', page)
    assert len(fields) == len(sources) > 5
    token = csrf(ayse, f"/tasks/{task_id}")
    tagged = next(i for i, s in enumerate(sources) if "&lt;abbr" in s)
    r = ayse.post(
        f"/tasks/{task_id}/translations",
        data={
            "csrf_token": token,
            "action": "save",
            "t0": "Dijital Kamu Hizmetleri",
            f"t{tagged}": "etiket yok",
        },
    )
    assert r.status_code == 422
    block = r.text.split(f'id="seg-{tagged}"')[1].split(f'id="seg-{tagged + 1}"')[0]
    assert "seg-problems" in block and "abbr" in block
    assert 'value="save"' in r.text and "etiket yok" in r.text  # what was typed is kept
    r = ayse.post(
        f"/tasks/{task_id}/translations",
        data={"csrf_token": token, "action": "save", "t0": "Dijital Kamu Hizmetleri"},
    )
    assert r.status_code == 303
    assert "1 of" in ayse.get(f"/tasks/{task_id}").text
    data = {"csrf_token": token, "action": "submit"}
    for i, src in enumerate(sources):
        # "translated": the source with a word in front (the source itself is refused as
        # untranslated), so every marker, number and link is kept
        data[f"t{i}"] = "Çeviri: " + html.unescape(src).strip()
    data["t0"] = "Dijital Kamu Hizmetleri"
    r = ayse.post(f"/tasks/{task_id}/translations", data=data)
    assert r.status_code == 303 and r.headers["location"] == "/my", r.text[:3000]
    assert "is done" in ayse.get("/my").text
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "done"


def test_saving_a_prefilled_update_task_keeps_it(site: Site) -> None:
    """An update task shows the old translation in every field; "save progress" with one
    field edited stores that field and keeps the claim (it does not submit)."""
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    with transaction(site.settings.database_url) as session:
        from sync.queue import list_tasks, update_task

        ((task, _key),) = list_tasks(session, post="energy-security", lang="tr")
        update_task(session, task.id, "ed", priority=10)
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    assert task_id == task.id
    page = ayse.get(f"/tasks/{task_id}").text
    assert "9 of 11 segments translated" in page  # two hold the old text
    fields = dict(re.findall(r'name="(t\d+)"[^>]*>([^<]*)</textarea>', page))
    data = {k: html.unescape(v) for k, v in fields.items()}
    data["t0"] = "Karadeniz'de Enerji Güvenliği (yeni)"
    r = ayse.post(
        f"/tasks/{task_id}/translations",
        data={**data, "csrf_token": csrf(ayse, "/my"), "action": "save"},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/tasks/{task_id}"
    with transaction(site.settings.database_url) as session:
        saved = get_task(session, task_id)[0]
        assert saved.state == "claimed" and saved.progress == {"0": data["t0"]}


def test_po_upload_on_the_task_page(site: Site) -> None:
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    po = polib.pofile(ayse.get(f"/tasks/{task_id}/po").text)
    for entry in po:
        entry.msgstr = entry.msgid
    next(e for e in po if "<abbr" in e.msgid).msgstr = "etiketsiz"
    token = csrf(ayse, f"/tasks/{task_id}")
    r = ayse.post(
        f"/tasks/{task_id}/po",
        data={"csrf_token": token},
        files={"file": ("task.po", str(po).encode())},
    )
    assert r.status_code == 422
    assert "The file was refused" in r.text and "abbr" in r.text
    r = ayse.post(
        f"/tasks/{task_id}/po",
        data={"csrf_token": token},
        files={"file": ("task.po", b"\x00\x01binary")},
    )
    assert r.status_code == 422 and "nothing was applied" in r.text.lower() or "PO" in r.text


def test_page_upload_over_the_limit(pristine: Pristine, fast_hashes: None) -> None:
    site = pristine.restore(max_upload_bytes=1000)
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    r = ayse.post(
        f"/tasks/{task_id}/po",
        data={"csrf_token": csrf(ayse, "/my")},
        files={"file": ("task.po", b"#" * 200_000)},
    )
    assert r.status_code == 413 and "TRANSYNC_MAX_UPLOAD_BYTES" in r.text
    assert "<html" in r.text


def test_review_page(review_site: Site) -> None:
    site = review_site
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    md = "---\ntitle: <b>Dijital</b>\n---\n\nMetin <script>x()</script>.\n"
    site.api("ayse").post(f"/api/v1/tasks/{task_id}/submit", files={"file": ("t.md", md)})
    ed = site.login("ed")
    page = ed.get("/review").text
    assert f'id="review-{task_id}"' in page and "Dijital" not in page  # a list, not bodies
    assert re.search(r'Turkish <span class="count">1</span>', page)
    page = ed.get(f"/tasks/{task_id}").text  # the review screen
    assert "&lt;script&gt;x()" in page and "<script>x()" not in page
    assert f'action="/review/{task_id}/approve"' in page and 'name="reason"' in page
    token = csrf(ed, "/review")
    r = ed.post(f"/review/{task_id}/reject", data={"csrf_token": token, "reason": ""})
    assert r.headers["location"] == f"/tasks/{task_id}#decision"
    assert "give a reason" in ed.get(f"/tasks/{task_id}").text
    shown = shown_submission(page)  # the review page's decisions name what it shows
    ed.post(
        f"/review/{task_id}/reject",
        data={"csrf_token": token, "reason": "Başlık?", "submission_digest": shown},
    )
    assert "Başlık?" in ayse.get("/my").text
    site.api("ayse").post(f"/api/v1/tasks/{task_id}/submit", files={"file": ("t.md", md)})
    shown = shown_submission(ed.get(f"/tasks/{task_id}").text)
    r = ed.post(
        f"/review/{task_id}/approve", data={"csrf_token": token, "submission_digest": shown}
    )
    assert r.status_code == 303
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "done"


def test_release_and_renew_from_the_page(site: Site) -> None:
    ayse = site.login("ayse")
    task_id = _claim(ayse)
    token = csrf(ayse, f"/tasks/{task_id}")
    assert ayse.post(f"/tasks/{task_id}/renew", data={"csrf_token": token}).status_code == 303
    assert "Lease renewed" in ayse.get(f"/tasks/{task_id}").text
    r = ayse.post(f"/tasks/{task_id}/release", data={"csrf_token": token})
    assert r.status_code == 200 and f"Give task #{task_id} back" in r.text  # asks first
    r = ayse.post(f"/tasks/{task_id}/release", data={"csrf_token": token, "confirm": "yes"})
    assert r.headers["location"] == "/my"
    assert "back in the queue" in ayse.get("/my").text
    r = ayse.post("/my/claim", data={"lang": "ru", "csrf_token": token})
    assert "does not translate into ru" in ayse.get("/my").text


def test_account_token_password_and_users(site: Site) -> None:
    ayse = site.login("ayse")
    token = csrf(ayse, "/account")
    page = ayse.post("/account/token", data={"csrf_token": token}).text
    new = re.search(r"ts_[0-9a-f]{12}_[A-Za-z0-9_-]+", page).group(0)
    assert (
        site.client(headers={"Authorization": f"Bearer {new}"}).get("/api/v1/me").status_code == 200
    )
    assert new not in ayse.get("/account").text  # shown once
    r = ayse.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "bad",
            "new": "new password 1",
            "again": "new password 1",
        },
    )
    assert "current password is wrong" in r.text
    r = ayse.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORD,
            "new": "new password 1",
            "again": "new password 1",
        },
    )
    assert r.status_code == 303 and ayse.get("/my").status_code == 200
    root = site.login("root")
    rtoken = csrf(root, "/users")
    root.post(
        "/users",
        data={
            "csrf_token": rtoken,
            "name": "zeynep",
            "role": "translator",
            "langs": ["tr", "ru"],
            "password": "long enough 1",
        },
    )
    assert "zeynep" in root.get("/users").text
    site.login("zeynep", "long enough 1")
    root.post("/users/ayse/deactivate", data={"csrf_token": rtoken})
    assert ayse.get("/my").status_code == 303  # her session ended


def test_ui_language(site: Site) -> None:
    client = site.client()
    assert "Giriş yap" in client.get("/login", headers={"Accept-Language": "tr-TR,tr;q=0.9"}).text
    page = client.get("/login", headers={"Accept-Language": "ru;q=0.9, en;q=0.5"}).text
    assert "Войти" in page and '<html lang="ru">' in page
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "de"}).text
    ed = site.login("ed")
    r = ed.post("/ui-lang", data={"lang": "tr", "next": "/tasks", "csrf_token": csrf(ed, "/")})
    assert r.headers["location"] == "/tasks"
    page = ed.get("/", headers={"Accept-Language": "ru"}).text
    assert '<html lang="tr">' in page and "Durum" in page  # the user's choice wins
    fresh = site.login("ed")
    assert '<html lang="tr">' in fresh.get("/").text  # kept on the account
