"""Translation memory: learn segment pairs, and pre-fill tasks with exact and fuzzy matches.

Exact matches are looked up by the hash of the normalized source segment; fuzzy ones
(similarity ≥ TRANSYNC_TM_MIN_SCORE, default 75) are scored with rapidfuzz's
``fuzz.ratio`` over the language pair's memory, loaded once per batch.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Memory, Post, Suggestion, Task, Version, utcnow
from sync.segments import align
from sync.text import sha256_hex
from sync.tracker import load_segments

MAX_SUGGESTIONS = 3


def seg_hash(text: str) -> str:
    return sha256_hex(text)[:16]


def learn(
    session: Session, source_lang: str, target_lang: str,
    pairs: Iterable[tuple[str, str, str]],
) -> int:
    """Store (source text, target text, origin) pairs; duplicates are ignored."""
    now = utcnow()
    rows = {}
    for src, tgt, origin in pairs:
        if not src.strip() or not tgt.strip():
            continue
        key = (seg_hash(src), seg_hash(tgt))
        rows[key] = {
            "source_lang": source_lang, "target_lang": target_lang,
            "source_hash": key[0], "target_hash": key[1],
            "source_text": src, "target_text": tgt, "origin": origin, "updated_at": now,
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
        for s, t in zip(source, align(source, target), strict=True):
            if t is not None:
                by_pair[(src.lang, lang)].append((s.text, t, f"{key} [{lang}]"))
    return sum(learn(session, a, b, pairs) for (a, b), pairs in by_pair.items())


def prefill(session: Session, settings: Settings, task_ids: Sequence[int]) -> dict[str, int]:
    """Suggestions for every segment of these tasks. Idempotent: a task already pre-filled
    for its current source revision is skipped, and a redo replaces its rows.

    One batch is a handful of statements whatever its size: the tasks (locked), their
    segments, one DELETE, one INSERT of every suggestion and one UPDATE of the tasks."""
    counts = {"tasks": 0, "skipped": 0, "suggestions": 0}
    pg = session.get_bind().dialect.name == "postgresql"
    q = (
        select(Task.id, Task.lang, Task.source_revision, Task.prefilled_revision,
               Post.source_lang, Version.id)
        .join(Post, Post.id == Task.post_id)
        .join(Version, (Version.post_id == Post.id) & (Version.lang == Post.source_lang))
        .where(Task.id.in_(list(task_ids)), Task.state.in_(("queued", "claimed")))
        .order_by(Task.id)
    )
    if pg:
        q = q.with_for_update(of=Task)  # a planner moving these tasks waits for us
    todo = []
    for task_id, lang, revision, prefilled, src_lang, src_vid in session.execute(q):
        if prefilled == revision:
            counts["skipped"] += 1
            continue
        todo.append((task_id, lang, revision, src_lang, src_vid))
    if not todo:
        return counts
    segs = load_segments(session, [(vid, rev) for _, _, rev, _, vid in todo])
    by_pair: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for item in todo:
        by_pair[(item[3], item[1])].append(item)
    new_rows: list[tuple[int, int, str, str, float, str]] = []
    for (src_lang, tgt_lang), items in by_pair.items():
        memory = matcher(session, src_lang, tgt_lang, settings.tm_min_score)
        found: dict[str, list[tuple[str, float, str]]] = {}  # one lookup per distinct text
        for task_id, _, revision, _, vid in items:
            for pos, seg in enumerate(segs.get((vid, revision), ())):
                source = seg.text
                hits = found.get(source)
                if hits is None:
                    hits = found[source] = memory.lookup(source)
                for target, score, origin in hits:
                    new_rows.append((task_id, pos, source, target, score, origin))
            counts["tasks"] += 1
    done_ids = [t[0] for t in todo]
    session.execute(delete(Suggestion).where(Suggestion.task_id.in_(done_ids)))
    if new_rows:
        _insert_suggestions(session, new_rows, pg)
    session.execute(
        update(Task).where(Task.id.in_(done_ids))
        .values(prefilled_revision=Task.source_revision)
        .execution_options(synchronize_session="fetch")
    )
    counts["suggestions"] = len(new_rows)
    return counts


_COLUMNS = ("task_id", "position", "source_text", "text", "score", "origin")


def _insert_suggestions(session: Session, rows: list[tuple[int, int, str, str, float, str]],
                        pg: bool) -> None:
    """Every row in one COPY on PostgreSQL with psycopg (in the session's transaction; rows
    get their ids in list order, as with an executemany); an executemany elsewhere."""
    bind = session.get_bind()
    if pg and bind.dialect.driver == "psycopg":
        driver = session.connection().connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(
                f"COPY suggestions ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        return
    session.execute(Suggestion.__table__.insert(), [dict(zip(_COLUMNS, r, strict=True))
                                                    for r in rows])


BRUTE_FORCE = 64  # up to this many memory entries, fuzzy search scans them all
CANDIDATES = 64  # above it, rapidfuzz scores the entries sharing the most rare words
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
    """One language pair's memory: exact matches by hash; fuzzy ones scored with rapidfuzz's
    ratio, over every entry for a small memory, else over the entries that share the most
    rare words with the query (an inverted word index, so a query never scans the corpus)."""

    def __init__(self, source_lang: str, target_lang: str, min_score: float) -> None:
        self.source_lang, self.target_lang, self.min_score = source_lang, target_lang, min_score
        self.last_id = 0
        self.loaded = 0
        self.exact: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.texts: list[str] = []
        self.targets: list[list[tuple[str, str]]] = []
        self.index: dict[str, int] = {}
        self.postings: dict[str, list[int]] = defaultdict(list)
        self._rare: dict[str, list[int]] | None = None  # postings of the words that count

    def refresh(self, session: Session) -> None:
        """Load entries added since the last call. Rows become visible at commit, not in id
        order, so the pair's row count (memory is never deleted) decides when to reload."""
        pair = (Memory.source_lang == self.source_lang) & (Memory.target_lang == self.target_lang)
        total = session.execute(select(func.count()).select_from(Memory).where(pair)).scalar_one()
        if total == self.loaded:
            return
        query = (select(Memory.id, Memory.source_hash, Memory.source_text, Memory.target_text,
                        Memory.origin).where(pair).order_by(Memory.id))
        rows = session.execute(query.where(Memory.id > self.last_id)).all()
        if self.loaded + len(rows) != total:  # committed out of id order, or another database
            self.__init__(self.source_lang, self.target_lang, self.min_score)  # type: ignore[misc]
            rows = session.execute(query).all()
        self.loaded += len(rows)
        if rows:
            self._rare = None
        for mid, sh, st, tt, origin in rows:
            self.last_id = max(self.last_id, mid)
            self.exact[sh].append((tt, origin))
            idx = self.index.get(st)
            if idx is None:
                idx = self.index[st] = len(self.texts)
                self.texts.append(st)
                self.targets.append([])
                for word in set(WORD.findall(st.casefold())):
                    self.postings[word].append(idx)
            self.targets[idx].append((tt, origin))

    def rare(self) -> dict[str, list[int]]:
        """The postings of the words in at most 2% of the entries (at least 50): the others
        say nothing. Computed once per refresh that loaded something, not once per query."""
        if self._rare is None:
            common = max(50, len(self.texts) // 50)
            self._rare = {w: p for w, p in self.postings.items() if len(p) <= common}
        return self._rare

    def candidates(self, text: str) -> list[int]:
        n = len(self.texts)
        if n <= BRUTE_FORCE:
            return list(range(n))
        rare = self.rare()
        if not rare:  # every word is common: no entry stands out
            return []
        counts: Counter[int] | None = None  # made only when a rare word is there
        for word in set(WORD.findall(text.casefold())):
            posting = rare.get(word)
            if posting:
                if counts is None:
                    counts = Counter()
                counts.update(posting)
        if counts is None:
            return []
        return [idx for idx, _ in counts.most_common(CANDIDATES)]

    def lookup(self, text: str) -> list[tuple[str, float, str]]:
        """Up to three suggestions, best first: exact (100.0) before fuzzy."""
        out: list[tuple[str, float, str]] = []
        seen: set[str] = set()
        for target, origin in self.exact.get(seg_hash(text), []):
            if target not in seen:
                out.append((target, 100.0, origin))
                seen.add(target)
        ids = self.candidates(text) if len(out) < MAX_SUGGESTIONS else []
        if ids:
            choices = [self.texts[i] for i in ids]
            for _match, score, pos in process.extract(
                text, choices, scorer=fuzz.ratio, score_cutoff=self.min_score,
                limit=MAX_SUGGESTIONS * 2,
            ):
                if score >= 100.0:
                    continue
                for target, origin in self.targets[ids[pos]]:
                    if target not in seen:
                        out.append((target, round(float(score), 1), origin))
                        seen.add(target)
        return sorted(out, key=lambda s: -s[1])[:MAX_SUGGESTIONS]


def suggestions_for(session: Session, task_id: int) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in session.execute(
        select(Suggestion).where(Suggestion.task_id == task_id)
        .order_by(Suggestion.position, Suggestion.score.desc(), Suggestion.id)
    ).scalars():
        out[s.position].append({"text": s.text, "score": s.score, "origin": s.origin})
    return dict(out)
