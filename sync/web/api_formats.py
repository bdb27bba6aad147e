"""The interchange formats in the JSON API: a task as XLIFF (download and submission), the
translation memory as TMX (export and import, for editors and admins), and the task page's
XLIFF download."""

from __future__ import annotations

import os
import tempfile
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import Field
from starlette.background import BackgroundTask

from sync.db.session import transaction
from sync.errors import PermissionDenied
from sync.nudge import nudge
from sync.queue import get_task
from sync.web import schemas as S
from sync.web.api_tasks import NOT_YOURS, OTHERS, may_see, submit_upload, visible_task
from sync.web.auth import Actor, api_actor, api_editor, page_actor
from sync.web.schemas import answers, error_responses
from sync.web.state import web

router = APIRouter(tags=["formats"])

XLIFF_TYPE = "application/xliff+xml"
TMX_TYPE = "application/x-tmx+xml"
Version = Literal["1.2", "2.0"]


class MemoryImport(S.Open):
    units: int = Field(description="<tu> elements read.")
    pairs: int = Field(description="(source, translation) pairs found in them.")
    added: int = Field(description="Pairs new to the memory.")
    merged: int = Field(description="Pairs already in the memory, or repeated in the file.")
    skipped: int = Field(
        description="Units with one language only, empty segments, <tuv>s in languages "
        "that are not configured, and units whose source language is not configured."
    )
    prefill: int = Field(description="Open tasks queued to be pre-filled again.")
    skipped_variants: dict[str, int] = Field(
        default_factory=dict,
        description="<tuv>s skipped as their language is not configured, by xml:lang.",
    )
    skipped_units: dict[str, int] = Field(
        default_factory=dict,
        description="Units skipped whole as their source language is not configured, by srclang.",
    )
    warnings: list[str] | None = Field(
        None, description="What was skipped for its language, in words."
    )


def _xliff_response(data: bytes, key: str, lang: str, task_id: int, version: str) -> Response:
    from sync.interchange.tasks import xliff_filename

    filename = xliff_filename(key, lang, task_id, version)
    return Response(
        data,
        media_type=f"{XLIFF_TYPE}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/api/v1/tasks/{task_id}/xliff",
    summary="The task as XLIFF 1.2 or 2.0 (as `transync xliff ID`)",
    response_class=Response,
    responses={
        200: {
            "description": "The XLIFF file (an attachment): one unit per "
            "segment, markup as protected inline codes.",
            "content": {XLIFF_TYPE: {"schema": {"type": "string"}}},
        },
        **error_responses(403, 404, notes={403: OTHERS}),
    },
)
def download_xliff(
    request: Request,
    task_id: int,
    version: Version = Query("1.2", description="XLIFF version."),
    actor: Actor = Depends(api_actor),
) -> Response:
    from sync.interchange.tasks import task_xliff

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        task, key = visible_task(session, actor, task_id)
        data = task_xliff(session, settings, task_id, version)
    return _xliff_response(data, key, task.lang, task_id, version)


@router.post(
    "/api/v1/tasks/{task_id}/xliff",
    summary="Submit an XLIFF file (1.2 or 2.0) for your claimed task",
    **answers(S.SubmissionResult, 403, 404, 409, 413, notes={403: NOT_YOURS}),
)
def upload_xliff(
    request: Request,
    task_id: int,
    background: BackgroundTasks,
    file: UploadFile = File(description="The translated XLIFF file."),
    accept_fuzzy: bool = Form(
        False,
        description="Count targets marked for review (1.2 "
        "needs-* states, 2.0 state initial) as translated.",
    ),
    partial: bool = Form(False, description="Store progress and keep the claim."),
    actor: Actor = Depends(api_actor),
) -> dict[str, Any]:
    """Inline codes are restored from the source, then every check of a PO submission runs:
    all or nothing, 422 with every problem (line, unit, segment)."""
    from sync.interchange.tasks import submit_xliff

    return submit_upload(
        request, background, file, task_id, actor, "upload.xlf", submit_xliff, accept_fuzzy, partial
    )


@router.get(
    "/api/v1/memory/tmx",
    summary="The translation memory as TMX 1.4b (editor)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The TMX file (an attachment): one <tu> per pair, "
            "its post as the property x-context.",
            "content": {TMX_TYPE: {"schema": {"type": "string"}}},
        },
        **error_responses(403),
    },
)
def export_tmx(
    request: Request,
    langs: str | None = Query(None, description="Only pairs of these languages, e.g. en,tr."),
    actor: Actor = Depends(api_editor),
) -> FileResponse:
    """As `transync memory export`; written to a temporary file first, then streamed."""
    from sync.interchange.memory import export_memory, parse_langs

    settings = web(request).settings
    fd, path = tempfile.mkstemp(prefix="transync-memory-", suffix=".tmx")
    try:
        with (
            os.fdopen(fd, "wb") as out,
            transaction(settings.database_url, readonly=True) as session,
        ):
            export_memory(session, out, parse_langs(langs))
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type=TMX_TYPE,
        filename="transync-memory.tmx",
        background=BackgroundTask(os.unlink, path),
    )


@router.post(
    "/api/v1/memory/tmx",
    summary="Add a TMX file's pairs to the memory (editor)",
    **answers(MemoryImport, 403, 413, 422),
)
def import_tmx(
    request: Request,
    background: BackgroundTasks,
    file: UploadFile = File(description="A TMX 1.4 file."),
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    """As `transync memory import`: every unit validated (dates, languages, segments),
    all or nothing, 422 naming each bad unit; duplicates merged; open tasks pre-filled
    again. The upload limit is TRANSYNC_MAX_UPLOAD_BYTES: import larger memories with the
    command."""
    from sync.interchange.memory import import_memory

    settings = web(request).settings
    name = file.filename or "upload.tmx"
    with transaction(settings.database_url) as session:
        counts = import_memory(session, settings, file.file, path=name, actor=actor.name)
    background.add_task(nudge, settings)
    return counts


@router.get("/tasks/{task_id}/xliff", include_in_schema=False)
def page_download_xliff(
    request: Request, task_id: int, version: Version = "1.2", actor: Actor = Depends(page_actor)
) -> Response:
    """The task page's "Download XLIFF"."""
    from sync.interchange.tasks import task_xliff
    from sync.web.i18n import _

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        task, key = get_task(session, task_id)
        if not may_see(actor, task):
            raise PermissionDenied(_("Task #%(id)d is not yours.") % {"id": task_id})
        data = task_xliff(session, settings, task_id, version)
    return _xliff_response(data, key, task.lang, task_id, version)
