"""Who is asking: API tokens (``Authorization: Bearer``), server-side sessions for pages
(the cookie carries a random id; the ``web_sessions`` table says whose it is), CSRF tokens
on every form, the login throttle, and the login and logout routes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from sync.config import Settings
from sync.db.models import User, WebSession, utcnow
from sync.db.session import transaction
from sync.errors import PermissionDenied
from sync.people import check_password, find_user, require_role, user_for_token
from sync.web.i18n import _
from sync.web.state import web

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
    return Actor(id=user.id, name=user.name, role=user.role, langs=tuple(user.languages),
                 ui_lang=user.ui_lang)


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
    with transaction(state.settings.database_url, readonly=True) as session:
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
        session.add(WebSession(id_hash=_sid_hash(sid), user_id=user_id, created_at=now,
                               expires_at=now + dt.timedelta(days=SESSION_DAYS)))
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
            select(User).join(WebSession, WebSession.user_id == User.id)
            .where(WebSession.id_hash == _sid_hash(sid), WebSession.expires_at > utcnow(),
                   User.active.is_(True))
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


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: the CPU priority (nice) of password checks: under a flood of logins, pages and the API
#: keep the processor and the checks take what is left
CHECK_NICENESS = 10


def _lower_priority() -> None:
    """Start of a password-check thread: a lower CPU priority for this thread only (on
    Linux priorities are per thread); the argon2 lanes it starts inherit it."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), CHECK_NICENESS)
        except OSError:
            pass


def client_key(host: str | None) -> str:
    """The address a login is counted against: IPv4 as is, IPv6 by its /64 (one host
    usually holds a whole /64)."""
    if not host:
        return "?"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


@dataclass(frozen=True)
class Attempt:
    """A sign-in admitted to a password check: counted already, settled by ``finish``."""

    account: str
    address: str
    minute: int


@dataclass(frozen=True)
class Refused:
    """A sign-in refused before any password check: wait `seconds`; `busy` when the
    password checks were all taken, else too many recent failures."""

    seconds: float
    busy: bool


