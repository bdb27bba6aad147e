"""A full WordPress pass analyzes its posts in worker processes (sync.sources.wordpress.
parallel) once the first page says the listing is large: what it records is exactly what
the reader's own analysis records, post for post, segment for segment, word for word."""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bench.generate import LANGS, _html_body, paragraph
from sync.db.migrate import upgrade
from sync.db.models import Post, Revision, Segment, Version
from sync.db.session import transaction
from sync.scanning import run_scan
from sync.sources.wordpress import listing, parallel
from sync.text import memory_hash
from tests.conftest import make_settings
from tests.helpers.tracking import memory_rows
from tests.wpstub import WordPressStub

GROUPS = 80  # 240 posts: above PARALLEL_MIN


def recorded(url: str) -> list[tuple[Any, ...]]:
    """Every post's versions, revisions and segments as the scan recorded them, and what
    translation memory learned from them (the workers hash each segment for it)."""
    with transaction(url, readonly=True) as s:
        learned = memory_rows(s)
        assert learned, "translation memory learned nothing"
        assert all(h == memory_hash(t) for row in learned for h, t in (row[2:5:2], row[3:6:2]))
        return learned + [
            tuple(row)
            for row in s.execute(
                select(
                    Post.key,
                    Version.lang,
                    Version.words,
                    Revision.content_hash,
                    Revision.segment_count,
                    Segment.position,
                    Segment.kind,
                    Segment.text,
                    Segment.words,
                )
                .join(Version, Version.post_id == Post.id)
                .join(Revision, Revision.version_id == Version.id)
                .join(Segment, Segment.revision_id == Revision.id)
                .order_by(Post.key, Version.lang, Segment.position)
            )
        ]


def filled(seed: int, blocks: int) -> WordPressStub:
    """A running stand-in holding GROUPS translation groups (en, tr, ru) of `blocks` blocks."""
    rng = random.Random(seed)
    stub = WordPressStub().start()
    for g in range(GROUPS):
        first = None
        for lang in LANGS:
            post_id = stub.add(
                title=f"{paragraph(rng, lang, 5).rstrip('.')} {g}",
                content=_html_body(rng, lang, blocks),
                lang=lang,
                translation_of=first,
            )
            first = first or post_id
    return stub


def scan(tmp_path: Path, name: str, stub: WordPressStub) -> list[tuple[Any, ...]]:
    url = f"sqlite:///{tmp_path / name}.db"
    upgrade(url)
    settings = make_settings(url, languages=("en", "tr", "ru"))
    report = run_scan(settings, [f"wp:{stub.url}"])
    assert report is not None and not report.problems
    return recorded(url)


def test_a_large_first_scan_analyzed_in_workers_records_what_the_reader_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = filled(7, 6)
    try:
        monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)  # workers on any machine
        handed: list[int] = []
        real_hand = parallel.Workers.hand

        def counted(self: parallel.Workers, batch: Any, ahead: Any) -> None:
            handed.append(len(batch))
            real_hand(self, batch, ahead)

        monkeypatch.setattr(parallel.Workers, "hand", counted)
        in_workers = scan(tmp_path, "workers", stub)
        assert sum(handed) == 3 * GROUPS  # every post went to a worker
        monkeypatch.setattr(listing, "PARALLEL_MIN", 10**9)  # the reader analyzes them
        handed.clear()
        by_reader = scan(tmp_path, "reader", stub)
        assert handed == []
    finally:
        stub.stop()
    assert len(in_workers) > 3 * GROUPS * 6
    assert in_workers == by_reader


def _killed(items: Any) -> Any:
    """A worker's analysis that never answers: its process dies."""
    os._exit(9)


def test_a_worker_that_dies_costs_time_not_posts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker killed (the OOM killer, a hard time limit): its posts are analyzed by the
    reader instead, nothing is lost and the scan does not wait for an answer that never
    comes."""
    stub = filled(8, 4)
    try:
        monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
        monkeypatch.setattr(parallel, "_analyze_many", _killed)
        in_workers = scan(tmp_path, "killed", stub)
        monkeypatch.setattr(listing, "PARALLEL_MIN", 10**9)
        by_reader = scan(tmp_path, "reader", stub)
    finally:
        stub.stop()
    assert len(in_workers) > 3 * GROUPS * 4
    assert in_workers == by_reader
