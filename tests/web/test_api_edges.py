"""The API's edges: one error shape for every error (a malformed request included), 503 with
a body while the database is down (/metrics in plain text, pages as a page), an OpenAPI
document that says the role, the answer's schema and every error of each operation, and
no cache keeping a token."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sync.db.session import dispose_all
from tests.conftest import EXAMPLES
from tests.web import contract
from tests.web.site import PASSWORD, Site, build_site, csrf
from tests.web.test_permissions import API_CASES

SHAPE = {"status", "error", "detail", "problems", "problem_count"}


def error_schema(spec: dict[str, Any]) -> dict[str, Any]:
    return {"$ref": "#/components/schemas/ErrorBody", "components": spec["components"]}


def assert_error(spec: dict[str, Any], response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    jsonschema.validate(body, error_schema(spec), cls=jsonschema.Draft202012Validator)
    assert SHAPE <= set(body) and body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_every_error_has_the_one_shape(site: Site) -> None:
    anon, ed, ayse = site.api(None), site.api("ed"), site.api("ayse")
    spec = anon.get("/api/openapi.json").json()
    assert assert_error(spec, anon.get("/api/v1/status"), 401)["error"] == "unauthorized"
    assert assert_error(spec, ayse.get("/api/v1/events"), 403)["error"] == "forbidden"
    assert assert_error(spec, ed.get("/api/v1/tasks/999"), 404)["error"] == "not_found"
    body = assert_error(spec, ed.get("/api/v1/no/such/thing"), 404)
    assert "/api/docs" in body["detail"]
    assert assert_error(spec, ed.delete("/api/v1/status"), 405)["error"] == "method_not_allowed"
    assert ed.post("/api/v1/tasks/2/cancel", json={}).status_code == 200
    assert (
        assert_error(spec, ed.post("/api/v1/tasks/2/cancel", json={}), 409)["error"] == "conflict"
    )
    # a malformed request: each field's problem, in problems and fields
    body = assert_error(spec, ed.post("/api/v1/tasks/claim", json={"lease": 3}), 422)
    assert body["error"] == "invalid" and body["problem_count"] == 2
    assert "body.lang: Field required" in body["problems"]
    assert {tuple(f["loc"]) for f in body["fields"]} == {("body", "lang"), ("body", "lease")}
    body = assert_error(
        spec,
        ed.post(
            "/api/v1/tasks/claim",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        422,
    )
    assert body["problems"] and "json" in body["detail"].lower()
    # a refused input: where it is
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    body = assert_error(
        spec,
        ayse.post(
            f"/api/v1/tasks/{task['id']}/submit",
            files={"file": ("t.md", b"---\ntitle: [unclosed\n---\nText\n")},
        ),
        422,
    )
    assert body["file"] == "t.md" and body["line"] == 3 and "YAML" in body["detail"]


def test_an_upload_over_the_limit_has_the_shape(pristine: Any, fast_hashes: None) -> None:
    site = pristine.restore(max_upload_bytes=2000)
    ayse = site.api("ayse")
    spec = ayse.get("/api/openapi.json").json()
    task = ayse.post("/api/v1/tasks/claim", json={"lang": "tr"}).json()
    body = assert_error(
        spec,
        ayse.post(f"/api/v1/tasks/{task['id']}/submit", files={"file": ("t.md", b"x" * 200_000)}),
        413,
    )
    assert body["error"] == "too_large"


def test_token_answers_are_not_stored(site: Site) -> None:
    r = site.api("ayse").post("/api/v1/me/token")
    assert r.status_code == 200 and r.json()["token"].startswith("ts_")
    assert r.headers["cache-control"] == "no-store"
    ayse = site.client()
    r = ayse.post("/login", data={"name": "ayse", "password": PASSWORD, "csrf_token": csrf(ayse)})
    assert r.status_code == 303 and r.headers["cache-control"] == "no-store"  # the cookie
    r = ayse.post("/account/token", data={"csrf_token": csrf(ayse, "/account")})
    assert r.status_code == 200 and "ts_" in r.text
    assert r.headers["cache-control"] == "no-store"


# -- the OpenAPI document -------------------------------------------------------------------


def api_operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1/")
    ]


def test_every_operation_says_its_role_answer_and_errors(site: Site) -> None:
    spec = site.client().get("/api/openapi.json").json()
    ops = api_operations(spec)
    assert len(ops) >= 30
    assert (
        "HTTPValidationError" not in str(spec)
        and "ValidationError" not in spec["components"]["schemas"]
    )
    for method, path, op in ops:
        where = f"{method} {path}"
        role = op.get("x-transync-role")
        assert role in ("admin", "editor", "translator"), where
        assert op["description"].startswith("**Role:**"), where
        responses = op["responses"]
        ok = [code for code in responses if code.startswith("2")]
        assert ok, where
        for code in ok:
            if code == "204":
                continue
            content = responses[code]["content"]
            schema = next(iter(content.values()))["schema"]
            if "application/json" in content:
                assert "$ref" in schema, f"{where} {code}: no response schema"
        assert {"401", "503"} <= set(responses), where
        if role in ("admin", "editor"):
            assert "403" in responses, where
        for code, answer in responses.items():
            if code.startswith(("4", "5")):
                assert answer["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"
                }, f"{where} {code}"
    # the document's roles agree with what the server enforces
    for method, path, _body, expected in API_CASES:
        if not path.startswith("/api/v1/"):
            continue
        role = contract.operation(spec, method, path)[1]["x-transync-role"]
        admin_only = expected["ed"] == 403 and expected["root"] not in (401, 403)
        assert (role == "admin") == admin_only, f"{method} {path}: {role}"
        if role == "editor":
            assert expected["ayse"] == expected["ivan"] == 403, f"{method} {path}"


def test_the_docs_page_shows_roles(site: Site) -> None:
    page = site.client().get("/api/docs").text
    assert 'class="badge role-admin"' in page and 'class="badge role-editor"' in page
    assert "**Role:**" not in page


# -- the database down ----------------------------------------------------------------------


@pytest.fixture
def pg_site(private_pg: Any, private_pg_url: str, tmp_path: Path, fast_hashes: None) -> Site:
    content = tmp_path / "content"
    shutil.copytree(EXAMPLES / "content", content)
    site = build_site(private_pg_url, content, tmp_path)
    return site


def test_the_database_down_is_503_with_a_body(pg_site: Site, private_pg: Any) -> None:
    site = pg_site
    ed = site.api("ed")
    spec = ed.get("/api/openapi.json").json()
    browser = site.login("ed")
    assert ed.get("/api/v1/status").status_code == 200
    private_pg.stop("fast")
    try:
        for method, path, body in (
            ("GET", "/api/v1/status", None),
            ("GET", "/api/v1/tasks", None),
            ("GET", "/api/v1/me", None),
            ("POST", "/api/v1/tasks/claim", {"lang": "tr"}),
        ):
            r = ed.request(method, path, json=body)
            answer = assert_error(spec, r, 503)
            assert answer["error"] == "unavailable" and "database" in answer["detail"]
            assert r.headers["retry-after"]
            contract.check(spec, method, path, r)
        r = site.client().get("/metrics")
        assert r.status_code == 503 and r.headers["content-type"].startswith("text/plain")
        assert r.text.startswith("# ") and "<html" not in r.text
        contract.check(spec, "GET", "/metrics", r)
        r = site.client().get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "down"
        r = browser.get("/")  # a page: the error page, 503, not a stack trace or a 500
        assert r.status_code == 503 and "<html" in r.text and "Traceback" not in r.text
        anon = site.client()
        r = anon.post("/login", data={"name": "ed", "password": "x", "csrf_token": csrf(anon)})
        assert r.status_code == 503
    finally:
        private_pg.start()
    dispose_all()
    assert ed.get("/api/v1/status").status_code == 200  # and back once it is
    assert site.client().get("/metrics").status_code == 200


def test_what_counts_as_the_database_down() -> None:
    import sqlite3

    import psycopg
    from sqlalchemy.exc import IntegrityError, OperationalError

    from sync.web.errors import unreachable

    def wrapped(orig: Exception, cls: Any = OperationalError) -> Exception:
        return cls("SELECT 1", {}, orig)

    assert unreachable(wrapped(sqlite3.OperationalError("database is locked")))
    assert unreachable(wrapped(sqlite3.OperationalError("unable to open database file")))
    assert not unreachable(wrapped(sqlite3.OperationalError("no such table: posts")))
    assert not unreachable(wrapped(sqlite3.OperationalError('near "SELEC": syntax error')))
    assert unreachable(wrapped(psycopg.OperationalError("connection refused")))
    assert not unreachable(wrapped(sqlite3.IntegrityError("UNIQUE"), IntegrityError))
    assert not unreachable(ValueError("no"))
