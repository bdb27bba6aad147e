"""The editor's desk in headless Chromium: the review screen, the stale post page side by
side, sorting the matrix, the second step of cancel / acknowledge / give back (with and
without JavaScript), and the matrix at phone width. Screenshots go to test-output/."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from sync.db.session import transaction
from sync.queue import claim, get_task, list_tasks
from sync.scanning import run_scan
from tests.browser.conftest import Live, login
from tests.browser.test_dashboard import matrix_keys, shot
from tests.web.site import change_energy_source
from tests.web.test_desk import submit_update

pytestmark = pytest.mark.browser


def stale_site(live: Live) -> None:
    change_energy_source(live.site.content)
    run_scan(live.site.settings, [f"fs:{live.site.content}"])


def console_errors(page: Any) -> list[str]:
    """Console errors from here on (a script or style the CSP refused would be one)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def test_review_screen(page: Any, live: Live) -> None:
    site = live.reset(review=True)
    task_id = submit_update(site)
    errors = console_errors(page)
    login(page, "ed")
    page.get_by_role("link", name="Review", exact=True).click()
    tabs = page.locator("nav.tabs a")
    assert tabs.all_inner_texts() == ["All languages 1", "English 0", "Turkish 1", "Russian 0"]
    page.locator(f"#review-{task_id}").get_by_role("link", name="Review").click()
    page.wait_for_url(f"**/tasks/{task_id}#review")
    changed = page.locator(".rv-seg.ch-changed")
    assert changed.count() == 2
    first = changed.nth(0)
    assert first.locator(".now ins").inner_text() == ", by far,"
    assert first.locator(".rv-sub ins").inner_text() == ", açık ara"
    assert "Açık deniz gazı, bölgenin" in first.locator(".rv-prev").inner_text()
    second = changed.nth(1)
    assert second.locator(".was del").inner_text() == "state"
    assert second.locator(".now ins").inner_text() == "government"
    assert second.locator(".rv-prev del").inner_text() == "devlet"
    assert second.locator(".rv-sub ins").inner_text() == "hükümet"
    folded = page.locator("details.rv-same").first
    assert not folded.locator(".rv-seg").first.is_visible()
    page.set_viewport_size({"width": 1360, "height": 1300})
    shot(page, "review-screen.png")
    folded.locator("summary").click()
    assert folded.locator(".rv-seg").first.is_visible()
    # a reason is required: the browser does not send the form without one
    decision = page.locator("#decision")
    decision.get_by_role("button", name="Send back").click()
    assert page.url.endswith(f"/tasks/{task_id}#review")
    assert decision.locator("textarea:invalid").count() == 1
    decision.get_by_label("Reason").fill("Başlığı da güncelleyin.")
    decision.get_by_role("button", name="Send back").click()
    page.wait_for_url("**/review?lang=tr")
    assert "sent back" in page.get_by_role("status").first.inner_text()
    assert page.get_by_text("Nothing waits for review.").is_visible()
    with transaction(site.settings.database_url) as session:
        task, _ = get_task(session, task_id)
        assert (task.state, task.reject_reason) == ("claimed", "Başlığı da güncelleyin.")
        from sync.pofiles import submit_segments

        submit_segments(session, site.settings, task_id, "ayse", {}, partial=False)
    page.goto(f"/tasks/{task_id}")
    page.locator("#decision").get_by_role("button", name="Approve and write back").click()
    page.wait_for_url("**/review?lang=tr")
    assert "approved" in page.get_by_role("status").first.inner_text()
    text = (site.content / "tr/posts/energy-security.md").read_text(encoding="utf-8")
    assert "açık ara" in text and "Hiçbir hükümet" in text
    assert errors == []


