"""Engines and sessions: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from sync.errors import ConfigError


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_ENGINES: dict[str, Engine] = {}
_SESSIONMAKERS: dict[str, sessionmaker[Session]] = {}


def get_engine(url: str) -> Engine:
    """One engine per URL per process; SQLite gets WAL, foreign keys and immediate transactions."""
    url = normalize_url(url)
    if url in _ENGINES:
        return _ENGINES[url]
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types here
        raise ConfigError(f"TRANSYNC_DATABASE_URL is not a database URL: {exc}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 60}
    else:
        kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=10)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_setup(engine)
    _ENGINES[url] = engine
    return engine


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers never deadlock on upgrade,
        # and a claim's UPDATE … RETURNING runs alone.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_sessionmaker(url: str) -> sessionmaker[Session]:
    url = normalize_url(url)
    if url not in _SESSIONMAKERS:
        _SESSIONMAKERS[url] = sessionmaker(get_engine(url), expire_on_commit=False)
    return _SESSIONMAKERS[url]


@contextmanager
def transaction(url: str) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with get_sessionmaker(url)() as session, session.begin():
        yield session


def dispose_all() -> None:
    """Close pooled connections and forget engines (after a fork, or between tests)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _SESSIONMAKERS.clear()
