"""The shapes the JSON API answers with, for its OpenAPI description. The handlers return
the same plain dicts as the CLI's ``--json`` (not these models: nothing is filtered or
re-validated on the way out); the web tests check every answer against its schema.

``answers(Model, 404, 409)`` gives a route decorator its success schema and the error codes
it can return beyond the ones apidocs adds from the route itself (401 with a token, 403
for an editor's or admin's endpoint, 422 with parameters or a body, 503 always)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from sync.web.errors import ErrorBody

ERRORS = {
    401: "No token, or one that is not valid (unknown, replaced, or its user deactivated).",
    403: "Your role (or, for a translator, your languages or the task's assignee) does not "
    "allow it.",
    404: "Not found: the post, task or user named in the path does not exist.",
    409: "The current state does not allow it (a task not in the right state, a user that "
    "exists, the last admin).",
    413: "The upload is over TRANSYNC_MAX_UPLOAD_BYTES.",
    422: "The request is malformed, or the input was refused (`problems` lists why).",
    502: "A source could not be read.",
    503: "The database cannot be reached; try again (see /healthz).",
}


def error_responses(*codes: int, notes: dict[int, str] | None = None) -> dict[int | str, Any]:
    notes = notes or {}
    return {
        code: {"model": ErrorBody, "description": notes.get(code) or ERRORS[code]} for code in codes
    }


def answers(
    model: Any,
    *codes: int,
    status: int = 200,
    description: str = "OK",
    notes: dict[int, str] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for a route decorator: `model` documents the success answer
    (without filtering it), `codes` the errors the handler itself can raise."""
    responses: dict[int | str, Any] = {status: {"model": model, "description": description}}
    responses.update(error_responses(*codes, notes=notes))
    return {"response_model": None, "responses": responses}


class Open(BaseModel):
    """A JSON object that may carry more fields than listed (new fields are added, never
    renamed or removed)."""

    model_config = ConfigDict(extra="allow")


# -- status ---------------------------------------------------------------------------------


class TaskRef(Open):
    id: int
    state: str
    assignee: str | None


class VersionState(Open):
    state: str = Field(description="source, current, stale, missing or orphaned")
    words: int | None = Field(
        None,
        description="The work in words: a source's own; stale: "
        "the source words of the changed and added segments; missing: "
        "the whole source; current and orphaned: 0",
    )
    revision: int | None = None
    based_on_revision: int | None = None
    baseline: str | None = Field(None, description="recorded, declared, history or assumed")
    changed_segments: int | None = None
    added_segments: int | None = None
    removed_segments: int | None = None
    total_segments: int | None = None
    stale_since: str | None = None
    draft: bool | None = None
    origin: str | None = None
    detail: str | None = Field(None, description="`stub`: a placeholder file (missing)")
    task: TaskRef | None = None


class PostStatus(Open):
    key: str
    source_lang: str | None
    source_revision: int | None
    source_hash: str | None
    title: str
    draft: bool
    versions: dict[str, VersionState]


class StatusDocument(Open):
    languages: list[str]
    posts: list[PostStatus]
    summary: dict[str, dict[str, int | float]] = Field(
        description="Per language: posts in each state, `assumed` baselines, "
        "`words_pending` (the words of missing and stale translations) and, where "
        "TRANSYNC_WORD_RATE sets a price, `cost_pending` (in `currency`)."
    )
    currency: str | None = Field(None, description="Only with TRANSYNC_WORD_RATE set.")
    page: int | None = None
    per_page: int | None = None
    total: int | None = None


class StatusSummary(Open):
    languages: list[str]
    summary: dict[str, dict[str, int | float]]
    total: int | None


# -- tasks ----------------------------------------------------------------------------------


