"""Tasks: planning after every source changed, claims per second with 16 claimer processes on
PostgreSQL beside pgbench running the same claim statement, and the pre-fill pipeline on
Celery + Redis beside a no-op Celery task on the same Redis and worker."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ROOT,
    TRANSYNC,
    BenchError,
    Ctx,
    Launched,
    median,
    row,
    run_measured,
    stop_process,
    wait_for,
)
from bench.generate import change_sources

AREA = "tasks"
CLAIMERS = 16


def run(ctx: Ctx) -> None:
    prefill_sizes = [s for s in ctx.sizes if s in (ctx.scale.prefill_sizes or ctx.sizes)]
    for posts in ctx.sizes:
        for backend in ctx.backends_for(posts):
            try:
                url = planning(ctx, backend, posts)
            except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
                ctx.fail(
                    AREA,
                    "plan_tasks, every source changed",
                    exc,
                    backend=backend,
                    size=posts,
                    size_unit="posts",
                )
                continue
            if backend == "postgresql" and posts in prefill_sizes:
                try:
                    prefill_pipeline(ctx, url, posts)
                except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
                    ctx.fail(
                        AREA,
                        "pre-fill pipeline",
                        exc,
                        backend=backend,
                        size=posts,
                        size_unit="posts",
                    )
            ctx.drop_db(url)
    if "postgresql" in ctx.backends and not ctx.only_large:  # claims: a queue of fixed size
        try:
            claims(ctx)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(AREA, f"claim, {CLAIMERS} processes", exc, backend="postgresql")


# -- (a) planning ---------------------------------------------------------------------------

INSERT_SELECT = """
INSERT INTO tasks (post_id, lang, state, kind, source_revision, priority, due, created_at,
                   updated_at, progress, source_changed, cancelled_by_editor)
SELECT v.post_id, v.lang, 'queued', 'update', s.revision, s.priority, s.due, :now, :now,
       {progress}, {false}, {false}
FROM versions v
JOIN posts p ON p.id = v.post_id
JOIN versions s ON s.post_id = p.id AND s.lang = p.source_lang
WHERE v.lang <> p.source_lang AND NOT v.deleted AND NOT s.deleted AND NOT s.draft
  AND v.based_on_revision < s.revision
