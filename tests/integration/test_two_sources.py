"""One database tracking more than one source (TRANSYNC_SOURCES="content old-content", a
content tree beside a WordPress export): a post keeps its key, states and history when it
moves from one source to the other, and what one source holds is never taken over by the
other."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import cell, scan

EN = "---\ntitle: Energy\ntranslationKey: energy\n---\n\nPrices rose.\n\nStorage was low.\n"
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
