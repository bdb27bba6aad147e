"""People in the web: your own account (UI language, password, API token), the UI language
switch for anyone, and the admin's user pages: the list, adding a user (a name that exists
is refused) and one user's page, which shows and changes their role, languages, active
flag and password, only as asked."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sync.db.models import User
from sync.db.session import transaction
from sync.errors import InputError, NotFound, TransyncError
from sync.people import (
    MIN_PASSWORD,
    NAME,
    ROLES,
    LastAdmin,
    UserExists,
    check_password,
    create_user,
    deactivate_user,
    edit_user,
    find_user,
    issue_token,
    list_users,
    set_password,
)
from sync.web.auth import (
    Actor,
    check_csrf,
    optional_actor,
    page_actor,
    page_admin,
    safe_next,
    start_session,
)
from sync.web.i18n import _
from sync.web.render import flash
from sync.web.state import web

router = APIRouter(include_in_schema=False)


@router.post("/ui-lang", dependencies=[Depends(check_csrf)])
def ui_lang(
    request: Request,
    lang: str = Form(""),
    next: str = Form("/"),
    actor: Actor | None = Depends(optional_actor),
) -> Response:
    """Choose the UI language: kept in the session, and on the account when signed in."""
    state = web(request)
    if lang in state.renderer.catalogs:
        request.session["ui_lang"] = lang
        if actor is not None:
            with transaction(state.settings.database_url) as session:
                user = session.get(User, actor.id)
                if user is not None:
                    user.ui_lang = lang
    return RedirectResponse(safe_next(next), 303)


def _account(request: Request, actor: Actor, **extra: object) -> Response:
    state = web(request)
    with transaction(state.settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        has_token = bool(user.token_hash)
        has_password = bool(user.password_hash)
        mail = {"email": user.email or "", "digest": user.digest or "daily"}
    return state.renderer.page(
        request,
        "account.html",
        {
            "has_token": has_token,
            "has_password": has_password,
            "mail": mail,
            "mail_on": bool(state.settings.smtp_url),
            **extra,
        },
    )


@router.get("/account")
def account(request: Request, actor: Actor = Depends(page_actor)) -> Response:
    return _account(request, actor)


@router.post("/account/password", dependencies=[Depends(check_csrf)])
def change_password(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    again: str = Form(""),
    actor: Actor = Depends(page_actor),
) -> Response:
    """Every session of the user ends (a stolen cookie with it); this browser gets a new
    one."""
    state = web(request)
    error = None
    if new != again:
        error = _("The two new passwords differ.")
    elif len(new) < MIN_PASSWORD:
        error = _("A password needs at least %(count)d characters.") % {"count": MIN_PASSWORD}
    else:
        with transaction(state.settings.database_url) as session:
            user = session.get(User, actor.id)
            assert user is not None
            if user.password_hash and not check_password(user, current):
                error = _("The current password is wrong.")
            else:
                set_password(user, new)
    if error:
        return _account(request, actor, password_error=error)
    start_session(request, state.settings, actor.id)
    flash(request, "ok", _("Password changed. Other sessions are signed out."))
    return RedirectResponse("/account", 303)


@router.post("/account/token", dependencies=[Depends(check_csrf)])
def new_token(request: Request, actor: Actor = Depends(page_actor)) -> Response:
    """A new API token, shown once on this page (never put in a cookie or a redirect)."""
    state = web(request)
    with transaction(state.settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        token = issue_token(user)
    response = _account(request, actor, token=token)
    response.headers["Cache-Control"] = "no-store"
    return response


def _role_name(role: str) -> str:
    return {"admin": _("admin"), "editor": _("editor"), "translator": _("translator")}.get(
        role, role
    )


def _message(exc: TransyncError) -> str:
    """A refusal of the people functions, in the user's language."""
    name = str(exc.context.get("user", ""))
    if isinstance(exc, UserExists):
        return _(
            "A user named %(name)s exists already, so nothing was changed. Open their "
            "page to change them."
        ) % {"name": name}
    if isinstance(exc, LastAdmin):
        return _("%(name)s is the last active admin: make another user admin first.") % {
            "name": name
        }
    if isinstance(exc, NotFound):
        return _("There is no user named %(name)s.") % {"name": name}
    return exc.message


def _form_problem(request: Request, name: str, password: str, langs: list[str]) -> str | None:
    """What is wrong with a user form, checked here to say it in the user's language."""
    if not NAME.match(name):
        return _(
            "A name is 1 to 64 letters, digits, '.', '_' or '-', and starts with a letter or digit."
        )
    if password and len(password) < MIN_PASSWORD:
        return _("A password needs at least %(count)d characters.") % {"count": MIN_PASSWORD}
    unknown = [x for x in langs if x not in web(request).settings.languages]
    if unknown:
        return _("%(lang)s is not one of the configured languages.") % {"lang": unknown[0]}
    return None


