"""Reading sources: each document checked, analyzed and staged onto the snapshot; files
claimed twice or held by another source rejected; files gone marked deleted."""

from __future__ import annotations

import dataclasses
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sync.db.models import Post
from sync.frontmatter import json_safe
from sync.i18n import nt_, t_
from sync.revisions import chunks
from sync.segments import Analysis
from sync.sources.base import (
    Deleted,
    Document,
    Problem,
    Settled,
    Skipped,
    StreamUndone,
    Unchanged,
    changed,
)
from sync.tracker.base import ScanBase, insert_with_ids
from sync.tracker.rows import Spilled, VRow
from sync.tracker.snapshot import known_hashes

Progress = Callable[[int], None]

MAX_ORIGIN = 2048  # versions.origin
MAX_TITLE = 10_000

#: What unstorable says of a NUL character and of a lone surrogate in each text: a whole
#: message apiece, so that each language can say it its own way.
_NUL = {
    "title": t_("the title contains a NUL character, which no database stores as text; remove it"),
    "body": t_("the body contains a NUL character, which no database stores as text; remove it"),
    "post key": t_(
        "the post key contains a NUL character, which no database stores as text; remove it"
    ),
    "origin": t_(
        "the origin contains a NUL character, which no database stores as text; remove it"
    ),
}
_SURROGATE = {
    "title": t_("the title holds a lone surrogate (broken UTF-16 in the source); fix the text"),
    "body": t_("the body holds a lone surrogate (broken UTF-16 in the source); fix the text"),
    "post key": t_(
        "the post key holds a lone surrogate (broken UTF-16 in the source); fix the text"
    ),
    "origin": t_("the origin holds a lone surrogate (broken UTF-16 in the source); fix the text"),
}


def unstorable(doc: Document) -> str | None:
    """Why a document from any source cannot be stored as it is (a Text), or None: the
    database must never be the one to refuse it (PostgreSQL takes no NUL in text; columns
    have sizes)."""
    if len(doc.origin) > MAX_ORIGIN:
        return t_("its origin is longer than %(max)d characters", max=MAX_ORIGIN)
    for name, text in (
        ("title", doc.title),
        ("body", doc.body),
        ("post key", doc.key),
        ("origin", doc.origin),
    ):
        if "\x00" in text:
            return _NUL[name]
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return _SURROGATE[name]
    for name, text in doc.fields:
        if "\x00" in text:
            return t_(
                "front-matter field %(field)s contains a NUL character; remove it", field=name
            )
    if len(doc.title) > MAX_TITLE:
        return t_("the title is longer than %(max)s characters", max=format(MAX_TITLE, ","))
    if len(doc.lang) > 16 or (doc.external_id is not None and len(doc.external_id) > 64):
        return t_("its language code or id is too long")
    if not -(2**31) < doc.priority < 2**31:
        return t_("priority %(priority)s is out of range", priority=doc.priority)
    return None


def is_stub(doc: Document, analysis: Spilled | Analysis) -> bool:
    """A placeholder: declared by a stub field, or with no text at all (no title, no
    translatable field, an empty body)."""
    segments = analysis.segment_count if isinstance(analysis, Spilled) else len(analysis.segments)
    return doc.stub or (segments == 0 and not doc.body.strip())