class LoginThrottle:
    """Sign-in attempts, counted *before* the password is checked, so N attempts at once
    count as N: per account name (from any address), per client address (any name) and
    overall. After FREE failures of an account (ADDRESS_FREE of an address) the next
    attempt must wait 2^(n-FREE) seconds after the last (at most CAP); failures are
    forgotten WINDOW seconds after the last one. Overall, at most PER_MINUTE attempts that
    did not succeed are admitted per minute.

    Password checks (argon2, 64 MiB and four lanes each) run at most `slots` at a time (one
    per core), in threads of their own at a lower CPU priority; an attempt past that is
    refused at once, never queued and never put to sleep in a worker thread. Counts live
    in this process (each process of `serve --workers N` keeps its own, with `slots`
    shared out)."""

    FREE = 3
    ADDRESS_FREE = 20
    PER_MINUTE = 120
    CAP = 300.0
    WINDOW = 900.0
    MAX_KEYS = 50_000

    def __init__(self, slots: int | None = None,
                 clock: Any = time.monotonic) -> None:
        self.slots = max(1, slots if slots is not None else cores())
        self._clock = clock
        self._accounts: dict[str, tuple[int, float]] = {}
        self._addresses: dict[str, tuple[int, float]] = {}
        self._minute: tuple[int, int] = (0, 0)  # (minute, attempts not succeeded)
        self._checking = 0
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    async def check(self, fn: Any, *args: Any) -> Any:
        """Run a password check of an admitted attempt in the checks' own threads."""
        with self._lock:
            if self._pool is None or self._pool._max_workers < self.slots:
                self._pool = ThreadPoolExecutor(max_workers=self.slots,
                                                thread_name_prefix="transync-password",
                                                initializer=_lower_priority)
            pool = self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def _wait(self, table: dict[str, tuple[int, float]], key: str, free: int,
              now: float) -> float:
        count, last = table.get(key, (0, 0.0))
        if count < free or now - last > self.WINDOW:
            return 0.0
        delay = min(2.0 ** (count - free), self.CAP)
        return max(0.0, last + delay - now)

    @staticmethod
    def _add(table: dict[str, tuple[int, float]], key: str, now: float, window: float) -> None:
        count, last = table.get(key, (0, 0.0))
        if now - last > window:
            count = 0
        table[key] = (count + 1, now)

    def _prune(self, now: float) -> None:
        for table in (self._accounts, self._addresses):
            if len(table) > self.MAX_KEYS:
                live = {k: v for k, v in table.items() if now - v[1] <= self.WINDOW}
                if len(live) > self.MAX_KEYS:  # a flood of names: keep the ones that limit
                    live = {k: v for k, v in live.items() if v[0] >= self.FREE}
                table.clear()
                table.update(live)

    def admit(self, account: str, address: str) -> Attempt | Refused:
        """Count an attempt and admit it to a password check, or refuse it at once."""
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            self._prune(now)
            wait = max(self._wait(self._accounts, account, self.FREE, now),
                       self._wait(self._addresses, address, self.ADDRESS_FREE, now))
            this_minute, used = self._minute
            if this_minute != minute:
                self._minute = (minute, 0)
                used = 0
            if used >= self.PER_MINUTE:
                wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Refused(seconds=wait, busy=False)
            if self._checking >= self.slots:
                return Refused(seconds=1.0, busy=True)
            self._checking += 1
            self._add(self._accounts, account, now, self.WINDOW)
            self._add(self._addresses, address, now, self.WINDOW)
            self._minute = (minute, used + 1)
            return Attempt(account=account, address=address, minute=minute)

    def quick_refusal(self, address: str) -> Refused | None:
        """Before a login request is even read: a refusal that does not depend on the name
        (this address has failed too often, or every password check is taken), or None.
        Counts nothing; ``admit`` decides for the requests let through."""
        now = self._clock()
        minute = int(now // 60)
        with self._lock:
            wait = self._wait(self._addresses, address, self.ADDRESS_FREE, now)
            if self._minute[0] == minute and self._minute[1] >= self.PER_MINUTE:
                wait = max(wait, (minute + 1) * 60 - now)
            if wait > 0:
                return Refused(seconds=wait, busy=False)
            if self._checking >= self.slots:
                return Refused(seconds=1.0, busy=True)
        return None

    def finish(self, attempt: Attempt, outcome: str) -> None:
        """``failed``: the attempt stays counted. ``ok``: the account's failures are
        forgotten and this attempt no longer counts. ``void`` (no answer, e.g. the
        database was down): it no longer counts."""
        with self._lock:
            self._checking -= 1
            if outcome == "failed":
                return
            if outcome == "ok":
                self._accounts.pop(attempt.account, None)
            else:
                self._undo(self._accounts, attempt.account)
            self._undo(self._addresses, attempt.address)
            minute, used = self._minute
            if minute == attempt.minute and used:
                self._minute = (minute, used - 1)

    @staticmethod
    def _undo(table: dict[str, tuple[int, float]], key: str) -> None:
        count, last = table.get(key, (0, 0.0))
        if count <= 1:
            table.pop(key, None)
        else:
            table[key] = (count - 1, last)

    @property
    def checking(self) -> int:
        """Password checks running now."""
        return self._checking


class LoginGuard:
    """ASGI middleware: a sign-in that would be refused whatever its name (its address
    failed too often, or every password check is taken) gets its 429 before the request
    is read: no form parsing, no session, no template, a page made once per language. A
    flood of logins then costs the event loop almost nothing, and pages and the API keep
    their speed."""

    def __init__(self, app: Any, throttle: LoginThrottle, page: Any) -> None:
        self.app = app
        self.throttle = throttle
        self.page = page  # (refused, accept_language) -> bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if (scope["type"] != "http" or scope.get("method") != "POST"
                or scope.get("path") != "/login"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        refused = self.throttle.quick_refusal(client_key(client[0] if client else None))
        if refused is None:
            await self.app(scope, receive, send)
            return
        language = next((v.decode("latin-1") for k, v in scope.get("headers", ())
                         if k == b"accept-language"), None)
        body = self.page(refused, language)
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(int(refused.seconds) + 1).encode()),
            (b"cache-control", b"no-store"),
        ]})
        await send({"type": "http.response.body", "body": body})


def refusal_message(refused: Refused) -> str:
    if refused.busy:
        return _("Many sign-ins are being checked right now. Try again in a moment.")
    return _("Too many failed attempts. Wait %(seconds)d seconds and try again.") % {
        "seconds": int(refused.seconds) + 1}


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
    verdict = state.throttle.admit(name.casefold(),
                                   client_key(request.client.host if request.client else None))
    if isinstance(verdict, Refused):
        seconds = int(verdict.seconds) + 1
        ctx["error"] = refusal_message(verdict)
        return state.renderer.page(request, "login.html", ctx, status_code=429,
                                   headers={"Retry-After": str(seconds)})
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
