"""Who is asking: the signed-in person (``Actor``), API callers by token (``Authorization:
Bearer``), server-side sessions for pages (the cookie carries a random id; the
``web_sessions`` table says whose it is), the dependencies routes declare, and the login
and logout routes.

The pieces these build on live below it, each on its own: the token cache
(sync.web.tokens), CSRF tokens (sync.web.csrf) and the login throttle with its bound on
password checks (sync.web.throttle); their names are importable from here too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from sync.config import Settings
from sync.db.models import User, WebSession, utcnow
from sync.db.session import transaction
from sync.people import check_password, find_user, require_role
from sync.web.csrf import CSRFError, check_csrf, csrf_token
from sync.web.i18n import _
from sync.web.state import web
from sync.web.throttle import (
    CHECK_NICENESS,
    Attempt,
    LoginGuard,
    LoginThrottle,
    Refused,
    client_key,
    cores,
    refusal_message,
)
from sync.web.tokens import TokenCache

__all__ = [
    "ROLES",
    "SESSION_DAYS",
    "Actor",
    "LoginRequired",
    "actor_for",
    "api_actor",
    "api_admin",
    "api_editor",
    "bearer",
    "end_session",
    "login",
    "login_page",
    "login_redirect",
    "logout",
    "optional_actor",
    "page_actor",
    "page_admin",
    "page_editor",
    "router",
    "safe_next",
    "session_actor",
    "start_session",
    "unauthorized",
    # below auth since the split, importable from here as before
    "CHECK_NICENESS",
    "CSRFError",
    "Attempt",
    "LoginGuard",
    "LoginThrottle",
    "Refused",
    "TokenCache",
    "check_csrf",
    "client_key",
    "cores",
    "csrf_token",
    "refusal_message",
]

ROLES = ("admin", "editor", "translator")
SESSION_DAYS = 7


@dataclass(frozen=True, kw_only=True)
class Actor:
    """The signed-in person, detached from any database session (duck-types ``User`` for
    ``people.require_role`` and ``people.require_lang``)."""

    id: int
    name: str
    role: str
    langs: tuple[str, ...]
    ui_lang: str | None = None

    @property
    def languages(self) -> list[str]:
        return list(self.langs)

    @property
    def is_editor(self) -> bool:
        return self.role in ("admin", "editor")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def actor_for(user: User) -> Actor:
    return Actor(
        id=user.id,
        name=user.name,
        role=user.role,
        langs=tuple(user.languages),
        ui_lang=user.ui_lang,
    )


# -- API callers ------------------------------------------------------------------------------


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="The token `transync users add NAME` printed (or one made on your account "
    "page): `Authorization: Bearer ts_…`.",
)


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, detail=message, headers={"WWW-Authenticate": "Bearer"})


def api_actor(
    request: Request, cred: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Actor:
    """The API caller, from a Bearer token; 401 without a valid one."""
    if cred is None or not cred.credentials:
        raise unauthorized(
            "no token: send `Authorization: Bearer TOKEN` (see `transync users add NAME`)"
        )
    state = web(request)
    with transaction(state.settings.database_url, readonly=True) as session:
        user = state.tokens.lookup(session, cred.credentials)
        actor = actor_for(user) if user is not None else None
    if actor is None:
        raise unauthorized(
            "the token is not valid (unknown, replaced, or the user is "
            "deactivated); ask an admin for a new one"
        )
    request.state.actor = actor
    return actor


def api_editor(actor: Actor = Depends(api_actor)) -> Actor:
    require_role(actor, "editor")  # type: ignore[arg-type]
    return actor


def api_admin(actor: Actor = Depends(api_actor)) -> Actor:
    require_role(actor, "admin")  # type: ignore[arg-type]
    return actor


# -- page sessions ----------------------------------------------------------------------------


class LoginRequired(Exception):
    """A page needs a signed-in user: the handler redirects to /login?next=…"""


def _sid_hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _fresh_cookie(request: Request, **values: Any) -> None:
    """Empty the cookie session (keeping only the UI language) and put `values` in it."""
    ui_lang = request.session.get("ui_lang")
    request.session.clear()
    if ui_lang:
        request.session["ui_lang"] = ui_lang
    request.session.update(values)


def start_session(request: Request, settings: Settings, user_id: int) -> None:
    """A new server-side session for this browser, and a new cookie (and CSRF token) to go
    with it: no fixation. Expired sessions of anyone are swept on the way."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with transaction(settings.database_url) as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                id_hash=_sid_hash(sid),
                user_id=user_id,
                created_at=now,
                expires_at=now + dt.timedelta(days=SESSION_DAYS),
            )
        )
    _fresh_cookie(request, sid=sid, csrf=secrets.token_urlsafe(32))


