"""The Alembic migrations build exactly the schema the models declare, on both databases,
and running them again changes nothing."""

from __future__ import annotations

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, text

from sync.config import Settings
from sync.db.migrate import schema_problem, upgrade
from sync.db.models import Base
from sync.db.session import get_engine


def downgraded(db_url: str, revision: str) -> Engine:
    """The test database taken back to `revision` (its data goes with the tables)."""
    from alembic import command

    from sync.db.migrate import alembic_config

    engine = get_engine(db_url)
    with engine.begin() as conn:
        cfg = alembic_config(db_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
    return engine


def insert_task(conn: Connection, task_id: int, lang: str, prefilled: int | None) -> None:
    """A queued task of post 1 at source revision 2, in raw SQL (the models are newer)."""
    conn.execute(
        text(
            "INSERT INTO tasks (id, post_id, lang, state, kind, source_revision, priority, "
            "created_at, updated_at, progress, source_changed, cancelled_by_editor, "
            "prefilled_revision) VALUES (:id, 1, :lang, 'queued', 'new', 2, 0, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '{}', false, false, :p)"
        ),
        {"id": task_id, "lang": lang, "p": prefilled},
    )


POST = text(
    "INSERT INTO posts (id, key, source_lang, created_at) VALUES (1, 'p', 'en', CURRENT_TIMESTAMP)"
)


def test_migrations_match_the_models(db_url: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # expression indexes cannot be reflected: skipped
        with get_engine(db_url).connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert upgrade(db_url) == ("0011", "0011")  # idempotent


def test_0002_keeps_suggestions_and_takes_long_texts(db_url: str) -> None:
    """A database at 0001 with suggestions upgrades in place: the rows stay, and a
    suggestion longer than a B-tree entry (refused by 0001's unique index) now fits."""
    engine = downgraded(db_url, "0001")
    long = " ".join(str(i * 7919 % 100003) for i in range(2000))
    with engine.begin() as conn:
        conn.execute(POST)
        insert_task(conn, 1, "tr", 2)
        conn.execute(
            text(
                "INSERT INTO suggestions (task_id, position, source_text, text, "
                "score, origin) VALUES (1, 0, 's', 'kept', 100, 'o')"
            )
        )
    assert upgrade(db_url) == ("0001", "0011")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suggestions (task_id, position, source_text, text, "
                "score, origin) VALUES (1, 1, 's', :t, 100, 'o')"
            ),
            {"t": long},
        )
        texts = conn.execute(text("SELECT text FROM suggestions ORDER BY position")).scalars()
        assert list(texts) == ["kept", long]


def test_0003_drops_only_the_suggestions_of_tasks_moved_before_the_upgrade(db_url: str) -> None:
    """Before 0003 a moved task had prefilled_revision None and its older suggestions until
    the next pre-fill; now None means it has none, so those rows go and the rest stay."""
    engine = downgraded(db_url, "0002")
    with engine.begin() as conn:
        conn.execute(POST)
        for task_id, lang, prefilled in ((1, "tr", 1), (2, "ru", None)):
            insert_task(conn, task_id, lang, prefilled)
            conn.execute(
                text(
                    "INSERT INTO suggestions (task_id, position, source_text, text, "
                    "score, origin) VALUES (:id, 0, 's', :t, 100, 'o')"
                ),
                {"id": task_id, "t": f"task {task_id}"},
            )
    assert upgrade(db_url) == ("0002", "0011")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT task_id, text FROM suggestions")).all()
    assert [tuple(r) for r in rows] == [(1, "task 1")]


def test_0008_stores_new_revision_bodies_with_lz4(pg_url: str) -> None:
    """PostgreSQL compresses long texts; revisions.body uses lz4, and a downgrade goes back
    to the server's default."""
    from alembic import command

    from sync.db.migrate import alembic_config

    query = text(
        "SELECT attcompression FROM pg_attribute "
        "WHERE attrelid = 'revisions'::regclass AND attname = 'body'"
    )
    engine = get_engine(pg_url)
    with engine.connect() as conn:
        assert conn.execute(query).scalar() == "l"
    command.downgrade(alembic_config(pg_url), "0007")
    with engine.connect() as conn:
        assert conn.execute(query).scalar() == ""
    upgrade(pg_url)
    with engine.connect() as conn:
        assert conn.execute(query).scalar() == "l"


def test_a_schema_newer_than_this_transync_is_named_as_such(settings: Settings) -> None:
    """A database a newer transync upgraded, used by this one (a rollback of the code):
    `transync init` and every command say so and what to do; they said `run transync init
    to upgrade it`, and init then failed with Alembic's "Can't locate revision"."""
    from tests.helpers.tracking import transync

    url = settings.database_url
    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    problem = schema_problem(url)
    assert problem is not None
    assert "0099" in problem and "newer transync" in problem and "init" not in problem
    code, out, err = transync(settings, "init")
    assert code == 1
    assert "newer transync" in err and "Can't locate" not in err
    with get_engine(url).connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"
