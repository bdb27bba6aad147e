"""Claimer processes for the claims benchmark (started by bench/tasks.py):

    python -m bench.claimers DATABASE_URL WORKDIR NAME [NAME ...]

transync is imported once, then one process is forked per NAME. Each connects, touches
WORKDIR/ready-NAME, waits for WORKDIR/go (so that all start at once), claims the next
queued task in `tr` with sync.queue.claim, each claim in its own committed transaction (as
`transync claim` does) until none is left, and writes WORKDIR/NAME.json: the ids it got,
its peak RSS, or the error.

A claimer keeps one connection for all its claims (as a web worker's pool does): a
Session per claim bound to it, no pool checkout and pre-ping (a SELECT 1) per claim."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from sync.config import load_settings
from sync.db.session import get_engine
from sync.queue import claim


def claimer(url: str, workdir: Path, name: str) -> None:
    out: dict[str, object] = {"name": name, "ids": []}
    try:
        settings = load_settings(
            environ={}, config_file=Path("/nonexistent/transync.toml"), database_url=url
        )
        with get_engine(url).connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.rollback()  # no transaction open: each session below begins and commits one
            (workdir / f"ready-{name}").touch()
            go = workdir / "go"
            while not go.exists():
                time.sleep(0.002)
            ids: list[int] = []
            while True:
                with Session(bind=conn, expire_on_commit=False) as s, s.begin():
                    got = claim(s, settings, name, "tr")
                    if got is None:
                        break
                    ids.append(got[0].id)
                if conn.in_transaction():  # the claim must be committed, not left open
                    raise RuntimeError("the claim's transaction was not committed")
        out["ids"] = ids
    except Exception as exc:  # noqa: BLE001 - reported to the benchmark
        out["error"] = f"{name}: {type(exc).__name__}: {exc}"[:500]
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (workdir / f"{name}.json").write_text(json.dumps(out))


def main() -> int:
    url, workdir, names = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
    pids = []
    for name in names:
        pid = os.fork()
        if pid == 0:
            try:
                claimer(url, workdir, name)
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
