"""The tracker on real SQLite and PostgreSQL: revisions, states, acks, deletions, bad input."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.config import Settings
from sync.db.models import Event, Post, Revision, Version
from sync.db.session import transaction
from sync.history import acknowledge, translation_diff
from sync.scanning import run_scan
from sync.status import load_rows, status_document
from tests.conftest import DATA, make_settings

EN = "en/posts/energy-security.md"


def scan(settings: Settings, *paths: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_scan(settings, [str(p) for p in paths], **kw)


def status(settings: Settings) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return status_document(load_rows(s, settings), settings)


def post(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in doc["posts"] if p["key"] == key)


def count(settings: Settings, model: Any) -> int:
    with transaction(settings.database_url) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def edit_paragraph(path: Path, old_start: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    paras = text.split("\n\n")
    idx = next(i for i, p in enumerate(paras) if p.startswith(old_start))
    paras[idx] = new
    path.write_text("\n\n".join(paras), encoding="utf-8")


def test_first_scan_states_and_contract(settings: Settings, content: Path) -> None:
    report = scan(settings, content)
    assert report.new_posts == 7 and report.files == 19 and not report.problems
    doc = status(settings)
    assert doc["languages"] == ["en", "tr", "ru"]
    es = post(doc, "energy-security")
    assert es["source_lang"] == "en" and es["source_revision"] == 1
    assert re.fullmatch(r"[0-9a-f]{16}", es["source_hash"])
    assert es["versions"]["en"]["state"] == "source"
    assert es["versions"]["tr"]["state"] == "current"
    assert es["versions"]["tr"]["based_on_revision"] == 1
    assert post(doc, "grain-corridor")["versions"]["ru"] == {
        "state": "missing",
        "words": 190,
        "task": {
            "id": post(doc, "grain-corridor")["versions"]["ru"]["task"]["id"],
            "state": "queued",
            "assignee": None,
        },
    }
    # the Turkish-source post: en and ru are its translations
    rail = post(doc, "regional-rail")
    assert rail["source_lang"] == "tr"
    assert rail["versions"]["tr"]["state"] == "source"
    assert {rail["versions"]["en"]["state"], rail["versions"]["ru"]["state"]} == {"current"}
    summary = doc["summary"]
    assert set(summary) == {"en", "tr", "ru"}
    for counts in summary.values():
        assert set(counts) == {
            "source",
            "current",
            "stale",
            "missing",
            "orphaned",
            "assumed",
            "words_pending",
        }
    # no git history and no source_hash in the demo tree: every translation is assumed
    assert summary["tr"] == {
        "source": 1,
        "current": 5,
        "stale": 0,
        "missing": 1,
        "orphaned": 0,
        "assumed": 5,
        "words_pending": 185,
    }
    assert es["versions"]["tr"]["baseline"] == "assumed"


def test_rescan_without_change_creates_nothing(settings: Settings, content: Path) -> None:
    scan(settings, content)
    revisions, events = count(settings, Revision), count(settings, Event)
    report = scan(settings, content)
    assert report.unchanged == 19 and report.new_revisions == 0
    assert (count(settings, Revision), count(settings, Event)) == (revisions, events)


def test_cosmetic_edits_keep_translations_current(settings: Settings, content: Path) -> None:
    scan(settings, content)
    path = content / EN
    text = path.read_text(encoding="utf-8")
    # white space, CRLF, trailing spaces, a front-matter key other than title
    text = text.replace("\n", "  \r\n").replace("draft: false", "draft: false\nauthor: Someone")
    text = text.replace(". ", ".   ", 3)
    path.write_bytes(text.encode("utf-8"))
    report = scan(settings, content)
    assert report.unchanged == 18 and report.new_revisions == 0
    es = post(status(settings), "energy-security")
    assert es["source_revision"] == 1
    assert es["versions"]["tr"]["state"] == "current"


def test_paragraph_edit_insert_ack_and_diff(settings: Settings, content: Path) -> None:
    scan(settings, content)
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas is now the region's story.")
    scan(settings, content)
    es = post(status(settings), "energy-security")
    assert es["source_revision"] == 2
    for lang in ("tr", "ru"):
        v = es["versions"][lang]
        assert v["state"] == "stale"
        assert (v["changed_segments"], v["added_segments"], v["removed_segments"]) == (1, 0, 0)
        assert v["based_on_revision"] == 1 and v["stale_since"].endswith("Z")
    with transaction(settings.database_url) as s:
        d = translation_diff(s, settings, "energy-security", "tr")
    changed = [op for op in d["ops"] if op["op"] == "changed"]
    assert len(changed) == 1 and changed[0]["new"] == "Offshore gas is now the region's story."

    # inserting a paragraph: one more added segment
    path = content / EN
    path.write_text(
        path.read_text(encoding="utf-8") + "\nA brand new closing paragraph.\n", encoding="utf-8"
    )
    scan(settings, content)
    v = post(status(settings), "energy-security")["versions"]["tr"]
    assert (v["changed_segments"], v["added_segments"], v["removed_segments"]) == (1, 1, 0)

    with transaction(settings.database_url) as s:
        acked = acknowledge(s, settings, "energy-security", "tr", "editor")
    assert acked == [{"lang": "tr", "previous": 1, "based_on_revision": 3}]
    es = post(status(settings), "energy-security")
    assert es["versions"]["tr"]["state"] == "current"
    assert es["versions"]["ru"]["state"] == "stale"
    with transaction(settings.database_url) as s:
        kinds = [e.kind for e in s.execute(select(Event).order_by(Event.id)).scalars()]
    assert "ack" in kinds


def test_deletions_missing_and_orphaned(settings: Settings, content: Path) -> None:
    scan(settings, content)
    (content / "tr/posts/energy-security.md").unlink()
    (content / "en/posts/urban-heat.md").unlink()
    report = scan(settings, content)
    assert report.deleted == 2
    doc = status(settings)
    assert post(doc, "energy-security")["versions"]["tr"]["state"] == "missing"
    heat = post(doc, "urban-heat")["versions"]
    assert heat["tr"]["state"] == "orphaned" and heat["ru"]["state"] == "orphaned"
    assert heat["en"]["state"] == "missing"


def test_source_hash_is_honoured(settings: Settings, content: Path) -> None:
    scan(settings, content)
    old_hash = post(status(settings), "energy-security")["source_hash"]
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas changed.")
    # a new Russian file made from the OLD source declares the old hash
    ru = content / "ru/posts/energy-security.md"
    ru_text = ru.read_text(encoding="utf-8")
    ru.unlink()
    scan(settings, content)
    ru.write_text(ru_text.replace("---\n", f"---\nsource_hash: {old_hash}\n", 1), encoding="utf-8")
    scan(settings, content)
    v = post(status(settings), "energy-security")["versions"]["ru"]
    assert v["state"] == "stale" and v["based_on_revision"] == 1
    # declaring the current hash makes it current
    new_hash = post(status(settings), "energy-security")["source_hash"]
    ru.write_text(ru.read_text(encoding="utf-8").replace(old_hash, new_hash), encoding="utf-8")
    scan(settings, content)
    v = post(status(settings), "energy-security")["versions"]["ru"]
    assert v["state"] == "current" and v["based_on_revision"] == 2


def test_suffix_layout_and_path_keys(settings: Settings) -> None:
    report = scan(settings, DATA / "content")
    assert not report.problems
    doc = status(settings)
    keys = {p["key"] for p in doc["posts"]}
    assert keys == {"water-policy", "posts/rail", "posts/heat"}
    assert post(doc, "posts/rail")["versions"]["ru"]["state"] == "missing"


def test_bad_inputs_reported_and_nothing_else_changes(settings: Settings, tmp_path: Path) -> None:
    import shutil

    tree = tmp_path / "bad"
    shutil.copytree(DATA / "bad" / "content", tree)
    outside = tmp_path / "outside.md"
    outside.write_text("---\ntitle: Outside\n---\nSecret.\n", encoding="utf-8")
    os.symlink(outside, tree / "en/posts/escape.md")
    report = scan(settings, tree)
    reasons = {p.origin: p.reason for p in report.problems}
    assert "en/posts/not-utf8.md" in reasons and "UTF-8" in reasons["en/posts/not-utf8.md"]
    assert "en/posts/bad-yaml.md" in reasons
    assert any(p.origin == "en/posts/bad-yaml.md" and p.line == 4 for p in report.problems)
    assert "alias" in reasons["en/posts/alias-bomb.md"].lower()
    # a language folder that is not configured is skipped and counted, not an error
    assert "xx/posts/unknown-lang.md" not in reasons
    assert report.skipped["unconfigured_language"] == 1
    assert "outside" in reasons["en/posts/escape.md"]
    assert "en/posts/dup-one.md" in reasons and "en/posts/dup-two.md" in reasons
    doc = status(settings)
    assert [p["key"] for p in doc["posts"]] == ["good"]
    # a fixed file is then read, the rejected ones left as they were
    before = count(settings, Version)
    (tree / "en/posts/bad-yaml.md").write_text(
        "---\ntitle: Fixed\n---\nNow fine.\n", encoding="utf-8"
    )
    report = scan(settings, tree)
    assert count(settings, Version) == before + 1
    assert "en/posts/bad-yaml.md" not in {p.origin for p in report.problems}


def test_scan_is_all_or_nothing(settings: Settings, content: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sync.tracker

    def boom(self):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sync.tracker.Scan, "state_events", boom)
    with pytest.raises(RuntimeError):
        scan(settings, content)
    assert count(settings, Post) == 0 and count(settings, Revision) == 0


def test_make_settings_languages(db_url: str) -> None:
    s = make_settings(db_url, languages="en,tr", source_lang="tr")
    assert s.languages == ("en", "tr") and s.source_lang == "tr"


def test_renamed_file_keeps_its_version(settings: Settings, content: Path) -> None:
    scan(settings, content)
    (content / "tr/posts/energy-security.md").rename(content / "tr/posts/enerji.md")
    report = scan(settings, content)
    assert report.deleted == 0 and report.new_revisions == 0
    v = post(status(settings), "energy-security")["versions"]["tr"]
    assert v["state"] == "current" and v["origin"] == "tr/posts/enerji.md"