def end_session(request: Request, settings: Settings) -> None:
    """This browser's session ends on the server: its cookie, replayed, opens nothing."""
    sid = request.session.get("sid")
    if isinstance(sid, str):
        with transaction(settings.database_url) as session:
            session.execute(delete(WebSession).where(WebSession.id_hash == _sid_hash(sid)))
    _fresh_cookie(request)


def session_actor(request: Request) -> Actor | None:
    """The user of the session cookie, or None (and a cookie whose session ended is
    cleared): one indexed read per request, so an ended session is refused at once."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        if "uid" in request.session:  # a cookie from before server-side sessions
            _fresh_cookie(request)
        request.state.actor = None
        return None
    state = web(request)
    with transaction(state.settings.database_url, readonly=True) as session:
        user = session.execute(
            select(User)
            .join(WebSession, WebSession.user_id == User.id)
            .where(
                WebSession.id_hash == _sid_hash(sid),
                WebSession.expires_at > utcnow(),
                User.active.is_(True),
            )
        ).scalar_one_or_none()
        actor = actor_for(user) if user is not None else None
    if actor is None:
        _fresh_cookie(request)
    request.state.actor = actor
    return actor


async def optional_actor(request: Request) -> Actor | None:
    """The signed-in user or None; also makes their UI language current for the request.

    Async on purpose: the language is a context variable, and only what is set in the
    request's own task is seen by the handler that runs next in a worker thread. Without a
    session id there is nothing to look up, and no worker thread is taken (a flood of
    anonymous requests must not queue for them)."""
    if isinstance(request.session.get("sid"), str):
        actor = await run_in_threadpool(session_actor, request)
    else:
        actor = session_actor(request)
    web(request).renderer.activate(request, actor)
    return actor


async def page_actor(actor: Actor | None = Depends(optional_actor)) -> Actor:
    if actor is None:
        raise LoginRequired()
    return actor


async def page_editor(actor: Actor = Depends(page_actor)) -> Actor:
    require_role(actor, "editor")  # type: ignore[arg-type]
    return actor


async def page_admin(actor: Actor = Depends(page_actor)) -> Actor:
    require_role(actor, "admin")  # type: ignore[arg-type]
    return actor


# -- login and logout -------------------------------------------------------------------------


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no //host): no open redirects."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(c in target for c in "\r\n\t"):
        return default
    return target


router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(
    request: Request, next: str | None = None, actor: Actor | None = Depends(optional_actor)
) -> Response:
    state = web(request)
    if actor is not None:
        return RedirectResponse(safe_next(next), 303)
    return state.renderer.page(request, "login.html", {"next": safe_next(next, "")})


def _check_login(settings: Settings, name: str, password: str) -> tuple[int, str] | None:
    """(user id, role) when the password is right. The user is read in a short read-only
    transaction; argon2 runs after it, holding no database lock."""
    with transaction(settings.database_url, readonly=True) as session:
        user = find_user(session, name) if name else None
    if not check_password(user, password):  # as slow for unknown names as for known ones
        return None
    assert user is not None
    return user.id, user.role


@router.post("/login", dependencies=[Depends(optional_actor), Depends(check_csrf)])
async def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    """Async on purpose: a refused attempt is answered from the event loop, so a flood of
    logins never occupies the worker threads that serve pages and the API."""
    state = web(request)
    name = name.strip()
    ctx: dict[str, Any] = {"next": safe_next(next, ""), "name": name}
    verdict = state.throttle.admit(
        name.casefold(), client_key(request.client.host if request.client else None)
    )
    if isinstance(verdict, Refused):
        seconds = int(verdict.seconds) + 1
        ctx["error"] = refusal_message(verdict)
        return state.renderer.page(
            request, "login.html", ctx, status_code=429, headers={"Retry-After": str(seconds)}
        )
    outcome = "void"
    try:
        signed_in = await state.throttle.check(_check_login, state.settings, name, password)
        outcome = "ok" if signed_in else "failed"
    finally:
        state.throttle.finish(verdict, outcome)
    if signed_in is None:
        ctx["error"] = _("Wrong name or password.")
        return state.renderer.page(request, "login.html", ctx, status_code=401)
    uid, role = signed_in
    await run_in_threadpool(start_session, request, state.settings, uid)
    default = "/my" if role == "translator" else "/"
    # it carries the new session's cookie: no cache may keep it
    return RedirectResponse(safe_next(next, default), 303, headers={"Cache-Control": "no-store"})


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    end_session(request, web(request).settings)
    return RedirectResponse("/login", 303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe="/"), 303)
