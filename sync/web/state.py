"""What the web app keeps for its lifetime: settings, the session secret, the renderer,
the token cache and the login throttle. One per app, reached from any request."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from sync.config import Settings

if TYPE_CHECKING:
    from sync.web.render import Renderer
    from sync.web.throttle import LoginThrottle
    from sync.web.tokens import TokenCache

log = logging.getLogger("transync.web")


def session_secret(settings: Settings) -> str:
    """TRANSYNC_SECRET_KEY, or a random key for this process only (sessions then end with it,
    and several processes behind one address do not share logins)."""
    if settings.secret_key:
        return settings.secret_key
    log.warning(
        "TRANSYNC_SECRET_KEY is not set: using a random key for this process; web "
        "logins end when it stops. Set it (e.g. `openssl rand -hex 32`) in production."
    )
    return secrets.token_urlsafe(48)


@dataclass(kw_only=True)
class WebState:
    settings: Settings
    secret: str
    renderer: Renderer
    tokens: TokenCache
    throttle: LoginThrottle


def web(request: Request) -> WebState:
    return request.app.state.web  # type: ignore[no-any-return]


def read_upload(fileobj: Any, limit: int, name: str = "") -> bytes:
    """At most `limit` bytes of an upload, or 413 saying the limit."""
    from starlette.exceptions import HTTPException

    from sync.i18n import t_

    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(
            413,
            detail=(
                t_(
                    "%(name)s is larger than %(limit)d bytes, the upload limit "
                    "(TRANSYNC_MAX_UPLOAD_BYTES)",
                    name=name,
                    limit=limit,
                )
                if name
                else t_(
                    "the file is larger than %(limit)d bytes, the upload limit "
                    "(TRANSYNC_MAX_UPLOAD_BYTES)",
                    limit=limit,
                )
            ),
        )
    return bytes(data)
