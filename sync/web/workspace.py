"""Translator pages: my tasks, "claim next" per language, and the task page with its
side-by-side editor, PO download and upload. Every problem is shown beside its segment."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from sync.db.session import transaction
from sync.errors import (
    ConflictError,
    InputError,
    NotFound,
    PermissionDenied,
)
from sync.nudge import nudge
from sync.queue import get_task, list_tasks
from sync.web import queries
from sync.web.api_tasks import may_see, po_filename
from sync.web.auth import Actor, check_csrf, page_actor
from sync.web.i18n import _, language_name
from sync.web.manage import confirm_page, titles
from sync.web.render import flash
from sync.web.state import read_upload, web

router = APIRouter(include_in_schema=False)

ACT_ERRORS = (ConflictError, InputError, NotFound, PermissionDenied)
SEGMENT_PROBLEM = re.compile(r"^segment (\d+): (.*)$", re.DOTALL)
FIELD = re.compile(r"^t(\d{1,5})$")
KEEP = re.compile(r"^same(\d{1,5})$")
SHOWN = re.compile(r"^h(\d{1,5})$")


@router.get("/my")
def my_tasks(request: Request, actor: Actor = Depends(page_actor)) -> Response:
    state = web(request)
    settings = state.settings
    with transaction(settings.database_url) as session:
        mine = list_tasks(session, assignee=actor.name)
        waiting = queries.queued(session)
        names = titles(session, settings, [k for _t, k in mine])
    # open work of theirs: a submission in conflict waits for an editor, but is still theirs
    current = [(t, k) for t, k in mine if t.state in ("claimed", "submitted", "conflict")]
    done = sorted(
        ((t, k) for t, k in mine if t.state == "done"),
        key=lambda item: item[0].finished_at or item[0].updated_at,
        reverse=True,
    )[:10]
    langs = actor.languages or (list(settings.languages) if actor.is_editor else [])
    return state.renderer.page(
        request,
        "my.html",
        {
            "current": current,
            "done": done,
            "titles": names,
            "claimable": [(lang, waiting.get(lang, 0)) for lang in langs],
        },
    )


@router.post("/my/claim", dependencies=[Depends(check_csrf)])
def claim_next(
    request: Request, lang: str = Form(""), actor: Actor = Depends(page_actor)
) -> Response:
    from sync.queue import claim

    settings = web(request).settings
    try:
        if lang not in settings.languages:
            raise InputError(_("Choose one of your languages."))
        with transaction(settings.database_url) as session:
            got = claim(session, settings, actor.name, lang)
            task_id = got[0].id if got else None
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
        return RedirectResponse("/my", 303)
    if task_id is None:
        flash(
            request,
            "info",
            _("Nothing to claim in %(lang)s right now.") % {"lang": language_name(lang)},
        )
        return RedirectResponse("/my", 303)
    flash(
        request,
        "ok",
        _("Task #%(id)d is yours. The lease runs for %(hours)g hours; renew it if you need longer.")
        % {"id": task_id, "hours": settings.lease_hours},
    )
    return RedirectResponse(f"/tasks/{task_id}", 303)


def split_problems(problems: list[str]) -> tuple[dict[int, list[str]], list[str]]:
    """Problems named "segment N: …" by position, and the others."""
    by_position: dict[int, list[str]] = {}
    other = []
    for problem in problems:
        params = getattr(problem, "params", {})
        if "pos" in params and "problem" in params:  # a core message: keep it translatable
            by_position.setdefault(int(params["pos"]), []).append(params["problem"])
            continue
        m = SEGMENT_PROBLEM.match(problem)
        if m:
            by_position.setdefault(int(m.group(1)), []).append(m.group(2))
        else:
            other.append(problem)
    return by_position, other


def render_task(
    request: Request,
    actor: Actor,
    task_id: int,
    *,
    entered: dict[int, str] | None = None,
    problems: dict[int, list[str]] | None = None,
    errors: list[str] | None = None,
    po_errors: list[str] | None = None,
    shown: dict[int, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The task page. ``entered``: what the translator typed, shown instead of what the
    task holds; ``shown``: for those fields, the digest of what the page showed before (so
    a save from this page still tells the translator's edits from a stale field)."""
    from sync.submission import unreviewed
    from sync.taskview import review_detail, task_detail

    state = web(request)
    settings = state.settings
    with transaction(settings.database_url) as session:
        task, _key = get_task(session, task_id)
        if not may_see(actor, task):
            raise PermissionDenied(_("Task #%(id)d is not yours.") % {"id": task_id})
        # an editor looking at a submission reviews it: what it changes, and the checks
        reviewing = task.state == "submitted" and actor.is_editor
        detail = (review_detail if reviewing else task_detail)(session, settings, task_id)
        from sync.notify.webhooks import notifications_for

        told = notifications_for(session, task_id=task_id)  # which went out (issue 18)
    saved = task.progress or {}
    for seg in detail["segments"]:
        pos = seg["position"]
        seg["shown"] = (shown or {}).get(pos) or digest(seg["translation"])
        # a changed segment still holding the translation of its old text, or a text lined
        # up with it by a guess, needs a look
        seg["needs_review"] = (seg["change"] == "changed" or seg["guessed"]) and bool(
            seg["translation"] and str(pos) not in saved
        )
        if entered and pos in entered:
            seg["translation"] = entered[pos]
            seg["needs_review"] = False
    editable = task.state == "claimed" and task.assignee == actor.name
    translated = sum(1 for s in detail["segments"] if s["translation"] and not s["needs_review"])
    return state.renderer.page(
        request,
        "task.html",
        {
            "task": detail,
            "editable": editable,
            "problems": problems or {},
            "errors": errors or [],
            "po_errors": po_errors or [],
            "translated": translated,
            "review_on": settings.review,
            "reviewing": reviewing,
            "notifications": told,
            # four eyes: the person who submitted sees the review, not the approve button
            "may_approve": reviewing
            and not (settings.four_eyes_on and detail.get("submitted_by") == actor.name),
            # and a submission in conflict that nobody approved: keeping it approves it
            "may_keep_submitted": not (
                task.state == "conflict"
                and unreviewed(settings, task)
                and settings.four_eyes_on
                and (task.submission or {}).get("submitted_by") == actor.name
            ),
        },
        status_code=status_code,
    )


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: int, actor: Actor = Depends(page_actor)) -> Response:
    return render_task(request, actor, task_id)


