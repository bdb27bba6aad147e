"""Who is asking: API tokens (``Authorization: Bearer``), session cookies for pages, CSRF
tokens on every form, a login throttle, and the login and logout routes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from sync.db.models import User
from sync.db.session import transaction
from sync.errors import PermissionDenied
from sync.people import check_password, find_user, require_role, user_for_token
from sync.web.i18n import _
from sync.web.state import web

ROLES = ("admin", "editor", "translator")


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
    return Actor(id=user.id, name=user.name, role=user.role, langs=tuple(user.languages),
                 ui_lang=user.ui_lang)


def password_mark(user: User) -> str:
    """A short fingerprint of the password hash: changing the password ends other sessions."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


# -- API tokens -----------------------------------------------------------------------------


class TokenCache:
    """Verified tokens, so argon2 runs once per token and process, not once per request.

    Keyed by an HMAC of the token (the token itself is never kept); each hit is re-checked
    against the user's current token hash and active flag, so a new token or a deactivated
    user takes effect at once.
    """

    def __init__(self, secret: str, size: int = 4096) -> None:
        self._key = hashlib.sha256(("tokens:" + secret).encode()).digest()
        self._size = size
        self._seen: dict[str, tuple[int, str]] = {}
        self._verifying: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def _digest(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def lookup(self, session: Session, token: str) -> User | None:
        digest = self._digest(token)
        user = self._hit(session, digest)
        if user is not None:
            return user
        # one thread verifies a token while the others with the same token wait for it:
        # twenty requests arriving at once with a token this process has not seen would
        # otherwise run twenty argon2 verifications (seconds of CPU) side by side
        with self._lock:
            verifying = self._verifying.setdefault(digest, threading.Lock())
        with verifying:
            user = self._hit(session, digest)
            if user is None:
                user = self._verify(session, token, digest)
        with self._lock:
            self._verifying.pop(digest, None)
        return user

    def _hit(self, session: Session, digest: str) -> User | None:
        hit = self._seen.get(digest)
        if hit is None:
            return None
        user = session.get(User, hit[0])
        if user is not None and user.active and user.token_hash == hit[1]:
            return user
        with self._lock:
            self._seen.pop(digest, None)
        return None

    def _verify(self, session: Session, token: str, digest: str) -> User | None:
        user = user_for_token(session, token)
        if user is not None and user.token_hash:
            with self._lock:
                if len(self._seen) >= self._size:
                    self._seen.clear()
                self._seen[digest] = (user.id, user.token_hash)
        return user


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
        raise unauthorized("no token: send `Authorization: Bearer TOKEN` (see `transync users "
                           "add NAME`)")
    state = web(request)
    with transaction(state.settings.database_url) as session:
        user = state.tokens.lookup(session, cred.credentials)
        actor = actor_for(user) if user is not None else None
    if actor is None:
        raise unauthorized("the token is not valid (unknown, replaced, or the user is "
                           "deactivated); ask an admin for a new one")
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


def session_actor(request: Request) -> Actor | None:
    """The user of the session cookie, or None (and a stale session is cleared)."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        return None
    state = web(request)
    with transaction(state.settings.database_url) as session:
        user = session.get(User, uid)
        if user is None or not user.active or request.session.get("pw") != password_mark(user):
            actor = None
        else:
            actor = actor_for(user)
    if actor is None:
        request.session.clear()
    request.state.actor = actor
    return actor


async def optional_actor(request: Request) -> Actor | None:
    """The signed-in user or None; also makes their UI language current for the request.

    Async on purpose: the language is a context variable, and only what is set in the
    request's own task is seen by the handler that runs next in a worker thread."""
    actor = await run_in_threadpool(session_actor, request)
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


# -- CSRF ---------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


class CSRFError(PermissionDenied):
    """The form's security token does not match this session."""


async def check_csrf(request: Request) -> None:
    """Every POST from a cookie session carries the session's token (form field
    ``csrf_token`` or header ``X-CSRF-Token``)."""
    sent: Any = request.headers.get("x-csrf-token")
    if sent is None:
        form = await request.form()
        sent = form.get("csrf_token")
    expected = request.session.get("csrf")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise CSRFError(_("This form has expired or did not come from this site. Reload the "
                          "page and try again."))


# -- login throttle -----------------------------------------------------------------------------


class LoginThrottle:
    """Failed logins per (name, client address): each failure costs a short, growing pause,
    and after FREE failures the next attempt must wait 2^(n-FREE) seconds (at most CAP),
    even with the right password. Forgotten after WINDOW seconds without failures."""

    FREE = 3
    CAP = 300.0
    WINDOW = 900.0

    def __init__(self, pause: float = 0.1) -> None:
        self.pause = pause
        self._fails: dict[tuple[str, str], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: tuple[str, str], now: float | None = None) -> float:
        """Seconds before this key may try again (0 when it may)."""
        now = time.monotonic() if now is None else now
        count, last = self._fails.get(key, (0, 0.0))
        if count == 0 or now - last > self.WINDOW:
            return 0.0
        if count < self.FREE:
            return 0.0
        delay = min(2.0 ** (count - self.FREE), self.CAP)
        return max(0.0, last + delay - now)

    def failed(self, key: tuple[str, str]) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._fails) > 10_000:
                self._fails = {k: v for k, v in self._fails.items() if now - v[1] < self.WINDOW}
            count, last = self._fails.get(key, (0, 0.0))
            if now - last > self.WINDOW:
                count = 0
            self._fails[key] = (count + 1, now)
        time.sleep(min(self.pause * (count + 1), 1.0))

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._fails.pop(key, None)


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


@router.post("/login", dependencies=[Depends(optional_actor), Depends(check_csrf)])
def login(
    request: Request,
    name: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    state = web(request)
    client = request.client.host if request.client else "?"
    key = (name.strip().casefold(), client)
    ctx: dict[str, Any] = {"next": safe_next(next, ""), "name": name}
    wait = state.throttle.wait(key)
    if wait > 0:
        ctx["error"] = _("Too many failed attempts. Wait %(seconds)d seconds and try again.") % {
            "seconds": int(wait) + 1}
        return state.renderer.page(request, "login.html", ctx, status_code=429,
                                   headers={"Retry-After": str(int(wait) + 1)})
    with transaction(state.settings.database_url) as session:
        user = find_user(session, name.strip()) if name.strip() else None
        ok = check_password(user, password)  # as slow for unknown names as for known ones
        signed_in = (user.id, password_mark(user), user.role) if ok and user else None
    if signed_in is None:
        state.throttle.failed(key)
        ctx["error"] = _("Wrong name or password.")
        return state.renderer.page(request, "login.html", ctx, status_code=401)
    uid, mark, role = signed_in
    state.throttle.succeeded(key)
    ui_lang = request.session.get("ui_lang")
    request.session.clear()  # a new session (and CSRF token) at every sign-in: no fixation
    request.session.update(uid=uid, pw=mark, csrf=secrets.token_urlsafe(32))
    if ui_lang:
        request.session["ui_lang"] = ui_lang
    default = "/my" if role == "translator" else "/"
    return RedirectResponse(safe_next(next, default), 303)


@router.post("/logout", dependencies=[Depends(check_csrf)])
def logout(request: Request) -> Response:
    ui_lang = request.session.get("ui_lang")
    request.session.clear()
    if ui_lang:
        request.session["ui_lang"] = ui_lang
    return RedirectResponse("/login", 303)


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?next=" + quote(target, safe="/"), 303)