def test_post_page_side_by_side(page: Any, live: Live) -> None:
    stale_site(live)
    errors = console_errors(page)
    login(page, "ed")
    page.goto("/posts/energy-security")
    tr = page.locator("section.translation", has=page.get_by_role("heading", name="Turkish"))
    heads = tr.locator(".sides-head [role=columnheader]").all_inner_texts()
    assert [h.split(" · ")[0] for h in heads] == ["OLD SOURCE", "NEW SOURCE", "CURRENT TRANSLATION"]
    rows = tr.locator(".side-row.op-changed")
    assert rows.count() == 2
    cells = rows.nth(1).locator(".side-cell .text")
    assert cells.nth(0).locator("del").inner_text() == "state"
    assert cells.nth(1).locator("ins").inner_text() == "government"
    assert cells.nth(2).inner_text().startswith("Hiçbir devlet")
    columns = rows.nth(1).locator(".side-cell")
    boxes = [columns.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # three columns, one row
    assert abs(boxes[0]["y"] - boxes[2]["y"]) < 2
    same = tr.locator("details.sides-same").first
    assert not same.locator(".side-row").first.is_visible()
    same.locator("summary").click()
    assert same.locator(".side-row").first.is_visible()
    # revision cards: the whole hash, inside its card
    for card in page.locator(".revisions .card").all():
        code = card.locator("td.hash code").first
        assert re.fullmatch(r"[0-9a-f]{64}", code.inner_text().replace("\n", ""))
        assert card.evaluate("c => c.scrollWidth <= c.clientWidth")
    history = page.locator("table.history")
    assert "new revision" in history.inner_text()
    assert "based_on_revision" not in history.inner_text()
    shot(page, "post-side-by-side.png")
    assert errors == []


def test_sorting_the_matrix_and_live_ages(
    page: Any, live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.web import render

    stale_site(live)
    login(page, "ed")
    keys = matrix_keys(page)
    assert keys == sorted(keys)
    page.locator("thead .sorts").get_by_role("link", name="stale age").click()
    page.wait_for_url("**/?sort=stale")
    assert matrix_keys(page)[0] == "energy-security"
    page.locator("thead .sorts").get_by_role("link", name="title").click()
    page.wait_for_url("**/?sort=title")
    titles = page.locator("table.matrix tbody th .title").all_inner_texts()
    assert titles == sorted(titles, key=str.casefold)
    page.locator("thead .sorts").get_by_role("link", name=re.compile("^title")).click()
    page.wait_for_url("**/?sort=-title")
    assert page.locator("table.matrix tbody th .title").all_inner_texts() == titles[::-1]
    shot(page, "matrix-sorted.png")
    # the order stays while filtering
    page.locator("#filters").get_by_label("stale").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/?*state=stale*sort=-title*")
    # ages are counted when the page is asked for, not when the table was made
    page.goto("/?sort=stale")
    ages = page.locator("td.cell time.since").all_inner_texts()
    assert len(ages) == 2 and all("second" in a or "minute" in a for a in ages), ages
    real = render.now()
    monkeypatch.setattr(render, "now", lambda: real + dt.timedelta(days=2, hours=2))
    page.reload()
    assert page.locator("td.cell time.since").all_inner_texts() == ["for 2 days", "for 2 days"]
    # a task badge is a link to its task
    badge = page.locator("tr", has_text="energy-security").locator("a.task-flag").first
    badge.click()
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text().startswith("Energy Security")


def test_confirmations(page: Any, live: Live) -> None:
    stale_site(live)
    settings = live.site.settings
    login(page, "ed")
    # cancel: the first click asks, the second acts
    page.goto("/tasks?lang=ru")
    with transaction(settings.database_url) as session:
        ((task, _),) = list_tasks(session, post="grain-corridor", lang="ru")
    row = page.locator(f"#task-{task.id}")
    row.locator("summary", has_text="Cancel task").click()
    box = row.locator("details.confirm .confirm-box")
    assert box.is_visible() and f"Cancel task #{task.id}?" in box.inner_text()
    assert box.get_by_label("Reason (optional)").evaluate("e => e === document.activeElement")
    shot(page, "confirm-cancel.png")
    with transaction(settings.database_url) as session:
        assert get_task(session, task.id)[0].state == "queued"
    box.get_by_label("Reason (optional)").fill("not needed in Russian")
    box.get_by_role("button", name=f"Yes, cancel task #{task.id}").click()
    page.wait_for_url("**/tasks?lang=ru")
    assert f"Task #{task.id} cancelled." in page.get_by_role("status").first.inner_text()
    with transaction(settings.database_url) as session:
        assert get_task(session, task.id)[0].state == "cancelled"
    # acknowledge
    page.goto("/posts/energy-security")
    ru = page.locator("section.translation", has=page.get_by_role("heading", name="Russian"))
    ru.locator("summary", has_text="Acknowledge as a minor change").click()
    question = ru.locator(".confirm-box")
    assert "Acknowledge the source change as minor?" in question.inner_text()
    assert ru.locator(".pill").inner_text() == "stale"
    question.get_by_role("button", name="Yes, acknowledge").click()
    page.wait_for_load_state()
    assert "current again" in page.get_by_role("status").first.inner_text()
    assert ru.locator(".pill").inner_text() == "current"
    # give back, as the translator
    with transaction(settings.database_url) as session:
        got = claim(session, settings, "ayse", "tr")
        assert got is not None
        mine = got[0].id
    page.get_by_role("button", name="Log out").click()
    login(page, "ayse")
    page.goto(f"/tasks/{mine}")
    page.locator("#give-back summary").click()
    page.locator("#give-back").get_by_role("button", name="Yes, give it back").click()
    page.wait_for_url("**/my")
    assert "back in the queue" in page.get_by_role("status").first.inner_text()
    with transaction(settings.database_url) as session:
        assert get_task(session, mine)[0].state == "queued"


def test_confirmations_without_javascript(browser: Any, live: Live) -> None:
    context = browser.new_context(
        base_url=live.base_url,
        java_script_enabled=False,
        viewport={"width": 1360, "height": 900},
        locale="en-US",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, "ed")
        page.goto("/tasks?lang=ru")
        row = page.locator("#task-2")
        row.locator("summary", has_text="Cancel task").click()
        row.get_by_role("button", name="Yes, cancel task #2").click()
        page.wait_for_url("**/tasks?lang=ru")
        with transaction(live.site.settings.database_url) as session:
            assert get_task(session, 2)[0].state == "cancelled"
    finally:
        context.close()


def test_matrix_at_phone_width(browser: Any, live: Live) -> None:
    stale_site(live)
    context = browser.new_context(
        base_url=live.base_url,
        locale="en-US",
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        viewport={"width": 390, "height": 844},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, "ed")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no page scroll
        wrap = page.locator(".table-wrap").first
        first_title = page.locator("table.matrix tbody th.post-col").first
        start = first_title.bounding_box()
        assert start["x"] >= 0 and start["x"] + start["width"] <= 390
        shot(page, "matrix-phone.png")
        wrap.evaluate("w => { w.scrollLeft = w.scrollWidth; }")
        page.wait_for_timeout(100)
        # the post column stays where it was; every language column can be scrolled to,
        # beside it and inside the screen
        after = first_title.bounding_box()
        assert abs(after["x"] - start["x"]) < 1
        edge = start["x"] + start["width"]
        headers = page.locator("table.matrix thead th.lang-col")
        assert headers.count() == 3
        for i in range(headers.count()):
            wrap.evaluate(
                """(w, i) => {
                const th = w.querySelectorAll("thead th.lang-col")[i].getBoundingClientRect();
                const post = w.querySelector("thead th.post-col").getBoundingClientRect();
                w.scrollLeft += th.left - post.right;
            }""",
                i,
            )
            page.wait_for_timeout(50)
            box = headers.nth(i).bounding_box()
            assert box["x"] >= edge - 1 and box["x"] + box["width"] <= 391, (i, box)
            assert first_title.bounding_box()["x"] == after["x"]
        shot(page, "matrix-phone-scrolled.png")
    finally:
        context.close()
