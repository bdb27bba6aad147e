"""Create or upgrade the schema with Alembic; idempotent."""

from __future__ import annotations

import warnings
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.exc import SAWarning

from sync.db.session import get_engine, normalize_url
from sync.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


EXPRESSION_INDEX = "Skipped unsupported reflection of expression-based index"
#: PostgreSQL advisory lock key held while the schema is created or upgraded.
MIGRATION_LOCK = 0x7472616E  # "tran"


def upgrade(url: str) -> tuple[str | None, str | None]:
    """Bring the database to the latest schema; returns (revision before, revision after).

    Safe to run twice at once: on PostgreSQL the whole upgrade runs in one transaction under
    an advisory lock, so a second `transync init` waits, then finds the schema up to date
    (SQLite's immediate transaction already lets one writer in at a time)."""
    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn, warnings.catch_warnings():
        # Alembic's batch operations reflect tables; SQLAlchemy cannot reflect the claim
        # order's expression index and says so, harmlessly (the batch never rebuilds tasks)
        warnings.filterwarnings("ignore", category=SAWarning, message=EXPRESSION_INDEX)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        before = _current(conn)
        if before is not None and not _known(before):
            from sync.errors import ConfigError

            raise ConfigError(_newer(before))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        after = _current(conn)
    return before, after


def _current(conn) -> str | None:  # type: ignore[no-untyped-def]
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def head() -> str:
    """The newest schema revision this transync knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or ""


def _known(revision: str) -> bool:
    """Whether this transync's migrations have `revision` (a newer one made it if not)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return (
            ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
            is not None
        )
    except CommandError:
        return False


def _newer(current: str) -> str:
    return (
        f"the database schema is {current}, which a newer transync made (this one knows "
        f"{head()}): run that newer transync; its schema cannot be taken back"
    )


def schema_problem(url: str) -> str | None:
    """Why the database cannot be used as it is (no schema, or an older one), or None."""
    try:
        with get_engine(url).connect() as conn:
            current = _current(conn)
    except ConfigError:
        raise  # a URL transync cannot use: `serve` or `worker` must not start on it
    except Exception:  # noqa: BLE001 - unreachable databases are reported elsewhere
        return None
    if current is None:
        return "the database has no transync schema yet: run `transync init`"
    newest = head()
    if current != newest and not _known(current):
        return _newer(current)
    if current != newest:
        return (
            f"the database schema is {current}, this transync needs {newest}: run "
            "`transync init` to upgrade it"
        )
    return None
