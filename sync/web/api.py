"""The JSON API under /api/v1: status, posts, events, scan, export, users and the caller's
own account. The same JSON shapes as the CLI's ``--json``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from sync import people
from sync.config import Settings
from sync.db.models import Post, User
from sync.db.session import transaction
from sync.errors import ConflictError, InputError
from sync.history import acknowledge, events, get_post, translation_diff
from sync.i18n import t_
from sync.nudge import nudge
from sync.people import edit_user, issue_token, list_users, user_dict
from sync.queue import list_tasks, task_dict
from sync.state import STATES
from sync.status import (
    BASELINES,
    Filters,
    load_rows,
    snapshot,
    status_document,
    stream_document,
)
from sync.web import schemas as S
from sync.web.auth import Actor, api_actor, api_admin, api_editor
from sync.web.schemas import answers
from sync.web.state import web

router = APIRouter(prefix="/api/v1")

MAX_PER_PAGE = 1000


def json_bytes(data: Any) -> bytes:
    """A JSON body as FastAPI would send it (UTF-8, compact), made once and shared: the
    status documents are plain dicts of str/int/bool/None, ready for the C encoder."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _split(values: list[str]) -> tuple[str, ...]:
    return tuple(v.strip() for value in values for v in value.split(",") if v.strip())


def status_filters(
    settings: Settings,
    lang: list[str],
    state: list[str],
    post: str | None,
    text: str | None,
    translator: str | None,
    baseline: list[str] | None = None,
) -> Filters:
    langs, states, baselines = _split(lang), _split(state), _split(baseline or [])
    bad = [x for x in baselines if x not in BASELINES]
    if bad:
        raise InputError(
            t_(
                "baseline %(baseline)s: use one of %(baselines)s",
                baseline=repr(bad[0]),
                baselines=", ".join(repr(b) for b in BASELINES),
            )
        )
    bad = [x for x in langs if x not in settings.languages]
    if bad:
        raise InputError(
            t_(
                "language %(lang)s is not configured (%(configured)s)",
                lang=repr(bad[0]),
                configured=",".join(settings.languages),
            )
        )
    bad = [x for x in states if x not in {str(s) for s in STATES}]
    if bad:
        raise InputError(
            t_(
                "state %(state)s: use one of %(states)s",
                state=repr(bad[0]),
                states=", ".join(repr(str(s)) for s in STATES),
            )
        )
    return Filters(
        langs=langs,
        states=states,
        post=post or None,
        text=text or None,
        translator=translator or None,
        baselines=baselines,
    )


LangQuery = Query([], description="Only these languages (repeat, or comma-separated).")
StateQuery = Query([], description="Only posts with a shown language in this state.")
BaselineQuery = Query(
    [],
    description="Only posts with a shown translation whose based-on "
    "revision is known this way: recorded, declared, history, assumed.",
)


@router.get(
    "/status",
    tags=["status"],
    summary="The status matrix (as `status --json`)",
    **answers(S.StatusDocument),
)
def status(
    request: Request,
    lang: list[str] = LangQuery,
    state: list[str] = StateQuery,
    post: str | None = Query(None, description="Post key: glob or substring."),
    text: str | None = Query(None, description="Words in the key or title."),
    translator: str | None = Query(None, description="Posts with an open task of this person."),
    baseline: list[str] = BaselineQuery,
    page: int | None = Query(None, ge=1),
    per_page: int | None = Query(None, ge=1, le=MAX_PER_PAGE),
    actor: Actor = Depends(api_actor),
) -> Response:
    """Every post × language, as `transync status --json`; with `page`/`per_page` the
    object also carries `page`, `per_page` and `total`."""
    settings = web(request).settings
    filters = status_filters(settings, lang, state, post, text, translator, baseline)
    if per_page and not page:
        page = 1
    if page and not per_page:
        per_page = 50
    with transaction(settings.database_url) as session:
        snap = snapshot(session, settings)
    if page is None:  # the whole matrix: written post by post, never held as one document
        return StreamingResponse(
            chunked(stream_document(snap.rows, settings, filters, separators=(",", ":"))),
            media_type="application/json",
        )
    body = snap.memo(
        ("api status", filters, page, per_page),
        lambda: json_bytes(
            status_document(snap.rows, settings, filters, page=page, per_page=per_page)
        ),
    )
    return Response(body, media_type="application/json")


def chunked(texts: Iterable[str], size: int = 1 << 16) -> Iterator[bytes]:
    """Text pieces as UTF-8 chunks of about `size` bytes."""
    buffer: list[str] = []
    held = 0
    for text in texts:
        buffer.append(text)
        held += len(text)
        if held >= size:
            yield "".join(buffer).encode()
            buffer, held = [], 0
    if buffer:
        yield "".join(buffer).encode()


