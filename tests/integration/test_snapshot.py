"""The matrix snapshot the web shares between requests: it holds until the next event, is
never fooled by a transaction that commits an older event id late, and its memo goes
with it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from sync import status
from sync.config import Settings
from sync.db.models import Version
from sync.db.session import get_sessionmaker, transaction
from sync.history import record
from sync.scanning import run_scan
from sync.status import snapshot
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def _forget_snapshots() -> None:
    status._SNAPSHOTS.clear()


def stale_count(snap: status.Snapshot) -> int:
    return sum(1 for r in snap.rows for c in r.cells.values() if str(c.state) == "stale")


def make_stale(session: Session, settings: Settings, post_key: str) -> None:
    """A translation of `post_key` based on revision 0: stale, with an event, as a scan
    would record it."""
    (row,) = status.load_rows(session, settings, [post_key])
    version = next(
        c.version
        for lang, c in row.cells.items()
        if lang != row.post.source_lang and c.version is not None
    )
    session.execute(update(Version).where(Version.id == version.id).values(based_on_revision=0))
    record(session, "stale", "test", row.post.id, version.lang)


def test_snapshot_holds_until_the_next_event_and_drops_its_memo(db_url: str, content: Path) -> None:
    settings = make_settings(db_url)
    run_scan(settings, [str(content)])
    with transaction(db_url) as s:
        first = snapshot(s, settings)
        assert first.exact  # nothing else was running
        calls = []
        assert first.memo("k", lambda: calls.append(1) or "v") == "v"
        assert first.memo("k", lambda: calls.append(1) or "w") == "v"
        assert calls == [1]
    with transaction(db_url) as s:
        assert snapshot(s, settings) is first  # no event since: the same rows, the same memo
        key = first.rows[0].post.key
        make_stale(s, settings, key)
    with transaction(db_url) as s:
        second = snapshot(s, settings)
    assert second is not first and second.newest > first.newest
    assert stale_count(second) == stale_count(first) + 1
    assert second.memo("k", lambda: "fresh") == "fresh"


def test_a_late_commit_of_an_older_event_id_is_not_missed(
    pg_url: str, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL hands out ids at insert: A takes id n, B takes n+1 and commits, a snapshot
    is loaded (it sees n+1), then A commits. The snapshot knew A was running, so it is not
    exact and is trusted for SNAPSHOT_TTL only."""
    settings = make_settings(pg_url)
    run_scan(settings, [str(content)])
    maker = get_sessionmaker(pg_url)
    with maker() as s:
        keys = [r.post.key for r in status.load_rows(s, settings)]
    slow = maker()
    slow.begin()
    make_stale(slow, settings, keys[0])  # A: takes the older id, commits later
    slow.flush()
    with transaction(pg_url) as s:
        make_stale(s, settings, keys[1])  # B: the newer id, committed first
    with transaction(pg_url) as s:
        seen = snapshot(s, settings)
    assert not seen.exact
    slow.commit()
    slow.close()
    with transaction(pg_url) as s:
        assert snapshot(s, settings) is seen  # within the age limit: served as it was
    monkeypatch.setattr(status, "SNAPSHOT_TTL", 0.0)
    with transaction(pg_url) as s:
        fresh = snapshot(s, settings)  # the age limit passed: reloaded, A's change is in
    assert fresh is not seen and fresh.newest == seen.newest
    assert stale_count(fresh) == stale_count(seen) + 1
    assert fresh.exact
