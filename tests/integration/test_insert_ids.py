"""A scan's bulk inserts and the ids they give back (sync.tracker.base.insert_with_ids): on
SQLite the scan gives the ids itself (the next after the largest, as SQLite would, under
its write lock), on PostgreSQL INSERT … RETURNING orders them; either way each row gets the
id the database holds for it, after rows were deleted too."""

from __future__ import annotations

from sqlalchemy import delete, select

from sync.db.models import Post, utcnow
from sync.db.session import transaction
from sync.tracker.base import insert_with_ids


def test_ids_are_the_rows_own_in_order(db_url: str) -> None:
    table = Post.__table__
    now = utcnow()
    with transaction(db_url) as s:
        first = insert_with_ids(s, table, [{"key": f"a{i}", "created_at": now} for i in range(5)])
        s.execute(delete(table).where(table.c.key.in_(["a3", "a4"])))  # the largest go
        second = insert_with_ids(s, table, [{"key": f"b{i}", "created_at": now} for i in range(4)])
        assert insert_with_ids(s, table, []) == []
    assert first == sorted(set(first)) and second == sorted(set(second))
    with transaction(db_url) as s:
        held = {key: pid for key, pid in s.execute(select(Post.key, Post.id))}
    assert [held[f"a{i}"] for i in range(3)] == first[:3]
    assert [held[f"b{i}"] for i in range(4)] == second
    assert len(held) == 7