class TaskOut(Open):
    id: int
    post: str
    lang: str
    state: str = Field(description="queued, claimed, submitted, done, cancelled or conflict")
    kind: str
    source_revision: int
    assignee: str | None
    lease_expires_at: str | None
    priority: int
    due: str | None
    source_changed: bool
    created_at: str | None
    conflict: dict[str, Any] | None = Field(
        None, description="Only in conflict: what was found on disk."
    )
    words: int | None = Field(
        None,
        description="The task's work in words at its source "
        "revision (null: not counted, a task older than word counts)",
    )
    cost: float | None = Field(
        None, description="words × the language's TRANSYNC_WORD_RATE (absent without one)"
    )
    at_risk: bool | None = Field(
        None,
        description="Open and expected to finish after its due "
        "date at the language's pace (or already past it); null: no "
        "due date, or no history to forecast from",
    )


class TaskList(Open):
    tasks: list[TaskOut]


class TaskSegment(Open):
    position: int
    kind: str
    source: str
    change: str | None
    previous_source: str | None
    translation: str | None
    previous_translation: str | None
    guessed: bool = Field(
        False,
        description="the translation's text lined up with this segment by a guess (it has "
        "blocks the source has not, or lacks some): to check, not a translation already done",
    )
    suggestions: list[Any]


class TaskDetail(TaskOut):
    title: str
    source_lang: str | None
    based_on_revision: int | None
    claimed_revision: int | None
    reject_reason: str | None
    segments: list[TaskSegment]
    submission_digest: str | None = Field(
        None,
        description="Submitted tasks: what names the submission waiting for review; give "
        "it to approve or reject, which then refuse (409) if another has come since",
    )


class SubmissionResult(Open):
    task: int
    state: str
    applied: bool = Field(description="True when the translation was written back.")
    translation: str | None = Field(None, description="The translation's state afterwards.")
    conflict: dict[str, Any] | None = None
    translated: int | None = Field(None, description="Partial: segments translated so far.")
    segments: int | None = None
    warnings: list[str] | None = None


# -- posts, history, operations ---------------------------------------------------------------


class DiffOp(Open):
    op: str
    old: str | None
    new: str | None


class PostDiff(Open):
    post: str
    lang: str
    state: str
    source_lang: str | None
    source_revision: int | None
    based_on_revision: int | None
    changed_segments: int
    added_segments: int
    removed_segments: int
    ops: list[DiffOp]


class Acknowledged(Open):
    lang: str
    previous: int | None
    based_on_revision: int | None = None


class AckResult(Open):
    post: str
    acknowledged: list[Acknowledged]


class PostDetail(PostStatus):
    tasks: list[TaskOut]


class EventOut(Open):
    id: int
    at: str | None
    actor: str
    kind: str
    post: str | None
    lang: str | None
    details: dict[str, Any]


class EventList(Open):
    events: list[EventOut]


class ScanError(Open):
    origin: str
    line: int | None
    reason: str


class ScanResult(Open):
    sources: Any = None
    files: int | None = None
    unchanged: int | None = None
    new_posts: int | None = None
    new_versions: int | None = None
    new_revisions: int | None = None
    deleted: int | None = None
    restored: int | None = None
    state_changes: int | None = None
    skipped: Any = Field(
        None, description="Files skipped, by reason; `true` when another scan was running."
    )
    baselines: dict[str, int] | None = None
    errors: list[ScanError] | None = None


class CatalogWritten(Open):
    lang: str
    po: str
    mo: str
    changed: bool
    translated: int
    fuzzy: int
    untranslated: int


class ExportResult(Open):
    skipped: bool | None = None
    catalogs: list[CatalogWritten]


# -- people ---------------------------------------------------------------------------------


class UserOut(Open):
    name: str
    role: str = Field(description="admin, editor or translator")
    langs: list[str]
    active: bool
    created_at: str | None
    email: str | None = Field(None, description="Where their mail goes (null: none).")
    digest: str = Field("daily", description="off, daily or immediate (sync.notify).")


class UserList(Open):
    users: list[UserOut]


class Me(UserOut):
    ui_lang: str | None


class NewToken(BaseModel):
    token: str = Field(
        description="`ts_…`: shown only in this answer (Cache-Control: "
        "no-store); the old token stops working at once."
    )
