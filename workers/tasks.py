"""Thin Celery tasks: each takes ids, runs a function of `sync` in one transaction, marks its
outbox row done in that same transaction, and is safe to run twice."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task

from sync.config import Settings, load_settings
from sync.db.session import transaction

log = logging.getLogger(__name__)


class TransyncTask(Task):  # type: ignore[misc]
    """Base task: settings from the worker's environment; late acks; no results."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings


@shared_task(bind=True, base=TransyncTask, name="transync.prefill", max_retries=5)
def prefill(self: TransyncTask, task_ids: list[int], outbox_id: int | None = None) -> dict:
    from sync.memory import prefill as run
    from sync.outbox import complete

    with transaction(self.settings.database_url) as session:
        counts = run(session, self.settings, task_ids)
        complete(session, outbox_id)
    log.info("prefill %s: %s", task_ids[:5], counts)
    return counts


@shared_task(bind=True, base=TransyncTask, name="transync.export")
def export(
    self: TransyncTask,
    langs: list[str] | None = None,
    outbox_id: int | None = None,
    scheduled: bool = False,
) -> Any:
    from sync.outbox import complete

    try:
        from sync.export import export_catalogs
    except ImportError:  # catalogs not built in this deployment
        export_catalogs = None
    result = None
    if export_catalogs is not None:
        result = export_catalogs(self.settings, langs=langs, debounce_outbox=outbox_id)
    with transaction(self.settings.database_url) as session:
        complete(session, outbox_id)
    return result


@shared_task(bind=True, base=TransyncTask, name="transync.scan", max_retries=3)
def scan(
    self: TransyncTask,
    outbox_id: int | None = None,
    scheduled: bool = False,
    sources: list[str] | None = None,
) -> Any:
    from sync.outbox import complete, dispatch
    from sync.scanning import run_scan

    try:
        report = run_scan(
            self.settings,
            sources or [],
            actor="beat" if scheduled else "worker",
            scheduled=scheduled,
        )
    except Exception as exc:  # a database restart mid-scan: nothing was applied; try again
        log.warning("scan failed, retrying: %s", exc)
        raise self.retry(exc=exc, countdown=5) from exc
    with transaction(self.settings.database_url) as session:
        complete(session, outbox_id)
    dispatch(self.settings)
    return None if report is None else report.as_dict()


@shared_task(bind=True, base=TransyncTask, name="transync.expire")
def expire(self: TransyncTask, outbox_id: int | None = None) -> list[int]:
    from sync.outbox import complete
    from sync.queue import expire as run

    with transaction(self.settings.database_url) as session:
        ids = run(session)
        complete(session, outbox_id)
    return ids


@shared_task(bind=True, base=TransyncTask, name="transync.sweep")
def sweep(self: TransyncTask) -> int:
    from sync.outbox import dispatch
    from sync.outbox import sweep as run

    return dispatch(self.settings) + run(self.settings)


@shared_task(bind=True, base=TransyncTask, name="transync.noop")
def noop(self: TransyncTask, n: int = 0) -> None:
    """Does nothing: the benchmark's reference for one Celery message's round trip."""
    return None


@shared_task(bind=True, base=TransyncTask, name="transync.notify")
def notify(self: TransyncTask, outbox_id: int | None = None) -> dict:
    """The notify tick: fan out events, warn of ending leases, publish due deliveries, send
    due mail (sync.notify.tick); safe in several processes at once."""
    from sync.notify import tick

    return tick(self.settings)


@shared_task(bind=True, base=TransyncTask, name="transync.deliver")
def deliver(self: TransyncTask, delivery_ids: list[int], lease: str) -> dict:
    """Send the webhook deliveries leased to this message (sync.notify.delivery)."""
    from sync.notify.delivery import deliver as run

    return run(self.settings, delivery_ids, lease)
