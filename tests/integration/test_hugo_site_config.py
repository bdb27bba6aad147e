"""A Hugo site configured the ways real ones are: content folders mounted per language
(``[[module.mounts]]``), language codes with a region (``pt-BR``), the site's own
``ignoreFiles``, sections that cascade ``draft``, and a scan given the site's folder rather
than its content folder. What the scan says of each page is what Hugo publishes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.errors import InputError
from sync.writeback import write_translation
from tests.helpers.tracking import cell, open_task_counts, scan, status


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def keys(settings: Settings) -> set[str]:
    return {p["key"] for p in status(settings)["posts"]}


HELLO_EN = "---\ntitle: Hello\n---\n\nHello world.\n"
HELLO_TR = "---\ntitle: Merhaba\n---\n\nMerhaba dünya.\n"
HELLO_RU = "---\ntitle: Привет\n---\n\nПривет, мир.\n"
NEWS_EN = "---\ntitle: News\n---\n\nNothing new.\n"

MOUNTS_TOML = """\
defaultContentLanguage = "en"
[languages.en]
weight = 1
[languages.tr]
weight = 2
[[module.mounts]]
source = "content/english"
target = "content"
lang = "en"
[[module.mounts]]
source = "content/turkish"
target = "content"
lang = "tr"
"""

#: Hugo 0.153's form, in the config folder's module file
MATRIX_YAML = """\
mounts:
  - source: content/english
    target: content
    sites:
      matrix:
        languages: [en]
  - source: content/russian
    target: content
    sites:
      matrix:
        languages: [ru]
  - source: shared
    target: content/shared
    sites:
      matrix:
        languages: [en, tr, ru]
"""


def test_content_folders_mounted_per_language_are_their_languages(
    settings: Settings, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    write(site / "hugo.toml", MOUNTS_TOML)
    content = site / "content"
    write(content / "english/posts/hello.md", HELLO_EN)
    write(content / "turkish/posts/hello.md", HELLO_TR)
    write(content / "english/posts/news.md", NEWS_EN)

    report = scan(settings, content)
    assert not report.problems, report.problems
    assert keys(settings) == {"posts/hello", "posts/news"}
    assert cell(settings, "posts/hello", "en")["state"] == "source"
    assert cell(settings, "posts/hello", "tr")["origin"] == "turkish/posts/hello.md"
    assert cell(settings, "posts/hello", "tr")["state"] == "current"
    assert open_task_counts(settings) == {
        ("posts/hello", "ru"): 1,
        ("posts/news", "tr"): 1,
        ("posts/news", "ru"): 1,
    }

    # a new translation is written into its language's mounted folder
    news = next(p for p in status(settings)["posts"] if p["key"] == "posts/news")
    with transaction(settings.database_url) as s:
        write_translation(
            s,
            settings,
            key="posts/news",
            lang="tr",
            title="Haberler",
            body="Yeni bir şey yok.",
            source_hash=news["source_hash"],
            actor="test",
        )
    assert (content / "turkish/posts/news.md").is_file()


def test_mounts_in_the_config_folder_with_a_sites_matrix(
    settings: Settings, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    write(site / "config/_default/hugo.toml", 'defaultContentLanguage = "en"\n')
    write(site / "config/_default/module.yaml", MATRIX_YAML)
    write(site / "content/english/posts/hello.md", HELLO_EN)
    write(site / "content/russian/posts/hello.md", HELLO_RU)
    assert not scan(settings, site / "content").problems
    assert keys(settings) == {"posts/hello"}
    assert cell(settings, "posts/hello", "ru")["origin"] == "russian/posts/hello.md"
    assert cell(settings, "posts/hello", "ru")["state"] == "current"


def test_a_region_code_is_one_language_in_any_case(settings: Settings, tmp_path: Path) -> None:
    """TRANSYNC_LANGUAGES written as BCP 47 has it (pt-BR, zh-Hans), files as Hugo has them:
    Hugo lower-cases paths and language codes, so hello.pt-br.md is the pt-BR page."""
    regional = dataclasses.replace(settings, languages=("en", "pt-BR", "zh-Hans"))
    suffixes, folders = tmp_path / "blog/content", tmp_path / "docs/content"
    write(suffixes / "posts/hello.md", HELLO_EN)
    write(suffixes / "posts/hello.pt-br.md", "---\ntitle: Olá\nsource_lang: EN\n---\n\nOlá.\n")
    write(suffixes / "posts/hello.zh-hans.md", "---\ntitle: 你好\n---\n\n你好，世界。\n")
    write(folders / "en/posts/news.md", NEWS_EN)
    write(folders / "pt-br/posts/news.md", "---\ntitle: Notícias\n---\n\nNada de novo.\n")

    report = scan(regional, suffixes, folders)
    assert not report.problems, report.problems
    assert report.skipped["unconfigured_language"] == 0
    assert cell(regional, "posts/hello", "pt-BR")["origin"] == "posts/hello.pt-br.md"
    assert cell(regional, "posts/hello", "pt-BR")["state"] == "current"
    assert cell(regional, "posts/hello", "zh-Hans")["state"] == "current"
    assert cell(regional, "posts/news", "pt-BR")["origin"] == "pt-br/posts/news.md"
    assert cell(regional, "posts/news", "pt-BR")["state"] == "current"
    assert open_task_counts(regional) == {("posts/news", "zh-Hans"): 1}


def test_files_hugo_ignores_are_not_pages(settings: Settings, tmp_path: Path) -> None:
    """The site's ignoreFiles (regular expressions Hugo searches a file's full path for) and
    Hugo's own rule (a name starting with ``.`` or ``#``): no post, no task."""
    site = tmp_path / "site"
    write(
        site / "config/_default/hugo.toml",
        'defaultContentLanguage = "en"\nignoreFiles = ["/private/", "\\\\.draft\\\\.md$"]\n',
    )
    content = site / "content"
    write(content / "posts/hello.md", HELLO_EN)
    write(content / "private/notes.md", NEWS_EN)
    write(content / "posts/news.draft.md", NEWS_EN)
    write(content / "posts/#scratch.md", NEWS_EN)

    report = scan(settings, content)
    assert not report.problems, report.problems
    assert keys(settings) == {"posts/hello"}
    assert report.skipped["ignored"] == 2 and report.skipped["hidden"] == 1
    assert open_task_counts(settings) == {("posts/hello", "tr"): 1, ("posts/hello", "ru"): 1}


