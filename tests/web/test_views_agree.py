"""Every view tells the same truth: the status matrix, `status --json`, the JSON API, the
dashboard, the post and task pages and the catalogs say the same about each post."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import polib
from click.testing import CliRunner

import sync.cli.tracker  # noqa: F401 - registers the commands
from sync.cli import cli
from sync.export import export_catalogs
from sync.scanning import run_scan
from tests.web.site import Site

# WordPress keeps a title as HTML: an editor without unfiltered_html who types
# "Fish & Chips" gets "Fish &amp; Chips" in post_title, and so in the export
WXR = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>site</title><link>https://example.org</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://example.org</wp:base_site_url>
<wp:term><wp:term_id>5</wp:term_id><wp:term_taxonomy><![CDATA[post_translations]]></wp:term_taxonomy><wp:term_slug><![CDATA[pll_fish]]></wp:term_slug><wp:term_description><![CDATA[a:2:{s:2:"en";i:11;s:2:"tr";i:12;}]]></wp:term_description></wp:term>
<item>
<title><![CDATA[Fish &amp; Chips 🐟 &#8220;to go&#8221;]]></title>
<link>https://example.org/fish/</link>
<content:encoded><![CDATA[<p>Fish and chips are served daily.</p>]]></content:encoded>
<wp:post_id>11</wp:post_id>
<wp:post_date_gmt><![CDATA[2024-03-04 09:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[fish]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="language" nicename="en"><![CDATA[English]]></category>
<category domain="post_translations" nicename="pll_fish"><![CDATA[pll_fish]]></category>
</item>
<item>
<title><![CDATA[Bal&#305;k &amp; Patates]]></title>
<link>https://example.org/balik/</link>
<content:encoded><![CDATA[<p>Balık ve patates her gün servis edilir.</p>]]></content:encoded>
<wp:post_id>12</wp:post_id>
<wp:post_date_gmt><![CDATA[2024-03-05 09:00:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[balik]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="language" nicename="tr"><![CDATA[Türkçe]]></category>
<category domain="post_translations" nicename="pll_fish"><![CDATA[pll_fish]]></category>
</item>
</channel>
</rss>
"""
TITLE = "Fish & Chips 🐟 “to go”"


def test_a_wordpress_title_reads_the_same_in_every_view(site: Site, tmp_path: Path) -> None:
    export = tmp_path / "export.xml"
    export.write_text(WXR, encoding="utf-8")
    report = run_scan(site.settings, [f"wxr:{export}"])
    assert not report.problems, report.problems

    # the catalogs: the title segment is text, its entities decoded
    export_catalogs(site.settings, directory=tmp_path / "locales")
    ru = polib.pofile(str(tmp_path / "locales/ru/LC_MESSAGES/posts.po"))
    assert [e.msgid for e in ru if e.msgctxt == "pll_fish"][0] == TITLE

    # status --json and the command line's matrix
    runner = CliRunner()
    args = ["--database-url", site.settings.database_url, "status"]
    doc = json.loads(runner.invoke(cli, [*args, "--json"], catch_exceptions=False).output)
    (post,) = [p for p in doc["posts"] if p["key"] == "pll_fish"]
    assert post["title"] == TITLE
    table = runner.invoke(cli, args, env={"COLUMNS": "250"}, catch_exceptions=False).output
    assert TITLE in table and "&amp;" not in table

    # the API, and its text filter finds the title as it reads
    api = site.api("ed")
    (post,) = api.get("/api/v1/status", params={"post": "pll_fish"}).json()["posts"]
    assert post["title"] == TITLE
    found = api.get("/api/v1/status", params={"text": "fish & chips"}).json()["posts"]
    assert [p["key"] for p in found] == ["pll_fish"]
    assert api.get("/api/v1/posts/pll_fish").json()["title"] == TITLE
    task = api.get("/api/v1/tasks", params={"post": "pll_fish", "lang": "ru"}).json()["tasks"][0]
    assert api.get(f"/api/v1/tasks/{task['id']}").json()["title"] == TITLE

    # the dashboard, the post page (each version's title) and the task page
    ed = site.login("ed")
    pages = {
        "/?text=chips": [TITLE],
        "/posts/pll_fish": [TITLE, "Balık & Patates"],
        f"/tasks/{task['id']}": [TITLE],
    }
    for path, titles in pages.items():
        shown = html.unescape(ed.get(path).text)
        for title in titles:
            assert title in shown, path
        assert "Fish &amp;" not in shown and "#8220" not in shown, path


