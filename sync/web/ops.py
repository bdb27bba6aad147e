"""Operations: /healthz (database and broker reachable) and /metrics (Prometheus text; 503
in plain text while the database cannot be reached)."""

from __future__ import annotations

import concurrent.futures
import math
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from sync import __version__
from sync.config import Settings
from sync.db.session import transaction
from sync.queue import TASK_STATES
from sync.state import STATES
from sync.status import snapshot_rows, summarize
from sync.web import queries
from sync.web.state import web

router = APIRouter(tags=["operations"])

BUCKETS = (
    600,
    1800,
    3600,
    4 * 3600,
    12 * 3600,
    86400,
    2 * 86400,
    4 * 86400,
    7 * 86400,
    14 * 86400,
    30 * 86400,
)
TIMEOUT = 3.0


def _short(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {message}"[:200]


def check_database(settings: Settings) -> dict[str, Any]:
    try:
        # read-only: on SQLite it takes no write lock, so it answers while others write
        with transaction(settings.database_url, readonly=True) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return {"ok": False, "error": _short(exc)}
    return {"ok": True}


def check_broker(settings: Settings) -> dict[str, Any]:
    from kombu import Connection

    scheme = settings.broker_url.split("://", 1)[0]
    try:
        with Connection(settings.broker_url, connect_timeout=2) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.5, timeout=2
            )
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": scheme, "error": _short(exc)}
    return {"ok": True, "transport": scheme}


def _bounded(fn: Any, settings: Settings) -> dict[str, Any]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(fn, settings).result(timeout=TIMEOUT)
    except concurrent.futures.TimeoutError:
        return {"ok": False, "error": f"no answer within {TIMEOUT:.0f} s"}
    finally:
        pool.shutdown(wait=False)


@router.get(
    "/healthz",
    summary="Database and broker reachable",
    responses={
        200: {
            "description": "The database answers (`status`: ok, or degraded when only the "
            "broker does not)."
        },
        503: {"description": "The database does not answer (`status`: down)."},
    },
)
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers (the broker only degrades: the outbox keeps the work),
    503 when it does not."""
    settings = web(request).settings
    db = _bounded(check_database, settings)
    broker = _bounded(check_broker, settings)
    status = "ok" if db["ok"] and broker["ok"] else ("degraded" if db["ok"] else "down")
    body = {"status": status, "version": __version__, "database": db, "broker": broker}
    return JSONResponse(
        body, status_code=200 if db["ok"] else 503, headers={"Cache-Control": "no-store"}
    )


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _histogram(
    lines: list[str], name: str, help_text: str, values: dict[str, list[float]], langs: list[str]
) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} histogram"]
    for lang in langs:
        data = sorted(values.get(lang, []))
        i = 0
        for bound in BUCKETS:
            while i < len(data) and data[i] <= bound:
                i += 1
            lines.append(f'{name}_bucket{{lang="{_label(lang)}",le="{bound}"}} {i}')
        lines.append(f'{name}_bucket{{lang="{_label(lang)}",le="+Inf"}} {len(data)}')
        total = math.fsum(data)
        lines.append(f'{name}_sum{{lang="{_label(lang)}"}} {total:.3f}')
        lines.append(f'{name}_count{{lang="{_label(lang)}"}} {len(data)}')


def exposition(settings: Settings) -> str:
    """The Prometheus text format (0.0.4), written by hand: a few gauges and histograms."""
    langs = list(settings.languages)
    with transaction(settings.database_url, readonly=True) as session:
        summary = summarize(snapshot_rows(session, settings), langs)
        counts = queries.task_counts(session)
        finished = queries.finished_tasks(session)
        pending = queries.outbox_pending(session)
        from sync.notify.webhooks import metric_lines

        notify = metric_lines(session)  # webhook deliveries and mail (issue 18)
    lines = [
        "# HELP transync_info transync version.",
        "# TYPE transync_info gauge",
        f'transync_info{{version="{_label(__version__)}"}} 1',
        "# HELP transync_posts Posts per language and state.",
        "# TYPE transync_posts gauge",
    ]
    for lang in langs:
        for state in STATES:
            lines.append(
                f'transync_posts{{lang="{_label(lang)}",state="{state}"}} '
                f"{summary[lang][str(state)]}"
            )
    lines += [
        "# HELP transync_words_pending Words of the missing and stale translations.",
        "# TYPE transync_words_pending gauge",
    ]
    lines += [
        f'transync_words_pending{{lang="{_label(lang)}"}} {summary[lang]["words_pending"]}'
        for lang in langs
    ]
    lines += [
        "# HELP transync_tasks Tasks per language and state (queued: the queue depth).",
        "# TYPE transync_tasks gauge",
    ]
    for lang in sorted({*langs, *(k[0] for k in counts)}):
        for state in TASK_STATES:
            lines.append(
                f'transync_tasks{{lang="{_label(lang)}",state="{state}"}} '
                f"{counts.get((lang, state), 0)}"
            )
    work: dict[str, list[float]] = defaultdict(list)
    lead: dict[str, list[float]] = defaultdict(list)
    for lang, work_s, lead_s in finished:
        if work_s is not None:
            work[lang].append(max(work_s, 0.0))
        lead[lang].append(max(lead_s, 0.0))
    _histogram(
        lines,
        "transync_task_duration_seconds",
        "Done tasks: seconds from the (last) claim to done.",
        work,
        langs,
    )
    _histogram(
        lines,
        "transync_task_lead_time_seconds",
        "Done tasks: seconds from planned to done.",
        lead,
        langs,
    )
    lines += [
        "# HELP transync_outbox_pending Outbox messages not done yet.",
        "# TYPE transync_outbox_pending gauge",
        f"transync_outbox_pending {pending}",
    ]
    lines += notify
    return "\n".join(lines) + "\n"


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text format 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        503: {
            "description": "The database cannot be reached: one comment line, in plain text "
            "(a scrape fails; `up` stays 1).",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
    },
)
def metrics(request: Request) -> Response:
    from sync.web.errors import DATABASE_DOWN, unreachable

    try:
        text = exposition(web(request).settings)
    except Exception as exc:
        if not unreachable(exc):
            raise
        return Response(
            f"# {DATABASE_DOWN}\n",
            status_code=503,
            media_type="text/plain; version=0.0.4; charset=utf-8",
            headers={"Cache-Control": "no-store", "Retry-After": "10"},
        )
    return Response(
        text,
        media_type="text/plain; version=0.0.4; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
