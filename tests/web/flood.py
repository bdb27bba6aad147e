"""A bounded flood of unauthenticated logins, run as its own process so that its client
work does not slow the test's own measurements (one interpreter lock each).

    python -m tests.web.flood BASE_URL --workers 20 --rate 10 --seconds 6 --max-requests 3000

Each worker sends wrong logins, every one with a new name, from its own loopback address
(127.0.0.10, .11, …), on one kept-alive connection, at most `rate` a second (the next one
as soon as the answer came when it is late), until the time or the request budget is
spent. Prints a JSON object: how many answers of each status, and the slowest. Only
loopback addresses are ever used.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import secrets
import threading
import time
from collections import Counter
from urllib.parse import urlencode, urlsplit


def session_and_token(host: str, port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("set-cookie", "").split(";", 1)[0]
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert cookie and m, "no session cookie or CSRF token on /login"
    conn.close()
    return cookie, m.group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("base_url")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--rate", type=float, default=10.0, help="per worker, per second")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=3000)
    args = parser.parse_args()
    url = urlsplit(args.base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    assert host.startswith("127."), "the flood only ever targets this machine's loopback"
    cookie, token = session_and_token(host, port)
    deadline = time.monotonic() + min(args.seconds, 60.0)
    budget = threading.Semaphore(min(args.max_requests, 10_000))
    counts: Counter[str] = Counter()
    slowest = [0.0]
    lock = threading.Lock()

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(
            host, port, timeout=30, source_address=(f"127.0.0.{10 + i}", 0)
        )
        interval = 1.0 / args.rate if args.rate > 0 else 0.0
        next_at = time.monotonic() + interval * i / max(1, args.workers)  # spread out
        while time.monotonic() < deadline and budget.acquire(blocking=False):
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at = max(next_at + interval, time.monotonic() - interval)
            body = urlencode(
                {
                    "name": "flood-" + secrets.token_hex(4),
                    "password": "not the password",
                    "csrf_token": token,
                }
            )
            began = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/login",
                    body=body,
                    headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
                )
                response = conn.getresponse()
                response.read()
                status = str(response.status)
                if response.getheader("connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                conn.close()
            took = time.perf_counter() - began
            with lock:
                counts[status] += 1
                slowest[0] = max(slowest[0], took)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.workers)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(
        json.dumps(
            {
                "counts": dict(counts),
                "seconds": round(time.monotonic() - began, 2),
                "slowest": round(slowest[0], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
