"""Editor pages: the tasks of each language (assign, reprioritise, set due dates, cancel)
and the review queue (approve, or reject with a reason)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask

from sync.db.models import OPEN_TASK_STATES
from sync.db.session import transaction
from sync.errors import ConflictError, InputError, NotFound, PermissionDenied
from sync.i18n import t_
from sync.nudge import nudge
from sync.queue import TASK_STATES, list_tasks
from sync.status import load_rows
from sync.web import queries
from sync.web.auth import Actor, check_csrf, page_editor, safe_next
from sync.web.i18n import _
from sync.web.render import flash
from sync.web.state import web

router = APIRouter(include_in_schema=False)

PER_PAGE = 100
REVIEW_PER_PAGE = 25
ACT_ERRORS = (ConflictError, InputError, NotFound, PermissionDenied)


def titles(session: Any, settings: Any, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    return {r.post.key: r.title for r in load_rows(session, settings, sorted(set(keys)))}


@router.get("/tasks")
def tasks_page(
    request: Request,
    lang: str | None = None,
    state: str = "open",
    page: int = Query(1, ge=1),
    sort: str = "queue",
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.workload import task_risks

    web_ = web(request)
    settings = web_.settings
    sort = sort if sort in ("queue", "words") else "queue"
    if state not in ("open", "all", *TASK_STATES):
        raise InputError(
            t_(
                "task state %(state)s: use open, all, or one of %(states)s",
                state=repr(state),
                states=", ".join(TASK_STATES),
            )
        )
    with transaction(settings.database_url) as session:
        counts = queries.task_counts(session)
        if lang not in settings.languages:
            busy = [
                x for x in settings.languages if any(counts.get((x, s)) for s in OPEN_TASK_STATES)
            ]
            lang = busy[0] if busy else settings.languages[0]
        states = OPEN_TASK_STATES if state == "open" else (() if state == "all" else (state,))
        items = list_tasks(
            session,
            lang=lang,
            states=states,
            limit=PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
            sort=sort,
        )
        names = titles(session, settings, [k for _t, k in items])
        risks = task_risks(
            session, settings, [(t.id, t.lang, t.state, t.due) for t, _k in items[:PER_PAGE]]
        )
        translators = queries.translators_by_lang(session).get(lang, [])
    open_counts = {
        x: sum(counts.get((x, s), 0) for s in OPEN_TASK_STATES) for x in settings.languages
    }
    return web_.renderer.page(
        request,
        "tasks.html",
        {
            "lang": lang,
            "state": state,
            "items": items[:PER_PAGE],
            "titles": names,
            "translators": translators,
            "open_counts": open_counts,
            "page": page,
            "more": len(items) > PER_PAGE,
            "task_states": TASK_STATES,
            "sort": sort,
            "risks": risks,
            "rate": settings.word_rates.get(lang),
            "currency": settings.currency,
            "today": dt.date.today().isoformat(),
        },
    )


def _back(back: str, default: str = "/tasks") -> str:
    return safe_next(back, default)


def confirm_page(
    request: Request,
    *,
    action: str,
    heading: str,
    question: str,
    yes: str,
    back: str,
    fields: dict[str, str] | None = None,
    reason: str | None = None,
    reason_value: str = "",
) -> Response:
    """The second step of an act sent without ``confirm=yes``: a page asking for it."""
    return web(request).renderer.page(
        request,
        "confirm.html",
        {
            "action": action,
            "heading": heading,
            "question": question,
            "yes": yes,
            "back": back,
            "fields": fields or {},
            "reason": reason,
            "reason_value": reason_value,
        },
    )


@router.post("/tasks/{task_id}/assign", dependencies=[Depends(check_csrf)])
def assign(
    request: Request,
    task_id: int,
    to: str = Form(""),
    back: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.queue import assign as run

    settings = web(request).settings
    try:
        if not to:
            raise InputError(_("Choose a translator first."))
        with transaction(settings.database_url) as session:
            run(session, settings, task_id, actor.name, to)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", _("Task #%(id)d assigned to %(name)s.") % {"id": task_id, "name": to})
    return RedirectResponse(_back(back), 303)


@router.post("/tasks/{task_id}/update", dependencies=[Depends(check_csrf)])
def update(
    request: Request,
    task_id: int,
    priority: str = Form(""),
    due: str = Form(""),
    back: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.queue import update_task

    settings = web(request).settings
    try:
        try:
            prio = int(priority) if priority.strip() else None
            day = dt.date.fromisoformat(due) if due.strip() else None
        except ValueError as exc:
            raise InputError(_("Priority must be a whole number and the due date a date.")) from exc
        with transaction(settings.database_url) as session:
            update_task(session, task_id, actor.name, priority=prio, due=day)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", _("Task #%(id)d updated.") % {"id": task_id})
    return RedirectResponse(_back(back), 303)


@router.post("/tasks/{task_id}/cancel", dependencies=[Depends(check_csrf)])
def cancel(
    request: Request,
    task_id: int,
    reason: str = Form(""),
    back: str = Form(""),
    confirm: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.queue import cancel as run

    settings = web(request).settings
    if confirm != "yes":
        return confirm_page(
            request,
            action=f"/tasks/{task_id}/cancel",
            heading=_("Cancel task"),
            question=_(
                "Cancel task #%(id)d? Its translator can no longer submit it, and it "
                "is not planned again until the source changes."
            )
            % {"id": task_id},
            yes=_("Yes, cancel task #%(id)d") % {"id": task_id},
            back=_back(back),
            fields={"back": back},
            reason=_("Reason (optional)"),
            reason_value=reason,
        )
    try:
        with transaction(settings.database_url) as session:
            run(session, task_id, actor.name, reason)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", _("Task #%(id)d cancelled.") % {"id": task_id})
    return RedirectResponse(_back(back), 303)


@router.get("/review")
def review_page(
    request: Request,
    lang: str | None = None,
    page: int = Query(1, ge=1),
    actor: Actor = Depends(page_editor),
) -> Response:
    """What waits for review, per language, a page at a time; each task's own page shows
    the submission beside the previous translation."""
    web_ = web(request)
    settings = web_.settings
    if lang and lang not in settings.languages:
        lang = None
    with transaction(settings.database_url) as session:
        counts = queries.task_counts(session)
        waiting = {x: counts.get((x, "submitted"), 0) for x in settings.languages}
        total = waiting[lang] if lang else sum(waiting.values())
        pages = max(1, -(-total // REVIEW_PER_PAGE))
        page = min(page, pages)  # past the end (the queue got shorter): its last page
        items = list_tasks(
            session,
            lang=lang,
            states=["submitted"],
            limit=REVIEW_PER_PAGE,
            offset=(page - 1) * REVIEW_PER_PAGE,
        )
        names = titles(session, settings, [k for _t, k in items])
    return web_.renderer.page(
        request,
        "review.html",
        {
            "items": items,
            "titles": names,
            "lang": lang,
            "review_on": settings.review,
            "waiting": waiting,
            "total": total,
            "page": page,
            "pages": pages,
            "params": {"lang": lang},
        },
    )


@router.post("/review/{task_id}/approve", dependencies=[Depends(check_csrf)])
def approve(
    request: Request,
    task_id: int,
    back: str = Form(""),
    submission_digest: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    """Approve the submission the page showed (the form names it): never a newer one."""
    from sync.submission import approve as run

    settings = web(request).settings
    try:
        with transaction(settings.database_url) as session:
            result = run(session, settings, task_id, actor.name, seen=submission_digest)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
        return RedirectResponse(f"/tasks/{task_id}", 303)
    if result["state"] == "conflict":
        flash(
            request,
            "error",
            _(
                "Task #%(id)d is in conflict: the file changed since the "
                "last scan, so nothing was written. Choose which text "
                "to keep on the task page."
            )
            % {"id": task_id},
        )
        return RedirectResponse(
            f"/tasks/{task_id}", 303, background=BackgroundTask(nudge, settings)
        )
    flash(
        request,
        "ok",
        _("Task #%(id)d approved: the translation is written back.") % {"id": task_id},
    )
    return RedirectResponse(_back(back, "/review"), 303, background=BackgroundTask(nudge, settings))


@router.post("/tasks/{task_id}/resolve", dependencies=[Depends(check_csrf)])
def resolve(
    request: Request,
    task_id: int,
    keep: str = Form(""),
    confirm: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.submission import resolve as run

    settings = web(request).settings
    if confirm != "yes":  # both choices change text on disk or close the task: two steps
        flash(request, "error", _("Choose which text to keep, then confirm."))
        return RedirectResponse(f"/tasks/{task_id}", 303)
    try:
        with transaction(settings.database_url) as session:
            result = run(session, settings, task_id, actor.name, keep)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
    else:
        if result["state"] == "done":
            flash(
                request,
                "ok",
                _("Task #%(id)d is done: the translation is written back.") % {"id": task_id},
            )
        elif result["state"] == "cancelled":
            flash(
                request, "ok", _("Task #%(id)d is closed; what is on disk stays.") % {"id": task_id}
            )
        else:
            flash(request, "error", _("Task #%(id)d is still in conflict.") % {"id": task_id})
    return RedirectResponse(f"/tasks/{task_id}", 303, background=BackgroundTask(nudge, settings))


@router.post("/review/{task_id}/reject", dependencies=[Depends(check_csrf)])
def reject(
    request: Request,
    task_id: int,
    reason: str = Form(""),
    back: str = Form(""),
    submission_digest: str = Form(""),
    actor: Actor = Depends(page_editor),
) -> Response:
    from sync.submission import reject as run

    settings = web(request).settings
    try:
        with transaction(settings.database_url) as session:
            run(session, settings, task_id, actor.name, reason, seen=submission_digest)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
        return RedirectResponse(f"/tasks/{task_id}#decision", 303)
    flash(request, "ok", _("Task #%(id)d sent back to its translator.") % {"id": task_id})
    return RedirectResponse(_back(back, "/review"), 303)
