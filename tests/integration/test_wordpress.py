"""WordPress through its REST API (tests/wpstub.py stands in for the site): Polylang and
WPML scans, incremental reads, reconciliation, retries and errors, write-back, and the
posts shown in status, catalogs and the task flow."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import polib
import pytest
from sqlalchemy import select, update

from sync.config import Settings
from sync.db.models import SourceState, Version
from sync.db.session import transaction
from sync.errors import ConfigError, ConflictError, SourceError
from sync.export import export_catalogs
from sync.pofiles import submit_segments
from sync.queue import claim
from sync.scanning import run_scan
from sync.sources import open_source
from sync.sources.wordpress import WordPressSite
from sync.taskview import task_detail
from sync.tracker import Scan
from sync.writeback import write_translation
from tests.conftest import make_settings
from tests.helpers.tracking import add_people, open_task, status, transync
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
DIGITAL_TR = ["Dijital kamu hizmetleri",
              "Kamu hizmetlerinin çoğu artık çevrim içi kullanılabiliyor.",
              "Vatandaşlar belgeleri <em>e-imza</em> ile imzalıyor."]


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
    ids["energy"] = stub.add(title="Energy security in the Black Sea", content=ENERGY_EN,
                             lang="en", slug="energy-security")
    ids["energy-tr"] = stub.add(title="Karadeniz'de enerji güvenliği", content=ENERGY_TR,
                                lang="tr", slug="karadeniz-enerji", translation_of=ids["energy"])
    ids["energy-ru"] = stub.add(title="Энергетическая безопасность в Черноморском регионе",
                                content=ENERGY_RU, lang="ru", slug="energeticheskaya",
                                status="draft", translation_of=ids["energy"])
    ids["grain"] = stub.add(title="About the grain corridor", content=GRAIN_EN, lang="en",
                            type="page", slug="grain-corridor")
    ids["grain-tr"] = stub.add(title="Tahıl koridoru hakkında", content=GRAIN_TR, lang="tr",
                               type="page", slug="tahil-koridoru", translation_of=ids["grain"])
    ids["digital"] = stub.add(title="Digital public services", content=DIGITAL_EN, lang="en",
                              slug="digital-services")
    return Site(stub, ids)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits, recorded instead of slept."""
    waited: list[float] = []
    monkeypatch.setattr(WordPressSite, "sleep", staticmethod(waited.append))
    return waited


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


def with_wp(settings: Settings, stub: WordPressStub, *, auth: bool = True,
            **overrides: Any) -> Settings:
    values: dict[str, Any] = {"languages": ("en", "tr", "ru")}
    if auth:
        values.update(wp_user=stub.user, wp_app_password=stub.password)
    return dataclasses.replace(settings, **{**values, **overrides})


@pytest.fixture
def lite(sqlite_url: str) -> Settings:
    return make_settings(sqlite_url, languages="en,tr,ru")


def post(settings: Settings, key: str) -> dict[str, Any]:
    return next(p for p in status(settings)["posts"] if p["key"] == key)


def keys(settings: Settings) -> list[str]:
    return [p["key"] for p in status(settings)["posts"]]


# -- reading ------------------------------------------------------------------------------


def test_first_scan_polylang(settings: Settings, wp: Callable[..., Site]) -> None:
    site = wp()
    settings = with_wp(settings, site.stub)
    report = run_scan(settings, [site.spec])
    assert report is not None and not report.problems
    ids = site.ids
    assert sorted(keys(settings)) == sorted(f"wp-{ids[k]}" for k in ("energy", "grain", "digital"))
    energy = post(settings, f"wp-{ids['energy']}")
    assert energy["source_lang"] == "en" and energy["title"] == "Energy security in the Black Sea"
    versions = energy["versions"]
    assert versions["en"]["origin"] == f"{site.stub.url}/energy-security/"
    assert versions["tr"]["state"] == "current" and not versions["tr"]["draft"]
    assert versions["ru"]["draft"] and versions["ru"]["origin"].endswith(f"?p={ids['energy-ru']}")
    grain = post(settings, f"wp-{ids['grain']}")["versions"]
    assert grain["tr"]["state"] == "current" and grain["ru"]["state"] == "missing"
    assert post(settings, f"wp-{ids['digital']}")["versions"]["tr"]["state"] == "missing"
    with transaction(settings.database_url) as s:
        rows = s.execute(select(Version.lang, Version.external_id, Version.front_matter)
                         .where(Version.external_id == str(ids["energy-tr"]))).all()
        state = s.get(SourceState, f"wp:{site.stub.url}")
        assert state is not None and state.reconciled_at is not None
    assert rows[0][2] == {"wp_post_id": ids["energy-tr"], "type": "post", "status": "publish",
                          "slug": "karadeniz-enerji",
                          "link": f"{site.stub.url}/tr/karadeniz-enerji/",
                          "modified_gmt": rows[0][2]["modified_gmt"]}
    assert rows[0][2]["modified_gmt"]  # kept for the write-back's conflict check
    listed = site.stub.listings()
    assert {r.path for r in listed} == {"/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"}
    for r in listed:
        assert r.authorized and r.params["context"] == "edit" and r.params["orderby"] == "id"
        assert r.params["per_page"] == "100" and "trash" in r.params["status"].split(",")
    again = run_scan(settings, [site.spec])
    assert again is not None and again.new_revisions == again.new_versions == 0
    assert again.unchanged == 1 and again.deleted == 0  # the overlap re-read, unchanged


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


