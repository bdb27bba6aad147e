"""PostgreSQL restarted in the middle of a scan run by a Celery worker: the scan fails
cleanly (nothing half-applied), the task retries, and the final state equals that of an
undisturbed scan.

The server restarted is the test's own (tests/helpers/postgres.py), never the machine's
shared cluster; the session guard (tests/helpers/shared_services.py) fails any run in which
a shared service was restarted, and the last test here shows that it does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bench.generate import change_sources, generate
from sync.db.models import SourceState
from sync.db.session import dispose_all, transaction
from sync.scanning import run_scan
from sync.status import load_rows, status_document
from tests.conftest import make_settings, service_missing
from tests.helpers.postgres import PrivatePostgres
from tests.helpers.processes import ROOT, Services, wait_until

pytestmark = pytest.mark.faults


def private_redis(services: Services) -> str:
    try:
        return services.redis()[1]
    except FileNotFoundError as exc:
        service_missing("redis-server (for a private Redis)", exc)
        raise


def comparable(settings: Any) -> dict[str, Any]:
    """The status document without what depends on when it ran."""
    with transaction(settings.database_url) as s:
        doc = status_document(load_rows(s, settings), settings)
    for post in doc["posts"]:
        for version in post["versions"].values():
            version.pop("stale_since", None)
            version.pop("task", None)
    return doc


def test_postgres_restart_during_a_scan(
    private_pg: PrivatePostgres, private_pg_url: str, tmp_path: Path
) -> None:
    pg_url = private_pg_url  # transync, migrated, on a server of this test's own
    tree = tmp_path / "content"
    generate(tree, 1500)
    settings = make_settings(pg_url, sources=f"fs:{tree}")
    run_scan(settings, [])  # the first scan, undisturbed
    ref_tree = tmp_path / "reference-content"
    shutil.copytree(tree, ref_tree)
    change_sources(tree, 0.5)  # the scan under test has real work to write

    services = Services(tmp_path)
    try:
        broker = private_redis(services)
        worker_settings = make_settings(pg_url, sources=f"fs:{tree}", broker_url=broker)
        worker = services.worker("scanner", worker_settings)
        from workers.app import get_app

        get_app(worker_settings).send_task("transync.scan", kwargs={}, queue="default")
        worker.wait_for_log(r"transync\.scan\[.*\] received", timeout=60)
        time.sleep(1.0)
        started = private_pg.start_time()
        private_pg.restart("fast")  # what `pg_ctl restart -m fast` does
        dispose_all()
        assert private_pg.start_time() != started

        def scanned_twice() -> bool:
            try:
                with transaction(pg_url) as s:
                    state = s.execute(
                        select(SourceState).where(SourceState.source == f"fs:{tree}")
                    ).scalar_one_or_none()
                    return state is not None and state.scans >= 2
            except Exception:  # noqa: BLE001 - the server is still coming back
                dispose_all()
                return False

        wait_until(scanned_twice, 240, "the retried scan to finish", interval=1.0, alive=(worker,))
        log = worker.log()
        assert re.search(r"scan failed, retrying", log), worker.tail()
    finally:
        services.stop_all()
        dispose_all()

    # the reference: the same two scans, undisturbed, into SQLite
    from sync.db.migrate import upgrade

    reference = make_settings(f"sqlite:///{tmp_path / 'reference.db'}")
    upgrade(reference.database_url)
    run_scan(reference, [str(ref_tree)])
    shutil.rmtree(ref_tree)
    shutil.copytree(tree, ref_tree)
    run_scan(reference, [str(ref_tree)])
    assert comparable(settings)["posts"] == comparable(reference)["posts"]


GUARDED_SESSION = """
import os
import time
from pathlib import Path


def test_waits_while_the_services_are_restarted():
    here = Path(os.environ["GUARD_DEMO_DIR"])
    (here / "started").touch()
    deadline = time.monotonic() + 60
    while not (here / "go").exists():
        assert time.monotonic() < deadline, "nobody said go"
        time.sleep(0.05)
"""


def guarded_session(
    tmp: Path, pg_url: str, redis_url: str, during: Any = None
) -> subprocess.CompletedProcess[str]:
    """A pytest session of one test, with the shared-services guard pointed at `pg_url` and
    `redis_url`; `during()` runs while its test is running."""
    tmp.mkdir()
    (tmp / "pytest.ini").write_text("[pytest]\n")
    (tmp / "test_guarded.py").write_text(textwrap.dedent(GUARDED_SESSION))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRANSYNC_", "PYTEST_"))}
    env.update(
        TRANSYNC_TEST_PG=pg_url,
        TRANSYNC_TEST_REDIS=redis_url,
        GUARD_DEMO_DIR=str(tmp),
        PYTHONPATH=str(ROOT),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tests.helpers.shared_services",
            "test_guarded.py",
        ],
        cwd=tmp,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(
            lambda: (tmp / "started").exists() or proc.poll() is not None,
            60,
            "the guarded session to start",
        )
        if during is not None:
            during()
        (tmp / "go").touch()
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def test_the_guard_fails_a_session_that_restarted_a_shared_service(
    private_pg: PrivatePostgres, tmp_path: Path
) -> None:
    """The guard, pointed at a private PostgreSQL and a private Redis standing in for the
    shared ones: an undisturbed session passes; one during which PostgreSQL is restarted and
    Redis is stopped fails, naming both."""
    services = Services(tmp_path)
    try:
        redis_url = private_redis(services)
        calm = guarded_session(tmp_path / "calm", private_pg.url(), redis_url)
        assert calm.returncode == 0, calm.stdout
        assert "SHARED SERVICES" not in calm.stdout

        def break_them() -> None:
            private_pg.restart("fast")
            next(s for s in services.started if s.name == "redis").stop()

        broken = guarded_session(tmp_path / "broken", private_pg.url(), redis_url, break_them)
    finally:
        services.stop_all()
    out = broken.stdout
    assert broken.returncode == 1, out
    assert "SHARED SERVICES RESTARTED" in out, out
    assert re.search(r"the shared PostgreSQL \(127\.0\.0\.1:\d+/postgres\) was restarted", out), out
    assert re.search(
        r"the shared Redis \(127\.0\.0\.1:\d+/0\) was reachable when the "
        r"session started and is not any more",
        out,
    ), out
    assert re.search(r"1 passed, 1 error", out), out
