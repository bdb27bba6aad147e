"""The Celery app, configured from transync's settings.

Broker: TRANSYNC_BROKER_URL (Redis in production, Celery's SQLAlchemy transport on
SQLite by default). JSON only, no result backend, acks late with
reject-on-worker-lost, time limits, one pre-fill queue per target language.

Redis databases: transync uses only the one named in TRANSYNC_BROKER_URL (by
convention /0 for the broker; the tests use /15).
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import schedule
from celery.signals import worker_process_init

from sync.config import Settings, load_settings

_APPS: dict[str, Celery] = {}


@worker_process_init.connect
def _own_connections(**_: object) -> None:
    """A prefork pool process must not share the parent's database connections (the worker
    checks the schema before it forks)."""
    from sync.db.session import forget_inherited

    forget_inherited()


def queues_for(settings: Settings) -> list[str]:
    """Every queue a worker with no --queues consumes: default plus prefill.<lang>."""
    return ["default", *(f"prefill.{lang}" for lang in settings.languages)]


def make_app(settings: Settings) -> Celery:
    app = Celery("transync", broker=settings.broker_url, include=["workers.tasks"])
    redis = settings.broker_url.startswith(("redis://", "rediss://"))
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_time_limit=900,
        task_soft_time_limit=840,
        worker_prefetch_multiplier=1,
        task_default_queue="default",
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=5,
        broker_transport_options=(
            {"visibility_timeout": 3600, "socket_timeout": 5, "socket_connect_timeout": 5}
            if redis
            else {}  # the SQLAlchemy transport hands these to create_engine
        ),
        worker_hijack_root_logger=False,
        beat_schedule=beat_schedule(settings),
        timezone="UTC",
        enable_utc=True,
    )
    app.transync_settings = settings  # type: ignore[attr-defined]
    return app


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    jobs: dict[str, dict[str, object]] = {
        "expire-leases": {"task": "transync.expire", "schedule": schedule(60.0)},
        "sweep-outbox": {"task": "transync.sweep", "schedule": schedule(30.0)},
        # webhooks and mail (sync.notify): fan-out, retries, lost deliveries, digests
        "notify": {
            "task": "transync.notify",
            "schedule": schedule(float(settings.notify_interval)),
        },
        "export-catalogs": {
            "task": "transync.export",
            "schedule": schedule(float(settings.export_interval)),
            "kwargs": {"scheduled": True},
        },
    }
    if settings.sources:
        jobs["scan-sources"] = {
            "task": "transync.scan",
            "schedule": schedule(float(settings.scan_interval)),
            "kwargs": {"scheduled": True},
        }
    return jobs


def get_app(settings: Settings | None = None) -> Celery:
    settings = settings or load_settings()
    app = _APPS.get(settings.broker_url)
    if app is None:
        app = _APPS[settings.broker_url] = make_app(settings)
    return app


app = get_app  # `celery -A workers.app` finds the factory; `transync worker` is the usual way
