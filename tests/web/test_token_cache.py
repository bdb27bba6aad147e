"""A token this process has not seen yet is verified (argon2) once, however many requests
bring it at the same moment."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from sync.db.session import get_sessionmaker, transaction
from sync.people import add_user
from sync.web import tokens
from sync.web.tokens import TokenCache
from tests.conftest import make_settings


def test_concurrent_requests_with_a_new_token_verify_it_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(sqlite_url)
    with transaction(sqlite_url) as s:
        _, token = add_user(s, settings, "ed", role="editor", with_token=True)
    calls = []
    real = tokens.user_for_token

    def slow_verify(session: Any, tok: str) -> Any:
        calls.append(tok)
        time.sleep(0.2)  # argon2 takes a while: the others arrive meanwhile
        return real(session, tok)

    monkeypatch.setattr(tokens, "user_for_token", slow_verify)
    cache = TokenCache("secret")
    maker = get_sessionmaker(sqlite_url, readonly=True)
    names: list[str | None] = []
    start = threading.Barrier(8)

    def request() -> None:
        start.wait()
        with maker() as s:
            user = cache.lookup(s, token)
            names.append(user.name if user else None)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert names == ["ed"] * 8
    assert len(calls) == 1
    with maker() as s:  # a wrong token is still refused, and verified each time
        assert cache.lookup(s, token + "x") is None
        assert cache.lookup(s, token + "x") is None
    assert len(calls) == 3
