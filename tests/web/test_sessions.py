"""Sessions that end: a web session lives in the database, so logout, a new password, a new
role and deactivation end it everywhere, and a cookie saved before (a replayed cookie)
opens nothing afterwards."""

from __future__ import annotations

import datetime as dt
import hashlib

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

import sync.cli.web  # noqa: F401 - registers `transync users`
from sync.cli import cli
from sync.db.models import User, WebSession
from sync.db.session import transaction
from sync.people import edit_user
from tests.web.site import PASSWORD, Site, csrf


def saved_cookie(client: TestClient) -> str:
    """The session cookie as a browser (or a thief) would keep it."""
    value = client.cookies.get("transync_session")
    assert value, "no session cookie"
    return value


def replay(site: Site, cookie: str, path: str = "/my") -> int:
    """A fresh browser presenting a saved cookie: 200 if it opens the page, 303 to /login
    if not."""
    client = site.client()
    client.cookies.set("transync_session", cookie)
    response = client.get(path)
    if response.status_code == 303:
        assert response.headers["location"].startswith("/login"), response.headers
    return response.status_code


def sessions_of(site: Site, name: str) -> int:
    with transaction(site.settings.database_url) as session:
        return session.execute(
            select(func.count()).select_from(WebSession).join(User).where(User.name == name)
        ).scalar_one()


def test_a_cookie_saved_before_logout_opens_nothing_after(site: Site) -> None:
    ayse = site.login("ayse")
    cookie = saved_cookie(ayse)
    assert replay(site, cookie) == 200  # the copy works while the session lives
    other = site.login("ayse")  # a second browser of hers
    assert sessions_of(site, "ayse") == 2
    r = ayse.post("/logout", data={"csrf_token": csrf(ayse, "/my")})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert replay(site, cookie) == 303
    assert ayse.get("/my").status_code == 303
    assert other.get("/my").status_code == 200  # logout ends this browser's session only
    assert sessions_of(site, "ayse") == 1


def test_the_database_keeps_only_a_hash_of_the_session_id(site: Site) -> None:
    ayse = site.login("ayse")
    with transaction(site.settings.database_url) as session:
        (row,) = session.execute(select(WebSession)).scalars().all()
        assert len(row.id_hash) == 64
        assert row.expires_at - row.created_at == dt.timedelta(days=7)
    # the cookie is signed, not encrypted: its id must not be what the table holds
    import base64
    import json

    payload = json.loads(base64.b64decode(saved_cookie(ayse).split(".")[0] + "=="))
    assert hashlib.sha256(payload["sid"].encode()).hexdigest() == row.id_hash
    assert payload["sid"] != row.id_hash and "uid" not in payload


def test_a_new_password_ends_every_other_session_and_keeps_this_one(site: Site) -> None:
    ayse = site.login("ayse")
    stolen = saved_cookie(ayse)
    elsewhere = site.login("ayse")
    r = ayse.post(
        "/account/password",
        data={
            "csrf_token": csrf(ayse, "/account"),
            "current": PASSWORD,
            "new": "a new password 1",
            "again": "a new password 1",
        },
    )
    assert r.status_code == 303
    assert ayse.get("/my").status_code == 200  # this browser got a new session
    assert saved_cookie(ayse) != stolen
    assert replay(site, stolen) == 303  # the cookie copied before the change
    assert elsewhere.get("/my").status_code == 303
    assert sessions_of(site, "ayse") == 1


def test_deactivation_ends_sessions_and_the_token(site: Site) -> None:
    ivan = site.login("ivan")
    cookie = saved_cookie(ivan)
    root = site.api("root")
    assert root.delete("/api/v1/users/ivan").json()["active"] is False
    assert replay(site, cookie) == 303
    assert site.api("ivan").get("/api/v1/me").status_code == 401
    assert sessions_of(site, "ivan") == 0
    # brought back explicitly: the old cookie still opens nothing, a new login works
    assert root.patch("/api/v1/users/ivan", json={"active": True}).json()["active"] is True
    assert replay(site, cookie) == 303
    assert site.login("ivan").get("/my").status_code == 200


def test_deactivation_from_the_users_page(site: Site) -> None:
    ayse = site.login("ayse")
    cookie = saved_cookie(ayse)
    root = site.login("root")
    r = root.post("/users/ayse/deactivate", data={"csrf_token": csrf(root, "/users")})
    assert r.status_code == 303
    assert replay(site, cookie) == 303 and ayse.get("/my").status_code == 303


def test_a_role_change_ends_sessions_a_language_change_does_not(site: Site) -> None:
    ed = site.login("ed")
    cookie = saved_cookie(ed)
    root = site.api("root")
    assert root.patch("/api/v1/users/ed", json={"langs": ["tr"]}).status_code == 200
    assert replay(site, cookie, "/tasks") == 200  # same role: nothing to end
    assert root.patch("/api/v1/users/ed", json={"role": "translator"}).status_code == 200
    assert replay(site, cookie, "/my") == 303
    assert ed.get("/tasks").status_code == 303
    # signed in again, the page sees the new role
    assert site.login("ed").get("/tasks").status_code == 403


def test_a_password_set_by_an_admin_or_the_cli_ends_sessions(site: Site) -> None:
    ayse = site.login("ayse")
    cookie = saved_cookie(ayse)
    r = site.api("root").patch("/api/v1/users/ayse", json={"password": "set by root 1"})
    assert r.status_code == 200 and r.json()["role"] == "translator"
    assert replay(site, cookie) == 303
    ayse = site.login("ayse", "set by root 1")
    cookie = saved_cookie(ayse)
    result = CliRunner().invoke(
        cli,
        [
            "--database-url",
            site.settings.database_url,
            "users",
            "passwd",
            "ayse",
            "--password-stdin",
        ],
        input="set by the cli 1\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    assert replay(site, cookie) == 303
    site.login("ayse", "set by the cli 1")


def test_an_expired_session_opens_nothing(site: Site) -> None:
    ayse = site.login("ayse")
    cookie = saved_cookie(ayse)
    with transaction(site.settings.database_url) as session:
        session.execute(
            update(WebSession).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert replay(site, cookie) == 303
    site.login("ed")  # a sign-in sweeps expired sessions away
    assert sessions_of(site, "ayse") == 0


def test_a_cookie_from_before_server_side_sessions_is_refused(site: Site) -> None:
    """The old cookie said {"uid": …, "pw": …}: after the upgrade it is cleared, not
    trusted."""
    import base64
    import json

    from itsdangerous import TimestampSigner

    with transaction(site.settings.database_url) as session:
        uid = session.execute(select(User.id).where(User.name == "ed")).scalar_one()
    data = base64.b64encode(json.dumps({"uid": uid, "pw": "x" * 16}).encode())
    cookie = TimestampSigner(str(site.settings.secret_key)).sign(data).decode()
    assert replay(site, cookie, "/") == 303


def test_ending_sessions_in_the_core(site: Site) -> None:
    """edit_user ends sessions only for what must end them."""
    site.login("ayse")
    site.login("ayse")
    with transaction(site.settings.database_url) as session:
        edit_user(session, site.settings, "ayse", langs=["tr", "ru"])
    assert sessions_of(site, "ayse") == 2
    with transaction(site.settings.database_url) as session:
        edit_user(session, site.settings, "ayse", role="editor")
    assert sessions_of(site, "ayse") == 0
