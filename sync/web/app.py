"""The web app: server-rendered pages for editors and translators, the JSON API under
/api/v1 (OpenAPI at /api/docs), /healthz and /metrics."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from sync import __version__
from sync.config import Settings
from sync.web import (
    account,
    api,
    api_formats,
    api_tasks,
    apidocs,
    auth,
    errors,
    forecast,
    i18n,
    manage,
    ops,
    pages,
    webhooks,
    workspace,
)
from sync.web.auth import SESSION_DAYS
from sync.web.i18n import UI_LOCALES, load_catalogs
from sync.web.render import Renderer
from sync.web.state import WebState, session_secret
from sync.web.throttle import LoginGuard, LoginThrottle, Refused, cores, refusal_message
from sync.web.tokens import TokenCache

STATIC = Path(__file__).with_name("static")
#: set by `transync serve --workers N` for its processes: they share the cores
WORKERS_VARIABLE = "TRANSYNC_SERVE_WORKERS"

DESCRIPTION = """\
The JSON API of transync. Authenticate with `Authorization: Bearer TOKEN` (a token from
`transync users add NAME`, or made on your account page). Objects have the same shapes as
the command line's `--json`. Each operation says the role it needs: **admin**, **editor**
(editors and admins) or **translator** (anyone with a token; translators act on their own
languages and tasks).

Every error has one shape (`ErrorBody`): `{"status", "error", "detail", "problems",
"problem_count"}`, plus `file`, `line` or `fields` when known. 401 without a valid token,
403 when your role or languages do not allow it, 404 for an unknown post, task or user,
409 when the state does not allow it, 413 for an upload over the limit, 422 for a malformed
request (each field in `problems` and `fields`) or a refused submission (each problem in
`problems`), 503 while the database cannot be reached. Answers that carry a token are sent
with `Cache-Control: no-store`.
"""


def password_slots() -> int:
    """Password checks at once in this process: one per core, shared by the processes of
    `serve --workers N`."""
    try:
        workers = max(1, int(os.environ.get(WORKERS_VARIABLE, "1")))
    except ValueError:
        workers = 1
    return max(1, cores() // workers)


def refusal_page(renderer: Renderer) -> Callable[[Refused, str | None], bytes]:
    """The page LoginGuard answers with: no session, no form, the browser's language."""

    def page(refused: Refused, accept_language: str | None) -> bytes:
        lang = i18n.negotiate(accept_language, renderer.catalogs) or i18n.DEFAULT
        i18n.activate(lang, renderer.catalogs)
        return renderer.fragment(
            "login_refused.html", {"message": refusal_message(refused), "ui_lang": lang}
        ).encode()

    return page


def create_app(settings: Settings, *, ui_locales: Path = UI_LOCALES) -> FastAPI:
    secret = session_secret(settings)
    app = FastAPI(
        title="transync",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI is apidocs' own, served from this site
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    apidocs.install(app)
    app.state.web = WebState(
        settings=settings,
        secret=secret,
        renderer=Renderer(settings, load_catalogs(ui_locales)),
        tokens=TokenCache(secret),
        throttle=LoginThrottle(slots=password_slots()),
    )
    app.add_middleware(errors.BodyLimit, limit=settings.max_upload_bytes)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="transync_session",
        max_age=SESSION_DAYS * 86400,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    state = app.state.web
    app.add_middleware(LoginGuard, throttle=state.throttle, page=refusal_page(state.renderer))
    app.add_middleware(errors.SecurityHeaders)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        ops.router,
        api.router,
        api_tasks.router,
        apidocs.router,
        auth.router,
        account.router,
        manage.router,
        workspace.router,
        pages.router,
    ):
        app.include_router(router)
    app.include_router(api_formats.router)  # XLIFF and TMX (issue 20)
    app.include_router(forecast.router)  # words, pace and the backlog forecast (issue 19)
    app.include_router(webhooks.router)  # webhooks and mail settings (issue 18)
    return app


def app_from_environment() -> FastAPI:
    """The app for each process of `transync serve --workers N` (settings from TRANSYNC_*)."""
    from sync.config import load_settings

    return create_app(load_settings())
