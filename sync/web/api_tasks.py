"""The task endpoints of the JSON API: list, detail, claim, release, renew, PO download and
upload, submit, approve, reject, assign, reprioritise, cancel. Task objects are
``queue.task_dict`` (as ``tasks --json``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, Literal

from fastapi import (
    APIRouter,
    BackgroundTasks,
    Depends,
    File,
    Form,
    Query,
    Request,
    Response,
    UploadFile,
)
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sync.db.models import Task
from sync.db.session import transaction
from sync.errors import InputError, PermissionDenied
from sync.i18n import t_
from sync.nudge import nudge
from sync.queue import TASK_STATES, get_task, list_tasks, parse_duration, task_dict
from sync.web import schemas as S
from sync.web.auth import Actor, api_actor, api_editor
from sync.web.schemas import answers, error_responses
from sync.web.state import read_upload, web

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])

NOT_YOURS = "The task is not claimed by you (or not in your languages)."
OTHERS = "A translator asking for a task assigned to someone else."


def with_more(kwargs: dict[str, Any], responses: dict[int | str, Any]) -> dict[str, Any]:
    return {**kwargs, "responses": {**kwargs["responses"], **responses}}


def may_see(actor: Actor, task: Task) -> bool:
    """Editors and admins see every task; a translator sees the tasks assigned to them."""
    return actor.is_editor or task.assignee == actor.name


def visible_task(session: Session, actor: Actor, task_id: int) -> tuple[Task, str]:
    task, key = get_task(session, task_id)
    if not may_see(actor, task):
        raise PermissionDenied(
            t_("task #%(id)d is not yours; translators see their own tasks", id=task_id)
        )
    return task, key


def lease_of(text: str | None) -> dt.timedelta | None:
    return parse_duration(text) if text else None


def po_filename(key: str, lang: str, task_id: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip(".-")[:80] or "post"
    return f"{stem}.{lang}.task{task_id}.po"


@router.get(
    "",
    summary="List tasks (as `tasks --json`)",
    **answers(S.TaskList, 403, notes={403: "A translator asked for someone else's tasks."}),
)
def tasks(
    request: Request,
    lang: str | None = None,
    state: list[str] = Query([], description=" | ".join(TASK_STATES) + " (repeatable)"),
    assignee: str | None = None,
    post: str | None = None,
    limit: int | None = Query(None, ge=1, le=10000),
    offset: int = Query(0, ge=0),
    sort: Literal["queue", "words"] = Query(
        "queue", description="queue: priority, due, age; words: largest first"
    ),
    actor: Actor = Depends(api_actor),
) -> dict[str, Any]:
    """`{"tasks": [...]}`, priority first, then earliest due, then oldest (or, with
    `sort=words`, largest first). Translators see only their own tasks. Each task has its
    `words`, its `cost` where TRANSYNC_WORD_RATE prices its language, and `at_risk`."""
    from sync.workload import annotate_tasks

    if not actor.is_editor:
        if assignee not in (None, actor.name):
            raise PermissionDenied(t_("translators see only their own tasks"))
        assignee = actor.name
    states = tuple(s.strip() for value in state for s in value.split(",") if s.strip())
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        items = [
            task_dict(t, k)
            for t, k in list_tasks(
                session,
                lang=lang,
                states=states,
                assignee=assignee,
                post=post,
                limit=limit,
                offset=offset,
                sort=sort,
            )
        ]
        annotate_tasks(session, settings, items)
        return {"tasks": items}


class ClaimBody(BaseModel):
    lang: str = Field(description="Claim the next queued task in this language.")
    lease: str | None = Field(None, description="e.g. 48h, 90m, 2d (default TRANSYNC_LEASE_HOURS)")


@router.post(
    "/claim",
    summary="Claim the next queued task (204 when there is none)",
    **with_more(
        answers(S.TaskOut, 403, 409, notes={403: "A translator claiming outside their languages."}),
        {204: {"description": "Nothing to claim in this language."}},
    ),
)
def claim(request: Request, body: ClaimBody, actor: Actor = Depends(api_actor)) -> Any:
    from sync.queue import claim as run

    settings = web(request).settings
    if body.lang not in settings.languages:
        raise InputError(
            t_(
                "language %(lang)s is not configured (%(configured)s)",
                lang=repr(body.lang),
                configured=",".join(settings.languages),
            )
        )
    with transaction(settings.database_url) as session:
        got = run(session, settings, actor.name, body.lang, lease_of(body.lease))
        data = task_dict(*got) if got else None
    if data is None:
        return Response(status_code=204)
    return data


@router.get(
    "/{task_id}",
    summary="One task with its segments (as `task ID --json`)",
    **answers(S.TaskDetail, 403, 404, notes={403: OTHERS}),
)
def task(request: Request, task_id: int, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from sync.taskview import task_detail

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        visible_task(session, actor, task_id)
        return task_detail(session, settings, task_id)


class LeaseBody(BaseModel):
    lease: str | None = Field(None, description="e.g. 48h (default TRANSYNC_LEASE_HOURS)")


@router.post(
    "/{task_id}/release",
    summary="Give a claimed task back to the queue",
    **answers(S.TaskOut, 403, 404, 409, notes={403: NOT_YOURS}),
)
def release(request: Request, task_id: int, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    from sync.queue import release as run

    with transaction(web(request).settings.database_url) as session:
        return task_dict(*run(session, task_id, actor.name))


@router.post(
    "/{task_id}/renew",
    summary="Extend the lease on your claimed task",
    **answers(S.TaskOut, 403, 404, 409, notes={403: NOT_YOURS}),
)
def renew(
    request: Request, task_id: int, body: LeaseBody | None = None, actor: Actor = Depends(api_actor)
) -> dict[str, Any]:
    from sync.queue import renew as run

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        return task_dict(
            *run(session, settings, task_id, actor.name, lease_of(body.lease if body else None))
        )


@router.get(
    "/{task_id}/po",
    summary="The task as a PO file (as `transync po ID`)",
    response_class=Response,
    responses={
        200: {
            "description": "The PO file (an attachment).",
            "content": {"text/x-gettext-translation": {"schema": {"type": "string"}}},
        },
        **error_responses(403, 404, notes={403: OTHERS}),
    },
)
def download_po(request: Request, task_id: int, actor: Actor = Depends(api_actor)) -> Response:
    from sync.pofiles import task_po

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        task, key = visible_task(session, actor, task_id)
        data = task_po(session, settings, task_id)
    return Response(
        data,
        media_type="text/x-gettext-translation; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{po_filename(key, task.lang, task_id)}"'
        },
    )


@router.post(
    "/{task_id}/po",
    summary="Submit a PO file for your claimed task",
    **answers(S.SubmissionResult, 403, 404, 409, notes={403: NOT_YOURS}),
)
def upload_po(
    request: Request,
    task_id: int,
    background: BackgroundTasks,
    file: UploadFile = File(description="The translated PO file."),
    accept_fuzzy: bool = Form(False, description="Count fuzzy entries as translated."),
    partial: bool = Form(False, description="Store progress and keep the claim."),
    actor: Actor = Depends(api_actor),
) -> dict[str, Any]:
    """All or nothing: 422 with every problem (entry, line) if any check fails."""
    from sync.pofiles import submit_po

    return submit_upload(
        request, background, file, task_id, actor, "upload.po", submit_po, accept_fuzzy, partial
    )


def submit_upload(
    request: Request,
    background: BackgroundTasks,
    file: UploadFile,
    task_id: int,
    actor: Actor,
    default_name: str,
    submit_file: Callable[..., dict[str, Any]],
    accept_fuzzy: bool,
    partial: bool,
) -> dict[str, Any]:
    """An uploaded PO or XLIFF file submitted (``submit_po`` or ``submit_xliff``): read
    within the upload limit, checked and applied in one transaction, then the workers
    nudged."""
    settings = web(request).settings
    name = file.filename or default_name
    data = read_upload(file.file, settings.max_upload_bytes, name)
    with transaction(settings.database_url) as session:
        result = submit_file(
            session,
            settings,
            task_id,
            actor.name,
            name,
            data,
            accept_fuzzy=accept_fuzzy,
            partial=partial,
        )
    background.add_task(nudge, settings)
    return result


@router.post(
    "/{task_id}/submit",
    summary="Submit a Markdown or PO file (as `transync submit`)",
    **answers(S.SubmissionResult, 403, 404, 409, notes={403: NOT_YOURS}),
)
def submit(
    request: Request,
    task_id: int,
    background: BackgroundTasks,
    file: UploadFile = File(description="Markdown with front matter, or a PO file (.po)."),
    accept_fuzzy: bool = Form(False),
    partial: bool = Form(False),
    actor: Actor = Depends(api_actor),
) -> dict[str, Any]:
    name = file.filename or "upload.md"
    if name.lower().endswith((".po", ".pot")):
        return upload_po(request, task_id, background, file, accept_fuzzy, partial, actor)
    from sync.submission import submit_markdown

    settings = web(request).settings
    data = read_upload(file.file, settings.max_upload_bytes, name)
    with transaction(settings.database_url) as session:
        result = submit_markdown(session, settings, task_id, actor.name, name, data)
    background.add_task(nudge, settings)
    return result


class TranslationsBody(BaseModel):
    translations: dict[int, str] = Field(description="Segment position → translation.")
    partial: bool = Field(False, description="Store progress and keep the claim.")


@router.post(
    "/{task_id}/translations",
    summary="Submit translations segment by segment (the browser editor's way)",
    **answers(S.SubmissionResult, 403, 404, 409, notes={403: NOT_YOURS}),
)
def submit_translations(
    request: Request,
    task_id: int,
    body: TranslationsBody,
    background: BackgroundTasks,
    actor: Actor = Depends(api_actor),
) -> dict[str, Any]:
    from sync.pofiles import submit_segments

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        result = submit_segments(
            session, settings, task_id, actor.name, body.translations, partial=body.partial
        )
    background.add_task(nudge, settings)
    return result


SEEN = (
    "Optional: the submission you reviewed, as the task detail's `submission_digest` "
    "names it. When the task holds another submission by now, nothing is done (409)."
)


class ApproveBody(BaseModel):
    submission_digest: str | None = Field(None, description=SEEN)


@router.post(
    "/{task_id}/approve",
    summary="Approve a submitted task: it is written back",
    **answers(
        S.SubmissionResult,
        404,
        409,
        422,
        notes={409: "Not submitted, in conflict, or not the submission you reviewed."},
    ),
)
def approve(
    request: Request,
    task_id: int,
    background: BackgroundTasks,
    body: ApproveBody | None = None,
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    """The body may be left out (approve the submission the task holds)."""
    from sync.submission import approve as run

    settings = web(request).settings
    seen = body.submission_digest if body is not None else None
    with transaction(settings.database_url) as session:
        result = run(session, settings, task_id, actor.name, seen=seen)
    background.add_task(nudge, settings)
    return result


class ResolveBody(BaseModel):
    keep: Literal["submitted", "disk"] = Field(
        description="submitted: write the submission over what is on disk (which is recorded "
        "first); disk: keep the file (or the WordPress post) and close the task."
    )


@router.post(
    "/{task_id}/resolve",
    summary="Resolve a task in conflict (editor)",
    **answers(S.SubmissionResult, 404, 409),
)
def resolve(
    request: Request,
    task_id: int,
    body: ResolveBody,
    background: BackgroundTasks,
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    """As `transync resolve TASK --keep submitted|disk`: logged either way."""
    from sync.submission import resolve as run

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        result = run(session, settings, task_id, actor.name, body.keep)
    background.add_task(nudge, settings)
    return result


class RejectBody(BaseModel):
    reason: str = Field(min_length=1, description="What the translator should fix.")
    submission_digest: str | None = Field(None, description=SEEN)


@router.post(
    "/{task_id}/reject",
    summary="Send a submitted task back with a reason",
    **answers(
        S.SubmissionResult,
        404,
        409,
        notes={409: "Not submitted, or not the submission you reviewed."},
    ),
)
def reject(
    request: Request, task_id: int, body: RejectBody, actor: Actor = Depends(api_editor)
) -> dict[str, Any]:
    from sync.submission import reject as run

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        return run(session, settings, task_id, actor.name, body.reason, seen=body.submission_digest)


class AssignBody(BaseModel):
    to: str = Field(description="The translator to give it to.")
    lease: str | None = None


@router.post(
    "/{task_id}/assign",
    summary="Give an open task to a translator",
    **answers(S.TaskOut, 404, 409, notes={404: "No such task, or no such translator."}),
)
def assign(
    request: Request, task_id: int, body: AssignBody, actor: Actor = Depends(api_editor)
) -> dict[str, Any]:
    from sync.queue import assign as run

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        return task_dict(
            *run(session, settings, task_id, actor.name, body.to, lease_of(body.lease))
        )


class TaskChange(BaseModel):
    priority: int | None = Field(None, ge=-1000, le=1000)
    due: dt.date | None = Field(None, description="YYYY-MM-DD; null clears it.")


@router.patch("/{task_id}", summary="Change priority or due date", **answers(S.TaskOut, 404, 409))
def update(
    request: Request, task_id: int, body: TaskChange, actor: Actor = Depends(api_editor)
) -> dict[str, Any]:
    from sync.queue import update_task

    due: Any = body.due if "due" in body.model_fields_set else "keep"
    with transaction(web(request).settings.database_url) as session:
        return task_dict(
            *update_task(session, task_id, actor.name, priority=body.priority, due=due)
        )


class CancelBody(BaseModel):
    reason: str = ""


@router.post("/{task_id}/cancel", summary="Cancel an open task", **answers(S.TaskOut, 404, 409))
def cancel(
    request: Request,
    task_id: int,
    body: CancelBody | None = None,
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    from sync.queue import cancel as run

    with transaction(web(request).settings.database_url) as session:
        return task_dict(*run(session, task_id, actor.name, body.reason if body else ""))
