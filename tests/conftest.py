"""Fixtures shared by every level: settings, databases (SQLite and PostgreSQL), content trees."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.config import Settings, load_settings
from sync.db.migrate import upgrade
from sync.db.session import dispose_all

# the shared-services guard, and the private PostgreSQL fixtures (private_pg, private_pg_url)
pytest_plugins = ["tests.helpers.shared_services", "tests.helpers.postgres"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get(
    "TRANSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TRANSYNC_TEST_REDIS", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


def service_missing(what: str, exc: BaseException) -> None:
    """In CI a missing service fails the test; elsewhere it skips with the reason."""
    message = f"{what} is not reachable ({exc}); start it (see README, 'Running the tests')"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


TEST_BROKER = f"sqla+sqlite:///{tempfile.gettempdir()}/transync-test-broker-{os.getpid()}.db"


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test: nothing from the environment or a transync.toml; the embedded
    broker in a temporary file (never the working directory)."""
    overrides.setdefault("broker_url", TEST_BROKER)
    return load_settings(
        environ={},
        config_file=Path("/nonexistent/transync.toml"),
        database_url=database_url,
        **overrides,
    )


_template_ready = False


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    dsn = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, autocommit=True, connect_timeout=5)


def _pg_url(dbname: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database per test, copied from a migrated template."""
    global _template_ready
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001
        service_missing("PostgreSQL at 127.0.0.1:5432", exc)
    template = f"transync_test_template_{os.getpid()}"  # concurrent sessions never share one
    with admin:
        if not _template_ready:
            admin.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{template}"')
            upgrade(_pg_url(template))
            dispose_all()
            _template_ready = True
        name = f"transync_t_{uuid.uuid4().hex[:12]}"
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _pg_url(name)
    finally:
        dispose_all()
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database: SQLite in a temp folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'transync.db'}"
        upgrade(url)
        yield url
        dispose_all()
    else:
        yield from pg_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'transync.db'}"
    upgrade(url)
    yield url
    dispose_all()


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from pg_database()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A scratch copy of the demo content tree."""
    dest = tmp_path / "content"
    shutil.copytree(EXAMPLES / "content", dest)
    return dest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this session's PostgreSQL template database."""
    if not _template_ready:
        return
    dispose_all()
    try:
        with _pg_admin() as admin:
            admin.execute(
                f'DROP DATABASE IF EXISTS "transync_test_template_{os.getpid()}" WITH (FORCE)'
            )
    except Exception:  # noqa: BLE001 - cleanup only
        pass
