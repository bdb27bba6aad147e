"""The translation memory's matcher: exact matches from the database, fuzzy ones through a
word index of memory ids that keeps rare words only and never the texts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import event, select, update

import sync.memory
from sync.config import Settings
from sync.db.models import Memory, Suggestion
from sync.db.session import get_engine, transaction
from sync.memory import BRUTE_FORCE, Matcher, learn, matcher, prefill
from tests.helpers.tracking import open_task, scan

FILLER = "policy energy water market region report trade analysis growth".split()


def sentence(rng: random.Random, rare: list[str]) -> str:
    words = rng.choices(FILLER, k=30) + rare
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def fill(url: str, n: int, seed: int = 3) -> list[tuple[str, str]]:
    """n entries made of common words and three rare words each; returns (source, target)."""
    rng = random.Random(seed)
    pairs = []
    for i in range(n):
        src = sentence(rng, [f"rare{i}a", f"rare{i}b", f"rare{i}c"])
        pairs.append((src, f"[tr] {src}"))
    with transaction(url) as s:
        learn(s, "en", "tr", [(a, b, f"post-{i} [tr]") for i, (a, b) in enumerate(pairs)])
    return pairs


def test_large_memory_exact_and_fuzzy_with_rare_words_only(db_url: str) -> None:
    pairs = fill(db_url, 600)
    sync.memory._MATCHERS.clear()
    with transaction(db_url) as s:
        m = matcher(s, "en", "tr", 75)
        assert m.loaded == 600 and m.few is None, "a large memory is searched by its index"
        # the filler words are in every entry: dropped; the rare ones kept, one id each
        assert set(FILLER) <= m.common and not set(FILLER) & set(m.postings)
        assert len(m.postings) == 1800 and all(len(p) == 1 for p in m.postings.values())
        edited = pairs[42][0].replace("rare42c", "rare42x")
        unknown = sentence(random.Random(9), ["nothing", "shared", "here"])
        found = m.lookup_many(s, [pairs[7][0], edited, unknown])
    assert found[pairs[7][0]] == [(pairs[7][1], 100.0, "post-7 [tr]")]
    ((target, score, origin),) = found[edited]
    assert (target, origin) == (pairs[42][1], "post-42 [tr]") and 75 <= score < 100
    assert found[unknown] == []


def test_small_memory_is_scored_whole(db_url: str) -> None:
    """Below BRUTE_FORCE entries there is no rarity to speak of: every entry is a candidate."""
    pairs = fill(db_url, 10)
    sync.memory._MATCHERS.clear()
    with transaction(db_url) as s:
        m = matcher(s, "en", "tr", 75)
        assert m.few is not None and len(m.few) == 10 <= BRUTE_FORCE
        # no rare word in common: only the whole-memory scoring can find this one
        text = pairs[3][0]
        for w in ("rare3a", "rare3b", "rare3c"):
            text = text.replace(w, "zzz")
        ((target, score, _),) = m.lookup_many(s, [text])[text]
    assert target == pairs[3][1] and 75 <= score < 100


def test_refresh_adds_new_entries_and_reloads_after_an_out_of_order_commit(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(db_url, 100)
    m = Matcher("en", "tr", 75)
    with transaction(db_url) as s:
        m.refresh(s)
    assert m.loaded == 100
    more = fill(db_url, 50, seed=4)
    with transaction(db_url) as s:
        m.refresh(s)
        assert m.loaded == 150
        assert m.lookup_many(s, [more[0][0]])[more[0][0]][0][1] == 100.0
    # an entry that becomes visible with an id below what was indexed: the count tells
    with transaction(db_url) as s:
        learn(s, "en", "tr", [("Zebra quagga okapi.", "[tr] zebra", "late [tr]")])
        s.execute(update(Memory).where(Memory.source_text == "Zebra quagga okapi.").values(id=0))
    with transaction(db_url) as s:
        m.refresh(s)  # counted less than RECOUNT seconds ago: not seen yet
        assert m.loaded == 150 and "quagga" not in m.postings
        monkeypatch.setattr(sync.memory, "RECOUNT", 0.0)
        m.refresh(s)
        assert m.loaded == 151 and "quagga" in m.postings


def test_prefill_suggests_a_paragraph_longer_than_an_index_entry(
    settings: Settings, content: Path
) -> None:
    """A B-tree entry holds about 2,700 bytes: suggestions must not be indexed by text."""
    scan(settings, content)
    rng = random.Random(5)
    long = " ".join(f"{rng.choice(FILLER)}{rng.randrange(10**6)}" for _ in range(900)) + "."
    assert len(long.encode()) > 8000
    path = content / "en" / "posts" / "energy-security.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + long + "\n", encoding="utf-8")
    with transaction(settings.database_url) as s:
        learn(s, "en", "tr", [(long, "[tr] " + long, "elsewhere [tr]")])
    scan(settings, content)
    t = open_task(settings, "energy-security", "tr")
    assert t is not None
    sync.memory._MATCHERS.clear()
    with transaction(settings.database_url) as s:
        counts = prefill(s, settings, [t["id"]])
    assert counts["tasks"] == 1
    with transaction(settings.database_url) as s:
        rows = s.execute(
            select(Suggestion.text, Suggestion.score).where(Suggestion.task_id == t["id"])
        ).all()
    assert ("[tr] " + long, 100.0) in rows


def test_a_new_task_is_prefilled_without_a_delete_and_a_moved_one_replaces_its_rows(
    settings: Settings, content: Path
) -> None:
    """A task keeps the revision its suggestions were made for: a new task has none to
    delete (a DELETE per batch grew with the table at 100,000 posts), a moved one has."""
    rng = random.Random(11)
    first, second = (
        " ".join(
            rng.choices(FILLER, k=12)
            + [f"{w}{rng.randrange(10**6)}" for w in ("alpha", "beta", "gamma")]
        )
        + "."
        for _ in range(2)
    )
    path = content / "en" / "posts" / "energy-security.md"
    original = path.read_text(encoding="utf-8")
    scan(settings, content)
    with transaction(settings.database_url) as s:
        learn(s, "en", "tr", [(first, "[tr] first", "a [tr]"), (second, "[tr] second", "b [tr]")])
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    def prefilled(task_id: int) -> list[tuple[str, float]]:
        sync.memory._MATCHERS.clear()
        statements.clear()
        engine = get_engine(settings.database_url)
        event.listen(engine, "before_cursor_execute", record)
        try:
            with transaction(settings.database_url) as s:
                assert prefill(s, settings, [task_id])["tasks"] == 1
        finally:
            event.remove(engine, "before_cursor_execute", record)
        with transaction(settings.database_url) as s:
            return [
                tuple(r)
                for r in s.execute(  # type: ignore[misc]
                    select(Suggestion.text, Suggestion.score)
                    .where(
                        Suggestion.task_id == task_id,  # not the article's own, from the scan
                        Suggestion.source_text.in_((first, second)),
                    )
                    .order_by(Suggestion.id)
                )
            ]

    def deletes() -> int:
        return sum(s.lstrip().upper().startswith("DELETE FROM SUGGESTIONS") for s in statements)

    path.write_text(original + "\n" + first + "\n", encoding="utf-8")
    scan(settings, content)
    task = open_task(settings, "energy-security", "tr")
    assert task is not None
    assert prefilled(task["id"]) == [("[tr] first", 100.0)]
    assert deletes() == 0, statements

    path.write_text(original + "\n" + second + "\n", encoding="utf-8")
    scan(settings, content)
    moved = open_task(settings, "energy-security", "tr")
    assert moved is not None and moved["id"] == task["id"], "the queued task moves in place"
    assert prefilled(task["id"]) == [("[tr] second", 100.0)], "the older row is replaced"
    assert deletes() == 1, statements
