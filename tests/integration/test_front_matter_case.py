"""Hugo reads front-matter keys in any case (``Title:``, ``Draft: true``, ``TranslationKey:``),
so transync does too: files pair by a capitalized key, a capitalized draft gets no task, the
title is read, and a write-back edits the file's own ``Title:`` instead of adding a second
``title:``. Two spellings of one key in a file are refused at the second one's line."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from sync.db.session import transaction
from sync.frontmatter import parse_document
from sync.writeback import write_translation
from tests.helpers.tracking import cell, open_task_counts, scan, status


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def post(settings: Settings, key: str) -> dict:
    return next(p for p in status(settings)["posts"] if p["key"] == key)


def test_capitalized_keys_are_read_as_hugo_reads_them(settings: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content"
    write(
        content / "posts/hello.md",
        "---\nTitle: Hello\nTranslationKey: capkey\nDescription: A greeting\n---\n\nHello world.\n",
    )
    write(
        content / "posts/merhaba.tr.md",
        "---\nTitle: Merhaba\nTranslationKey: capkey\nDescription: Bir selam\n---\n\n"
        "Merhaba dünya.\n",
    )
    write(content / "posts/plan.md", "+++\nTITLE = 'Plan'\nDraft = true\n+++\n\nNot yet.\n")
    write(content / "posts/cards/index.md", '{\n  "Headless": true\n}\nResources only.\n')
    write(content / "posts/cards/card.md", "---\ntitle: Card\n---\n\nA card.\n")

    report = scan(settings, content)
    assert not report.problems, report.problems
    assert report.skipped.get("headless") == 2
    assert {p["key"] for p in status(settings)["posts"]} == {"capkey", "posts/plan"}
    assert post(settings, "capkey")["title"] == "Hello"
    assert cell(settings, "capkey", "tr")["state"] == "current"
    assert cell(settings, "posts/plan", "en")["draft"] is True
    assert open_task_counts(settings) == {("capkey", "ru"): 1}

    # write-back into the existing Turkish file and a new Russian one keeps Title: as written
    write(
        content / "posts/hello.md",
        "---\nTitle: Hello again\nTranslationKey: capkey\nDescription: A greeting\n---\n\n"
        "Hello world.\n",
    )
    scan(settings, content)
    assert cell(settings, "capkey", "tr")["state"] == "stale"
    source_hash = post(settings, "capkey")["source_hash"]
    for lang, title, body in (
        ("tr", "Yine merhaba", "Merhaba dünya."),
        ("ru", "Снова привет", "Привет, мир."),
    ):
        with transaction(settings.database_url) as s:
            write_translation(
                s,
                settings,
                key="capkey",
                lang=lang,
                title=title,
                body=body,
                source_hash=source_hash,
                actor="test",
                fields={"description": ["Selam" if lang == "tr" else "Приветствие"]},
            )
    tr = (content / "posts/merhaba.tr.md").read_text(encoding="utf-8")
    ru = (content / "posts/hello.ru.md").read_text(encoding="utf-8")
    for text, title, description in (
        (tr, "Yine merhaba", "Selam"),
        (ru, "Снова привет", "Приветствие"),
    ):
        meta = parse_document(text.encode(), origin="x")[0]
        assert meta["Title"] == title and "title" not in meta, text
        assert meta["Description"] == description and "description" not in meta, text
    report = scan(settings, content)
    assert not report.problems, report.problems
    assert cell(settings, "capkey", "tr")["state"] == "current"
    assert cell(settings, "capkey", "ru")["state"] == "current"


def test_two_spellings_of_one_key_are_refused_at_the_second(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    write(content / "posts/a.md", "---\ntitle: One\ntags: [x]\nTitle: Two\n---\n\nText.\n")
    write(content / "posts/b.md", "---\ntitle: Fine\nTags: [x]\ntags: [y]\n---\n\nText.\n")
    report = scan(settings, content)
    (problem,) = report.problems
    assert (problem.origin, problem.line) == ("posts/a.md", 4)
    assert "'title' and 'Title'" in problem.reason, problem.reason
