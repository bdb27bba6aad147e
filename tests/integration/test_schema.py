"""The Alembic migrations build exactly the schema the models declare, on both databases,
and running them again changes nothing."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sync.db.migrate import upgrade
from sync.db.models import Base
from sync.db.session import get_engine


def test_migrations_match_the_models(db_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected: skipped
        with get_engine(db_url).connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert upgrade(db_url) == ("0003", "0003")  # idempotent


def test_0002_keeps_suggestions_and_takes_long_texts(db_url: str) -> None:
    """A database at 0001 with suggestions upgrades in place: the rows stay, and a
    suggestion longer than a B-tree entry (refused by 0001's unique index) now fits."""
    from alembic import command
    from sqlalchemy import text

    from sync.db.migrate import alembic_config

    engine = get_engine(db_url)
    with engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    long = " ".join(str(i * 7919 % 100003) for i in range(2000))
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO posts (id, key, source_lang, created_at) "
            "VALUES (1, 'p', 'en', CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO tasks (id, post_id, lang, state, kind, source_revision, priority, "
            "created_at, updated_at, progress, source_changed, cancelled_by_editor, "
            "prefilled_revision) VALUES (1, 1, 'tr', 'queued', 'new', 1, 0, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, false, 1)"))
        conn.execute(text("INSERT INTO suggestions (task_id, position, source_text, text, "
                          "score, origin) VALUES (1, 0, 's', 'kept', 100, 'o')"))
    assert upgrade(db_url) == ("0001", "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO suggestions (task_id, position, source_text, text, "
                          "score, origin) VALUES (1, 1, 's', :t, 100, 'o')"), {"t": long})
        texts = conn.execute(text("SELECT text FROM suggestions ORDER BY position")).scalars()
        assert list(texts) == ["kept", long]


def test_0003_drops_only_the_suggestions_of_tasks_moved_before_the_upgrade(db_url: str) -> None:
    """Before 0003 a moved task had prefilled_revision None and its older suggestions until
    the next pre-fill; now None means it has none, so those rows go and the rest stay."""
    from alembic import command
    from sqlalchemy import text

    from sync.db.migrate import alembic_config

    engine = get_engine(db_url)
    with engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO posts (id, key, source_lang, created_at) "
            "VALUES (1, 'p', 'en', CURRENT_TIMESTAMP)"))
        for task_id, lang, prefilled in ((1, "tr", 1), (2, "ru", None)):
            conn.execute(text(
                "INSERT INTO tasks (id, post_id, lang, state, kind, source_revision, priority, "
                "created_at, updated_at, progress, source_changed, cancelled_by_editor, "
                "prefilled_revision) VALUES (:id, 1, :lang, 'queued', 'new', 2, 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, false, :p)"),
                {"id": task_id, "lang": lang, "p": prefilled})
            conn.execute(text("INSERT INTO suggestions (task_id, position, source_text, text, "
                              "score, origin) VALUES (:id, 0, 's', :t, 100, 'o')"),
                         {"id": task_id, "t": f"task {task_id}"})
    assert upgrade(db_url) == ("0002", "0003")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT task_id, text FROM suggestions")).all()
    assert [tuple(r) for r in rows] == [(1, "task 1")]
