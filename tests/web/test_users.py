"""Adding a user is not changing one: a name that exists is refused (API 409 in the error
shape, the form says so), changes are explicit (PATCH, the user's page, `users edit`), a
password never changes a role, and the last active admin stays an active admin."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

import sync.cli.web  # noqa: F401 - registers `transync users`
from sync.cli import cli
from sync.db.models import User
from sync.db.session import transaction
from sync.people import LastAdmin, add_user, check_password, create_user, edit_user, find_user
from tests.conftest import make_settings
from tests.web.site import PASSWORD, Site, csrf


def user(site: Site, name: str) -> dict[str, Any]:
    with transaction(site.settings.database_url) as session:
        u = find_user(session, name)
        assert u is not None
        return {
            "role": u.role,
            "langs": u.languages,
            "active": u.active,
            "password": u.password_hash,
            "token": u.token_hash,
        }


def test_api_adding_a_user_that_exists_is_409_and_changes_nothing(site: Site) -> None:
    root = site.api("root")
    before = user(site, "ed")
    r = root.post(
        "/api/v1/users",
        json={"name": "ed", "role": "translator", "langs": ["tr"], "password": "another password"},
    )
    assert r.status_code == 409
    body = r.json()
    assert body["status"] == 409 and body["error"] == "conflict"
    assert "exists" in body["detail"] and "PATCH /api/v1/users/ed" in body["detail"]
    assert body["problems"] == [] and body["problem_count"] == 0
    assert user(site, "ed") == before


def test_api_adding_a_deactivated_user_does_not_bring_them_back(site: Site) -> None:
    ivan = site.login("ivan")
    root = site.api("root")
    root.delete("/api/v1/users/ivan")
    r = root.post("/api/v1/users", json={"name": "ivan", "langs": ["ru"]})
    assert r.status_code == 409
    assert user(site, "ivan")["active"] is False
    assert ivan.get("/my").status_code == 303


def test_api_patch_changes_only_what_is_sent(site: Site) -> None:
    root = site.api("root")
    r = root.patch("/api/v1/users/ed", json={"password": "only the password"})
    assert r.status_code == 200 and r.json()["role"] == "editor"  # the role stays
    assert user(site, "ed")["role"] == "editor"
    site.login("ed", "only the password")
    r = root.patch("/api/v1/users/ayse", json={"langs": ["tr", "ru"]})
    assert r.json() | {"created_at": None} == {
        "name": "ayse",
        "role": "translator",
        "langs": ["tr", "ru"],
        "active": True,
        "created_at": None,
        "email": None,
        "digest": "daily",
    }
    r = root.patch("/api/v1/users/ayse", json={"role": "editor", "langs": []})
    assert (r.json()["role"], r.json()["langs"]) == ("editor", [])
    assert root.patch("/api/v1/users/nobody", json={"role": "editor"}).status_code == 404
    for bad in ({"role": "owner"}, {"langs": ["xx"]}, {"password": "short"}):
        r = root.patch("/api/v1/users/ayse", json=bad)
        assert r.status_code == 422 and r.json()["error"] == "invalid", bad
    assert user(site, "ayse")["role"] == "editor"  # a refused change changed nothing
    assert site.api("ed").patch("/api/v1/users/ayse", json={"role": "admin"}).status_code == 403


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(site: Site) -> None:
    root = site.api("root")
    for change in ({"role": "editor"}, {"role": "translator"}, {"active": False}):
        r = root.patch("/api/v1/users/root", json=change)
        assert r.status_code == 409, change
        assert "last active admin" in r.json()["detail"] or "yourself" in r.json()["detail"]
    assert root.delete("/api/v1/users/root").status_code == 409
    assert user(site, "root")["role"] == "admin"
    # with a second admin, the first may step down (and is signed out by the role change)
    assert root.patch("/api/v1/users/ed", json={"role": "admin"}).status_code == 200
    r = root.patch("/api/v1/users/root", json={"role": "editor"})
    assert r.status_code == 200 and r.json()["role"] == "editor"
    # now ed is the last one; the core refuses whoever asks (CLI included)
    with transaction(site.settings.database_url) as session, pytest.raises(LastAdmin):
        edit_user(session, site.settings, "ed", active=False)
    assert user(site, "ed") == user(site, "ed") | {"role": "admin", "active": True}


def test_the_users_form_refuses_a_name_that_exists(site: Site) -> None:
    root = site.login("root")
    before = user(site, "ed")
    r = root.post(
        "/users",
        data={
            "csrf_token": csrf(root, "/users"),
            "name": "ed",
            "role": "translator",
            "password": "new password 1",
        },
    )
    assert r.status_code == 409
    assert "A user named ed exists already" in r.text and 'href="/users/ed"' in r.text
    assert 'value="ed"' in r.text  # what was typed is kept
    assert user(site, "ed") == before
    r = root.post(
        "/users",
        data={
            "csrf_token": csrf(root, "/users"),
            "name": "zeynep",
            "role": "editor",
            "langs": ["tr"],
            "password": "long enough 1",
        },
    )
    assert r.status_code == 303
    assert user(site, "zeynep")["role"] == "editor"
    r = root.post("/users", data={"csrf_token": csrf(root, "/users"), "name": "bad name!"})
    assert r.status_code == 422 and "letters, digits" in r.text


def selected(page: str, name: str) -> list[str]:
    """The values a form on the page shows as chosen for field `name`."""
    chosen = re.findall(r'<option value="([^"]+)" selected>', page) if name == "role" else []
    chosen += re.findall(rf'name="{name}" value="([^"]+)" checked', page)
    return chosen


def test_the_edit_form_shows_the_current_values_and_keeps_the_role(site: Site) -> None:
    root = site.login("root")
    page = root.get("/users/ayse").text
    assert selected(page, "role") == ["translator"] and selected(page, "langs") == ["tr"]
    assert selected(page, "active") == ["1"]
    page = root.get("/users/ed").text
    assert selected(page, "role") == ["editor"] and selected(page, "langs") == []
    # setting a password through the form: the role shown (editor) is what stays
    token = csrf(root, "/users/ed")
    r = root.post(
        "/users/ed",
        data={
            "csrf_token": token,
            "role": "editor",
            "active": "1",
            "password": "set on the form 1",
        },
    )
    assert r.status_code == 303 and r.headers["location"] == "/users/ed"
    assert user(site, "ed")["role"] == "editor"
    site.login("ed", "set on the form 1")
    # an explicit change: languages and deactivation
    r = root.post(
        "/users/ivan", data={"csrf_token": token, "role": "translator", "langs": ["ru", "tr"]}
    )
    assert r.status_code == 303
    assert user(site, "ivan")["langs"] == ["ru", "tr"] and not user(site, "ivan")["active"]
    page = root.get("/users/ivan").text
    assert selected(page, "active") == [] and "deactivated" in page
    assert root.get("/users/nobody").status_code == 404


def test_an_admin_setting_their_own_password_stays_signed_in(site: Site) -> None:
    root = site.login("root")
    stolen = root.cookies.get("transync_session")
    r = root.post(
        "/users/root",
        data={
            "csrf_token": csrf(root, "/users/root"),
            "role": "admin",
            "active": "1",
            "password": "a new root pw 1",
        },
    )
    assert r.status_code == 303
    page = root.get("/users/root")
    assert page.status_code == 200 and "Saved root" in page.text
    other = site.client()
    other.cookies.set("transync_session", str(stolen))
    assert other.get("/users").status_code == 303  # the cookie from before is refused


def test_the_edit_form_refuses_to_demote_the_last_admin(site: Site) -> None:
    root = site.login("root")
    token = csrf(root, "/users/root")
    r = root.post("/users/root", data={"csrf_token": token, "role": "editor", "active": "1"})
    assert r.status_code == 409 and "last active admin" in r.text
    assert user(site, "root")["role"] == "admin"
    assert root.get("/users").status_code == 200  # still an admin, still signed in


def test_users_pages_are_for_admins(site: Site) -> None:
    ed = site.login("ed")
    assert ed.get("/users/ayse").status_code == 403
    r = ed.post("/users/ayse", data={"csrf_token": csrf(ed, "/"), "role": "admin", "active": "1"})
    assert r.status_code == 403 and user(site, "ayse")["role"] == "translator"


def run_cli(site: Site, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--database-url", site.settings.database_url, *args])


def test_cli_users_edit(site: Site) -> None:
    before = user(site, "ayse")
    r = run_cli(site, "users", "edit", "ayse", "--role", "editor")
    assert r.exit_code == 0 and r.output.startswith("editor ayse: tr")
    assert user(site, "ayse") == before | {"role": "editor"}
    r = run_cli(site, "users", "edit", "ayse", "--langs", "ru,tr", "--inactive")
    assert r.exit_code == 0 and "(deactivated)" in r.output
    assert user(site, "ayse") | {"token": None} == before | {
        "role": "editor",
        "langs": ["ru", "tr"],
        "active": False,
        "token": None,
    }
    assert user(site, "ayse")["token"] is None  # deactivation ends the token
    r = run_cli(site, "users", "edit", "ayse", "--active", "--json")
    assert r.exit_code == 0 and '"active": true' in r.output
    r = run_cli(site, "users", "edit", "root", "--role", "editor")
    assert r.exit_code != 0 and isinstance(r.exception, LastAdmin)
    r = run_cli(site, "users", "edit", "ayse")
    assert r.exit_code == 2 and "nothing to change" in r.output
    r = run_cli(site, "users", "add", "ayse")
    assert r.exit_code != 0 and user(site, "ayse")["role"] == "editor"


def test_translators_add_does_not_bring_back_a_deactivated_user(site: Site) -> None:
    with transaction(site.settings.database_url) as session:
        edit_user(session, site.settings, "ivan", active=False)
    with transaction(site.settings.database_url) as session, pytest.raises(Exception) as got:
        add_user(session, site.settings, "ivan", langs=["ru"])
    assert "deactivated" in str(got.value) and user(site, "ivan")["active"] is False


def test_two_admins_demoting_each_other_at_once_leave_one(pg_url: str) -> None:
    """On PostgreSQL the active admins' rows are locked before counting: of two admins
    demoting each other at the same moment, exactly one succeeds."""
    settings = make_settings(pg_url)
    with transaction(pg_url) as session:
        create_user(session, settings, "a1", role="admin")
        create_user(session, settings, "a2", role="admin")
    start = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def demote(name: str) -> None:
        start.wait()
        try:
            with transaction(pg_url) as session:
                edit_user(session, settings, name, role="editor")
                # hold the transaction a moment so the other one has to wait on the lock
                import time

                time.sleep(0.3)
            outcome[name] = "ok"
        except LastAdmin:
            outcome[name] = "refused"

    threads = [threading.Thread(target=demote, args=(n,)) for n in ("a1", "a2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["ok", "refused"]
    with transaction(pg_url) as session:
        admins = session.execute(select(User.name).where(User.role == "admin")).scalars()
        assert len(list(admins)) == 1


def test_password_rules_in_the_core(site: Site) -> None:
    with transaction(site.settings.database_url) as session:
        u, _token = create_user(
            session, site.settings, "newbie", role="editor", password="long enough 1"
        )
        assert check_password(u, "long enough 1") and not check_password(u, PASSWORD)
