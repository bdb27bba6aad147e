"""One claimer process: claim tasks in a language until none is left, print the ids as JSON.

    python -m tests.helpers.claimers DATABASE_URL NAME LANG READY_FILE GO_FILE

It connects first, touches READY_FILE, waits for GO_FILE (so that every claimer starts at
once), then claims one task per transaction, as `transync claim` does.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy import text

from sync.config import load_settings
from sync.db.session import get_engine, transaction
from sync.queue import claim


def main(url: str, name: str, lang: str, ready: Path, go: Path) -> list[int]:
    settings = load_settings(environ={}, config_file=Path("/nonexistent/transync.toml"),
                             database_url=url)
    with get_engine(url).connect() as conn:
        conn.execute(text("SELECT 1"))
    ready.touch()
    deadline = time.monotonic() + 60
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.005)
    claimed: list[int] = []
    while True:
        with transaction(url) as session:
            got = claim(session, settings, name, lang)
            task_id = got[0].id if got else None
        if task_id is None:
            return claimed
        claimed.append(task_id)


if __name__ == "__main__":
    url, name, lang, ready, go = sys.argv[1:6]
    print(json.dumps(main(url, name, lang, Path(ready), Path(go))))
