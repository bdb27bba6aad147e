"""WordPress through its REST API and its exports, against a real WordPress (Debian's
package on PHP's built-in server and a private MariaDB, tests/wordpress/): Polylang Pro,
WPML's REST add-on, the community WP REST - Polylang fields and free Polylang; first and
incremental scans, trash and reconciliation, write-back (a linked draft, then updates, a
retry after a dropped connection, a conflict when WordPress changed first), Gutenberg block
attributes, and WordPress's own export scanned to the same matrix as the REST API.

tests/wpstub.py, a stand-in written in Python, stays for the faults a real server does not
make on demand: 429 with Retry-After, 500 and 503, answers that come too late, and
markup a different theme would render."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import polib
import pytest
from sqlalchemy import select, update

from sync.config import Settings
from sync.db.migrate import upgrade
from sync.db.models import Memory, Segment, SourceState, Task, Version
from sync.db.session import transaction
from sync.errors import ConfigError, ConflictError, SourceError
from sync.export import export_catalogs
from sync.pofiles import submit_segments
from sync.queue import claim
from sync.scanning import run_scan
from sync.sources import open_source
from sync.sources.base import Document
from sync.sources.wordpress import WordPressSite
from sync.submission import resolve
from sync.taskview import task_detail
from sync.tracker import Scan
from sync.words import count_words
from sync.writeback import write_translation
from tests.conftest import make_settings
from tests.helpers.tracking import EDITOR, add_people, open_task, status, transync
from tests.wordpress.harness import WordPress
from tests.wpstub import WordPressStub

ENERGY_EN = """<!-- wp:paragraph -->
<p>Offshore gas is the region's biggest new asset.</p>
<!-- /wp:paragraph -->

<!-- wp:heading -->
<h2 class="wp-block-heading">Pipelines and ports</h2>
<!-- /wp:heading -->

<!-- wp:paragraph -->
<p>Three terminals now handle <strong>most</strong> of the exports.</p>
<!-- /wp:paragraph -->"""
ENERGY_TR = """<!-- wp:paragraph -->
<p>Açık deniz gazı, bölgenin en büyük yeni varlığı.</p>
<!-- /wp:paragraph -->

<!-- wp:heading -->
<h2 class="wp-block-heading">Boru hatları ve limanlar</h2>
<!-- /wp:heading -->

<!-- wp:paragraph -->
<p>Artık ihracatın <strong>çoğunu</strong> üç terminal karşılıyor.</p>
<!-- /wp:paragraph -->"""
ENERGY_RU = """<!-- wp:paragraph -->
<p>Шельфовый газ — крупнейший новый актив региона.</p>
<!-- /wp:paragraph -->

<!-- wp:heading -->
<h2 class="wp-block-heading">Трубопроводы и порты</h2>
<!-- /wp:heading -->

<!-- wp:paragraph -->
<p>Теперь три терминала обрабатывают <strong>бо́льшую часть</strong> экспорта.</p>
<!-- /wp:paragraph -->"""
GRAIN_EN = "The corridor reopened in August.\n\nShips sail close to the coast, under escort."
GRAIN_TR = "Koridor ağustosta yeniden açıldı.\n\nGemiler refakat altında kıyıya yakın seyrediyor."
DIGITAL_EN = """<!-- wp:paragraph -->
<p>Most public services can now be used online.</p>
<!-- /wp:paragraph -->

