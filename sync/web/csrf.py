"""CSRF tokens: each cookie session has one, every form carries it, and every POST from a
cookie session must send it back. The renderer puts it in every page and the routes check
it; both use this module, which needs neither."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import Request

from sync.errors import PermissionDenied
from sync.web.i18n import _


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
        raise CSRFError(
            _(
                "This form has expired or did not come from this site. Reload the "
                "page and try again."
            )
        )
