"""Errors as responses: under /api one JSON shape for every error (:class:`ErrorBody`:
``status``, ``error``, ``detail``, ``problems``, ``problem_count``, and ``file``, ``line``,
``fields`` when known), a friendly page elsewhere, never a stack trace; a database that
cannot be reached is 503, not 500. Also the request-size limit and the security headers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.errors import (
    ConfigError,
    ConflictError,
    InputError,
    NotFound,
    PermissionDenied,
    SourceError,
    TransyncError,
)
from sync.i18n import t_
from sync.web.auth import LoginRequired, login_redirect
from sync.web.i18n import _
from sync.web.state import web

log = logging.getLogger("transync.web")

STATUS: tuple[tuple[type[TransyncError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (ConflictError, 409),
    (InputError, 422),
    (SourceError, 502),
    (ConfigError, 503),
)


def status_for(exc: TransyncError) -> int:
    for cls, code in STATUS:
        if isinstance(exc, cls):
            return code
    return 400


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "too_many_requests",
    500: "internal",
    502: "source_unavailable",
    503: "unavailable",
}


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where: body, query, path or header, then the field.")
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every error the API answers (4xx and 5xx) has this shape."""

    status: int = Field(description="The HTTP status again.")
    error: str = Field(
        description="A stable code: " + ", ".join(f"{k} {v}" for k, v in CODES.items()) + "."
    )
    detail: str = Field(description="What went wrong and what to do, for a person.")
    problems: list[str] = Field(
        description="Each problem of a refused input (a submission's "
        "checks, the fields of a malformed request): the "
        "first 50."
    )
    problem_count: int = Field(description="How many problems there are in all.")
    file: str | None = Field(None, description="The uploaded file a problem is in.")
    line: int | None = Field(None, description="Its line.")
    fields: list[FieldProblem] | None = Field(
        None, description="For a malformed request (422): each field's problem."
    )


def json_error(
    status: int,
    detail: str,
    *,
    problems: list[str] | None = None,
    problem_count: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "status": status,
        "error": CODES.get(status, "error"),
        "detail": detail,
        "problems": list(problems or []),
        "problem_count": problem_count if problem_count is not None else len(problems or []),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers)


def error_body(exc: TransyncError) -> dict[str, Any]:
    """``detail``; for a refused input also ``problems`` (the first 50), ``problem_count`` (all
    of them), and ``file`` and ``line`` when known."""
    body: dict[str, Any] = {"detail": exc.message}
    if isinstance(exc, InputError):
        body["problems"] = exc.shown_problems
        body["problem_count"] = exc.problem_count
        if exc.path:
            body["file"] = exc.path
        if exc.line:
            body["line"] = exc.line
    return body


def error_page(
    request: Request, status: int, message: str | None = None, problems: list[str] | None = None
) -> Response:
    # a request no route took (a 404, a 413) has no language yet: the page's is chosen now
    try:
        web(request).renderer.activate(request, getattr(request.state, "actor", None))
    except Exception:  # noqa: BLE001 - English then; the page below says so
        log.exception("could not choose the error page's language")
    titles = {
        400: _("That did not work"),
        401: _("Please sign in"),
        403: _("You may not do this"),
        404: _("Not found"),
        405: _("That did not work"),
        409: _("Not possible right now"),
        413: _("The upload is too large"),
        422: _("Please check what you sent"),
        429: _("Too many attempts"),
        502: _("A source could not be read"),
        503: _("The service is not ready"),
    }
    title = titles.get(status, _("Something went wrong"))
    try:
        return web(request).renderer.page(
            request,
            "error.html",
            {"status": status, "title": title, "message": message, "problems": problems or []},
            status_code=status,
        )
    except Exception:  # noqa: BLE001 - the error page itself failed: plain text, no trace
        log.exception("could not render the error page")
        return Response(f"{status} {title}", status_code=status, media_type="text/plain")


