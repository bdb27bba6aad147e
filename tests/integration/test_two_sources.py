"""One database tracking more than one source (TRANSYNC_SOURCES="content old-content", a
content tree beside a WordPress export): a post keeps its key, states and history when it
moves from one source to the other, and what one source holds is never taken over by the
other."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.errors import ConflictError
from sync.scanning import run_scan
from sync.writeback import write_translation
from tests.conftest import DATA, make_settings
from tests.helpers.tracking import (
    add_people,
    assigned,
    cell,
    scan,
    status,
    task_po,
    translate_fuzzy,
    transync,
)

EN = "---\ntitle: Energy\ntranslationKey: energy\n---\n\nPrices rose.\n\nStorage was low.\n"
WXR = DATA / "wxr"
TR = "---\ntitle: Enerji\ntranslationKey: energy\n---\n\nFiyatlar yükseldi.\n\nDepolama düşüktü.\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_post_moved_to_a_source_read_first_is_moved_not_deleted(
    settings: Settings, tmp_path: Path
) -> None:
    """The blog moves from the old tree to the new: the scan that reads both finds the post
    gone from the old and in the new. Read first, the new tree's files must not be refused
    as held by the old tree, which the same scan finds without them."""
    new, old = tmp_path / "new", tmp_path / "old"
    write(old / "posts/energy.en.md", EN)
    write(old / "posts/energy.tr.md", TR)
    new.mkdir()
    scan(settings, new, old)
    assert cell(settings, "energy", "tr")["state"] == "current"

    for name in ("energy.en.md", "energy.tr.md"):
        (old / "posts" / name).rename(new / name)
    report = scan(settings, new, old)
    assert not report.problems, [p.reason for p in report.problems]
    assert cell(settings, "energy", "en")["state"] == "source"
    got = cell(settings, "energy", "tr")
    assert got["state"] == "current" and got["based_on_revision"] == 1, got
    assert not scan(settings, new, old).problems


def test_a_translation_in_the_other_tree_is_written_back_where_it_is(
    settings: Settings, tmp_path: Path
) -> None:
    """The source in one content tree, its Turkish translation in another (a translations
    repository beside the site's): the update task's translation goes into the file the
    translation is, not into a second file beside the source that the other tree's file
    would then clash with on every scan."""
    site, translations = tmp_path / "site", tmp_path / "translations"
    write(site / "posts/energy.en.md", EN)
    write(translations / "posts/energy.tr.md", TR)
    add_people(settings)
    assert not scan(settings, site, translations).problems
    write(site / "posts/energy.en.md", EN.replace("Storage was low.", "Storage was very low."))
    scan(settings, site, translations)
    assert cell(settings, "energy", "tr")["state"] == "stale"
    task_id = assigned(settings, "energy", "tr", "ayse")
    path = tmp_path / "energy.po"
    po = task_po(settings, task_id, path)
    translate_fuzzy(po, "Depolama çok düşüktü.")
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(path))
    assert code == 0, (code, out, err)

    assert not (site / "posts/energy.tr.md").exists()
    written = (translations / "posts/energy.tr.md").read_text(encoding="utf-8")
    assert "Depolama çok düşüktü." in written and "Fiyatlar yükseldi." in written
    report = scan(settings, site, translations)
    assert not report.problems, [p.reason for p in report.problems]
    got = cell(settings, "energy", "tr")
    assert got["state"] == "current" and got["origin"] == "posts/energy.tr.md", got


def test_a_translation_in_a_tree_of_a_post_from_an_export_is_refused_naming_its_file(
    db_url: str, tmp_path: Path
) -> None:
    """The source in a WordPress export, its Turkish translation already in the Hugo tree
    (a site half moved): the write-back cannot go into the export, and the refusal says
    where the translation is, not "paste it into WordPress", whose next export would
    then clash with the tree's file."""
    settings = make_settings(db_url, wp_default_lang="en")
    wxr = tmp_path / "old.xml"
    wxr.write_text((WXR / "single-language.xml").read_text(encoding="utf-8"), encoding="utf-8")
    content = tmp_path / "content"
    write(
        content / "posts/annual.tr.md",
        "---\ntitle: Yıllık rapor 2023\ntranslationKey: wp-1\n---\n\nYılın özeti.\n",
    )
    assert not run_scan(settings, [str(content), f"wxr:{wxr}"]).problems
    assert cell(settings, "wp-1", "tr")["origin"] == "posts/annual.tr.md"
    source_hash = next(p for p in status(settings)["posts"] if p["key"] == "wp-1")["source_hash"]
    with pytest.raises(ConflictError) as caught, transaction(settings.database_url) as s:
        write_translation(
            s,
            settings,
            key="wp-1",
            lang="tr",
            title="Yıllık rapor 2023",
            body="<p>Yılın özeti, gözden geçirilmiş.</p>",
            source_hash=source_hash,
            actor="test",
        )
    said = str(caught.value)
    assert f"fs:{content}" in said and "posts/annual.tr.md" in said, said
    assert "WordPress" not in said, said
    assert "Yılın özeti.\n" in (content / "posts/annual.tr.md").read_text(encoding="utf-8")