def _save(
    request: Request,
    actor: Actor,
    task_id: int,
    translations: dict[int, str],
    submit: bool,
    keep_source: set[int] | None = None,
    shown: dict[int, str] | None = None,
) -> Response:
    from sync.errors import SubmissionError

    settings = web(request).settings
    try:
        from sync.pofiles import submit_segments
    except ImportError:
        flash(
            request,
            "error",
            _(
                "Saving from the browser is not available on this server; "
                "download the PO file instead."
            ),
        )
        return RedirectResponse(f"/tasks/{task_id}", 303)
    typed = translations
    edited: dict[int, str] | None = None
    try:
        with transaction(settings.database_url) as session:
            now = holds(session, settings, task_id)
            edited = edited_only(translations, shown or {}, now)
            translations = edited
            if submit:  # the fields left as shown submit what the task holds now
                kept = {pos: now[pos] for pos in typed if pos not in edited and now.get(pos)}
                translations = {**kept, **edited}
            result = submit_segments(
                session,
                settings,
                task_id,
                actor.name,
                translations,
                partial=not submit,
                save_only=not submit,
                keep_source=keep_source,
            )
    except SubmissionError as exc:
        by_position, other = split_problems(exc.problems)
        return render_task(
            request,
            actor,
            task_id,
            entered=translations,
            problems=by_position,
            errors=[exc.message, *other],
            shown={pos: (shown or {}).get(pos, "") for pos in edited or {}},
            status_code=422,
        )
    except ACT_ERRORS:
        # the task was lost meanwhile (lease expired, reassigned, cancelled): what was typed
        # goes back to the translator, never only a flash over a page they cannot see
        from sync.web.lost import give_back

        mine = edited if edited is not None else {p: t for p, t in typed.items() if t.strip()}
        return give_back(request, actor, task_id, mine, submit=submit, render_task=render_task)
    flash(request, "ok", outcome(result, task_id))
    target = f"/tasks/{task_id}" if result.get("state") == "claimed" else "/my"
    return RedirectResponse(target, 303, background=BackgroundTask(nudge, settings))


