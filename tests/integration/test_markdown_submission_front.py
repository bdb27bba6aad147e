"""A translator's Markdown file keeps its own front matter: a localized slug, tags or
aliases it sets are written into the translation, while what is the editor's (draft,
dates, pairing, priority) or transync's (source_hash) stays as transync has it. On SQLite
and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.config import Settings
from sync.frontmatter import parse_document
from tests.helpers.tracking import add_people, assigned, cell, scan, transync

SOURCE = "---\ntitle: A guide\nslug: guide\ntags: [guide]\n---\n\nRead this first.\n"
SUBMITTED = (
    "---\ntitle: Руководство\nslug: rukovodstvo\ntags: [руководство, справка]\n"
    "aliases: [/ru/spravka/]\ndraft: true\ndate: 2020-01-01\nsource_hash: 0000\n---\n\n"
    "Прочтите это сначала.\n"
)


def submitted(settings: Settings, tmp_path: Path, source: str) -> tuple[dict[str, Any], str]:
    """The source scanned, SUBMITTED submitted for its Russian task: the written file's
    front matter and body."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/guide.md").write_text(source, encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    task_id = assigned(settings, "posts/guide", "ru", "ivan")
    upload = tmp_path / "guide.ru.md"
    upload.write_text(SUBMITTED, encoding="utf-8")
    code, out, err = transync(settings, "submit", str(task_id), str(upload), "--as", "ivan")
    assert code == 0, out + err
    assert cell(settings, "posts/guide", "ru")["state"] == "current"
    meta, body, _ = parse_document((content / "posts/guide.ru.md").read_bytes(), origin="x")
    return meta, body


def test_the_translators_slug_and_tags_are_written(settings: Settings, tmp_path: Path) -> None:
    meta, body = submitted(settings, tmp_path, SOURCE)
    assert meta["title"] == "Руководство" and body.strip() == "Прочтите это сначала."
    assert meta["slug"] == "rukovodstvo"
    assert meta["tags"] == ["руководство", "справка"] and meta["aliases"] == ["/ru/spravka/"]
    assert "draft" not in meta and "date" not in meta  # the editor's, not the translator's
    assert meta["source_hash"] != "0000"  # transync's own


def test_a_key_keeps_the_spelling_of_the_file_it_goes_into(
    settings: Settings, tmp_path: Path
) -> None:
    """Hugo reads keys in any case; a translator's `tags:` written into a translation whose
    source says `Tags:` must not make two keys, which Hugo (and transync) refuse."""
    meta, _ = submitted(settings, tmp_path, SOURCE.replace("tags:", "Tags:"))
    assert meta["Tags"] == ["руководство", "справка"] and "tags" not in meta
