"""People in the web: your own account (UI language, password, API token), the UI language
switch for anyone, and the admin's user list."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from sync.db.models import User
from sync.db.session import transaction
from sync.errors import InputError, NotFound
from sync.people import (
    ROLES,
    add_user,
    check_password,
    deactivate_user,
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
    password_mark,
    safe_next,
)
from sync.web.i18n import _
from sync.web.render import flash
from sync.web.state import web

router = APIRouter(include_in_schema=False)


@router.post("/ui-lang", dependencies=[Depends(check_csrf)])
def ui_lang(request: Request, lang: str = Form(""), next: str = Form("/"),
            actor: Actor | None = Depends(optional_actor)) -> Response:
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
    return state.renderer.page(request, "account.html", {
        "has_token": has_token, "has_password": has_password, **extra})


@router.get("/account")
def account(request: Request, actor: Actor = Depends(page_actor)) -> Response:
    return _account(request, actor)


@router.post("/account/password", dependencies=[Depends(check_csrf)])
def change_password(request: Request, current: str = Form(""), new: str = Form(""),
                    again: str = Form(""), actor: Actor = Depends(page_actor)) -> Response:
    state = web(request)
    error = None
    if new != again:
        error = _("The two new passwords differ.")
    else:
        with transaction(state.settings.database_url) as session:
            user = session.get(User, actor.id)
            assert user is not None
            if user.password_hash and not check_password(user, current):
                error = _("The current password is wrong.")
            else:
                try:
                    set_password(user, new)
                except InputError:
                    error = _("A password needs at least 8 characters.")
                else:
                    request.session["pw"] = password_mark(user)
    if error:
        return _account(request, actor, password_error=error)
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
    return _account(request, actor, token=token)


@router.get("/users")
def users(request: Request, actor: Actor = Depends(page_admin)) -> Response:
    state = web(request)
    with transaction(state.settings.database_url) as session:
        people = list_users(session)
    return state.renderer.page(request, "users.html", {"people": people, "roles": ROLES})


@router.post("/users", dependencies=[Depends(check_csrf)])
def add(request: Request, name: str = Form(""), role: str = Form("translator"),
        langs: list[str] = Form([]), password: str = Form(""),
        actor: Actor = Depends(page_admin)) -> Response:
    state = web(request)
    try:
        with transaction(state.settings.database_url) as session:
            user, _token = add_user(session, state.settings, name.strip(), role=role,
                                    langs=langs)
            user.role = role
            if password:
                set_password(user, password)
    except InputError as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", _("Saved %(name)s. They can sign in once they have a password; "
                               "an API token is made on their own account page.") % {
            "name": name.strip()})
    return RedirectResponse("/users", 303)


@router.post("/users/{name}/deactivate", dependencies=[Depends(check_csrf)])
def deactivate(request: Request, name: str, actor: Actor = Depends(page_admin)) -> Response:
    state = web(request)
    if name == actor.name:
        flash(request, "error", _("You cannot deactivate yourself."))
        return RedirectResponse("/users", 303)
    try:
        with transaction(state.settings.database_url) as session:
            deactivate_user(session, name)
    except NotFound as exc:
        flash(request, "error", exc.message)
    else:
        flash(request, "ok", _("%(name)s is deactivated: their sessions and token no longer "
                               "work.") % {"name": name})
    return RedirectResponse("/users", 303)
