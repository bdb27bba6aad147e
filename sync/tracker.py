"""The tracker: applies what sources read to posts, versions, revisions and segments.

A scan loads a snapshot of every version in one query, computes in memory, and
writes back in bulk inside the caller's transaction: if it dies, nothing of it
is applied. Files whose bytes hash as recorded are not even parsed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Event, Post, Revision, Version, utcnow
from sync.db.models import Segment as SegmentRow
from sync.frontmatter import json_safe
from sync.segments import Analysis, Segment, align, analyze_markdown, diff_segments
from sync.sources.base import Deleted, Document, Problem, Unchanged
from sync.spill import Spill
from sync.state import State, translation_state

Progress = Callable[[int], None]
CHUNK = 500
#: Content (pickled bytes) in one batch of new revisions and their segments.
WRITE_BYTES = 2 << 20
#: Version rows in one statement: 25 columns each, one bind parameter per value (a batch of
#: 500 made the scan's peak memory, in the driver's query conversion).
VERSION_CHUNK = 100


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
            "errors": [
                {"origin": p.origin, "line": p.line, "reason": p.reason} for p in self.problems
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
    declared_hash: str | None = None  # the source_hash the file declares (column above)
    front_matter: dict[str, Any] | None = None  # not in the snapshot; set when a file is read
    # scan-local
    dirty: bool = False
    declared_source_hash: str | None = None
    first_seen: bool = False
    body_format: str = "markdown"
    spill: Spill | None = field(default=None, repr=False)  # where a new revision's content is
    slot: int = -1

    @property
    def alive(self) -> bool:
        return not self.deleted and self.revision > 0

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
    "based_on_revision stale_since changed_segments added_segments removed_segments"
).split()
if [f.name for f in dataclasses.fields(VRow)][: len(VERSION_COLUMNS) + 1] != [
    *VERSION_COLUMNS, "declared_hash"
]:
    raise AssertionError("VRow's first fields must be VERSION_COLUMNS, then declared_hash")


def analyze(doc: Document) -> Analysis:
    if doc.analysis is not None:
        return doc.analysis
    if doc.body_format == "html":
        from sync.htmlsegments import analyze_html  # lxml loads only for HTML documents

        return analyze_html(doc.title, doc.body)
    return analyze_markdown(doc.title, doc.body)


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
    if lang == src_lang and v is not None and v.alive:
        return State.SOURCE
    src = source_version(snap, post_id)
    return translation_state(
        version_alive=v is not None and v.alive,
        source_alive=src is not None and src.alive,
        based_on=v.based_on_revision if v else None,
        source_revision=src.revision if src else None,
    )


def choose_source_lang(
    versions: Iterable[VRow], current: str | None, settings: Settings
) -> str | None:
    """The post's source language: declared > kept > TRANSYNC_SOURCE_LANG > earliest date."""
    live = [v for v in versions if v.alive]
    declared = sorted({v.declared_source_lang for v in live if v.declared_source_lang})
    if declared:
        if current in declared:
            return current
        return declared[0]
    if current is not None:
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
            if isinstance(item, Deleted):
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
            else:
                self.report.files += 1
                docs.append(dataclasses.replace(item, body="", analysis=self.keep(item)))
        self.report.problems.extend(problems)
        if any(p.fatal for p in problems):
            self.report.failed_sources.add(source.uri)
            return  # nothing of an unreadable source is applied, nothing is deleted
        if not docs and not problems and not gone and kept == known.keys():
            return  # every file unchanged, none gone: nothing to stage, nothing deleted
        existing = self.snap.by_origin(source.uri)
        docs = self.reject_duplicates(docs, existing, kept)
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

    def stage(
        self,
        doc: Document,
        at_origin: VRow | None,
        source_texts: Sequence[str | None] | None = None,
    ) -> VRow:
        """Apply one parsed document to the in-memory snapshot."""
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

    # -- deciding --------------------------------------------------------------

    def settle(self) -> None:
        """Source languages, based-on revisions and stale counts of every touched post."""
        touched = sorted(self.report.touched_posts)
        by_post: dict[int, list[VRow]] = defaultdict(list)
        for (pid, _lang), v in self.snap.versions.items():
            if pid in self.report.touched_posts:
                by_post[pid].append(v)
        hashes = self.source_revision_hashes(by_post)
        lang_changes: list[dict[str, Any]] = []
        for pid in touched:
            versions = by_post[pid]
            old = self.snap.source_lang.get(pid)
            new = choose_source_lang(versions, old, self.settings)
            if new != old:
                self.snap.source_lang[pid] = new
                lang_changes.append({"_id": pid, "source_lang": new})
                if old is not None:
                    self.event("source_lang", pid, new, previous=old)
            src = source_version(self.snap, pid)
            for v in versions:
                if v is src or src is None:
                    if v is src and v.based_on_revision is not None:
                        v.based_on_revision = None
                        v.dirty = True
                    continue
                if not v.alive:
                    continue
                declared = v.declared_source_hash
                matched = hashes.get((src.id, declared[:16])) if declared and src.id else None
                if declared and src.revised and (
                    src.content_hash[:16] == declared[:16]
                ):
                    matched = src.revision
                if matched is not None:
                    if matched != v.based_on_revision:
                        v.based_on_revision = matched
                        v.dirty = True
                elif v.first_seen or v.based_on_revision is None or new != old:
                    if v.based_on_revision != src.revision:
                        v.based_on_revision = src.revision
                        v.dirty = True
        posts = Post.__table__
        for chunk in chunks(lang_changes):
            self.session.execute(posts.update().where(posts.c.id == bindparam("_id")), chunk)
        self.count_changes(touched)

    def source_revision_hashes(self, by_post: dict[int, list[VRow]]) -> dict[tuple[int, str], int]:
        """(source version id, short hash) → revision number, for translations that declare one."""
        wanted = set()
        for pid, versions in by_post.items():
            if any(v.declared_source_hash for v in versions):
                src = source_version(self.snap, pid)
                if src is None:
                    src_lang = choose_source_lang(versions, self.snap.source_lang.get(pid),
                                                  self.settings)
                    src = self.snap.versions.get((pid, src_lang)) if src_lang else None
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
        return found

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
                    v.removed_segments
                ):
                    v.stale_since = None
                    v.changed_segments = v.added_segments = v.removed_segments = 0
                    v.dirty = True
        wanted = {(src.id, v.based_on_revision) for v, src in needs}
        wanted |= {(src.id, src.revision) for v, src in needs if not src.revised}
        segs = load_segments(self.session, wanted)
        for v, src in needs:
            new = src.new_segments if src.revised else segs.get(
                (src.id, src.revision), ()
            )
            old = segs.get((src.id, v.based_on_revision), ())
            d = diff_segments(old, new)
            counts = (d.changed, d.added, d.removed)
            if counts != (v.changed_segments, v.added_segments, v.removed_segments):
                v.changed_segments, v.added_segments, v.removed_segments = counts
                v.dirty = True

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
            ).scalars()
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
            if rows:
                insert_segments(rows)
        self.state_events()
        if self.events:
            for chunk in chunks(self.events, 2000):
                self.session.execute(Event.__table__.insert(), [
                    {"at": self.now, "actor": self.actor, "kind": kind, "post_id": post_id,
                     "lang": lang, "details": details}
                    for kind, post_id, lang, details in chunk])
        return self.report

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


