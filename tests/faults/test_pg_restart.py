"""PostgreSQL restarted in the middle of a scan run by a Celery worker: the scan fails
cleanly (nothing half-applied), the task retries, and the final state equals that of an
undisturbed scan."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
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
from tests.conftest import IN_CI, make_settings
from tests.helpers.processes import Services, wait_until

pytestmark = pytest.mark.faults


def restart_postgres() -> None:
    if shutil.which("pg_ctlcluster") is None or not Path("/etc/postgresql").is_dir():
        if IN_CI:
            pytest.fail("pg_ctlcluster is needed to restart PostgreSQL")
        pytest.skip("cannot restart PostgreSQL here (no pg_ctlcluster)")
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart",
                    "-m", "fast"], check=True, timeout=120)


def comparable(settings: Any) -> dict[str, Any]:
    """The status document without what depends on when it ran."""
    with transaction(settings.database_url) as s:
        doc = status_document(load_rows(s, settings), settings)
    for post in doc["posts"]:
        for version in post["versions"].values():
            version.pop("stale_since", None)
            version.pop("task", None)
    return doc


def test_postgres_restart_during_a_scan(pg_url: str, tmp_path: Path) -> None:
    tree = tmp_path / "content"
    generate(tree, 1500)
    settings = make_settings(pg_url, sources=f"fs:{tree}")
    run_scan(settings, [])  # the first scan, undisturbed
    ref_tree = tmp_path / "reference-content"
    shutil.copytree(tree, ref_tree)
    change_sources(tree, 0.5)  # the scan under test has real work to write

    services = Services(tmp_path)
    try:
        _redis, broker = services.redis()
        worker_settings = make_settings(pg_url, sources=f"fs:{tree}", broker_url=broker)
        worker = services.worker("scanner", worker_settings)
        from workers.app import get_app

        get_app(worker_settings).send_task("transync.scan", kwargs={}, queue="default")
        worker.wait_for_log(r"transync\.scan\[.*\] received", timeout=60)
        time.sleep(1.0)
        restart_postgres()
        dispose_all()

        def scanned_twice() -> bool:
            try:
                with transaction(pg_url) as s:
                    state = s.execute(select(SourceState).where(
                        SourceState.source == f"fs:{tree}")).scalar_one_or_none()
                    return state is not None and state.scans >= 2
            except Exception:  # noqa: BLE001 - the server is still coming back
                dispose_all()
                return False

        wait_until(scanned_twice, 240, "the retried scan to finish", interval=1.0,
                   alive=(worker,))
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
