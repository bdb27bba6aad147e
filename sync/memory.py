"""Translation memory: learn segment pairs, and pre-fill tasks with exact and fuzzy matches.

Exact matches are looked up in the database by the hash of the source segment; fuzzy ones
(similarity ≥ TRANSYNC_TM_MIN_SCORE, default 75) are scored with rapidfuzz's
``fuzz.ratio`` over the entries that share the most rare words with the segment, found
through a per-process word index of memory ids (see ``Matcher``).
"""

from __future__ import annotations

import re
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import ARRAY, any_, bindparam, delete, func, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Memory, Post, Suggestion, Task, Version, utcnow
from sync.db.session import copy_rows
from sync.revisions import chunks, load_segments
from sync.segments import align_certain
from sync.text import memory_hash

MAX_SUGGESTIONS = 3
FUZZY_MAX = 99.0  # the highest score of a match that is not exact


seg_hash = memory_hash  # the name the memory's callers know


def worth_learning(source: str, target: str) -> bool:
    """Whether a pair teaches memory anything true: both texts there, and the target not
    the source itself (a paragraph left in the source language on a half-translated page, a
    CAT tool's copy of the source: offered with 100%, it would put English in a Turkish
    page as a finished translation; a name that stays as it is needs no memory)."""
    return bool(source.strip()) and bool(target.strip()) and source != target


def learn(
    session: Session,
    source_lang: str,
    target_lang: str,
    pairs: Iterable[tuple[str, str, str]],
) -> int:
    """Store (source text, target text, origin) pairs; duplicates are ignored, and so is a
    "translation" that is the source text itself (see :func:`worth_learning`)."""
    now = utcnow()
    rows = {}
    for src, tgt, origin in pairs:
        if not worth_learning(src, tgt):
            continue
        key = (seg_hash(src), seg_hash(tgt))
        rows[key] = {
            "source_lang": source_lang,
            "target_lang": target_lang,
            "source_hash": key[0],
            "target_hash": key[1],
            "source_text": src,
            "target_text": tgt,
            "origin": origin,
            "updated_at": now,
        }
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    # the table, not the entity: a Core executemany, without the ORM's bulk-insert layer
    # (a third of an initial scan's time at 10,000 posts went there)
    ins = (pg_insert if dialect == "postgresql" else sqlite_insert)(Memory.__table__)
    stmt = ins.on_conflict_do_nothing(
        index_elements=["source_lang", "target_lang", "source_hash", "target_hash"]
    )
    values = list(rows.values())
    for i in range(0, len(values), 500):
        session.execute(stmt, values[i : i + 500])
    return len(values)


def learn_many(
    session: Session, pairs: Iterable[tuple[tuple[str, str], tuple[str, str, str, str, str]]]
) -> None:
    """Store ``((source_lang, target_lang), (source text, target text, origin, source hash,
    target hash))`` pairs (the hashes :func:`seg_hash`'s), as many as a first scan finds
    (hundreds of thousands), through the bulk writer a TMX import uses: COPY on PostgreSQL,
    the driver's executemany on SQLite. A pair already in the memory, or given twice, is
    kept as it first came."""
    from sync.interchange.bulk import open_writer

    now = utcnow()
    writer = open_writer(session)
    try:
        for (source_lang, target_lang), (src, tgt, origin, sh, th) in pairs:
            if worth_learning(src, tgt):
                writer.add((source_lang, target_lang, sh, th, src, tgt, origin, now))
    except BaseException:
        writer.discard()
        raise
    writer.finish()


def learn_versions(session: Session, settings: Settings, post_ids: Iterable[int]) -> int:
    """Learn from current translations of these posts, lined up with their source segments."""
    from sync.state import State
    from sync.status import load_rows

    wanted: list[tuple[Any, Any, str, str]] = []
    for row in load_rows(session, settings, post_ids=set(post_ids)):
        src = row.source
        if src is None:
            continue
        for lang, cell in row.cells.items():
            if cell.state is State.CURRENT and cell.version is not None:
                wanted.append((src, cell.version, row.post.key, lang))
    segs = load_segments(
        session,
        [(s.id, v.based_on_revision) for s, v, _, _ in wanted]
        + [(v.id, v.revision) for _, v, _, _ in wanted],
    )
    by_pair: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for src, v, key, lang in wanted:
        source = segs.get((src.id, v.based_on_revision), ())
        target = segs.get((v.id, v.revision), ())
        for s, t in zip(source, align_certain(source, target), strict=True):
            if t is not None:
                by_pair[(src.lang, lang)].append((s.text, t, f"{key} [{lang}]"))
    return sum(learn(session, a, b, pairs) for (a, b), pairs in by_pair.items())