def _users_page(request: Request, status_code: int = 200, **extra: object) -> Response:
    state = web(request)
    with transaction(state.settings.database_url, readonly=True) as session:
        people = list_users(session)
    return state.renderer.page(
        request, "users.html", {"people": people, "roles": ROLES, **extra}, status_code=status_code
    )


@router.get("/users")
def users(request: Request, actor: Actor = Depends(page_admin)) -> Response:
    return _users_page(request)


@router.post("/users", dependencies=[Depends(check_csrf)])
def add(
    request: Request,
    name: str = Form(""),
    role: str = Form("translator"),
    langs: list[str] = Form([]),
    password: str = Form(""),
    actor: Actor = Depends(page_admin),
) -> Response:
    """Add a new user; a name that exists (even deactivated) is refused and nothing
    changes: the form says so and links to that user's page."""
    state = web(request)
    name = name.strip()
    form = {"name": name, "role": role if role in ROLES else "translator", "langs": langs}
    problem = _form_problem(request, name, password, langs)
    if problem:
        return _users_page(request, 422, error=problem, form=form)
    try:
        with transaction(state.settings.database_url) as session:
            create_user(
                session,
                state.settings,
                name,
                role=form["role"],
                langs=langs,
                password=password or None,
            )
    except UserExists as exc:
        return _users_page(request, 409, error=_message(exc), form=form, exists=name)
    except (InputError, NotFound) as exc:
        return _users_page(request, 422, error=_message(exc), form=form)
    flash(
        request,
        "ok",
        _(
            "Added %(name)s. They can sign in once they have a password; an "
            "API token is made on their own account page."
        )
        % {"name": name},
    )
    return RedirectResponse("/users", 303)


def _user_page(request: Request, name: str, status_code: int = 200, **extra: object) -> Response:
    state = web(request)
    with transaction(state.settings.database_url, readonly=True) as session:
        person = find_user(session, name)
    if person is None:
        raise NotFound(_("There is no user named %(name)s.") % {"name": name}, user=name)
    return state.renderer.page(
        request,
        "user_edit.html",
        {"person": person, "roles": ROLES, **extra},
        status_code=status_code,
    )


@router.get("/users/{name}")
def user_page(request: Request, name: str, actor: Actor = Depends(page_admin)) -> Response:
    """One user's page: the form shows their current role, languages and active flag."""
    return _user_page(request, name)


@router.post("/users/{name}", dependencies=[Depends(check_csrf)])
def change_user(
    request: Request,
    name: str,
    role: str = Form(...),
    langs: list[str] = Form([]),
    active: str = Form(""),
    password: str = Form(""),
    actor: Actor = Depends(page_admin),
) -> Response:
    """Set exactly what the form shows: role, languages, active; a password only when one
    is typed. A new role or password, or deactivation, signs them out everywhere."""
    state = web(request)
    problem = _form_problem(request, name, password, langs)
    if problem is None and role not in ROLES:
        problem = _("Choose a role.")
    is_active = active == "on" or active == "1"
    if problem is None and name == actor.name and not is_active:
        problem = _("You cannot deactivate yourself.")
    if problem:
        return _user_page(request, name, 422, error=problem)
    try:
        with transaction(state.settings.database_url) as session:
            user = edit_user(
                session,
                state.settings,
                name,
                role=role,
                langs=langs,
                active=is_active,
                password=password or None,
            )
            role_now = user.role
    except (LastAdmin, NotFound, InputError) as exc:
        return _user_page(
            request, name, 409 if isinstance(exc, LastAdmin) else 422, error=_message(exc)
        )
    if name == actor.name:
        if role_now != "admin":
            return RedirectResponse("/login", 303)  # their sessions ended with the role
        if password:
            start_session(request, state.settings, actor.id)  # a new one for this browser
    flash(
        request, "ok", _("Saved %(name)s: %(role)s.") % {"name": name, "role": _role_name(role_now)}
    )
    return RedirectResponse(f"/users/{quote(name)}", 303)


@router.post("/users/{name}/deactivate", dependencies=[Depends(check_csrf)])
def deactivate(request: Request, name: str, actor: Actor = Depends(page_admin)) -> Response:
    state = web(request)
    if name == actor.name:
        flash(request, "error", _("You cannot deactivate yourself."))
        return RedirectResponse("/users", 303)
    try:
        with transaction(state.settings.database_url) as session:
            deactivate_user(session, name)
    except (NotFound, LastAdmin) as exc:
        flash(request, "error", _message(exc))
    else:
        flash(
            request,
            "ok",
            _("%(name)s is deactivated: their sessions and token no longer work.") % {"name": name},
        )
    return RedirectResponse("/users", 303)
