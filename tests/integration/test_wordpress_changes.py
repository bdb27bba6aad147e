"""What editors do in WordPress between two scans, read by the next incremental scan as a
full pass (a reconciliation) would read it: translations unlinked, linked into another
group, a language changed, a permalink changed, a post deleted for good. Against the real
WordPress of tests/wordpress/, with the site of test_wordpress.py."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from sync.config import Settings
from sync.db.models import SourceState
from sync.db.session import transaction
from sync.scanning import run_scan
from tests.conftest import make_settings
from tests.helpers.tracking import status
from tests.integration.test_wordpress import build_real, on_wp
from tests.wordpress.harness import WordPress


@pytest.fixture
def lite(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url, languages="en,tr,ru")


def versions(settings: Settings) -> dict[str, dict[str, tuple[str, str | None]]]:
    """Post key → language → (state, origin)."""
    return {
        p["key"]: {lang: (v["state"], v.get("origin")) for lang, v in p["versions"].items()}
        for p in status(settings)["posts"]
    }


def reconcile(settings: Settings, spec: str) -> None:
    """A full pass, as TRANSYNC_WP_RECONCILE_HOURS makes one."""
    with transaction(settings.database_url) as s:
        s.execute(
            update(SourceState).values(
                reconciled_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
            )
        )
    report = run_scan(settings, [spec])
    assert report is not None and not report.problems, report and report.problems


def test_translations_unlinked_relinked_and_moved(lite: Settings, real_wp: WordPress) -> None:
    """Unlinking the Turkish energy post from the source's Languages box saves the source
    only; the translation keeps its modified time. The next incremental scan must not go on
    calling it the current translation: it reads the group's other posts too. The grain
    page's translation set to Russian, and digital's new permalink, are the same versions."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    real_wp.php(
        {"op": "link", "id": ids["energy"], "translations": {"ru": ids["energy-ru"]}},
        {"op": "language", "id": ids["grain-tr"], "lang": "ru"},
        {"op": "update", "id": ids["digital"], "slug": "digital-public-services"},
    )
    report = run_scan(settings, [spec])
    assert report is not None and not report.problems, report.problems
    url = real_wp.url
    seen = versions(settings)
    energy, grain, digital = (f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    assert seen[energy]["tr"] == ("missing", None)
    assert seen[energy]["ru"] == ("current", f"{url}/?p={ids['energy-ru']}")
    unlinked = f"wp-{ids['energy-tr']}"
    assert seen[unlinked]["tr"] == ("source", f"{url}/karadeniz-enerji/")
    assert seen[grain]["tr"] == ("missing", None)
    assert seen[grain]["ru"] == ("current", f"{url}/tahil-koridoru/")
    assert seen[digital]["en"] == ("source", f"{url}/digital-public-services/")
    assert report.deleted == 2 and report.new_versions == 2  # energy tr, grain tr; ru
    reconcile(settings, spec)
    assert versions(settings) == seen


def test_a_translation_linked_into_another_group(lite: Settings, real_wp: WordPress) -> None:
    """The Turkish energy post linked to digital from its own screen (the energy posts keep
    their modified time; Polylang unlinks each post it no longer names, so the Russian
    draft leaves the English post too) becomes digital's Turkish version, under digital's
    key, not a post of a new key; the grain page's translation deleted for good, then the page
    edited, is missing at the next incremental scan, not at the next full pass."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    real_wp.php(
        {"op": "link", "id": ids["energy-tr"], "translations": {"en": ids["digital"]}},
        {"op": "delete", "id": ids["grain-tr"]},
        {"op": "update", "id": ids["grain"], "title": "About the grain corridor, 2024"},
    )
    report = run_scan(settings, [spec])
    assert report is not None and not report.problems, report.problems
    energy, grain, digital = (f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    seen = versions(settings)
    ru = f"wp-{ids['energy-ru']}"
    assert sorted(seen) == sorted([energy, ru, grain, digital])
    assert seen[energy]["tr"] == seen[energy]["ru"] == ("missing", None)
    assert seen[ru]["ru"] == ("source", f"{real_wp.url}/?p={ids['energy-ru']}")
    assert seen[digital]["tr"][1] == f"{real_wp.url}/karadeniz-enerji/"
    assert seen[grain]["tr"] == ("missing", None)
    reconcile(settings, spec)
    assert versions(settings) == seen
