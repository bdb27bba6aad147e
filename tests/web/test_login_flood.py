"""A flood of unauthenticated logins against a real `transync serve` (its own process, real
argon2 at 64 MiB per check): /healthz keeps answering 200 and an authenticated API call
keeps its latency. Before the fix, 60 logins 20 at a time took the API from 10 ms to 3.7 s
and /healthz to 503.

The flood is bounded: 20 workers on their own loopback addresses, each sending up to 10
wrong logins a second with new names (200 a second in all, where the issue's 60 came 20 at
a time), for 6 seconds, at most 3,000 requests. The numbers are written to
test-output/login-flood.json. The latency bound asserted is looser than the 100 ms target,
and compared with the same calls just before and after the flood, so that a machine busy
with other work does not fail the test, while the behaviour of before (seconds) still
would.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.helpers.processes import ROOT, TRANSYNC, Services, free_port, settings_env, wait_until
from tests.web.site import Site

WORKERS, RATE, SECONDS = 20, 10, 6  # 20 attackers at once, 10 logins a second each, 6 s
P95_TARGET = 0.100  # what the issue asks for, reported
P95_BOUND = 0.250  # asserted (or 3 × the quiet p95 on a busy machine), far below seconds
OUTPUT = ROOT / "test-output" / "login-flood.json"


class Prober:
    """Timed GETs on one kept-alive connection."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> tuple[int, float]:
        began = time.perf_counter()
        try:
            self.conn.request("GET", path, headers=self.headers)
            response = self.conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            status = 0
        return status, time.perf_counter() - began


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def probe(api: Prober, health: Prober, path: str, until: Any) -> dict[str, list[Any]]:
    """The API call and /healthz one after the other, every 50 ms, while `until()` is
    false."""
    seen: dict[str, list[Any]] = {"api": [], "api_codes": [], "health": [], "health_codes": []}
    while not until():
        code, took = api.get(path)
        seen["api_codes"].append(code)
        seen["api"].append(took)
        code, took = health.get("/healthz")
        seen["health_codes"].append(code)
        seen["health"].append(took)
        time.sleep(0.05)
    return seen


def for_seconds(seconds: float) -> Any:
    end = time.monotonic() + seconds
    return lambda: time.monotonic() > end


def test_a_login_flood_leaves_health_and_the_api_answering(site: Site, tmp_path: Path) -> None:
    services = Services(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = services.start(
        "web",
        [str(TRANSYNC), "serve", "--port", str(port), "--no-access-log"],
        settings_env(site.settings),
    )
    try:
        health = Prober(port)
        wait_until(lambda: health.get("/healthz")[0] == 200, 30, "transync serve", alive=(server,))
        api = Prober(port, site.tokens["ed"])
        path = "/api/v1/tasks?limit=20"
        assert api.get(path)[0] == 200
        before = probe(api, health, path, for_seconds(3))
        # the attackers' processor is not ours: the flood's own client runs at a lower
        # priority, so that what is measured is the server, not the test's HTTP client
        flood = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.web.flood",
                base,
                "--workers",
                str(WORKERS),
                "--rate",
                str(RATE),
                "--seconds",
                str(SECONDS),
                "--max-requests",
                "3000",
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=lambda: os.nice(5),
        )
        time.sleep(0.3)  # let it get going
        during = probe(api, health, path, lambda: flood.poll() is not None)
        out, _ = flood.communicate(timeout=60)
        after = probe(api, health, path, for_seconds(3))
        result = json.loads(out)
        log = server.log()
    finally:
        for service in services.started:
            service.stop()
    quiet = before["api"] + after["api"]
    report = {
        "api": path,
        "api_p95_quiet_ms": round(p95(quiet) * 1000, 1),
        "api_p95_during_ms": round(p95(during["api"]) * 1000, 1),
        "api_p50_during_ms": round(sorted(during["api"])[len(during["api"]) // 2] * 1000, 1),
        "api_max_during_ms": round(max(during["api"]) * 1000, 1),
        "api_calls_during": len(during["api"]),
        "healthz_codes_during": sorted(set(during["health_codes"])),
        "healthz_p95_during_ms": round(p95(during["health"]) * 1000, 1),
        "flood": result,
        "load_average": os.getloadavg()[0],
        "target_ms": P95_TARGET * 1000,
    }
    bound = max(P95_BOUND, 3 * p95(quiet) + 0.05)
    report["asserted_below_ms"] = round(bound * 1000, 1)
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2) + "\n")
    print("\nlogin flood:", json.dumps(report))
    counts = result["counts"]
    assert set(counts) <= {"401", "429"}, counts  # no error, no timeout, no 503
    assert counts.get("429", 0) > counts.get("401", 0)  # most refused before any argon2
    assert sum(counts.values()) >= WORKERS * RATE * SECONDS / 3, counts  # it was a flood
    assert len(during["api"]) >= 20
    assert set(during["health_codes"] + after["health_codes"]) == {200}, during
    assert set(during["api_codes"]) == {200}, during["api_codes"]
    # the flood may not slow the API down: three times its quiet p95 at most (on a busy
    # machine), and never past P95_BOUND otherwise. Before, it took seconds.
    assert p95(during["api"]) < bound, report
    assert "Traceback" not in log, log[-3000:]
