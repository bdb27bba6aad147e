"""Webhooks in the web (admins): the API under /api/v1/webhooks and the /webhooks page, both
on sync.notify.webhooks; and the caller's own mail settings (PATCH /api/v1/me/notifications,
the account page's form). A new endpoint's secret is shown once, with no-store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from sync.db.models import User
from sync.db.session import transaction
from sync.errors import InputError, TransyncError
from sync.notify import webhooks as hooks
from sync.notify.vocabulary import EVENT_TYPES
from sync.people import DIGESTS, check_digest, check_email
from sync.web.auth import Actor, api_actor, api_admin, check_csrf, page_actor, page_admin
from sync.web.i18n import _, ngettext
from sync.web.render import flash
from sync.web.schemas import Open, answers
from sync.web.state import web

router = APIRouter()


class WebhookOut(Open):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: str | None
    failing_since: str | None = None
    disabled_reason: str | None = None
    deliveries: dict[str, int] = Field(default_factory=dict, description="Deliveries per state.")


class NewWebhook(WebhookOut):
    secret: str = Field(
        description="`whsec_…`, for the Standard Webhooks signature: shown "
        "only in this answer (Cache-Control: no-store)."
    )


class WebhookList(Open):
    webhooks: list[WebhookOut]


class Attempt(Open):
    id: int
    webhook: int
    webhook_id: str = Field(description="The `webhook-id` header: the same on every retry.")
    event: str
    attempt: int
    at: str | None
    result: str = Field(description="delivered, retry or failed")
    status: int | None
    latency_ms: float | None
    error: str | None
    next_attempt_at: str | None


class AttemptList(Open):
    attempts: list[Attempt]


class WebhookBody(BaseModel):
    url: str = Field(description="An http:// or https:// URL.")
    events: list[str] = Field(
        description=f'Event types, or ["*"] for all: {", ".join(EVENT_TYPES)}.'
    )


@router.get(
    "/api/v1/webhooks",
    tags=["webhooks"],
    summary="Every webhook (never a secret)",
    **answers(WebhookList),
)
def list_api(request: Request, actor: Actor = Depends(api_admin)) -> dict[str, Any]:
    with transaction(web(request).settings.database_url, readonly=True) as session:
        return {"webhooks": hooks.list_webhooks(session)}


@router.post(
    "/api/v1/webhooks",
    tags=["webhooks"],
    status_code=201,
    summary="Add a webhook; its secret is in this answer only",
    **answers(NewWebhook, 422, status=201, description="Created."),
)
def add_api(
    request: Request, response: Response, body: WebhookBody, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    response.headers["Cache-Control"] = "no-store"
    with transaction(web(request).settings.database_url) as session:
        hook, secret = hooks.add_webhook(session, body.url, body.events, actor=actor.name)
        return {**hooks.webhook_dict(hook), "secret": secret}


@router.delete(
    "/api/v1/webhooks/{webhook_id}",
    tags=["webhooks"],
    summary="Remove a webhook (waiting deliveries are cancelled; the log stays)",
    **answers(WebhookOut, 404),
)
def remove_api(
    request: Request, webhook_id: int, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    with transaction(web(request).settings.database_url) as session:
        return hooks.webhook_dict(hooks.remove_webhook(session, webhook_id))


@router.post(
    "/api/v1/webhooks/{webhook_id}/enable",
    tags=["webhooks"],
    summary="Enable a webhook that was disabled",
    **answers(WebhookOut, 404),
)
def enable_api(
    request: Request, webhook_id: int, actor: Actor = Depends(api_admin)
) -> dict[str, Any]:
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        hook, missed = hooks.enable_webhook(session, settings, webhook_id)
        return {**hooks.webhook_dict(hook), "missed": missed}


@router.get(
    "/api/v1/webhooks/log",
    tags=["webhooks"],
    summary="Delivery attempts of every webhook, newest first",
    **answers(AttemptList),
)
def log_api(
    request: Request,
    limit: int = Query(50, ge=1, le=1000),
    before: int | None = Query(None),
    actor: Actor = Depends(api_admin),
) -> dict[str, Any]:
    with transaction(web(request).settings.database_url, readonly=True) as session:
        return {"attempts": hooks.delivery_log(session, None, limit=limit, before=before)}


@router.get(
    "/api/v1/webhooks/{webhook_id}/log",
    tags=["webhooks"],
    summary="One webhook's delivery attempts, newest first",
    **answers(AttemptList, 404),
)
def hook_log_api(
    request: Request,
    webhook_id: int,
    limit: int = Query(50, ge=1, le=1000),
    before: int | None = Query(None),
    actor: Actor = Depends(api_admin),
) -> dict[str, Any]:
    with transaction(web(request).settings.database_url, readonly=True) as session:
        return {"attempts": hooks.delivery_log(session, webhook_id, limit=limit, before=before)}


class MailSettings(Open):
    email: str | None
    digest: str = Field(description="off, daily or immediate")


class MailBody(BaseModel):
    email: str | None = Field(None, description="Where mail goes ('' for none).")
    digest: str | None = Field(None, description="off, daily or immediate.")


@router.patch(
    "/api/v1/me/notifications",
    tags=["users"],
    summary="Your mail: address and digest (only the fields sent)",
    **answers(MailSettings, 422),
)
def my_mail(request: Request, body: MailBody, actor: Actor = Depends(api_actor)) -> dict[str, Any]:
    with transaction(web(request).settings.database_url) as session:
        user = session.get(User, actor.id)
        assert user is not None
        if body.email is not None:
            user.email = check_email(body.email)
        if body.digest is not None:
            user.digest = check_digest(body.digest)
        return {"email": user.email, "digest": user.digest}


# -- pages -------------------------------------------------------------------------------------


def _page(request: Request, status_code: int = 200, **extra: Any) -> Response:
    state = web(request)
    with transaction(state.settings.database_url, readonly=True) as session:
        items = hooks.list_webhooks(session)
        log = hooks.delivery_log(session, None, limit=50)
    return state.renderer.page(
        request,
        "webhooks.html",
        {"webhooks": items, "log": log, "event_types": EVENT_TYPES, **extra},
        status_code=status_code,
    )


@router.get("/webhooks", include_in_schema=False)
def page(request: Request, actor: Actor = Depends(page_admin)) -> Response:
    return _page(request)


@router.post("/webhooks", include_in_schema=False, dependencies=[Depends(check_csrf)])
def add_page(
    request: Request,
    url: str = Form(""),
    events: list[str] = Form([]),
    actor: Actor = Depends(page_admin),
) -> Response:
    """The secret is shown on this answer only (no-store), never again."""
    try:
        with transaction(web(request).settings.database_url) as session:
            hook, secret = hooks.add_webhook(session, url, events or ["*"], actor=actor.name)
            new = hooks.webhook_dict(hook)
    except InputError:
        return _page(
            request,
            422,
            error=_("Give an http:// or https:// address and at least one event."),
            form={"url": url},
        )
    response = _page(request, new=new, secret=secret)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "/webhooks/{webhook_id}/remove", include_in_schema=False, dependencies=[Depends(check_csrf)]
)
def remove_page(request: Request, webhook_id: int, actor: Actor = Depends(page_admin)) -> Response:
    with transaction(web(request).settings.database_url) as session:
        hooks.remove_webhook(session, webhook_id)
    flash(request, "ok", _("Webhook #%(id)d removed.") % {"id": webhook_id})
    return RedirectResponse("/webhooks", 303)


@router.post(
    "/webhooks/{webhook_id}/enable", include_in_schema=False, dependencies=[Depends(check_csrf)]
)
def enable_page(request: Request, webhook_id: int, actor: Actor = Depends(page_admin)) -> Response:
    settings = web(request).settings
    with transaction(settings.database_url) as session:
        _hook, missed = hooks.enable_webhook(session, settings, webhook_id)
    flash(
        request,
        "ok",
        ngettext(
            "Webhook #%(id)d enabled; %(n)d event from while it was disabled will be delivered.",
            "Webhook #%(id)d enabled; %(n)d events from while it was disabled will be delivered.",
            missed,
        )
        % {"id": webhook_id, "n": missed},
    )
    return RedirectResponse("/webhooks", 303)


@router.post("/account/notifications", include_in_schema=False, dependencies=[Depends(check_csrf)])
def account_mail(
    request: Request,
    email: str = Form(""),
    digest: str = Form("daily"),
    actor: Actor = Depends(page_actor),
) -> Response:
    """The account page's mail form: address and how often."""
    try:
        with transaction(web(request).settings.database_url) as session:
            user = session.get(User, actor.id)
            assert user is not None
            user.email = check_email(email)
            user.digest = check_digest(digest if digest in DIGESTS else "")
    except TransyncError:
        flash(request, "error", _("That is not an e-mail address."))
        return RedirectResponse("/account", 303)
    flash(request, "ok", _("Mail settings saved."))
    return RedirectResponse("/account", 303)
