"""How much work, and when it will be done: the database side of the forecast.

Loads, in a handful of queries, what ``sync.forecast`` computes from: finished work (tasks
done or submitted, with the day their translator finished), the open tasks, who is still
active in which language, when each language's queue began, and when each task's words
were pending. Builds the document ``transync forecast --json`` prints and
``GET /api/v1/forecast`` returns, and the ``cost`` and ``at_risk`` of task objects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Event, Post, Task, User, Version, utcnow
from sync.forecast import (
    Finished,
    LanguageForecast,
    OpenTask,
    Span,
    Work,
    Z,
    busy_days,
    durations,
    forecast_language,
    pending_history,
    throughput,
)
from sync.status import iso
from sync.words import price

#: Tasks whose words are pending translator work.
PENDING_STATES = ("queued", "claimed")


def pending_words(
    session: Session, pairs: Collection[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    """(post, language) → the words its translation needs now: a stale translation's changed
    and added source words, a missing one's whole source, 0 for a current one."""
    if not pairs:
        return {}
    post_ids = sorted({p for p, _ in pairs})
    rows = session.execute(
        select(
            Version.post_id,
            Version.lang,
            Version.words,
            Version.stale_words,
            Version.deleted,
            Version.stub,
            Version.revision,
            Version.based_on_revision,
            Post.source_lang,
        )
        .join(Post, Post.id == Version.post_id)
        .where(Version.post_id.in_(post_ids))
    ).all()
    versions = {(r.post_id, r.lang): r for r in rows}
    out: dict[tuple[int, str], int] = {}
    for pid, lang in pairs:
        src_lang = next((r.source_lang for r in rows if r.post_id == pid), None)
        src = versions.get((pid, src_lang)) if src_lang else None
        if src is None or src.deleted or src.stub:
            out[(pid, lang)] = 0
            continue
        v = versions.get((pid, lang))
        if v is None or v.deleted or v.stub or v.revision == 0:
            out[(pid, lang)] = src.words or 0
        elif v.based_on_revision is not None and v.based_on_revision < src.revision:
            out[(pid, lang)] = v.stale_words or 0
        else:
            out[(pid, lang)] = 0
    return out


@dataclass(frozen=True, kw_only=True)
class History:
    """Everything the forecast reads, as of ``now``."""

    now: dt.datetime
    window_days: int
    work: list[Work]
    tasks: list[OpenTask]
    active: dict[str, frozenset[str] | None]
    since: dict[str, dt.date]
    finished: list[Finished]
    spans: list[Span]

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(dt.UTC).date()


def load_history(session: Session, settings: Settings, now: dt.datetime | None = None) -> History:
    """The window's history in four queries: tasks, their submission events, users, and
    the day each language's first task was planned."""
    now = now or utcnow()
    window = settings.forecast_days
    start = dt.datetime.combine(now.astimezone(dt.UTC).date(), dt.time(), dt.UTC) - (
        dt.timedelta(days=window - 1)
    )
    rows = session.execute(
        select(
            Task.id,
            Task.lang,
            Task.state,
            Task.words,
            Task.priority,
            Task.due,
            Task.created_at,
            Task.claimed_at,
            Task.finished_at,
            Task.updated_at,
            Task.assignee,
            Task.submission.is_not(None).label("submitted"),
            Post.key,
        )
        .join(Post, Post.id == Task.post_id)
        .where(
            or_(Task.state.not_in(("done", "cancelled")), Task.finished_at >= start),
            Task.created_at <= now,
        )
    ).all()
    # a finished task's submissions, from its planning on: one submitted before the window
    # and approved inside it is the window's work on no day (the translator's day is the
    # submission's, docs/forecast.md), not on its approval's
    planned = [r.created_at for r in rows if r.state not in PENDING_STATES]
    submitted: dict[int, list[dt.datetime]] = {}
    for at, details in session.execute(
        select(Event.at, Event.details).where(
            Event.kind == "task", Event.at >= min(planned, default=start), Event.at <= now
        )
    ):
        if isinstance(details, dict) and details.get("state") == "submitted":
            task_id = details.get("task")
            if isinstance(task_id, int):
                submitted.setdefault(task_id, []).append(at)
    active: dict[str, frozenset[str] | None] = {}
    for name, role, langs in session.execute(
        select(User.name, User.role, User.langs).where(User.active.is_(True))
    ):
        active[name] = (
            None
            if role in ("admin", "editor")
            else frozenset(x for x in (langs or "").split(",") if x)
        )
    since = {
        lang: first.astimezone(dt.UTC).date()
        for lang, first in session.execute(
            select(Task.lang, func.min(Task.created_at)).group_by(Task.lang)
        )
        if first
    }
    work: list[Work] = []
    tasks: list[OpenTask] = []
    finished: list[Finished] = []
    spans: list[Span] = []
    for r in rows:
        times = sorted(submitted.get(r.id, ()))
        if r.state in PENDING_STATES:
            tasks.append(
                OpenTask(
                    id=r.id,
                    lang=r.lang,
                    state=r.state,
                    words=r.words or 0,
                    priority=r.priority,
                    due=r.due,
                    created_at=r.created_at,
                    claimed_at=r.claimed_at,
                    assignee=r.assignee,
                    post=r.key,
                )
            )
        finished_work = r.state == "done" or (r.state in ("submitted", "conflict") and r.submitted)
        if finished_work and r.words is not None:
            at = times[-1] if times else (r.finished_at or r.updated_at)
            work.append(
                Work(
                    lang=r.lang,
                    translator=r.assignee,
                    words=r.words,
                    day=at.astimezone(dt.UTC).date(),
                )
            )
        if r.state == "done" and r.finished_at is not None:
            finished.append(
                Finished(
                    lang=r.lang,
                    created_at=r.created_at,
                    claimed_at=r.claimed_at,
                    finished_at=r.finished_at,
                )
            )
        if r.state in PENDING_STATES:
            end = None
        else:
            end = times[0] if times else (r.finished_at or r.updated_at)
        spans.append(Span(lang=r.lang, words=r.words or 0, start=r.created_at, end=end))
    return History(
        now=now,
        window_days=window,
        work=work,
        tasks=tasks,
        active=active,
        since=since,
        finished=finished,
        spans=spans,
    )


