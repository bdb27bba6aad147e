"""Concurrent claimer processes: each claims tasks in a language until none is left.

    python -m tests.helpers.claimers DATABASE_URL LANG WORKDIR NAME [NAME ...]

transync is imported once, then one process is forked per NAME (cheaper than starting
sixteen interpreters on a small machine). Each claimer connects, touches
WORKDIR/ready-NAME, waits for WORKDIR/go (so that all start at once), claims one task per
transaction as `transync claim` does, and writes the ids it got to WORKDIR/NAME.json (or
its traceback to WORKDIR/NAME.err). The launcher exits non-zero if any claimer failed.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

from sqlalchemy import text

from sync.config import load_settings
from sync.db.session import get_engine, transaction
from sync.queue import claim


def claim_all(url: str, name: str, lang: str, workdir: Path) -> list[int]:
    settings = load_settings(
        environ={}, config_file=Path("/nonexistent/transync.toml"), database_url=url
    )
    with get_engine(url).connect() as conn:
        conn.execute(text("SELECT 1"))
    (workdir / f"ready-{name}").touch()
    deadline = time.monotonic() + 120
    while not (workdir / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the go file never appeared")
        time.sleep(0.005)
    claimed: list[int] = []
    while True:
        with transaction(url) as session:
            got = claim(session, settings, name, lang)
            task_id = got[0].id if got else None
        if task_id is None:
            return claimed
        claimed.append(task_id)


def main(url: str, lang: str, workdir: Path, names: list[str]) -> int:
    children = []
    for name in names:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                ids = claim_all(url, name, lang, workdir)
                (workdir / f"{name}.json").write_text(json.dumps(ids))
            except BaseException:  # noqa: BLE001 - reported to the test through the file
                (workdir / f"{name}.err").write_text(traceback.format_exc())
                code = 1
            os._exit(code)
        children.append(pid)
    failed = 0
    for pid in children:
        _, status = os.waitpid(pid, 0)
        failed += os.waitstatus_to_exitcode(status) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    url, lang, workdir, *names = sys.argv[1:]
    sys.exit(main(url, lang, Path(workdir), names))
