"""A worker killed with SIGKILL in the middle of an export: after a new worker starts, the
export completes once and no catalog is damaged."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.db.models import Outbox
from sync.db.session import transaction
from sync.outbox import EXPORT, enqueue, sweep
from sync.scanning import run_scan
from tests.conftest import EXAMPLES, IN_CI, make_settings
from tests.helpers.processes import Services, wait_until
from tests.integration.test_tracker import EN, edit_paragraph

pytestmark = pytest.mark.faults


def msgfmt_ok(po: Path) -> bool:
    if shutil.which("msgfmt") is None:
        if IN_CI:
            pytest.fail("msgfmt is missing")
        pytest.skip("msgfmt is missing")
    return subprocess.run(["msgfmt", "--check", "-o", "/dev/null", str(po)]).returncode == 0


def test_worker_killed_mid_export(pg_url: str, tmp_path: Path) -> None:
    import datetime as dt

    content = tmp_path / "content"
    shutil.copytree(EXAMPLES / "content", content)
    locales = tmp_path / "locales"
    services = Services(tmp_path)
    try:
        _redis, broker = services.redis()
        settings = make_settings(pg_url, broker_url=broker, locales_dir=str(locales))
        run_scan(settings, [str(content)])
        from sync.export import export_catalogs

        export_catalogs(settings)
        before = {p: p.read_bytes() for p in locales.rglob("posts.*")}
        edit_paragraph(content / EN, "Offshore gas", "Offshore gas moved on.")
        run_scan(settings, [str(content)])
        with transaction(pg_url) as s:
            outbox_id = enqueue(s, EXPORT, {"langs": ["tr", "ru"]})
        marker = tmp_path / "killed"
        doomed = services.worker(
            "doomed", settings, probe=True, TRANSYNC_TEST_DIE_ON_EXPORT=str(marker)
        )
        sweep(settings, older_than=dt.timedelta(0))
        wait_until(lambda: doomed.proc.poll() is not None, 60, "the worker to die mid-export")
        assert marker.exists() and doomed.proc.returncode != 0
        # the previous catalogs are intact; only a temporary file is left
        assert {p: p.read_bytes() for p in locales.rglob("posts.*")} == before
        with transaction(pg_url) as s:
            assert s.execute(select(Outbox.done_at).where(Outbox.id == outbox_id)).scalar() is None

        fresh = services.worker("fresh", settings)
        sweep(settings, older_than=dt.timedelta(0))

        def done() -> bool:
            with transaction(pg_url) as s:
                return (
                    s.execute(select(Outbox.done_at).where(Outbox.id == outbox_id)).scalar()
                    is not None
                )

        wait_until(done, 60, "the export to complete", alive=(fresh,))
        assert not list(locales.rglob("*.tmp"))
        for lang in ("tr", "ru"):
            po = locales / lang / "LC_MESSAGES" / "posts.po"
            assert po.read_bytes() != before[po] and msgfmt_ok(po)
        # done once: a late duplicate of the message changes nothing
        after = {p: p.read_bytes() for p in locales.rglob("posts.*")}
        from workers.app import get_app

        get_app(settings).send_task(
            "transync.export",
            queue="default",
            kwargs={"langs": ["tr", "ru"], "outbox_id": outbox_id},
        )
        wait_until(
            lambda: fresh.log().count("transync.export[") >= 4,
            60,
            "the duplicate message to be handled",
            alive=(fresh,),
        )
        assert "'skipped': True" in fresh.log()  # debounced: the export already covers it
        assert {p: p.read_bytes() for p in locales.rglob("posts.*")} == after
    finally:
        services.stop_all()