def test_incremental_scan_asks_only_for_changes(lite: Settings, wp: Callable[..., Site]) -> None:
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(lite, stub)
    stub.tick(dt.timedelta(hours=1))  # the posts were written an hour before the first scan
    run_scan(settings, [site.spec])
    first_scan_at = stub.now
    stub.tick(dt.timedelta(hours=1))
    stub.edit(ids["energy"], content=ENERGY_EN.replace("biggest new asset", "biggest asset"))
    before = len(stub.requests)
    report = run_scan(settings, [site.spec])
    assert report is not None and report.files == 1 and report.new_revisions == 1
    asked = stub.requests[before:]
    assert [r.path for r in asked] == ["/wp-json/wp/v2/posts", "/wp-json/wp/v2/pages"]
    since = (first_scan_at - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for r in asked:
        assert r.params["orderby"] == "modified" and r.params["order"] == "asc"
        assert r.params["modified_after"] == since
    assert [r.served for r in asked] == [(ids["energy"],), ()]
    versions = post(settings, f"wp-{ids['energy']}")["versions"]
    assert versions["en"]["revision"] == 2
    assert versions["tr"]["state"] == "stale" and versions["tr"]["changed_segments"] == 1
    # posts not mentioned by an incremental read are kept
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "current"


def test_rendered_only_ignores_markup_noise(lite: Settings, wp: Callable[..., Site]) -> None:
    """Without credentials: content.rendered, and WordPress's own markup changes are no edit."""
    site = wp()
    settings = with_wp(lite, site.stub, auth=False, wp_reconcile_hours=0.0)
    report = run_scan(settings, [site.spec])
    assert report is not None and not report.problems
    assert all(not r.authorized and "context" not in r.params and "status" not in r.params
               for r in site.stub.requests)
    energy = post(settings, f"wp-{site.ids['energy']}")
    assert energy["versions"]["ru"]["state"] == "missing"  # a draft is invisible to visitors
    with transaction(settings.database_url) as s:
        title = s.execute(select(Version.title).where(
            Version.external_id == str(site.ids["energy-tr"]))).scalar_one()
    assert title == "Karadeniz\u2019de enerji güvenliği"  # &#8217; decoded
    site.stub.noisy = True  # another theme: classes, data-*, <br>, characters for entities
    again = run_scan(settings, [site.spec])
    assert again is not None and again.files == 5 and again.unchanged == 0
    assert again.new_revisions == 0 and again.deleted == 0
    assert post(settings, f"wp-{site.ids['energy']}")["versions"]["tr"]["state"] == "current"


def test_deletions_trash_and_reconciliation(lite: Settings, wp: Callable[..., Site]) -> None:
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(lite, stub)
    run_scan(settings, [site.spec])
    stub.trash(ids["grain-tr"])  # its link changes to ?page_id=…: the recorded one is deleted
    report = run_scan(settings, [site.spec])
    assert report is not None and report.deleted == 1
    assert post(settings, f"wp-{ids['grain']}")["versions"]["tr"]["state"] == "missing"
    stub.delete(ids["digital"])  # gone for good: an incremental read cannot see it
    report = run_scan(settings, [site.spec])
    assert report is not None and report.deleted == 0
    assert post(settings, f"wp-{ids['digital']}")["versions"]["en"]["state"] == "source"
    with transaction(settings.database_url) as s:
        s.execute(update(SourceState).values(
            reconciled_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)))
    before = len(stub.requests)
    report = run_scan(settings, [site.spec])
    assert report is not None and report.deleted == 1
    assert all(r.params["orderby"] == "id" and "modified_after" not in r.params
               for r in stub.requests[before:])
    assert post(settings, f"wp-{ids['digital']}")["versions"]["en"]["state"] == "missing"
    assert post(settings, f"wp-{ids['energy']}")["versions"]["tr"]["state"] == "current"


