"""A translator's Markdown file keeps its own front matter: a localized slug, tags or
aliases it sets are written into the translation, while what is the editor's (draft,
dates, pairing, priority) or transync's (source_hash) stays as transync has it. On SQLite
and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from sync.db.session import transaction
from sync.frontmatter import parse_document
from sync.queue import assign
from tests.helpers.tracking import EDITOR, add_people, cell, open_task, scan, transync

SOURCE = "---\ntitle: A guide\nslug: guide\ntags: [guide]\n---\n\nRead this first.\n"
SUBMITTED = (
    "---\ntitle: Руководство\nslug: rukovodstvo\ntags: [руководство, справка]\n"
    "aliases: [/ru/spravka/]\ndraft: true\ndate: 2020-01-01\nsource_hash: 0000\n---\n\n"
    "Прочтите это сначала.\n"
)


def test_the_translators_slug_and_tags_are_written(settings: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/guide.md").write_text(SOURCE, encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    task = open_task(settings, "posts/guide", "ru")
    assert task is not None
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
    upload = tmp_path / "guide.ru.md"
    upload.write_text(SUBMITTED, encoding="utf-8")
    code, out, err = transync(settings, "submit", str(task["id"]), str(upload), "--as", "ivan")
    assert code == 0, out + err
    meta, body, _ = parse_document((content / "posts/guide.ru.md").read_bytes(), origin="x")
    assert meta["title"] == "Руководство" and body.strip() == "Прочтите это сначала."
    assert meta["slug"] == "rukovodstvo"
    assert meta["tags"] == ["руководство", "справка"] and meta["aliases"] == ["/ru/spravka/"]
    assert "draft" not in meta and "date" not in meta  # the editor's, not the translator's
    assert meta["source_hash"] != "0000"  # transync's own
    assert cell(settings, "posts/guide", "ru")["state"] == "current"


def test_a_key_keeps_the_spelling_of_the_file_it_goes_into(
    settings: Settings, tmp_path: Path
) -> None:
    """Hugo reads keys in any case; a translator's `tags:` written into a translation whose
    source says `Tags:` must not make two keys, which Hugo (and transync) refuse."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/guide.md").write_text(SOURCE.replace("tags:", "Tags:"), encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    task = open_task(settings, "posts/guide", "ru")
    assert task is not None
    with transaction(settings.database_url) as s:
        assign(s, settings, task["id"], EDITOR, "ivan")
    upload = tmp_path / "guide.ru.md"
    upload.write_text(SUBMITTED, encoding="utf-8")
    code, out, err = transync(settings, "submit", str(task["id"]), str(upload), "--as", "ivan")
    assert code == 0, out + err
    meta, _, _ = parse_document((content / "posts/guide.ru.md").read_bytes(), origin="x")
    assert meta["Tags"] == ["руководство", "справка"] and "tags" not in meta
    assert cell(settings, "posts/guide", "ru")["state"] == "current"