def test_the_post_page_counts_the_words_the_matrix_counts(site: Site) -> None:
    """A missing translation's work is its source's words, on the post page as on the matrix
    (the post page drew its cells without the source, and said 0 words)."""
    api = site.api("ed")
    doc = api.get("/api/v1/status", params={"state": "missing"}).json()
    post, lang, words = next(
        (p["key"], lang, v["words"])
        for p in doc["posts"]
        for lang, v in p["versions"].items()
        if v["state"] == "missing"
    )
    assert words > 0
    page = site.login("ed").get(f"/posts/{post}").text
    versions = page.split("<tbody>")[1].split("</tbody>")[0]
    row = next(r for r in versions.split("<tr>") if f'title="{_name(lang)}">{lang}<' in r)
    cell = re.search(r'<td class="cell st-missing.*?</td>', row, re.S)
    assert cell is not None, row
    assert re.search(rf"\b{words} words\b", cell.group(0)), cell.group(0)


def _name(lang: str) -> str:
    return {"en": "English", "tr": "Turkish", "ru": "Russian"}[lang]


def test_the_dashboard_rounds_percent_current_as_the_command_line_does() -> None:
    """7 current of 52 is 13.46%: `transync status` says 13%; the dashboard rounded its
    one-decimal bar share (13.5) again and said 14%."""
    from jinja2 import Environment

    from sync.web.pages import progress_bars

    counts = {"source": 0, "current": 7, "stale": 45, "missing": 0, "orphaned": 0}
    (bar,) = progress_bars({"tr": {**counts, "assumed": 0, "words_pending": 0}}, ["tr"])
    # as matrix.html shows it
    shown = Environment().from_string("{{ pct|round|int }}").render(pct=bar["current_pct"])
    assert shown == f"{100 * 7 / 52:.0f}" == "13"


def test_the_post_page_offers_no_work_when_the_source_is_gone(site: Site) -> None:
    """The matrix gives a post whose source was deleted no work (0 words, its tasks
    cancelled); its page said each language, the deleted source's own included, was
    "Not translated yet: 3 segments to translate"."""
    (site.content / "en/posts/grain-corridor.md").unlink()
    run_scan(site.settings, [f"fs:{site.content}"])
    (post,) = (
        site.api("ed").get("/api/v1/status", params={"post": "grain-corridor"}).json()["posts"]
    )
    states = {lang: v["state"] for lang, v in post["versions"].items()}
    assert states == {"en": "missing", "tr": "orphaned", "ru": "missing"}
    assert all(v["words"] == 0 for v in post["versions"].values())
    page = site.login("ed").get("/posts/grain-corridor").text
    assert "Not translated yet" not in page
    assert page.count("Its source is gone.") == 3


def test_the_tasks_page_lists_conflicts_as_the_api_does(site: Site) -> None:
    """`tasks --state conflict` and GET /api/v1/tasks?state=conflict list the tasks an
    editor must resolve; the tasks page had a tab for every other state but that one."""
    from sqlalchemy import select

    from sync.db.models import Task
    from sync.db.session import transaction

    with transaction(site.settings.database_url) as session:
        task = session.scalars(select(Task).where(Task.lang == "tr").order_by(Task.id)).first()
        assert task is not None
        task.state, task.assignee = "conflict", "ayse"
        task_id = task.id
    api = site.api("ed").get("/api/v1/tasks", params={"state": "conflict"}).json()["tasks"]
    assert [t["id"] for t in api] == [task_id]
    page = site.login("ed").get("/tasks", params={"lang": "tr"}).text
    tab = re.search(r'<a href="(/tasks\?lang=tr&amp;state=conflict)"[^>]*>([^<]*)</a>', page)
    assert tab is not None and tab.group(2).strip() == "conflict"
    listed = site.login("ed").get(html.unescape(tab.group(1))).text
    assert re.findall(r'<tr id="task-(\d+)">', listed) == [str(task_id)]


def test_a_translators_page_lists_her_task_in_conflict(site: Site) -> None:
    """A submission write-back found a hand edit under is in conflict, still hers: the API
    lists it among her tasks; her page had it neither in progress nor done."""
    from sqlalchemy import select

    from sync.db.models import Task
    from sync.db.session import transaction

    with transaction(site.settings.database_url) as session:
        task = session.scalars(select(Task).where(Task.lang == "tr").order_by(Task.id)).first()
        assert task is not None
        task.state, task.assignee = "conflict", "ayse"
        task_id = task.id
    mine = site.api("ayse").get("/api/v1/tasks").json()["tasks"]
    assert [(t["id"], t["state"]) for t in mine] == [(task_id, "conflict")]
    page = site.login("ayse").get("/my").text
    assert f'href="/tasks/{task_id}"' in page and "Nothing in progress" not in page
