"""Git history as evidence: which source revision a translation first seen in this scan
was made from (TRANSYNC_HISTORY=auto), and the source's past contents stored as
revisions of their own."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sync.errors import SourceError
from sync.i18n import t_
from sync.revisions import chunks
from sync.segments import Analysis
from sync.sources.base import Document, Problem
from sync.tracker.base import ScanBase
from sync.tracker.rows import VRow
from sync.tracker.snapshot import source_version

#: Translations whose history is asked at once (the source files' past contents are in
#: memory together).
HISTORY_BATCH = 1000


class History(ScanBase):
    """A scan's history step: based-on revisions from git."""

    def history_evidence(
        self, touched: Sequence[int], by_post: dict[int, list[VRow]]
    ) -> dict[int, tuple[VRow, VRow, Any]]:
        """id(translation) → (translation, source, Evidence) for translations seen for the
        first time, or with a new revision in this scan, whose source is a file of the same
        tree, when git history says which source they were made from (TRANSYNC_HISTORY=auto):
        a database that followed every commit then says what a fresh one says. One history
        per tree, asked in batches."""
        if self.settings.history == "off":
            return {}
        wanted: dict[str, list[tuple[VRow, VRow]]] = defaultdict(list)
        for pid in touched:
            src = source_version(self.snap, pid)
            if src is None or not src.live or not src.source.startswith("fs:"):
                continue
            for v in by_post[pid]:
                if (
                    v is not src
                    and (v.first_seen or v.revised)
                    and v.live
                    and v.source == src.source
                    and not v.declared_source_hash
                    and not v.forced_baseline
                ):
                    wanted[v.source].append((v, src))
        found: dict[int, tuple[VRow, VRow, Any]] = {}
        for uri, pairs in wanted.items():
            history = self.git_history(uri)
            if history is None:
                continue
            for batch in chunks(pairs, HISTORY_BATCH):
                try:
                    answers = history.baselines(
                        [(v.origin, src.origin) for v, src in batch],
                        same_text=self.same_text(uri, batch),
                    )
                except SourceError as exc:  # git failed midway: no evidence, say so once
                    self.report.problems.append(
                        Problem(
                            origin=uri,
                            reason=t_(
                                "git history could not be read (%(error)s); the translations "
                                "first seen in this scan are assumed current",
                                error=exc.message,
                            ),
                        )
                    )
                    break
                for v, src in batch:
                    ev = answers.get((v.origin, src.origin))
                    if ev is not None:
                        found[id(v)] = (v, src, ev)
        return found

    def same_text(
        self, uri: str, batch: Sequence[tuple[VRow, VRow]]
    ) -> Callable[[tuple[str, str], bytes], bool] | None:
        """Whether an older version of a translation's file holds the text the translation
        has now (its content hash: title, translatable fields, body), read by its tree."""
        tree = self.sources.get(uri)
        if tree is None or not hasattr(tree, "parse"):
            return None
        from pathlib import Path

        from sync.frontmatter import parse_document

        by_pair = {(v.origin, src.origin): v for v, src in batch}
        layout = tree.folder_layout()
        root = Path(uri[3:])

        def body(raw: bytes, origin: str) -> str:
            # white space runs and line wrapping are layout, as for the content hash: a
            # reflowed body goes on to the hash, which decides
            return " ".join(parse_document(raw, origin=origin)[1].split())

        current: dict[str, str] = {}  # origin -> the body on disk, read once per batch

        def same(pair: tuple[str, str], raw: bytes) -> bool:
            v = by_pair[pair]
            try:  # most older versions differ in the body: told without segmenting them
                if v.origin not in current:
                    current[v.origin] = body((root / v.origin).read_bytes(), v.origin)
                if body(raw, v.origin) != current[v.origin]:
                    return False
                doc = tree.parse(v.origin, raw, "", layout, analyze=True)
            except Exception:  # noqa: BLE001 - an unreadable old version is a text change
                return False
            return (
                isinstance(doc, Document)
                and doc.analysis is not None
                and doc.analysis.content_hash == v.content_hash
            )

        return same

    def git_history(self, uri: str) -> Any:
        """The git history of a content tree, or None (not a work tree, no git)."""
        cache = self.__dict__.setdefault("_histories", {})
        if uri not in cache:
            from pathlib import Path

            from sync.githistory import GitHistory

            cache[uri] = GitHistory.open(Path(uri[3:]))
        return cache[uri]

    def historical_revisions(
        self, evidence: dict[int, tuple[VRow, VRow, Any]], hashes: dict[tuple[int, str], int]
    ) -> dict[int, int]:
        """id(translation) → the source revision history says it was made from.

        The source's content at the translation's commit is analyzed like any file of the
        tree. When it is the current content, the translation is current; when a recorded
        revision has that content, it is that one; otherwise it is stored as a revision of
        its own (so diffs and the catalogs' previous msgids work). A source first seen in
        this scan numbers its history from r1 in the order the translations were made, its
        current content last; a source recorded before gets numbers below its first
        recorded revision (history older than transync's first look)."""
        decided: list[tuple[VRow, VRow, Any, int | None]] = []  # None: the current revision
        pending: dict[int, list[tuple[VRow, Any, Analysis, Document]]] = defaultdict(list)
        sources: dict[int, VRow] = {}
        parsed: dict[tuple[int, str], Document | None] = {}  # one parse per past text
        for v, src, ev in evidence.values():
            if ev.uncommitted:
                decided.append((v, src, ev, None))
                continue
            if ev.source_blob is None:
                continue
            blob_hash = hashlib.sha256(ev.source_blob).hexdigest()
            if blob_hash == src.raw_hash:  # the very bytes on disk now: current, no parse
                decided.append((v, src, ev, None))
                continue
            if (id(src), blob_hash) not in parsed:
                parsed[(id(src), blob_hash)] = self.historical_document(src, ev.source_blob)
            doc = parsed[(id(src), blob_hash)]
            if doc is None:
                continue
            h = doc.analysis.content_hash
            if h == src.content_hash:
                decided.append((v, src, ev, None))
            elif src.id is not None and (src.id, h) in hashes:
                decided.append((v, src, ev, hashes[(src.id, h)]))
            elif not v.first_seen and src.id is not None:
                continue  # a source text between two scans: no place in the recorded order
            else:
                pending[id(src)].append((v, ev, doc.analysis, doc))
                sources[id(src)] = src
        for sid, items in pending.items():
            src = sources[sid]
            first: dict[str, dt.datetime] = {}
            for _v, ev, analysis, _doc in items:
                when = ev.translation_time or self.now
                h = analysis.content_hash
                first[h] = min(first.get(h, when), when)
            ranked = sorted(first, key=lambda h: (first[h], h))
            if src.id is None and src.revision == 1:  # new: history first, then the current
                numbers = {h: i for i, h in enumerate(ranked, 1)}
                self.renumber(src, len(ranked) + 1)
            else:
                lowest = min([n for (vid, _h), n in hashes.items() if vid == src.id] or [1])
                numbers = {h: lowest - len(ranked) + i for i, h in enumerate(ranked)}
            for v, ev, analysis, doc in items:
                h = analysis.content_hash
                number = numbers[h]
                if (src.post_id, number) not in self.historical:
                    slot = self.spill.put((analysis.segments, doc.body, None, None, None))
                    self.historical[(src.post_id, number)] = slot
                    self.historical_rows.append(
                        (
                            src,
                            number,
                            h,
                            doc.title,
                            slot,
                            len(analysis.segments),
                            first[h],
                            doc.body_format,
                        )
                    )
                decided.append((v, src, ev, number))
        based: dict[int, int] = {}
        for v, src, ev, number in decided:
            based[id(v)] = src.revision if number is None else number
            if number is not None and number != src.revision:
                v.stale_since = ev.next_source_time or self.now
            self.event(
                "baseline",
                v.post_id,
                v.lang,
                baseline="history",
                based_on_revision=based[id(v)],
                translation_commit=ev.translation_commit,
                source_commit=ev.source_commit,
                next_source_commit=ev.next_source_commit,
                uncommitted=ev.uncommitted,
            )
        return based

    def historical_document(self, src: VRow, raw: bytes | None) -> Document | None:
        """A past version of a source file, read by its tree as the file would be now."""
        tree = self.sources.get(src.source)
        if raw is None or tree is None or not hasattr(tree, "parse"):
            return None
        doc = tree.parse(src.origin, raw, "", tree.folder_layout(), analyze=True)
        return doc if isinstance(doc, Document) and doc.analysis is not None else None

    def renumber(self, src: VRow, number: int) -> None:
        """A source first seen in this scan gets revision `number` (its history comes first)."""
        for kind, pid, lang, details in self.events:
            if kind == "revision" and pid == src.post_id and lang == src.lang:
                details["revision"] = number
        src.revision = number