SEGMENT_FIELDS = ("revision_id", "position", "kind", "text", "source_text")


def segment_inserter(
    session: Session,
) -> Callable[[Sequence[tuple[int, int, str, str, str | None]]], None]:
    """A function inserting segment rows given as tuples in SEGMENT_FIELDS order.

    A scan inserts about twenty segments per new revision. On SQLite they go straight to the
    driver's executemany (plain ints and strs: no type needs SQLAlchemy's bind processing),
    which skips SQLAlchemy's per-row parameter building, several times the cost of the
    insert itself; other backends keep the Core insert (batched multi-row VALUES).
    """
    if session.get_bind().dialect.name == "sqlite":
        sql = (f"INSERT INTO {SegmentRow.__tablename__} ({', '.join(SEGMENT_FIELDS)}) "
               f"VALUES ({', '.join('?' * len(SEGMENT_FIELDS))})")
        connection = session.connection()

        def insert_raw(rows: Sequence[tuple[int, int, str, str, str | None]]) -> None:
            connection.exec_driver_sql(sql, list(rows))

        return insert_raw
    statement = SegmentRow.__table__.insert()

    def insert_core(rows: Sequence[tuple[int, int, str, str, str | None]]) -> None:
        session.execute(statement, [dict(zip(SEGMENT_FIELDS, r, strict=True)) for r in rows])

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