@router.get(
    "/status/summary",
    tags=["status"],
    summary="Per-language counts only",
    **answers(S.StatusSummary),
)
def status_summary(
    request: Request,
    lang: list[str] = LangQuery,
    state: list[str] = StateQuery,
    post: str | None = None,
    text: str | None = None,
    translator: str | None = None,
    baseline: list[str] = BaselineQuery,
    actor: Actor = Depends(api_actor),
) -> Response:
    """`{"languages", "summary", "total"}`: the summary of `status --json` for the posts the
    filters keep, without the posts."""
    settings = web(request).settings
    filters = status_filters(settings, lang, state, post, text, translator, baseline)
    with transaction(settings.database_url) as session:
        snap = snapshot(session, settings)

    def summary() -> bytes:
        doc = status_document(snap.rows, settings, filters, page=1, per_page=1)
        return json_bytes(
            {"languages": doc["languages"], "summary": doc["summary"], "total": doc["total"]}
        )

    return Response(snap.memo(("api summary", filters), summary), media_type="application/json")


@router.get(
    "/posts/{key:path}/diff/{lang}",
    tags=["posts"],
    summary="What changed since the translation (as `diff --json`)",
    **answers(S.PostDiff, 404, 409),
)
def post_diff(
    request: Request, key: str, lang: str, actor: Actor = Depends(api_editor)
) -> dict[str, Any]:
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        return translation_diff(session, settings, key, lang)


class AckBody(BaseModel):
    lang: str | None = Field(None, description="Only this translation (default: every stale one).")