<!-- wp:paragraph -->
<p>Citizens sign documents with an <em>e-signature</em>.</p>
<!-- /wp:paragraph -->"""
DIGITAL_TR = [
    "Dijital kamu hizmetleri",
    "Kamu hizmetlerinin çoğu artık çevrim içi kullanılabiliyor.",
    "Vatandaşlar belgeleri <em>e-imza</em> ile imzalıyor.",
]


# -- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def lite(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url, languages="en,tr,ru")


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(WordPressSite, "sleep", staticmethod(waited.append))
    return waited


def post(settings: Settings, key: str) -> dict[str, Any]:
    return next(p for p in status(settings)["posts"] if p["key"] == key)


def keys(settings: Settings) -> list[str]:
    return [p["key"] for p in status(settings)["posts"]]


def source_hash(settings: Settings, key: str) -> str:
    return str(post(settings, key)["source_hash"])


def write(settings: Settings, key: str, lang: str, title: str, body: str) -> Any:
    with transaction(settings.database_url) as s:
        return write_translation(
            s,
            settings,
            key=key,
            lang=lang,
            title=title,
            body=body,
            source_hash=source_hash(settings, key),
            actor="test",
        )


def fresh(path: Path, **overrides: Any) -> Settings:
    """Settings on a new, migrated SQLite database at `path`."""
    settings = make_settings(f"sqlite:///{path}", **{"languages": "en,tr,ru", **overrides})
    upgrade(settings.database_url)
    return settings


def matrix(settings: Settings) -> dict[str, Any]:
    """The status matrix by source title: source language and hash, and per language the
    state, draft flag, origin and segment count; what two reads of one site must agree on."""
    out = {}
    for p in status(settings)["posts"]:
        out[p["title"]] = (
            p["source_lang"],
            p["source_hash"],
            {
                lang: (v["state"], v.get("draft"), v.get("origin"), v.get("total_segments"))
                for lang, v in sorted(p["versions"].items())
            },
        )
    return out


# -- the real WordPress -------------------------------------------------------------------------

NAMES = ("energy", "energy-tr", "energy-ru", "grain", "grain-tr", "digital")


def build_real(site: WordPress, **options: Any) -> dict[str, int]:
    """The site of these tests, made through WordPress's PHP API: energy (en, tr, a ru
    draft), the grain page (en, tr; classic editor), digital (en only); written two hours
    before the test, so an incremental read sees only what a test changes."""
    created = site.php(
        {
            "op": "create",
            "title": "Energy security in the Black Sea",
            "content": ENERGY_EN,
            "lang": "en",
            "slug": "energy-security",
        },
        {
            "op": "create",
            "title": "Karadeniz'de enerji güvenliği",
            "content": ENERGY_TR,
            "lang": "tr",
            "slug": "karadeniz-enerji",
            "translation_of": "#0",
        },
        {
            "op": "create",
            "title": "Энергетическая безопасность в Черноморском регионе",
            "content": ENERGY_RU,
            "lang": "ru",
            "slug": "energeticheskaya",
            "status": "draft",
            "translation_of": "#0",
        },
        {
            "op": "create",
            "title": "About the grain corridor",
            "content": GRAIN_EN,
            "lang": "en",
            "type": "page",
            "slug": "grain-corridor",
        },
        {
            "op": "create",
            "title": "Tahıl koridoru hakkında",
            "content": GRAIN_TR,
            "lang": "tr",
            "type": "page",
            "slug": "tahil-koridoru",
            "translation_of": "#3",
        },
        {
            "op": "create",
            "title": "Digital public services",
            "content": DIGITAL_EN,
            "lang": "en",
            "slug": "digital-services",
        },
        {"op": "age", "hours": 2},
    )
    return dict(zip(NAMES, created, strict=False))


def on_wp(settings: Settings, site: WordPress, *, auth: bool = True, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"languages": ("en", "tr", "ru")}
    if auth:
        values.update(wp_user=site.user, wp_app_password=site.password)
    return dataclasses.replace(settings, **{**values, **overrides})


def listings(site: WordPress) -> list[tuple[str, dict[str, str]]]:
    """The GET listings WordPress answered since the test began: path and query."""
    out = []
    for method, target in site.proxy.requests:
        parts = urlsplit(target)
        if method == "GET" and parts.path.rstrip("/").endswith(("/posts", "/pages")):
            out.append((parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}))
    return out


def posts_in(site: WordPress, lang: str, post_type: str | None = None) -> list[dict[str, Any]]:
    (found,) = site.php({"op": "posts"})
    return [p for p in found if p["lang"] == lang and post_type in (None, p["type"])]


# -- reading ------------------------------------------------------------------------------------


def test_first_scan_polylang_pro(settings: Settings, real_wp: WordPress) -> None:
    ids = build_real(real_wp)
    settings = on_wp(settings, real_wp)
    spec = f"wp:{real_wp.url}"
    report = run_scan(settings, [spec])
    assert report is not None and not report.problems, report and report.problems
    assert sorted(keys(settings)) == sorted(f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    energy = post(settings, f"wp-{ids['energy']}")
    assert energy["source_lang"] == "en" and energy["title"] == "Energy security in the Black Sea"
    versions = energy["versions"]
    assert versions["en"]["origin"] == f"{real_wp.url}/energy-security/"
    assert versions["tr"]["state"] == "current" and not versions["tr"]["draft"]
    assert versions["ru"]["draft"]
    assert versions["ru"]["origin"] == f"{real_wp.url}/?p={ids['energy-ru']}"
    grain = post(settings, f"wp-{ids['grain']}")["versions"]
    assert grain["tr"]["state"] == "current" and grain["ru"]["state"] == "missing"
    assert post(settings, f"wp-{ids['digital']}")["versions"]["tr"]["state"] == "missing"
    (tr,) = real_wp.php({"op": "get", "id": ids["energy-tr"]})
    with transaction(settings.database_url) as s:
        front = s.execute(
            select(Version.front_matter).where(Version.external_id == str(ids["energy-tr"]))
        ).scalar_one()
        state = s.get(SourceState, spec)
        assert state is not None and state.reconciled_at is not None
    assert front == {
        "wp_post_id": ids["energy-tr"],
        "type": "post",
        "status": "publish",
        "slug": "karadeniz-enerji",
        "link": f"{real_wp.url}/karadeniz-enerji/",
        "modified_gmt": tr["modified_gmt"].replace(" ", "T"),
    }
    with transaction(settings.database_url) as s:
        # the words the reader counted while it waited for WordPress are sync.words' own
        texts = s.execute(select(Segment.text, Segment.words)).all()
        assert texts and all(n == count_words(t) for t, n in texts)
        learned = s.execute(select(Memory.source_text, Memory.target_text, Memory.origin)).all()
    # the Turkish translation is current: translation memory learned its pairs
    title = ("Energy security in the Black Sea", "Karadeniz'de enerji güvenliği")
    assert (*title, f"wp-{ids['energy']} [tr]") in learned
    listed = listings(real_wp)
    assert {path for path, _ in listed} == {"/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"}
    for _, params in listed:
        assert params["context"] == "edit" and params["orderby"] == "id"
        assert params["per_page"] == "100" and "trash" in params["status"].split(",")
    again = run_scan(settings, [spec])
    assert again is not None and again.new_revisions == again.new_versions == 0
    assert again.files == 0 and again.deleted == 0  # nothing changed since: nothing listed


@pytest.mark.parametrize("timezone", ["UTC", "America/Los_Angeles", "Asia/Tokyo"])
def test_an_edit_in_wordpress_then_an_incremental_scan(
    lite: Settings, real_wp: WordPress, timezone: str
) -> None:
    """WordPress filters modified_after on its local times: a site east or west of UTC
    lists the edit all the same."""
    real_wp.php({"op": "option", "name": "timezone_string", "value": timezone})
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run_scan(settings, [spec])
    real_wp.proxy.requests.clear()
    real_wp.php(
        {
            "op": "update",
            "id": ids["energy"],
            "content": ENERGY_EN.replace("biggest new asset", "biggest asset"),
        }
    )
    report = run_scan(settings, [spec])
    assert report is not None and report.files == 1 and report.new_revisions == 1
    listed = listings(real_wp)
    # per type: what was modified since the cursor, and what was published since (a
    # scheduled post cron publishes keeps its modified time)
    posts, pages = "/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"
    assert [path for path, _ in listed] == [posts, posts, pages, pages]
    for n, (_, params) in enumerate(listed):
        field = "modified_after" if n % 2 == 0 else "after"
        assert params["orderby"] == ("modified" if field == "modified_after" else "date")
        assert params["order"] == "asc"
        since = dt.datetime.fromisoformat(params[field].replace("Z", "+00:00"))
        # the first read's server time, less a minute of overlap
        assert before - dt.timedelta(seconds=62) <= since <= before - dt.timedelta(seconds=55)
    versions = post(settings, f"wp-{ids['energy']}")["versions"]
    assert versions["en"]["revision"] == 2
    assert versions["tr"]["state"] == "stale" and versions["tr"]["changed_segments"] == 1
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "current"


def test_trash_and_reconciliation(lite: Settings, real_wp: WordPress) -> None:
    """A trashed translation is seen by the next read (trash is listed); a post deleted for
    good only by a reconciliation, a full pass in id order."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    real_wp.php({"op": "trash", "id": ids["grain-tr"]})
    report = run_scan(settings, [spec])
    assert report is not None and report.deleted == 1
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "missing"
    real_wp.php({"op": "delete", "id": ids["energy-tr"]})  # emptied from the trash at once
    report = run_scan(settings, [spec])
    assert report is not None and report.deleted == 0  # an incremental read cannot see it
    assert post(settings, f"wp-{ids['energy']}")["versions"]["tr"]["state"] == "current"
    with transaction(settings.database_url) as s:
        s.execute(
            update(SourceState).values(
                reconciled_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
            )
        )
    real_wp.proxy.requests.clear()
    report = run_scan(settings, [spec])
    assert report is not None and report.deleted == 1
    assert all(p["orderby"] == "id" and "modified_after" not in p for _, p in listings(real_wp))
    assert post(settings, f"wp-{ids['energy']}")["versions"]["tr"]["state"] == "missing"
    assert post(settings, f"wp-{ids['energy']}")["versions"]["ru"]["draft"]
    # restored from the trash: the translation is back, current as before
    real_wp.php(
        {"op": "untrash", "id": ids["grain-tr"]},
        {"op": "update", "id": ids["grain-tr"], "status": "publish"},
    )
    report = run_scan(settings, [spec])
    assert report is not None and not report.problems
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "current"


