"""A full WordPress pass's analysis in processes of its own.

A first scan analyzes every post (segments, content hash, words, translation memory's
hashes): the greater part of its CPU. In one process that work shares a core with the
fetching, the JSON and the documents, and the scan lasts as long as all of it together.
A full pass hands each page's posts to worker processes instead, as the content tree's
parser processes do (sync.sources.fs), while the reader goes on to the next page; the
analyses are collected once every page is in, each packed as the scan's spill keeps it
(sync.spill.Packed). The processes are forked before the fetching thread starts (no fork
while it runs) and die with the scan.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from sync.analysis import packed_analysis
from sync.sources.fs import _die_with_parent
from sync.spill import Packed

#: Worker processes at most (one core is the reader's, WordPress may have others).
MAX_WORKERS = 4
#: A listing of fewer posts than this is analyzed by the reader itself.
PARALLEL_MIN = 200

#: A post handed over: (post id, title, body, body format, fields).
Batch = list[tuple[int, str, str, str, tuple[tuple[str, str], ...]]]


@dataclass(frozen=True, slots=True)
class Handed:
    """A post's analysis, being made in a worker: its batch's pending result and its place."""

    pending: Future[list[Packed | None]]
    index: int

    def done(self) -> bool:
        return self.pending.done()

    def result(self) -> Packed | None:
        """The analysis; None when the worker could not make it, or died (the OOM killer):
        the tracker then makes it in this process and reports what is wrong with the post."""
        try:
            return self.pending.result()[self.index]
        except (BrokenProcessPool, OSError):
            return None


class Workers:
    """A full pass's worker processes, forked when the first page says the listing is
    large (a few posts are analyzed by the reader: forking costs more than they do)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.pool: Any = None

    def hand(self, batch: Batch, ahead: dict[int, tuple[Any, Any]]) -> Future[Any] | None:
        """Hand a page's posts to the workers; each one's place in `ahead` (document,
        analysis) gets a Handed for its analysis. The batch's pending result, or None when
        the pool is broken (then the tracker analyzes them)."""
        if self.pool is None:
            self.pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_die_with_parent,
            )
        try:
            pending = self.pool.submit(_analyze_many, [item[1:] for item in batch])
        except BrokenProcessPool:  # a worker died: these posts, as the rest of its batch,
            return None  # are analyzed by the tracker in this process
        for i, item in enumerate(batch):
            ahead[item[0]] = (ahead[item[0]][0], Handed(pending, i))
        return pending

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)  # (the read failed)
            self.pool = None


@contextlib.contextmanager
def analysis_workers(full: bool) -> Iterator[Workers | None]:
    """Workers for a full pass on a machine with two cores or more, where processes can be
    forked; None otherwise (an incremental read has a few posts: the reader analyzes them)."""
    count = min(os.cpu_count() or 1, MAX_WORKERS)
    if not full or count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    workers = Workers(count)
    try:
        yield workers
    finally:
        workers.close()


def _analyze_many(
    items: list[tuple[str, str, str, tuple[tuple[str, str], ...]]],
) -> list[Packed | None]:
    out: list[Packed | None] = []
    for title, body, body_format, fields in items:
        try:
            out.append(packed_analysis(title, body, body_format=body_format, fields=fields))
        except Exception:  # noqa: BLE001 - the tracker analyzes it again and reports it
            out.append(None)
    return out
