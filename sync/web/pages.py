"""The status matrix (everyone) and the post page (editors), with the editor's acts on them:
acknowledging a minor change, starting a scan or an export."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from sync.db.session import transaction
from sync.errors import ConflictError, InputError, TransyncError
from sync.history import acknowledge, events, get_post, translation_diff
from sync.outbox import nudge
from sync.queue import list_tasks
from sync.state import State
from sync.status import load_rows, snapshot, status_document
from sync.web import queries
from sync.web.api import status_filters
from sync.web.auth import Actor, check_csrf, page_actor, page_editor
from sync.web.i18n import _, ngettext
from sync.web.render import STATE_ORDER, flash, percent
from sync.web.state import web

router = APIRouter(include_in_schema=False)

PER_PAGE = (25, 50, 100, 200)


def progress_bars(summary: dict[str, dict[str, int]], langs: list[str]) -> list[dict[str, Any]]:
    """Per language: counts, the share of each translation state, and % current."""
    bars = []
    for lang in langs:
        counts = summary[lang]
        total = sum(counts[s] for s in STATE_ORDER)
        bars.append({
            "lang": lang,
            "counts": counts,
            "total": total,
            "current_pct": percent(counts["current"], total),
            "parts": [(s, counts[s], percent(counts[s], total)) for s in STATE_ORDER
                      if counts[s]],
        })
    return bars


@router.get("/")
def matrix(
    request: Request,
    lang: list[str] = Query([]),
    state: list[str] = Query([]),
    text: str = "",
    translator: str = "",
    baseline: list[str] = Query([]),
    page: int = Query(1, ge=1),
    per_page: int = Query(50, ge=1, le=500),
    actor: Actor = Depends(page_actor),
) -> Response:
    state_ = web(request)
    settings = state_.settings
    filters = status_filters(settings, lang, state, None, text.strip(), translator, baseline)
    shown_langs = [x for x in settings.languages if not filters.langs or x in filters.langs]
    params = {"lang": list(filters.langs), "state": list(filters.states), "text": text.strip(),
              "translator": translator, "baseline": list(filters.baselines),
              "per_page": per_page if per_page != 50 else None}
    with transaction(settings.database_url) as session:
        snap = snapshot(session, settings)
        people = snap.memo("assignees", lambda: queries.assignees(session))

    def document() -> tuple[dict[str, Any], Markup]:
        doc = status_document(snap.rows, settings, filters, page=page, per_page=per_page)
        by_key = {r.post.key: r for r in snap.rows} if doc["posts"] else {}
        table = state_.renderer.fragment("matrix_table.html", {
            "rows": [by_key[p["key"]] for p in doc["posts"]],
            "shown_langs": shown_langs,
            "actor": {"is_editor": actor.is_editor},
            "page": page,
            "pages": max(1, math.ceil(doc["total"] / per_page)),
            "params": params,
        })
        return {"summary": doc["summary"], "total": doc["total"]}, table

    # the rows, the pager and the counts depend on the snapshot, the filters, the page, the
    # role and the UI language only: rendered once, then shared by every such request
    ui_lang = getattr(request.state, "ui_lang", None)
    doc, table = snap.memo(("matrix", filters, page, per_page, actor.is_editor, ui_lang),
                           document)
    return state_.renderer.page(request, "matrix.html", {
        "table": table,
        "shown_langs": shown_langs,
        "bars": progress_bars(doc["summary"], shown_langs),
        "filters": filters,
        "params": params,
        "page": page,
        "per_page": per_page,
        "per_page_choices": PER_PAGE,
        "total": doc["total"],
        "people": people,
        "states": [str(s) for s in State],
    })


def _diffs(session: Any, settings: Any, key: str, row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for lang, cell in row.cells.items():
        if cell.state is State.STALE:
            try:
                out[lang] = translation_diff(session, settings, key, lang)
            except TransyncError:
                continue
    return out


@router.get("/posts/{key:path}")
def post_page(request: Request, key: str, actor: Actor = Depends(page_editor)) -> Response:
    state_ = web(request)
    settings = state_.settings
    with transaction(settings.database_url) as session:
        get_post(session, key)
        (row,) = load_rows(session, settings, [key])
        versions = [c.version for c in row.cells.values() if c.version is not None]
        revs = queries.revisions(session, [v.id for v in versions])
        diffs = _diffs(session, settings, key, row)
        tasks = list_tasks(session, post=key)
        history = events(session, key, limit=100)
    return state_.renderer.page(request, "post.html", {
        "row": row, "key": key, "revisions": revs, "diffs": diffs,
        "tasks": [t for t, _k in tasks], "events": history,
    })


@router.post("/posts/{key:path}/ack", dependencies=[Depends(check_csrf)])
def post_ack(request: Request, key: str, lang: str = Form(""),
             actor: Actor = Depends(page_editor)) -> Response:
    from sync.planning import plan_tasks

    settings = web(request).settings
    back = "/posts/" + key
    try:
        with transaction(settings.database_url) as session:
            post = get_post(session, key)
            acked = acknowledge(session, settings, key, lang or None, actor.name)
            plan_tasks(session, settings, {post.id}, actor=actor.name)
    except (ConflictError, InputError) as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", ngettext(
            "Acknowledged as a minor change: %(num)d translation is current again.",
            "Acknowledged as a minor change: %(num)d translations are current again.",
            len(acked)) % {"num": len(acked)})
    return RedirectResponse(back, 303, background=BackgroundTask(nudge, settings))


@router.post("/actions/scan", dependencies=[Depends(check_csrf)])
def scan(request: Request, actor: Actor = Depends(page_editor)) -> Response:
    from sync.scanning import run_scan

    settings = web(request).settings
    if not settings.sources:
        flash(request, "error", _("No source is configured (TRANSYNC_SOURCES); scan from the "
                                  "command line instead."))
        return RedirectResponse("/", 303)
    try:
        report = run_scan(settings, list(settings.sources), actor=actor.name)
    except TransyncError as exc:
        flash(request, "error", str(exc))
        return RedirectResponse("/", 303)
    if report is None:
        flash(request, "info", _("A scan is already running; try again in a moment."))
    else:
        flash(request, "ok", _("Scan finished: %(files)d files, %(new)d new revisions, "
                               "%(errors)d errors.") % {
            "files": report.files, "new": report.new_revisions, "errors": len(report.problems)})
        for problem in report.problems[:3]:
            flash(request, "error", f"{problem.origin}: {problem.reason}")
    return RedirectResponse("/", 303, background=BackgroundTask(nudge, settings))


@router.post("/actions/export", dependencies=[Depends(check_csrf)])
def export(request: Request, actor: Actor = Depends(page_editor)) -> Response:
    settings = web(request).settings
    try:
        from sync.export import export_catalogs

        result = export_catalogs(settings)
    except (ImportError, TransyncError) as exc:
        flash(request, "error", str(exc))
    else:
        changed = sum(1 for c in result.get("catalogs", []) if c.get("changed"))
        flash(request, "ok", _("Catalogs exported: %(n)d languages, %(changed)d changed.") % {
            "n": len(result.get("catalogs", [])), "changed": changed})
    return RedirectResponse("/", 303)
