"""Write-back keeps what the translation file has and the task did not change: its own
front-matter keys (a localized slug, aliases, comments), and its own layout. On SQLite and
PostgreSQL, through the `transync` command."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import (
    add_people,
    assigned,
    scan,
    task_po,
    task_row,
    translate_fuzzy,
    transync,
)

SOURCE = "---\ntitle: Water\n---\n\nOne paragraph.\n\nTwo paragraphs.\n"


def update_po(settings: Settings, tmp_path: Path, translation: bytes) -> tuple[Path, int, Path]:
    """Source and translation (path-paired by suffix) scanned, the source's second paragraph
    edited and scanned again, the Turkish update task's PO with that paragraph translated:
    the translation's path, the task and the PO's path."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    en, tr = content / "posts/w.md", content / "posts/w.tr.md"
    en.write_text(SOURCE, encoding="utf-8")
    tr.write_bytes(translation)
    add_people(settings)
    assert not scan(settings, content).problems
    en.write_text(SOURCE.replace("Two paragraphs.", "Two short paragraphs."), encoding="utf-8")
    assert not scan(settings, content).problems
    task_id = assigned(settings, "posts/w", "tr", "ayse")
    path = tmp_path / "w.po"
    po = task_po(settings, task_id, path)
    translate_fuzzy(po, "İki kısa paragraf.")
    po.save(str(path))
    return tr, task_id, path


def test_front_matter_it_cannot_edit_is_never_replaced_by_the_sources(
    settings: Settings, tmp_path: Path
) -> None:
    # PyYAML reads a tab before a comment; the round-trip editor does not. The write-back
    # used to fall back to the source's front matter: slug and aliases gone, unannounced.
    translation = (
        "---\ntitle: Su\t# başlık\nslug: su-meselesi\naliases: [/tr/eski-su/]\n---\n\n"
        "Bir paragraf.\n\nİki paragraf.\n"
    ).encode()
    tr, task_id, po = update_po(settings, tmp_path, translation)
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(po))
    assert code == 1, (code, out, err)
    assert "posts/w.tr.md" in err and "cannot be edited in place" in err, err
    assert tr.read_bytes() == translation  # not a byte written
    assert task_row(settings, task_id).state == "claimed"
