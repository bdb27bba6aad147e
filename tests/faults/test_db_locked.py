"""A SQLite database another program keeps locked (a long transaction: a stuck script, a
`sqlite3` shell left in BEGIN IMMEDIATE): every `transync` command that writes waits for it,
then says which database is locked and what to do, in one line (not the driver's error with
the SQL it ran), and exits 1 with nothing changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

import sync.db
from sync.config import Settings
from tests.conftest import make_settings
from tests.helpers.tracking import add_people, db_snapshot, scan, transync

pytestmark = pytest.mark.faults


@pytest.fixture
def locked(sqlite_url: str, content: Path, tmp_path: Path) -> Iterator[Settings]:
    """A scanned database whose write lock another connection holds; connections wait a
    second for it, not a minute."""
    settings = make_settings(sqlite_url, locales_dir=str(tmp_path / "locales"))
    scan(settings, content)
    add_people(settings)
    before = db_snapshot(settings)
    holder = sqlite3.connect(sqlite_url.split(":///", 1)[1], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with mock.patch.object(sync.db, "BUSY_SECONDS", 1):
        sync.db.session.dispose_all()  # engines made from here on wait one second
        yield settings
    holder.execute("ROLLBACK")
    holder.close()
    assert db_snapshot(settings) == before


@pytest.mark.parametrize(
    "args",
    [
        ("scan", "{content}"),
        ("claim", "--as", "ayse", "--lang", "tr"),
        ("translators", "add", "zeynep", "--langs", "tr"),
        ("export",),
    ],
)
def test_a_locked_database_is_named_in_one_line(
    locked: Settings, content: Path, args: tuple[str, ...]
) -> None:
    argv = [a.format(content=content) for a in args]
    code, out, err = transync(locked, *argv)
    assert code == 1, (out, err)
    path = locked.database_url.split(":///", 1)[1]
    assert f"the database {path} is locked" in err, err
    assert "try again" in err
    assert "SQL:" not in err and "Traceback" not in err and "sqlalche.me" not in err, err
    assert len(err.strip().splitlines()) == 1, err


def test_a_rescan_of_a_locked_database_waits_once(locked: Settings, content: Path) -> None:
    """The quick rescan (nothing changed) found the database locked: the full scan, which
    would wait as long again to find it still locked, does not run."""
    with mock.patch("sync.scanning.run_scan", side_effect=AssertionError("a second wait")):
        code, _out, err = transync(locked, "scan", str(content))
    assert code == 1 and "is locked" in err, err
