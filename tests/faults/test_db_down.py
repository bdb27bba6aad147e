"""The database goes away under transync: a PostgreSQL server of the test's own (the
`private_pg` fixture, tests/helpers/postgres.py), never the machine's shared one, is
killed or stopped and started again.

- a crash (SIGKILL of the server and its backends) loses nothing that was committed, and the
  same process carries on after crash recovery: its pooled connections are replaced;
- with the database stopped, `transync status` fails with one line saying so (no
  traceback), and works again once the server is back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from tests.conftest import make_settings
from tests.helpers.postgres import PrivatePostgres
from tests.helpers.tracking import db_snapshot, scan, transync

pytestmark = pytest.mark.faults


def test_a_crash_keeps_what_was_committed_and_transync_reconnects(
    private_pg: PrivatePostgres, private_pg_url: str, content: Path
) -> None:
    settings = make_settings(private_pg_url)
    scan(settings, content)
    before = db_snapshot(settings)
    assert before["counts"]["versions"] > 0
    started = private_pg.start_time()

    private_pg.kill()
    with pytest.raises(OperationalError):
        db_snapshot(settings)
    private_pg.start()  # crash recovery

    assert private_pg.start_time() != started
    assert db_snapshot(settings) == before  # the same engine, new connections
    scan(settings, content)  # and it writes again
    assert db_snapshot(settings)["counts"] == before["counts"]


def test_the_cli_says_the_database_is_down_then_works_when_it_is_back(
    private_pg: PrivatePostgres, private_pg_url: str, content: Path
) -> None:
    settings = make_settings(private_pg_url)
    scan(settings, content)
    code, out, _err = transync(settings, "status")
    assert code == 0, out

    private_pg.stop("fast")
    code, out, err = transync(settings, "status")
    assert code != 0
    assert "Traceback" not in out + err
    assert f"port {private_pg.port} failed" in err or "connection" in err.lower(), err

    private_pg.start()
    code, out, err = transync(settings, "status")
    assert code == 0, (out, err)
