"""The web dashboard in a real headless Chromium: login and logout, the matrix filters, an
editor assigning, a translator claiming, translating and submitting, a refused PO upload,
a refused editor page, and a post full of markup that must render as text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
import pytest

from sync.db.session import transaction
from sync.memory import prefill
from sync.pofiles import task_po
from sync.queue import get_task, list_tasks, update_task
from sync.scanning import run_scan
from tests.browser.conftest import SHOTS, Live, login
from tests.web.site import XSS_TITLE, add_xss_post, change_energy_source

pytestmark = pytest.mark.browser


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def matrix_keys(page: Any) -> list[str]:
    return page.locator("table.matrix tbody th .key").all_inner_texts()


def test_login_and_logout(page: Any) -> None:
    page.goto("/")
    assert page.url.endswith("/login?next=/")
    page.get_by_label("Name").fill("ed")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong name or password."
    login(page, "ed")
    assert page.get_by_role("heading", name="Status").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.goto("/tasks")
    assert "/login?next=/tasks" in page.url


def test_filtering_the_matrix(page: Any, live: Live) -> None:
    change_energy_source(live.site.content)
    run_scan(live.site.settings, [f"fs:{live.site.content}"])
    login(page, "ed")
    assert len(matrix_keys(page)) == 7
    assert page.locator("td.cell.st-stale").count() == 2
    assert page.locator("td.cell.st-missing").count() == 2
    shot(page, "matrix.png")
    page.locator("#filters").get_by_label("stale").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/?*state=stale*")
    assert matrix_keys(page) == ["energy-security"]
    page.locator("#filters").get_by_label("stale").uncheck()
    page.locator("#filters").get_by_label("missing").check()
    page.locator("#filters").get_by_label("ru", exact=True).check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/?*lang=ru*")
    assert matrix_keys(page) == ["grain-corridor"]
    assert page.locator("table.matrix thead th.lang-col").all_inner_texts() == ["RU"]
    page.get_by_placeholder("key or title").fill("nothing like this")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.get_by_text("No post matches these filters.").is_visible()


def test_editor_assigns_a_task(page: Any, live: Live) -> None:
    login(page, "ed")
    page.get_by_role("link", name="Tasks", exact=True).click()
    page.get_by_role("link", name="Russian").click()
    page.get_by_label("Assign task #2 to").select_option("ivan")
    page.locator("#task-2").get_by_role("button", name="Assign").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "Task #2 assigned to ivan."
    assert page.locator("#task-2 .badge").inner_text() == "in progress"
    with transaction(live.site.settings.database_url) as session:
        task, _ = get_task(session, 2)
        assert (task.state, task.assignee) == ("claimed", "ivan")


def test_translator_claims_translates_and_submits(page: Any, live: Live) -> None:
    settings = live.site.settings
    change_energy_source(live.site.content)
    run_scan(settings, [f"fs:{live.site.content}"])
    with transaction(settings.database_url) as session:
        ((task, _key),) = list_tasks(session, post="energy-security", lang="tr")
        update_task(session, task.id, "ed", priority=10)  # the next one to claim
        task_id = task.id
        prefill(session, settings, [task_id])  # translation-memory suggestions
    login(page, "ayse")
    assert page.url.endswith("/my")
    page.get_by_role("button", name="Claim next in Turkish").click()
    page.wait_for_url(f"**/tasks/{task_id}")
    changed = page.locator(".seg.ch-changed")
    assert changed.count() == 2
    assert "by far" in changed.nth(0).locator("ins").first.inner_text()
    first = (
        "Açık deniz gazı, açık ara, bölgenin en büyük yeni varlığı. "
        + changed.nth(0).locator("textarea").input_value().split(". ", 1)[1]
    )
    changed.nth(0).locator("textarea").fill(first)
    second = (
        changed.nth(1).locator("textarea").input_value().replace("Hiçbir devlet", "Hiçbir hükümet")
    )
    changed.nth(1).locator("textarea").fill(second)
    page.set_viewport_size({"width": 1360, "height": 1600})
    page.evaluate("window.scrollTo(0, 0)")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "task-editor.png"))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url("**/my")
    assert "is done" in page.get_by_role("status").first.inner_text()
    with transaction(settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "done"
    text = (live.site.content / "tr/posts/energy-security.md").read_text(encoding="utf-8")
    assert "açık ara" in text and "Hiçbir hükümet" in text
    page.goto("/")
    row = page.locator("table.matrix tbody tr", has_text="energy-security")
    assert "current" in row.locator("td.cell").nth(1).inner_text()


def test_po_upload_fails_a_check_and_shows_it(page: Any, live: Live, tmp_path: Path) -> None:
    login(page, "ayse")
    page.get_by_role("button", name="Claim next in Turkish").click()
    page.wait_for_url("**/tasks/*")
    task_id = int(page.url.rsplit("/", 1)[1])
    with transaction(live.site.settings.database_url) as session:
        po = polib.pofile(task_po(session, live.site.settings, task_id).decode())
    for entry in po:
        entry.msgstr = entry.msgid
    next(e for e in po if "<abbr" in e.msgid).msgstr = "AB etiketi unutuldu"
    path = tmp_path / "task.po"
    po.save(str(path))
    page.locator("#po input[type=file]").set_input_files(str(path))
    page.locator("#po").get_by_role("button", name="Upload").click()
    page.wait_for_load_state()
    alert = page.locator("#po [role=alert]")
    assert "The file was refused; nothing was applied." in alert.inner_text()
    assert "abbr" in alert.inner_text() and "line" in alert.inner_text()
    with transaction(live.site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "claimed"


def test_translator_is_refused_an_editor_page(page: Any) -> None:
    login(page, "ayse")
    assert page.get_by_role("link", name="Tasks", exact=True).count() == 0
    response = page.goto("/tasks?lang=tr")
    assert response.status == 403
    assert page.get_by_role("heading", name="You may not do this").is_visible()
    assert "Traceback" not in page.content()
    response = page.goto("/review")
    assert response.status == 403


def test_markup_in_a_post_renders_as_text(page: Any, live: Live) -> None:
    add_xss_post(live.site.content)
    run_scan(live.site.settings, [f"fs:{live.site.content}"])
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    login(page, "ed")
    for path in ("/", "/posts/tricky", "/tasks?lang=tr"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.get_by_text(XSS_TITLE, exact=False).first.is_visible(), path
        assert page.evaluate("window.__pwned") is None, path
        assert page.locator("img").count() == 0, path
        assert page.locator("a[href^='javascript:']").count() == 0, path
    with transaction(live.site.settings.database_url) as session:
        ((task, _),) = list_tasks(session, post="tricky", lang="tr")
        from sync.queue import assign

        assign(session, live.site.settings, task.id, "ed", "ayse")
    page.get_by_role("button", name="Log out").click()
    login(page, "ayse")
    page.goto(f"/tasks/{task.id}")
    assert page.get_by_text("window.__pwned = 1; alert('body')", exact=False).first.is_visible()
    assert page.get_by_text("[javascript link](javascript:alert(3))").first.is_visible()
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
