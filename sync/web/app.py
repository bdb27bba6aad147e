"""The web app: server-rendered pages for editors and translators, the JSON API under
/api/v1 (OpenAPI at /api/docs), /healthz and /metrics."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from sync import __version__
from sync.config import Settings
from sync.web import (
    account,
    api,
    api_tasks,
    apidocs,
    auth,
    errors,
    manage,
    ops,
    pages,
    workspace,
)
from sync.web.auth import LoginThrottle, TokenCache
from sync.web.i18n import UI_LOCALES, load_catalogs
from sync.web.render import Renderer
from sync.web.state import WebState, session_secret

STATIC = Path(__file__).with_name("static")
SESSION_DAYS = 7

DESCRIPTION = """\
The JSON API of transync. Authenticate with `Authorization: Bearer TOKEN` (a token from
`transync users add NAME`, or made on your account page). Objects have the same shapes as
the command line's `--json`. Errors are `{"detail": …}`: 401 without a valid token, 403 when
your role or languages do not allow it, 404 for an unknown post or task, 409 when the
task's state does not allow it, 422 for a malformed body or a refused submission (with
`problems`).
"""


def create_app(settings: Settings, *, ui_locales: Path = UI_LOCALES) -> FastAPI:
    secret = session_secret(settings)
    app = FastAPI(
        title="transync",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/api/swagger",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = WebState(
        settings=settings,
        secret=secret,
        renderer=Renderer(settings, load_catalogs(ui_locales)),
        tokens=TokenCache(secret),
        throttle=LoginThrottle(),
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
    app.add_middleware(errors.SecurityHeaders)
    errors.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (ops.router, api.router, api_tasks.router, apidocs.router, auth.router,
                   account.router, manage.router, workspace.router, pages.router):
        app.include_router(router)
    return app


def app_from_environment() -> FastAPI:
    """The app for each process of `transync serve --workers N` (settings from TRANSYNC_*)."""
    from sync.config import load_settings

    return create_app(load_settings())