ON CONFLICT DO NOTHING
"""


def planning(ctx: Ctx, backend: str, posts: int) -> str:
    """Edit every source, scan without planning, then time plan_tasks over every post (each
    run rolled back but the last) beside one set-based INSERT … SELECT of the same tasks."""
    from sqlalchemy import select, text

    from sync.db.models import Post
    from sync.db.session import get_sessionmaker
    from sync.planning import plan_tasks
    from sync.scanning import run_scan

    corpus = ctx.corpus(backend, posts)
    url = corpus.checkout("plan")
    settings = ctx.settings(url)
    change_sources(corpus.content, 1.0, seed=2000)
    t0 = time.perf_counter()
    report = run_scan(settings, [str(corpus.content)], plan=False)
    scan_s = time.perf_counter() - t0
    assert report is not None
    maker = get_sessionmaker(url)
    with maker() as s:
        ids = list(s.execute(select(Post.id)).scalars())
    pg = backend == "postgresql"
    runs_n = ctx.runs_at(posts)
    sql = text(
        INSERT_SELECT.format(progress="'{}'::json" if pg else "'{}'", false="false" if pg else "0")
    )
    now = dt.datetime.now(dt.UTC)
    ref_runs, ref_rows = [], 0
    for _ in range(runs_n):
        with maker() as s:
            s.begin()
            t0 = time.perf_counter()
            ref_rows = s.execute(sql, {"now": now if pg else now.replace(tzinfo=None)}).rowcount
            ref_runs.append(time.perf_counter() - t0)
            s.rollback()
    runs: list[float] = []
    counts: dict[str, int] = {}
    try:
        for i in range(runs_n):
            with maker() as s:
                s.begin()
                t0 = time.perf_counter()
                counts = plan_tasks(s, settings, ids, actor="bench")
                s.flush()
                runs.append(time.perf_counter() - t0)
                if i == runs_n - 1:
                    s.commit()
                else:
                    s.rollback()
    except Exception as exc:  # noqa: BLE001 - e.g. a driver limit at 100,000 posts
        raise BenchError(
            f"plan_tasks over {len(ids):,} posts failed: {str(exc).splitlines()[0][:300]}"
        ) from exc
    ctx.add(
        row(
            AREA,
            "plan_tasks, every source changed",
            backend=backend,
            size=posts,
            size_unit="posts",
            runs=runs,
            n=counts.get("created", 0),
            unit="tasks",
            reference="INSERT … SELECT of the same tasks (one SQL statement)",
            ref_seconds=median(ref_runs),
            growth=True,
            notes=f"in-process; {counts}; the reference inserted {ref_rows:,} rows; the "
            f"scan before it (plan=False) took {scan_s:.1f} s",
        )
    )
    return url


# -- (b) claims -----------------------------------------------------------------------------

# the claim order exactly as sync.queue.claim writes it (due IS NULL, due = due ASC NULLS
# LAST), so that pgbench's pick can use ix_tasks_claim_order as the claim's does
PICK = (
    "SELECT id FROM {table} WHERE lang = 'tr' AND state = 'queued' "
    "ORDER BY priority DESC, due IS NULL, due, created_at, id "
    "LIMIT 1 FOR UPDATE SKIP LOCKED"
)
CLAIM_SQL = (
    "UPDATE {table} SET state = 'claimed', assignee = 'pgbench', "
    "lease_expires_at = now() + interval '48 hours', claimed_at = now(), "
    "claimed_revision = source_revision, source_changed = false, updated_at = now() "
    "WHERE id = (" + PICK + ") AND state = 'queued' RETURNING id;"
)
PROPOSED_INDEX = (
    "CREATE INDEX {name} ON {table} (lang, priority DESC, due ASC NULLS LAST, "
    "created_at, id) WHERE state = 'queued'"
)


def claims(ctx: Ctx) -> None:
    """16 claimer processes drain N queued tasks with sync.queue.claim (one transaction per
    claim, as `transync claim` does); every claim is checked to be unique."""
    from sqlalchemy import text

    from sync.db.migrate import upgrade
    from sync.db.models import Post, Task
    from sync.db.session import dispose_all, transaction
    from sync.people import add_user

    n = ctx.scale.claims
    ctx.log(f"claims: {n:,} queued tasks, {CLAIMERS} claimer processes")
    url = ctx.new_db("postgresql", "claims")
    upgrade(url)
    settings = ctx.settings(url)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with transaction(url) as s:
        for start in range(0, n, 5000):
            stop = min(n, start + 5000)
            s.execute(
                Post.__table__.insert(),
                [
                    {"id": i + 1, "key": f"claim-{i:06d}", "source_lang": "en", "created_at": base}
                    for i in range(start, stop)
                ],
            )
            s.execute(
                Task.__table__.insert(),
                [
                    {
                        "post_id": i + 1,
                        "lang": "tr",
                        "state": "queued",
                        "kind": "new",
                        "source_revision": 1,
                        "priority": 0,
                        "due": None,
                        "created_at": base + dt.timedelta(milliseconds=i),
                        "updated_at": base,
                        "progress": {},
                        "source_changed": False,
                    }
                    for i in range(start, stop)
                ],
            )
        for c in range(CLAIMERS):
            add_user(s, settings, f"claimer{c:02d}", langs=["tr"])
    with transaction(url) as s:
        s.execute(text("ANALYZE"))
    plan = explain(url, CLAIM_SQL.format(table="tasks"))  # the pick at a full queue
    pick_ms = _execution_ms(plan)
    shape = _plan_shape(plan)
    dispose_all()
    workdir = ctx.work / "claimers"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    names = [f"claimer{c:02d}" for c in range(CLAIMERS)]
    log = ctx.work / "claimers.log"
    with open(log, "ab") as logf:
        zygote = Launched(
            [sys.executable, "-m", "bench.claimers", url, str(workdir), *names],
            env=ctx.env(url, PYTHONPATH=str(ROOT)),
            stdout=logf,
            stderr=logf,
        )
    try:
        wait_for(
            lambda: all((workdir / f"ready-{x}").exists() for x in names),
            120,
            "the claimers to connect",
            zygote,
            log,
        )
        t0 = time.perf_counter()
        (workdir / "go").touch()
        zygote.wait(3600)
        elapsed = time.perf_counter() - t0
    finally:
        zygote.signal(signal.SIGKILL)
    _, tree_rss = zygote.usage()
    got = []
    for name in names:
        path = workdir / f"{name}.json"
        got.append(
            json.loads(path.read_text())
            if path.exists()
            else {"name": name, "ids": [], "error": f"{name} wrote nothing"}
        )
    errors = [g["error"] for g in got if g.get("error")]
    if errors:
        raise BenchError(f"a claimer failed: {errors[0]}")
    claimed = [i for g in got for i in g["ids"]]
    owner = {i: g["name"] for g in got for i in g["ids"]}
    doubles = len(claimed) - len(set(claimed))
    with transaction(url) as s:
        not_claimed = s.execute(
            text("SELECT count(*) FROM tasks WHERE state <> 'claimed' OR assignee IS NULL")
        ).scalar_one()
        wrong_owner = sum(
            1
            for tid, who in s.execute(text("SELECT id, assignee FROM tasks"))
            if owner.get(tid) != who
        )
        twice = s.execute(
            text(
                "SELECT count(*) FROM (SELECT details->>'task' AS t FROM events WHERE kind = 'task'"
                " AND details->>'state' = 'claimed' GROUP BY 1 HAVING count(*) > 1) x"
            )
        ).scalar_one()
    dispose_all()
    ok = (
        doubles == 0
        and not_claimed == 0
        and wrong_owner == 0
        and twice == 0
        and (len(set(claimed)) == n)
    )
    ref = pgbench(ctx, url, n, proposed=False)
    fixed = pgbench(ctx, url, max(n, 30_000 * ctx.scale.pgbench_seconds), proposed=True)
    rate = len(claimed) / elapsed
    ctx.add(
        row(
            AREA,
            f"claim, {CLAIMERS} processes (sync.queue.claim)",
            backend="postgresql",
            size=n,
            size_unit="queued tasks",
            seconds=elapsed,
            n=len(claimed),
            unit="claims",
            rate=rate,
            rate_unit="claims/s",
            reference=f"pgbench -c {CLAIMERS}, same statement, look-alike table",
            ref_rate=ref["rate"],
            peak_rss_mb=max(g["maxrss_mb"] for g in got),
            rss_how="self ru_maxrss (largest claimer)",
            tree_rss_mb=tree_rss,
            target="≥ 1,000 claims/s, zero double claims",
            meets=ok and rate >= 1000,
            checks_ok=ok,
            notes=f"double claims {doubles}, unclaimed {not_claimed}, wrong assignee "
            f"{wrong_owner}, claim events twice {twice}; pick at a full queue: "
            f"{shape}, {pick_ms} ms",
        )
    )
    ctx.add(
        row(
            AREA,
            "pgbench claim statement (reference)",
            backend="postgresql",
            size=n,
            size_unit="queued tasks",
            seconds=ref["seconds"],
            n=ref["claimed"],
            unit="claims",
            rate=ref["rate"],
            rate_unit="claims/s",
            notes=f"{ref['how']}; tps {ref['tps']:.0f}; the table's indexes as tasks'; "
            f"pick: {ref['shape']}, {ref['pick_ms']} ms; {ref['left']:,} left queued",
        )
    )
    ctx.add(
        row(
            AREA,
            "pgbench claim statement, proposed index",
            backend="postgresql",
            size=fixed["rows"],
            size_unit="queued tasks",
            seconds=fixed["seconds"],
            n=fixed["claimed"],
            unit="claims",
            rate=fixed["rate"],
            rate_unit="claims/s",
            reference="pgbench, tasks' indexes as they are",
            ref_rate=ref["rate"],
            notes=f"{fixed['how']}; with {PROPOSED_INDEX.format(name='ix', table='tasks')}; "
            f"pick: {fixed['shape']}, {fixed['pick_ms']} ms; {fixed['left']:,} left "
            "queued",
        )
    )
    ctx.drop_db(url)


def pgbench_binary() -> str:
    for candidate in (
        "/usr/bin/pgbench",
        *sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True),
    ):
        if Path(candidate).is_file():
            return str(candidate)
    raise BenchError("pgbench is not installed (postgresql-client)")


def pgbench(ctx: Ctx, url: str, rows: int, *, proposed: bool) -> dict[str, Any]:
    """pgbench running the claim statement on a copy of tasks' structure holding `rows`
    queued rows: `-T seconds`, claims/s = rows really claimed / seconds. When that runs the
    queue dry (a short queue is fast to sort), it is run again on a full table with
    `-t rows/16`, draining exactly the rows the claimers drain, and its tps is used."""
    from sqlalchemy import text

    from sync.db.session import dispose_all, transaction

    table = "bench_claims_fixed" if proposed else "bench_claims"

    def fill() -> list[str]:
        with transaction(url) as s:
            s.execute(text(f"DROP TABLE IF EXISTS {table}"))
            s.execute(
                text(f"CREATE TABLE {table} (LIKE tasks INCLUDING DEFAULTS INCLUDING INDEXES)")
            )
            s.execute(
                text(
                    f"INSERT INTO {table} (id, post_id, lang, state, kind, source_revision, "
                    "priority, created_at, updated_at, progress, source_changed, "
                    "cancelled_by_editor) SELECT g, g, 'tr', 'queued', 'new', 1, 0, "
                    "timestamptz '2026-01-01' + g * interval '1 ms', now(), "
                    f"'{{}}'::json, false, false FROM generate_series(1, {rows}) g"
                )
            )
            if proposed:
                s.execute(text(PROPOSED_INDEX.format(name=f"ix_{table}_pick", table=table)))
        with transaction(url) as s:
            s.execute(text(f"ANALYZE {table}"))
        return explain(url, CLAIM_SQL.format(table=table))

    def claimed() -> int:
        with transaction(url) as s:
            n = s.execute(
                text(f"SELECT count(*) FROM {table} WHERE state = 'claimed'")
            ).scalar_one()
        dispose_all()
        return n

    plan = fill()
    script = ctx.work / f"{table}.sql"
    script.write_text(CLAIM_SQL.format(table=table) + "\n")
    from sqlalchemy.engine import make_url

    u = make_url(url)
    env = {**os.environ, "PGPASSWORD": u.password or ""}
    base = [
        pgbench_binary(),
        "-n",
        "-c",
        str(CLAIMERS),
        "-j",
        "2",
        "-f",
        str(script),
        "-h",
        u.host or "127.0.0.1",
        "-p",
        str(u.port or 5432),
        "-U",
        u.username or "postgres",
    ]
    seconds = float(ctx.scale.pgbench_seconds)
    proc = run_measured([*base, "-T", str(ctx.scale.pgbench_seconds), u.database or ""], env=env)
    got = claimed()
    how = f"pgbench -n -c {CLAIMERS} -j 2 -T {ctx.scale.pgbench_seconds}"
    tps = _tps(proc.stdout)
    rate = got / seconds
    if got >= rows:  # ran dry: the rate above is too low; drain exactly `rows` instead
        fill()
        per_client = -(-rows // CLAIMERS)
        proc = run_measured([*base, "-t", str(per_client), u.database or ""], env=env)
        got, tps = claimed(), _tps(proc.stdout)
        done = re.search(r"actually processed: (\d+)", proc.stdout)
        processed = int(done.group(1)) if done else CLAIMERS * per_client
        rate = tps * got / max(processed, 1)
        seconds = processed / tps if tps else proc.seconds
        how += (
            f" ran the queue dry, so: -t {per_client} (drains the same {rows:,} rows "
            "as the claimers)"
        )
    with transaction(url) as s:
        s.execute(text(f"DROP TABLE {table}"))
    dispose_all()
    return {
        "seconds": seconds,
        "claimed": got,
        "rate": rate,
        "tps": tps,
        "rows": rows,
        "left": rows - got,
        "shape": _plan_shape(plan),
        "pick_ms": _execution_ms(plan),
        "how": how,
    }


def _tps(output: str) -> float:
    m = re.search(r"tps = ([\d.]+) \(without initial connection", output)
    return float(m.group(1)) if m else 0.0


def explain(url: str, sql: str) -> list[str]:
    """EXPLAIN ANALYZE of one claim, rolled back."""
    from sqlalchemy import text

    from sync.db.session import dispose_all, get_engine

    with get_engine(url).connect() as conn:
        trans = conn.begin()
        plan = [r[0] for r in conn.execute(text("EXPLAIN ANALYZE " + sql.rstrip(";")))]
        trans.rollback()
    dispose_all()
    return plan


def _execution_ms(plan: list[str]) -> float | None:
    for line in plan:
        m = re.search(r"Execution Time: ([\d.]+) ms", line)
        if m:
            return float(m.group(1))
    return None


def _plan_shape(plan: list[str]) -> str:
    """The pick's access path, e.g. 'Seq Scan + Sort' or 'Index Scan using ix_…'."""
    steps = []
    for line in plan:
        m = re.search(
            r"->\s+(Seq Scan|Index Scan using \S+|Index Only Scan using \S+|"
            r"Bitmap Heap Scan|Sort|Incremental Sort)",
            line,
        )
        if m and m.group(1) not in steps:
            steps.append(m.group(1))
    return " + ".join(s for s in steps if not s.endswith("_pkey")) or "?"