def prefill(session: Session, settings: Settings, task_ids: Sequence[int]) -> dict[str, int]:
    """Suggestions for every segment of these tasks. Idempotent: a task already pre-filled
    for its current source revision is skipped, and a redo replaces its rows.

    One batch is a handful of statements whatever its size: the tasks (locked), their
    segments, one DELETE (only if some task has older suggestions), one INSERT of every
    suggestion and one UPDATE of the tasks."""
    counts = {"tasks": 0, "skipped": 0, "suggestions": 0}
    pg = session.get_bind().dialect.name == "postgresql"
    q = (
        select(
            Task.id,
            Task.lang,
            Task.source_revision,
            Task.prefilled_revision,
            Post.source_lang,
            Version.id,
        )
        .join(Post, Post.id == Task.post_id)
        .join(Version, (Version.post_id == Post.id) & (Version.lang == Post.source_lang))
        .where(Task.id.in_(list(task_ids)), Task.state.in_(("queued", "claimed")))
        .order_by(Task.id)
    )
    if pg:
        q = q.with_for_update(of=Task)  # a planner moving these tasks waits for us
        # plan each statement for its own values: psycopg prepares a statement after five
        # runs, and a generic plan made while `suggestions` was nearly empty kept scanning
        # the whole table for every DELETE as it grew (8.8 s a batch at 100,000 posts)
        session.execute(sql("SET LOCAL plan_cache_mode = force_custom_plan"))
    todo, redo = [], []
    for task_id, lang, revision, prefilled, src_lang, src_vid in session.execute(q):
        if prefilled == revision:
            counts["skipped"] += 1
            continue
        todo.append((task_id, lang, revision, src_lang, src_vid))
        if prefilled is not None:
            redo.append(task_id)  # suggestions of an older revision to replace
    if not todo:
        return counts
    segs = load_segments(session, [(vid, rev) for _, _, rev, _, vid in todo])
    by_pair: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for item in todo:
        by_pair[(item[3], item[1])].append(item)
    new_rows: list[tuple[int, int, str, str, float, str]] = []
    for (src_lang, tgt_lang), items in by_pair.items():
        memory = matcher(session, src_lang, tgt_lang, settings.tm_min_score)
        found = memory.lookup_many(
            session,
            {seg.text for _, _, revision, _, vid in items for seg in segs.get((vid, revision), ())},
        )  # one lookup per distinct text, a few statements per batch
        for task_id, _, revision, _, vid in items:
            for pos, seg in enumerate(segs.get((vid, revision), ())):
                for target, score, origin in found[seg.text]:
                    new_rows.append((task_id, pos, seg.text, target, score, origin))
            counts["tasks"] += 1
    done_ids = [t[0] for t in todo]
    if redo:  # a new task has none: no DELETE, whose cost grew with the table (issue 8)
        session.execute(delete(Suggestion).where(Suggestion.task_id.in_(redo)))
    if new_rows:
        _insert_suggestions(session, new_rows)
    session.execute(
        update(Task)
        .where(Task.id.in_(done_ids))
        .values(prefilled_revision=Task.source_revision)
        .execution_options(synchronize_session="fetch")
    )
    counts["suggestions"] = len(new_rows)
    return counts


_COLUMNS = ("task_id", "position", "source_text", "text", "score", "origin")


def _insert_suggestions(
    session: Session, rows: list[tuple[int, int, str, str, float, str]]
) -> None:
    """Every row in one COPY on PostgreSQL with psycopg (in the session's transaction; rows
    get their ids in list order, as with an executemany); an executemany elsewhere."""
    if not copy_rows(session, Suggestion.__tablename__, _COLUMNS, rows):
        session.execute(
            Suggestion.__table__.insert(), [dict(zip(_COLUMNS, r, strict=True)) for r in rows]
        )


