"""Adopting a real site (issue 14): the first scan of a multilingual Hugo site with years of git
history tells the truth. Each translation's baseline comes from history (or says it is assumed),
stale ones are stale from the first scan with the exact paragraphs, every file is read or
counted, stubs are missing, only allowed languages are sources, and a broken file is named at
its line. On SQLite and PostgreSQL; the site is tests.helpers.hugosite."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import polib
import pytest
from sqlalchemy import select

from sync.config import Settings
from sync.db.models import Event, Post, Task
from sync.db.session import transaction
from sync.frontmatter import parse_document
from sync.planning import plan_tasks
from sync.pofiles import submit_po, task_po
from sync.queue import assign
from sync.sources.fs import ContentTree
from sync.submission import submit_markdown
from tests.conftest import DATA, make_settings
from tests.helpers import hugosite as hs
from tests.helpers.gitrepo import git_env
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    db_snapshot,
    open_task,
    scan,
    status,
    transync,
    tree_snapshot,
)

BAD = DATA / "hugo" / "bad"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan runs git with the caller's environment: free it of this machine's git
    configuration, as the site's repository is."""
    for name, value in git_env().items():
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> hs.HugoSite:
    """The site, built once per module; each test works on a copy."""
    return hs.build_hugo_site(tmp_path_factory.mktemp("hugo") / "site")


@pytest.fixture
def site(pristine: hs.HugoSite, tmp_path: Path) -> hs.HugoSite:
    return pristine.copy(tmp_path / "site")


def site_settings(db_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    """The site's settings: its translatable front matter (cards too) and ignore patterns."""
    overrides.setdefault("front_matter_fields", hs.FIELDS)
    overrides.setdefault("ignore", hs.IGNORE)
    overrides.setdefault("locales_dir", str(tmp_path / "locales"))
    return make_settings(db_url, **overrides)


def posts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in doc["posts"]}


def run(settings: Settings, *args: str, code: int = 0) -> str:
    """`transync ARGS` in-process; the exit code must be `code`; its standard output."""
    got, out, err = transync(settings, *args)
    assert got == code, f"transync {' '.join(args)} exited {got}\n{out}\n{err}"
    return out


def baseline_events(settings: Settings, key: str, lang: str) -> list[dict[str, Any]]:
    doc = json.loads(run(settings, "log", key, "--json"))
    return [e["details"] for e in doc["events"] if e["kind"] == "baseline" and e["lang"] == lang]


def one_line(text: str) -> str:
    """Terminal output with its wrapping undone."""
    return " ".join(text.split())


# -- 1. baselines from history ----------------------------------------------------------------

#: (key, lang) → (state, baseline) after the first scan of the site with its history.
FIRST_SCAN = {
    (hs.OVERVIEW, "ru"): ("stale", "history"),  # made on day 2, source edited on day 5
    (hs.OVERVIEW, "tr"): ("current", "history"),  # made on day 7 from the day-5 source
    (hs.NODES, "ru"): ("stale", "history"),  # made on a branch from the day-0 source
    (hs.CONFIGURE, "ru"): ("stale", "history"),  # made on day 2, renamed on day 8
    (hs.DEBUG, "tr"): ("current", "history"),  # uncommitted: made now
    (hs.CONCEPTS, "tr"): ("current", "declared"),  # source_hash: in its front matter
    (hs.CONCEPTS, "ru"): ("current", "history"),
    (hs.DOCS, "ru"): ("current", "history"),
    (hs.DOCS, "tr"): ("current", "history"),
    (hs.PODS, "tr"): ("current", "history"),
    (hs.COMMUNITY, "ru"): ("current", "history"),
    (hs.TUTORIALS, "ru"): ("current", "history"),
    (hs.BLOG, "ru"): ("current", "history"),
}
#: Translations without a source_hash: what a scan without history takes as assumed.
ASSUMED = {pair for pair, (_, baseline) in FIRST_SCAN.items() if baseline == "history"}


