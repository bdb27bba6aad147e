"""Settling what a scan staged: each touched post's source language, each translation's
based-on revision and how it is known (recorded, declared, history, assumed), and the
changed, added and removed counts of stale translations."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from sync.db.models import Post, Revision
from sync.errors import SourceError
from sync.revisions import chunks, load_segments
from sync.segments import diff_segments
from sync.state import State
from sync.tracker.history import History
from sync.tracker.rows import VRow
from sync.tracker.snapshot import choose_source_lang, source_version, state_of
from sync.words import count_words


class Settling(History):
    """A scan's settling step (it asks git history through ``History``)."""

    def settle(self) -> None:
        """Source languages, based-on revisions (and how they are known) and stale counts of
        every touched post."""
        touched = sorted(self.report.touched_posts)
        by_post = self.snap.versions_of(touched)
        lang_changes: list[dict[str, Any]] = []
        changed_source: set[int] = set()
        for pid, path in self.lost_originals(touched, by_post).items():
            lang = self.settings.source_lang
            self.snap.source_lang[pid] = lang  # its original is gone: the rest are orphans
            lang_changes.append({"_id": pid, "source_lang": lang})
            changed_source.add(pid)
            self.event("source_lang", pid, lang, previous=None, deleted_original=path)
        waiting = self.unreadable_sources()
        for pid in touched:
            old = self.snap.source_lang.get(pid)
            new = choose_source_lang(
                by_post[pid], old, self.settings, self.site_default(by_post[pid])
            )
            if old is None and new != self.settings.source_lang and pid in waiting:
                new = None  # its file in the source language is there, unreadable: wait
            if new != old:
                self.snap.source_lang[pid] = new
                lang_changes.append({"_id": pid, "source_lang": new})
                changed_source.add(pid)
                if old is not None:
                    self.event("source_lang", pid, new, previous=old)
        evidence = self.history_evidence(touched, by_post)
        hashes = self.source_revision_hashes(touched, by_post, evidence)
        found = self.historical_revisions(evidence, hashes)
        reverted = self.reverted_sources(touched, by_post, changed_source)
        for pid in touched:
            src = source_version(self.snap, pid)
            for v in by_post[pid]:
                if v is src or src is None:
                    if v is src and (v.based_on_revision is not None or v.baseline is not None):
                        v.based_on_revision = v.baseline = None
                        v.dirty = True
                    continue
                if v.live and untranslated_copy(v, src):
                    v.stub = True  # a placeholder made by copying the source: missing
                if not v.live:  # gone, or a stub: missing, made from nothing
                    continue
                declared = v.declared_source_hash
                matched = (
                    hashes.get((src.id, declared[:16])) if declared and src.id is not None else None
                )
                if declared and src.revised and src.content_hash[:16] == declared[:16]:
                    matched = src.revision
                if matched is not None:
                    self.set_base(v, matched, v.forced_baseline or "declared")
                elif (v.first_seen or v.revised) and id(v) in found:
                    self.set_base(v, found[id(v)], "history")
                elif id(v) in reverted:  # the source is back to what it was translated from
                    self.set_base(v, src.revision, v.baseline or "assumed")
                elif v.first_seen or v.based_on_revision is None or pid in changed_source:
                    self.set_base(v, src.revision, v.forced_baseline or "assumed")
                elif v.forced_baseline:
                    self.set_base(v, v.based_on_revision, v.forced_baseline)
                if v.first_seen and v.baseline:
                    self.report.baselines[v.baseline] = self.report.baselines.get(v.baseline, 0) + 1
        posts = Post.__table__
        for chunk in chunks(lang_changes):
            self.session.execute(posts.update().where(posts.c.id == bindparam("_id")), chunk)
        self.count_changes(touched)

    def site_default(self, versions: Sequence[VRow]) -> str | None:
        """The language a post's source (a Hugo site whose defaultContentLanguage transync
        reads, with TRANSYNC_SOURCE_LANG not given) says its content is in, if it says."""
        for v in versions:
            found = getattr(self.sources.get(v.source), "site_source_lang", None)
            if isinstance(found, str) and found in self.settings.languages:
                return found
        return None

    def unreadable_sources(self) -> set[int]:
        """Posts whose file in TRANSYNC_SOURCE_LANG this scan rejected: a post seen for the
        first time then gets no source yet, rather than a translation promoted to be its
        source for good (a source is kept once chosen)."""
        lang = self.settings.source_lang
        keys = {p.key for p in self.report.problems if p.lang == lang and p.key}
        return {self.snap.posts[k] for k in keys if k in self.snap.posts}

    def lost_originals(
        self, touched: Sequence[int], by_post: dict[int, list[VRow]]
    ) -> dict[int, str]:
        """post → path, for posts seen without a source yet, none of whose versions is in
        TRANSYNC_SOURCE_LANG, when git history shows a file there that was deleted after the
        page appeared: a page left in Russian after its English original was deleted is an
        orphan, not a Russian source to translate into English."""
        if self.settings.history == "off":
            return {}
        from sync.sources.fs import translation_origin

        lang = self.settings.source_lang
        wanted: dict[str, dict[int, list[str]]] = defaultdict(dict)
        made: dict[str, dict[int, str]] = defaultdict(dict)
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
            made[v.source][pid] = v.origin
        lost: dict[int, str] = {}
        for uri, candidates in wanted.items():
            history = self.git_history(uri)
            if history is None:
                continue
            after = {p: made[uri][pid] for pid, paths in candidates.items() for p in paths}
            try:  # only a file deleted after the page appeared was its original
                gone = history.deleted(list(after), after=after)
            except SourceError:
                continue
            for pid, paths in candidates.items():
                found = next((p for p in paths if p in gone), None)
                if found is not None:
                    lost[pid] = found
        return lost

    def reverted_sources(
        self, touched: Sequence[int], by_post: dict[int, list[VRow]], changed_source: set[int]
    ) -> set[int]:
        """``id()`` of the translations whose source got a new revision this scan with the
        very content of the revision they were made from (an edit undone): they translate the
        source as it is again. Not a translation that changed after the source moved on from
        that revision (a hand edit may have followed the source's change: what it translates
        is not known), nor one seen for the first time or of a post whose source language
        changed (judged as new instead)."""
        wanted: dict[tuple[int, int], list[VRow]] = defaultdict(list)
        current: dict[int, str] = {}
        for pid in touched:
            src = source_version(self.snap, pid)
            if src is None or src.id is None or not src.revised or pid in changed_source:
                continue
            current[src.id] = src.content_hash
            for v in by_post[pid]:
                base = v.based_on_revision
                if (
                    v is not src
                    and v.id is not None
                    and v.live
                    and not v.first_seen
                    and not v.revised
                    and base not in (None, src.revision)
                ):
                    wanted[(src.id, base)].append(v)
        if not wanted:
            return set()
        made: dict[int, dict[int, Any]] = defaultdict(dict)  # version id -> number -> time
        ids = sorted({vid for vid, _ in wanted} | {v.id for vs in wanted.values() for v in vs})
        for chunk in chunks(ids):
            rows = self.session.execute(
                select(
                    Revision.version_id, Revision.number, Revision.content_hash, Revision.created_at
                ).where(Revision.version_id.in_(chunk))
            )
            for vid, number, content_hash, created in rows:
                made[vid][number] = (content_hash, created)
        reverted: set[int] = set()
        for (sid, base), versions in wanted.items():
            if made[sid].get(base, ("", None))[0] != current[sid]:
                continue
            later = [n for n in made[sid] if n > base]
            left = min((made[sid][n][1] for n in later), default=None)  # the source moved on
            for v in versions:
                edited = made[v.id].get(v.revision, ("", None))[1]
                if left is not None and edited is not None and edited < left:
                    reverted.add(id(v))
        return reverted

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
                elif (
                    v.stale_since is not None
                    or v.changed_segments
                    or v.added_segments
                    or (v.removed_segments or v.stale_words)
                ):
                    v.stale_since = None
                    v.changed_segments = v.added_segments = v.removed_segments = 0
                    v.stale_words = 0
                    v.dirty = True
        wanted = {(src.id, v.based_on_revision) for v, src in needs}
        wanted |= {(src.id, src.revision) for v, src in needs if not src.revised}
        segs = load_segments(self.session, wanted)
        for v, src in needs:
            new = src.new_segments if src.revised else segs.get((src.id, src.revision), ())
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
            words = sum(count_words(op.new_text) for op in d.ops if op.tag in ("changed", "added"))
            if words != v.stale_words:
                v.stale_words, v.dirty = words, True


def untranslated_copy(v: VRow, src: VRow) -> bool:
    """A translation with a new revision that is a placeholder in all but name: the source's
    very content (a file copied to stand in for the page: the same title, segments and
    code), or a title alone where the source has more. Not a translation transync wrote
    (a page of names may rightly be the same in every language)."""
    if not v.revised or v.forced_baseline is not None or not src.alive:
        return False
    if v.content_hash == src.content_hash:
        return True
    return bool(v.title.strip()) and v.segment_count == 1 < src.segment_count  # title only
