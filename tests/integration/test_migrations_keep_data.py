"""Upgrading never loses a row. On SQLite a careless batch migration drops and recreates a
table, and the drop cascades: an upgrade once deleted every revision and segment of a real
database (issue 14's migration, found by issue 19's work). Each test fills every table of
an older schema and checks every row is still there after the upgrade to head, and after a
downgrade back; on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, inspect, text

from sync.db.migrate import alembic_config, head, upgrade
from sync.db.session import dispose_all, get_engine

#: One row per table of schema 0003, in raw SQL (the models are newer).
ROWS_0003 = [
    "INSERT INTO posts (id, key, source_lang, created_at) VALUES (1, 'p', 'en', CURRENT_TIMESTAMP)",
    "INSERT INTO versions (id, post_id, lang, source, origin, title, draft, deleted, revision, "
    "content_hash, raw_hash, segment_count, front_matter, priority, changed_segments, "
    "added_segments, removed_segments, updated_at) VALUES (1, 1, 'en', 'fs:x', 'en/p.md', 'T', "
    "false, false, 1, 'h', 'r', 1, '{}', 0, 0, 0, 0, CURRENT_TIMESTAMP)",
    "INSERT INTO versions (id, post_id, lang, source, origin, title, draft, deleted, revision, "
    "content_hash, raw_hash, segment_count, front_matter, priority, changed_segments, "
    "added_segments, removed_segments, based_on_revision, updated_at) VALUES (2, 1, 'tr', "
    "'fs:x', 'tr/p.md', 'B', false, false, 1, 'h2', 'r2', 1, '{}', 0, 0, 0, 0, 1, "
    "CURRENT_TIMESTAMP)",
    "INSERT INTO revisions (id, version_id, number, content_hash, title, body, body_format, "
    "segment_count, created_at) VALUES (1, 1, 1, 'h', 'T', 'b', 'markdown', 1, "
    "CURRENT_TIMESTAMP)",
    "INSERT INTO segments (revision_id, position, kind, text) VALUES (1, 0, 'title', 'T')",
    "INSERT INTO users (id, name, role, langs, active, created_at) VALUES (1, 'ayse', "
    "'translator', 'tr', true, CURRENT_TIMESTAMP)",
    "INSERT INTO tasks (id, post_id, lang, state, kind, source_revision, priority, created_at, "
    "updated_at, progress, source_changed, cancelled_by_editor) VALUES (1, 1, 'ru', 'queued', "
    "'new', 1, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, false)",
    "INSERT INTO suggestions (task_id, position, source_text, text, score, origin) VALUES "
    "(1, 0, 'T', 'Т', 100, 'x')",
    "INSERT INTO events (at, actor, kind, post_id, lang, details) VALUES (CURRENT_TIMESTAMP, "
    "'scan', 'revision', 1, 'en', '{}')",
    "INSERT INTO outbox (task_name, args, created_at, attempts) VALUES ('x', '{}', "
    "CURRENT_TIMESTAMP, 0)",
    "INSERT INTO memory (source_lang, target_lang, source_hash, target_hash, source_text, "
    "target_text, origin, updated_at) VALUES ('en', 'tr', 'a', 'b', 'T', 'B', 'p', "
    "CURRENT_TIMESTAMP)",
    "INSERT INTO source_states (source, scans) VALUES ('fs:x', 1)",
]


def migrate(engine: Engine, url: str, target: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, target)


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}


def test_upgrading_a_filled_0003_database_keeps_every_row(db_url: str) -> None:
    engine = get_engine(db_url)
    migrate(engine, db_url, "0003", down=True)  # the fixture's database is at head
    with engine.begin() as conn:
        for statement in ROWS_0003:
            conn.execute(text(statement))
    before = counts(engine)
    assert all(before.values()), before  # every table of 0003 holds a row
    dispose_all()
    assert upgrade(db_url)[1] == head()
    after = counts(get_engine(db_url))
    assert {t: after[t] for t in before} == before
    migrate(get_engine(db_url), db_url, "0003", down=True)
    assert counts(get_engine(db_url)) == before


def test_the_newest_migrations_keep_every_row_too(db_url: str) -> None:
    """From 0005 (web sessions) on: a session, a user and the rest survive every step."""
    engine = get_engine(db_url)
    migrate(engine, db_url, "0005", down=True)
    with engine.begin() as conn:
        for statement in ROWS_0003:
            conn.execute(text(statement))
        conn.execute(
            text(
                "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) "
                "VALUES ('s', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    before = counts(engine)
    assert all(before.values()), before
    dispose_all()
    assert upgrade(db_url)[1] == head()
    after = counts(get_engine(db_url))
    assert {t: after[t] for t in before} == before
    migrate(get_engine(db_url), db_url, "0005", down=True)
    assert counts(get_engine(db_url)) == before
