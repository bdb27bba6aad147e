"""The tracker: applies what sources read to posts, versions, revisions and segments.

A scan loads a snapshot of every version in one query, computes in memory, and
writes back in bulk inside the caller's transaction: if it dies, nothing of it
is applied. Files whose bytes hash as recorded are not even parsed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from sync.analysis import analyze_document
from sync.config import Settings
from sync.db.models import Event, Post, Revision, Version, utcnow
from sync.db.models import Segment as SegmentRow
from sync.errors import SourceError
from sync.frontmatter import json_safe
from sync.segments import Analysis, Segment, align, diff_segments
from sync.sources.base import SKIP_REASONS, Deleted, Document, Problem, Skipped, Unchanged
from sync.spill import Spill
from sync.state import State, translation_state
from sync.words import count_words

Progress = Callable[[int], None]
CHUNK = 500
#: Content (pickled bytes) in one batch of new revisions and their segments.
WRITE_BYTES = 2 << 20
#: Version rows in one statement: 25 columns each, one bind parameter per value (a batch of
#: 500 made the scan's peak memory, in the driver's query conversion).
VERSION_CHUNK = 100
#: Translations whose history is asked at once (the source files' past contents are in
#: memory together).
HISTORY_BATCH = 1000


@dataclass
class ScanReport:
    """What a scan read and changed."""

    sources: list[str] = field(default_factory=list)
    files: int = 0
    unchanged: int = 0
    new_posts: int = 0
    new_versions: int = 0
    new_revisions: int = 0
    deleted: int = 0
    restored: int = 0
    state_changes: int = 0
    problems: list[Problem] = field(default_factory=list)
    touched_posts: set[int] = field(default_factory=set)
    failed_sources: set[str] = field(default_factory=set)  # unreadable: nothing applied
    #: (post, language) of versions that appeared, changed or went away in this scan
    revised: set[tuple[int, str]] = field(default_factory=set)
    skipped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SKIP_REASONS, 0))
    #: how the based-on revisions of translations first seen in this scan are known
    baselines: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "files": self.files,
            "unchanged": self.unchanged,
            "new_posts": self.new_posts,
            "new_versions": self.new_versions,
            "new_revisions": self.new_revisions,
            "deleted": self.deleted,
            "restored": self.restored,
            "state_changes": self.state_changes,
            "skipped": dict(self.skipped),
            "baselines": dict(sorted(self.baselines.items())),
            "errors": [
                {"origin": p.origin, "line": p.line, "reason": p.reason, "source": p.source}
                for p in self.problems
            ],
        }


@dataclass(eq=False, slots=True)  # tens of thousands per scan: no __dict__ each
class VRow:
    """A version as the scan sees it: loaded from the snapshot or new, changed in memory.

    The fields up to ``declared_hash`` are VERSION_COLUMNS and declared_source_hash, in that
    order: the snapshot builds rows positionally (checked below the class).
    """

    id: int | None
    post_id: int
    lang: str
    source: str
    origin: str
    title: str = ""
    draft: bool = False
    deleted: bool = False
    revision: int = 0
    content_hash: str = ""
    raw_hash: str = ""
    segment_count: int = 0
    date: dt.datetime | None = None
    declared_source_lang: str | None = None
    priority: int = 0
    due: dt.date | None = None
    external_id: str | None = None
    based_on_revision: int | None = None
    stale_since: dt.datetime | None = None
    changed_segments: int = 0
    added_segments: int = 0
    removed_segments: int = 0
    baseline: str | None = None
    stub: bool = False
    stale_words: int = 0  # a stale translation's work: source words changed and added
    declared_hash: str | None = None  # the source_hash the file declares (column above)
    front_matter: dict[str, Any] | None = None  # not in the snapshot; set when a file is read
    # scan-local
    dirty: bool = False
    declared_source_hash: str | None = None
    first_seen: bool = False
    forced_baseline: str | None = None  # write-back: the task recorded what it was made from
    body_format: str = "markdown"
    spill: Spill | None = field(default=None, repr=False)  # where a new revision's content is
    slot: int = -1

    @property
    def alive(self) -> bool:
        return not self.deleted and self.revision > 0

    @property
    def live(self) -> bool:
        """Alive and not a stub: a version that counts (a stub translation is missing)."""
        return not self.deleted and self.revision > 0 and not self.stub

    def content(self) -> tuple[tuple[Segment, ...], str, Sequence[str | None] | None] | None:
        """(segments, body, source texts) of the new revision this scan made, if any."""
        return None if self.spill is None else self.spill.get(self.slot)

    @property
    def new_segments(self) -> tuple[Segment, ...] | None:
        content = self.content()
        return None if content is None else content[0]

    @property
    def revised(self) -> bool:
        return self.spill is not None


@dataclass(frozen=True, slots=True)
class Spilled:
    """A document's analysis, its content kept in the scan's spill (Document.analysis)."""

    content_hash: str
    slot: int
    segment_count: int

    @property
    def short_hash(self) -> str:
        return self.content_hash[:16]


VERSION_COLUMNS = (
    "id post_id lang source origin title draft deleted revision content_hash raw_hash "
    "segment_count date declared_source_lang priority due external_id "
    "based_on_revision stale_since changed_segments added_segments removed_segments "
    "baseline stub stale_words"
).split()
if [f.name for f in dataclasses.fields(VRow)][: len(VERSION_COLUMNS) + 1] != [
    *VERSION_COLUMNS, "declared_hash"
]:
    raise AssertionError("VRow's first fields must be VERSION_COLUMNS, then declared_hash")


def analyze(doc: Document) -> Analysis:
    if doc.analysis is not None:
        return doc.analysis
    return analyze_document(doc.title, doc.body, body_format=doc.body_format, fields=doc.fields)


MAX_ORIGIN = 2048  # versions.origin
MAX_TITLE = 10_000


def unstorable(doc: Document) -> str | None:
    """Why a document from any source cannot be stored as it is, or None: the database must
    never be the one to refuse it (PostgreSQL takes no NUL in text; columns have sizes)."""
    if len(doc.origin) > MAX_ORIGIN:
        return f"its origin is longer than {MAX_ORIGIN} characters"
    for name, text in (("title", doc.title), ("body", doc.body), ("post key", doc.key),
                       ("origin", doc.origin)):
        if "\x00" in text:
            return f"the {name} contains a NUL character, which no database stores as text; " \
                "remove it"
        if not text.isascii():
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                return f"the {name} holds a lone surrogate (broken UTF-16 in the source); " \
                    "fix the text"
    for name, text in doc.fields:
        if "\x00" in text:
            return f"front-matter field {name} contains a NUL character; remove it"
    if len(doc.title) > MAX_TITLE:
        return f"the title is longer than {MAX_TITLE:,} characters"
    if len(doc.lang) > 16 or (doc.external_id is not None and len(doc.external_id) > 64):
        return "its language code or id is too long"
    if not -2**31 < doc.priority < 2**31:
        return f"priority {doc.priority} is out of range"
    return None


def is_stub(doc: Document, analysis: Spilled | Analysis) -> bool:
    """A placeholder: declared by a stub field, or with no text at all (no title, no
    translatable field, an empty body)."""
    segments = (analysis.segment_count if isinstance(analysis, Spilled)
                else len(analysis.segments))
    return doc.stub or (segments == 0 and not doc.body.strip())


class Snapshot:
    """All posts and versions, loaded once."""

    def __init__(self, session: Session, keys: Sequence[str] | None = None) -> None:
        self.session = session
        self.posts: dict[str, int] = {}
        self.source_lang: dict[int, str | None] = {}
        self.versions: dict[tuple[int, str], VRow] = {}
        post_q = select(Post.id, Post.key, Post.source_lang)
        if keys is not None:
            post_q = post_q.where(Post.key.in_(list(keys)))
        for pid, key, src in session.execute(post_q):
            self.posts[key] = pid
            self.source_lang[pid] = src
        cols = [getattr(Version, c) for c in VERSION_COLUMNS]
        version_q = select(*cols, Version.declared_source_hash)
        if keys is not None:
            version_q = version_q.where(Version.post_id.in_(list(self.posts.values())))
        versions = self.versions
        for row in session.execute(version_q):  # positional: a row is VRow's first fields
            v = VRow(*row)
            versions[(v.post_id, v.lang)] = v

    def by_origin(self, source: str) -> dict[str, VRow]:
        return {v.origin: v for v in self.versions.values() if v.source == source}


def known_hashes(session: Session, source: str) -> dict[str, str]:
    """origin → raw hash of a source's live versions: what ``Snapshot.by_origin`` gives
    (one version per origin, the last loaded; ordered by id, as SQLite loads the snapshot),
    without loading the snapshot."""
    found: dict[str, tuple[str, bool]] = {}
    rows = session.execute(
        select(Version.origin, Version.raw_hash, Version.deleted)
        .where(Version.source == source)
        .order_by(Version.id)
    )
    for origin, raw_hash, deleted in rows:
        found[origin] = (raw_hash, deleted)
    return {o: h for o, (h, deleted) in found.items() if not deleted}


def source_version(snap: Snapshot, post_id: int) -> VRow | None:
    lang = snap.source_lang.get(post_id)
    return snap.versions.get((post_id, lang)) if lang else None


def state_of(snap: Snapshot, post_id: int, lang: str) -> State:
    """Derived state of one language of a post, from the snapshot."""
    src_lang = snap.source_lang.get(post_id)
    v = snap.versions.get((post_id, lang))
    if lang == src_lang and v is not None and v.live:
        return State.SOURCE
    src = source_version(snap, post_id)
    return translation_state(
        version_alive=v is not None and v.live,
        source_alive=src is not None and src.live,
        based_on=v.based_on_revision if v else None,
        source_revision=src.revision if src else None,
    )


def choose_source_lang(
    versions: Iterable[VRow], current: str | None, settings: Settings
) -> str | None:
    """The post's source language: declared > kept > TRANSYNC_SOURCE_LANG > earliest date,
    among the languages that may be a source (TRANSYNC_SOURCE_LANGS) and versions that are
    not stubs. None when no version qualifies: the post then has no source (its versions
    are orphaned, no task is planned). A source that is deleted stays the source: its
    translations are orphaned, never promoted to be translated from."""
    allowed = settings.possible_sources
    live = [v for v in versions if v.live and v.lang in allowed]
    declared = sorted({v.declared_source_lang for v in live
                       if v.declared_source_lang and v.declared_source_lang in allowed})
    if declared:
        if current in declared:
            return current
        return declared[0]
    if current is not None and current in allowed:
        return current
    if not live:
        return None
    langs = {v.lang for v in live}
    if settings.source_lang in langs:
        return settings.source_lang
    order = {lang: i for i, lang in enumerate(settings.languages)}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return min(live, key=lambda v: (v.date or far, order.get(v.lang, 99))).lang


class Scan:
    """One scan of some sources inside one transaction."""

    def __init__(
        self,
        session: Session,
        settings: Settings,
        actor: str = "scan",
        keys: Sequence[str] | None = None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.actor = actor
        self.now = utcnow()
        self.report = ScanReport()
        self.keys = keys
        self._snap: Snapshot | None = None
        # (kind, post_id, lang, details): a tuple, not a row dict, until written (an initial
        # scan of 100,000 posts holds 300,000 of them)
        self.events: list[tuple[str, int | None, str | None, dict[str, Any]]] = []
        self.before: dict[tuple[int, str], State] = {}
        self.remembered: set[int] = set()
        self.spill = Spill()
        self.sources: dict[str, Any] = {}  # uri → source object, for history look-ups
        # source revisions found in history and not yet recorded: (post, number) → slot
        self.historical: dict[tuple[int, int], int] = {}
        self.historical_rows: list[tuple[VRow, int, str, str, int, int, dt.datetime, str]] = []

    @property
    def snap(self) -> Snapshot:
        """Every post and version, loaded at first use: a rescan that finds every file
        unchanged never needs it (see read_source)."""
        if self._snap is None:
            self._snap = Snapshot(self.session, self.keys)
        return self._snap

    @property
    def loaded(self) -> bool:
        """Whether the snapshot was loaded; until it is, nothing can have changed."""
        return self._snap is not None

    def keep(self, doc: Document) -> Spilled:
        """Analyze a document and put its content in the spill: only metadata stays."""
        analysis = analyze(doc)
        slot = self.spill.put((analysis.segments, doc.body, None))
        return Spilled(analysis.content_hash, slot, len(analysis.segments))

    # -- reading ---------------------------------------------------------------

    def read_source(self, source: Any, progress: Progress | None = None) -> None:
        """Read one source; documents are staged, problems reported, deletions found."""
        self.report.sources.append(source.uri)
        self.sources[source.uri] = source
        if self.loaded or self.keys is not None:
            existing = self.snap.by_origin(source.uri)
            known = {o: v.raw_hash for o, v in existing.items() if not v.deleted}
        else:  # two columns instead of the snapshot: a rescan usually finds nothing new
            known = known_hashes(self.session, source.uri)
        docs: list[Document] = []
        kept: set[str] = set()
        problems: list[Problem] = []
        gone: set[str] = set()
        for item in source.read(known):
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
                problems.append(Problem(origin=item.origin[:MAX_ORIGIN], key=item.key,
                                        lang=item.lang, reason=why))
                kept.add(item.origin)
            else:
                self.report.files += 1
                try:
                    spilled = self.keep(item)
                except Exception as exc:  # noqa: BLE001 - one document's failure is its own
                    problems.append(Problem(origin=item.origin, key=item.key, lang=item.lang,
                                            reason=f"could not be read ({type(exc).__name__}: "
                                            f"{exc}); fix it or leave it out of the source"))
                    kept.add(item.origin)
                    continue
                docs.append(dataclasses.replace(item, body="", analysis=spilled,
                                                stub=is_stub(item, spilled)))
        self.report.problems.extend(dataclasses.replace(p, source=p.source or source.uri)
                                    for p in problems)
        if any(p.fatal for p in problems):
            self.report.failed_sources.add(source.uri)
            return  # nothing of an unreadable source is applied, nothing is deleted
        if not docs and not problems and not gone and kept == known.keys():
            return  # every file unchanged, none gone: nothing to stage, nothing deleted
        existing = self.snap.by_origin(source.uri)
        docs = self.reject_duplicates(docs, existing, kept)
        docs = self.reject_other_origins(docs, source.uri, kept)
        self.create_posts(sorted({d.key for d in docs} - self.snap.posts.keys()))
        claimed = {d.origin for d in docs} | kept
        for doc in docs:
            self.stage(doc, existing.get(doc.origin))
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

    def create_posts(self, keys: Sequence[str]) -> None:
        """Insert new posts in bulk, ids returned in order."""
        table = Post.__table__
        for chunk in chunks(keys):
            ids = self.session.execute(
                table.insert().returning(table.c.id, sort_by_parameter_order=True),
                [{"key": k, "created_at": self.now} for k in chunk],
            ).scalars()
            for key, pid in zip(chunk, ids, strict=True):
                self.snap.posts[key] = pid
                self.snap.source_lang[pid] = None
                self.report.new_posts += 1

    def reject_duplicates(
        self, docs: list[Document], existing: dict[str, VRow], kept: set[str]
    ) -> list[Document]:
        """Two files may not claim one (post, language); each such file is reported."""
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
            for d in group:
                self.report.problems.append(
                    Problem(
                        origin=d.origin,
                        key=key,
                        lang=lang,
                        reason=f"post {key!r} in {lang} is claimed by {len(others)} files "
                        f"({', '.join(others)}); give each a distinct translationKey",
                    )
                )
                kept.add(d.origin)
        return sorted(accepted, key=lambda d: d.origin)

    def reject_other_origins(self, docs: list[Document], uri: str, kept: set[str]
                             ) -> list[Document]:
        """A (post, language) that another source holds (a live version read from elsewhere)
        is not taken over: the document is rejected with both origins named, and what was
        recorded stays. Scanning two exports of the same post never alternates."""
        accepted = []
        for d in docs:
            pid = self.snap.posts.get(d.key)
            holder = self.snap.versions.get((pid, d.lang)) if pid is not None else None
            if holder is not None and holder.source != uri and holder.alive:
                self.report.problems.append(Problem(
                    origin=d.origin, key=d.key, lang=d.lang, source=uri,
                    reason=f"in {uri}: post {d.key!r} in {d.lang} is already read from "
                    f"{holder.source} ({holder.origin}); one origin per post and language: "
                    "remove one of them, or give this one another key"))
                kept.add(d.origin)
                continue
            accepted.append(d)
        return accepted

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
            v = VRow(id=None, post_id=pid, lang=sys.intern(doc.lang), source=doc.source,
                     origin=doc.origin)
            v.first_seen = True
            self.snap.versions[(pid, doc.lang)] = v
            self.report.new_versions += 1
        else:
            self.remember(v)
        analysis = doc.analysis if isinstance(doc.analysis, Spilled) else self.keep(doc)
        if source_texts is not None:  # write-back: the source each segment translates
            segments, body, _ = self.spill.get(analysis.slot)
            if len(source_texts) == len(segments):
                self.spill.memory[analysis.slot] = (segments, body, tuple(source_texts))
        if v.deleted or v.revision == 0:
            if v.revision:
                self.report.restored += 1
                self.event("restored", pid, doc.lang, origin=doc.origin)
            v.first_seen = True
        if analysis.content_hash != v.content_hash:
            v.revision += 1
            v.content_hash = analysis.content_hash
            v.spill, v.slot = self.spill, analysis.slot
            v.segment_count = analysis.segment_count
            v.body_format = doc.body_format
            self.report.new_revisions += 1
            self.event(
                "revision", pid, doc.lang, revision=v.revision, hash=analysis.short_hash,
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
        v.stub = doc.stub or (analysis.segment_count == 0 and not doc.body.strip()
                              and not isinstance(doc.analysis, Spilled))
        if was_stub and not v.stub:
            v.first_seen = True  # a placeholder became a translation: judged as new
        v.forced_baseline = baseline
        v.dirty = True
        self.report.touched_posts.add(pid)
        return v

    def remember(self, v: VRow) -> None:
        """Note a post's states before this scan changes it, once."""
        pid = v.post_id
        if pid in self.remembered:
            return
        self.remembered.add(pid)
        for lang in self.settings.languages:
            self.before[(pid, lang)] = state_of(self.snap, pid, lang)

    def event(self, kind: str, post_id: int | None, lang: str | None, **details: Any) -> None:
        self.events.append((kind, post_id, lang, details))
        if kind in ("revision", "deleted", "restored") and post_id is not None and lang:
            self.report.revised.add((post_id, lang))

    # -- deciding --------------------------------------------------------------

    def settle(self) -> None:
        """Source languages, based-on revisions (and how they are known) and stale counts of
        every touched post."""
        touched = sorted(self.report.touched_posts)
        by_post: dict[int, list[VRow]] = defaultdict(list)
        for (pid, _lang), v in self.snap.versions.items():
            if pid in self.report.touched_posts:
                by_post[pid].append(v)
        lang_changes: list[dict[str, Any]] = []
        changed_source: set[int] = set()
        for pid, path in self.lost_originals(touched, by_post).items():
            lang = self.settings.source_lang
            self.snap.source_lang[pid] = lang  # its original is gone: the rest are orphans
            lang_changes.append({"_id": pid, "source_lang": lang})
            changed_source.add(pid)
            self.event("source_lang", pid, lang, previous=None, deleted_original=path)
        for pid in touched:
            old = self.snap.source_lang.get(pid)
            new = choose_source_lang(by_post[pid], old, self.settings)
            if new != old:
                self.snap.source_lang[pid] = new
                lang_changes.append({"_id": pid, "source_lang": new})
                changed_source.add(pid)
                if old is not None:
                    self.event("source_lang", pid, new, previous=old)
        evidence = self.history_evidence(touched, by_post)
        hashes = self.source_revision_hashes(touched, by_post, evidence)
        found = self.historical_revisions(evidence, hashes)
        for pid in touched:
            src = source_version(self.snap, pid)
            for v in by_post[pid]:
                if v is src or src is None:
                    if v is src and (v.based_on_revision is not None or v.baseline is not None):
                        v.based_on_revision = v.baseline = None
                        v.dirty = True
                    continue
                if not v.live:  # gone, or a stub: missing, made from nothing
                    continue
                declared = v.declared_source_hash
                matched = (hashes.get((src.id, declared[:16]))
                           if declared and src.id is not None else None)
                if declared and src.revised and src.content_hash[:16] == declared[:16]:
                    matched = src.revision
                if matched is not None:
                    self.set_base(v, matched, v.forced_baseline or "declared")
                elif v.first_seen and id(v) in found:
                    self.set_base(v, found[id(v)], "history")
                elif v.first_seen or v.based_on_revision is None or pid in changed_source:
                    self.set_base(v, src.revision, v.forced_baseline or "assumed")
                elif v.forced_baseline:
                    self.set_base(v, v.based_on_revision, v.forced_baseline)
                if v.first_seen and v.baseline:
                    self.report.baselines[v.baseline] = self.report.baselines.get(
                        v.baseline, 0) + 1
        posts = Post.__table__
        for chunk in chunks(lang_changes):
            self.session.execute(posts.update().where(posts.c.id == bindparam("_id")), chunk)
        self.count_changes(touched)

    def lost_originals(self, touched: Sequence[int], by_post: dict[int, list[VRow]]
                       ) -> dict[int, str]:
        """post → path, for posts seen without a source yet, none of whose versions is in
        TRANSYNC_SOURCE_LANG, when git history shows a file there that was deleted: a page
        left in Russian after its English original was deleted is an orphan, not a
        Russian source to translate into English."""
        if self.settings.history == "off":
            return {}
        from sync.sources.fs import translation_origin

        lang = self.settings.source_lang
        wanted: dict[str, dict[int, list[str]]] = defaultdict(dict)
        for pid in touched:
            if self.snap.source_lang.get(pid) is not None:
                continue
            live = [v for v in by_post[pid] if v.live and v.source.startswith("fs:")]
            if not live or any(v.lang == lang for v in by_post[pid] if v.live):
                continue
            v = live[0]
            try:
                there = translation_origin(v.origin, v.lang, lang)
            except ValueError:
                continue
            # the default language may also be written with no suffix: posts/x.md
            plain = there.replace(f".{lang}.", ".", 1) if f".{lang}." in there else there
            wanted[v.source][pid] = list(dict.fromkeys((there, plain)))
        lost: dict[int, str] = {}
        for uri, candidates in wanted.items():
            history = self.git_history(uri)
            if history is None:
                continue
            try:
                gone = history.deleted([p for paths in candidates.values() for p in paths])
            except SourceError:
                continue
            for pid, paths in candidates.items():
                found = next((p for p in paths if p in gone), None)
                if found is not None:
                    lost[pid] = found
        return lost

    @staticmethod
    def set_base(v: VRow, revision: int, baseline: str) -> None:
        if (v.based_on_revision, v.baseline) != (revision, baseline):
            v.based_on_revision, v.baseline = revision, baseline
            v.dirty = True

    def source_revision_hashes(
        self, touched: Sequence[int], by_post: dict[int, list[VRow]], evidence: dict[int, Any]
    ) -> dict[tuple[int, str], int]:
        """(source version id, hash) → revision number for the sources of translations that
        declare a source_hash or have history: the short (16) and the full hash both."""
        wanted = {src.id for _v, src, _ev in evidence.values() if src.id is not None}
        for pid in touched:
            if any(v.declared_source_hash for v in by_post[pid]):
                src = source_version(self.snap, pid)
                if src is not None and src.id is not None:
                    wanted.add(src.id)
        found: dict[tuple[int, str], int] = {}
        for chunk in chunks(sorted(wanted)):
            rows = self.session.execute(
                select(Revision.version_id, Revision.content_hash, Revision.number).where(
                    Revision.version_id.in_(chunk)
                )
            )
            for vid, h, n in rows:
                found[(vid, h[:16])] = n
                found[(vid, h)] = n
        return found

    # -- history ---------------------------------------------------------------

    def history_evidence(self, touched: Sequence[int], by_post: dict[int, list[VRow]]
                         ) -> dict[int, tuple[VRow, VRow, Any]]:
        """id(translation) → (translation, source, Evidence) for translations seen for the
        first time whose source is a file of the same tree, when git history says which
        source they were made from (TRANSYNC_HISTORY=auto). One history per tree, asked in
        batches."""
        if self.settings.history == "off":
            return {}
        wanted: dict[str, list[tuple[VRow, VRow]]] = defaultdict(list)
        for pid in touched:
            src = source_version(self.snap, pid)
            if src is None or not src.live or not src.source.startswith("fs:"):
                continue
            for v in by_post[pid]:
                if (v is not src and v.first_seen and v.live and v.source == src.source
                        and not v.declared_source_hash and not v.forced_baseline):
                    wanted[v.source].append((v, src))
        found: dict[int, tuple[VRow, VRow, Any]] = {}
        for uri, pairs in wanted.items():
            history = self.git_history(uri)
            if history is None:
                continue
            for batch in chunks(pairs, HISTORY_BATCH):
                try:
                    answers = history.baselines([(v.origin, src.origin) for v, src in batch])
                except SourceError as exc:  # git failed midway: no evidence, say so once
                    self.report.problems.append(Problem(
                        origin=uri, reason=f"git history could not be read ({exc}); the "
                        "translations first seen in this scan are assumed current"))
                    break
                for v, src in batch:
                    ev = answers.get((v.origin, src.origin))
                    if ev is not None:
                        found[id(v)] = (v, src, ev)
        return found

    def git_history(self, uri: str) -> Any:
        """The git history of a content tree, or None (not a work tree, no git)."""
        cache = self.__dict__.setdefault("_histories", {})
        if uri not in cache:
            from pathlib import Path

            from sync.githistory import GitHistory

            cache[uri] = GitHistory.open(Path(uri[3:]))
        return cache[uri]

    def historical_revisions(self, evidence: dict[int, tuple[VRow, VRow, Any]],
                             hashes: dict[tuple[int, str], int]) -> dict[int, int]:
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
                    slot = self.spill.put((analysis.segments, doc.body, None))
                    self.historical[(src.post_id, number)] = slot
                    self.historical_rows.append(
                        (src, number, h, doc.title, slot, len(analysis.segments),
                         first[h], doc.body_format))
                decided.append((v, src, ev, number))
        based: dict[int, int] = {}
        for v, src, ev, number in decided:
            based[id(v)] = src.revision if number is None else number
            if number is not None and number != src.revision:
                v.stale_since = ev.next_source_time or self.now
            self.event("baseline", v.post_id, v.lang, baseline="history",
                       based_on_revision=based[id(v)], translation_commit=ev.translation_commit,
                       source_commit=ev.source_commit, next_source_commit=ev.next_source_commit,
                       uncommitted=ev.uncommitted)
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

    def count_changes(self, post_ids: Sequence[int]) -> None:
        """changed/added/removed since each stale translation's based-on revision."""
        needs: list[tuple[VRow, VRow]] = []
        for pid in post_ids:
            src = source_version(self.snap, pid)
            for lang in self.settings.languages:
                v = self.snap.versions.get((pid, lang))
                if v is None or src is None or v is src:
                    continue
                state = state_of(self.snap, pid, lang)
                if state is State.STALE:
                    needs.append((v, src))
                    if v.stale_since is None:
                        v.stale_since = self.now
                        v.dirty = True
                elif v.stale_since is not None or v.changed_segments or v.added_segments or (
                    v.removed_segments or v.stale_words
                ):
                    v.stale_since = None
                    v.changed_segments = v.added_segments = v.removed_segments = 0
                    v.stale_words = 0
                    v.dirty = True
        wanted = {(src.id, v.based_on_revision) for v, src in needs}
        wanted |= {(src.id, src.revision) for v, src in needs if not src.revised}
        segs = load_segments(self.session, wanted)
        for v, src in needs:
            new = src.new_segments if src.revised else segs.get(
                (src.id, src.revision), ()
            )
            slot = self.historical.get((src.post_id, v.based_on_revision))
            if slot is not None:  # a source revision found in history in this scan
                old = self.spill.get(slot)[0]
            else:
                old = segs.get((src.id, v.based_on_revision), ())
            d = diff_segments(old, new)
            counts = (d.changed, d.added, d.removed)
            if counts != (v.changed_segments, v.added_segments, v.removed_segments):
                v.changed_segments, v.added_segments, v.removed_segments = counts
                v.dirty = True
            words = sum(count_words(op.new_text) for op in d.ops
                        if op.tag in ("changed", "added"))
            if words != v.stale_words:
                v.stale_words, v.dirty = words, True

    # -- writing ---------------------------------------------------------------

    def write(self) -> ScanReport:
        """Write every dirty version, new revisions with their segments, and the events."""
        dirty = [v for v in self.snap.versions.values() if v.dirty]
        new = [v for v in dirty if v.id is None]
        old = [v for v in dirty if v.id is not None]
        versions = Version.__table__
        for chunk in chunks(new, VERSION_CHUNK):
            ids = self.session.execute(
                versions.insert().returning(versions.c.id, sort_by_parameter_order=True),
                [self.version_values(v) for v in chunk],
            ).scalars()
            for v, vid in zip(chunk, ids, strict=True):
                v.id = vid
        by_id = versions.update().where(versions.c.id == bindparam("_id"))
        for read in (True, False):  # versions whose file was read also update front matter
            group = [v for v in old if (v.front_matter is not None) is read]
            for chunk in chunks(group, VERSION_CHUNK):
                self.session.execute(
                    by_id, [{"_id": v.id, **self.version_values(v)} for v in chunk]
                )
        revised = [v for v in dirty if v.revised]
        insert_segments = segment_inserter(self.session)
        for chunk in content_chunks(revised):  # bounded in bytes, not only in rows
            src_rev = {}
            for v in chunk:
                src = source_version(self.snap, v.post_id)
                src_rev[v.id] = v.based_on_revision if src is not v else None
            contents = [v.content() for v in chunk]  # once each: a spilled one is unpickled
            revisions = Revision.__table__
            rev_ids = self.session.execute(
                revisions.insert().returning(revisions.c.id, sort_by_parameter_order=True),
                [
                    {
                        "version_id": v.id,
                        "number": v.revision,
                        "content_hash": v.content_hash,
                        "title": v.title,
                        "body": content[1],  # type: ignore[index]
                        "body_format": v.body_format,
                        "segment_count": v.segment_count,
                        "source_revision": src_rev[v.id],
                        "created_at": self.now,
                    }
                    for v, content in zip(chunk, contents, strict=True)
                ],
            ).scalars().all()
            rows: list[tuple[int, int, str, str, str | None]] = []
            for content, rid in zip(contents, rev_ids, strict=True):
                segments, _body, texts = content  # type: ignore[misc]
                if texts:
                    n = len(texts)
                    rows.extend((rid, pos, s.kind, s.text, texts[pos] if pos < n else None)
                                for pos, s in enumerate(segments))
                else:
                    rows.extend((rid, pos, s.kind, s.text, None)
                                for pos, s in enumerate(segments))
            words = dict.fromkeys(rev_ids, 0)
            if rows:
                for row, n in zip(rows, insert_segments(rows), strict=True):
                    words[row[0]] += n
            self.session.execute(by_id.values(words=bindparam("_words")), [
                {"_id": v.id, "_words": words[rid]} for v, rid in zip(chunk, rev_ids,
                                                                     strict=True)])
        self.write_historical(insert_segments)
        self.state_events()
        if self.events:
            for chunk in chunks(self.events, 2000):
                self.session.execute(Event.__table__.insert(), [
                    {"at": self.now, "actor": self.actor, "kind": kind, "post_id": post_id,
                     "lang": lang, "details": details}
                    for kind, post_id, lang, details in chunk])
        return self.report

    def written(self) -> None:
        """Forget what this scan wrote, so that more can be staged and written in the same
        transaction (write-back records a hand edit, then the translation over it)."""
        for v in self.snap.versions.values():
            if v.dirty or v.spill is not None:
                v.dirty, v.spill, v.first_seen, v.forced_baseline = False, None, False, None
        self.events.clear()
        self.before.clear()
        self.remembered.clear()
        self.historical.clear()
        self.historical_rows.clear()
        self.report.touched_posts.clear()

    def write_historical(
        self, insert_segments: Callable[[Sequence[tuple[int, int, str, str, str | None]]], Any]
    ) -> None:
        """Source revisions found in git history: rows and segments like any revision."""
        revisions = Revision.__table__
        for chunk in chunks(self.historical_rows, 200):
            contents = [self.spill.get(row[4]) for row in chunk]
            ids = self.session.execute(
                revisions.insert().returning(revisions.c.id, sort_by_parameter_order=True),
                [{"version_id": src.id, "number": number, "content_hash": h, "title": title,
                  "body": content[1], "body_format": body_format, "segment_count": count,
                  "source_revision": None, "created_at": when}
                 for (src, number, h, title, _slot, count, when, body_format), content
                 in zip(chunk, contents, strict=True)],
            ).scalars()
            rows: list[tuple[int, int, str, str, str | None]] = []
            for content, rid in zip(contents, ids, strict=True):
                rows.extend((rid, pos, seg.kind, seg.text, None)
                            for pos, seg in enumerate(content[0]))
            if rows:
                insert_segments(rows)

    def memory_pairs(
        self, fallback: set[int]
    ) -> Iterator[tuple[tuple[str, str], tuple[str, str, str]]]:
        """Translation-memory pairs from this scan's new content: (source, translation)
        segments of every current translation that got a new revision or a new based-on.
        Posts whose segments are not in the spill are added to `fallback` (a database pass)."""
        keys = {pid: key for key, pid in self.snap.posts.items()}
        for pid in sorted(self.report.touched_posts):
            src = source_version(self.snap, pid)
            if src is None or not src.alive:
                continue
            source_segments: tuple[Segment, ...] | None = None  # read from the spill once
            for lang in self.settings.languages:
                v = self.snap.versions.get((pid, lang))
                if v is None or v is src or state_of(self.snap, pid, lang) is not State.CURRENT:
                    continue
                if not v.revised and not src.revised:
                    continue  # nothing new to learn from this pair
                if not v.revised or not src.revised:
                    fallback.add(pid)
                    continue
                if source_segments is None:
                    source_segments = src.new_segments or ()
                source, target = source_segments, v.new_segments or ()
                for s, t in zip(source, align(source, target), strict=True):
                    if t is not None:
                        yield (src.lang, lang), (s.text, t, f"{keys[pid]} [{lang}]")

    def state_events(self) -> None:
        for (pid, lang), before in sorted(self.before.items()):
            after = state_of(self.snap, pid, lang)
            if after != before:
                self.report.state_changes += 1
                self.event("state", pid, lang, previous=str(before), state=str(after))

    @staticmethod
    def version_values(v: VRow) -> dict[str, Any]:
        values = {c: getattr(v, c) for c in VERSION_COLUMNS if c != "id"}
        values["declared_source_hash"] = v.declared_hash
        if v.front_matter is not None:
            values["front_matter"] = v.front_matter
        elif v.id is None:
            values["front_matter"] = {}
        values["updated_at"] = utcnow()
        return values