def digest(text: str | None) -> str:
    """A short fingerprint of a field's text as the page shows it (the form carries one per
    field): line ends and the blank edges a browser may change do not count."""
    norm = (text or "").replace("\r\n", "\n").strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:16]


def holds(session: Any, settings: Any, task_id: int) -> dict[int, str]:
    """What the editor would show in each field now: saved progress, else the current
    translation of an update task."""
    from sync.taskview import task_detail

    return {
        s["position"]: s["translation"] or ""
        for s in task_detail(session, settings, task_id)["segments"]
    }


def edited_only(
    translations: dict[int, str], shown: dict[int, str], now: dict[int, str]
) -> dict[int, str]:
    """The fields the translator changed from what the page showed (``shown``: a digest per
    field), emptied ones included (a deliberate clear). A field left as the page showed it
    is no edit: a stale empty field must not clear text saved meanwhile (the API, a PO
    upload, another tab), and an update task's pre-filled old translations are not
    progress. A form with no digest for a field (a page from before they existed) is
    compared with what the task holds now."""
    return {
        pos: text
        for pos, text in translations.items()
        if (digest(text) != shown[pos] if pos in shown else text != now.get(pos, ""))
    }


def outcome(result: dict[str, Any], task_id: int) -> str:
    """What a submission did, in the UI language."""
    if result.get("state") == "claimed":
        if "segments" in result:
            return _("Progress saved: %(done)d of %(total)d segments translated.") % {
                "done": result.get("translated", 0),
                "total": result.get("segments", 0),
            }
        return _("Progress saved; the task stays yours.")
    if result.get("state") == "submitted":
        return _("Task #%(id)d submitted; an editor will review it.") % {"id": task_id}
    return _("Task #%(id)d is done: the translation is written back and current.") % {"id": task_id}


@router.post("/tasks/{task_id}/translations", dependencies=[Depends(check_csrf)])
async def save_translations(
    request: Request, task_id: int, actor: Actor = Depends(page_actor)
) -> Response:
    """The editor's form: fields t0…tN (one per segment), h0…hN (the digest of what the
    page showed in each) and action=save|submit."""
    form = await request.form()
    translations: dict[int, str] = {}
    keep_source: set[int] = set()
    shown: dict[int, str] = {}  # what the page showed in each field, as digest()
    for name, value in form.multi_items():
        m = FIELD.match(name)
        if m and isinstance(value, str):
            translations[int(m.group(1))] = value.replace("\r\n", "\n")
        elif (k := KEEP.match(name)) and value == "yes":
            keep_source.add(int(k.group(1)))  # "same as source": a name that stays as it is
        elif (h := SHOWN.match(name)) and isinstance(value, str):
            shown[int(h.group(1))] = value
    submit = form.get("action") == "submit"
    return await run_in_threadpool(
        _save, request, actor, task_id, translations, submit, keep_source, shown
    )


@router.get("/tasks/{task_id}/po")
def download_po(request: Request, task_id: int, actor: Actor = Depends(page_actor)) -> Response:
    from sync.pofiles import task_po

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        task, key = get_task(session, task_id)
        if not may_see(actor, task):
            raise PermissionDenied(_("Task #%(id)d is not yours.") % {"id": task_id})
        data = task_po(session, settings, task_id)
    return Response(
        data,
        media_type="text/x-gettext-translation; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{po_filename(key, task.lang, task_id)}"'
        },
    )