def test_first_scan_dates_every_translation_from_git_history(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    report = scan(settings, site.root)
    assert report.problems == []
    assert report.as_dict()["baselines"] == {"declared": 1, "history": 12}
    doc = status(settings)
    by_key = posts(doc)
    for (key, lang), (state, baseline) in FIRST_SCAN.items():
        cell = by_key[key]["versions"][lang]
        assert (cell["state"], cell["baseline"]) == (state, baseline), (key, lang, cell)
        assert cell["origin"] == hs.origin(key, lang)
    # with history, no translation taken as current or stale is assumed
    assert not [
        (p["key"], lang)
        for p in doc["posts"]
        for lang, cell in p["versions"].items()
        if cell["state"] in ("current", "stale") and cell["baseline"] == "assumed"
    ]

    # stale from the first scan: the exact counts (worked out by hand) and since when
    overview = by_key[hs.OVERVIEW]
    assert overview["source_revision"] == 2  # r1 is the source the Russian was made from
    ru = overview["versions"]["ru"]
    assert ru["based_on_revision"] == 1
    assert (ru["changed_segments"], ru["added_segments"], ru["removed_segments"]) == (1, 1, 1)
    assert ru["stale_since"] == "2024-01-06T09:00:00Z"  # the day-5 edit
    assert overview["versions"]["tr"]["based_on_revision"] == 2
    nodes = by_key[hs.NODES]["versions"]["ru"]
    assert (
        nodes["changed_segments"],
        nodes["added_segments"],
        nodes["removed_segments"],
        nodes["stale_since"],
    ) == (1, 0, 0, "2024-01-07T09:00:00Z")  # the day-6 edit
    configure = by_key[hs.CONFIGURE]["versions"]["ru"]
    assert (
        configure["changed_segments"],
        configure["added_segments"],
        configure["removed_segments"],
        configure["stale_since"],
    ) == (1, 0, 0, "2024-01-06T09:00:00Z")  # made before the day-5 edit, renamed after it

    # a declared baseline is the hash status --json reports for the source
    meta, _, _ = parse_document(site.path(hs.CONCEPTS, "tr").read_bytes(), origin="tr")
    assert meta["source_hash"] == by_key[hs.CONCEPTS]["source_hash"]

    # stale translations are planned as updates from the first scan
    for key in (hs.OVERVIEW, hs.NODES, hs.CONFIGURE):
        task = open_task(settings, key, "ru")
        assert task is not None and (task["kind"], task["state"]) == ("update", "queued")


def test_baseline_events_name_the_commits(db_url: str, tmp_path: Path, site: hs.HugoSite) -> None:
    settings = site_settings(db_url, tmp_path)
    out = run(settings, "scan", str(site.root))
    line = next(
        line
        for line in out.splitlines()
        if line.startswith("translations seen for the first time: ")
    )
    assert sorted(line.split(": ", 1)[1].split(", ")) == [
        "1 declared by source_hash",
        "12 dated by git history",
    ]
    c = site.commits
    expected = {
        (hs.OVERVIEW, "ru"): dict(
            based_on_revision=1,
            translation_commit=c["translations"],
            source_commit=c["sources"],
            next_source_commit=c["edits"],
            uncommitted=False,
        ),
        (hs.OVERVIEW, "tr"): dict(
            based_on_revision=2,
            translation_commit=c["tr-overview"],
            source_commit=c["edits"],
            next_source_commit=None,
            uncommitted=False,
        ),
        # late from a branch: the branch's commit, the day-0 source, then the day-6 edit
        (hs.NODES, "ru"): dict(
            based_on_revision=1,
            translation_commit=c["ru-nodes"],
            source_commit=c["sources"],
            next_source_commit=c["more-edits"],
            uncommitted=False,
        ),
        # renamed on day 8 without a change: made on day 2
        (hs.CONFIGURE, "ru"): dict(
            based_on_revision=1,
            translation_commit=c["translations"],
            source_commit=c["sources"],
            next_source_commit=c["edits"],
            uncommitted=False,
        ),
        (hs.DEBUG, "tr"): dict(
            based_on_revision=1,
            translation_commit=None,
            source_commit=None,
            next_source_commit=None,
            uncommitted=True,
        ),
    }
    for (key, lang), details in expected.items():
        assert baseline_events(settings, key, lang) == [{"baseline": "history", **details}], (
            key,
            lang,
        )
    # a declared baseline is not history's: no baseline event
    assert baseline_events(settings, hs.CONCEPTS, "tr") == []


def test_stale_from_history_shows_the_old_paragraphs_in_diff_and_catalog(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    diff = json.loads(run(settings, "diff", hs.OVERVIEW, "ru", "--json"))
    assert (diff["state"], diff["based_on_revision"], diff["source_revision"]) == ("stale", 1, 2)
    assert [op for op in diff["ops"] if op["op"] != "equal"] == [
        {"op": "changed", "old": hs.OVERVIEW_NAME_V1, "new": hs.OVERVIEW_NAME_V2},
        {"op": "removed", "old": hs.OVERVIEW_VIRTUALIZED, "new": None},
        {"op": "added", "old": None, "new": hs.OVERVIEW_RESCUE},
    ]
    text = one_line(run(settings, "diff", hs.OVERVIEW, "ru"))
    assert "changed 1, added 1, removed 1" in text
    assert f"- {hs.OVERVIEW_NAME_V1} + {hs.OVERVIEW_NAME_V2}" in text
    nodes = json.loads(run(settings, "diff", hs.NODES, "ru", "--json"))
    assert [op for op in nodes["ops"] if op["op"] != "equal"] == [
        {"op": "changed", "old": hs.NODES_MANAGEMENT_V1, "new": hs.NODES_MANAGEMENT_V2}
    ]

    run(settings, "export")
    ru = polib.pofile(str(tmp_path / "locales/ru/LC_MESSAGES/posts.po"))
    overview = [e for e in ru if e.msgctxt == hs.OVERVIEW]
    assert (
        "state: stale; source: en r2; based on r1; changed 1, added 1, removed 1"
        in overview[0].comment
    )
    changed = next(e for e in overview if e.msgid == hs.OVERVIEW_NAME_V2)
    assert "fuzzy" in changed.flags
    assert changed.previous_msgid == hs.OVERVIEW_NAME_V1
    assert changed.msgstr == hs.RU_OVERVIEW_NAME
    added = next(e for e in overview if e.msgid == hs.OVERVIEW_RESCUE)
    assert added.msgstr == "" and not added.previous_msgid
    assert [e.msgid for e in overview if "fuzzy" in e.flags] == [hs.OVERVIEW_NAME_V2]
    for key, old, new in (
        (hs.NODES, hs.NODES_MANAGEMENT_V1, hs.NODES_MANAGEMENT_V2),
        (hs.CONFIGURE, hs.CONFIGURE_INTRO_V1, hs.CONFIGURE_INTRO_V2),
    ):
        entry = next(e for e in ru if e.msgctxt == key and e.msgid == new)
        assert "fuzzy" in entry.flags and entry.previous_msgid == old and entry.msgstr


def assert_all_assumed(settings: Settings, report: dict[str, Any]) -> None:
    """Every translation is current; the ones without source_hash are assumed."""
    assert report["errors"] == []
    assert report["baselines"] == {"assumed": 12, "declared": 1}
    doc = status(settings)
    by_key = posts(doc)
    for (key, lang), (_, baseline) in FIRST_SCAN.items():
        cell = by_key[key]["versions"][lang]
        expected = "assumed" if (key, lang) in ASSUMED else baseline
        assert (cell["state"], cell["baseline"]) == ("current", expected), (key, lang, cell)
    assert {lang: doc["summary"][lang]["assumed"] for lang in hs.LANGS} == {
        "en": 0,
        "tr": 4,
        "ru": 8,
    }
    with transaction(settings.database_url) as s:
        kinds = set(s.execute(select(Event.kind)).scalars())
    assert "baseline" not in kinds


def test_history_off_assumes_every_translation(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path, history="off")  # TRANSYNC_HISTORY=off
    assert_all_assumed(settings, json.loads(run(settings, "scan", str(site.root), "--json")))


def test_the_tree_without_git_is_assumed_everywhere_and_ack_confirms(
    db_url: str, tmp_path: Path, site: hs.HugoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.people
    from tests.web.site import FAST_HASHER, build_site

    tree = site.tree_without_git(tmp_path / "exported" / "content")
    settings = site_settings(db_url, tmp_path)
    assert_all_assumed(settings, scan(settings, tree).as_dict())
    # the same database served: the web site's scan finds nothing new
    monkeypatch.setattr(sync.people, "_hasher", FAST_HASHER)
    web = build_site(db_url, tree, tmp_path, front_matter_fields=hs.FIELDS, ignore=hs.IGNORE)
    assert web.settings.database_url == settings.database_url

    with_assumed = sorted({key for key, _ in ASSUMED})
    listed = json.loads(run(settings, "status", "--json", "--baseline", "assumed"))
    assert sorted(p["key"] for p in listed["posts"]) == with_assumed
    declared = json.loads(run(settings, "status", "--json", "--baseline", "declared"))
    assert [p["key"] for p in declared["posts"]] == [hs.CONCEPTS]
    api = web.api("ed").get("/api/v1/status", params={"baseline": "assumed"})
    assert api.status_code == 200, api.text
    assert sorted(p["key"] for p in api.json()["posts"]) == with_assumed
    assert "(assumed)" in run(settings, "status", "--post", hs.COMMUNITY)

    # an editor checks the Russian community page and confirms it
    acked = json.loads(run(settings, "ack", hs.COMMUNITY, "--lang", "ru", "--as", "ed", "--json"))
    assert acked == {
        "post": hs.COMMUNITY,
        "acknowledged": [{"lang": "ru", "previous": 1, "based_on_revision": 1, "confirmed": True}],
    }
    cell = posts(status(settings))[hs.COMMUNITY]["versions"]["ru"]
    assert (cell["state"], cell["baseline"]) == ("current", "recorded")
    listed = json.loads(run(settings, "status", "--json", "--baseline", "assumed"))
    assert sorted(p["key"] for p in listed["posts"]) == [
        k for k in with_assumed if k != hs.COMMUNITY
    ]
    assert listed["summary"]["ru"]["assumed"] == 7
    recorded = web.api("ed").get("/api/v1/status", params={"baseline": "recorded"})
    assert [p["key"] for p in recorded.json()["posts"]] == [hs.COMMUNITY]
    log = json.loads(run(settings, "log", hs.COMMUNITY, "--json"))["events"]
    ack = [e for e in log if e["kind"] == "ack"]
    assert len(ack) == 1 and ack[0]["actor"] == "ed" and ack[0]["lang"] == "ru"
    assert ack[0]["details"]["confirmed"] is True and ack[0]["details"]["previous"] == "assumed"
    # confirming again is refused: it is no longer assumed
    got, _, err = transync(settings, "ack", hs.COMMUNITY, "--lang", "ru")
    assert got != 0 and "nothing to acknowledge" in one_line(err)


# -- 3. every content file read, every skip counted --------------------------------------------


def test_every_file_is_read_or_counted_by_reason(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    report = json.loads(run(settings, "scan", str(site.root), "--json"))
    assert report["errors"] == []
    skipped = report["skipped"]
    assert set(skipped) == set(hs.SKIPPED)
    # headless bundles: test_headless_bundles_are_skipped_whole_and_never_planned
    assert {k: v for k, v in skipped.items() if k != "headless"} == {
        k: v for k, v in hs.SKIPPED.items() if k != "headless"
    }
    doc = status(settings)
    keys = set(posts(doc))
    assert not any(k.startswith(("docs/reference/generated", "README")) for k in keys)
    assert not any(p["source_lang"] in ("de", "zh-cn") for p in doc["posts"])

    # the .html page is read as HTML: its segments are its blocks' text
    run(settings, "export")
    tr = polib.pofile(str(tmp_path / "locales/tr/LC_MESSAGES/posts.po"))
    assert [e.msgid for e in tr if e.msgctxt == hs.COMMUNITY] == [
        "Community",
        "The Kubernetes community is made up of people from all over the world.",
        "The Kubernetes community — users, contributors, and the culture we've built together "
        "— is one of the biggest reasons for the meteoric rise of this open source project.",
        "Community values",
        "The Kubernetes Community values are the keystone to the ongoing success of the project.",
        "Distribution is better than centralization",
        "Community over product or company",
        "Automation over process",
    ]
    community = posts(doc)[hs.COMMUNITY]["versions"]
    assert community["en"]["origin"] == "en/community/_index.html"
    assert community["ru"]["state"] == "current"

    # the text report: one "skipped:" line, exit 0 when nothing was rejected
    again = run(settings, "scan", str(site.root))
    lines = [line for line in again.splitlines() if line.startswith("skipped:")]
    assert len(lines) == 1
    assert re.fullmatch(
        r"skipped: 7 not content, 3 ignored, 5 unconfigured language, "
        r"\d+ headless, 1 hidden",
        lines[0],
    ), lines[0]


def test_ignore_patterns_are_gitignore_style(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    """Without TRANSYNC_IGNORE the generated pages and the READMEs are read; a pattern with a
    slash in the middle is anchored at the tree's root, as in .gitignore."""
    settings = site_settings(db_url, tmp_path, ignore="reference/generated/")
    report = scan(settings, site.root)
    assert report.skipped["ignored"] == 0
    keys = set(posts(status(settings)))
    assert {"docs/reference/generated/kubectl", "README"} <= keys
    other = site_settings(db_url, tmp_path, ignore="/en/docs/reference/ README.md")
    assert scan(other, site.root).skipped["ignored"] == 3


def test_headless_bundles_are_skipped_whole_and_never_planned(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    """A headless bundle is not a page: neither its index.md nor the resource pages beside it
    (Hugo publishes none of them). Nothing of it is a post, so nothing gets a task."""
    settings = site_settings(db_url, tmp_path)
    report = scan(settings, site.root)
    keys = set(posts(status(settings)))
    assert not [k for k in keys if k == "includes" or k.startswith("includes/")]
    with transaction(settings.database_url) as s:
        planned = s.execute(select(Post.key).join(Task, Task.post_id == Post.id)).scalars()
        assert not [k for k in planned if k.startswith("includes")]
    assert report.skipped["headless"] == hs.SKIPPED["headless"]
    line = next(
        line
        for line in run(settings, "scan", str(site.root)).splitlines()
        if line.startswith("skipped:")
    )
    assert (
        line == "skipped: 7 not content, 3 ignored, 5 unconfigured language, 4 headless, 1 hidden"
    )


# -- 4. stubs are missing ---------------------------------------------------------------------


def fill_po(data: bytes, translations: list[str]) -> bytes:
    """A translator's PO editor: every entry filled, in order, nothing fuzzy."""
    po = polib.pofile(data.decode("utf-8"))
    assert len(po) == len(translations), [e.msgid for e in po]
    for entry, text in zip(po, translations, strict=True):
        entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = None
    return str(po).encode("utf-8")


def segments_of(text: str, rel: str) -> list[str]:
    """The segment texts of a translation file, read the way the site's scan reads it."""
    tree = ContentTree(
        Path("/nonexistent"),
        languages=hs.LANGS,
        default_lang="en",
        settings=Settings(front_matter_fields=hs.FIELDS),
    )
    doc = tree.parse(rel, text.encode("utf-8"), "", True, analyze=True)
    return [s.text for s in doc.analysis.segments]  # type: ignore[union-attr]


def test_stubs_are_missing_and_their_task_replaces_them(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    by_key = posts(status(settings))
    stubs = {(hs.MINIKUBE, "ru"), (hs.TUTORIALS, "tr")}  # untranslated: 1; no title, no body
    tasks = {}
    for key, lang in stubs:
        cell = by_key[key]["versions"][lang]
        task = open_task(settings, key, lang)
        assert task is not None and (task["kind"], task["state"]) == ("new", "queued")
        assert cell == {
            "state": "missing",
            "detail": "stub",
            "origin": hs.origin(key, lang),
            "words": by_key[key]["versions"]["en"]["words"],  # the whole source
            "task": {"id": task["id"], "state": "queued", "assignee": None},
        }
        assert cell["words"] > 0
        tasks[(key, lang)] = task["id"]
    stub_before = site.path(hs.MINIKUBE, "ru").read_text(encoding="utf-8")
    assert "untranslated: 1" in stub_before

    # the Russian stub is written over through a PO file
    ru_task = tasks[(hs.MINIKUBE, "ru")]
    with transaction(settings.database_url) as s:
        assign(s, settings, ru_task, EDITOR, "ivan")
    po = tmp_path / "minikube.ru.po"
    run(settings, "po", str(ru_task), "-o", str(po))
    po.write_bytes(
        fill_po(po.read_bytes(), segments_of(hs.RU_MINIKUBE, hs.origin(hs.MINIKUBE, "ru")))
    )
    result = json.loads(run(settings, "submit", str(ru_task), "--as", "ivan", str(po), "--json"))
    assert (result["state"], result["translation"]) == ("done", "current")
    written = site.path(hs.MINIKUBE, "ru").read_text(encoding="utf-8")
    meta, body, _ = parse_document(written.encode("utf-8"), origin="ru")
    source_hash = posts(status(settings))[hs.MINIKUBE]["source_hash"]
    assert meta == {
        "title": "Привет, Minikube",
        "content_type": "tutorial",
        "weight": 5,
        "source_hash": source_hash,
    }
    assert "untranslated" not in written
    assert "В этом руководстве показано" in body and "This tutorial" not in body
    assert '## {{% heading "objectives" %}}' in body and "minikube start" in body

    # the Turkish one (no title, an empty body) through a whole Markdown file
    tr_task = tasks[(hs.TUTORIALS, "tr")]
    with transaction(settings.database_url) as s:
        assign(s, settings, tr_task, EDITOR, "ayse")
        result = submit_markdown(
            s, settings, tr_task, "ayse", "tutorials.tr.md", hs.TR_TUTORIALS.encode("utf-8")
        )
    assert (result["state"], result["translation"]) == ("done", "current")
    meta, body, _ = parse_document(site.path(hs.TUTORIALS, "tr").read_bytes(), origin="tr")
    assert meta["weight"] == 60 and meta["title"] == "Eğitimler"
    assert "Kubernetes belgelerinin bu bölümü" in body

    doc = status(settings)
    for key, lang in stubs:
        cell = posts(doc)[key]["versions"][lang]
        assert (cell["state"], cell["baseline"]) == ("current", "recorded"), cell
        assert "detail" not in cell and "task" not in cell
    report = scan(settings, site.root)  # the written files are what was recorded
    assert report.new_revisions == 0 and report.problems == []
    assert posts(status(settings)) == posts(doc)


# -- 5. who may be a source -------------------------------------------------------------------


def test_a_page_whose_original_was_deleted_is_orphaned_with_source_langs(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    # without history nothing says an English original existed: only the setting decides
    settings = site_settings(db_url, tmp_path, source_langs=("en",), history="off")
    scan(settings, site.root)
    post = posts(status(settings))[hs.DOCKERSHIM]
    assert post["source_lang"] is None and post["source_revision"] is None
    assert post["versions"]["ru"]["state"] == "orphaned"
    assert post["versions"]["ru"]["origin"] == hs.origin(hs.DOCKERSHIM, "ru")
    assert {lang: post["versions"][lang] for lang in ("en", "tr")} == {
        "en": {"state": "missing", "words": 0},
        "tr": {"state": "missing", "words": 0},
    }
    with transaction(settings.database_url) as s:
        ids = list(s.execute(select(Post.id)).scalars())
        plan_tasks(s, settings, ids)
    for lang in hs.LANGS:
        assert open_task(settings, hs.DOCKERSHIM, lang) is None


def test_an_orphan_is_not_counted_or_listed_as_assumed(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    """`assumed` is a translation taken as current without evidence, one an editor can check
    and confirm with `ack`; an orphan has no source to be current with, and `ack` refuses it."""
    settings = site_settings(db_url, tmp_path, source_langs=("en",))
    scan(settings, site.root)
    doc = json.loads(run(settings, "status", "--json"))
    assert posts(doc)[hs.DOCKERSHIM]["versions"]["ru"]["state"] == "orphaned"
    assert doc["summary"]["ru"]["assumed"] == 0
    listed = json.loads(run(settings, "status", "--json", "--baseline", "assumed"))
    assert hs.DOCKERSHIM not in posts(listed)
    got, _, err = transync(settings, "ack", hs.DOCKERSHIM, "--lang", "ru")
    assert got != 0


def test_a_page_with_nothing_to_translate_never_gets_a_task(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    post = posts(status(settings))[hs.OPENAPI]
    assert post["versions"]["en"]["state"] == "source"
    assert post["versions"]["tr"] == {"state": "missing", "words": 0}  # no task
    assert post["versions"]["ru"] == {"state": "missing", "words": 0}
    with transaction(settings.database_url) as s:
        ids = list(s.execute(select(Post.id)).scalars())
        counts = plan_tasks(s, settings, ids)
    assert counts["created"] == 0
    for lang in ("tr", "ru"):
        assert open_task(settings, hs.OPENAPI, lang) is None


# -- 7. errors at the right line --------------------------------------------------------------

GOOD_SOURCE = """---
title: Cluster Architecture
weight: 30
---

The architectural concepts behind Kubernetes.
"""


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("yaml-syntax.md", "not valid YAML"),
        ("yaml-date.md", "'2024-02-30' is not a date"),
        ("yaml-priority.md", "priority must be a whole number"),
        ("toml-syntax.md", "not valid TOML"),  # a string left open on the last line
        ("toml-value.md", "not valid TOML"),
        ("toml-date.md", "is not a date"),
        ("toml-priority.md", "priority must be a whole number"),
    ],
)
def test_a_front_matter_problem_is_reported_at_its_line(
    db_url: str, tmp_path: Path, name: str, words: str
) -> None:
    tree = tmp_path / "content"
    (tree / "en/docs/concepts/architecture").mkdir(parents=True)
    (tree / "ru/docs/concepts/architecture").mkdir(parents=True)
    (tree / "en/docs/concepts/architecture/_index.md").write_text(GOOD_SOURCE, encoding="utf-8")
    shutil.copyfile(BAD / name, tree / "ru/docs/concepts/architecture/_index.md")
    settings = site_settings(db_url, tmp_path)
    report = json.loads(run(settings, "scan", str(tree), "--json", code=2))
    assert [(e["origin"], e["line"]) for e in report["errors"]] == [
        ("ru/docs/concepts/architecture/_index.md", 9)
    ]
    assert words in report["errors"][0]["reason"]
    # the rest of the tree is recorded
    cell = posts(status(settings))["docs/concepts/architecture"]["versions"]
    assert cell["en"]["state"] == "source" and cell["ru"]["state"] == "missing"
    _, out, err = transync(settings, "scan", str(tree))
    assert "ru/docs/concepts/architecture/_index.md:9:" in one_line(out + err)


def test_nothing_is_written_for_a_refused_stub_submission(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    """A PO for a stub's task with an entry of another post is refused: the stub stays."""
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    task = open_task(settings, hs.MINIKUBE, "ru")
    assert task is not None
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
        data = task_po(s, settings, task["id"])
    filled = polib.pofile(fill_po(data, segments_of(hs.RU_MINIKUBE, "ru/x.md")).decode("utf-8"))
    filled[1].msgctxt = hs.OVERVIEW
    before, files = db_snapshot(settings), tree_snapshot(site.root)
    from sync.errors import SubmissionError

    with pytest.raises(SubmissionError), transaction(settings.database_url) as s:
        submit_po(s, settings, task["id"], "ivan", "x.po", str(filled).encode("utf-8"))
    assert db_snapshot(settings) == before and tree_snapshot(site.root) == files
