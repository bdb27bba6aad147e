"""Adopting a real site (issue 14), Hugo-aware checks on submission: a translation of the pods
page that drops a `glossary_tooltip`, loses a closing `{{< /note >}}` or changes a `term_id` is
refused with the shortcode named and nothing written, whether it comes as a PO file, as browser
segments or as a whole Markdown file; a translated `text=` and links localized to `/ru/docs/…`
are accepted. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.errors import SubmissionError
from sync.pofiles import submit_po, submit_segments, task_po
from sync.queue import assign
from sync.submission import submit_markdown
from tests.helpers import hugosite as hs
from tests.helpers.gitrepo import git_env
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    db_snapshot,
    open_task,
    scan,
    status,
    tree_snapshot,
)
from tests.integration.test_adoption import fill_po, posts, segments_of, site_settings

TOOLTIP = '{{< glossary_tooltip text="контейнеров" term_id="container" >}}'
#: (what the translator did, the text changed, what it became, what the refusal must say)
BROKEN = {
    "dropped glossary_tooltip": (
        TOOLTIP,
        "контейнеров",
        'shortcode {{< glossary_tooltip text="containers" term_id="container" >}} is missing',
    ),
    "removed closing note": ("\n{{< /note >}}\n", "\n", "shortcode {{< /note >}} is missing"),
    "changed term_id": (
        TOOLTIP,
        TOOLTIP.replace('term_id="container"', 'term_id="контейнер"'),
        'shortcode glossary_tooltip: parameter term_id changed from "container" to "контейнер"',
    ),
}
CHANNELS = ("po", "segments", "markdown")


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


def submit(settings: Settings, channel: str, task_id: int, text: str) -> dict[str, Any]:
    """Submit the Russian pods page `text` for the task, as a translator would through
    `channel`: every segment filled in a PO file, in the browser, or the whole file."""
    rel = hs.origin(hs.PODS, "ru")
    with transaction(settings.database_url) as s:
        if channel == "markdown":
            return submit_markdown(
                s, settings, task_id, "ivan", "index.ru.md", text.encode("utf-8")
            )
        segments = segments_of(text, rel)
        if channel == "po":
            data = fill_po(task_po(s, settings, task_id), segments)
            return submit_po(s, settings, task_id, "ivan", "pods.ru.po", data)
        return submit_segments(
            s, settings, task_id, "ivan", dict(enumerate(segments)), partial=False
        )


@pytest.mark.parametrize("channel", CHANNELS)
def test_broken_shortcodes_are_refused_and_good_ones_accepted(
    db_url: str, tmp_path: Path, site: hs.HugoSite, channel: str
) -> None:
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    task = open_task(settings, hs.PODS, "ru")
    assert task is not None and task["kind"] == "new"
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
    target = site.path(hs.PODS, "ru")
    before, files = db_snapshot(settings), tree_snapshot(site.root)

    for what, (old, new, message) in BROKEN.items():
        assert hs.RU_PODS.count(old) == 1
        broken = hs.RU_PODS.replace(old, new)
        with pytest.raises(SubmissionError) as refused:
            submit(settings, channel, task["id"], broken)
        problems = refused.value.problems
        assert any(message in p for p in problems), (what, problems)
        # the problems name this shortcode only: the rest of the translation is fine
        assert all("shortcode" in p for p in problems), (what, problems)
        assert not target.exists()
        assert db_snapshot(settings) == before and tree_snapshot(site.root) == files

    # the text= parameter translated, the links given the /ru prefix: accepted and written
    result = submit(settings, channel, task["id"], hs.RU_PODS)
    assert (result["state"], result["translation"]) == ("done", "current")
    written = target.read_text(encoding="utf-8")
    assert TOOLTIP in written
    assert "[Жизненный цикл пода](/ru/docs/concepts/workloads/pods/pod-lifecycle/)" in written
    assert 'caption="Рисунок 1. Фазы пода"' in written and "{{< /note >}}" in written
    cell = posts(status(settings))[hs.PODS]["versions"]["ru"]
    assert (cell["state"], cell["baseline"]) == ("current", "recorded")


def test_a_refused_markdown_file_is_told_the_line_of_its_own_file(
    db_url: str, tmp_path: Path, site: hs.HugoSite
) -> None:
    """A translator who submits a whole file is pointed at the line of that file (front matter
    counted), where their editor shows the shortcode."""
    settings = site_settings(db_url, tmp_path)
    scan(settings, site.root)
    add_people(settings)
    task = open_task(settings, hs.PODS, "ru")
    assert task is not None
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
    old, new, _ = BROKEN["changed term_id"]
    broken = hs.RU_PODS.replace(old, new)
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "term_id=" in text)
    assert line == 14
    with pytest.raises(SubmissionError) as refused:
        submit(settings, "markdown", task["id"], broken)
    whole = [p for p in refused.value.problems if not p.startswith("segment ")]
    assert whole == [
        "shortcode glossary_tooltip (line 14): parameter term_id changed from "
        '"container" to "контейнер"; only text, title, alt, caption may be '
        "translated"
    ]
