"""A post whose file in the source language is rejected on its first scan gets no source
yet: once the file reads, it is the source, not the translation that happened to read
first (a source, once chosen, is kept)."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import scan, status


def post(settings: Settings, key: str) -> dict:
    return next(p for p in status(settings)["posts"] if p["key"] == key)


def test_a_rejected_source_does_not_hand_its_post_to_a_translation(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    (content / "tr/posts").mkdir(parents=True)
    en = content / "en/posts/energy.md"
    en.write_text("---\ntitle: Energy\ndate: [2024\n---\n\nGas prices rose.\n", encoding="utf-8")
    (content / "tr/posts/energy.md").write_text(
        "---\ntitle: Enerji\n---\n\nGaz fiyatları yükseldi.\n", encoding="utf-8"
    )
    report = scan(settings, content)
    assert [p.origin for p in report.problems] == ["en/posts/energy.md"]
    assert post(settings, "posts/energy")["source_lang"] is None

    en.write_text("---\ntitle: Energy\n---\n\nGas prices rose.\n", encoding="utf-8")
    assert not scan(settings, content).problems
    got = post(settings, "posts/energy")
    assert got["source_lang"] == "en", got
    assert got["versions"]["en"]["state"] == "source"
    assert got["versions"]["tr"]["state"] == "current"
