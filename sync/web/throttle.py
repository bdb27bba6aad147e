"""The login throttle: sign-in attempts counted before the password is checked (per
account, per address, overall), the bound on password checks running at once (their own
threads, at a lower CPU priority), and the middleware that refuses a sign-in before its
request is read. In-memory, per process; sync.web.auth's login route uses it."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sync.web.i18n import _


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: the CPU priority (nice) of password checks: under a flood of logins, pages and the API
#: keep the processor and the checks take what is left
CHECK_NICENESS = 10


def _lower_priority() -> None:
    """Start of a password-check thread: a lower CPU priority for this thread only (on
    Linux priorities are per thread); the argon2 lanes it starts inherit it."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)
        except OSError:
            pass


def client_key(host: str | None) -> str:
    """The address a login is counted against: IPv4 as is, IPv6 by its /64 (one host
    usually holds a whole /64)."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class Attempt:
    """A sign-in admitted to a password check: counted already, settled by ``finish``."""

    account: str
    address: str
    minute: int


@dataclass(frozen=True)
class Refused:
    """A sign-in refused before any password check: wait `seconds`; `busy` when the
    password checks were all taken, else too many recent failures."""

    seconds: float
    busy: bool


class LoginThrottle:
    """Sign-in attempts, counted *before* the password is checked, so N attempts at once
    count as N: per account name (from any address), per client address (any name) and
    overall. After FREE failures of an account (ADDRESS_FREE of an address) the next
    attempt must wait 2^(n-FREE) seconds after the last (at most CAP); failures are
    forgotten WINDOW seconds after the last one. Overall, at most PER_MINUTE attempts that
    did not succeed are admitted per minute.

    Password checks (argon2, 64 MiB and four lanes each) run at most `slots` at a time (one
    per core), in threads of their own at a lower CPU priority; an attempt past that is
    refused at once, never queued and never put to sleep in a worker thread. Counts live
    in this process (each process of `serve --workers N` keeps its own, with `slots`
    shared out)."""

    FREE = 3
    ADDRESS_FREE = 20
    PER_MINUTE = 120
    CAP = 300.0
    WINDOW = 900.0
    MAX_KEYS = 50_000

    def __init__(self, slots: int | None = None, clock: Any = time.monotonic) -> None:
        self.slots = max(1, slots if slots is not None else cores())
        self._clock = clock
        self._accounts: dict[str, tuple[int, float]] = {}
        self._addresses: dict[str, tuple[int, float]] = {}
        self._minute: tuple[int, int] = (0, 0)  # (minute, attempts not succeeded)
        self._checking = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    async def check(self, fn: Any, *args: Any) -> Any:
        """Run a password check of an admitted attempt in the checks' own threads."""
        with self._lock:
            if self._pool is None or self._pool._max_workers < self.slots:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.slots,
                    thread_name_prefix="transync-password",
                    initializer=_lower_priority,
                )
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def _wait(self, table: dict[str, tuple[int, float]], key: str, free: int, now: float) -> float:
        count, last = table.get(key, (0, 0.0))
        if count < free or now - last > self.WINDOW:
            return 0.0
        delay = min(2.0 ** (count - free), self.CAP)
        return max(0.0, last + delay - now)

    @staticmethod
    def _add(table: dict[str, tuple[int, float]], key: str, now: float, window: float) -> None:
        count, last = table.get(key, (0, 0.0))
        if now - last > window:
            count = 0
        table[key] = (count + 1, now)

    def _prune(self, now: float) -> None:
        for table in (self._accounts, self._addresses):
            if len(table) > self.MAX_KEYS:
                live = {k: v for k, v in table.items() if now - v[1] <= self.WINDOW}
                if len(live) > self.MAX_KEYS:  # a flood of names: keep the ones that limit
                    live = {k: v for k, v in live.items() if v[0] >= self.FREE}
                table.clear()
                table.update(live)

    def admit(self, account: str, address: str) -> Attempt | Refused:
        """Count an attempt and admit it to a password check, or refuse it at once."""
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            self._prune(now)
            wait = max(
                self._wait(self._accounts, account, self.FREE, now),
                self._wait(self._addresses, address, self.ADDRESS_FREE, now),
            )
            this_minute, used = self._minute
            if this_minute != minute:
                self._minute = (minute, 0)
                used = 0
            if used >= self.PER_MINUTE:
                wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Refused(seconds=wait, busy=False)
            if self._checking >= self.slots:
                return Refused(seconds=1.0, busy=True)
            self._checking += 1
            self._add(self._accounts, account, now, self.WINDOW)
            self._add(self._addresses, address, now, self.WINDOW)
            self._minute = (minute, used + 1)
            return Attempt(account=account, address=address, minute=minute)

    def quick_refusal(self, address: str) -> Refused | None:
        """Before a login request is even read: a refusal that does not depend on the name
        (this address has failed too often, or every password check is taken), or None.
        Counts nothing; ``admit`` decides for the requests let through."""
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            wait = self._wait(self._addresses, address, self.ADDRESS_FREE, now)
            if self._minute[0] == minute and self._minute[1] >= self.PER_MINUTE:
                wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Refused(seconds=wait, busy=False)
            if self._checking >= self.slots:
                return Refused(seconds=1.0, busy=True)
        return None

    def finish(self, attempt: Attempt, outcome: str) -> None:
        """``failed``: the attempt stays counted. ``ok``: the account's failures are
        forgotten and this attempt no longer counts. ``void`` (no answer, e.g. the
        database was down): it no longer counts."""
        with self._lock:
            self._checking -= 1
            if outcome == "failed":
                return
            if outcome == "ok":
                self._accounts.pop(attempt.account, None)
            else:
                self._undo(self._accounts, attempt.account)
            self._undo(self._addresses, attempt.address)
            minute, used = self._minute
            if minute == attempt.minute and used:
                self._minute = (minute, used - 1)

    @staticmethod
    def _undo(table: dict[str, tuple[int, float]], key: str) -> None:
        count, last = table.get(key, (0, 0.0))
        if count <= 1:
            table.pop(key, None)
        else:
            table[key] = (count - 1, last)

    @property
    def checking(self) -> int:
        """Password checks running now."""
        return self._checking


class LoginGuard:
    """ASGI middleware: a sign-in that would be refused whatever its name (its address
    failed too often, or every password check is taken) gets its 429 before the request
    is read: no form parsing, no session, no template, a page made once per language. A
    flood of logins then costs the event loop almost nothing, and pages and the API keep
    their speed."""

    def __init__(self, app: Any, throttle: LoginThrottle, page: Any) -> None:
        self.app = app
        self.throttle = throttle
        self.page = page  # (refused, accept_language) -> bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") != "/login"
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        refused = self.throttle.quick_refusal(client_key(client[0] if client else None))
        if refused is None:
            await self.app(scope, receive, send)
            return
        language = next(
            (v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"),
            None,
        )
        body = self.page(refused, language)
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(int(refused.seconds) + 1).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def refusal_message(refused: Refused) -> str:
    if refused.busy:
        return _("Many sign-ins are being checked right now. Try again in a moment.")
    return _("Too many failed attempts. Wait %(seconds)d seconds and try again.") % {
        "seconds": int(refused.seconds) + 1
    }
