"""The browser editor never throws away work: text saved another way meanwhile (the API, a
PO upload, a second tab) survives a stale page's save, and what was typed is given back
when the task was lost meanwhile (lease expired, reassigned, cancelled)."""

from __future__ import annotations

import datetime as dt
import html
import re

from fastapi.testclient import TestClient

from sync.db.models import utcnow
from sync.db.session import transaction
from sync.queue import assign, cancel, expire, get_task
from tests.web.site import Site, csrf


def claim_ru(site: Site) -> tuple[TestClient, int, dict[str, str], list[str]]:
    """ivan claims a Russian task and opens it: his client, the task, the form as the page
    shows it (fields and hidden ones) and the sources."""
    ivan = site.login("ivan")
    r = ivan.post("/my/claim", data={"lang": "ru", "csrf_token": csrf(ivan, "/my")})
    task_id = int(r.headers["location"].rsplit("/", 1)[1])
    page = ivan.get(f"/tasks/{task_id}").text
    sources = [
        html.unescape(s).strip()
        for s in re.findall(r'<div class="text" lang="en">(.*?)</div>', page, re.S)
    ]
    form = {
        k: html.unescape(v) for k, v in re.findall(r'name="(t\d+)"[^>]*>([^<]*)</textarea>', page)
    }
    form.update(re.findall(r'<input type="hidden" name="(h\d+)" value="([^"]*)"', page))
    form["csrf_token"] = csrf(ivan, f"/tasks/{task_id}")
    return ivan, task_id, form, sources


def ru(source: str) -> str:
    """A "translation" the checks take: the source with a word in front."""
    return "Перевод: " + source


def progress(site: Site, task_id: int) -> dict[str, str]:
    with transaction(site.settings.database_url) as session:
        return dict(get_task(session, task_id)[0].progress or {})


def test_a_stale_page_keeps_what_was_saved_meanwhile(site: Site) -> None:
    ivan, task_id, form, sources = claim_ru(site)
    assert form["t0"] == form["t3"] == "" and "h0" in form
    r = site.api("ivan").post(
        f"/api/v1/tasks/{task_id}/translations",
        json={"translations": {"0": ru(sources[0]), "3": ru(sources[3])}, "partial": True},
    )
    assert r.status_code == 200, r.text
    r = ivan.post(
        f"/tasks/{task_id}/translations", data={**form, "t5": ru(sources[5]), "action": "save"}
    )
    assert r.status_code == 303, r.text[:2000]
    assert progress(site, task_id) == {
        "0": ru(sources[0]),
        "3": ru(sources[3]),
        "5": ru(sources[5]),
    }
    # a field the page showed filled and the translator emptied is a deliberate clear
    page = ivan.get(f"/tasks/{task_id}").text
    hidden = dict(re.findall(r'<input type="hidden" name="(h\d+)" value="([^"]*)"', page))
    fields = {
        k: html.unescape(v) for k, v in re.findall(r'name="(t\d+)"[^>]*>([^<]*)</textarea>', page)
    }
    assert fields["t3"] == ru(sources[3])
    r = ivan.post(
        f"/tasks/{task_id}/translations",
        data={**fields, **hidden, "t3": "", "csrf_token": form["csrf_token"], "action": "save"},
    )
    assert r.status_code == 303
    assert set(progress(site, task_id)) == {"0", "5"}


def test_a_stale_page_submits_with_what_was_saved_meanwhile(site: Site) -> None:
    ivan, task_id, form, sources = claim_ru(site)
    site.api("ivan").post(
        f"/api/v1/tasks/{task_id}/translations",
        json={"translations": {"0": ru(sources[0]), "3": ru(sources[3])}, "partial": True},
    )
    typed = {f"t{i}": ru(s) for i, s in enumerate(sources) if i not in (0, 3)}
    r = ivan.post(f"/tasks/{task_id}/translations", data={**form, **typed, "action": "submit"})
    assert r.status_code == 303 and r.headers["location"] == "/my", r.text[:3000]
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "done"


def test_a_lost_lease_gives_the_typed_text_back(site: Site) -> None:
    """The lease ran out and `transync expire` ran: the task is queued, not ivan's, so he may
    not see its page; Save answers with his text and what to do, not a flash and a 403."""
    ivan, task_id, form, sources = claim_ru(site)
    with transaction(site.settings.database_url) as session:
        assert expire(session, now=utcnow() + dt.timedelta(days=30)) == [task_id]
    typed = {"t2": "Мой текст, набранный долго", "t5": ru(sources[5])}
    r = ivan.post(f"/tasks/{task_id}/translations", data={**form, **typed, "action": "save"})
    assert r.status_code == 409
    page = html.unescape(r.text)
    assert "Мой текст, набранный долго" in page and ru(sources[5]) in page
    assert "not saved" in page and "submitted" not in page
    assert "back to the queue" in page and "claim a task in Russian again" in page
    r = ivan.post(f"/tasks/{task_id}/translations", data={**form, **typed, "action": "submit"})
    assert r.status_code == 409 and "not submitted" in r.text
    assert "Мой текст, набранный долго" in html.unescape(r.text)


def test_a_cancelled_task_gives_the_typed_text_back(site: Site) -> None:
    ivan, task_id, form, _sources = claim_ru(site)
    with transaction(site.settings.database_url) as session:
        cancel(session, task_id, "ed", "not needed")
    typed = {"t1": "Набранный текст"}
    r = ivan.post(f"/tasks/{task_id}/translations", data={**form, **typed, "action": "save"})
    assert r.status_code == 409  # still his to see: the task page, with his text on it
    assert "Набранный текст" in r.text and "cancelled" in r.text and "not saved" in r.text
    with transaction(site.settings.database_url) as session:
        assert not get_task(session, task_id)[0].progress  # nothing was saved


def test_a_reassigned_task_gives_the_typed_text_back(site: Site) -> None:
    ivan, task_id, form, _sources = claim_ru(site)
    typed = {"t1": "Набранный текст"}
    with transaction(site.settings.database_url) as session:
        assign(session, site.settings, task_id, "ed", "root")
    r = ivan.post(f"/tasks/{task_id}/translations", data={**form, **typed, "action": "save"})
    assert r.status_code == 409 and "Набранный текст" in r.text and "root" in r.text
