"""Adopting a real site (issue 14), translatable front matter: a changed `description` or card
title makes the translations stale, travels through the task's PO and the language catalog as a
named front-matter entry, and comes back into the translation's YAML or TOML front matter with
its other keys, their order and its comments untouched; a cosmetic change elsewhere in the
front matter changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.frontmatter import parse_document
from sync.queue import assign
from tests.helpers import hugosite as hs
from tests.helpers.gitrepo import git_env
from tests.helpers.tracking import EDITOR, add_people, open_task, scan, status
from tests.integration.test_adoption import posts, run, site_settings


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in git_env().items():
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> hs.HugoSite:
    return hs.build_hugo_site(tmp_path_factory.mktemp("hugo") / "site")


@pytest.fixture
def site(pristine: hs.HugoSite, tmp_path: Path) -> hs.HugoSite:
    return pristine.copy(tmp_path / "site")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def front_lines(text: str) -> list[str]:
    """The lines between a file's front-matter delimiters."""
    lines = text.split("\n")
    close = lines.index(lines[0], 1)
    return lines[1:close]


def edit_source_field(settings: Settings, site: hs.HugoSite, key: str, old: str, new: str) -> None:
    """Change one front-matter value of the English source; rescan: one new revision, and
    every live translation stale by exactly one changed segment."""
    replace_in(site.path(key, "en"), old, new)
    report = scan(settings, site.root)
    assert (report.new_revisions, report.problems) == (1, [])
    versions = posts(status(settings))[key]["versions"]
    for lang, cell in versions.items():
        if lang == "en" or cell["state"] == "missing":
            continue
        assert cell["state"] == "stale", (lang, cell)
        assert (cell["changed_segments"], cell["added_segments"], cell["removed_segments"]) == (
            1,
            0,
            0,
        )


def catalog_entry(settings: Settings, tmp_path: Path, key: str, msgid: str) -> polib.POEntry:
    run(settings, "export")
    ru = polib.pofile(str(tmp_path / "locales/ru/LC_MESSAGES/posts.po"))
    return next(e for e in ru if e.msgctxt == key and e.msgid == msgid)


def translate_field_through_po(
    settings: Settings,
    tmp_path: Path,
    key: str,
    field: str,
    msgid: str,
    previous: str,
    old: str,
    new: str,
) -> dict[str, object]:
    """The Russian task for `key`: download its PO, check the field's entry, translate it,
    submit the file with `transync submit`."""
    task = open_task(settings, key, "ru")
    assert task is not None and task["kind"] == "update"
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
    path = tmp_path / f"task-{task['id']}.ru.po"
    run(settings, "po", str(task["id"]), "-o", str(path))
    po = polib.pofile(str(path))
    entry = next(e for e in po if e.msgid == msgid)
    assert f"front-matter field {field}" in entry.comment
    assert "fuzzy" in entry.flags and entry.previous_msgid == previous and entry.msgstr == old
    assert [e.msgid for e in po if "fuzzy" in e.flags] == [msgid]
    entry.msgstr = new
    entry.flags.remove("fuzzy")
    entry.previous_msgid = None
    po.save(str(path))
    return json.loads(run(settings, "submit", str(task["id"]), "--as", "ivan", str(path), "--json"))