def test_an_ignore_files_pattern_that_is_no_regex_is_named(
    settings: Settings, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    write(site / "hugo.yaml", "ignoreFiles:\n  - 'drafts/(old'\n")
    write(site / "content/posts/hello.md", HELLO_EN)
    with pytest.raises(InputError) as caught:
        scan(settings, site / "content")
    assert caught.value.path == str(site / "hugo.yaml")
    assert "'drafts/(old'" in caught.value.message and "ignoreFiles" in caught.value.message


def test_the_site_folder_is_not_its_content(settings: Settings, tmp_path: Path) -> None:
    """Given the site's folder, a scan would read layouts/*.html, the theme and README.md as
    English pages to translate: it stops and names the content folder."""
    site = tmp_path / "site"
    write(site / "hugo.toml", 'contentDir = "src/pages"\n')
    write(site / "src/pages/posts/hello.md", HELLO_EN)
    write(site / "layouts/_default/single.html", "<h1>{{ .Title }}</h1>\n")
    write(site / "README.md", "# The site\n\nRun hugo.\n")
    with pytest.raises(InputError) as caught:
        scan(settings, site)
    assert caught.value.path == str(site)
    assert str(site / "src/pages") in caught.value.message
    assert keys(settings) == set()
    assert not scan(settings, site / "src/pages").problems
    assert keys(settings) == {"posts/hello"}


def test_a_section_that_cascades_draft_makes_its_pages_drafts(
    settings: Settings, tmp_path: Path
) -> None:
    """``cascade: {draft: true}`` in a section page: Hugo publishes none of the pages below it
    in that language (a page's own ``draft: false`` wins), so none is queued for translation;
    taking the cascade out publishes them, and a rescan says so."""
    content = tmp_path / "site/content"
    write(content / "notes/_index.md", "---\ntitle: Notes\ncascade:\n  Draft: true\n---\n")
    write(content / "notes/_index.tr.md", "---\ntitle: Notlar\n---\n")
    write(content / "notes/plan.md", "---\ntitle: Plan\n---\n\nThe plan.\n")
    write(content / "notes/plan.tr.md", "---\ntitle: Plan\n---\n\nPlan bu.\n")
    write(content / "notes/ready.md", "---\ntitle: Ready\ndraft: false\n---\n\nReady.\n")
    write(content / "notes/deep/idea.md", "---\ntitle: Idea\n---\n\nAn idea.\n")

    assert not scan(settings, content).problems
    drafts = {p["key"]: p["draft"] for p in status(settings)["posts"]}
    assert drafts == {
        "notes": False,
        "notes/plan": True,
        "notes/ready": False,
        "notes/deep/idea": True,
    }
    assert cell(settings, "notes/plan", "tr")["draft"] is False  # the Turkish section cascades none
    assert {post for post, _lang in open_task_counts(settings)} == {"notes", "notes/ready"}

    write(content / "notes/_index.md", "---\ntitle: Notes\n---\n")
    assert not scan(settings, content).problems
    assert not any(p["draft"] for p in status(settings)["posts"])
    assert ("notes/deep/idea", "ru") in open_task_counts(settings)