SEGMENT_FIELDS = ("revision_id", "position", "kind", "text", "source_text", "words")


def segment_inserter(
    session: Session,
) -> Callable[[Sequence[tuple[int, int, str, str, str | None]]], list[int]]:
    """A function inserting segment rows given as tuples in SEGMENT_FIELDS order, but for
    the words, which it counts (sync.words) and returns, one per row.

    A scan inserts about twenty segments per new revision. On SQLite they go straight to the
    driver's executemany (plain ints and strs: no type needs SQLAlchemy's bind processing),
    which skips SQLAlchemy's per-row parameter building, several times the cost of the
    insert itself; other backends keep the Core insert (batched multi-row VALUES).
    """
    if session.get_bind().dialect.name == "sqlite":
        sql = (f"INSERT INTO {SegmentRow.__tablename__} ({', '.join(SEGMENT_FIELDS)}) "
               f"VALUES ({', '.join('?' * len(SEGMENT_FIELDS))})")
        connection = session.connection()

        def insert_raw(rows: Sequence[tuple[int, int, str, str, str | None]]) -> list[int]:
            words = [count_words(r[3]) for r in rows]
            connection.exec_driver_sql(sql, [(*r, n) for r, n in zip(rows, words,
                                                                     strict=True)])
            return words

        return insert_raw
    statement = SegmentRow.__table__.insert()

    def insert_core(rows: Sequence[tuple[int, int, str, str, str | None]]) -> list[int]:
        words = [count_words(r[3]) for r in rows]
        session.execute(statement, [dict(zip(SEGMENT_FIELDS, (*r, n), strict=True))
                                    for r, n in zip(rows, words, strict=True)])
        return words

    return insert_core