def test_a_card_title_change_comes_back_into_the_russian_yaml(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    ru_path = site.path(hs.DOCS, "ru")
    before = ru_path.read_text(encoding="utf-8")
    edit_source_field(
        settings,
        site,
        hs.DOCS,
        'title: "Try Kubernetes"',
        'title: "Try Kubernetes in your browser"',
    )

    entry = catalog_entry(settings, tmp_path, hs.DOCS, "Try Kubernetes in your browser")
    assert "front-matter field cards" in entry.comment
    assert "fuzzy" in entry.flags and entry.previous_msgid == "Try Kubernetes"
    assert entry.msgstr == "Попробуйте Kubernetes"

    result = translate_field_through_po(
        settings,
        tmp_path,
        hs.DOCS,
        "cards",
        "Try Kubernetes in your browser",
        "Try Kubernetes",
        "Попробуйте Kubernetes",
        "Попробуйте Kubernetes в браузере",
    )
    assert (result["state"], result["translation"]) == ("done", "current")

    after = ru_path.read_text(encoding="utf-8")
    source_hash = posts(status(settings))[hs.DOCS]["source_hash"]
    expected = before.replace(
        'title: "Попробуйте Kubernetes"', 'title: "Попробуйте Kubernetes в браузере"'
    )
    # the one value changed and source_hash added; every other line as it was, in order,
    # comments included
    lines = front_lines(after)
    assert f"source_hash: {source_hash}" in lines
    assert [line for line in lines if not line.startswith("source_hash:")] == front_lines(expected)
    meta, _, _ = parse_document(after.encode("utf-8"), origin="ru")
    assert [c["title"] for c in meta["cards"]] == [
        "Разберитесь в Kubernetes",
        "Попробуйте Kubernetes в браузере",
    ]
    cell = posts(status(settings))[hs.DOCS]["versions"]
    assert (cell["ru"]["state"], cell["ru"]["baseline"]) == ("current", "recorded")
    assert cell["tr"]["state"] == "stale"
    report = scan(settings, site.root)
    assert report.new_revisions == 0 and report.problems == []


def test_a_description_change_comes_back_into_the_russian_toml(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    ru_path = site.path(hs.BLOG, "ru")
    before = ru_path.read_text(encoding="utf-8")
    old_en = "Sidecar containers are now enabled by default in Kubernetes 1.29."
    new_en = "Sidecar containers are now enabled by default in Kubernetes 1.29 and later."
    old_ru = "Сайдкар-контейнеры теперь включены по умолчанию в Kubernetes 1.29."
    new_ru = "Сайдкар-контейнеры включены по умолчанию в Kubernetes 1.29 и более поздних версиях."
    edit_source_field(
        settings, site, hs.BLOG, f'description = "{old_en}"', f'description = "{new_en}"'
    )

    entry = catalog_entry(settings, tmp_path, hs.BLOG, new_en)
    assert "front-matter field description" in entry.comment
    assert "fuzzy" in entry.flags and entry.previous_msgid == old_en and entry.msgstr == old_ru

    result = translate_field_through_po(
        settings, tmp_path, hs.BLOG, "description", new_en, old_en, old_ru, new_ru
    )
    assert (result["state"], result["translation"]) == ("done", "current")

    after = ru_path.read_text(encoding="utf-8")
    source_hash = posts(status(settings))[hs.BLOG]["source_hash"]
    expected = before.replace(f'description = "{old_ru}"', f'description = "{new_ru}"')
    lines = front_lines(after)
    assert f'source_hash = "{source_hash}"' in lines
    assert [line for line in lines if not line.startswith("source_hash =")] == front_lines(expected)
    meta, body, _ = parse_document(after.encode("utf-8"), origin="ru")
    assert meta["params"] == {"featured": True} and meta["tags"] == ["release", "sidecar"]
    assert "| 1.28 | альфа | выключен |" in body
    cell = posts(status(settings))[hs.BLOG]["versions"]["ru"]
    assert (cell["state"], cell["baseline"]) == ("current", "recorded")
    assert scan(settings, site.root).new_revisions == 0


def test_a_cosmetic_front_matter_change_changes_nothing(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    before = status(settings)
    # keys that are not translatable: a flag, a weight, tags, a table, a comment
    replace_in(site.path(hs.DOCS, "en"), "no_list: true", "no_list: false  # list the pages")
    replace_in(
        site.path(hs.BLOG, "en"),
        'tags = ["release", "sidecar"]',
        'tags = ["release", "sidecar", "beta"]',
    )
    replace_in(site.path(hs.BLOG, "en"), "featured = true", "featured = false")
    replace_in(site.path(hs.OVERVIEW, "en"), "weight: 20", "weight: 25")
    # and the translatable fields only re-wrapped
    replace_in(
        site.path(hs.DOCS, "en"),
        "for automating deployment,\n  scaling,",
        "for automating\n  deployment, scaling,",
    )
    report = scan(settings, site.root)
    assert (report.new_revisions, report.state_changes, report.problems) == (0, 0, [])
    assert report.unchanged < report.files  # the files were read again
    assert status(settings) == before
