"""The status matrix (everyone) and the post page (editors), with the editor's acts on them:
acknowledging a minor change, starting a scan or an export."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from sync.db.session import transaction
from sync.errors import ConflictError, InputError, TransyncError
from sync.history import acknowledge, events, get_post
from sync.i18n import t_
from sync.nudge import nudge
from sync.queue import list_tasks
from sync.state import State
from sync.status import load_rows, snapshot, status_document
from sync.web import queries
from sync.web.api import status_filters
from sync.web.auth import Actor, check_csrf, page_actor, page_editor
from sync.web.i18n import _, language_name, ngettext
from sync.web.i18n import _time as i18n_time
from sync.web.manage import confirm_page
from sync.web.render import STATE_ORDER, error_text, flash, percent
from sync.web.state import web

router = APIRouter(include_in_schema=False)

PER_PAGE = (25, 50, 100, 200)
SORTS = ("key", "-key", "title", "-title", "stale", "-stale")


def stale_since(row: Any, langs: Sequence[str]) -> dt.datetime | None:
    """When the longest-stale of these translations went stale (None: none is stale)."""
    times = [
        i18n_time(c.version.stale_since)
        for lang in langs
        if (c := row.cells[lang]).state is State.STALE
        and c.version is not None
        and c.version.stale_since is not None
    ]
    return min((t for t in times if t is not None), default=None)


def sort_rows(rows: Sequence[Any], sort: str, langs: Sequence[str]) -> list[Any]:
    """The matrix in the order asked for: by key (as loaded), title, or stale age over
    the shown languages (``stale``: longest stale first; posts with nothing stale last)."""
    if sort == "key":
        return list(rows)
    if sort == "-key":
        return list(reversed(rows))
    if sort in ("title", "-title"):
        return sorted(
            rows, key=lambda r: (r.title.casefold(), r.post.key), reverse=sort == "-title"
        )
    ages = {r.post.key: stale_since(r, langs) for r in rows}
    stale = [r for r in rows if ages[r.post.key] is not None]
    stale.sort(key=lambda r: (ages[r.post.key], r.post.key), reverse=sort == "-stale")
    return stale + [r for r in rows if ages[r.post.key] is None]


def progress_bars(summary: dict[str, dict[str, int]], langs: list[str]) -> list[dict[str, Any]]:
    """Per language: counts, the share of each translation state, and % current."""
    bars = []
    for lang in langs:
        counts = summary[lang]
        total = sum(counts[s] for s in STATE_ORDER)
        bars.append(
            {
                "lang": lang,
                "counts": counts,
                "total": total,
                # a whole number rounded once, as `transync status` rounds it (rounding
                # the bar's one-decimal share again made 7 of 52, 13.46%, read 14%)
                "current_pct": round(100 * counts["current"] / total) if total else 0,
                "parts": [
                    (s, counts[s], percent(counts[s], total)) for s in STATE_ORDER if counts[s]
                ],
            }
        )
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
    sort: str = "key",
    actor: Actor = Depends(page_actor),
) -> Response:
    state_ = web(request)
    settings = state_.settings
    filters = status_filters(settings, lang, state, None, text.strip(), translator, baseline)
    if sort not in SORTS:
        raise InputError(_("Sort by one of: %(sorts)s.") % {"sorts": ", ".join(SORTS)})
    shown_langs = [x for x in settings.languages if not filters.langs or x in filters.langs]
    params = {
        "lang": list(filters.langs),
        "state": list(filters.states),
        "text": text.strip(),
        "translator": translator,
        "baseline": list(filters.baselines),
        "per_page": per_page if per_page != 50 else None,
        "sort": sort if sort != "key" else None,
    }
    with transaction(settings.database_url) as session:
        snap = snapshot(session, settings)
        people = snap.memo("assignees", lambda: queries.assignees(session))
        forecast = None
        if actor.is_editor:  # the forecast panel (issue 19), once per snapshot, day, language
            from sync.web.forecast import panel

            forecast = snap.memo(
                ("forecast panel", state_.renderer.choose(request, actor), dt.date.today()),
                lambda: panel(request, session, actor),
            )

    def document() -> tuple[dict[str, Any], Markup]:
        rows = snap.memo(
            ("sorted", sort, tuple(shown_langs)), lambda: sort_rows(snap.rows, sort, shown_langs)
        )
        doc = status_document(rows, settings, filters, page=page, per_page=per_page)
        pages = max(1, math.ceil(doc["total"] / per_page))
        shown = min(page, pages)  # past the end (fewer posts match now): the last page
        if shown != page:
            doc = status_document(rows, settings, filters, page=shown, per_page=per_page)
        by_key = {r.post.key: r for r in snap.rows} if doc["posts"] else {}
        table = state_.renderer.fragment(
            "matrix_table.html",
            {
                "rows": [by_key[p["key"]] for p in doc["posts"]],
                "shown_langs": shown_langs,
                "actor": {"is_editor": actor.is_editor},
                "page": shown,
                "pages": pages,
                "params": params,
                "sort": sort,
            },
        )
        return {"summary": doc["summary"], "total": doc["total"]}, table

    # the rows, the pager and the counts depend on the snapshot, the filters, the order, the
    # page, the role and the UI language only: rendered once, then shared by every such
    # request (stale ages are counted again per request: see render.live_ages)
    ui_lang = getattr(request.state, "ui_lang", None)
    doc, table = snap.memo(
        ("matrix", filters, sort, page, per_page, actor.is_editor, ui_lang), document
    )
    return state_.renderer.page(
        request,
        "matrix.html",
        {
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
            "sort": sort,
            "forecast_panel": forecast,
            "currency": settings.currency,
        },
    )


def side_by_side(session: Any, row: Any) -> dict[str, dict[str, Any]]:
    """Per stale translation: what changed in the source since it was translated, as runs
    of changed segments (old source, new source, the translation of the old) between runs
    of unchanged ones (source and translation), for the post page's three columns."""
    from sync.segments import diff_segments
    from sync.taskview import translation_segments
    from sync.tracker import load_segments

    src = row.source
    stale = {
        lang: c.version
        for lang, c in row.cells.items()
        if c.state is State.STALE and c.version is not None
    }
    if src is None or not stale:
        return {}
    bases = {v.based_on_revision or 0 for v in stale.values()}
    segs = load_segments(session, [(src.id, n) for n in (*bases, src.revision)])
    new = list(segs.get((src.id, src.revision), ()))
    out: dict[str, dict[str, Any]] = {}
    for lang, version in stale.items():
        old = list(segs.get((src.id, version.based_on_revision or 0), ()))
        translated = translation_segments(session, version, old)
        diff = diff_segments(old, new)
        runs: list[dict[str, Any]] = []
        for op in diff.ops:
            kind = "same" if op.tag == "equal" else "changes"
            if not runs or runs[-1]["kind"] != kind:
                runs.append({"kind": kind, "items": []})
            at = new[op.new_index] if op.new_index is not None else old[op.old_index or 0]
            runs[-1]["items"].append(
                {
                    "op": op.tag,
                    "segment": at.kind,
                    "old": op.old_text,
                    "new": op.new_text,
                    "translation": translated[op.old_index] if op.old_index is not None else None,
                }
            )
        out[lang] = {
            "based_on_revision": version.based_on_revision,
            "source_revision": src.revision,
            "changed_segments": diff.changed,
            "added_segments": diff.added,
            "removed_segments": diff.removed,
            "runs": runs,
        }
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
        diffs = side_by_side(session, row)
        tasks = list_tasks(session, post=key)
        history = events(session, key, limit=100)
        from sync.notify.webhooks import notifications_for

        told = notifications_for(session, post_id=row.post.id)  # which went out (issue 18)
    return state_.renderer.page(
        request,
        "post.html",
        {
            "row": row,
            "key": key,
            "revisions": revs,
            "diffs": diffs,
            "tasks": [t for t, _k in tasks],
            "events": history,
            "notifications": told,
        },
    )