@router.post(
    "/posts/{key:path}/ack",
    tags=["posts"],
    summary="Acknowledge the latest source change as minor (as `ack --json`)",
    **answers(S.AckResult, 404, 409),
)
def post_ack(
    request: Request,
    key: str,
    body: AckBody,
    background: BackgroundTasks,
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    from sync.planning import plan_tasks

    settings = web(request).settings
    with transaction(settings.database_url) as session:
        acked = acknowledge(session, settings, key, body.lang, actor.name)
        post_id = session.execute(select(Post.id).where(Post.key == key)).scalar_one()
        plan_tasks(session, settings, {post_id}, actor=actor.name)
    background.add_task(nudge, settings)
    return {"post": key, "acknowledged": acked}


@router.get(
    "/posts/{key:path}",
    tags=["posts"],
    summary="One post, its versions and tasks",
    **answers(S.PostDetail, 404),
)
def post_detail(request: Request, key: str, actor: Actor = Depends(api_editor)) -> dict[str, Any]:
    """The post's object from `status --json`, plus `tasks`: every task it ever had."""
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        get_post(session, key)
        (row,) = load_rows(session, settings, [key])
        doc = row.as_dict()
        doc["tasks"] = [task_dict(t, k) for t, k in list_tasks(session, post=key)]
    return doc


@router.get(
    "/events",
    tags=["posts"],
    summary="History, newest first (as `log --json`)",
    **answers(S.EventList, 404),
)
def list_events(
    request: Request,
    post: str | None = Query(None, description="Only this post's events."),
    limit: int = Query(50, ge=1, le=1000),
    before: int | None = Query(None, description="Page back: events older than this id."),
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        return {"events": events(session, post, limit=limit, before=before)}


class ScanBody(BaseModel):
    sources: list[str] | None = Field(
        None, description="Some of the configured TRANSYNC_SOURCES (default: all of them)."
    )


@router.post(
    "/scan",
    tags=["operations"],
    summary="Scan the configured sources and plan",
    **answers(
        S.ScanResult,
        409,
        502,
        notes={
            409: "No source is configured (TRANSYNC_SOURCES).",
            502: "A source could not be read (network, WordPress, path).",
        },
    ),
)
def scan(
    request: Request,
    background: BackgroundTasks,
    body: ScanBody | None = None,
    actor: Actor = Depends(api_editor),
) -> dict[str, Any]:
    """Only sources named in TRANSYNC_SOURCES can be scanned from the web: a request cannot
    make the server read an arbitrary path or URL."""
    from sync.scanning import run_scan

    settings = web(request).settings
    if not settings.sources:
        raise ConflictError(
            t_(
                "no source is configured: set TRANSYNC_SOURCES",
                cli="or scan from the command line with `transync scan PATH`",
            )
        )
    wanted = list(body.sources) if body and body.sources else list(settings.sources)
    unknown = [s for s in wanted if s not in settings.sources]
    if unknown:
        raise InputError(
            t_(
                "source %(source)s is not configured; configured: %(sources)s",
                source=repr(unknown[0]),
                sources=", ".join(settings.sources),
            )
        )
    report = run_scan(settings, wanted, actor=actor.name)
    background.add_task(nudge, settings)
    return report.as_dict() if report is not None else {"skipped": True}


class ExportBody(BaseModel):
    langs: list[str] | None = Field(None, description="Only these languages (default: all).")


@router.post(
    "/export",
    tags=["operations"],
    summary="Write the gettext catalogs now",
    **answers(S.ExportResult),
)
def export(
    request: Request, body: ExportBody | None = None, actor: Actor = Depends(api_editor)
) -> dict[str, Any]:
    from sync.export import export_catalogs

    settings = web(request).settings
    return export_catalogs(settings, body.langs if body else None)


# -- people ---------------------------------------------------------------------------------------


@router.get(
    "/users", tags=["users"], summary="Everyone (as `users list --json`)", **answers(S.UserList)
)
def users(request: Request, actor: Actor = Depends(api_admin)) -> dict[str, Any]:
    with transaction(web(request).settings.database_url) as session:
        return {"users": [user_dict(u) for u in list_users(session)]}


class UserBody(BaseModel):
    name: str = Field(description="1-64 letters, digits, '.', '_' or '-'.")
    role: Literal["admin", "editor", "translator"] = "translator"
    langs: list[str] = Field(default_factory=list, description="Languages they translate into.")
    password: str | None = Field(
        None, min_length=8, description="An initial password for the web login."
    )


@router.post(
    "/users",
    tags=["users"],
    status_code=201,
    summary="Add a new user",
    **answers(
        S.UserOut,
        409,
        status=201,
        description="Created.",
        notes={409: "A user of that name exists (perhaps deactivated): nothing changed."},
    ),
)
def create_user(
    request: Request, body: UserBody, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    """A name that exists, active or deactivated, is 409 and nothing changes: change a user
    with `PATCH /api/v1/users/{name}`. No token is returned: a token is shown only to its
    owner (`transync users add`, or the owner's account page)."""
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        user, _ = people.create_user(
            session, settings, body.name, role=body.role, langs=body.langs, password=body.password
        )
        return user_dict(user)


class UserChange(BaseModel):
    role: Literal["admin", "editor", "translator"] | None = None
    langs: list[str] | None = Field(None, description="Replaces their languages.")
    active: bool | None = Field(
        None, description="false: deactivate (sessions and token end); true: bring back."
    )
    password: str | None = Field(
        None, min_length=8, description="A new web password (the role stays as it is)."
    )
    email: str | None = Field(None, description="Where their mail goes ('' for none).")
    digest: Literal["off", "daily", "immediate"] | None = Field(
        None, description="How often they get mail (sync.notify)."
    )
    ui_lang: str | None = Field(
        None, description="Interface and mail language: en, tr, ru ('' for the browser's)."
    )


@router.patch(
    "/users/{name}",
    tags=["users"],
    summary="Change a user: only the fields sent",
    **answers(
        S.UserOut,
        404,
        409,
        notes={
            409: "The last active admin cannot be demoted or deactivated; nobody "
            "deactivates themselves."
        },
    ),
)
def update_user(
    request: Request, name: str, body: UserChange, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    """A field left out (or null) stays as it is. A new role or password, or `active:
    false`, ends every web session of the user; `active: false` also ends their token. The
    last active admin can be neither demoted nor deactivated (409), and nobody deactivates
    themselves."""
    settings = web(request).settings
    if name == actor.name and body.active is False:
        raise ConflictError(t_("you cannot deactivate yourself; ask another admin"))
    with transaction(settings.database_url) as session:
        return user_dict(
            edit_user(
                session,
                settings,
                name,
                role=body.role,
                langs=body.langs,
                active=body.active,
                password=body.password,
                email=body.email,
                digest=body.digest,
                ui_lang=body.ui_lang,
            )
        )


@router.delete(
    "/users/{name}",
    tags=["users"],
    summary="Deactivate a user",
    **answers(S.UserOut, 404, 409, notes={409: "Yourself, or the last active admin."}),
)
def deactivate_user(
    request: Request, name: str, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    """As `PATCH` with `active: false`."""
    settings = web(request).settings
    if name == actor.name:
        raise ConflictError(t_("you cannot deactivate yourself; ask another admin"))
    with transaction(settings.database_url) as session:
        return user_dict(people.deactivate_user(session, name))


def me_dict(user: User) -> dict[str, Any]:
    return {**user_dict(user), "ui_lang": user.ui_lang}


@router.get("/me", tags=["users"], summary="Who the token belongs to", **answers(S.Me))
def me(request: Request, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    with transaction(web(request).settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        return me_dict(user)


class MeBody(BaseModel):
    ui_lang: str | None = Field(
        None, description="UI language: en, tr or ru (null: from the browser)."
    )


@router.patch("/me", tags=["users"], summary="Change your UI language", **answers(S.Me))
def update_me(request: Request, body: MeBody, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    state = web(request)
    if body.ui_lang is not None and body.ui_lang not in state.renderer.catalogs:
        raise InputError(
            t_(
                "UI language %(lang)s: use one of %(langs)s",
                lang=repr(body.ui_lang),
                langs=", ".join(state.renderer.ui_languages),
            )
        )
    with transaction(state.settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        user.ui_lang = body.ui_lang
        return me_dict(user)


@router.post(
    "/me/token", tags=["users"], summary="Replace your own API token", **answers(S.NewToken)
)
def new_token(
    request: Request, response: Response, actor: Actor = Depends(api_actor)
) -> dict[str, Any]:
    """The old token stops working at once; the new one is shown only in this answer
    (`Cache-Control: no-store`)."""
    response.headers["Cache-Control"] = "no-store"
    with transaction(web(request).settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        return {"token": issue_token(user)}