class Reading(ScanBase):
    """A scan's reading step: sources to staged versions."""

    def read_source(self, source: Any, progress: Progress | None = None) -> None:
        """Read one source; documents are staged, problems reported, deletions found."""
        self.report.sources.append(source.uri)
        self.sources[source.uri] = source
        self.pending.discard(source.uri)
        if self.loaded or self.keys is not None:
            existing = self.snap.by_origin(source.uri)
            known = {o: v.raw_hash for o, v in existing.items() if not v.deleted}
        else:  # two columns instead of the snapshot: a rescan usually finds nothing new
            known = known_hashes(self.session, source.uri)
        stream = self.may_stream(source, known)
        if hasattr(source, "streaming"):
            source.streaming = stream
        docs: list[Document] = []
        kept: set[str] = set()
        problems: list[Problem] = []
        gone: set[str] = set()
        for item in source.read(known):
            if isinstance(item, Settled):
                if stream and (docs or problems):
                    self.write_settled(source, docs, kept, problems)
                    docs, problems = [], []
                continue
            if progress:
                progress(1)
            if isinstance(item, Skipped):
                self.report.skipped[item.reason] = self.report.skipped.get(item.reason, 0) + 1
            elif isinstance(item, Deleted):
                gone.add(item.origin)
            elif isinstance(item, Unchanged):
                self.report.files += 1
                self.report.unchanged += 1
                kept.add(item.origin)
            elif isinstance(item, Problem):
                problems.append(item)
                if item.fatal:
                    break
                kept.add(item.origin)
            elif (why := unstorable(item)) is not None:
                self.report.files += 1
                problems.append(
                    Problem(
                        origin=item.origin[:MAX_ORIGIN], key=item.key, lang=item.lang, reason=why
                    )
                )
                kept.add(item.origin)
            else:
                self.report.files += 1
                try:
                    spilled = self.keep(item)
                except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                    error = f"{type(exc).__name__}: {exc}"
                    problems.append(
                        Problem(
                            origin=item.origin,
                            key=item.key,
                            lang=item.lang,
                            reason=t_(
                                "could not be read (%(error)s); fix it or leave it out of the "
                                "source",
                                error=error,
                            ),
                        )
                    )
                    kept.add(item.origin)
                    continue
                docs.append(changed(item, body="", analysis=spilled, stub=is_stub(item, spilled)))
        self.report_problems(source, problems)
        if any(p.fatal for p in problems):
            if self.streamed:
                raise StreamUndone(f"{source.uri} is unreadable after some of it was written")
            self.report.failed_sources.add(source.uri)
            return  # nothing of an unreadable source is applied, nothing is deleted
        if not docs and not problems and not gone and kept == known.keys():
            return  # every file unchanged, none gone: nothing to stage, nothing deleted
        existing = self.snap.by_origin(source.uri)
        docs = self.stage_read(source, docs, kept, existing)
        claimed = {d.origin for d in docs} | kept | self.streamed_origins
        complete = getattr(source, "complete", True)  # an incremental read lists only changes
        for origin, v in existing.items():
            moved = v.origin != origin  # read again under a new origin (renamed, new permalink)
            if origin in claimed or v.deleted or moved or (not complete and origin not in gone):
                continue
            self.remember(v)
            v.deleted = True
            v.dirty = True
            self.report.deleted += 1
            self.report.touched_posts.add(v.post_id)
            self.event("deleted", v.post_id, v.lang, origin=origin, revision=v.revision)

    def may_stream(self, source: Any, known: Any) -> bool:
        """Whether this source's whole posts may be written as it gives them (Settled),
        before it is read to its end: the caller learns as they are written, the scan reads
        this one source alone (no other source can hold or defer its posts), it is not a
        write-back's scan of some keys, and the tracker holds nothing read from it (a
        first scan: nothing of it to compare, move or delete)."""
        return (
            self.stream_learner is not None
            and hasattr(source, "streaming")
            and self.keys is None
            and not known
            and not self.pending
            and self.report.sources == [source.uri]
        )

    def write_settled(
        self, source: Any, docs: list[Document], kept: set[str], problems: list[Problem]
    ) -> None:
        """Stage, settle and write the whole posts a source gave before its end, and learn
        from them, as the end of the scan would: each is settled with all its versions,
        and never touched again by this scan (what would touch it undoes the streaming)."""
        self.report_problems(source, problems)
        if any(p.fatal for p in problems):
            raise StreamUndone(f"{source.uri} is unreadable after some of it was written")
        if self.stream_existing is None:  # what the end of the source would find: the
            self.stream_existing = self.snap.by_origin(source.uri)  # versions before the scan
        docs = self.stage_read(source, docs, kept, self.stream_existing)
        self.streamed_origins.update(d.origin for d in docs)
        if not self.report.touched_posts:
            return
        assert self.stream_learner is not None
        part = set(self.report.touched_posts)  # every version this part changed is theirs
        self.settle()
        self.contents = {}
        try:
            self.write(part)
            self.stream_learner(self)
        finally:
            self.contents = None
        self.streamed |= part
        self.written(part)

    def report_problems(self, source: Any, problems: Sequence[Problem]) -> None:
        """Report what a source rejected, each problem naming the source read."""
        self.report.problems.extend(
            dataclasses.replace(p, source=p.source or source.uri) for p in problems
        )
        self.not_streamed(problems)

    def stage_read(
        self, source: Any, docs: list[Document], kept: set[str], existing: dict[str, VRow]
    ) -> list[Document]:
        """Stage the documents read from a source, but those that claim a (post, language)
        twice or that another source holds: those rejected (their origins kept), the rest
        staged onto the snapshot, in origin order; the documents staged."""
        docs = self.reject_duplicates(docs, existing, kept, source)
        docs = self.reject_other_origins(docs, source.uri, kept, existing)
        self.create_posts(sorted({d.key for d in docs} - self.snap.posts.keys()))
        for doc in docs:
            self.stage(doc, existing.get(doc.origin))
        return docs

    def not_streamed(self, problems: Sequence[Problem]) -> None:
        """A problem with a post written before the source's end (its file in the source
        language unreadable, say) would have settled it otherwise: scan again whole."""
        if not self.streamed:
            return
        for p in problems:
            if p.key is not None and self.snap.posts.get(p.key) in self.streamed:
                raise StreamUndone(f"{p.origin}: a problem with post {p.key}, written already")

    def create_posts(self, keys: Sequence[str]) -> None:
        """Insert new posts in bulk, ids returned in order."""
        table = Post.__table__
        for chunk in chunks(keys):
            ids = insert_with_ids(
                self.session, table, [{"key": k, "created_at": self.now} for k in chunk]
            )
            for key, pid in zip(chunk, ids, strict=True):
                self.snap.posts[key] = pid
                self.snap.source_lang[pid] = None
                self.report.new_posts += 1

    def reject_duplicates(
        self, docs: list[Document], existing: dict[str, VRow], kept: set[str], source: Any = None
    ) -> list[Document]:
        """Two files may not claim one (post, language); each such file is reported, with the
        source's own explanation when it has one (a content tree's file without a language
        suffix, read in a language the site does not mean)."""
        by_slot: dict[tuple[str, str], list[Document]] = defaultdict(list)
        for d in docs:
            by_slot[(d.key, d.lang)].append(d)
        held = {}
        for origin in kept:  # unchanged files keep their slot
            v = existing.get(origin)
            if v is not None:
                held[(v.post_id, v.lang)] = origin
        accepted = []
        for (key, lang), group in by_slot.items():
            pid = self.snap.posts.get(key)
            holder = held.get((pid, lang)) if pid is not None else None
            if len(group) == 1 and holder in (None, group[0].origin):
                accepted.append(group[0])
                continue
            others = sorted({d.origin for d in group} | ({holder} if holder else set()))
            explain = getattr(source, "claim_clash", None)
            reason = explain(key, lang, others) if explain is not None else None
            for d in group:
                self.report.problems.append(
                    Problem(
                        origin=d.origin,
                        key=key,
                        lang=lang,
                        reason=reason
                        or nt_(
                            "post %(key)s in %(lang)s is claimed by %(n)d file (%(files)s); "
                            "give each a distinct translationKey",
                            "post %(key)s in %(lang)s is claimed by %(n)d files (%(files)s); "
                            "give each a distinct translationKey",
                            len(others),
                            key=repr(key),
                            lang=lang,
                            n=len(others),
                            files=", ".join(others),
                        ),
                    )
                )
                kept.add(d.origin)
        return sorted(accepted, key=lambda d: d.origin)

    def reject_other_origins(
        self,
        docs: list[Document],
        uri: str,
        kept: set[str],
        existing: dict[str, VRow] | None = None,
    ) -> list[Document]:
        """A (post, language) that another source holds (a live version read from elsewhere)
        is not taken over: the document is rejected with both origins named, and what was
        recorded stays. Scanning two exports of the same post never alternates. A holder
        that this scan reads later may find the post gone (moved from it to this source):
        that document waits for the end of the scan (:meth:`take_deferred`)."""
        accepted = []
        for d in docs:
            holder = self.holder_elsewhere(d, uri)
            if holder is None:
                accepted.append(d)
                continue
            kept.add(d.origin)
            if holder.source in self.pending:
                self.deferred.append((d, uri, (existing or {}).get(d.origin)))
            else:
                self.report.problems.append(self.held_problem(d, uri, holder))
        return accepted

    def take_deferred(self) -> None:
        """Stage each document that waited for the source holding its (post, language),
        now that every source was read: taken when the holder found it gone, else
        rejected as :meth:`reject_other_origins` rejects it."""
        for d, uri, at_origin in self.deferred:
            holder = self.holder_elsewhere(d, uri)
            if holder is not None:
                self.report.problems.append(self.held_problem(d, uri, holder))
            else:
                self.stage(d, at_origin)
        self.deferred.clear()

    def holder_elsewhere(self, d: Document, uri: str) -> VRow | None:
        """The live version of d's (post, language) that another source than ``uri``
        holds, or None."""
        pid = self.snap.posts.get(d.key)
        holder = self.snap.versions.get((pid, d.lang)) if pid is not None else None
        if holder is not None and holder.source != uri and holder.alive:
            return holder
        return None

    def held_problem(self, d: Document, uri: str, holder: VRow) -> Problem:
        names = {
            "source": uri,
            "key": repr(d.key),
            "lang": d.lang,
            "holder": holder.source,
            "origin": holder.origin,
        }
        reason = (
            t_(
                "in %(source)s: post %(key)s in %(lang)s is already read from "
                "another export, %(holder)s (%(origin)s). If both are exports of "
                "one site, scan each new export of it under one path: save it as "
                "%(path)s (over the earlier file), or point a link such as "
                "latest.xml at each new export and scan wxr:latest.xml. If they "
                "are two sites (a multisite network's), do not: their posts with "
                "the same post id (and in no translation group) share a key, so "
                "scanning one over the other would delete the first site's posts; "
                "track each site in a database of its own (TRANSYNC_DATABASE_URL)",
                path=holder.source[4:],
                **names,
            )
            if uri.startswith("wxr:") and holder.source.startswith("wxr:")
            else t_(
                "in %(source)s: post %(key)s in %(lang)s is already read from "
                "%(holder)s (%(origin)s); one origin per post and language: remove "
                "one of them, or give this one another key",
                **names,
            )
        )
        return Problem(origin=d.origin, key=d.key, lang=d.lang, source=uri, reason=reason)

    def stage(
        self,
        doc: Document,
        at_origin: VRow | None,
        source_texts: Sequence[str | None] | None = None,
        *,
        baseline: str | None = None,
    ) -> VRow:
        """Apply one parsed document to the in-memory snapshot. ``baseline``: write-back
        says how the translation's based-on revision is known (``recorded``)."""
        if doc.key not in self.snap.posts:
            self.create_posts([doc.key])
        pid = self.snap.posts[doc.key]
        if pid in self.streamed:  # written before the source's end: it would change now
            raise StreamUndone(f"{doc.origin}: post {doc.key} was written already")
        if at_origin is not None and (at_origin.post_id, at_origin.lang) != (pid, doc.lang):
            # the file now belongs to another post or language: the old version is gone
            if not at_origin.deleted:
                self.remember(at_origin)
                at_origin.deleted = True
                at_origin.dirty = True
                self.report.deleted += 1
                self.report.touched_posts.add(at_origin.post_id)
                self.event("deleted", at_origin.post_id, at_origin.lang, origin=doc.origin)
        v = self.snap.versions.get((pid, doc.lang))
        if v is None:
            v = VRow(
                id=None,
                post_id=pid,
                lang=sys.intern(doc.lang),
                source=doc.source,
                origin=doc.origin,
            )
            v.first_seen = True
            self.snap.add(v)
            self.report.new_versions += 1
        else:
            self.remember(v)
        analysis = doc.analysis if isinstance(doc.analysis, Spilled) else self.keep(doc)
        if source_texts is not None:  # write-back: the source each segment translates
            segments, body, _, words, hashes = self.spill.get(analysis.slot)
            if len(source_texts) == len(segments):
                self.spill.memory[analysis.slot] = (
                    segments,
                    body,
                    tuple(source_texts),
                    words,
                    hashes,
                )
        if v.deleted or v.revision == 0:
            if v.revision:
                self.report.restored += 1
                self.event("restored", pid, doc.lang, origin=doc.origin)
            # a version restored (from WordPress's trash, a file put back) keeps the source
            # revision it was made from: judged as new, it would be assumed current however
            # far the source moved while it was gone
            if v.revision == 0 or v.based_on_revision is None:
                v.first_seen = True
        if analysis.content_hash != v.content_hash:
            v.revision += 1
            v.content_hash = analysis.content_hash
            v.spill, v.slot = self.spill, analysis.slot
            v.segment_count = analysis.segment_count
            v.body_format = doc.body_format
            self.report.new_revisions += 1
            self.event(
                "revision",
                pid,
                doc.lang,
                revision=v.revision,
                hash=analysis.short_hash,
                origin=doc.origin,
            )
        if v.draft != doc.draft and not v.first_seen:
            self.event("draft" if doc.draft else "undraft", pid, doc.lang)
        if not v.first_seen and v.origin != doc.origin:
            self.event("moved", pid, doc.lang, previous=v.origin, origin=doc.origin)
        v.deleted = False
        v.source, v.origin = sys.intern(doc.source), doc.origin  # one copy per source
        v.title, v.draft, v.raw_hash, v.date = doc.title, doc.draft, doc.raw_hash, doc.date
        v.declared_source_lang = doc.source_lang
        # a declared source_hash counts when it is new: an ack later is not undone by an edit
        if doc.source_hash and (v.first_seen or doc.source_hash != v.declared_hash):
            v.declared_source_hash = doc.source_hash
        v.declared_hash = doc.source_hash
        v.front_matter = json_safe(doc.front_matter)
        v.priority, v.due, v.external_id = doc.priority, doc.due, doc.external_id
        was_stub = v.stub and v.revision > 1
        v.stub = doc.stub or (
            analysis.segment_count == 0
            and not doc.body.strip()
            and not isinstance(doc.analysis, Spilled)
        )
        if was_stub and not v.stub:
            v.first_seen = True  # a placeholder became a translation: judged as new
        v.forced_baseline = baseline
        v.dirty = True
        self.report.touched_posts.add(pid)
        return v
