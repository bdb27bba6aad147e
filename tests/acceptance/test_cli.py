"""The `transync` command as a user runs it: exit codes, JSON contracts, the demo tree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, EXAMPLES

BIN = Path(sys.executable).parent / "transync"


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TRANSYNC_")}
    full.update(
        {
            "TRANSYNC_DATABASE_URL": f"sqlite:///{cwd / 'transync.db'}",
            "TRANSYNC_BROKER_URL": f"sqla+sqlite:///{cwd / 'broker.db'}",
            "TRANSYNC_LOCALES_DIR": str(cwd / "locales"),
            "COLUMNS": "200",
        }
    )
    full.update(env or {})
    return subprocess.run(
        [str(BIN), *args], cwd=cwd, env=full, capture_output=True, text=True, timeout=120
    )


def ok(proc: subprocess.CompletedProcess, code: int = 0) -> str:
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture
def site(tmp_path: Path) -> Path:
    shutil.copytree(EXAMPLES / "content", tmp_path / "content")
    ok(run(tmp_path, "init"))
    return tmp_path


def as_json(proc: subprocess.CompletedProcess) -> Any:
    return json.loads(ok(proc))


def test_init_is_idempotent(site: Path) -> None:
    assert "up to date" in ok(run(site, "init"))


def test_scan_status_json_contract(site: Path) -> None:
    ok(run(site, "scan", "content"))
    doc = as_json(run(site, "status", "--json"))
    assert set(doc) == {"languages", "posts", "summary"}
    post = next(p for p in doc["posts"] if p["key"] == "energy-security")
    assert set(post) >= {
        "key",
        "source_lang",
        "source_revision",
        "source_hash",
        "title",
        "draft",
        "versions",
    }
    assert post["versions"]["en"] == {
        "state": "source",
        "words": 284,
        "revision": 1,
        "draft": False,
        "origin": "en/posts/energy-security.md",
    }
    assert doc["summary"]["en"]["source"] == 6
    filtered = as_json(run(site, "status", "--json", "--state", "missing", "--lang", "ru"))
    assert [p["key"] for p in filtered["posts"]] == ["grain-corridor"]
    assert set(filtered["posts"][0]["versions"]) == {"ru"}
    paged = as_json(run(site, "status", "--json", "--page", "2", "--per-page", "3"))
    assert (paged["page"], paged["per_page"], paged["total"]) == (2, 3, 7)
    assert len(paged["posts"]) == 3


def test_scan_with_bad_inputs_exits_2_and_names_each(tmp_path: Path) -> None:
    shutil.copytree(DATA / "bad" / "content", tmp_path / "bad")
    ok(run(tmp_path, "init"))
    proc = run(tmp_path, "scan", "bad")
    assert proc.returncode == 2
    assert "skipped: 1 unconfigured language" in proc.stdout  # xx/posts/unknown-lang.md
    for name in ("not-utf8.md", "bad-yaml.md:4", "alias-bomb.md", "dup-one.md", "dup-two.md"):
        assert name in proc.stderr
    assert "Traceback" not in proc.stderr


def test_errors_are_one_clear_line_and_exit_1(site: Path) -> None:
    proc = run(site, "diff", "no-such-post", "tr")
    assert proc.returncode == 1
    assert "no post with key 'no-such-post'" in proc.stderr and "Traceback" not in proc.stderr
    proc = run(site, "scan", "does/not/exist")
    assert proc.returncode == 1 and "does/not/exist" in proc.stderr


def test_claim_nothing_exits_3(site: Path) -> None:
    ok(run(site, "translators", "add", "ayse", "--langs", "tr"))
    proc = run(site, "claim", "--as", "ayse", "--lang", "tr", "--json")
    assert proc.returncode == 3 and json.loads(proc.stdout) == {"task": None}


def test_edit_diff_ack_and_log(site: Path) -> None:
    ok(run(site, "scan", "content"))
    path = site / "content/en/posts/energy-security.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "Offshore gas is the region's biggest new asset.", "Offshore gas is the main asset."
        ),
        encoding="utf-8",
    )
    ok(run(site, "scan", "content"))
    diff = as_json(run(site, "diff", "energy-security", "tr", "--json"))
    assert diff["changed_segments"] == 1
    assert "- Offshore gas is the region" in ok(run(site, "diff", "energy-security", "tr"))
    ok(run(site, "ack", "energy-security", "--lang", "tr", "--as", "editor"))
    doc = as_json(run(site, "status", "--json", "--post", "energy-security"))
    assert doc["posts"][0]["versions"]["tr"]["state"] == "current"
    events = as_json(run(site, "log", "energy-security", "--json"))["events"]
    assert any(e["kind"] == "ack" and e["actor"] == "editor" for e in events)


def test_python_dash_m_sync(site: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sync", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "scan" in proc.stdout


def test_toml_config_and_env_precedence(tmp_path: Path) -> None:
    (tmp_path / "transync.toml").write_text(
        'languages = "en,tr"\nsource_lang = "tr"\n', encoding="utf-8"
    )
    ok(run(tmp_path, "init"))
    shutil.copytree(DATA / "content", tmp_path / "content")
    proc = run(tmp_path, "scan", "content")
    # a file of a language that is not configured is skipped and counted, not an error
    assert proc.returncode == 0 and "unconfigured language" in proc.stdout
    doc = as_json(run(tmp_path, "status", "--json"))
    assert doc["languages"] == ["en", "tr"]
    doc = as_json(run(tmp_path, "status", "--json", env={"TRANSYNC_LANGUAGES": "en,tr,ru"}))
    assert doc["languages"] == ["en", "tr", "ru"]
