"""WXR exports scanned into the tracker, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import polib
from sqlalchemy import func, select

from sync.config import Settings
from sync.db.models import Post, Revision
from sync.db.session import transaction
from sync.export import export_catalogs
from sync.scanning import run_scan
from tests.conftest import DATA
from tests.integration.test_tracker import status

WXR = DATA / "wxr"


def test_polylang_export_tracked_and_exported(settings: Settings, tmp_path: Path) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert not report.problems and report.new_posts >= 2
    doc = status(settings)
    assert all(p["source_lang"] for p in doc["posts"])
    states = {(p["key"], lang): v["state"] for p in doc["posts"]
              for lang, v in p["versions"].items()}
    assert "current" in states.values() and "missing" in states.values()
    # a rescan of the same file changes nothing
    again = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert again.new_revisions == 0 and again.deleted == 0
    export_catalogs(settings, directory=tmp_path)
    tr = polib.pofile(str(tmp_path / "tr/LC_MESSAGES/posts.po"))
    assert any("https://" in o for e in tr for o, _ in e.occurrences)


def test_wpml_export(settings: Settings) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'wpml.xml'}"])
    assert not report.problems
    assert any(p["key"].startswith("wpml-") for p in status(settings)["posts"])


def test_truncated_wxr_applies_nothing(settings: Settings) -> None:
    report = run_scan(settings, [f"wxr:{DATA / 'bad/wxr/truncated.xml'}"])
    assert len(report.problems) == 1 and report.problems[0].fatal
    assert "malformed WXR" in report.problems[0].reason and report.problems[0].line
    with transaction(settings.database_url) as s:
        assert s.execute(select(func.count()).select_from(Post)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Revision)).scalar_one() == 0


def test_broken_maps_and_languages_reported_rest_scanned(settings: Settings) -> None:
    for name, needle, read in (("bad-serialized.xml", "serialized", 5),
                               ("unknown-lang.xml", "'de'", 2)):
        report = run_scan(settings, [f"wxr:{WXR / name}"])
        assert any(needle in p.reason for p in report.problems), report.problems
        assert report.files == read  # every other item was read
    report = run_scan(settings, [f"wxr:{WXR / 'no-group.xml'}"])
    assert any(p["key"].startswith("wp-") for p in status(settings)["posts"])
