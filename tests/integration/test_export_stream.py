"""The streaming export, on SQLite and PostgreSQL: posts in byte order of key + U+0004 on
both, the same bytes whatever the batch size, and the same bytes as the in-memory path."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

from sync import export
from sync.config import Settings
from sync.db.session import transaction
from sync.export import (
    build_views,
    catalog_paths,
    context_order,
    export_catalogs,
    language_counts,
    render_language,
)
from sync.scanning import run_scan
from sync.status import load_rows
from tests.integration.test_catalogs import msgfmt_statistics

# keys whose byte order differs from a locale's (case, accents, punctuation)
KEYS = ["a", "a-b", "ab", "B", "Zebra", "éclair", "Éclair", "z", "a_b", "A"]


def add_posts(content: Path) -> None:
    for i, key in enumerate(KEYS):
        body = (
            f'---\ntitle: "Post {key}"\ndate: 2026-01-0{i % 9 + 1}T00:00:00Z\n'
            f"translationKey: {key}\n---\n\nFirst paragraph of {key}.\n\n"
            "A paragraph every post shares.\n\nA paragraph every post shares.\n"
        )
        (content / "en" / "posts" / f"extra-{i}.md").write_text(body, encoding="utf-8")


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("posts.*"))}


def test_streamed_export_order_batches_and_in_memory_path_agree(
    settings: Settings, content: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_posts(content)
    run_scan(settings, [str(content)])
    whole = tmp_path / "whole"
    result = export_catalogs(settings, directory=whole)
    monkeypatch.setattr(export, "POST_BATCH", 3)  # batch edges inside the tricky keys
    small = tmp_path / "small"
    assert export_catalogs(settings, directory=small)["catalogs"] == [
        {
            **c,
            "po": c["po"].replace(str(whole), str(small)),
            "mo": c["mo"].replace(str(whole), str(small)),
        }
        for c in result["catalogs"]
    ]
    assert files(small) == files(whole)
    assert not list(small.rglob("*.tmp"))

    for lang in settings.languages:
        po, _ = catalog_paths(whole, lang)
        keys = list(dict.fromkeys(e.msgctxt for e in polib.pofile(str(po))))
        assert keys == sorted(keys, key=context_order)
        counts = language_counts(settings, lang)
        assert msgfmt_statistics(po) == (counts.translated, counts.fuzzy, counts.untranslated)
    ru_keys = [e.msgctxt for e in polib.pofile(str(catalog_paths(whole, "ru")[0]))]
    assert set(KEYS) <= set(ru_keys)

    # the in-memory path (build_views + render_language) over the rows in that order
    with transaction(settings.database_url, readonly=True) as session:
        rows = sorted(load_rows(session, settings), key=lambda r: context_order(r.post.key))
        catalogs = build_views(session, settings, rows, settings.languages)
    for lang in settings.languages:
        po_bytes, mo_bytes, _ = render_language(catalogs[lang])
        po, mo = catalog_paths(whole, lang)
        assert po.read_bytes() == po_bytes
        assert mo.read_bytes() == mo_bytes


def test_check_mode_writes_nothing(settings: Settings, content: Path, tmp_path: Path) -> None:
    run_scan(settings, [str(content)])
    out = tmp_path / "locales"
    result = export_catalogs(settings, directory=out, check=True)
    assert len(result["differing"]) == len(settings.languages)
    assert not out.exists() or not list(out.rglob("*"))
    export_catalogs(settings, directory=out)
    assert export_catalogs(settings, directory=out, check=True)["differing"] == []
    assert not list(out.rglob("*.tmp"))