@router.post("/tasks/{task_id}/po", dependencies=[Depends(check_csrf)])
def upload(
    request: Request,
    task_id: int,
    file: UploadFile = File(...),
    accept_fuzzy: bool = Form(False),
    partial: bool = Form(False),
    actor: Actor = Depends(page_actor),
) -> Response:
    """A PO or XLIFF file (or Markdown with front matter) for a claimed task: all or
    nothing."""
    from sync.errors import CatalogError, SubmissionError
    from sync.interchange.xliff import sniff

    settings = web(request).settings
    name = file.filename or "upload.po"
    data = read_upload(file.file, settings.max_upload_bytes, name)
    result: dict[str, Any]
    try:
        with transaction(settings.database_url) as session:
            if name.lower().endswith((".md", ".markdown")):
                from sync.submission import submit_markdown

                result = submit_markdown(session, settings, task_id, actor.name, name, data)
            elif name.lower().endswith((".xlf", ".xliff")) or (
                not name.lower().endswith((".po", ".pot")) and sniff(data) == "xliff"
            ):  # .sdlxliff, .mqxliff, .xml: XLIFF by its content, as `transync import` knows it
                from sync.interchange.tasks import submit_xliff

                result = submit_xliff(
                    session,
                    settings,
                    task_id,
                    actor.name,
                    name,
                    data,
                    accept_fuzzy=accept_fuzzy,
                    partial=partial,
                )
            else:
                from sync.pofiles import submit_po

                result = submit_po(
                    session,
                    settings,
                    task_id,
                    actor.name,
                    name,
                    data,
                    accept_fuzzy=accept_fuzzy,
                    partial=partial,
                )
    except (SubmissionError, CatalogError) as exc:
        # the box says the file was refused; a refusal that only says so is not said twice
        said = [] if isinstance(exc, SubmissionError) and exc.problems else [exc.message]
        return render_task(
            request, actor, task_id, po_errors=[*said, *exc.problem_lines()], status_code=422
        )
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
        return RedirectResponse(f"/tasks/{task_id}", 303)
    for warning in result.get("warnings", []):
        flash(request, "info", warning)
    flash(request, "ok", outcome(result, task_id))
    target = f"/tasks/{task_id}" if result.get("state") == "claimed" else "/my"
    return RedirectResponse(target, 303, background=BackgroundTask(nudge, settings))


@router.post("/tasks/{task_id}/release", dependencies=[Depends(check_csrf)])
def release(
    request: Request, task_id: int, confirm: str = Form(""), actor: Actor = Depends(page_actor)
) -> Response:
    from sync.queue import release as run

    if confirm != "yes":
        return confirm_page(
            request,
            action=f"/tasks/{task_id}/release",
            heading=_("Give back"),
            question=_(
                "Give task #%(id)d back to the queue? Anyone may claim it then; what "
                "you saved stays with the task."
            )
            % {"id": task_id},
            yes=_("Yes, give it back"),
            back=f"/tasks/{task_id}",
        )
    try:
        with transaction(web(request).settings.database_url) as session:
            run(session, task_id, actor.name)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
        return RedirectResponse(f"/tasks/{task_id}", 303)
    flash(request, "ok", _("Task #%(id)d is back in the queue.") % {"id": task_id})
    return RedirectResponse("/my", 303)


@router.post("/tasks/{task_id}/renew", dependencies=[Depends(check_csrf)])
def renew(request: Request, task_id: int, actor: Actor = Depends(page_actor)) -> Response:
    from sync.queue import renew as run

    settings = web(request).settings
    try:
        with transaction(settings.database_url) as session:
            run(session, settings, task_id, actor.name)
    except ACT_ERRORS as exc:
        flash(request, "error", exc.message)
    else:
        flash(
            request, "ok", _("Lease renewed for %(hours)g hours.") % {"hours": settings.lease_hours}
        )
    return RedirectResponse(f"/tasks/{task_id}", 303)
