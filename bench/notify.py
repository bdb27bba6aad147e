"""Notification fan-out (issue 18): N `task.queued` events to 3 webhook endpoints (a local
receiver in its own process that answers 200 at once), end to end through a real Celery
worker on Redis: the notify tick fans out, the worker sends 100 deliveries per message over
one kept-alive connection each and records every attempt. Beside N no-op Celery messages
through the same Redis and worker (the reference)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import (
    TRANSYNC,
    BenchError,
    Ctx,
    Launched,
    median,
    migrate,
    row,
    stop_process,
    wait_for,
)

AREA = "notify"
ENDPOINTS = 3


def run(ctx: Ctx) -> None:
    if "postgresql" not in ctx.backends:
        return
    events = 10_000 if ctx.scale_name == "full" else 2_000
    try:
        fanout(ctx, events)
    except Exception as exc:  # noqa: BLE001 - recorded; the other areas go on
        ctx.fail(
            AREA,
            f"fan-out, {events:,} task.queued × {ENDPOINTS} endpoints",
            exc,
            backend="postgresql",
            size=events,
            size_unit="events",
        )


def _serve(port_out: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    server.serve_forever()


def seed(url: str, events: int) -> None:
    """`events` queued tasks of as many posts, with their task.queued events (raw SQL: the
    planner's cost is measured elsewhere); the trigger queues the events."""
    from sqlalchemy import text

    from sync.db.session import transaction

    now = dt.datetime.now(dt.UTC)
    with transaction(url) as s:
        s.execute(
            text(
                "INSERT INTO posts (key, source_lang, created_at) "
                "SELECT 'bench-' || g, 'en', :now FROM generate_series(1, :n) g"
            ),
            {"now": now, "n": events},
        )
        s.execute(
            text(
                "INSERT INTO tasks (post_id, lang, state, kind, source_revision, priority, "
                "created_at, updated_at, progress, source_changed, cancelled_by_editor) "
                "SELECT id, 'tr', 'queued', 'new', 1, 0, :now, :now, '{}', false, false "
                "FROM posts"
            ),
            {"now": now},
        )
        s.execute(
            text(
                "INSERT INTO events (at, actor, kind, post_id, lang, details) "
                "SELECT :now, 'planner', 'task', post_id, lang, "
                "CAST(json_build_object('task', id, 'state', 'queued') AS JSON) FROM tasks"
            ),
            {"now": now},
        )


def fanout(ctx: Ctx, events: int) -> None:
    import redis
    from sqlalchemy import func, select, text

    from sync.db.models import Delivery
    from sync.db.session import dispose_all, transaction
    from sync.notify.webhooks import add_webhook
    from workers.app import get_app

    queue: Any = multiprocessing.get_context("spawn").Queue()
    receiver = multiprocessing.get_context("spawn").Process(
        target=_serve, args=(queue,), daemon=True
    )
    receiver.start()
    port = queue.get(timeout=30)
    url = ctx.new_db("postgresql", "notify")
    migrate(url)
    r = redis.Redis.from_url(ctx.redis)
    r.flushdb()
    settings = ctx.settings(url, broker_url=ctx.redis)
    with transaction(url) as s:
        for i in range(ENDPOINTS):
            add_webhook(s, f"http://127.0.0.1:{port}/hook{i}", "task.queued")
    seed(url, events)
    total = events * ENDPOINTS
    log = ctx.work / "notify-worker.log"
    env = ctx.env(url, TRANSYNC_BROKER_URL=ctx.redis)
    with open(log, "ab") as logf:
        worker = Launched(
            [TRANSYNC, "worker", "-c", "2", "-l", "warning", "-n", f"benchnotify-{os.getpid()}@%h"],
            env=env,
            stdout=logf,
            stderr=logf,
        )
    app = get_app(settings)

    def delivered() -> int:
        with transaction(url) as s:
            return s.execute(
                select(func.count()).select_from(Delivery).where(Delivery.state == "delivered")
            ).scalar_one()

    runs, noop_runs, rss = [], [], None
    try:
        wait_for(lambda: _ready(app), 120, "the Celery worker to be ready", worker, log, 0.5)
        for attempt in range(ctx.repeat):
            if attempt:  # the same events again, from an empty delivery log
                with transaction(url) as s:
                    s.execute(text("DELETE FROM notifications"))
                    s.execute(text("INSERT INTO notify_queue (event_id) SELECT id FROM events"))
            dispose_all()
            t0 = _now()
            app.send_task("transync.notify", kwargs={}, queue="default")
            wait_for(lambda: delivered() >= total, 1800, "every delivery", worker, log, 0.05)
            runs.append(_now() - t0)
        for _ in range(ctx.repeat):
            t0 = _now()
            with app.producer_or_acquire() as producer:
                for i in range(events):
                    app.send_task(
                        "transync.noop", kwargs={"n": i}, queue="default", producer=producer
                    )
            wait_for(lambda: _drained(r), 1800, "the no-op tasks", worker, log, 0.01)
            noop_runs.append(_now() - t0)
        with transaction(url) as s:
            failed = s.execute(
                text("SELECT count(*) FROM delivery_attempts WHERE result <> 'delivered'")
            ).scalar_one()
    finally:
        rss = stop_process(worker)
        receiver.terminate()
        r.flushdb()
        dispose_all()
    if failed:
        raise BenchError(f"{failed} attempts were not delivered")
    noop_rate = events / median(noop_runs)
    rate = total / median(runs)
    ctx.add(
        row(
            AREA,
            "no-op Celery task (reference)",
            backend="postgresql",
            size=events,
            size_unit="events",
            runs=noop_runs,
            n=events,
            unit="messages",
            rate_unit="messages/s",
            notes="one no-op message each, queue default, the same Redis and worker -c 2",
        )
    )
    ctx.add(
        row(
            AREA,
            f"fan-out: task.queued → {ENDPOINTS} endpoints (tick → Redis → worker -c 2 → HTTP)",
            backend="postgresql",
            size=events,
            size_unit="events",
            runs=runs,
            n=total,
            unit="deliveries",
            rate=rate,
            rate_unit="deliveries/s",
            reference="no-op Celery task (messages/s)",
            ref_rate=noop_rate,
            target="≥ 1× the no-op rate",
            meets=rate >= noop_rate,
            peak_rss_mb=rss,
            rss_how="worker tree ru_maxrss (wait4)",
            notes=f"{total:,} signed deliveries, 100 per message over one kept-alive "
            "connection, every attempt logged; the receiver answers 200 at once "
            "(its own process); from the tick's message to the last delivery "
            "recorded",
        )
    )


def _now() -> float:
    import time

    return time.perf_counter()


def _ready(app: Any) -> bool:
    try:
        return bool(app.control.inspect(timeout=1.0).ping())
    except Exception:  # noqa: BLE001
        return False


def _drained(r: Any) -> bool:
    import time

    for _ in range(2):
        if r.llen("default") or r.hlen("unacked"):
            return False
        time.sleep(0.005)
    return True