def test_published_draft_keeps_its_version(lite: Settings, real_wp: WordPress) -> None:
    """Publishing the ru draft changes its link (?p=… → /slug/): the same version."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp, wp_reconcile_hours=0.0)
    run_scan(settings, [f"wp:{real_wp.url}"])
    real_wp.php({"op": "update", "id": ids["energy-ru"], "status": "publish"})
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and report.deleted == 0 and report.new_versions == 0
    ru = post(settings, f"wp-{ids['energy']}")["versions"]["ru"]
    assert ru["state"] == "current" and ru["origin"] == f"{real_wp.url}/energeticheskaya/"
    assert not ru["draft"] and ru["revision"] == 1


def test_a_visitor_reads_what_wordpress_renders(lite: Settings, real_wp: WordPress) -> None:
    """Without credentials: published posts only, content.rendered (wptexturize's quotes,
    wpautop's paragraphs), titles with their entities decoded."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp, auth=False)
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems, report and report.problems
    assert all("context" not in p and "status" not in p for _, p in listings(real_wp))
    energy = post(settings, f"wp-{ids['energy']}")
    assert energy["versions"]["ru"]["state"] == "missing"  # a draft is invisible to visitors
    assert energy["versions"]["tr"]["state"] == "current"
    grain = post(settings, f"wp-{ids['grain']}")
    assert grain["versions"]["tr"]["total_segments"] == 3  # title and two autop paragraphs
    with transaction(settings.database_url) as s:
        title = s.execute(
            select(Version.title).where(Version.external_id == str(ids["energy-tr"]))
        ).scalar_one()
    assert title == "Karadeniz\u2019de enerji güvenliği"  # &#8217; decoded
    # a visitor's listing has no trash: the trashed translation is found by reconciliation
    real_wp.php({"op": "trash", "id": ids["grain-tr"]})
    again = run_scan(settings, [f"wp:{real_wp.url}"])
    assert again is not None and again.deleted == 0
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "current"
    again = run_scan(dataclasses.replace(settings, wp_reconcile_hours=0.0), [f"wp:{real_wp.url}"])
    assert again is not None and again.new_revisions == 0 and again.deleted == 1
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "missing"


def test_pages_of_a_listing(
    lite: Settings, real_wp: WordPress, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two posts a page: WordPress's X-WP-TotalPages is followed to the end."""
    monkeypatch.setattr("sync.sources.wordpress.listing.PER_PAGE", 2)
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems and report.new_versions == 6
    pages = [(path, p["page"], p["per_page"]) for path, p in listings(real_wp)]
    assert pages == [
        ("/wp-json/wp/v2/posts", "1", "2"),
        ("/wp-json/wp/v2/posts", "2", "2"),
        ("/wp-json/wp/v2/pages", "1", "2"),
    ]
    assert post(settings, f"wp-{ids['energy']}")["versions"]["ru"]["draft"]


def test_wpml_rest_add_on(lite: Settings, real_wp: WordPress) -> None:
    """wpml_translations leave out the post itself and the ru draft, and WPML lists one
    language at a time: still one post, every language listed."""
    real_wp.php({"op": "mode", "mode": "wpml"})
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems, report and report.problems
    assert sorted(keys(settings)) == sorted(f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    versions = post(settings, f"wp-{ids['energy']}")["versions"]
    assert versions["ru"]["draft"] and versions["ru"]["state"] == "current"
    assert versions["tr"]["state"] == "current"
    assert {p.get("lang") for _, p in listings(real_wp)} >= {"en", "tr", "ru"}
    real_wp.php({"op": "update", "id": ids["energy-ru"], "status": "publish"})
    run_scan(settings, [f"wp:{real_wp.url}"])
    assert len(keys(settings)) == 3
    assert not post(settings, f"wp-{ids['energy']}")["versions"]["ru"]["draft"]
    with pytest.raises(ConflictError, match="write-back is not available for WPML"):
        write(settings, f"wp-{ids['digital']}", "tr", DIGITAL_TR[0], "<p>x</p>")
    assert not [m for m, _ in real_wp.proxy.requests if m == "POST"]


def test_a_scheduled_post_published_by_cron_is_read_by_the_next_scan(
    lite: Settings, real_wp: WordPress
) -> None:
    """WordPress's cron publishes a scheduled post without touching its modified time: an
    incremental scan asks for what was published since too, so it is no draft here for a
    day (until the next full pass)."""
    build_real(real_wp)
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M:%S")
    (scheduled,) = real_wp.php(
        {
            "op": "create",
            "title": "Port fees in winter",
            "content": "<!-- wp:paragraph --><p>Fees rise.</p><!-- /wp:paragraph -->",
            "lang": "en",
            "status": "future",
            "date_gmt": soon,
        }
    )
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    key = f"wp-{scheduled}"
    assert post(settings, key)["versions"]["en"]["draft"]
    assert real_wp.php({"op": "publish_scheduled", "id": scheduled}) == ["publish"]
    real_wp.proxy.requests.clear()
    run_scan(settings, [spec])
    assert not post(settings, key)["versions"]["en"]["draft"]
    assert any("after" in query for _, query in listings(real_wp))


def test_a_language_not_configured_is_skipped_and_counted(
    lite: Settings, real_wp: WordPress
) -> None:
    """A site may publish languages transync does not track (Russian here): their posts are
    skipped and counted, as a content tree's folders are, not an error on every scan."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp, languages=("en", "tr"))
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems, report and report.problems
    assert report.skipped["unconfigured_language"] == 1  # the Russian draft
    assert sorted(post(settings, f"wp-{ids['energy']}")["versions"]) == ["en", "tr"]


def test_community_fields_and_free_polylang(
    lite: Settings, sqlite_url: str, real_wp: WordPress, tmp_path: Path
) -> None:
    """The same site read through Polylang Pro's fields, the community plugin's
    (polylang_current_lang, polylang_translations) and free Polylang's (none: reported
    once, by URL, nothing recorded), and its export read with wxr: all one matrix."""
    build_real(real_wp)
    pro = on_wp(lite, real_wp)
    run_scan(pro, [f"wp:{real_wp.url}"])
    expected = matrix(pro)
    assert len(expected) == 3

    real_wp.php({"op": "mode", "mode": "community"})
    community = on_wp(fresh(tmp_path / "community.db"), real_wp)
    report = run_scan(community, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems, report and report.problems
    assert matrix(community) == expected
    key = keys(community)[0]
    with pytest.raises(ConflictError, match="read-only"):
        write(community, key, "ru", "x", "<p>x</p>")

    real_wp.php({"op": "mode", "mode": "free"})
    free = on_wp(fresh(tmp_path / "free.db"), real_wp)
    report = run_scan(free, [f"wp:{real_wp.url}"])
    assert report is not None and len(report.problems) == 1
    (problem,) = report.problems
    assert problem.fatal and problem.origin == f"{real_wp.url}/wp-json/wp/v2/posts"
    for needle in (
        "gives no post a language",
        "Polylang Pro",
        "wpml-rest-api",
        "WP REST - Polylang",
        "wxr:FILE",
        "TRANSYNC_WP_DEFAULT_LANG",
    ):
        assert needle in problem.reason, problem.reason
    assert keys(free) == []
    code, out, err = transync(free, "scan", f"wp:{real_wp.url}")
    assert code == 2 and err.count("gives no post a language") == 1, (out, err)
    # what free Polylang keeps is in its export: wxr: reads it
    real_wp.php({"op": "export", "path": str(tmp_path / "free.xml")})
    exported = fresh(tmp_path / "wxr.db")
    report = run_scan(exported, [f"wxr:{tmp_path / 'free.xml'}"])
    assert report is not None and not report.problems, report and report.problems
    assert matrix(exported) == expected


def test_a_site_in_one_language(lite: Settings, real_wp: WordPress, tmp_path: Path) -> None:
    """No language plugin: TRANSYNC_WP_DEFAULT_LANG gives every post its language, through
    the REST API and in the export; a Polylang site's post without a language takes it too."""
    real_wp.php(
        {"op": "mode", "mode": "free"},
        {"op": "create", "title": "Annual report", "content": "<p>The year in review.</p>"},
        {"op": "create", "title": "Contact", "content": "<p>Write to us.</p>", "type": "page"},
        {"op": "age", "hours": 2},
    )
    settings = on_wp(lite, real_wp, wp_default_lang="en")
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and not report.problems and report.new_versions == 2
    rows = status(settings)["posts"]
    assert sorted(p["title"] for p in rows) == ["Annual report", "Contact"]
    assert all(p["source_lang"] == "en" and p["versions"]["tr"]["state"] == "missing" for p in rows)
    real_wp.php({"op": "export", "path": str(tmp_path / "one.xml")})
    for default, problems in (("en", 0), ("", 2)):
        other = fresh(tmp_path / f"one-{default}.db", wp_default_lang=default)
        report = run_scan(other, [f"wxr:{tmp_path / 'one.xml'}"])
        assert report is not None and len(report.problems) == problems
        if problems:
            assert all("has no language" in p.reason for p in report.problems)
        else:
            assert matrix(other) == matrix(settings)
    with pytest.raises(ConfigError, match="TRANSYNC_WP_DEFAULT_LANG=de"):
        run_scan(on_wp(lite, real_wp, wp_default_lang="de"), [f"wp:{real_wp.url}"])
    # Polylang Pro, one post left without a language: the default, or a problem of its own
    real_wp.php({"op": "mode", "mode": "polylang-pro"})
    plain = on_wp(fresh(tmp_path / "pro.db"), real_wp)
    report = run_scan(plain, [f"wp:{real_wp.url}"])
    assert report is not None and len(report.problems) == 2
    assert all(not p.fatal and "has no language" in p.reason for p in report.problems)


def test_errors_name_the_url_and_never_the_password(
    lite: Settings,
    real_wp: WordPress,
    sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    build_real(real_wp)
    spec = f"wp:{real_wp.url}"
    caplog.set_level(logging.DEBUG)
    secret = "wrong PASS 9999 zzzz"
    wrong = on_wp(lite, real_wp, wp_app_password=secret)
    right = on_wp(lite, real_wp)
    port = unused_port()
    cases = [
        # WordPress 6.1 answers a wrong application password as it answers a visitor: the
        # statuses transync asks for are "forbidden" (400 rest_invalid_param)
        (
            wrong,
            spec,
            [
                "400",
                "rest_invalid_param",
                "did not accept the credentials",
                "TRANSYNC_WP_APP_PASSWORD",
            ],
        ),
        # WordPress redirects an address it does not know to a post it guesses
        (
            right,
            f"wp:{real_wp.url}/blog",
            ["301", "no WordPress REST API", "/blog/wp-json/", "redirected to"],
        ),
        (right, f"wp:http://127.0.0.1:{port}", ["could not be sent", f"127.0.0.1:{port}"]),
    ]
    errors = []
    for settings, target, needles in cases:
        with pytest.raises(SourceError) as caught:
            run_scan(settings, [target])
        text = str(caught.value)
        assert target[3:] in text, text
        for needle in needles:
            assert needle in text, text
        errors.append(caught.value)
    (subscriber_password,) = real_wp.php({"op": "user", "login": "reader", "role": "subscriber"})
    reader = on_wp(lite, real_wp, wp_user="reader", wp_app_password=subscriber_password)
    with pytest.raises(SourceError) as caught:
        run_scan(reader, [spec])
    assert "may not edit posts" in str(caught.value) and "Editor role" in str(caught.value)
    errors.append(caught.value)
    half = on_wp(lite, real_wp, wp_app_password="")
    with pytest.raises(ConfigError, match="TRANSYNC_WP_APP_PASSWORD is empty"):
        run_scan(half, [spec])
    shown = [repr(open_source(spec, wrong)), caplog.text]
    for exc in errors:
        cause: BaseException | None = exc
        while cause is not None:
            shown += [str(cause), repr(cause), repr(getattr(cause, "args", ""))]
            cause = cause.__cause__ or cause.__context__
    for password in (secret, real_wp.password, subscriber_password):
        for text in shown:
            assert password not in text and password.replace(" ", "") not in text


# -- write-back ---------------------------------------------------------------------------------


def test_write_back_creates_a_linked_draft_then_updates_it(
    settings: Settings, real_wp: WordPress
) -> None:
    ids = build_real(real_wp)
    settings = on_wp(settings, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    key = f"wp-{ids['digital']}"
    body = DIGITAL_EN.replace("Most public services can now be used online.", DIGITAL_TR[1])
    body = body.replace("Citizens sign documents with an <em>e-signature</em>.", DIGITAL_TR[2])
    v = write(settings, key, "tr", DIGITAL_TR[0], body)
    created_id = int(v.external_id)
    (created, source) = real_wp.php(
        {"op": "get", "id": created_id}, {"op": "get", "id": ids["digital"]}
    )
    assert created["status"] == "draft" and created["lang"] == "tr"
    assert created["content"] == body and created["title"] == DIGITAL_TR[0]
    assert (
        source["translations"]
        == created["translations"]
        == {"en": ids["digital"], "tr": created_id}
    )
    assert v.origin == f"{real_wp.url}/?p={created_id}"
    versions = post(settings, key)["versions"]
    assert versions["tr"]["state"] == "current" and versions["tr"]["draft"]
    report = run_scan(settings, [spec])  # the overlap reads it again: unchanged
    assert report is not None and report.new_revisions == 0 and report.new_versions == 0
    assert post(settings, key)["versions"]["tr"]["state"] == "current"
    # written again (a corrected translation): the same post is updated, its status kept
    write(settings, key, "tr", DIGITAL_TR[0] + " (2024)", body)
    (again,) = real_wp.php({"op": "get", "id": created_id})
    assert again["title"].endswith("(2024)") and again["status"] == "draft"
    assert [p["id"] for p in posts_in(real_wp, "tr", "post")] == [ids["energy-tr"], created_id]
    # with TRANSYNC_WP_PUBLISH the translation goes live, under its permalink
    v = write(dataclasses.replace(settings, wp_publish=True), key, "tr", DIGITAL_TR[0], body)
    (live,) = real_wp.php({"op": "get", "id": created_id})
    assert live["status"] == "publish" and v.origin == f"{real_wp.url}/digital-services-tr/"
    report = run_scan(settings, [spec])
    assert report is not None and report.deleted == report.new_revisions == 0
    assert not post(settings, key)["versions"]["tr"]["draft"]


def test_write_back_renders_a_markdown_submission(lite: Settings, real_wp: WordPress) -> None:
    """A translation submitted as Markdown is posted as HTML (body_format="markdown")."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    run_scan(settings, [f"wp:{real_wp.url}"])
    key = f"wp-{ids['digital']}"
    markdown = f"{DIGITAL_TR[1]}\n\nVatandaşlar belgeleri **e-imza** ile imzalıyor.\n"
    declared = source_hash(settings, key)
    with transaction(settings.database_url) as s:
        scan = Scan(s, settings, "test", keys=[key])
        src = scan.snap.versions[(scan.snap.posts[key], "en")]
        target = open_source(f"wp:{real_wp.url}", settings)
        v = target.write_translation(
            s,
            scan,
            src=src,
            key=key,
            lang="tr",
            title=DIGITAL_TR[0],
            body=markdown,
            source_hash=declared,
            body_format="markdown",
        )
    (created,) = real_wp.php({"op": "get", "id": int(v.external_id)})
    signed = "<p>Vatandaşlar belgeleri <strong>e-imza</strong> ile imzalıyor.</p>\n"
    assert created["content"] == f"<p>{DIGITAL_TR[1]}</p>\n{signed}"
    assert post(settings, key)["versions"]["tr"]["state"] == "current"


TEA_EN = """<!-- wp:paragraph -->
<p>Tea is served in tulip glasses.</p>
<!-- /wp:paragraph -->

<!-- wp:more -->
<!--more-->
<!-- /wp:more -->

<!-- wp:heading -->
<h2 class="wp-block-heading">Why tulip glasses?</h2>
<!-- /wp:heading -->

<!-- wp:list -->
<ul class="wp-block-list"><!-- wp:list-item -->
<li>Black tea, <em>strong</em></li>
<!-- /wp:list-item --></ul>
<!-- /wp:list -->"""


def test_write_back_keeps_the_blocks_of_a_source_first_read_without_credentials(
    lite: Settings, real_wp: WordPress
) -> None:
    """Read by a visitor first, a post's stored body is content.rendered (no block comments);
    read with credentials later, content.raw has the same segments, so no revision replaces
    it. The translation is still written in the source's block markup, not as the HTML a
    visitor got (one Classic block in the editor)."""
    (source_id, _) = real_wp.php(
        {"op": "create", "title": "Tea", "content": TEA_EN, "lang": "en", "slug": "tea"},
        {"op": "age", "hours": 2},
    )
    run_scan(on_wp(lite, real_wp, auth=False), [f"wp:{real_wp.url}"])
    settings = on_wp(lite, real_wp)
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and report.new_revisions == 0
    add_people(settings)
    texts = ["Çay", "Çay lale bardakta içilir.", "Neden lale bardak?", "Siyah çay, <em>demli</em>"]
    result = translate_task(settings, f"wp-{source_id}", "tr", texts)
    assert result["applied"], result
    (translation,) = posts_in(real_wp, "tr")
    expected = TEA_EN
    for english, turkish in zip(
        ("Tea is served in tulip glasses.", "Why tulip glasses?", "Black tea, <em>strong</em>"),
        texts[1:],
        strict=True,
    ):
        expected = expected.replace(english, turkish)
    assert translation["content"] == expected
    (blocks,) = real_wp.php({"op": "blocks", "id": translation["id"]})
    assert [b["name"] for b in blocks] == [
        "core/paragraph",
        "core/more",
        "core/heading",
        "core/list",
        "core/list-item",
    ]
    again = run_scan(settings, [f"wp:{real_wp.url}"])
    assert again is not None and again.new_revisions == 0 and not again.problems
    assert post(settings, f"wp-{source_id}")["versions"]["tr"]["state"] == "current"


def test_write_back_retried_after_a_dropped_connection_creates_one_post(
    lite: Settings, real_wp: WordPress, sleeps: list[float]
) -> None:
    """WordPress saves the post, the connection drops before the answer: the retry finds
    the post (linked by then) and updates it; the same when an update's answer is lost."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    run_scan(settings, [f"wp:{real_wp.url}"])
    key = f"wp-{ids['grain']}"
    real_wp.proxy.requests.clear()
    real_wp.proxy.drop_next("POST")
    v = write(
        settings,
        key,
        "ru",
        "О зерновом коридоре",
        "Коридор снова открылся в августе.\n\nСуда идут у берега под конвоем.",
    )
    posted = [target for method, target in real_wp.proxy.requests if method == "POST"]
    assert posted == ["/wp-json/wp/v2/pages", f"/wp-json/wp/v2/pages/{v.external_id}"]
    assert real_wp.proxy.dropped == 1 and len(sleeps) == 1
    ru = posts_in(real_wp, "ru", "page")
    assert [p["id"] for p in ru] == [int(v.external_id)]
    assert ru[0]["translations"] == {"en": ids["grain"], "tr": ids["grain-tr"], "ru": ru[0]["id"]}
    assert post(lite, key)["versions"]["ru"]["state"] == "current"
    real_wp.proxy.drop_next("POST")  # an update whose answer is lost: applied once, recorded
    v = write(
        settings,
        key,
        "ru",
        "О зерновом коридоре (2024)",
        "Коридор снова открылся в августе.\n\nСуда идут у берега под конвоем.",
    )
    assert getattr(v, "external_id", None) == str(ru[0]["id"]), v
    assert [p["title"] for p in posts_in(real_wp, "ru", "page")] == ["О зерновом коридоре (2024)"]
    assert post(lite, key)["versions"]["ru"]["state"] == "current"


@pytest.mark.parametrize("scanned", [False, True], ids=["trash-unseen", "trash-scanned"])
def test_write_back_when_the_translation_is_in_the_trash(
    lite: Settings, real_wp: WordPress, scanned: bool
) -> None:
    """The linked translation was trashed in WordPress: the new translation is a new draft
    in its place (the trashed post keeps its text, out of the group), never written into
    the trash."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    real_wp.php({"op": "trash", "id": ids["grain-tr"]})
    if scanned:
        run_scan(settings, [spec])
    key = f"wp-{ids['grain']}"
    v = write(settings, key, "tr", "Tahıl koridoru", "Koridor yeniden açıldı.")
    assert getattr(v, "external_id", None) not in (None, str(ids["grain-tr"])), v
    (new, trashed, source) = real_wp.php(
        {"op": "get", "id": int(v.external_id)},
        {"op": "get", "id": ids["grain-tr"]},
        {"op": "get", "id": ids["grain"]},
    )
    assert new["status"] == "draft" and new["content"] == "Koridor yeniden açıldı."
    assert trashed["status"] == "trash" and trashed["content"] == GRAIN_TR
    assert source["translations"] == {"en": ids["grain"], "tr": new["id"]}
    tr = post(settings, key)["versions"]["tr"]
    assert tr["state"] == "current" and tr["origin"] == f"{real_wp.url}/?page_id={new['id']}"
    report = run_scan(dataclasses.replace(settings, wp_reconcile_hours=0.0), [spec])
    assert report is not None and not report.problems and report.new_versions == 0
    assert post(settings, key)["versions"]["tr"]["state"] == "current"


def translate_task(
    settings: Settings, key: str, lang: str, texts: list[str], who: str = "nadia"
) -> dict[str, Any]:
    """Claim the open task of (key, lang) and submit its segments in the browser editor."""
    wanted = open_task(settings, key, lang)
    assert wanted is not None, f"no open task for {key} [{lang}]"
    with transaction(settings.database_url) as s:  # first in the queue
        s.execute(update(Task).where(Task.id == wanted["id"]).values(priority=100))
    with transaction(settings.database_url) as s:
        got = claim(s, settings, who, lang)
        assert got is not None and got[1] == key
        task_id = got[0].id
    with transaction(settings.database_url) as s:
        segments = task_detail(s, settings, task_id)["segments"]
    assert len(segments) == len(texts), [seg["source"] for seg in segments]
    with transaction(settings.database_url) as s:
        return submit_segments(s, settings, task_id, who, dict(enumerate(texts)), partial=False)


def test_task_flow_end_to_end(settings: Settings, real_wp: WordPress, tmp_path: Path) -> None:
    """Missing Turkish → claim → submit in the browser editor → a linked draft in
    WordPress → the next scan finds it current and plans nothing; status and catalogs show
    the WordPress posts."""
    ids = build_real(real_wp)
    settings = on_wp(settings, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    key = f"wp-{ids['digital']}"
    add_people(settings)
    assert (open_task(settings, key, "tr") or {}).get("state") == "queued"
    result = translate_task(settings, key, "tr", DIGITAL_TR, who="ayse")
    assert result["applied"] and result["state"] == "done"
    (created,) = posts_in(real_wp, "tr", "post")[1:]
    assert created["status"] == "draft" and created["title"] == DIGITAL_TR[0]
    assert "<p>Vatandaşlar belgeleri <em>e-imza</em> ile imzalıyor.</p>" in created["content"]
    assert "<!-- wp:paragraph -->" in created["content"]  # the source's blocks, kept
    report = run_scan(settings, [spec])
    assert report is not None and report.new_revisions == 0
    assert post(settings, key)["versions"]["tr"]["state"] == "current"
    assert open_task(settings, key, "tr") is None
    code, out, err = transync(settings, "status", "--json")
    assert code == 0, err
    energy = next(p for p in json.loads(out)["posts"] if p["key"] == f"wp-{ids['energy']}")
    assert energy["versions"]["tr"]["origin"] == f"{real_wp.url}/karadeniz-enerji/"
    assert real_wp.password not in out
    export_catalogs(settings, directory=tmp_path)
    tr = polib.pofile(str(tmp_path / "tr/LC_MESSAGES/posts.po"))
    entry = tr.find("Boru hatları ve limanlar", by="msgstr", msgctxt=f"wp-{ids['energy']}")
    assert entry is not None and entry.msgid == "Pipelines and ports"
    places = {o for e in tr for o, _ in e.occurrences}
    assert f"{real_wp.url}/energy-security/" in places
    assert f"{real_wp.url}/karadeniz-enerji/" in places


#: The Turkish update of the energy post after the source's edit in stale_energy().
ENERGY_TR_UPDATE = [
    "Karadeniz'de enerji güvenliği",
    "Açık deniz gazı, bölgenin en büyük varlığı.",
    "Boru hatları ve limanlar",
    "Artık ihracatın <strong>çoğunu</strong> üç terminal karşılıyor.",
]


def stale_energy(
    lite: Settings, real_wp: WordPress, *, before_edit: Any = None
) -> tuple[Settings, dict[str, int], str, str]:
    """The site scanned, people added, ``before_edit(ids)`` done in WordPress and scanned
    (when given), then the English energy post edited and scanned: its Turkish is stale.
    The settings, the post ids, the post key and the scan spec."""
    ids = build_real(real_wp)
    settings = on_wp(lite, real_wp)
    spec = f"wp:{real_wp.url}"
    run_scan(settings, [spec])
    add_people(settings)
    if before_edit is not None:
        before_edit(ids)
        run_scan(settings, [spec])
    real_wp.php(
        {
            "op": "update",
            "id": ids["energy"],
            "content": ENERGY_EN.replace("biggest new asset", "biggest asset"),
        }
    )
    run_scan(settings, [spec])
    key = f"wp-{ids['energy']}"
    assert post(settings, key)["versions"]["tr"]["state"] == "stale"
    return settings, ids, key, spec


def test_write_back_never_drops_what_an_editor_added_in_wordpress(
    lite: Settings, real_wp: WordPress
) -> None:
    """An editor added a note to the Turkish post in WordPress (a scan recorded it); the
    source changed; the update task never showed the note, so writing it back would drop
    it: the task is in conflict (drops), WordPress keeps its text."""
    note = "<!-- wp:paragraph -->\n<p>Editörün eklediği not.</p>\n<!-- /wp:paragraph -->\n\n"
    with_note = note + ENERGY_TR

    def add_note(ids: dict[str, int]) -> None:  # recorded by a scan: the translation's text
        real_wp.php({"op": "update", "id": ids["energy-tr"], "content": with_note})

    settings, ids, key, _ = stale_energy(lite, real_wp, before_edit=add_note)
    result = translate_task(settings, key, "tr", ENERGY_TR_UPDATE)
    assert result["state"] == "conflict" and not result["applied"], result
    assert result["conflict"]["reason"] == "drops", result
    assert "Editörün eklediği not." in result["conflict"]["message"]
    (tr,) = real_wp.php({"op": "get", "id": ids["energy-tr"]})
    assert tr["content"] == with_note  # nothing written


def test_write_back_refused_when_edited_in_wordpress(lite: Settings, real_wp: WordPress) -> None:
    """The Turkish translation is edited in WordPress after the last scan: nothing is
    written, the task is in conflict, both texts are kept (WordPress's as a revision, the
    submission in the task) until an editor resolves it. A translation linked in WordPress
    that transync never saw is a conflict too; an edit a scan has seen is not."""
    settings, ids, key, spec = stale_energy(lite, real_wp)
    hand = ENERGY_TR.replace("en büyük yeni varlığı", "en büyük varlığı (elle)")
    real_wp.php({"op": "update", "id": ids["energy-tr"], "content": hand})  # not scanned

    result = translate_task(settings, key, "tr", ENERGY_TR_UPDATE)
    assert result["state"] == "conflict" and not result["applied"]
    assert result["conflict"]["reason"] == "changed", result
    assert "edited in WordPress" in result["conflict"]["message"]
    (tr,) = real_wp.php({"op": "get", "id": ids["energy-tr"]})
    assert tr["content"] == hand  # nothing written
    tr_version = post(settings, key)["versions"]["tr"]
    assert tr_version["revision"] == 2  # WordPress's text, recorded
    with transaction(settings.database_url) as s:
        task = s.get(Task, result["task"])
        assert task is not None and task.state == "conflict"
        assert "bölgenin en büyük varlığı." in task.submission["body"]  # the submission kept
        task_id = task.id
    with transaction(settings.database_url) as s:
        done = resolve(s, settings, task_id, EDITOR, "submitted")
    assert done["state"] == "done", done
    (tr,) = real_wp.php({"op": "get", "id": ids["energy-tr"]})
    assert "bölgenin en büyük varlığı.</p>" in tr["content"] and "(elle)" not in tr["content"]
    assert post(settings, key)["versions"]["tr"]["state"] == "current"

    # a ru translation made in WordPress, linked, never scanned: "appeared"
    digital = f"wp-{ids['digital']}"
    (hand_ru,) = real_wp.php(
        {
            "op": "create",
            "title": "Цифровые госуслуги",
            "lang": "ru",
            "content": "<p>Сделано вручную.</p>",
            "slug": "cifrovye",
            "translation_of": ids["digital"],
        }
    )
    result = translate_task(
        settings,
        digital,
        "ru",
        [
            "Цифровые государственные услуги",
            "Большинство услуг теперь онлайн.",
            "Граждане подписывают документы <em>электронной подписью</em>.",
        ],
    )
    assert result["state"] == "conflict" and result["conflict"]["reason"] == "appeared"
    (kept,) = real_wp.php({"op": "get", "id": hand_ru})
    assert kept["content"] == "<p>Сделано вручную.</p>"
    assert post(settings, digital)["versions"]["ru"]["origin"] == f"{real_wp.url}/cifrovye/"

    # an edit that a scan has recorded is no conflict: the next submission goes through
    real_wp.php({"op": "update", "id": ids["energy"], "content": ENERGY_EN})
    real_wp.php({"op": "update", "id": ids["energy-tr"], "content": ENERGY_TR})
    run_scan(settings, [spec])
    assert post(settings, key)["versions"]["tr"]["state"] == "stale"  # the source changed
    result = translate_task(
        settings,
        key,
        "tr",
        [
            "Karadeniz'de enerji güvenliği",
            "Açık deniz gazı, bölgenin en büyük yeni varlığı.",
            "Boru hatları ve limanlar",
            "Artık ihracatın <strong>çoğunu</strong> üç terminal karşılıyor.",
        ],
    )
    assert result["state"] == "done", result


# -- Gutenberg block attributes --------------------------------------------------------------

BLOCKS_EN = """\
<!-- wp:navigation-link {"label":"Energy \\u0026 ports","url":"/energy/","kind":"custom"} /-->

<!-- wp:paragraph -->
<p>Tankers wait at the Bosphorus.</p>
<!-- /wp:paragraph -->

<!-- wp:image {"id":5,"alt":"A tanker at the terminal","sizeSlug":"large"} -->
<figure class="wp-block-image size-large"><img src="/tanker.jpg" \
alt="A tanker at the terminal"/></figure>
<!-- /wp:image -->

<!-- wp:acme/call-to-action {"title":"Read the report",\
"text":"Download the \\u003cstrong\\u003ePDF\\u003c/strong\\u003e","url":"/report.pdf"} /-->"""
BLOCKS_TR = [
    "Boğaz'da tankerler",
    "Enerji ve limanlar",
    "Tankerler Boğaz'da bekliyor.",
    'Terminalde bir tanker "Aurora" & römorkör',
    "Raporu okuyun",
    "<strong>PDF</strong> dosyasını indirin",
]
BLOCKS_RU = [
    "Танкеры у Босфора",
    "Энергия и порты",
    "Танкеры ждут у Босфора.",
    "Танкер у терминала -- «Аврора»",
    "Прочитайте доклад",
    "Скачайте <strong>PDF</strong>",
]


def test_block_attributes_are_translated_and_written_back(
    lite: Settings, real_wp: WordPress, tmp_path: Path
) -> None:
    """Navigation labels, image alt and a plugin block's title and text are segments; the
    translations land in the same attributes, and WordPress's own parse_blocks reads them."""
    (source_id, _) = real_wp.php(
        {
            "op": "create",
            "title": "Tankers at the Bosphorus",
            "content": BLOCKS_EN,
            "lang": "en",
            "slug": "tankers",
        },
        {"op": "age", "hours": 2},
    )
    settings = on_wp(lite, real_wp)
    run_scan(settings, [f"wp:{real_wp.url}"])
    key = f"wp-{source_id}"
    add_people(settings)
    with transaction(settings.database_url) as s:
        task = claim(s, settings, "nadia", "tr")
        assert task is not None
        segments = task_detail(s, settings, task[0].id)["segments"]
        s.execute(update(Task).where(Task.id == task[0].id).values(state="queued", assignee=None))
    assert [seg["source"] for seg in segments] == [
        "Tankers at the Bosphorus",
        "Energy &amp; ports",
        "Tankers wait at the Bosphorus.",
        "A tanker at the terminal",
        "Read the report",
        "Download the <strong>PDF</strong>",
    ]
    for lang, texts in (("tr", BLOCKS_TR), ("ru", BLOCKS_RU)):
        result = translate_task(settings, key, lang, texts)
        assert result["applied"], result
    for lang, texts in (("tr", BLOCKS_TR), ("ru", BLOCKS_RU)):
        (translation,) = posts_in(real_wp, lang)
        (blocks,) = real_wp.php({"op": "blocks", "id": translation["id"]})
        attrs = {b["name"]: b["attrs"] for b in blocks}
        assert attrs["core/navigation-link"] == {
            "label": texts[1],
            "url": "/energy/",
            "kind": "custom",
        }
        assert attrs["core/image"] == {"id": 5, "alt": texts[3], "sizeSlug": "large"}
        assert attrs["acme/call-to-action"] == {
            "title": texts[4],
            "text": texts[5],
            "url": "/report.pdf",
        }
        assert f"<p>{texts[2]}</p>" in translation["content"]
    report = run_scan(settings, [f"wp:{real_wp.url}"])
    assert report is not None and report.new_revisions == 0 and not report.problems
    versions = post(settings, key)["versions"]
    assert versions["tr"]["state"] == versions["ru"]["state"] == "current"
    export_catalogs(settings, directory=tmp_path)
    ru = polib.pofile(str(tmp_path / "ru/LC_MESSAGES/posts.po"))
    entry = ru.find("A tanker at the terminal", msgctxt=key)
    assert entry is not None and entry.msgstr == "Танкер у терминала -- «Аврора»"


# -- WordPress's own export -------------------------------------------------------------------


def test_the_export_of_the_site_reads_as_the_rest_api_does(
    lite: Settings, real_wp: WordPress, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """export_wp() of the site, before and after an edit, scanned with wxr:, gives the
    matrix the REST API gives (stale translation included): Polylang (language and
    post_translations terms, Polylang Pro's sync map in one group), then WPML (_wpml_import_*
    meta); and the same export with WordPress.com's https namespace."""
    for mode in ("polylang-pro", "wpml"):
        real_wp.php({"op": "reset", "mode": mode})
        ids = build_real(real_wp)
        if mode == "polylang-pro":
            real_wp.php({"op": "sync", "id": ids["energy"], "sync": {"tr": "en"}})
        rest = on_wp(fresh(tmp_path / f"{mode}-rest.db"), real_wp)
        wxr, com = fresh(tmp_path / f"{mode}-wxr.db"), fresh(tmp_path / f"{mode}-https.db")
        for step in ("before", "after"):
            if step == "after":
                real_wp.php(
                    {
                        "op": "update",
                        "id": ids["energy"],
                        "content": ENERGY_EN.replace("biggest new asset", "biggest asset"),
                    }
                )
            export = tmp_path / f"{mode}.xml"  # the same wxr: source, exported again
            real_wp.php({"op": "export", "path": str(export)})
            text = export.read_text(encoding="utf-8")
            assert 'xmlns:wp="http://wordpress.org/export/1.2/"' in text
            https = tmp_path / f"{mode}-https.xml"  # as WordPress.com writes it
            https.write_text(
                text.replace("http://wordpress.org/export/", "https://wordpress.org/export/"),
                encoding="utf-8",
            )
            caplog.clear()
            with caplog.at_level(logging.WARNING):
                for settings, spec in (
                    (rest, f"wp:{real_wp.url}"),
                    (wxr, f"wxr:{export}"),
                    (com, f"wxr:{https}"),
                ):
                    report = run_scan(settings, [spec])
                    assert report is not None and not report.problems, (spec, report.problems)
            assert matrix(wxr) == matrix(rest) == matrix(com), (mode, step)
        energy = next(p for p in status(wxr)["posts"] if p["title"].startswith("Energy"))
        assert energy["versions"]["tr"]["state"] == "stale"
        assert energy["versions"]["tr"]["changed_segments"] == 1
        if mode == "polylang-pro":
            assert 's:4:"sync";a:1:{s:2:"tr";s:2:"en";}' in text
            assert "'sync' × 1" in caplog.text and "ignored" in caplog.text
        else:
            assert "_wpml_import_translation_group" in text


# -- exports written for these tests (tests/data/wxr/) -------------------------------------------

WXR = Path(__file__).resolve().parents[1] / "data" / "wxr"


def read_docs(path: Path, **options: Any) -> list[tuple[Any, ...]]:
    from sync.sources.wxr import read_wxr

    return [
        (d.key, d.lang, d.title, d.body, d.draft, d.origin)
        if isinstance(d, Document)
        else ("problem", d.reason)
        for d in read_wxr(path, source="wxr:x", languages=("en", "tr", "ru"), **options)
    ]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_every_export_namespace_reads_alike(tmp_path: Path, scheme: str, version: str) -> None:
    """WordPress writes http://wordpress.org/export/1.x/, WordPress.com https://…: the same
    posts either way, in every WXR version."""
    expected = read_docs(WXR / "polylang-pro-sync.xml")
    assert len(expected) == 4 and not [d for d in expected if d[0] == "problem"]
    assert read_docs(WXR / "polylang-pro-sync-wpcom.xml") == expected
    text = (WXR / "polylang-pro-sync.xml").read_text(encoding="utf-8")
    variant = tmp_path / "export.xml"
    variant.write_text(
        text.replace(
            "http://wordpress.org/export/1.2/", f"{scheme}://wordpress.org/export/{version}/"
        ),
        encoding="utf-8",
    )
    assert read_docs(variant) == expected


def test_polylang_pro_sync_map_is_ignored_with_a_note(
    lite: Settings, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    """The group's map holds 'sync' => [...] beside the languages: one post in three
    languages, no problem, one warning; block attributes tracked in Turkish and Russian."""
    with caplog.at_level(logging.WARNING):
        report = run_scan(lite, [f"wxr:{WXR / 'polylang-pro-sync.xml'}"])
    assert report is not None and not report.problems, report and report.problems
    notes = [r.getMessage() for r in caplog.records if "not language => post id" in r.getMessage()]
    assert len(notes) == 1 and "'sync' × 1" in notes[0] and "ignored" in notes[0]
    tankers = next(p for p in status(lite)["posts"] if p["title"] == "Tankers at the Bosphorus")
    assert {lang: v["state"] for lang, v in tankers["versions"].items()} == {
        "en": "source",
        "tr": "current",
        "ru": "current",
    }
    assert tankers["versions"]["ru"]["draft"] and tankers["versions"]["tr"]["total_segments"] == 6
    export_catalogs(lite, directory=tmp_path)
    for lang, pairs in {
        "tr": {
            "Energy &amp; ports": "Enerji ve limanlar",
            "A tanker at the terminal": 'Terminalde bir tanker: "Aurora" &amp; römorkör',
            "Download the <strong>PDF</strong>": "<strong>PDF</strong> dosyasını indirin",
        },
        "ru": {
            "Energy &amp; ports": "Энергия и порты",
            "A tanker at the terminal": "Танкер у терминала -- «Аврора»",
            "Read the report": "Прочитайте доклад",
        },
    }.items():
        catalog = polib.pofile(str(tmp_path / f"{lang}/LC_MESSAGES/posts.po"))
        for msgid, msgstr in pairs.items():
            entry = catalog.find(msgid, msgctxt=tankers["key"])
            assert entry is not None and entry.msgstr == msgstr, (lang, msgid, entry)


def test_a_single_language_export(lite: Settings) -> None:
    """No language on any item: each is a problem, unless TRANSYNC_WP_DEFAULT_LANG says
    which language the site is in."""
    code, out, err = transync(lite, "scan", f"wxr:{WXR / 'single-language.xml'}")
    assert code == 2 and err.count("has no language") == 2, (out, err)
    assert "TRANSYNC_WP_DEFAULT_LANG" in err
    assert keys(lite) == []
    english = dataclasses.replace(lite, wp_default_lang="en")
    code, out, err = transync(english, "scan", f"wxr:{WXR / 'single-language.xml'}")
    assert code == 0, (out, err)
    rows = status(english)["posts"]
    assert sorted(p["title"] for p in rows) == ["Annual report 2023", "Contact"]
    assert all(p["source_lang"] == "en" and p["versions"]["ru"]["state"] == "missing" for p in rows)
    report = next(p for p in rows if p["title"] == "Annual report 2023")
    assert report["versions"]["en"]["revision"] == 1
    with transaction(english.database_url) as s:
        scan = Scan(s, english, "test", keys=[report["key"]])
        src = scan.snap.versions[(scan.snap.posts[report["key"]], "en")]
        assert src.segment_count == 3  # title, paragraph, the button's text attribute
    code, out, err = transync(
        dataclasses.replace(lite, wp_default_lang="de"),
        "scan",
        f"wxr:{WXR / 'single-language.xml'}",
    )
    assert code == 1 and "TRANSYNC_WP_DEFAULT_LANG=de" in err, (out, err)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the stand-in: faults a real server does not make on demand -------------------------------


@dataclasses.dataclass
class Site:
    stub: WordPressStub
    ids: dict[str, int]

    @property
    def spec(self) -> str:
        return f"wp:{self.stub.url}"


def build(stub: WordPressStub) -> Site:
    """Energy (en, tr, draft ru), the grain page (en, tr, classic editor), digital (en only)."""
    ids = {}
    ids["energy"] = stub.add(
        title="Energy security in the Black Sea",
        content=ENERGY_EN,
        lang="en",
        slug="energy-security",
    )
    ids["energy-tr"] = stub.add(
        title="Karadeniz'de enerji güvenliği",
        content=ENERGY_TR,
        lang="tr",
        slug="karadeniz-enerji",
        translation_of=ids["energy"],
    )
    ids["energy-ru"] = stub.add(
        title="Энергетическая безопасность в Черноморском регионе",
        content=ENERGY_RU,
        lang="ru",
        slug="energeticheskaya",
        status="draft",
        translation_of=ids["energy"],
    )
    ids["grain"] = stub.add(
        title="About the grain corridor",
        content=GRAIN_EN,
        lang="en",
        type="page",
        slug="grain-corridor",
    )
    ids["grain-tr"] = stub.add(
        title="Tahıl koridoru hakkında",
        content=GRAIN_TR,
        lang="tr",
        type="page",
        slug="tahil-koridoru",
        translation_of=ids["grain"],
    )
    ids["digital"] = stub.add(
        title="Digital public services", content=DIGITAL_EN, lang="en", slug="digital-services"
    )
    return Site(stub, ids)


@pytest.fixture
def wp(sleeps: list[float]) -> Iterator[Callable[..., Site]]:
    """WordPress stand-ins holding the three posts above; stopped after the test."""
    stubs: list[WordPressStub] = []

    def start(**options: Any) -> Site:
        stub = WordPressStub(**options).start()
        stubs.append(stub)
        return build(stub)

    yield start
    for stub in stubs:
        stub.stop()


def with_wp(
    settings: Settings, stub: WordPressStub, *, auth: bool = True, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {"languages": ("en", "tr", "ru")}
    if auth:
        values.update(wp_user=stub.user, wp_app_password=stub.password)
    return dataclasses.replace(settings, **{**values, **overrides})


@pytest.mark.parametrize("keyed", [False, True], ids=["list", "keyed-by-locale"])
def test_first_scan_wpml(lite: Settings, wp: Callable[..., Site], keyed: bool) -> None:
    """wpml_translations leave out the post itself and the draft ru: still one post."""
    site = wp(plugin="wpml", wpml_keyed=keyed)
    settings = with_wp(lite, site.stub)
    report = run_scan(settings, [site.spec])
    assert report is not None and not report.problems
    ids = site.ids
    assert sorted(keys(settings)) == sorted(f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    versions = post(settings, f"wp-{ids['energy']}")["versions"]
    assert versions["ru"]["draft"] and versions["ru"]["state"] == "current"
    assert versions["tr"]["state"] == "current"
    # WPML answers in one language at a time: every configured language was listed
    langs = {r.params.get("lang") for r in site.stub.listings()}
    assert {"en", "tr", "ru"} <= langs
    # publishing the ru draft changes nothing about the grouping
    site.stub.edit(ids["energy-ru"], status="publish")
    run_scan(settings, [site.spec])
    assert len(keys(settings)) == 3
    assert not post(settings, f"wp-{ids['energy']}")["versions"]["ru"]["draft"]


def test_rendered_only_ignores_markup_noise(lite: Settings, wp: Callable[..., Site]) -> None:
    """Without credentials: content.rendered, and WordPress's own markup changes are no edit."""
    site = wp()
    settings = with_wp(lite, site.stub, auth=False, wp_reconcile_hours=0.0)
    report = run_scan(settings, [site.spec])
    assert report is not None and not report.problems
    assert all(
        not r.authorized and "context" not in r.params and "status" not in r.params
        for r in site.stub.requests
    )
    energy = post(settings, f"wp-{site.ids['energy']}")
    assert energy["versions"]["ru"]["state"] == "missing"  # a draft is invisible to visitors
    with transaction(settings.database_url) as s:
        title = s.execute(
            select(Version.title).where(Version.external_id == str(site.ids["energy-tr"]))
        ).scalar_one()
    assert title == "Karadeniz\u2019de enerji güvenliği"  # &#8217; decoded
    site.stub.noisy = True  # another theme: classes, data-*, <br>, characters for entities
    again = run_scan(settings, [site.spec])
    assert again is not None and again.files == 5 and again.unchanged == 0
    assert again.new_revisions == 0 and again.deleted == 0
    assert post(settings, f"wp-{site.ids['energy']}")["versions"]["tr"]["state"] == "current"


def test_retry_after_429_and_500(
    lite: Settings, wp: Callable[..., Site], sleeps: list[float]
) -> None:
    site = wp()
    settings = with_wp(lite, site.stub)
    site.stub.fail_next(2, 429, retry_after="7")
    site.stub.fail_next(1, 500)
    report = run_scan(settings, [site.spec])
    assert report is not None and report.new_versions == 6
    assert sleeps == [7.0, 7.0, 4.0]  # Retry-After twice, then backoff 1 s × 2²
    assert [r.status for r in site.stub.requests[:4]] == [429, 429, 500, 200]


def test_retries_give_up_with_a_clear_error(
    lite: Settings, wp: Callable[..., Site], sleeps: list[float]
) -> None:
    site = wp()
    settings = with_wp(lite, site.stub)
    site.stub.fail_next(1, 429, retry_after="3600")
    with pytest.raises(SourceError) as caught:
        run_scan(settings, [site.spec])
    assert "429" in str(caught.value) and "asked to wait 3600 s" in str(caught.value)
    assert f"{site.stub.url}/wp-json/wp/v2/posts" in str(caught.value)
    assert sleeps == [] and keys(settings) == []  # nothing applied
    site.stub.fail_next(20, 503)
    with pytest.raises(SourceError, match="gave up after 6 attempts"):
        run_scan(settings, [site.spec])
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_write_back_retried_after_a_timeout_creates_one_post(
    lite: Settings,
    wp: Callable[..., Site],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(lite, stub)
    run_scan(settings, [site.spec])
    monkeypatch.setattr(WordPressSite, "timeout", httpx.Timeout(1.0))
    stub.stall_next_post(5.0)  # the POST is applied, the answer comes too late
    before = len(stub.requests)
    v = write(
        settings,
        f"wp-{ids['grain']}",
        "ru",
        "О зерновом коридоре",
        "Коридор снова открылся в августе.\n\nСуда идут у берега под конвоем.",
    )
    posts = [r for r in stub.requests[before:] if r.method == "POST"]
    assert [r.path for r in posts] == [
        "/wp-json/wp/v2/pages",
        f"/wp-json/wp/v2/pages/{v.external_id}",
    ]
    assert len(sleeps) == 1
    ru = [p for p in stub.posts.values() if p.lang == "ru" and p.type == "page"]
    assert len(ru) == 1 and stub.group_of(ids["grain"])["ru"] == ru[0].id
    assert post(lite, f"wp-{ids['grain']}")["versions"]["ru"]["state"] == "current"
