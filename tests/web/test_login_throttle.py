"""Logins that cannot be flooded: an attempt is counted before its password is checked (so
twelve at once count as twelve), per account from any address, per address for any name,
and overall; at most `slots` password checks run at once and the rest are refused at once,
never queued or put to sleep."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sync.web import auth, create_app
from sync.web.auth import Attempt, LoginThrottle, Refused, client_key
from tests.web.site import PASSWORD, Site, csrf


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def app(site: Site) -> Any:
    return create_app(site.settings)  # its own throttle, untouched by other tests


class CountingCheck:
    """check_password that holds each check a moment (argon2 takes a while) and records
    how many ran and how many ran at once."""

    def __init__(self, hold: float = 0.15) -> None:
        self.hold = hold
        self.calls = 0
        self.running = 0
        self.most = 0
        self.lock = threading.Lock()
        self.real = auth.check_password

    def __call__(self, user: Any, password: str) -> bool:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)
            return self.real(user, password)
        finally:
            with self.lock:
                self.running -= 1


def post_login(app: Any, name: str, password: str, address: str = "127.0.0.1") -> Any:
    client = TestClient(app, follow_redirects=False, client=(address, 40000))
    return client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf(client)}
    )


def test_twelve_parallel_wrong_logins_count_as_twelve(app: Any, monkeypatch: Any) -> None:
    """Before: all twelve ran a full password check, each one seeing no failure yet. Now at
    most FREE checks run; every other attempt is refused at once with 429 — from twelve
    loopback addresses, since the account is counted whatever the address."""
    check = CountingCheck(hold=0.8)  # long enough that a refusal visibly does not wait
    monkeypatch.setattr(auth, "check_password", check)
    app.state.web.throttle.slots = 12  # let them race: the count must hold them, not the gate
    start = threading.Barrier(12)

    def attempt(i: int) -> tuple[int, float]:
        client = TestClient(app, follow_redirects=False, client=(f"127.0.0.{i + 2}", 40000))
        token = csrf(client)
        start.wait()
        began = time.perf_counter()
        r = client.post(
            "/login", data={"name": "ed", "password": f"guess {i}", "csrf_token": token}
        )
        return r.status_code, time.perf_counter() - began

    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(attempt, range(12)))
    codes = sorted(code for code, _ in results)
    assert check.calls <= LoginThrottle.FREE
    assert codes.count(401) == check.calls and codes.count(429) == 12 - check.calls
    refused = [took for code, took in results if code == 429]
    assert max(refused) < check.hold, "a refused attempt waited for something"
    # the right password is refused too until the wait is over: the account is locked, not
    # the address
    assert post_login(app, "ed", PASSWORD, "127.0.0.99").status_code == 429


def test_a_refused_login_says_how_long_to_wait(app: Any) -> None:
    for _ in range(LoginThrottle.FREE):
        assert post_login(app, "ed", "wrong").status_code == 401
    r = post_login(app, "ed", "wrong")
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Too many failed attempts" in r.text
    assert post_login(app, "ayse", PASSWORD).status_code == 303  # someone else is not held up


def test_one_address_trying_many_names_is_held_back(app: Any) -> None:
    codes = [
        post_login(app, f"name{i}", "wrong", "10.9.8.7").status_code
        for i in range(LoginThrottle.ADDRESS_FREE + 2)
    ]
    assert codes[: LoginThrottle.ADDRESS_FREE] == [401] * LoginThrottle.ADDRESS_FREE
    assert codes[LoginThrottle.ADDRESS_FREE :] == [429, 429]
    assert post_login(app, "ayse", PASSWORD, "10.9.8.7").status_code == 429
    assert post_login(app, "ayse", PASSWORD, "10.9.8.8").status_code == 303


def test_past_the_password_checks_a_login_is_refused_at_once(app: Any, monkeypatch: Any) -> None:
    check = CountingCheck(hold=1.0)
    monkeypatch.setattr(auth, "check_password", check)
    app.state.web.throttle.slots = 2
    start = threading.Barrier(8)

    def attempt(i: int) -> tuple[int, float, str]:
        client = TestClient(app, follow_redirects=False, client=(f"127.0.1.{i}", 40000))
        token = csrf(client)
        start.wait()
        began = time.perf_counter()
        r = client.post(
            "/login", data={"name": f"someone{i}", "password": "wrong", "csrf_token": token}
        )
        return r.status_code, time.perf_counter() - began, r.text

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(8)))
    assert check.most <= 2
    busy = [(took, text) for code, took, text in results if code == 429]
    assert len(busy) >= 8 - 2 * 2  # at most two checks at once, each 1 s, in the burst
    assert all("checked right now" in text for _, text in busy)
    assert max(took for took, _ in busy) < 1.0
    assert [code for code, _, _ in results].count(401) == check.calls


def test_a_database_error_is_not_a_failed_attempt(app: Any, monkeypatch: Any) -> None:
    def down(*_: Any) -> Any:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(auth, "_check_login", down)
    for _ in range(LoginThrottle.FREE + 2):
        r = post_login(app, "ed", PASSWORD)
        assert r.status_code == 503 and r.headers["retry-after"]
    throttle = app.state.web.throttle
    assert throttle.checking == 0 and throttle.admit("ed", "127.0.0.1") is not None
    monkeypatch.undo()


# -- the throttle alone, on a clock of its own -----------------------------------------------


def test_backoff_doubles_and_is_forgotten() -> None:
    clock = Clock()
    t = LoginThrottle(slots=4, clock=clock)
    for _ in range(LoginThrottle.FREE):
        got = t.admit("ed", "a")
        assert isinstance(got, Attempt)
        t.finish(got, "failed")
    refused = t.admit("ed", "b")
    assert isinstance(refused, Refused) and not refused.busy and refused.seconds == 1.0
    waits = []
    for _ in range(4):
        clock.now += 2 ** len(waits)
        got = t.admit("ed", "b")
        assert isinstance(got, Attempt), waits
        t.finish(got, "failed")
        refused = t.admit("ed", "b")
        assert isinstance(refused, Refused)
        waits.append(refused.seconds)
    assert waits == [2.0, 4.0, 8.0, 16.0]
    clock.now += LoginThrottle.WINDOW + 1
    assert isinstance(t.admit("ed", "b"), Attempt)


def test_in_flight_attempts_count() -> None:
    t = LoginThrottle(slots=100, clock=Clock())
    admitted = [t.admit("ed", f"10.0.0.{i}") for i in range(12)]
    assert sum(isinstance(a, Attempt) for a in admitted) == LoginThrottle.FREE
    assert t.checking == LoginThrottle.FREE


def test_success_forgets_the_account_and_undoes_itself() -> None:
    t = LoginThrottle(slots=4, clock=Clock())
    for _ in range(LoginThrottle.FREE - 1):
        a = t.admit("ed", "x")
        assert isinstance(a, Attempt)
        t.finish(a, "failed")
    a = t.admit("ed", "x")
    assert isinstance(a, Attempt)
    t.finish(a, "ok")
    for _ in range(LoginThrottle.FREE):
        a = t.admit("ed", "x")
        assert isinstance(a, Attempt)
        t.finish(a, "failed")
    assert isinstance(t.admit("ed", "x"), Refused)


def test_overall_limit_per_minute() -> None:
    clock = Clock()
    clock.now = 60_000.0
    t = LoginThrottle(slots=1000, clock=clock)
    for i in range(LoginThrottle.PER_MINUTE):
        a = t.admit(f"n{i}", f"10.{i // 250}.{i % 250}.1")
        assert isinstance(a, Attempt), i
        t.finish(a, "failed")
    refused = t.admit("fresh", "192.0.2.1")
    assert isinstance(refused, Refused) and 0 < refused.seconds <= 60
    clock.now += 60
    assert isinstance(t.admit("fresh", "192.0.2.1"), Attempt)


def test_the_gate_refuses_past_its_slots() -> None:
    t = LoginThrottle(slots=2, clock=Clock())
    a, b = t.admit("a", "1"), t.admit("b", "2")
    assert isinstance(a, Attempt) and isinstance(b, Attempt)
    busy = t.admit("c", "3")
    assert isinstance(busy, Refused) and busy.busy
    t.finish(a, "void")
    c = t.admit("c", "3")
    assert isinstance(c, Attempt)
    assert t.checking == 2


def test_client_keys() -> None:
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("2001:db8:1:2:3:4:5:6") == client_key("2001:db8:1:2:ffff::1")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key(None) == "?" and client_key("testclient") == "testclient"