def forecasts(history: History, langs: Sequence[str]) -> dict[str, LanguageForecast]:
    return {
        lang: forecast_language(
            lang,
            now=history.now,
            window_days=history.window_days,
            work=history.work,
            tasks=history.tasks,
            active=history.active,
            since=history.since.get(lang),
            busy=busy_days(history.spans, lang, today=history.today, days=history.window_days),
        )
        for lang in langs
    }


def target_langs(settings: Settings, lang: str | None = None) -> list[str]:
    """The languages translated into: every configured one (a post's source may be in any),
    or the one asked for."""
    if lang is not None:
        from sync.errors import InputError
        from sync.i18n import t_

        if lang not in settings.languages:
            raise InputError(
                t_(
                    "language %(lang)s is not configured (%(configured)s)",
                    lang=repr(lang),
                    configured=",".join(settings.languages),
                )
            )
        return [lang]
    return list(settings.languages)


def forecast_document(
    session: Session,
    settings: Settings,
    *,
    lang: str | None = None,
    now: dt.datetime | None = None,
    history: History | None = None,
) -> dict[str, Any]:
    """The object `transync forecast --json` prints and GET /api/v1/forecast returns."""
    langs = target_langs(settings, lang)
    history = history or load_history(session, settings, now)
    today = history.today
    found = forecasts(history, langs)
    pace = throughput(history.work, today=today, window_days=history.window_days)
    times = durations(history.finished, today=today, window_days=history.window_days)
    rates = settings.word_rates
    by_lang = {row["lang"]: row for row in pace["languages"]}
    doc: dict[str, Any] = {
        "generated_at": iso(history.now),
        "today": today.isoformat(),
        "window_days": history.window_days,
        "z": Z,
        "method": "docs/forecast.md",
        "languages": {},
        "translators": [t for t in pace["translators"] if lang is None or lang in t["langs"]],
    }
    if rates:
        doc["currency"] = settings.currency
    for code, f in found.items():
        entry = f.as_dict()
        entry["throughput"] = by_lang.get(code)
        entry["durations"] = times.get(code)
        if code in rates:
            entry["cost_pending"] = price(f.pending_words, rates[code])
            for task in entry["tasks"]:
                task["cost"] = price(task["words"], rates[code])
        doc["languages"][code] = entry
    return doc


def burndown(history: History, lang: str) -> list[tuple[dt.date, int]]:
    """Words pending (queued and claimed) at the end of each day of the window."""
    return pending_history(history.spans, lang, today=history.today, days=history.window_days)


def task_risks(
    session: Session,
    settings: Settings,
    tasks: Iterable[tuple[int, str, str, dt.date | None]],
    *,
    history: History | None = None,
) -> dict[int, bool | None]:
    """(id, language, state, due) → at_risk: an open task with a due date that is expected
    to finish after it at the language's pace, or that is already past it (True); expected
    by then (False); no due date, or no history to judge by (None)."""
    tasks = list(tasks)
    risks: dict[int, bool | None] = {}
    langs = sorted(
        {lang for _i, lang, state, due in tasks if state in PENDING_STATES and due is not None}
    )
    if langs:
        history = history or load_history(session, settings)
        today = history.today
        for f in forecasts(history, langs).values():
            risks.update((t.id, t.at_risk) for t in f.tasks)
    else:
        today = utcnow().date()
    out: dict[int, bool | None] = {}
    for task_id, _lang, state, due in tasks:
        risk = risks.get(task_id)
        if risk is None and due is not None and state in ("submitted", "conflict", *PENDING_STATES):
            risk = True if due < today else None
        out[task_id] = risk
    return out


def annotate_tasks(
    session: Session,
    settings: Settings,
    items: Iterable[dict[str, Any]],
    *,
    history: History | None = None,
) -> None:
    """Add ``cost`` (where TRANSYNC_WORD_RATE prices the language) and ``at_risk`` (see
    task_risks) to task objects of the contract (queue.task_dict)."""
    items = list(items)
    if not items:
        return
    rates = settings.word_rates
    risks = task_risks(
        session,
        settings,
        [
            (
                i["id"],
                i["lang"],
                i["state"],
                dt.date.fromisoformat(i["due"]) if i.get("due") else None,
            )
            for i in items
        ],
        history=history,
    )
    for item in items:
        if item["lang"] in rates and item.get("words") is not None:
            item["cost"] = price(item["words"], rates[item["lang"]])
        item["at_risk"] = risks.get(item["id"])


def digest_forecast(
    session: Session, settings: Settings, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Per language with words pending: what an editor's daily digest shows (the queue, its
    clear date and range or why there is none, the burn-down's past)."""
    history = load_history(session, settings, now)
    out = []
    for lang, f in forecasts(history, target_langs(settings)).items():
        if f.pending_words:
            out.append(
                {
                    "lang": lang,
                    "pending_words": f.pending_words,
                    "clear": f.clear,
                    "early": f.early,
                    "late": f.late,
                    "reason": f.reason,
                    "note": f.note,
                    "history": burndown(history, lang),
                    "today": history.today,
                }
            )
    return out
