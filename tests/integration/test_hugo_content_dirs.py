"""A Hugo site's configuration says which folder is which language's content
(``[languages.tr] contentDir = "content/turkish"``) and which language its files without a
language suffix are in (``defaultContentLanguage``): a scan of its content tree reads both,
so the versions of a post pair by path as they do in ``en/``…``tr/`` folders."""

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


def test_content_dirs_named_after_anything_are_their_languages(
    settings: Settings, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    write(
        site / "hugo.toml",
        'title = "Site"\n[languages.en]\ncontentDir = "content/english"\n'
        '[languages.tr]\nContentDir = "content/turkish"\n'
        '[languages.de]\ncontentDir = "content/german"\n',
    )
    content = site / "content"
    write(content / "english/posts/hello.md", HELLO_EN)
    write(content / "turkish/posts/hello.md", HELLO_TR)
    write(content / "german/posts/hello.md", "---\ntitle: Hallo\n---\n\nHallo Welt.\n")
    write(content / "english/posts/news.md", "---\ntitle: News\n---\n\nNothing new.\n")

    report = scan(settings, content)
    assert not report.problems, report.problems
    assert report.skipped["unconfigured_language"] == 1
    assert keys(settings) == {"posts/hello", "posts/news"}
    assert cell(settings, "posts/hello", "en")["state"] == "source"
    assert cell(settings, "posts/hello", "tr")["origin"] == "turkish/posts/hello.md"
    assert cell(settings, "posts/hello", "tr")["state"] == "current"
    assert open_task_counts(settings) == {
        ("posts/hello", "ru"): 1,
        ("posts/news", "tr"): 1,
        ("posts/news", "ru"): 1,
    }

    # a new translation is written into its language's content folder
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
    assert not scan(settings, content).problems
    assert cell(settings, "posts/news", "tr")["state"] == "current"


def test_a_config_folder_names_the_content_dirs(settings: Settings, tmp_path: Path) -> None:
    site = tmp_path / "site"
    write(
        site / "config/_default/languages.yaml",
        "en:\n  contentDir: content/english\ntr:\n  contentDir: content/turkish\n",
    )
    write(site / "content/english/posts/hello.md", HELLO_EN)
    write(site / "content/turkish/posts/hello.md", HELLO_TR)
    assert not scan(settings, site / "content").problems
    assert keys(settings) == {"posts/hello"}
    assert cell(settings, "posts/hello", "tr")["state"] == "current"


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("hugo.toml", '[languages.en]\ncontentDir = "content/english"\n[languages.tr\n', 3),
        ("config.yaml", "languages:\n  en:\n    contentDir: english\n   tr: x\n", 4),
        ("hugo.json", '{\n  "languages": {\n    "en": {,}\n  }\n}\n', 3),
    ],
)
def test_a_config_that_cannot_be_read_is_named_with_its_line(
    settings: Settings, tmp_path: Path, name: str, text: str, line: int
) -> None:
    site = tmp_path / "site"
    write(site / name, text)
    write(site / "content/english/posts/hello.md", HELLO_EN)
    with pytest.raises(InputError) as caught:
        scan(settings, site / "content")
    assert (caught.value.path, caught.value.line) == (str(site / name), line)
    assert "Hugo configuration" in caught.value.message


def suffix_site(tmp_path: Path, config: str | None) -> Path:
    site = tmp_path / "site"
    if config is not None:
        write(site / "hugo.toml", config)
    write(site / "content/posts/hello.md", HELLO_TR)
    write(site / "content/posts/hello.en.md", HELLO_EN)
    return site / "content"


def test_files_without_a_suffix_are_in_the_sites_default_language(
    settings: Settings, tmp_path: Path
) -> None:
    content = suffix_site(tmp_path, 'defaultContentLanguage = "tr"\n')
    report = scan(settings, content)
    assert not report.problems, report.problems
    assert keys(settings) == {"posts/hello"}
    assert cell(settings, "posts/hello", "tr")["origin"] == "posts/hello.md"
    assert cell(settings, "posts/hello", "en")["origin"] == "posts/hello.en.md"
    # and the site's own language is the post's source: the English page translates it
    assert cell(settings, "posts/hello", "tr")["state"] == "source"
    assert cell(settings, "posts/hello", "en")["state"] == "current"


def test_a_set_source_lang_wins_and_the_clash_says_to_change_it(
    settings: Settings, tmp_path: Path
) -> None:
    content = suffix_site(tmp_path, 'defaultContentLanguage = "tr"\n')
    given = dataclasses.replace(settings, given=settings.given | {"source_lang"})
    report = scan(given, content)
    assert {p.origin for p in report.problems} == {"posts/hello.md", "posts/hello.en.md"}
    reason = report.problems[0].reason
    assert "posts/hello.md has no language suffix" in reason, reason
    assert "TRANSYNC_SOURCE_LANG=tr" in reason and "distinct translationKey" in reason, reason


def test_without_a_config_the_clash_names_the_setting(settings: Settings, tmp_path: Path) -> None:
    report = scan(settings, suffix_site(tmp_path, None))
    reason = report.problems[0].reason
    assert "read as TRANSYNC_SOURCE_LANG (en)" in reason, reason
    assert "set TRANSYNC_SOURCE_LANG to it" in reason, reason
