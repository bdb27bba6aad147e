"""A translation file that is a symlink to another page of the tree (a Hugo site's fallback:
ru/x.md -> ../en/x.md) shows that page's text: it is no translation, so it is missing
(stub), not current, and its work is the whole source."""

from __future__ import annotations

import os
from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import cell, scan


def test_a_symlink_to_the_source_is_missing_not_current(settings: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    (content / "ru/posts").mkdir(parents=True)
    (content / "tr/posts").mkdir(parents=True)
    en = content / "en/posts/ports.md"
    en.write_text("---\ntitle: Ports\n---\n\nShips wait at the ports.\n", encoding="utf-8")
    os.symlink("../../en/posts/ports.md", content / "ru/posts/ports.md")
    (content / "tr/posts/ports.md").write_text(
        "---\ntitle: Limanlar\n---\n\nGemiler limanlarda bekliyor.\n", encoding="utf-8"
    )
    report = scan(settings, content)
    assert not report.problems
    ru = cell(settings, "posts/ports", "ru")
    assert ru["state"] == "missing" and ru.get("detail") == "stub", ru
    assert cell(settings, "posts/ports", "tr")["state"] == "current"
    assert cell(settings, "posts/ports", "en")["state"] == "source"

    en.write_text("---\ntitle: Ports\n---\n\nShips wait long at the ports.\n", encoding="utf-8")
    scan(settings, content)
    assert cell(settings, "posts/ports", "ru")["state"] == "missing"
    assert cell(settings, "posts/ports", "tr")["state"] == "stale"
