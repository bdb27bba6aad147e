"""The web app under load: `transync serve` (uvicorn, a subprocess) on PostgreSQL, 20 concurrent
clients against the status matrix page (100 rows a page, signed in with a password) and the
JSON API's status summary (Bearer token), beside the anonymous login page (no database work)
under the same load. wrk when installed, else an httpx/asyncio load generator."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import time
from typing import Any

from bench.common import TRANSYNC, BenchError, Ctx, Launched, row, stop_process, wait_for

AREA = "web"
CLIENTS = 20
WORKERS = os.cpu_count() or 1
PASSWORD = "bench-password-1234"
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def available() -> str | None:
    """Why the web benchmark cannot run, or None."""
    try:
        from sync.web.app import create_app
    except ImportError as exc:
        return f"sync.web.app.create_app is missing ({exc})"
    params = list(inspect.signature(create_app).parameters)
    if not params or params[0] != "settings":
        return "create_app does not take settings first"
    return None


def run(ctx: Ctx) -> None:
    why = available()
    if why is None and "postgresql" not in ctx.backends:
        why = "the web benchmark runs on PostgreSQL (add it to --backends)"
    if why:
        ctx.add(row(AREA, "web (skipped)", notes=why))
        return
    for posts in ctx.pick(ctx.scale.web_sizes):
        try:
            one(ctx, posts)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(
                AREA, "GET / (matrix)", exc, backend="postgresql", size=posts, size_unit="posts"
            )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def one(ctx: Ctx, posts: int) -> None:
    import httpx

    from sync.db.session import dispose_all, transaction
    from sync.people import add_user, set_password

    corpus = ctx.corpus("postgresql", posts)
    url = corpus.checkout("web", content=False)
    settings = ctx.settings(url)
    with transaction(url) as s:
        user, token = add_user(s, settings, "bench-editor", role="editor", with_token=True)
        set_password(user, PASSWORD)
    dispose_all()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = ctx.work / f"serve-{posts}.log"
    env = ctx.env(url, TRANSYNC_SECRET_KEY="bench-" + "x" * 40, TRANSYNC_BROKER_URL=ctx.redis)
    with open(log, "ab") as logf:
        # one server process per core, as docs/operations.md recommends for production
        # and no access log: behind a proxy the proxy logs requests, and a line per request
        # written from the event loop stalls every request when the disk is busy
        server = Launched(
            [TRANSYNC, "serve", "--port", str(port), "--workers", str(WORKERS), "--no-access-log"],
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
    results: dict[str, dict[str, Any]] = {}
    rss = None
    try:

        def up() -> bool:
            try:
                return httpx.get(base + "/login", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 60, "transync serve", server, log, 0.2)
        with httpx.Client(base_url=base, timeout=30) as client:
            page = client.get("/login")
            m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            if m is None:
                raise BenchError("no csrf_token on the login page")
            done = client.post(
                "/login",
                data={
                    "name": "bench-editor",
                    "password": PASSWORD,
                    "csrf_token": m.group(1),
                    "next": "/",
                },
            )
            cookie = client.cookies.get("transync_session")
            if done.status_code >= 400 or not cookie:
                raise BenchError(f"login failed: {done.status_code}")
            matrix = client.get("/?per_page=100")
            if matrix.status_code != 200 or "post-000000" not in matrix.text:
                raise BenchError(f"GET / gave {matrix.status_code}")
        auth = {"Authorization": f"Bearer {token}"}
        summary = httpx.get(base + "/api/v1/status/summary", headers=auth, timeout=30)
        if summary.status_code != 200 or summary.json().get("total") != posts:
            raise BenchError(
                f"/api/v1/status/summary gave {summary.status_code}: {summary.text[:200]}"
            )
        seconds = ctx.scale.web_seconds
        results["login"] = load(ctx, base + "/login", {}, max(5, seconds // 2))
        # a server process loads its snapshot on its first request: seconds at 100,000 posts
        warm = max(WARM_UP, posts // 10_000)
        results["matrix"] = load(
            ctx, base + "/?per_page=100", {"Cookie": f"transync_session={cookie}"}, seconds, warm
        )
        results["api"] = load(ctx, base + "/api/v1/status/summary", auth, seconds)
    finally:
        rss = stop_process(server)
        ctx.drop_db(url)
    ref = results["login"]
    for key, op in (
        ("matrix", "GET /?per_page=100 (matrix page, signed in)"),
        ("api", "GET /api/v1/status/summary (Bearer)"),
    ):
        r = results[key]
        ctx.add(
            row(
                AREA,
                f"{op}, {CLIENTS} clients",
                backend="postgresql",
                size=posts,
                size_unit="posts",
                duration_s=r["seconds"],
                n=r["requests"],
                unit="requests",
                rate=r["rps"],
                rate_unit="req/s",
                p50_ms=r["p50_ms"],
                p95_ms=r["p95_ms"],
                errors=r["errors"],
                reference="GET /login (no database), same load",
                ref_rate=ref["rps"],
                target="p95 ≤ 50 ms",
                meets=r["p95_ms"] <= 50 and r["errors"] == 0,
                growth=True,
                growth_value=r["p95_ms"] / 1000,
                peak_rss_mb=rss if key == "matrix" else None,
                rss_how="server ru_maxrss (wait4), whole run" if key == "matrix" else None,
                notes=f"p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, p99 "
                f"{r['p99_ms']:.0f} ms, {r['errors']} errors ({r['tool']}, "
                f"`transync serve --workers {WORKERS} --no-access-log`); reference p95 "
                f"{ref['p95_ms']:.1f} ms",
            )
        )


WARM_UP = 3  # seconds of the same load before each measured run, not counted


def load(
    ctx: Ctx, url: str, headers: dict[str, str], seconds: int, warm_up: int = WARM_UP
) -> dict[str, Any]:
    """The load, measured after a short warm-up under the same load (every server process
    has then loaded its snapshot and verified the token once), as load tests are run."""
    ctx.log(f"load: {CLIENTS} clients × {seconds} s on {url} (after {warm_up} s warm-up)")
    run = wrk if shutil.which("wrk") else (lambda _ctx, u, h, s: asyncio.run(httpx_load(u, h, s)))
    run(ctx, url, headers, warm_up)
    return run(ctx, url, headers, seconds)


def wrk(ctx: Ctx, url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    script = ctx.work / "wrk-report.lua"
    script.write_text(WRK_REPORT)
    argv = ["wrk", "-t2", f"-c{CLIENTS}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script)]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    proc = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 120)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"wrk failed: {proc.stderr.strip()[:300]}")
    data = json.loads(lines[-1])
    duration = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "tool": "wrk -t2",
        "seconds": duration,
        "requests": data["requests"],
        "rps": data["requests"] / duration,
        "errors": errors,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
    }


async def httpx_load(url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    """CLIENTS clients, each one request at a time, until the time is up."""
    import httpx

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)

    async def client(c: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                r = await c.get(url, headers=headers)
                if r.status_code >= 400:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - t0)

    t0 = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=30) as c:
        await asyncio.gather(*(client(c) for _ in range(CLIENTS)))
    duration = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {
        "tool": "httpx/asyncio",
        "seconds": duration,
        "requests": len(latencies),
        "rps": len(latencies) / duration,
        "errors": errors,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
    }
