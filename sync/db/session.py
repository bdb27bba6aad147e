"""Engines and sessions: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

import sync.db
from sync.errors import ConfigError, TransyncError

log = logging.getLogger("sync.db")


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


_ENGINES: dict[str, Engine] = {}
POOL_SIZE, POOL_OVERFLOW = 20, 10  # PostgreSQL connections kept open, and extra ones
_SESSIONMAKERS: dict[str, sessionmaker[Session]] = {}


def get_engine(url: str, *, readonly: bool = False) -> Engine:
    """One engine per URL per process; SQLite gets WAL, foreign keys and immediate
    transactions (`readonly` ones begin deferred, so readers never wait for each other)."""
    url = normalize_url(url)
    if readonly and not url.startswith("sqlite"):
        readonly = False  # PostgreSQL readers never block anyway
    cache_key = url + ("#readonly" if readonly else "")
    if cache_key in _ENGINES:
        return _ENGINES[cache_key]
    try:
        parsed = make_url(url)
    except Exception as exc:  # noqa: BLE001 - SQLAlchemy raises several types here
        raise ConfigError(f"TRANSYNC_DATABASE_URL is not a database URL: {exc}") from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        # a typo in the scheme would otherwise read "Can't load plugin: sqlalchemy.dialects:…"
        raise ConfigError(
            f"TRANSYNC_DATABASE_URL starts with {parsed.drivername}://, which is not a database "
            "transync uses: write sqlite:///path/transync.db or "
            "postgresql+psycopg://user@host/db"
        )
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": sync.db.BUSY_SECONDS}
    else:
        # a web process runs up to 40 requests at once in its thread pool (AnyIO's default);
        # a pool smaller than that opens and closes a PostgreSQL connection (a backend
        # process) per request under load, which cost the dashboard most of its time
        kwargs.update(pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    engine = create_engine(url, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_setup(engine, "BEGIN" if readonly else "BEGIN IMMEDIATE")
    _ENGINES[cache_key] = engine
    return engine


def _sqlite_setup(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={sync.db.BUSY_SECONDS * 1000}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: two writers never deadlock on upgrade,
        # and a claim's UPDATE … RETURNING runs alone.
        conn.exec_driver_sql(begin)


def busy(exc: BaseException) -> bool:
    """Whether an error is SQLite's "database is locked" (or busy): another connection held
    the write lock for longer than a connection waits (:data:`sync.db.BUSY_SECONDS`)."""
    import sqlite3

    orig = getattr(exc, "orig", exc)  # SQLAlchemy's wrapper, or the driver's own (quickscan)
    if not isinstance(orig, sqlite3.OperationalError):
        return False
    text = str(orig).lower()
    return "locked" in text or "busy" in text


def busy_error(exc: BaseException, url: str) -> TransyncError | None:
    """The error to show for a SQLite database another process kept locked, else None."""
    if not busy(exc):
        return None
    from sync.i18n import t_

    database = make_url(normalize_url(url)).database or url
    return TransyncError(
        t_(
            "the database %(database)s is locked: another process (a scan, an import, a "
            "worker, or a program holding a transaction open) kept it busy for over "
            "%(seconds)d seconds; nothing was changed: try again when it has finished",
            database=database,
            seconds=sync.db.BUSY_SECONDS,
        )
    )


def source_lock_id(uri: str) -> int:
    """A stable 63-bit id for PostgreSQL advisory locks, one per source."""
    return zlib.crc32(b"transync-scan:" + uri.encode()) & 0x7FFFFFFF


def lock_sources(session: Session, uris: Sequence[str], *, wait: bool = True) -> bool:
    """Hold each source's scan lock until the transaction ends.

    PostgreSQL: transaction-level advisory locks, released on commit, rollback or a
    dropped connection, so a dead scanner never leaves a lock behind. SQLite: the
    scan's IMMEDIATE transaction already excludes every other writer.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    for uri in sorted(uris):
        key = {"k": source_lock_id(uri)}
        if session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), key).scalar():
            continue
        if not wait:
            return False
        # another scan (or a write-back) of this source holds it: say so before waiting,
        # which may be as long as a first scan (a command that only hung would be killed)
        log.warning(
            "waiting for another scan or write-back of %s to finish (it holds the source's "
            "lock; it is released when that scan commits or is stopped)",
            uri,
        )
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), key)
    return True


def lock_post_sources(session: Session, post_id: Any) -> None:
    """Hold the scan locks of the sources a post's versions come from (`post_id`: an id or a
    scalar subquery giving one). Whatever writes versions outside a scan (a write-back, an
    acknowledgement) takes them before any row lock, as a scan does: a scan rewrites each
    version it changes from the snapshot it loaded, so one running alongside would undo the
    other's change (a write-back's revision undone, every later scan then failing on it)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: the IMMEDIATE transaction excludes every other writer already
    from sync.db.models import Version

    uris = session.execute(select(Version.source).where(Version.post_id == post_id).distinct())
    lock_sources(session, list(uris.scalars()))


def get_sessionmaker(url: str, *, readonly: bool = False) -> sessionmaker[Session]:
    key = normalize_url(url) + ("#readonly" if readonly else "")
    if key not in _SESSIONMAKERS:
        _SESSIONMAKERS[key] = sessionmaker(
            get_engine(url, readonly=readonly), expire_on_commit=False
        )
    return _SESSIONMAKERS[key]


@contextmanager
def transaction(url: str, *, readonly: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.
    `readonly=True` promises no writes (on SQLite it begins DEFERRED)."""
    with get_sessionmaker(url, readonly=readonly)() as session, session.begin():
        yield session


def dispose_all() -> None:
    """Close pooled connections and forget engines (after a fork, or between tests)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()
    _SESSIONMAKERS.clear()


def forget_inherited() -> None:
    """In a forked child (a Celery pool process): drop the pooled connections inherited from
    the parent without closing them (they are the parent's sockets); the child opens its own.
    Two processes on one connection corrupt both."""
    for engine in _ENGINES.values():
        engine.dispose(close=False)


def dispose(url: str) -> None:
    """Close every pooled connection to one database (both SQLite engines), e.g. before the
    file is replaced."""
    base = normalize_url(url)
    for key in (base, base + "#readonly"):
        engine = _ENGINES.get(key)
        if engine is not None:
            engine.dispose()


def copy_rows(
    session: Session, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> bool:
    """Rows copied into a table (``COPY … FROM STDIN``) on the session's own connection, in
    its transaction, when it is PostgreSQL through psycopg (the server parses them on its
    core). False, and nothing written, on any other database or driver: the caller inserts
    them its own way."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql" or bind.dialect.driver != "psycopg":
        return False
    driver = session.connection().connection.driver_connection
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
    return True
