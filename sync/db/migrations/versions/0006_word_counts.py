"""segments.words, versions.words and stale_words, tasks.words: how much work is pending

Issue 19: word counts (sync.words) are stored with each segment; a version keeps the words
of its current revision, and a stale translation the source words of its changed and added
segments; a task keeps the words of its work, so that finished tasks give the translators'
throughput and the backlog forecast.

The upgrade counts every stored segment (in batches of 5,000, so memory stays bounded),
then sums them per version in SQL, then diffs the source revisions of every stale
translation and every task, as a scan and the planner would have. An open task of kind
``update`` is measured against its translation's based-on revision; a finished or cancelled
one, whose based-on revision before the work is no longer kept, against the source revision
stored just before its own (an approximation: exact when the translation followed every
source revision). It takes a few seconds per 100,000 segments (counting a 45-word paragraph
takes 10-20 µs, then one UPDATE per segment in batches).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 5000
VERSIONS_AT_ONCE = 200


def upgrade() -> None:
    # ALTER TABLE ADD COLUMN on every backend, never a batch copy: on SQLite a copy of
    # versions drops the table, and with foreign keys on, its revisions and segments with it
    op.add_column('segments', sa.Column('words', sa.Integer(), nullable=True))
    op.add_column('versions', sa.Column('words', sa.Integer(), server_default='0',
                                        nullable=False))
    op.add_column('versions', sa.Column('stale_words', sa.Integer(), server_default='0',
                                        nullable=False))
    op.add_column('tasks', sa.Column('words', sa.Integer(), nullable=True))
    conn = op.get_bind()
    count_segments(conn)
    op.execute(sa.text(
        "UPDATE versions SET words = COALESCE((SELECT SUM(s.words) FROM segments s "
        "JOIN revisions r ON r.id = s.revision_id WHERE r.version_id = versions.id "
        "AND r.number = versions.revision), 0)"))
    fill_stale_words(conn)
    fill_task_words(conn)


def downgrade() -> None:
    # SQLite drops a column in place (3.35+), for the same reason
    for table, column in (('tasks', 'words'), ('versions', 'stale_words'),
                          ('versions', 'words'), ('segments', 'words')):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN {column}'))
        else:
            op.drop_column(table, column)


def count_segments(conn: sa.Connection) -> None:
    from sync.words import count_words

    last = 0
    select = sa.text("SELECT id, text FROM segments WHERE id > :last ORDER BY id LIMIT :n")
    update = sa.text("UPDATE segments SET words = :w WHERE id = :i")
    while True:
        rows = conn.execute(select, {"last": last, "n": BATCH}).all()
        if not rows:
            return
        conn.execute(update, [{"i": i, "w": count_words(t)} for i, t in rows])
        last = rows[-1][0]


def source_versions(conn: sa.Connection) -> dict[int, tuple[int, int]]:
    """post id → (id, revision) of its source version."""
    return {pid: (vid, rev) for pid, vid, rev in conn.execute(sa.text(
        "SELECT v.post_id, v.id, v.revision FROM versions v JOIN posts p ON p.id = v.post_id "
        "WHERE v.lang = p.source_lang"))}


def segments_of(conn: sa.Connection, pairs: Iterable[tuple[int, int]]
                ) -> dict[tuple[int, int], list[Any]]:
    """(version id, revision number) → its segments, for the pairs asked, a chunk of
    versions at a time."""
    wanted = set(pairs)
    by_version: dict[int, set[int]] = defaultdict(set)
    for vid, number in wanted:
        by_version[vid].add(number)
    out: dict[tuple[int, int], list[Any]] = defaultdict(list)
    ids = sorted(by_version)
    for start in range(0, len(ids), VERSIONS_AT_ONCE):
        chunk = ids[start:start + VERSIONS_AT_ONCE]
        rows = conn.execute(sa.text(
            "SELECT r.version_id, r.number, s.text FROM revisions r "
            "JOIN segments s ON s.revision_id = r.id "
            f"WHERE r.version_id IN ({', '.join(str(int(v)) for v in chunk)}) "
            "ORDER BY r.version_id, r.number, s.position"))
        for vid, number, text in rows:
            if number in by_version[vid]:
                out[(vid, number)].append(SimpleNamespace(text=text))
    return out


def stored_numbers(conn: sa.Connection, version_ids: Sequence[int]) -> dict[int, list[int]]:
    """version id → its stored revision numbers, ascending."""
    out: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(version_ids), 500):
        chunk = version_ids[start:start + 500]
        for vid, number in conn.execute(sa.text(
                "SELECT version_id, number FROM revisions WHERE version_id IN "
                f"({', '.join(str(int(v)) for v in chunk)}) ORDER BY version_id, number")):
            out[vid].append(number)
    return out


def fill_stale_words(conn: sa.Connection) -> None:
    """The source words of the changed and added segments of every stale translation (those
    a scan gave changed or added segments)."""
    from sync.words import changed_words

    sources = source_versions(conn)
    stale = [(vid, pid, based) for vid, pid, based in conn.execute(sa.text(
        "SELECT id, post_id, based_on_revision FROM versions "
        "WHERE changed_segments + added_segments > 0 ORDER BY id"))
        if pid in sources]
    update = sa.text("UPDATE versions SET stale_words = :w WHERE id = :i")
    for start in range(0, len(stale), BATCH):
        chunk = stale[start:start + BATCH]
        pairs = {(sources[pid][0], n) for _v, pid, based in chunk
                 for n in (based, sources[pid][1]) if n is not None}
        segs = segments_of(conn, pairs)
        values = []
        for vid, pid, based in chunk:
            src, current = sources[pid]
            values.append({"i": vid, "w": changed_words(segs.get((src, based), []),
                                                        segs.get((src, current), []))})
        conn.execute(update, values)


def fill_task_words(conn: sa.Connection) -> None:
    """Each task's words at its source revision: the whole source for ``new``; for
    ``update``, the changed and added segments since the translation's based-on revision
    (open tasks) or since the source revision stored before the task's (the others)."""
    from sync.words import changed_words

    sources = source_versions(conn)
    based_on = {(pid, lang): based for pid, lang, based in conn.execute(sa.text(
        "SELECT post_id, lang, based_on_revision FROM versions"))}
    tasks = [t for t in conn.execute(sa.text(
        "SELECT id, post_id, lang, kind, state, source_revision FROM tasks ORDER BY id"))
        if t[1] in sources]
    numbers = stored_numbers(conn, sorted({sources[t[1]][0] for t in tasks}))
    update = sa.text("UPDATE tasks SET words = :w WHERE id = :i")
    open_states = ("queued", "claimed", "submitted", "conflict")
    for start in range(0, len(tasks), BATCH):
        chunk = tasks[start:start + BATCH]
        plan: list[tuple[int, int, int | None, int]] = []  # task, source, old, new
        for tid, pid, lang, kind, state, number in chunk:
            src = sources[pid][0]
            old: int | None = None
            if kind != "new":
                based = based_on.get((pid, lang))
                if state in open_states and based is not None and based < number:
                    old = based
                else:
                    older = [n for n in numbers.get(src, []) if n < number]
                    old = older[-1] if older else None
            plan.append((tid, src, old, number))
        pairs = {(src, n) for _t, src, old, new in plan for n in (old, new) if n is not None}
        segs = segments_of(conn, pairs)
        values = [{"i": tid, "w": changed_words(segs.get((src, old), []) if old else [],
                                                segs.get((src, new), []))}
                  for tid, src, old, new in plan]
        conn.execute(update, values)
