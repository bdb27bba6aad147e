"""Sending one webhook delivery over HTTP, and what may be said about it: a kept-alive
connection per endpoint, the retry schedule (exponential backoff, Retry-After, the
horizon), and errors and hosts with every secret part of the URL taken out. No database:
sync.notify.delivery leases, records and retries with these.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import http.client
import random
import ssl
from typing import Any
from urllib.parse import unquote, urlsplit

MAX_DELAY = dt.timedelta(hours=6)  # no single wait is longer
RESPONSE_BYTES = 4096  # read at most this much of an answer


def host_of(url: str) -> str:
    """What a log may say about an endpoint: its host, never its path or query (a chat
    service's webhook URL is itself a secret).

    >>> host_of("https://user:pw@hooks.example.org:8443/T0/B1/xyz?token=1")
    'hooks.example.org:8443'
    """
    parts = urlsplit(url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "?"


def backoff(
    attempts: int,
    first: dt.datetime,
    now: dt.datetime,
    *,
    base: float,
    horizon: dt.timedelta,
    retry_after: float | None = None,
    jitter: float = 0.1,
) -> dt.datetime | None:
    """When to try again after `attempts` failed attempts: base × 2^(attempts-1) seconds
    (at most 6 h, at least a Retry-After), ±10 %; a last try at the horizon (24 h after the
    first attempt); None past it.

    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> [(backoff(n, t0, t0, base=30, horizon=dt.timedelta(hours=24), jitter=0) - t0).seconds
    ...  for n in (1, 2, 3)]
    [30, 60, 120]
    >>> backoff(9, t0, t0 + dt.timedelta(hours=24), base=30, horizon=dt.timedelta(hours=24))
    """
    delay = min(base * 2 ** max(attempts - 1, 0), MAX_DELAY.total_seconds())
    if retry_after is not None:
        delay = max(delay, min(retry_after, MAX_DELAY.total_seconds()))
    delay *= 1 + random.uniform(-jitter, jitter)
    end = first + horizon
    if now >= end:
        return None
    return min(now + dt.timedelta(seconds=delay), end)


def retry_after_seconds(value: str | None, now: dt.datetime) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) in seconds.

    >>> retry_after_seconds("120", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    120.0
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - now).total_seconds(), 0.0)


class Sender:
    """POSTs to one endpoint over one kept-alive connection (http.client: a third of httpx's
    cost per request), opened again when the receiver closed it. Redirects are not
    followed."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.origin: tuple[str, str, int] | None = None

    def _connection(self, parts: Any) -> http.client.HTTPConnection:
        origin = (parts.scheme, parts.hostname or "", parts.port or 0)
        if self.conn is None or origin != self.origin:
            self.close()
            if parts.scheme == "https":
                self.conn = http.client.HTTPSConnection(
                    parts.hostname,
                    parts.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                self.conn = http.client.HTTPConnection(
                    parts.hostname, parts.port, timeout=self.timeout
                )
            self.origin = origin
        return self.conn

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str | None]:
        """(status, Retry-After); raises OSError or http.client.HTTPException."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.username or parts.password:
            token = base64.b64encode(
                f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
            ).decode()
            headers = {**headers, "authorization": f"Basic {token}"}
        for retry in (True, False):  # a kept-alive connection the receiver closed: once more
            conn = self._connection(parts)
            try:
                conn.request("POST", target, body=body, headers=headers)
                response = conn.getresponse()
                response.read(RESPONSE_BYTES)
                if not response.isclosed():
                    response.read()
                if response.will_close:
                    self.close()
                return response.status, response.getheader("retry-after")
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if not retry:
                    raise
            except Exception:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def safe_error(exc: BaseException, url: str) -> str:
    """An exception as a log may show it: its type and message with the URL taken out."""
    text = str(exc).replace(url, "<url>")
    parts = urlsplit(url)
    for secret in (parts.password, parts.username, parts.query, parts.path):
        if secret and len(secret) > 1:
            text = text.replace(secret, "…")
    return f"{type(exc).__name__}: {text}"[:300]
