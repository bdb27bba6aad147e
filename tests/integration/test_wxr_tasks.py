"""Tasks on posts read from a WXR export: the export is read-only, so a submission is refused
with what to do instead, and the task stays the translator's."""

from __future__ import annotations

import json
from pathlib import Path

import polib
import pytest

from sync.config import Settings
from sync.scanning import run_scan
from tests.conftest import DATA
from tests.helpers.tracking import add_people, task_row, transync

WXR = DATA / "wxr"


@pytest.mark.parametrize("how", ["po", "markdown"])
def test_submitting_a_translation_of_an_export_says_what_to_do(
    settings: Settings, tmp_path: Path, how: str
) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert not report.problems
    add_people(settings)
    code, out, err = transync(settings, "claim", "--as", "ayse", "--lang", "tr", "--json")
    assert code == 0, out + err
    task_id = int(json.loads(out)["id"])
    if how == "po":
        path = tmp_path / "t.po"
        code, out, err = transync(settings, "po", str(task_id), "-o", str(path))
        assert code == 0, out + err
        po = polib.pofile(str(path))
        for entry in po:  # kept as they are (names and markup): what a translator may do
            entry.msgstr = entry.msgid
            entry.flags.append("keep-source")
        po.save(str(path))
    else:
        path = tmp_path / "t.md"
        path.write_text("---\ntitle: Başlık\n---\n\nMetin.\n", encoding="utf-8")
    before = task_row(settings, task_id).state
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(path))
    said = out + err
    assert code != 0 and "Traceback" not in said and "AttributeError" not in said, said
    assert "read-only" in said and "paste it into WordPress" in said, said
    assert task_row(settings, task_id).state == before == "claimed"


HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Site</title>'
    "<link>https://example.org</link><wp:wxr_version>1.2</wp:wxr_version>\n"
)
GROUP = "pll_66aa00bb22cc3"


def item(post_id: int, lang: str, slug: str, title: str, body: str, group: str = "") -> str:
    joined = f'<category domain="post_translations" nicename="{group}">{group}</category>'
    return (
        f"<item><title>{title}</title><link>https://example.org/{slug}/</link>"
        f"<content:encoded><![CDATA[<p>{body}</p>]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id>"
        "<wp:post_date_gmt>2024-03-01 09:30:00</wp:post_date_gmt>"
        f"<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type>"
        f'<category domain="language" nicename="{lang}">{lang}</category>'
        f"{joined if group else ''}</item>\n"
    )


def test_a_post_keeps_its_key_when_its_first_translation_joins_it(
    settings: Settings, tmp_path: Path
) -> None:
    """Polylang gives an untranslated post no group, so transync keys it wp-30; its first
    translation puts both in a group with a slug of its own. The post keeps wp-30: its
    source is not deleted, its history and its open tasks stay."""
    export = tmp_path / "export.xml"
    export.write_text(
        HEAD + item(30, "en", "lonely", "Lonely post", "Only in English.") + "</channel></rss>",
        encoding="utf-8",
    )
    assert not run_scan(settings, [f"wxr:{export}"]).problems
    add_people(settings)
    code, out, err = transync(settings, "claim", "--as", "ivan", "--lang", "ru", "--json")
    assert code == 0, out + err
    ru_task = int(json.loads(out)["id"])

    term = (
        f"<wp:term><wp:term_id>33</wp:term_id><wp:term_taxonomy>post_translations"
        f"</wp:term_taxonomy><wp:term_slug>{GROUP}</wp:term_slug><wp:term_name>{GROUP}"
        '</wp:term_name><wp:term_description><![CDATA[a:2:{s:2:"en";i:30;s:2:"tr";i:60;}]]>'
        "</wp:term_description></wp:term>\n"
    )
    export.write_text(
        HEAD
        + term
        + item(30, "en", "lonely", "Lonely post", "Only in English.", GROUP)
        + item(60, "tr", "yalniz", "Yalnız yazı", "Sadece İngilizce.", GROUP)
        + "</channel></rss>",
        encoding="utf-8",
    )
    report = run_scan(settings, [f"wxr:{export}"])
    assert not report.problems and report.deleted == 0 and report.new_posts == 0
    code, out, err = transync(settings, "status", "--json")
    posts = {p["key"]: p for p in json.loads(out)["posts"]}
    assert list(posts) == ["wp-30"], list(posts)
    versions = posts["wp-30"]["versions"]
    assert versions["en"]["state"] == "source" and versions["tr"]["state"] == "current"
    assert task_row(settings, ru_task).state == "claimed"  # the Russian work goes on


def test_a_link_to_each_new_export_is_one_source(settings: Settings, tmp_path: Path) -> None:
    """WordPress names each export by its date; a link (latest.xml) pointing at the newest
    keeps one source, its posts revised, not rejected as read from another file. Scanned by
    its dated name, a newer export is refused with what to do."""
    first, second = tmp_path / "site.2024-03-11.xml", tmp_path / "site.2024-03-18.xml"
    first.write_text(
        HEAD + item(12, "en", "energy", "Energy", "Gas prices rose.") + "</channel></rss>",
        encoding="utf-8",
    )
    second.write_text(
        HEAD + item(12, "en", "energy", "Energy", "Gas prices rose again.") + "</channel></rss>",
        encoding="utf-8",
    )
    latest = tmp_path / "latest.xml"
    latest.symlink_to(first.name)
    assert not run_scan(settings, [f"wxr:{latest}"]).problems
    latest.unlink()
    latest.symlink_to(second.name)
    report = run_scan(settings, [f"wxr:{latest}"])
    assert not report.problems and report.new_revisions == 1 and report.new_posts == 0

    report = run_scan(settings, [f"wxr:{second}"])
    (problem,) = report.problems
    assert "another export" in problem.reason and str(latest) in problem.reason, problem.reason


def test_two_sites_of_a_network_are_not_told_to_overwrite_each_other(
    settings: Settings, tmp_path: Path
) -> None:
    """Every site of a multisite network has its 'Hello world!' as post 1: a second site's
    export clashes on wp-1. Saving it over the first export, as the message advised, would
    delete the first site's posts; it now tells the two cases apart and what to do."""
    blog, shop = tmp_path / "blog.xml", tmp_path / "shop.xml"
    for path, site in ((blog, "blog"), (shop, "shop")):
        path.write_text(
            HEAD.replace("https://example.org", f"https://example.org/{site}")
            + item(1, "en", f"{site}/hello-world", "Hello world!", f"Welcome to {site}.")
            + "</channel></rss>",
            encoding="utf-8",
        )
    assert not run_scan(settings, [f"wxr:{blog}"]).problems
    report = run_scan(settings, [f"wxr:{shop}"])
    (problem,) = report.problems
    assert "two sites" in problem.reason and "would delete" in problem.reason, problem.reason
    assert "TRANSYNC_DATABASE_URL" in problem.reason
    assert report.deleted == 0
