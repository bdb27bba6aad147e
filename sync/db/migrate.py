"""Create or upgrade the schema with Alembic; idempotent."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from sync.db.session import get_engine, normalize_url

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str) -> tuple[str | None, str | None]:
    """Bring the database to the latest schema; returns (revision before, revision after)."""
    engine = get_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        before = _current(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        after = _current(conn)
    return before, after


def _current(conn) -> str | None:  # type: ignore[no-untyped-def]
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
