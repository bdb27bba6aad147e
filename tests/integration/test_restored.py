"""A translation that goes away and comes back (a file put back, a post restored from
WordPress's trash) keeps the source revision it was made from: if the source moved on in
the meantime it is stale, not assumed current as if seen for the first time."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import cell, scan


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_a_restored_translation_is_stale_when_its_source_moved_on(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    en, tr = content / "en/posts/gas.md", content / "tr/posts/gas.md"
    write(en, "---\ntitle: Gas\n---\n\nPrices rose.\n\nStorage was low.\n")
    turkish = "---\ntitle: Gaz\n---\n\nFiyatlar yükseldi.\n\nDepolama düşüktü.\n"
    write(tr, turkish)
    scan(settings, content)
    assert cell(settings, "posts/gas", "tr")["state"] == "current"

    tr.unlink()  # the translation is taken down ...
    write(en, "---\ntitle: Gas\n---\n\nPrices rose sharply.\n\nStorage was low.\n")
    report = scan(settings, content)
    assert report.deleted == 1
    assert cell(settings, "posts/gas", "tr")["state"] == "missing"

    write(tr, turkish)  # ... and put back as it was, after the source changed
    report = scan(settings, content)
    assert report.restored == 1
    got = cell(settings, "posts/gas", "tr")
    assert got["state"] == "stale", got
    assert got["based_on_revision"] == 1 and got["changed_segments"] == 1, got


def test_a_restored_translation_is_current_when_its_source_did_not_move(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    write(content / "en/posts/gas.md", "---\ntitle: Gas\n---\n\nPrices rose.\n")
    tr = content / "tr/posts/gas.md"
    write(tr, "---\ntitle: Gaz\n---\n\nFiyatlar yükseldi.\n")
    scan(settings, content)
    tr.unlink()
    scan(settings, content)
    write(tr, "---\ntitle: Gaz\n---\n\nFiyatlar yükseldi.\n")
    assert scan(settings, content).restored == 1
    assert cell(settings, "posts/gas", "tr")["state"] == "current"
