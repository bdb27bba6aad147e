"""Scan-local storage for new revisions' content (segments, body, source texts).

A scan may read hundreds of thousands of documents; it keeps only their metadata in
memory. Content stays in a dict up to a limit, then goes to a temporary SQLite file
(pickled), so a scan's memory is bounded whatever the size of the source.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from typing import Any

IN_MEMORY = 500


class Spill:
    def __init__(self, limit: int = IN_MEMORY) -> None:
        self.limit = limit
        self.memory: dict[int, Any] = {}
        self.db: sqlite3.Connection | None = None
        self.path: str | None = None
        self.next = 0

    def put(self, value: Any) -> int:
        slot = self.next
        self.next += 1
        if self.db is None and len(self.memory) < self.limit:
            self.memory[slot] = value
            return slot
        if self.db is None:
            fd, self.path = tempfile.mkstemp(prefix="transync-scan-", suffix=".spill")
            os.close(fd)
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=OFF")
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.execute("CREATE TABLE spill (slot INTEGER PRIMARY KEY, value BLOB)")
        self.db.execute("INSERT INTO spill VALUES (?, ?)",
                        (slot, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)))
        return slot

    def get(self, slot: int) -> Any:
        if slot in self.memory:
            return self.memory[slot]
        assert self.db is not None
        row = self.db.execute("SELECT value FROM spill WHERE slot = ?", (slot,)).fetchone()
        return pickle.loads(row[0])

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.path is not None:
            os.unlink(self.path)
            self.path = None
        self.memory.clear()

    def __del__(self) -> None:  # a scan that died still removes its file
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - best effort at interpreter exit
            pass