# -- retries and errors -------------------------------------------------------------------


def test_retry_after_429_and_500(lite: Settings, wp: Callable[..., Site],
                                 sleeps: list[float]) -> None:
    site = wp()
    settings = with_wp(lite, site.stub)
    site.stub.fail_next(2, 429, retry_after="7")
    site.stub.fail_next(1, 500)
    report = run_scan(settings, [site.spec])
    assert report is not None and report.new_versions == 6
    assert sleeps == [7.0, 7.0, 4.0]  # Retry-After twice, then backoff 1 s × 2²
    assert [r.status for r in site.stub.requests[:4]] == [429, 429, 500, 200]


def test_retries_give_up_with_a_clear_error(lite: Settings, wp: Callable[..., Site],
                                            sleeps: list[float]) -> None:
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


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_errors_name_the_url_and_never_the_password(
    lite: Settings, wp: Callable[..., Site], sleeps: list[float],
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = wp()
    stub = site.stub
    caplog.set_level(logging.DEBUG)
    secret = "wrong PASS 9999 zzzz"
    wrong = with_wp(lite, stub, wp_app_password=secret)
    right = with_wp(lite, stub)
    port = unused_port()
    cases = [
        (wrong, site.spec, ["401", "incorrect_password", "TRANSYNC_WP_APP_PASSWORD"]),
        (right, f"wp:{stub.url}/blog", ["404", "no WordPress REST API", "/blog/wp-json/"]),
        (right, f"wp:http://127.0.0.1:{port}", ["could not be sent", f"127.0.0.1:{port}"]),
    ]
    errors = []
    for settings, spec, needles in cases:
        with pytest.raises(SourceError) as caught:
            run_scan(settings, [spec])
        text = str(caught.value)
        assert spec[3:] in text, text
        for needle in needles:
            assert needle in text, text
        errors.append(caught.value)
    stub.role = "subscriber"
    with pytest.raises(SourceError) as caught:
        run_scan(right, [site.spec])
    assert "403" in str(caught.value) and "Editor role" in str(caught.value)
    assert "rest_forbidden_context" in str(caught.value)
    errors.append(caught.value)
    half = with_wp(lite, stub, wp_app_password="")
    with pytest.raises(ConfigError, match="TRANSYNC_WP_APP_PASSWORD is empty"):
        run_scan(half, [site.spec])
    with pytest.raises(ConfigError) as bad_url:
        open_source(f"wp:http://editor:{secret}@127.0.0.1/", wrong)
    errors.append(bad_url.value)
    shown = [repr(open_source(site.spec, wrong)), caplog.text]
    for exc in errors:
        cause: BaseException | None = exc
        while cause is not None:
            shown += [str(cause), repr(cause), repr(getattr(cause, "args", ""))]
            cause = cause.__cause__ or cause.__context__
    encoded = base64.b64encode(f"{stub.user}:{secret}".encode()).decode()
    for password in (secret, stub.password):
        for text in shown:
            assert password not in text and encoded not in text
            assert base64.b64encode(f"{stub.user}:{password}".encode()).decode() not in text


# -- write-back -----------------------------------------------------------------------------


def source_hash(settings: Settings, key: str) -> str:
    return str(post(settings, key)["source_hash"])


def write(settings: Settings, key: str, lang: str, title: str, body: str) -> Any:
    with transaction(settings.database_url) as s:
        return write_translation(s, settings, key=key, lang=lang, title=title, body=body,
                                 source_hash=source_hash(settings, key), actor="test")


def test_write_back_creates_a_linked_draft(settings: Settings, wp: Callable[..., Site]) -> None:
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(settings, stub)
    run_scan(settings, [site.spec])
    key = f"wp-{ids['digital']}"
    body = DIGITAL_EN.replace("Most public services can now be used online.", DIGITAL_TR[1])
    body = body.replace("Citizens sign documents with an <em>e-signature</em>.", DIGITAL_TR[2])
    v = write(settings, key, "tr", DIGITAL_TR[0], body)
    group = stub.group_of(ids["digital"])
    assert set(group) == {"en", "tr"}
    created = stub.posts[group["tr"]]
    assert created.status == "draft" and created.content == body
    assert created.title == DIGITAL_TR[0]
    assert v.external_id == str(created.id) and v.origin == f"{stub.url}/?p={created.id}"
    versions = post(settings, key)["versions"]
    assert versions["tr"]["state"] == "current" and versions["tr"]["draft"]
    report = run_scan(settings, [site.spec])
    assert report is not None and report.new_revisions == 0 and report.new_versions == 0
    assert post(settings, key)["versions"]["tr"]["state"] == "current"
    # written again (a corrected translation): the same post is updated, its status kept
    write(settings, key, "tr", DIGITAL_TR[0] + " (2024)", body)
    assert stub.group_of(ids["digital"]) == group
    assert stub.posts[group["tr"]].title.endswith("(2024)")
    assert stub.posts[group["tr"]].status == "draft"
    # with TRANSYNC_WP_PUBLISH the translation goes live, under its permalink
    v = write(dataclasses.replace(settings, wp_publish=True), key, "tr", DIGITAL_TR[0], body)
    assert stub.posts[group["tr"]].status == "publish"
    assert v.origin == f"{stub.url}/tr/digital-services-tr/"
    report = run_scan(settings, [site.spec])
    assert report is not None and report.deleted == report.new_revisions == 0
    assert not post(settings, key)["versions"]["tr"]["draft"]


def test_write_back_renders_a_markdown_submission(lite: Settings,
                                                  wp: Callable[..., Site]) -> None:
    """A translation submitted as Markdown is posted as HTML (body_format="markdown")."""
    site = wp()
    settings = with_wp(lite, site.stub)
    run_scan(settings, [site.spec])
    key = f"wp-{site.ids['digital']}"
    markdown = f"{DIGITAL_TR[1]}\n\nVatandaşlar belgeleri **e-imza** ile imzalıyor.\n"
    declared = source_hash(settings, key)
    with transaction(settings.database_url) as s:
        scan = Scan(s, settings, "test", keys=[key])
        pid = scan.snap.posts[key]
        src = scan.snap.versions[(pid, "en")]
        target = open_source(site.spec, settings)
        target.write_translation(s, scan, src=src, key=key, lang="tr", title=DIGITAL_TR[0],
                                 body=markdown, source_hash=declared,
                                 body_format="markdown")
    created = site.stub.posts[site.stub.group_of(site.ids["digital"])["tr"]]
    signed = "<p>Vatandaşlar belgeleri <strong>e-imza</strong> ile imzalıyor.</p>\n"
    assert created.content == f"<p>{DIGITAL_TR[1]}</p>\n{signed}"
    assert post(settings, key)["versions"]["tr"]["state"] == "current"


def test_write_back_retried_after_a_timeout_creates_one_post(
    lite: Settings, wp: Callable[..., Site], sleeps: list[float], monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(lite, stub)
    run_scan(settings, [site.spec])
    monkeypatch.setattr(WordPressSite, "timeout", httpx.Timeout(1.0))
    stub.stall_next_post(5.0)  # the POST is applied, the answer comes too late
    before = len(stub.requests)
    v = write(settings, f"wp-{ids['grain']}", "ru", "О зерновом коридоре",
              "Коридор снова открылся в августе.\n\nСуда идут у берега под конвоем.")
    posts = [r for r in stub.requests[before:] if r.method == "POST"]
    assert [r.path for r in posts] == ["/wp-json/wp/v2/pages",
                                       f"/wp-json/wp/v2/pages/{v.external_id}"]
    assert len(sleeps) == 1
    ru = [p for p in stub.posts.values() if p.lang == "ru" and p.type == "page"]
    assert len(ru) == 1 and stub.group_of(ids["grain"])["ru"] == ru[0].id
    assert post(lite, f"wp-{ids['grain']}")["versions"]["ru"]["state"] == "current"


def test_write_back_is_refused_for_wpml_and_without_credentials(
    lite: Settings, wp: Callable[..., Site]
) -> None:
    site = wp(plugin="wpml")
    settings = with_wp(lite, site.stub)
    run_scan(settings, [site.spec])
    key = f"wp-{site.ids['digital']}"
    with pytest.raises(ConflictError, match="write-back is not available for WPML"):
        write(settings, key, "tr", DIGITAL_TR[0], "<p>x</p>")
    with pytest.raises(ConflictError, match="TRANSYNC_WP_APP_PASSWORD"):
        write(with_wp(lite, site.stub, auth=False), key, "tr", DIGITAL_TR[0], "<p>x</p>")
    assert not [r for r in site.stub.requests if r.method == "POST"]


# -- shown everywhere ---------------------------------------------------------------------


def test_status_json_and_catalogs(lite: Settings, wp: Callable[..., Site],
                                  tmp_path: Path) -> None:
    site = wp()
    settings = with_wp(lite, site.stub)
    run_scan(settings, [site.spec])
    code, out, err = transync(settings, "status", "--json")
    assert code == 0, err
    doc = json.loads(out)
    energy = next(p for p in doc["posts"] if p["key"] == f"wp-{site.ids['energy']}")
    assert energy["versions"]["tr"]["origin"] == f"{site.stub.url}/tr/karadeniz-enerji/"
    assert site.stub.password not in out
    export_catalogs(settings, directory=tmp_path)
    tr = polib.pofile(str(tmp_path / "tr/LC_MESSAGES/posts.po"))
    entry = tr.find("Boru hatları ve limanlar", by="msgstr",
                    msgctxt=f"wp-{site.ids['energy']}")
    assert entry is not None and entry.msgid == "Pipelines and ports"
    places = {o for e in tr for o, _ in e.occurrences}
    assert f"{site.stub.url}/energy-security/" in places
    assert f"{site.stub.url}/tr/karadeniz-enerji/" in places
    missing = [e for e in tr if e.msgctxt == f"wp-{site.ids['digital']}"]
    assert missing and all(e.msgstr == "" for e in missing)


def test_task_flow_end_to_end(settings: Settings, wp: Callable[..., Site]) -> None:
    """Missing Turkish → claim → submit in the browser editor → a linked draft in
    WordPress → the next scan finds it current and plans nothing."""
    site = wp()
    stub, ids = site.stub, site.ids
    settings = with_wp(settings, stub)
    run_scan(settings, [site.spec])
    key = f"wp-{ids['digital']}"
    add_people(settings)
    queued = open_task(settings, key, "tr")
    assert queued is not None and queued["state"] == "queued"
    with transaction(settings.database_url) as s:
        got = claim(s, settings, "ayse", "tr")
        assert got is not None
        task_id = got[0].id
        assert got[1] == key
    with transaction(settings.database_url) as s:
        segments = task_detail(s, settings, task_id)["segments"]
    assert [seg["source"] for seg in segments][0] == "Digital public services"
    with transaction(settings.database_url) as s:
        result = submit_segments(s, settings, task_id, "ayse", dict(enumerate(DIGITAL_TR)),
                                 partial=False)
    assert result["applied"] and result["state"] == "done"
    group = stub.group_of(ids["digital"])
    created = stub.posts[group["tr"]]
    assert created.status == "draft" and created.title == DIGITAL_TR[0]
    assert "<p>Vatandaşlar belgeleri <em>e-imza</em> ile imzalıyor.</p>" in created.content
    assert "<!-- wp:paragraph -->" in created.content  # the source's blocks, kept
    report = run_scan(settings, [site.spec])
    assert report is not None and report.new_revisions == 0
    assert post(settings, key)["versions"]["tr"]["state"] == "current"
    assert open_task(settings, key, "tr") is None


def test_published_draft_keeps_its_version_on_reconciliation(
    lite: Settings, wp: Callable[..., Site]
) -> None:
    """Publishing the ru draft changes its link (?p=… → /ru/slug/); seen by a full pass."""
    site = wp()
    settings = with_wp(lite, site.stub, wp_reconcile_hours=0.0)
    run_scan(settings, [site.spec])
    site.stub.edit(site.ids["energy-ru"], status="publish")
    report = run_scan(settings, [site.spec])
    assert report is not None and report.deleted == 0
    ru = post(settings, f"wp-{site.ids['energy']}")["versions"]["ru"]
    assert ru["state"] == "current" and ru["origin"].endswith("/ru/energeticheskaya/")
