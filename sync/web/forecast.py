"""The forecast on the web: GET /api/v1/forecast (as `transync forecast --json`), the
forecast page (/forecast) and the dashboard's panel, with burn-down and throughput charts
drawn as SVG by the server (sync.charts). Editors only: it shows each translator's pace."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup
from pydantic import Field
from sqlalchemy.orm import Session

from sync.charts import burndown_svg, throughput_svg, weekly
from sync.config import Settings
from sync.db.session import transaction
from sync.forecastview import day
from sync.web import i18n
from sync.web.auth import Actor, api_editor, page_editor
from sync.web.i18n import _
from sync.web.schemas import Open, answers
from sync.web.state import web
from sync.workload import History, burndown, forecast_document, load_history

router = APIRouter()


class TaskForecast(Open):
    id: int
    post: str | None
    state: str
    words: int
    cumulative_words: int = Field(
        description="This task's words and those of every task before it in the order work is done"
    )
    due: str | None
    expected: str | None = Field(description="The day it is expected done (null: no pace)")
    early: str | None
    late: str | None = Field(description="null with an expected date: beyond 10 years")
    at_risk: bool | None
    cost: float | None = None


class LanguageForecast(Open):
    lang: str
    pending_words: int = Field(description="Words of the queued and claimed tasks")
    pending_tasks: int
    history_days: int = Field(
        description="Days of the window with work pending: the pace is measured over these"
    )
    words_done: int
    translators: list[str] = Field(
        description="Whose finished work gives the pace: people still active in the language"
    )
    words_per_day: float | None = Field(description="null: no history, no forecast")
    words_per_weekday: list[float] | None = Field(description="Monday first")
    spread: float | None
    block_days: int
    blocks: int
    clear: str | None = Field(description="The day the queue clears if nothing new arrives")
    early: str | None
    late: str | None = Field(description="null with a clear date: beyond 10 years")
    reason: str | None = Field(
        description="no_history (no forecast), short_history (no range), or null"
    )
    note: str | None
    tasks: list[TaskForecast]
    throughput: dict[str, Any] | None
    durations: dict[str, Any] | None = Field(
        description="Hours from queued to claimed and from claimed to done: median and p90"
    )
    cost_pending: float | None = None


class ForecastDocument(Open):
    generated_at: str
    today: str
    window_days: int
    z: float
    method: str
    languages: dict[str, LanguageForecast]
    translators: list[dict[str, Any]] = Field(description="Words per day worked, per person")
    currency: str | None = None


def window(settings: Settings, days: int | None) -> Settings:
    return settings if days is None else dataclasses.replace(settings, forecast_days=days)


@router.get(
    "/api/v1/forecast",
    tags=["forecast"],
    summary="When each language's queue clears (as `forecast --json`)",
    **answers(ForecastDocument, 422),
)
def forecast_api(
    request: Request,
    lang: str | None = Query(None, description="Only this language."),
    days: int | None = Query(
        None,
        ge=1,
        le=3650,
        description="The past window the pace is measured over (default TRANSYNC_FORECAST_DAYS).",
    ),
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    """Per language: the pending words (queued and claimed tasks), the pace of the people
    still working in it, the day the queue clears if nothing new arrives with a range, and
    each open task's expected finish; per translator, words per day worked. A language with
    no finished work in the window has no dates (`reason`: `no_history`). Method:
    docs/forecast.md."""
    settings = window(web(request).settings, days)
    with transaction(settings.database_url, readonly=True) as session:
        return forecast_document(session, settings, lang=lang)


# -- pages ----------------------------------------------------------------------------------


def view(
    session: Session, settings: Settings, *, history: History | None = None, lang: str | None = None
) -> dict[str, Any]:
    """What the page and the panel show: the document, with dates in the reader's
    language and the charts."""
    history = history or load_history(session, settings)
    doc = forecast_document(session, settings, lang=lang, history=history)
    cards = []
    for code, f in doc["languages"].items():
        if (
            not f["pending_tasks"]
            and f["words_per_day"] is None
            and not any(w for _d, w in burndown(history, code))
        ):
            continue  # nothing pending, nothing done: nothing to show
        clear = None if f["clear"] is None else dt.date.fromisoformat(f["clear"])
        early = None if f["early"] is None else dt.date.fromisoformat(f["early"])
        late = None if f["late"] is None else dt.date.fromisoformat(f["late"])
        label = _("Words pending in %(lang)s, last %(days)d days") % {
            "lang": i18n.language_name(code),
            "days": doc["window_days"],
        }
        chart = burndown_svg(
            burndown(history, code),
            today=history.today,
            pending=f["pending_words"],
            clear=clear,
            early=early,
            late=late,
            label=label,
            forecast_label=_("Forecast: clears on %(date)s") % {"date": day(clear)},
            range_label=_("Range: %(early)s to %(late)s")
            % {"early": day(early), "late": day(late) if late else _("beyond 10 years")},
        )
        cards.append(
            {
                **f,
                "chart": Markup(chart),
                "clear_text": day(clear),
                "early_text": day(early),
                "late_text": day(late) if late else None,
                "tasks": [
                    {**t, "expected_text": day(t["expected"]), "due_text": day(t["due"])}
                    for t in f["tasks"]
                ],
            }
        )
    weeks, series = weekly(
        [
            (w.translator or "?", w.day, w.words)
            for w in history.work
            if lang is None or w.lang == lang
        ],
        today=history.today,
        days=history.window_days,
    )
    throughput = (
        Markup(
            throughput_svg(
                weeks,
                series,
                label=_("Words finished per week, per translator"),
                week_label=_("words"),
            )
        )
        if series
        else None
    )
    return {"doc": doc, "cards": cards, "throughput": throughput, "today_text": day(history.today)}


@router.get("/forecast", include_in_schema=False)
def forecast_page(
    request: Request,
    lang: str | None = None,
    days: int | None = Query(None, ge=1, le=3650),
    actor: Actor = Depends(page_editor),
) -> Response:
    settings = window(web(request).settings, days)
    state = web(request)
    i18n.activate(state.renderer.choose(request, actor), state.renderer.catalogs)
    with transaction(settings.database_url, readonly=True) as session:
        context = view(session, settings, lang=lang)
    return state.renderer.page(request, "forecast.html", {**context, "lang": lang})


def panel(request: Request, session: Session, actor: Actor) -> Markup | None:
    """The dashboard's forecast panel (editors): one card per language with work, linked to
    the forecast page; None for others."""
    if not actor.is_editor:
        return None
    state = web(request)
    i18n.activate(state.renderer.choose(request, actor), state.renderer.catalogs)
    context = view(session, state.settings)
    if not context["cards"]:
        return None
    return state.renderer.fragment("forecast_panel.html", context)
