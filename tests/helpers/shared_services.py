"""Session guard: no test may restart (or stop) the machine's shared PostgreSQL or Redis.

Other test sessions and people use the shared services at the same time; a test that
restarts, kills or floods a service brings a private one (tests/helpers/postgres.py,
`Services.redis()` in tests/helpers/processes.py). This plugin checks that nobody broke the
rule: at the start of the session it records the shared PostgreSQL's
`pg_postmaster_start_time()` and the shared Redis's `run_id` (INFO server), when they are
reachable; at the end it reads them again, and if either changed or the service has become
unreachable the run fails (exit status 1), with a banner and an error entry naming the
service. A service that was not reachable at the start is not watched.

The addresses are those the tests use: TRANSYNC_TEST_PG and TRANSYNC_TEST_REDIS.
Registered by tests/conftest.py (`pytest_plugins`); `-p tests.helpers.shared_services` loads
it into any other pytest run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

PG_URL = os.environ.get("TRANSYNC_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TRANSYNC_TEST_REDIS", "redis://127.0.0.1:6379/15")
NODEID = "tests/helpers/shared_services.py::shared services untouched"


def postgres_identity(url: str) -> str:
    """When the PostgreSQL server at `url` started: a restart changes it."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True, connect_timeout=3) as conn:
        return str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])


def redis_identity(url: str) -> str:
    """The Redis server's run_id: a new one at every start."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        return str(client.info("server")["run_id"])
    finally:
        client.close()


@dataclasses.dataclass
class Watched:
    name: str
    url: str
    identity: Callable[[str], str]
    before: str | None = None

    def read(self) -> str | None:
        try:
            return self.identity(self.url)
        except Exception:  # noqa: BLE001 - unreachable, for whatever reason
            return None


class Guard:
    """Records the shared services' identities, then says which ones changed."""

    def __init__(self, pg_url: str = PG_URL, redis_url: str = REDIS_URL) -> None:
        self.services = [
            Watched("PostgreSQL", pg_url, postgres_identity),
            Watched("Redis", redis_url, redis_identity),
        ]
        self.broken: list[str] = []

    def record(self) -> None:
        for service in self.services:
            service.before = service.read()

    def problems(self) -> list[str]:
        found = []
        self.broken = []
        for service in self.services:
            if service.before is None:
                continue  # not reachable at the start: not watched
            now = service.read()
            parts = urlsplit(service.url)
            where = f"{parts.hostname}:{parts.port}{parts.path}"
            if now is None:
                found.append(
                    f"the shared {service.name} ({where}) was reachable when the "
                    f"session started and is not any more: a test stopped or broke it"
                )
                self.broken.append(service.name)
            elif now != service.before:
                found.append(
                    f"the shared {service.name} ({where}) was restarted during the "
                    f"session (was {service.before}, now {now}): a test must start a "
                    f"private {service.name} to restart, kill or flood"
                )
                self.broken.append(service.name)
        return found


guard_key = pytest.StashKey[Guard]()


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller watches
        return
    config.stash[guard_key] = Guard()


def pytest_sessionstart(session: pytest.Session) -> None:
    guard = session.config.stash.get(guard_key, None)
    if guard is not None:
        guard.record()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    guard = session.config.stash.get(guard_key, None)
    if guard is None:
        return
    problems = guard.problems()
    if not problems:
        return
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    text = "\n".join(problems)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        import sys

        sys.stderr.write(f"SHARED SERVICES RESTARTED\n{text}\n")
        return
    # an error entry: listed under ERRORS and in the summary line, which turns red
    report = pytest.TestReport(
        nodeid=NODEID,
        location=(NODEID.split("::")[0], None, "shared services untouched"),
        keywords={},
        outcome="failed",
        longrepr=text,
        when="teardown",
    )
    reporter.stats.setdefault("error", []).append(report)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    guard = terminalreporter.config.stash.get(guard_key, None)
    if guard is not None and guard.broken:
        terminalreporter.write_sep(
            "!", f"SHARED SERVICES RESTARTED: {' and '.join(guard.broken)}", red=True, bold=True
        )