async def transync_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TransyncError)
    status = status_for(exc)
    if is_api(request):
        body = error_body(exc)
        return json_error(status, body.pop("detail"), **body)
    problems = exc.problem_lines() if isinstance(exc, InputError) else []
    return error_page(request, status, exc.message, problems)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    if is_api(request):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "there is nothing at this address; the API is described at /api/docs"
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed here; see /api/docs"
        return json_error(exc.status_code, detail, headers=exc.headers)
    message = None
    if exc.status_code == 404:
        message = t_("There is no page at this address.")
    elif exc.status_code == 413:
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    elif exc.status_code == 405:
        message = t_("This address does not accept that kind of request.")
    return error_page(request, exc.status_code, message)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if is_api(request):
        errors = jsonable_encoder(exc.errors())
        problems = [
            f"{'.'.join(str(x) for x in e.get('loc', ())) or '?'}: {e.get('msg', '')}"
            for e in errors
        ]
        fields = [
            {
                "loc": list(e.get("loc", ())),
                "msg": str(e.get("msg", "")),
                "type": str(e.get("type", "")),
            }
            for e in errors
        ]
        detail = (
            "the request is not valid: "
            + "; ".join(problems[:3])
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        )
        return json_error(
            422, detail, problems=problems[:50], problem_count=len(problems), fields=fields[:50]
        )
    problems = [
        t_(
            "%(field)s: %(problem)s",
            field=".".join(str(x) for x in e.get("loc", ())[1:]) or "?",
            problem=t_("a value is required")
            if e.get("type") == "missing"
            else t_("the value is not valid"),
        )
        for e in exc.errors()
    ]
    return error_page(request, 422, t_("Some fields are missing or not valid."), problems)


SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o")


def unreachable(exc: BaseException) -> bool:
    """A database error that means "not reachable now" (down, restarting, the pool
    exhausted, the file locked or gone), not a bug: SQLite's OperationalError also stands
    for a syntax error or a missing table, which stay 500s."""
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return False
    if type(exc.orig).__module__ == "sqlite3":
        text = str(exc.orig).lower()
        return any(word in text for word in SQLITE_UNAVAILABLE)
    return True  # psycopg: the server is gone, restarting, or refused the connection


DATABASE_DOWN = "the database cannot be reached; try again in a minute (/healthz says more)"


async def database_error(request: Request, exc: Exception) -> Response:
    """503 with the error shape (or the error page) while the database cannot be reached."""
    if not unreachable(exc):
        return await unexpected(request, exc)
    log.warning(
        "database unreachable on %s %s: %s",
        request.method,
        request.url.path,
        str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
    )
    if is_api(request):
        return json_error(503, DATABASE_DOWN, headers={"Retry-After": "10"})
    response = error_page(request, 503, _("The database cannot be reached. Try again in a minute."))
    response.headers["Retry-After"] = "10"
    return response


async def login_required(request: Request, exc: Exception) -> Response:
    return login_redirect(request)


async def unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if is_api(request):
        return json_error(500, "internal error; the server log has the details")
    return error_page(
        request,
        500,
        _(
            "The server could not finish this request. It has been "
            "logged; try again, or tell an admin."
        ),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(TransyncError, transync_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(sa_exc.DBAPIError, database_error)
    app.add_exception_handler(sa_exc.TimeoutError, database_error)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(Exception, unexpected)


class BodyLimit:
    """Refuse request bodies over the upload limit (plus room for form fields) with 413,
    from Content-Length before reading, or while reading a body sent without it."""

    def __init__(self, app: ASGIApp, limit: int, slack: int = 64 * 1024) -> None:
        self.app = app
        self.limit = limit
        self.allowed = limit + slack

    def too_large(self, size: int) -> HTTPException:
        return HTTPException(
            413,
            detail=t_(
                "the request is %(size)d bytes; uploads are limited to %(limit)d bytes "
                "(TRANSYNC_MAX_UPLOAD_BYTES)",
                size=size,
                limit=self.limit,
            ),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        received = 0

        async def limited() -> Message:
            nonlocal received
            if declared is not None and declared > self.allowed:
                raise self.too_large(declared)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.allowed:
                    raise self.too_large(received)
            return message

        await self.app(scope, limited, send)


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeaders:
    """nosniff, no framing, same-origin referrers, and the strict CSP on every response,
    Swagger UI included (its assets are served from this site)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"content-security-policy", CSP.encode()),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