def content_chunks(
    versions: Sequence[VRow], size: int = CHUNK, budget: int = WRITE_BYTES
) -> Iterator[Sequence[VRow]]:
    """Revised versions in batches of at most `size` whose content (its pickled size in the
    spill) is at most about `budget` bytes: a batch's rows, bodies and segments are all in
    memory at once, whether posts are a few kilobytes or several megabytes."""
    start = weight = 0
    for i, v in enumerate(versions):
        w = v.spill.size(v.slot) if v.spill is not None else 0
        if i > start and (i - start >= size or weight + w > budget):
            yield versions[start:i]
            start, weight = i, 0
        weight += w
    if start < len(versions):
        yield versions[start:]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_segments(
    session: Session, wanted: Iterable[tuple[int | None, int | None]]
) -> dict[tuple[int, int], tuple[Segment, ...]]:
    """Segments of (version id, revision number) pairs, in one query per chunk."""
    pairs = sorted({(v, n) for v, n in wanted if v is not None and n is not None})
    out: dict[tuple[int, int], list[Segment]] = defaultdict(list)
    for chunk in chunks(pairs, 300):
        rows = session.execute(
            select(Revision.version_id, Revision.number, SegmentRow.kind, SegmentRow.text)
            .join(SegmentRow, SegmentRow.revision_id == Revision.id)
            .where(tuple_(Revision.version_id, Revision.number).in_(list(chunk)))
            .order_by(Revision.version_id, Revision.number, SegmentRow.position)
        )
        for vid, n, kind, text in rows:
            out[(vid, n)].append(Segment(kind=kind, text=text))
    return {k: tuple(v) for k, v in out.items()}


def scan_sources(
    session: Session,
    settings: Settings,
    sources: Sequence[Any],
    *,
    actor: str = "scan",
    progress: Progress | None = None,
) -> ScanReport:
    """Read the sources and apply them in the caller's transaction."""
    scan = Scan(session, settings, actor)
    for source in sources:
        scan.read_source(source, progress)
    if not scan.loaded:  # every file unchanged: nothing staged, nothing to settle or write
        scan.spill.close()
        return scan.report
    scan.settle()
    report = scan.write()
    if not report.touched_posts:  # nothing new to learn (a no-change rescan): skip the
        scan.spill.close()  # translation memory's imports (rapidfuzz and more) too
        return report
    from sync.memory import learn, learn_versions

    fallback: set[int] = set()
    batch: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for n, (pair, item) in enumerate(scan.memory_pairs(fallback), 1):
        batch[pair].append(item)
        if n % 5000 == 0:  # learn as we go: memory stays bounded
            for (source_lang, target_lang), items in batch.items():
                learn(session, source_lang, target_lang, items)
            batch.clear()
    for (source_lang, target_lang), items in batch.items():
        learn(session, source_lang, target_lang, items)
    scan.spill.close()
    if fallback:
        learn_versions(session, settings, fallback)
    return report
