"""The snapshot: every post and version loaded in one query, and the states, sources and
source languages derived from it in memory."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Post, Version
from sync.state import State, translation_state
from sync.tracker.rows import VERSION_COLUMNS, VRow


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
        self._by_post: dict[int, list[VRow]] | None = None  # made at first use

    def add(self, v: VRow) -> None:
        """A version new to the snapshot (the scan read it for the first time)."""
        self.versions[(v.post_id, v.lang)] = v
        if self._by_post is not None:
            self._by_post.setdefault(v.post_id, []).append(v)

    def versions_of(self, post_ids: Iterable[int]) -> defaultdict[int, list[VRow]]:
        """Each post's versions, in the order the snapshot holds them: through an index
        made once, so that a scan writing a page's posts at a time (a WordPress first scan)
        does not go through every version for every page."""
        if self._by_post is None:
            self._by_post = {}
            for v in self.versions.values():
                self._by_post.setdefault(v.post_id, []).append(v)
        found: defaultdict[int, list[VRow]] = defaultdict(list)
        for pid in post_ids:
            if pid in self._by_post:
                found[pid] = list(self._by_post[pid])
        return found

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
    versions: Iterable[VRow], current: str | None, settings: Settings, default: str | None = None
) -> str | None:
    """The post's source language: declared > kept > the default (TRANSYNC_SOURCE_LANG, or
    ``default``: the language a Hugo site says its content is in when that setting is not
    given) > earliest date, among the languages that may be a source
    (TRANSYNC_SOURCE_LANGS) and versions that are not stubs. None when no version
    qualifies: the post then has no source (its versions are orphaned, no task is planned).
    A source that is deleted stays the source: its translations are orphaned, never
    promoted to be translated from."""
    allowed = settings.possible_sources
    live = [v for v in versions if v.live and v.lang in allowed]
    declared = sorted(
        {
            v.declared_source_lang
            for v in live
            if v.declared_source_lang and v.declared_source_lang in allowed
        }
    )
    if declared:
        if current in declared:
            return current
        return declared[0]
    if current is not None and current in allowed:
        return current
    if not live:
        return None
    langs = {v.lang for v in live}
    preferred = default or settings.source_lang
    if preferred in langs:
        return preferred
    order = {lang: i for i, lang in enumerate(settings.languages)}
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    return min(live, key=lambda v: (v.date or far, order.get(v.lang, 99))).lang
