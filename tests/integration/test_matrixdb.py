"""`transync status --json` reads with the database driver alone and writes as it reads: the
same bytes as the document built whole through SQLAlchemy, on SQLite and PostgreSQL, with
filters, pages and word rates; and without importing SQLAlchemy at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.matrix import Filters, status_document, stream_document
from sync.matrixdb import connect, iter_rows
from sync.queue import claim
from sync.scanning import run_scan
from sync.status import load_rows
from tests.conftest import make_settings
from tests.web.site import change_energy_source

VARIANTS = [
    {},
    {"filters": Filters(langs=("tr",))},
    {"filters": Filters(states=("stale", "missing"))},
    {"filters": Filters(post="energy*", baselines=("assumed",))},
    {"page": 2, "per_page": 3},
    {"page": 9, "per_page": 50},  # past the end: no posts, the total still counted
]


@pytest.fixture
def filled(db_url: str, content: Path) -> Settings:
    """The demo content scanned, a source edited and scanned again, a task claimed."""
    settings = make_settings(db_url, word_rate="tr=0.08,ru=0.07")
    run_scan(settings, [f"fs:{content}"])
    change_energy_source(content)
    run_scan(settings, [f"fs:{content}"])
    from sync.people import add_user

    with transaction(settings.database_url) as session:
        add_user(session, settings, "ayse", role="translator", langs=["tr"])
    with transaction(settings.database_url) as session:
        assert claim(session, settings, "ayse", "tr") is not None
    return settings


def test_the_driver_alone_reads_what_sqlalchemy_reads(filled: Settings) -> None:
    settings = filled
    with transaction(settings.database_url) as session:
        rows = load_rows(session, settings)
    conn, marker = connect(settings.database_url)
    try:
        fast = list(iter_rows(conn, marker, settings, batch=2))  # several rounds of queries
    finally:
        conn.close()
    assert [r.post.key for r in fast] == [r.post.key for r in rows]
    for kwargs in VARIANTS:
        whole = status_document(rows, settings, **kwargs)
        for indent, separators in ((None, None), (2, None), (None, (",", ":"))):
            streamed = "".join(
                stream_document(fast, settings, indent=indent, separators=separators, **kwargs)
            )
            assert streamed == json.dumps(
                whole, ensure_ascii=False, indent=indent, separators=separators
            ), (kwargs, indent)
    assert any(c.state == "stale" for r in fast for c in r.cells.values())
    assert "cost_pending" in status_document(rows, settings)["summary"]["tr"]


def test_status_json_needs_no_sqlalchemy(filled: Settings, tmp_path: Path) -> None:
    """The command's output is the document's JSON; SQLAlchemy is never imported for it."""
    env = {
        **os.environ,
        "TRANSYNC_DATABASE_URL": filled.database_url,
        "TRANSYNC_WORD_RATE": "tr=0.08,ru=0.07",
        "TRANSYNC_CONFIG": "/nonexistent",
    }
    code = (
        "import sys\nsys.argv = ['transync', 'status', '--json', '--lang', 'tr']\n"
        "from sync.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'NONE', file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert done.stderr.strip().endswith("NONE"), done.stderr[-2000:]
    with transaction(filled.database_url) as session:
        rows = load_rows(session, filled)
    expected = status_document(rows, filled, Filters(langs=("tr",)))
    assert done.stdout == json.dumps(expected, ensure_ascii=False) + "\n"


def test_status_json_on_a_database_with_no_schema_says_init(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for url in (f"sqlite:///{tmp_path / 'missing.db'}", f"sqlite:///{empty}"):
        done = subprocess.run(
            [str(Path(sys.executable).parent / "transync"), "status", "--json"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "TRANSYNC_DATABASE_URL": url},
            timeout=60,
        )
        assert done.returncode == 1 and "transync init" in done.stderr, done.stderr
        assert done.stdout == "" and "Traceback" not in done.stderr
