"""A command that must wait for another scan's lock on PostgreSQL says so before it waits
(a scan, a write-back or an acknowledgement behind a first scan of a large site may wait
minutes; one that only hung would be killed), then goes on once the lock is released."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from sync.db.session import lock_sources, transaction

URI = "wp:https://example.org"


def test_a_command_behind_another_scan_says_it_waits_then_goes_on(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    held = threading.Event()

    def other_scan() -> None:
        with transaction(pg_url) as session:
            assert lock_sources(session, [URI])
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_scan)
    holder.start()
    assert held.wait(30)
    got: list[float] = []

    def waiting() -> None:
        with transaction(pg_url) as session:
            assert lock_sources(session, [URI])
            got.append(time.monotonic())

    with caplog.at_level(logging.WARNING, logger="sync.db"):
        waiter = threading.Thread(target=waiting)
        waiter.start()
        deadline = time.monotonic() + 30
        while "waiting for another scan or write-back" not in caplog.text:
            assert time.monotonic() < deadline, "no word of the wait"
            time.sleep(0.05)
        assert URI in caplog.text
        time.sleep(0.3)
        assert got == []  # it waits: the other still holds the lock
        released = time.monotonic()
        release.set()
        holder.join(30)
        waiter.join(30)
    assert got and got[0] >= released


def test_a_scan_that_need_not_wait_says_nothing(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sync.db"), transaction(pg_url) as session:
        assert lock_sources(session, [URI, "fs:/srv/content"])
    assert "waiting" not in caplog.text


def test_a_scheduled_scan_skips_a_source_being_scanned(pg_url: str) -> None:
    release = threading.Event()
    held = threading.Event()

    def other_scan() -> None:
        with transaction(pg_url) as session:
            lock_sources(session, [URI])
            held.set()
            release.wait(30)

    holder = threading.Thread(target=other_scan)
    holder.start()
    try:
        assert held.wait(30)
        with transaction(pg_url) as session:
            assert lock_sources(session, [URI], wait=False) is False
    finally:
        release.set()
        holder.join(30)