# -- (c) the pre-fill pipeline --------------------------------------------------------------


def prefill_pipeline(ctx: Ctx, url: str, posts: int) -> None:
    """Queue every open task's pre-fill through the outbox, dispatch, and wait until every
    outbox row is done; beside N no-op Celery messages through the same Redis and worker."""
    import redis
    from sqlalchemy import func, select, text, update

    from sync.db.models import Outbox, Suggestion, Task
    from sync.db.session import dispose_all, transaction
    from sync.outbox import PREFILL, dispatch, enqueue, enqueue_prefill
    from workers.app import get_app

    r = redis.Redis.from_url(ctx.redis)
    r.flushdb()
    settings = ctx.settings(url, broker_url=ctx.redis)
    with transaction(url) as s:  # planning queued its own pre-fill messages: not ours
        s.execute(
            update(Outbox).where(Outbox.done_at.is_(None)).values(done_at=dt.datetime.now(dt.UTC))
        )
        tasks = [
            (t, lang)
            for t, lang in s.execute(
                select(Task.id, Task.lang).where(Task.state == "queued").order_by(Task.id)
            )
        ]
        memory = s.execute(text("SELECT count(*) FROM memory")).scalar_one()
    dispose_all()
    if not tasks:
        raise BenchError("no queued task to pre-fill")
    vacuum_analyze(url)  # what autovacuum would have done after the scan (the server has it off)
    log = ctx.work / f"worker-{posts}.log"
    env = ctx.env(url, TRANSYNC_BROKER_URL=ctx.redis)
    with open(log, "ab") as logf:
        worker = Launched(
            [TRANSYNC, "worker", "-c", "2", "-l", "info", "-n", f"bench{posts}-{os.getpid()}@%h"],
            env=env,
            stdout=logf,
            stderr=subprocess.STDOUT,
        )
    worker_rss = None
    try:
        wait_for(
            lambda: re.search(r"@\S+ ready", log.read_text(errors="replace")),
            120,
            "the Celery worker to be ready",
            worker,
            log,
        )

        def pending(ids: list[int]) -> int:
            with transaction(url) as s:
                return s.execute(
                    select(func.count())
                    .select_from(Outbox)
                    .where(Outbox.id.in_(ids), Outbox.done_at.is_(None))
                ).scalar_one()

        def publish_all() -> None:
            while dispatch(settings):
                pass

        # warm-up: each pool process loads its language pair's memory once in its lifetime
        with transaction(url) as s:
            warm = [
                enqueue(s, PREFILL, {"task_ids": [t]}, queue=f"prefill.{lang}")
                for lang in sorted({lang for _, lang in tasks})
                for t in [t for t, x in tasks if x == lang][:4]
            ]
        publish_all()
        wait_for(lambda: pending(warm) == 0, 600, "the warm-up pre-fill", worker, log, 0.05)
        runs = []
        messages = 0
        for _ in range(ctx.runs_at(posts)):
            with transaction(url) as s:
                s.execute(update(Task).values(prefilled_revision=None))
                s.execute(Suggestion.__table__.delete())
            # every run starts from the same state: not the previous run's dead rows
            vacuum_analyze(url, "tasks", "suggestions")
            t0 = time.perf_counter()
            with transaction(url) as s:
                ids = enqueue_prefill(s, tasks)
            publish_all()
            wait_for(lambda ids=ids: pending(ids) == 0, 3600, "the pre-fill", worker, log, 0.02)
            runs.append(time.perf_counter() - t0)
            messages = len(ids)
        with transaction(url) as s:
            suggestions = s.execute(select(func.count()).select_from(Suggestion)).scalar_one()
            exact = s.execute(
                select(func.count()).select_from(Suggestion).where(Suggestion.score >= 100)
            ).scalar_one()
            with_any = s.execute(select(func.count(func.distinct(Suggestion.task_id)))).scalar_one()
        dispose_all()

        app = get_app(settings)
        noop_runs = []
        for _ in range(ctx.runs_at(posts)):
            t0 = time.perf_counter()
            with app.producer_or_acquire() as producer:
                for i in range(posts):
                    app.send_task(
                        "transync.noop", kwargs={"n": i}, queue="default", producer=producer
                    )
            wait_for(lambda: _drained(r, "default"), 3600, "the no-op tasks", worker, log, 0.01)
            noop_runs.append(time.perf_counter() - t0)
        done = _processed(app)
    finally:
        worker_rss = stop_process(worker)
        r.flushdb()
    # Units: the pipeline's rate is posts pre-filled per second (every open task of a post, here
    # 2 tasks = 2 languages, batched 200 tasks per message); the reference's is no-op
    # messages per second with one message per post. The target compares the two as the
    # issue defines it (per post); tasks/s and messages/s are in the notes.
    noop_rate = posts / median(noop_runs)
    rate = posts / median(runs)
    ctx.add(
        row(
            AREA,
            "no-op Celery task (reference)",
            backend="postgresql",
            size=posts,
            size_unit="posts",
            runs=noop_runs,
            n=posts,
            unit="messages",
            rate_unit="messages/s",
            notes=f"one no-op message per post, queue default; "
            f"worker counted {done.get('transync.noop', '?')} "
            "in total",
        )
    )
    ctx.add(
        row(
            AREA,
            "pre-fill pipeline (outbox → Redis → worker -c 2)",
            backend="postgresql",
            size=posts,
            size_unit="posts",
            runs=runs,
            n=posts,
            unit="posts",
            rate=rate,
            rate_unit="posts/s",
            reference="no-op Celery task, one message per post, same Redis+worker (messages/s)",
            ref_rate=noop_rate,
            target="≥ 2× the no-op rate",
            meets=rate >= 2 * noop_rate,
            peak_rss_mb=worker_rss,
            rss_how="worker tree ru_maxrss (wait4)",
            growth=True,
            notes=f"{len(tasks):,} tasks in {messages} messages: "
            f"{len(tasks) / median(runs):,.0f} tasks/s, "
            f"{messages / median(runs):,.1f} messages/s; memory {memory:,} pairs; "
            f"{suggestions:,} suggestions ({exact:,} exact) on {with_any:,} tasks; "
            "warm worker; VACUUM ANALYZE before the runs and after each reset "
            "(autovacuum is off on the bench server)",
        )
    )


def vacuum_analyze(url: str, *tables: str) -> None:
    """VACUUM ANALYZE (the whole database, or these tables) outside any transaction."""
    from sync.db.session import get_engine

    with get_engine(url).connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in tables or ("",):
            conn.exec_driver_sql(f"VACUUM ANALYZE {table}".strip())


def _drained(r: Any, queue: str) -> bool:
    """Nothing waiting in the queue and nothing delivered but unacknowledged (acks_late):
    twice in a row, as kombu moves a message to 'unacked' just after popping it."""
    for _ in range(2):
        if r.llen(queue) or r.hlen("unacked"):
            return False
        time.sleep(0.005)
    return True


def _processed(app: Any) -> dict[str, int]:
    try:
        stats = app.control.inspect(timeout=2.0).stats() or {}
    except Exception:  # noqa: BLE001 - only a cross-check
        return {}
    total: dict[str, int] = {}
    for info in stats.values():
        for name, count in (info.get("total") or {}).items():
            total[name] = total.get(name, 0) + count
    return total
