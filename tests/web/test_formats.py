"""XLIFF and TMX through the API and the task page: answers as the OpenAPI document
declares them, the same permissions as the PO endpoints, all or nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from sync.db.models import Memory, Task
from sync.db.session import transaction
from sync.interchange.xliff import read_xliff
from tests.conftest import EXAMPLES
from tests.helpers.interchange import filled_xliff, translation_texts
from tests.web import contract
from tests.web.site import Site


def checked(site: Site, method: str, path: str, response: Any) -> Any:
    spec = site.client().get("/api/openapi.json").json()
    contract.check(spec, method, path, response)
    return response


def claimed(site: Site, who: str = "ayse", lang: str = "tr") -> dict[str, Any]:
    task = site.api(who).post("/api/v1/tasks/claim", json={"lang": lang})
    assert task.status_code == 200, task.text
    return task.json()


def test_xliff_download_and_submission(site: Site) -> None:
    task = claimed(site)  # digital-public-services, missing in tr
    ayse = site.api("ayse")
    path = f"/api/v1/tasks/{task['id']}/xliff"
    for version in ("1.2", "2.0"):
        r = checked(site, "GET", path, ayse.get(path, params={"version": version}))
        assert r.status_code == 200 and r.headers["content-type"].startswith(
            "application/xliff+xml"
        )
        assert f"task{task['id']}" in r.headers["content-disposition"]
        assert read_xliff(r.content).version == version
    assert checked(site, "GET", path, site.api("ivan").get(path)).status_code == 403
    texts = translation_texts(EXAMPLES / "translations/digital-public-services.tr.md")
    source = ayse.get(f"/api/v1/tasks/{task['id']}").json()["segments"][1]["source"]
    bad = filled_xliff(site.settings, task["id"], {**dict(enumerate(texts)), 1: source})
    r = checked(site, "POST", path, ayse.post(path, files={"file": ("t.xlf", bad)}))
    assert r.status_code == 422
    assert "source text unchanged" in r.json()["problems"][0]
    with transaction(site.settings.database_url) as session:
        assert session.get(Task, task["id"]).state == "claimed"  # type: ignore[union-attr]
    good = filled_xliff(site.settings, task["id"], texts, "2.0")
    r = checked(site, "POST", path, ayse.post(path, files={"file": ("t.xlf", good)}))
    assert r.status_code == 200 and r.json()["state"] == "done", r.text


def test_tmx_export_and_import_for_editors(site: Site) -> None:
    ed, ayse = site.api("ed"), site.api("ayse")
    path = "/api/v1/memory/tmx"
    assert checked(site, "GET", path, ayse.get(path)).status_code == 403
    r = checked(site, "GET", path, ed.get(path, params={"langs": "en,tr"}))
    assert r.status_code == 200 and r.content.startswith(b"<?xml")
    assert b"<tu " in r.content and b'xml:lang="ru"' not in r.content
    assert (
        checked(
            site, "POST", path, ayse.post(path, files={"file": ("m.tmx", r.content)})
        ).status_code
        == 403
    )
    r2 = checked(site, "POST", path, ed.post(path, files={"file": ("m.tmx", r.content)}))
    assert r2.status_code == 200 and r2.json()["added"] == 0 and r2.json()["merged"] > 0
    with transaction(site.settings.database_url) as session:
        before = session.execute(select(func.count()).select_from(Memory)).scalar_one()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaa">]><tmx version="1.4">'
        b'<header srclang="en"/><body><tu><tuv xml:lang="en"><seg>&a;</seg></tuv>'
        b'<tuv xml:lang="tr"><seg>b</seg></tuv></tu></body></tmx>'
    )
    r3 = checked(site, "POST", path, site.api("root").post(path, files={"file": ("b.tmx", bomb)}))
    assert r3.status_code == 422 and "entities are refused" in r3.json()["detail"]
    with transaction(site.settings.database_url) as session:
        assert session.execute(select(func.count()).select_from(Memory)).scalar_one() == before


def test_openapi_documents_the_formats(site: Site) -> None:
    paths = site.client().get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/tasks/{task_id}/xliff"])
    assert {"get", "post"} <= set(paths["/api/v1/memory/tmx"])
    assert "/tasks/{task_id}/xliff" not in paths  # the page's download is not the API
    docs = site.client().get("/api/docs")
    assert 'id="tag-formats"' in docs.text and "/api/v1/memory/tmx" in docs.text


def test_task_page_links_the_xliff_download(site: Site) -> None:
    task = claimed(site)
    browser = site.login("ayse")
    page = browser.get(f"/tasks/{task['id']}")
    assert f'href="/tasks/{task["id"]}/xliff"' in page.text and "Download XLIFF" in page.text
    r = browser.get(f"/tasks/{task['id']}/xliff")
    assert r.status_code == 200 and b"<xliff" in r.content
    other = site.login("ivan").get(f"/tasks/{task['id']}/xliff")
    assert other.status_code == 403


def test_task_page_takes_an_xliff_upload(site: Site) -> None:
    """The upload box of the task page takes XLIFF as the API does: refused whole with its
    problems shown, then applied."""
    from tests.web.site import csrf

    task = claimed(site)
    browser = site.login("ayse")
    texts = translation_texts(EXAMPLES / "translations/digital-public-services.tr.md")
    source = site.api("ayse").get(f"/api/v1/tasks/{task['id']}").json()["segments"][1]["source"]
    bad = filled_xliff(site.settings, task["id"], {**dict(enumerate(texts)), 1: source})
    token = csrf(browser, f"/tasks/{task['id']}")
    r = browser.post(
        f"/tasks/{task['id']}/po",
        data={"csrf_token": token},
        files={"file": ("t.xlf", bad, "application/xliff+xml")},
    )
    assert r.status_code == 422 and "source text unchanged" in r.text
    with transaction(site.settings.database_url) as session:
        assert session.get(Task, task["id"]).state == "claimed"  # type: ignore[union-attr]
    good = filled_xliff(site.settings, task["id"], texts)
    r = browser.post(  # as Trados names it: XLIFF by its content, not taken for a PO
        f"/tasks/{task['id']}/po",
        data={"csrf_token": token},
        files={"file": ("t.sdlxliff", good, "application/octet-stream")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:2000]
    with transaction(site.settings.database_url) as session:
        assert session.get(Task, task["id"]).state == "done"  # type: ignore[union-attr]
