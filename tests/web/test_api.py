"""The JSON API on a real SQLite database: the CLI's shapes, the task lifecycle, PO round
trips, errors as {"detail": …}, and no secrets in any answer."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest
from sqlalchemy import select

from sync.db.models import Task, User
from sync.db.session import transaction
from sync.queue import assign
from sync.scanning import run_scan
from sync.status import Filters, load_rows, status_document
from tests.web.site import Pristine, Site, change_energy_source, submit_update_as

TASK_KEYS = {
    "id",
    "post",
    "lang",
    "state",
    "kind",
    "source_revision",
    "assignee",
    "lease_expires_at",
    "priority",
    "due",
    "source_changed",
    "created_at",
    "words",
}


def cli_status(site: Site, **kw: object) -> dict:
    settings = site.settings
    with transaction(settings.database_url) as session:
        return status_document(load_rows(session, settings), settings, **kw)  # type: ignore[arg-type]


def test_status_is_the_cli_document(site: Site) -> None:
    api = site.api("ayse")
    assert api.get("/api/v1/status").json() == cli_status(site)
    paged = api.get("/api/v1/status", params={"page": 2, "per_page": 3}).json()
    assert paged == cli_status(site, page=2, per_page=3)
    assert paged["page"] == 2 and paged["per_page"] == 3 and paged["total"] == 7
    assert len(paged["posts"]) == 3


def test_status_filters(site: Site) -> None:
    api = site.api("ed")
    doc = api.get("/api/v1/status", params={"state": "missing", "lang": "tr,ru"}).json()
    expected = cli_status(site, filters=Filters(langs=("tr", "ru"), states=("missing",)))
    assert doc == expected
    assert {p["key"] for p in doc["posts"]} == {"digital-public-services", "grain-corridor"}
    assert all(set(p["versions"]) == {"tr", "ru"} for p in doc["posts"])
    doc = api.get("/api/v1/status", params={"text": "GRAIN"}).json()
    assert [p["key"] for p in doc["posts"]] == ["grain-corridor"]
    summary = api.get("/api/v1/status/summary").json()
    assert summary == {
        "languages": ["en", "tr", "ru"],
        "summary": cli_status(site)["summary"],
        "total": 7,
    }


def test_bad_filters_are_422_with_detail(site: Site) -> None:
    api = site.api("ed")
    r = api.get("/api/v1/status", params={"lang": "xx"})
    assert r.status_code == 422 and "xx" in r.json()["detail"]
    r = api.get("/api/v1/status", params={"state": "fresh"})
    assert r.status_code == 422 and "fresh" in r.json()["detail"]
    r = api.get("/api/v1/status", params={"page": 0})
    assert r.status_code == 422
    body = r.json()  # a malformed request has the one error shape too, field by field
    assert body["status"] == 422 and body["error"] == "invalid"
    assert "query.page" in body["detail"] and body["problem_count"] == 1
    assert body["problems"] == ["query.page: Input should be greater than or equal to 1"]
    assert body["fields"][0]["loc"] == ["query", "page"]


def test_no_token_bad_token_unknown_things(site: Site) -> None:
    r = site.api(None).get("/api/v1/status")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "token" in r.json()["detail"]
    bad = site.client(headers={"Authorization": "Bearer ts_000000000000_" + "x" * 32})
    assert bad.get("/api/v1/status").status_code == 401
    api = site.api("ed")
    r = api.get("/api/v1/posts/no-such-post")
    assert r.status_code == 404 and "no-such-post" in r.json()["detail"]
    assert api.get("/api/v1/tasks/999").status_code == 404
    r = api.post(
        "/api/v1/tasks/claim", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422 and "detail" in r.json()
    assert api.post("/api/v1/tasks/claim", json={}).status_code == 422


def test_claim_release_renew(site: Site) -> None:
    ayse = site.api("ayse")
    r = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"})
    assert r.status_code == 200
    task = r.json()
    assert set(task) == TASK_KEYS
    assert task["post"] == "digital-public-services" and task["state"] == "claimed"
    assert task["assignee"] == "ayse" and task["lease_expires_at"].endswith("Z")
    assert ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).status_code == 204
    listing = ayse.get("/api/v1/tasks").json()
    assert listing == {"tasks": [{**task, "at_risk": None}]}  # lists judge due dates
    renewed = ayse.post(f"/api/v1/tasks/{task['id']}/renew", json={"lease": "2h"}).json()
    assert renewed["lease_expires_at"] < task["lease_expires_at"]
    # someone else's claim: refused, with the reason
    r = site.api("ivan").post(f"/api/v1/tasks/{task['id']}/release")
    assert r.status_code == 403 and "ayse" in r.json()["detail"]
    released = ayse.post(f"/api/v1/tasks/{task['id']}/release").json()
    assert released["state"] == "queued" and released["assignee"] is None
    r = ayse.post(f"/api/v1/tasks/{task['id']}/release")
    assert r.status_code == 409


def test_translators_see_only_their_tasks(site: Site) -> None:
    site.api("ayse").post("/api/v1/tasks/claim", json={"lang": "tr"})
    assert site.api("ivan").get("/api/v1/tasks").json() == {"tasks": []}
    assert site.api("ivan").get("/api/v1/tasks", params={"assignee": "ayse"}).status_code == 403
    everything = site.api("ed").get("/api/v1/tasks").json()["tasks"]
    assert len(everything) == 2
    assert (
        site.api("ed")
        .get("/api/v1/tasks", params={"state": "claimed"})
        .json()["tasks"][0]["assignee"]
        == "ayse"
    )


def test_task_detail_is_the_cli_object(site: Site) -> None:
    from sync.taskview import task_detail

    r = site.api("ed").get("/api/v1/tasks/1")
    with transaction(site.settings.database_url) as session:
        assert r.json() == json.loads(json.dumps(task_detail(session, site.settings, 1)))
    assert r.json()["segments"][0]["kind"] == "title"


def test_markdown_submission_writes_back(site: Site) -> None:
    ayse = site.api("ayse")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    text = "---\ntitle: Dijital Kamu Hizmetleri\n---\n\nVatandaşlar için ne işe yarıyor.\n"
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/submit",
        files={"file": ("digital.tr.md", text.encode(), "text/markdown")},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "task": task["id"],
        "state": "done",
        "applied": True,
        "translation": "current",
    }
    written = site.content / "tr/posts/digital-public-services.md"
    assert "Dijital Kamu Hizmetleri" in written.read_text(encoding="utf-8")
    doc = site.api("ed").get("/api/v1/posts/digital-public-services").json()
    assert doc["versions"]["tr"]["state"] == "current"
    assert doc["tasks"][0]["state"] == "done"


def test_refused_markdown_lists_problems(site: Site) -> None:
    ayse = site.api("ayse")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/submit",
        files={"file": ("x.ru.md", b"---\nlang: ru\n---\n\n", "text/markdown")},
    )
    assert r.status_code == 422
    body = r.json()
    assert "nothing was applied" in body["detail"]
    assert len(body["problems"]) >= 3


def test_po_round_trip_with_a_failing_check(site: Site) -> None:
    ayse = site.api("ayse")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    r = ayse.get(f"/api/v1/tasks/{task['id']}/po")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/x-gettext-translation")
    assert "attachment" in r.headers["content-disposition"]
    po = polib.pofile(r.text)
    assert po.metadata["X-Transync-Task"] == str(task["id"])
    for entry in po:
        entry.msgstr = "Çeviri: " + entry.msgid
    bad = next(e for e in po if "<abbr" in e.msgid)
    bad.msgstr = "HTML etiketi kayboldu"
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/po",
        files={"file": ("task.po", str(po).encode(), "text/x-gettext-translation")},
    )
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert any("line" in p and "abbr" in p for p in problems), problems
    # fixed: accepted and written back
    bad.msgstr = "Çeviri: " + bad.msgid
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/po",
        files={"file": ("task.po", str(po).encode(), "text/x-gettext-translation")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "done"


def test_segment_translations_partial_then_problem(site: Site) -> None:
    ayse = site.api("ayse")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/translations",
        json={"translations": {"0": "Dijital Kamu Hizmetleri"}, "partial": True},
    )
    assert r.status_code == 200 and r.json()["state"] == "claimed"
    detail = ayse.get(f"/api/v1/tasks/{task['id']}").json()
    assert detail["segments"][0]["translation"] == "Dijital Kamu Hizmetleri"
    tagged = next(s for s in detail["segments"] if "<abbr" in s["source"])
    r = ayse.post(
        f"/api/v1/tasks/{task['id']}/translations",
        json={"translations": {str(tagged["position"]): "etiketsiz"}, "partial": True},
    )
    assert r.status_code == 422
    assert all(p.startswith(f"segment {tagged['position']}:") for p in r.json()["problems"])


def test_review_approve_and_reject(review_site: Site) -> None:
    site = review_site
    ayse, ed = site.api("ayse"), site.api("ed")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    md = b"---\ntitle: Dijital\n---\n\nMetin.\n"
    r = ayse.post(f"/api/v1/tasks/{task['id']}/submit", files={"file": ("t.md", md)})
    assert r.json() == {"task": task["id"], "state": "submitted", "applied": False}
    assert ed.post(f"/api/v1/tasks/{task['id']}/reject", json={"reason": ""}).status_code == 422
    r = ed.post(f"/api/v1/tasks/{task['id']}/reject", json={"reason": "Başlık eksik"})
    assert r.json()["state"] == "claimed"
    assert ayse.get(f"/api/v1/tasks/{task['id']}").json()["reject_reason"] == "Başlık eksik"
    ayse.post(f"/api/v1/tasks/{task['id']}/submit", files={"file": ("t.md", md)})
    r = ed.post(f"/api/v1/tasks/{task['id']}/approve")
    assert r.json() == {
        "task": task["id"],
        "state": "done",
        "applied": True,
        "translation": "current",
    }
    assert ed.post(f"/api/v1/tasks/{task['id']}/approve").status_code == 409


def test_approve_names_the_submission_it_approves(review_site: Site) -> None:
    """The task detail names its submission; approve and reject given another are refused,
    given none (the contract before) act on the submission there is."""
    site = review_site
    ayse, ed = site.api("ayse"), site.api("ed")
    task_id = submit_update_as(site, "ayse")
    shown = ed.get(f"/api/v1/tasks/{task_id}").json()["submission_digest"]
    assert isinstance(shown, str) and shown
    ed.post(
        f"/api/v1/tasks/{task_id}/reject",
        json={"reason": "Bir daha bakın.", "submission_digest": shown},
    )
    assert ed.get(f"/api/v1/tasks/{task_id}").json()["submission_digest"] is None
    segments = ayse.get(f"/api/v1/tasks/{task_id}").json()["segments"]
    texts = {s["position"]: s["translation"].replace("açık ara", "YENİ") for s in segments}
    ayse.post(f"/api/v1/tasks/{task_id}/translations", json={"translations": texts})
    for act, body in (("approve", {}), ("reject", {"reason": "Hayır."})):
        r = ed.post(f"/api/v1/tasks/{task_id}/{act}", json={**body, "submission_digest": shown})
        assert r.status_code == 409, r.text
        assert "changed since you opened it" in r.json()["detail"]
    assert ed.get(f"/api/v1/tasks/{task_id}").json()["state"] == "submitted"
    now = ed.get(f"/api/v1/tasks/{task_id}").json()["submission_digest"]
    assert now != shown
    r = ed.post(f"/api/v1/tasks/{task_id}/approve", json={"submission_digest": now})
    assert r.json()["state"] == "done", r.text
    written = site.content / "tr/posts/energy-security.md"
    assert "YENİ" in written.read_text(encoding="utf-8")


def test_no_one_keeps_their_own_unreviewed_submission_through_a_conflict(
    review_site: Site,
) -> None:
    site = review_site
    ed, root = site.api("ed"), site.api("root")
    task_id = submit_update_as(site, "ed")
    written = site.content / "tr/posts/energy-security.md"
    before = written.read_bytes()
    r = ed.post(f"/api/v1/tasks/{task_id}/approve")
    assert r.status_code == 403 and "another editor" in r.json()["detail"]
    # the source change is acknowledged: the submission is not needed, so it is in conflict
    ed.post("/api/v1/posts/energy-security/ack", json={"lang": "tr"})
    assert ed.get(f"/api/v1/tasks/{task_id}").json()["conflict"]["reason"] == "not_needed"
    # nobody reviewed the submission: keeping it is approving it, so not by its submitter
    r = ed.post(f"/api/v1/tasks/{task_id}/resolve", json={"keep": "submitted"})
    assert r.status_code == 403, r.text
    assert "another editor" in r.json()["detail"] and "ed" in r.json()["detail"]
    assert written.read_bytes() == before
    assert ed.get(f"/api/v1/tasks/{task_id}").json()["state"] == "conflict"
    # another editor may keep it, and the submitter may keep what is on disk
    r = root.post(f"/api/v1/tasks/{task_id}/resolve", json={"keep": "submitted"})
    assert r.json()["state"] == "done" and r.json()["applied"] is True
    assert "açık ara" in written.read_text(encoding="utf-8")


def test_the_submitter_keeps_what_is_on_disk(review_site: Site) -> None:
    site = review_site
    ed = site.api("ed")
    task_id = submit_update_as(site, "ed")
    ed.post("/api/v1/posts/energy-security/ack", json={"lang": "tr"})
    r = ed.post(f"/api/v1/tasks/{task_id}/resolve", json={"keep": "disk"})
    assert r.json()["state"] == "cancelled"


def test_an_approved_submission_in_conflict_is_kept_by_any_editor(review_site: Site) -> None:
    """A write-back conflict at approval: the submission was reviewed already, so the
    approver (or its submitter) keeps it."""
    site = review_site
    ed, root = site.api("ed"), site.api("root")
    task_id = submit_update_as(site, "ed")
    written = site.content / "tr/posts/energy-security.md"
    written.write_text(written.read_text(encoding="utf-8") + "\nEl ile.\n", encoding="utf-8")
    r = root.post(f"/api/v1/tasks/{task_id}/approve")
    assert r.json()["state"] == "conflict", r.text
    assert r.json()["conflict"]["reason"] == "changed"
    r = ed.post(f"/api/v1/tasks/{task_id}/resolve", json={"keep": "submitted"})
    assert r.status_code == 200 and r.json()["state"] == "done", r.text
    assert "açık ara" in written.read_text(encoding="utf-8")


def test_assign_reprioritise_cancel(site: Site) -> None:
    ed = site.api("ed")
    r = ed.post("/api/v1/tasks/2/assign", json={"to": "ayse"})
    assert r.status_code == 403 and "ru" in r.json()["detail"]
    r = ed.post("/api/v1/tasks/2/assign", json={"to": "ivan", "lease": "3d"})
    assert r.status_code == 200 and r.json()["assignee"] == "ivan"
    r = ed.patch("/api/v1/tasks/2", json={"priority": 7, "due": "2027-01-31"})
    assert (r.json()["priority"], r.json()["due"]) == (7, "2027-01-31")
    r = ed.patch("/api/v1/tasks/2", json={"priority": 1})
    assert (r.json()["priority"], r.json()["due"]) == (1, "2027-01-31")
    assert ed.patch("/api/v1/tasks/2", json={"due": None}).json()["due"] is None
    assert ed.patch("/api/v1/tasks/2", json={"due": "soon"}).status_code == 422
    assert (
        ed.post("/api/v1/tasks/2/cancel", json={"reason": "dropped"}).json()["state"] == "cancelled"
    )
    assert ed.post("/api/v1/tasks/2/cancel").status_code == 409


def test_stale_post_diff_ack_events(site: Site) -> None:
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.api("ed")
    diff = ed.get("/api/v1/posts/energy-security/diff/tr").json()
    assert diff["state"] == "stale" and diff["changed_segments"] == 2
    changed = [op for op in diff["ops"] if op["op"] == "changed"]
    assert "by far" in changed[0]["new"] and "by far" not in changed[0]["old"]
    r = ed.post("/api/v1/posts/energy-security/ack", json={"lang": "ru"})
    assert r.json()["acknowledged"][0]["lang"] == "ru"
    post = ed.get("/api/v1/posts/energy-security").json()
    assert post["versions"]["ru"]["state"] == "current"
    assert post["versions"]["tr"]["state"] == "stale"
    events = ed.get("/api/v1/events", params={"post": "energy-security", "limit": 3}).json()
    assert events["events"][0]["kind"] in ("ack", "state", "task")
    assert len(events["events"]) == 3
    older = ed.get("/api/v1/events", params={"before": events["events"][-1]["id"]}).json()
    assert all(e["id"] < events["events"][-1]["id"] for e in older["events"])


def test_scan_only_configured_sources(site: Site, tmp_path: Path) -> None:
    ed = site.api("ed")
    r = ed.post("/api/v1/scan", json={})
    assert r.status_code == 200 and r.json()["files"] == 19
    r = ed.post("/api/v1/scan", json={"sources": ["fs:/etc"]})
    assert r.status_code == 422 and "not configured" in r.json()["detail"]


def test_export_writes_catalogs(site: Site) -> None:
    r = site.api("ed").post("/api/v1/export", json={"langs": ["tr"]})
    assert r.status_code == 200, r.text
    (catalog,) = r.json()["catalogs"]
    assert catalog["lang"] == "tr" and Path(catalog["po"]).is_file()


def test_users_and_tokens_never_leak(site: Site) -> None:
    root = site.api("root")
    listing = root.get("/api/v1/users").json()
    assert [u["name"] for u in listing["users"]] == ["ayse", "ed", "ivan", "root"]
    r = root.post(
        "/api/v1/users",
        json={
            "name": "zeynep",
            "role": "translator",
            "langs": ["tr"],
            "password": "long enough pw",
        },
    )
    assert r.status_code == 201 and "token" not in r.json()
    assert root.post("/api/v1/users", json={"name": "x", "langs": ["xx"]}).status_code == 422
    me = site.api("ayse").get("/api/v1/me").json()
    assert me["name"] == "ayse" and me["langs"] == ["tr"]
    new = site.api("ayse").post("/api/v1/me/token").json()["token"]
    assert site.api("ayse").get("/api/v1/me").status_code == 401  # the old token stopped
    fresh = site.client(headers={"Authorization": f"Bearer {new}"})
    assert fresh.patch("/api/v1/me", json={"ui_lang": "ru"}).json()["ui_lang"] == "ru"
    assert fresh.patch("/api/v1/me", json={"ui_lang": "xx"}).status_code == 422
    assert root.delete("/api/v1/users/ivan").json()["active"] is False
    assert site.api("ivan").get("/api/v1/me").status_code == 401
    assert root.delete("/api/v1/users/root").status_code == 409
    with transaction(site.settings.database_url) as session:
        secrets = [
            x
            for u in session.execute(select(User)).scalars()
            for x in (u.token_hash, u.password_hash, u.token_id)
            if x
        ]
    for path in (
        "/api/v1/users",
        "/api/v1/me",
        "/api/v1/status",
        "/api/v1/tasks",
        "/api/v1/events",
        "/api/openapi.json",
    ):
        body = root.get(path).text
        assert not any(s in body for s in secrets), path
        assert "argon2" not in body and not any(t in body for t in site.tokens.values())


def test_upload_over_the_limit_is_413(pristine: Pristine, fast_hashes: None) -> None:
    site = pristine.restore(max_upload_bytes=2000)
    ayse = site.api("ayse")
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    big = b"---\ntitle: T\n---\n\n" + b"x" * 5000
    r = ayse.post(f"/api/v1/tasks/{task['id']}/submit", files={"file": ("t.md", big)})
    assert r.status_code == 413 and "TRANSYNC_MAX_UPLOAD_BYTES" in r.json()["detail"]
    huge = b"x" * 200_000  # over the limit plus the room for form fields
    r = ayse.post(f"/api/v1/tasks/{task['id']}/submit", files={"file": ("t.md", huge)})
    assert r.status_code == 413
    with transaction(site.settings.database_url) as session:
        assert session.get(Task, task["id"]).state == "claimed"  # nothing changed


def test_openapi_documents_the_api(site: Site) -> None:
    spec = site.client().get("/api/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/status",
        "/api/v1/status/summary",
        "/api/v1/posts/{key}",
        "/api/v1/tasks",
        "/api/v1/tasks/claim",
        "/api/v1/tasks/{task_id}/release",
        "/api/v1/tasks/{task_id}/renew",
        "/api/v1/tasks/{task_id}/submit",
        "/api/v1/tasks/{task_id}/approve",
        "/api/v1/tasks/{task_id}/reject",
        "/api/v1/tasks/{task_id}/assign",
        "/api/v1/tasks/{task_id}/po",
        "/api/v1/scan",
        "/api/v1/export",
        "/api/v1/events",
    ):
        assert path in paths, path
    assert "token" in spec["components"]["securitySchemes"]
    assert not any(p.startswith("/login") or p == "/" for p in paths)
    docs = site.client().get("/api/docs")  # rendered on the server: works offline
    assert docs.status_code == 200 and "/api/v1/tasks/claim" in docs.text
    assert "<script>" not in docs.text.split("</head>")[1]
    assert 'id="tag-tasks"' in docs.text and "Bearer" in docs.text
    swagger = site.client().get("/api/swagger")
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()


@pytest.mark.parametrize("who", ["ayse", "ed"])
def test_assign_then_the_translator_sees_it(site: Site, who: str) -> None:
    with transaction(site.settings.database_url) as session:
        assign(session, site.settings, 1, "ed", "ayse")
    tasks = site.api(who).get("/api/v1/tasks", params={"state": "claimed"}).json()["tasks"]
    assert [t["id"] for t in tasks] == [1]