@router.post("/posts/{key:path}/ack", dependencies=[Depends(check_csrf)])
def post_ack(
    request: Request,
    key: str,
    lang: str = Form(""),
    confirm: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.planning import plan_tasks

    settings = web(request).settings
    back = "/posts/" + quote(key)
    if confirm != "yes":
        return confirm_page(
            request,
            action=back + "/ack",
            heading=_("Acknowledge as a minor change"),
            question=_(
                "Acknowledge the source change as minor? The %(lang)s translation "
                "becomes current without new work and any open task for it is "
                "cancelled; this is logged."
            )
            % {
                "lang": language_name(lang)
                if lang
                else ", ".join(language_name(x) for x in settings.languages)
            },
            yes=_("Yes, acknowledge"),
            back=back,
            fields={"lang": lang},
        )
    try:
        with transaction(settings.database_url) as session:
            post = get_post(session, key)
            acked = acknowledge(session, settings, key, lang or None, actor.name)
            plan_tasks(session, settings, {post.id}, actor=actor.name)
    except (ConflictError, InputError) as exc:
        flash(request, "error", exc.message)
    else:
        flash(
            request,
            "ok",
            ngettext(
                "Acknowledged as a minor change: %(num)d translation is current again.",
                "Acknowledged as a minor change: %(num)d translations are current again.",
                len(acked),
            )
            % {"num": len(acked)},
        )
    return RedirectResponse(back, 303, background=BackgroundTask(nudge, settings))


@router.post("/actions/scan", dependencies=[Depends(check_csrf)])
def scan(request: Request, actor: Actor = Depends(page_editor)) -> Response:
    from sync.scanning import run_scan

    settings = web(request).settings
    if not settings.sources:
        flash(
            request,
            "error",
            _("No source is configured (TRANSYNC_SOURCES): an admin sets one where transync runs."),
        )
        return RedirectResponse("/", 303)
    try:
        report = run_scan(settings, list(settings.sources), actor=actor.name)
    except TransyncError as exc:
        flash(request, "error", error_text(exc))
        return RedirectResponse("/", 303)
    if report is None:
        flash(request, "info", _("A scan is already running; try again in a moment."))
    else:
        flash(
            request,
            "ok",
            _("Scan finished: %(files)d files, %(new)d new revisions, %(errors)d errors.")
            % {"files": report.files, "new": report.new_revisions, "errors": len(report.problems)},
        )
        for problem in report.problems[:3]:
            flash(
                request,
                "error",
                t_("%(where)s: %(problem)s", where=problem.origin, problem=problem.reason),
            )
    return RedirectResponse("/", 303, background=BackgroundTask(nudge, settings))


@router.post("/actions/export", dependencies=[Depends(check_csrf)])
def export(request: Request, actor: Actor = Depends(page_editor)) -> Response:
    settings = web(request).settings
    try:
        from sync.export import export_catalogs

        result = export_catalogs(settings)
    except (ImportError, TransyncError) as exc:
        flash(request, "error", error_text(exc))
    else:
        changed = sum(1 for c in result.get("catalogs", []) if c.get("changed"))
        flash(
            request,
            "ok",
            _("Catalogs exported: %(n)d languages, %(changed)d changed.")
            % {"n": len(result.get("catalogs", [])), "changed": changed},
        )
    return RedirectResponse("/", 303)
