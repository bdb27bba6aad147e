"""Tests for sync.sources.hugosite: which folder is which language's content, and the
default content language, as a Hugo site's configuration says."""

from __future__ import annotations

from pathlib import Path

from sync.sources.hugosite import find_site


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_site_above_the_tree_and_its_content_dirs(tmp_path: Path) -> None:
    write(
        tmp_path / "hugo.yaml",
        "DefaultContentLanguage: TR\nLanguages:\n  EN:\n    ContentDir: content/english\n"
        "  tr:\n    contentDir: content/turkish\n",
    )
    (tmp_path / "content/english").mkdir(parents=True)
    site = find_site(tmp_path / "content/english")
    assert site is not None and site.folder == tmp_path
    assert site.default_lang == "tr"
    assert site.content_dirs == {
        "en": tmp_path / "content/english",
        "tr": tmp_path / "content/turkish",
    }


def test_the_root_file_wins_over_the_config_folder(tmp_path: Path) -> None:
    write(tmp_path / "config.toml", "[languages.en]\ncontentDir = 'content/en'\n")
    write(
        tmp_path / "config/_default/languages.toml",
        "[en]\ncontentDir = 'elsewhere'\n[tr]\ncontentDir = 'content/tr'\n",
    )
    site = find_site(tmp_path / "content")
    assert site is not None
    assert site.content_dirs == {"en": tmp_path / "content/en", "tr": tmp_path / "content/tr"}


def test_the_site_content_dir_is_one_language_s_only_when_one_lacks_its_own(
    tmp_path: Path,
) -> None:
    write(
        tmp_path / "hugo.toml",
        'contentDir = "content/en"\n[languages.en]\nweight = 1\n'
        '[languages.ru]\ncontentDir = "content/ru"\n',
    )
    site = find_site(tmp_path / "content")
    assert site is not None
    assert site.content_dirs == {"en": tmp_path / "content/en", "ru": tmp_path / "content/ru"}

    write(
        tmp_path / "hugo.toml",
        'contentDir = "content/en"\n[languages.en]\nweight = 1\n[languages.de]\nweight = 2\n'
        '[languages.ru]\ncontentDir = "content/ru"\n[languages.tr]\ncontentDir = "content/ru"\n',
    )
    site = find_site(tmp_path / "content")
    assert site is not None and site.content_dirs == {}  # shared folders: suffixes tell


def test_no_site_nearby(tmp_path: Path) -> None:
    (tmp_path / "a/b/c/d/content").mkdir(parents=True)
    write(tmp_path / "hugo.toml", "[languages.en]\ncontentDir = 'content'\n")
    assert find_site(tmp_path / "a/b/c/d/content") is None


def test_content_mounted_for_one_language_is_its_folder(tmp_path: Path) -> None:
    write(
        tmp_path / "config/_default/module.toml",
        '[[mounts]]\nsource = "content/english"\ntarget = "content"\nLang = "EN"\n'
        '[[mounts]]\nsource = "content/turkish"\ntarget = "content/"\n'
        '[mounts.sites.matrix]\nlanguages = ["tr"]\n'
        '[[mounts]]\nsource = "shared"\ntarget = "content"\n'  # every language's: suffixes tell
        '[[mounts]]\nsource = "static-tr"\ntarget = "static"\nlang = "tr"\n',  # not content
    )
    site = find_site(tmp_path / "content")
    assert site is not None
    assert site.mounts == (
        ("en", tmp_path / "content/english"),
        ("tr", tmp_path / "content/turkish"),
    )
