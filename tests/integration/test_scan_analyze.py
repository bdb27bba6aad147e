"""A large scan on PostgreSQL refreshes the planner's statistics of the tables it filled, so
the export and the web that follow do not plan with guesses."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from sync import scanning
from sync.db.session import transaction
from tests.conftest import make_settings


def analyzed(url: str) -> dict[str, bool]:
    with transaction(url) as s:
        rows = s.execute(
            text(
                "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname IN ('versions', 'revisions', 'segments')"
            )
        ).all()
    return dict(rows)  # type: ignore[arg-type]


def test_a_large_scan_analyzes_what_it_filled(
    pg_url: str, content: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(pg_url)
    monkeypatch.setattr(scanning, "ANALYZE_AFTER", 10_000)
    scanning.run_scan(settings, [str(content)])  # the demo: a handful of revisions
    assert not any(analyzed(pg_url).values())
    (content / "en/posts/extra.md").write_text("---\ntitle: Extra\n---\n\nOne more.\n")
    monkeypatch.setattr(scanning, "ANALYZE_AFTER", 1)
    scanning.run_scan(settings, [str(content)])
    assert analyzed(pg_url) == {"versions": True, "revisions": True, "segments": True}