BRUTE_FORCE = 64  # up to this many memory entries, fuzzy search scores them all
CANDIDATES = 16  # above it, rapidfuzz scores the entries sharing the most rare words
RECOUNT = 60.0  # seconds between two counts of a pair's entries (see Matcher.refresh)
PRUNE_EVERY = 50_000  # loaded entries between two passes that drop the common words
WORD = re.compile(r"\w{3,}")
_MATCHERS: dict[tuple[str, str, str], Matcher] = {}


def matcher(session: Session, source_lang: str, target_lang: str, min_score: float) -> Matcher:
    """The language pair's matcher, cached per process and topped up with new entries."""
    url = str(session.get_bind().url)
    key = (url, source_lang, target_lang)
    m = _MATCHERS.get(key)
    if m is None or m.min_score != min_score:
        m = _MATCHERS[key] = Matcher(source_lang, target_lang, min_score)
    m.refresh(session)
    return m


class Matcher:
    """One language pair's memory. Exact matches are looked up in the database by the
    indexed source hash. Fuzzy ones are scored with rapidfuzz's ratio over the entries that
    share the most rare words with the query; the process keeps only that word index
    (memory ids in 4-byte arrays, for the words in at most 2% of the entries), never the
    texts, which are read for the candidates of a whole batch at once.

    A word found in more than 2% of the entries (and more than 50) is dropped for good, so
    the index holds rare words only: it grows with the entries, about 4 bytes per rare word
    of each, not with the size of the texts (docs/benchmarks.md has the measurements)."""

    def __init__(self, source_lang: str, target_lang: str, min_score: float) -> None:
        self.source_lang, self.target_lang, self.min_score = source_lang, target_lang, min_score
        self.last_id = 0
        self.loaded = 0
        self.postings: dict[str, array[int]] = {}
        self.common: set[str] = set()
        self.few: array[int] | None = array("I")  # every id, while there are few entries
        self.counted_at = -float("inf")

    def pair(self) -> Any:
        return (Memory.source_lang == self.source_lang) & (Memory.target_lang == self.target_lang)

    def refresh(self, session: Session) -> None:
        """Index entries added since the last call: those above the highest id indexed, at
        once. Rows become visible at commit, not in id order, so every RECOUNT seconds the
        pair's row count (memory is never deleted) is compared too, and the index is built
        again if rows appeared below that id. Counting 2,000,000 rows takes about half a
        second, too much for every batch; exact matches never wait for it (they are read
        from the table)."""
        newest = session.execute(select(func.max(Memory.id)).where(self.pair())).scalar_one() or 0
        if newest > self.last_id:
            self._load(session, self.last_id)
        if time.monotonic() - self.counted_at < RECOUNT:
            return
        total = session.execute(
            select(func.count()).select_from(Memory).where(self.pair())
        ).scalar_one()
        if total != self.loaded:  # committed out of id order, or another database
            self.__init__(self.source_lang, self.target_lang, self.min_score)  # type: ignore[misc]
            self._load(session, None)
        self.counted_at = time.monotonic()

    def _load(self, session: Session, after: int | None) -> int:
        """Index the pair's entries above id `after` (all of them for None)."""
        query = select(Memory.id, Memory.source_text).where(self.pair())
        if after is not None:
            query = query.where(Memory.id > after)
        rows = session.execute(query.order_by(Memory.id).execution_options(yield_per=10_000))
        postings, common, base, n, mid = self.postings, self.common, self.loaded, 0, self.last_id
        for mid, text in rows:
            n += 1
            for word in set(WORD.findall(text.casefold())):
                if word not in common:
                    posting = postings.get(word)
                    if posting is None:
                        posting = postings[word] = array("I")
                    posting.append(mid)
            if self.few is not None:
                self.few.append(mid)
            if n % PRUNE_EVERY == 0:
                self.loaded = base + n
                self._prune()
        self.loaded, self.last_id = base + n, max(self.last_id, mid)
        self._prune()
        return n

    def _prune(self) -> None:
        if self.few is not None and len(self.few) > BRUTE_FORCE:
            self.few = None
        common = max(50, self.loaded // 50)
        for word in [w for w, p in self.postings.items() if len(p) > common]:
            del self.postings[word]
            self.common.add(word)

    def candidates(self, text: str) -> list[int]:
        """Memory ids worth scoring: all of a small memory, else the entries that share the
        most rare words with the text."""
        if self.few is not None:
            return list(self.few)
        if not self.postings:  # every word is common: no entry stands out
            return []
        counts: Counter[int] | None = None  # made only when a rare word is there
        for word in set(WORD.findall(text.casefold())):
            posting = self.postings.get(word)
            if posting:
                if counts is None:
                    counts = Counter()
                counts.update(posting)
        if counts is None:
            return []
        return [mid for mid, _ in counts.most_common(CANDIDATES)]

    def lookup_many(
        self, session: Session, texts: Iterable[str]
    ) -> dict[str, list[tuple[str, float, str]]]:
        """Up to three suggestions per text, best first: exact (100.0) before fuzzy, and
        among exact ones the newest first (a translation corrected by hand before the one
        it replaced, which memory keeps)."""
        by_hash = {seg_hash(t): t for t in texts}
        exact: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for sh, target, origin in _where_in(
            session,
            select(Memory.source_hash, Memory.target_text, Memory.origin)
            .where(self.pair())
            .order_by(Memory.updated_at.desc(), Memory.id.desc()),
            Memory.source_hash,
            list(by_hash),
        ):
            exact[by_hash[sh]].append((target, origin))
        wanted: dict[str, list[int]] = {}
        for text in by_hash.values():
            if len({t for t, _ in exact.get(text, ())}) < MAX_SUGGESTIONS:
                ids = self.candidates(text)
                if ids:
                    wanted[text] = ids
        entries = {
            mid: (source, target, origin)
            for mid, source, target, origin in _where_in(
                session,
                select(Memory.id, Memory.source_text, Memory.target_text, Memory.origin),
                Memory.id,
                sorted({i for ids in wanted.values() for i in ids}),
            )
        }
        out = {}
        for text in by_hash.values():
            hits: list[tuple[str, float, str]] = []
            seen: set[str] = set()
            for target, origin in exact.get(text, ()):
                if target not in seen:
                    hits.append((target, 100.0, origin))
                    seen.add(target)
            ids = [i for i in wanted.get(text, ()) if i in entries]
            if ids:
                for _match, score, pos in process.extract(
                    text,
                    [entries[i][0] for i in ids],
                    scorer=fuzz.ratio,
                    score_cutoff=self.min_score,
                    limit=MAX_SUGGESTIONS * 2,
                ):
                    _, target, origin = entries[ids[pos]]
                    if score < 100.0 and target not in seen:
                        # at most 99: rounded for show, 99.7 would read as an exact match
                        hits.append((target, min(round(float(score), 1), FUZZY_MAX), origin))
                        seen.add(target)
            out[text] = sorted(hits, key=lambda s: -s[1])[:MAX_SUGGESTIONS]
        return out


def _where_in(session: Session, query: Any, column: Any, values: list[Any]) -> Iterable[Any]:
    """Rows of `query` whose `column` is one of `values`: one statement with an array
    parameter on PostgreSQL (no thousand placeholders to render), chunks of IN elsewhere."""
    if not values:
        return []
    if session.get_bind().dialect.name == "postgresql":
        param = bindparam("values", values, type_=ARRAY(column.type))
        return session.execute(query.where(column == any_(param))).all()
    return [
        row
        for chunk in chunks(values, 1000)
        for row in session.execute(query.where(column.in_(chunk)))
    ]


def suggestions_for(session: Session, task_id: int) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in session.execute(
        select(Suggestion)
        .where(Suggestion.task_id == task_id)
        .order_by(Suggestion.position, Suggestion.score.desc(), Suggestion.id)
    ).scalars():
        out[s.position].append({"text": s.text, "score": s.score, "origin": s.origin})
    return dict(out)
