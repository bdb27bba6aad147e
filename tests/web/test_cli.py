"""`transync users add / edit / passwd / list` and `transync serve --help`, as a user runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import sync.cli.web  # noqa: F401 - registers the commands
from sync.cli import cli
from sync.db.session import transaction
from sync.people import UserExists, check_password, find_user, user_for_token
from tests.web.site import Site


@pytest.fixture
def run(sqlite_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(
            cli, ["--database-url", sqlite_url, *args], input=input, catch_exceptions=False
        )
        return result.exit_code, result.output

    return invoke


def test_users_add_passwd_list(run, sqlite_url: str, fast_hashes: None) -> None:  # type: ignore[no-untyped-def]
    code, out = run("users", "add", "ayse", "--langs", "tr,ru")
    assert code == 0
    token = re.search(r"ts_[0-9a-f]{12}_\S+", out).group(0)  # type: ignore[union-attr]
    code, out = run("users", "add", "boss", "--role", "admin", "--json")
    data = json.loads(out)
    assert data["role"] == "admin" and data["token"].startswith("ts_")
    code, out = run("users", "passwd", "ayse", input="long password\nlong password\n")
    assert code == 0 and "password set" in out
    code, out = run("users", "passwd", "boss", "--password-stdin", input="another one 1\n")
    assert code == 0
    with transaction(sqlite_url) as session:
        assert user_for_token(session, token).name == "ayse"  # type: ignore[union-attr]
        assert check_password(find_user(session, "ayse"), "long password")
        assert check_password(find_user(session, "boss"), "another one 1")
    with pytest.raises(UserExists):  # adding is not changing: nothing changes
        run("users", "add", "ayse", "--role", "admin")
    code, out = run("users", "edit", "ayse", "--langs", "tr", "--new-token")  # her role stays
    assert code == 0 and "translator ayse: tr" in out and "ts_" in out
    with transaction(sqlite_url) as session:
        assert user_for_token(session, token) is None
    code, out = run("users", "list", "--json")
    listing = json.loads(out)["users"]
    assert [(u["name"], u["role"], u["langs"]) for u in listing] == [
        ("ayse", "translator", ["tr"]),
        ("boss", "admin", []),
    ]
    assert "token" not in out and "argon2" not in out
    code, out = run("users", "list")
    assert "ayse (translator): tr  [password, token]" in out


def test_serve_help(run) -> None:  # type: ignore[no-untyped-def]
    code, out = run("serve", "--help")
    assert code == 0 and "--port" in out and "--host" in out


def test_state_options_take_commas_as_the_api_does(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--state queued,claimed` as the API's state=queued,claimed; repeating still works, and
    an unknown state is a wrong command line that names it."""
    from sync.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRANSYNC_DATABASE_URL", site.settings.database_url)
    monkeypatch.setenv("TRANSYNC_LANGUAGES", ",".join(site.settings.languages))

    def run(*args: str) -> tuple[int, str]:
        with pytest.raises(SystemExit) as exit_:
            main(list(args))
        out = capsys.readouterr()
        return int(exit_.value.code or 0), out.out + out.err

    code, out = run("tasks", "--json", "--state", "queued,claimed")
    assert code == 0, out
    listed = json.loads(out)["tasks"]
    assert listed and {t["state"] for t in listed} <= {"queued", "claimed"}
    assert json.loads(run("tasks", "--json", "--state", "queued", "--state", "claimed")[1]) == {
        "tasks": listed
    }
    code, out = run("tasks", "--state", "queued,waiting")
    assert code == 64 and "waiting" in out
    code, out = run("status", "--json", "--state", "stale,missing")
    assert code == 0, out
    keys = [p["key"] for p in json.loads(out)["posts"]]
    assert keys and "grain-corridor" in keys
    code, out = run("status", "--json", "--state", "stale", "--state", "missing")
    assert [p["key"] for p in json.loads(out)["posts"]] == keys
    code, out = run("status", "--state", "stale,gone")
    assert code == 64 and "gone" in out
