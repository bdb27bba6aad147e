"""HTTP to a WordPress REST API: the client, retries with backoff, and errors that say
what to do.

Reads are retried on 429 and 5xx (honouring Retry-After), timeouts and dropped
connections, within a budget of attempts and seconds. A write is retried here only when it
surely was not applied; otherwise _MaybeApplied lets write-back look before it writes
again. A refusal becomes a SourceError naming the request (never its credentials) and the
likely fix: the address, the application password, the user's role, the WordPress version.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import itertools
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from sync import __version__
from sync.errors import ConfigError, SourceError
from sync.i18n import Text, nt_, t_

log = logging.getLogger("sync.sources.wordpress")  # the name logs had before the split

#: The largest page WordPress serves.
PER_PAGE = 100
REST_BASES = {"post": "posts", "page": "pages"}
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
CREDENTIALS_HINT = t_(
    "TRANSYNC_WP_USER and TRANSYNC_WP_APP_PASSWORD (an application password from "
    "Users → Profile → Application Passwords, not the login password)"
)


class _MaybeApplied(SourceError):
    """A write may or may not have reached WordPress (timeout, dropped connection, 5xx)."""


class _RestClient:
    """The HTTP half of WordPressSite: one client per read or write, requests with
    retries, and the REST base of each post type."""

    #: Seams for tests and tuning: timeouts, the retry budget and how to wait.
    timeout = httpx.Timeout(30.0, connect=10.0)
    max_attempts = 6
    max_wait = 120.0  # seconds of backoff in total, per request
    backoff = 1.0  # first wait without Retry-After; doubles each attempt
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    # set by WordPressSite.__init__
    base: str
    user: str
    _password: str
    _rest_bases: dict[str, str]
    _client: httpx.Client | None

    @property
    def authenticated(self) -> bool:
        return bool(self.user and self._password)

    def _rest_base(self, post_type: str) -> str:
        """``posts`` for post, ``pages`` for page; other types as ``/wp/v2/types`` says."""
        if post_type not in self._rest_bases:
            url = f"{self.base}/wp-json/wp/v2/types"
            types = _json(self._request("GET", url), url)
            for name, info in types.items() if isinstance(types, dict) else ():
                if isinstance(info, dict) and info.get("rest_base"):
                    self._rest_bases.setdefault(name, str(info["rest_base"]))
            if post_type not in self._rest_bases:
                raise ConfigError(
                    t_(
                        "TRANSYNC_WP_POST_TYPES names %(type)s, which %(site)s does not offer "
                        "through the REST API (show_in_rest)",
                        type=repr(post_type),
                        site=self.base,
                    )
                )
        return self._rest_bases[post_type]

    def _open(self) -> _ClientScope:
        return _ClientScope(self)

    def _new_client(self) -> httpx.Client:
        auth = httpx.BasicAuth(self.user, self._password) if self.authenticated else None
        return httpx.Client(
            auth=auth,
            timeout=self.timeout,
            follow_redirects=False,
            headers={"User-Agent": f"transync/{__version__}", "Accept": "application/json"},
        )

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        idempotent: bool = True,
        allow: Sequence[int] = (),
    ) -> httpx.Response:
        """Send with retries: 429 and 5xx (honouring Retry-After), timeouts, dropped
        connections. A write is retried here only when it surely was not applied (429, no
        connection); otherwise _MaybeApplied lets the caller look before it writes again."""
        if self._client is None:
            with self._open():
                return self._request(
                    method,
                    url,
                    params=params,
                    json_body=json_body,
                    idempotent=idempotent,
                    allow=allow,
                )
        shown = _shown(url, params)
        waited = 0.0
        for attempt in itertools.count():
            retry_after: float | None = None
            response: httpx.Response | None = None
            status = 0
            why: Text
            try:
                response = self._client.request(method, url, params=params, json=json_body)
            except httpx.TimeoutException as exc:
                why = t_("timed out (%(error)s)", error=type(exc).__name__)
                if not idempotent and not isinstance(exc, httpx.ConnectTimeout):
                    raise _MaybeApplied(
                        f"WordPress at {self.base}: {method} {shown} {why}", url=shown
                    ) from exc
            except httpx.TransportError as exc:
                why = t_("could not be sent: %(error)s", error=_transport(exc))
                if not idempotent and not isinstance(exc, httpx.ConnectError):
                    raise _MaybeApplied(
                        f"WordPress at {self.base}: {method} {shown} {why}", url=shown
                    ) from exc
            else:
                status = response.status_code
                if status not in RETRY_STATUSES:
                    if status >= 300 and status not in allow:
                        raise self._refused(method, shown, response)
                    return response
                why = t_(
                    "answered %(status)d %(reason)s", status=status, reason=response.reason_phrase
                )
                if not idempotent and status != 429:
                    raise _MaybeApplied(
                        f"WordPress at {self.base}: {method} {shown} {why}",
                        url=shown,
                        status=status,
                    )
                retry_after = _retry_after(response.headers.get("Retry-After"))
            delay = retry_after if retry_after is not None else self.backoff * 2**attempt
            if attempt + 1 >= self.max_attempts or waited + delay > self.max_wait:
                hint = (
                    t_("check the address and that the site is up")
                    if response is None
                    else t_("ask the host about rate limits")
                    if status == 429
                    else t_("the site has a problem: see its error log")
                )
                given = {
                    "site": self.base,
                    "request": f"{method} {shown}",
                    "problem": why,
                    "attempts": attempt + 1,
                    "waited": f"{waited:g}",
                    "hint": hint,
                }
                raise SourceError(
                    nt_(
                        "WordPress at %(site)s: %(request)s %(problem)s and asked to wait "
                        "%(delay)s s more; gave up after %(attempts)d attempts and %(waited)s s "
                        "of waiting. Try again later; %(hint)s",
                        "WordPress at %(site)s: %(request)s %(problem)s and asked to wait "
                        "%(delay)s s more; gave up after %(attempts)d attempts and %(waited)s s "
                        "of waiting. Try again later; %(hint)s",
                        attempt + 1,
                        delay=f"{delay:g}",
                        **given,
                    )
                    if retry_after
                    else nt_(
                        "WordPress at %(site)s: %(request)s %(problem)s; gave up after "
                        "%(attempts)d attempts and %(waited)s s of waiting. Try again later; "
                        "%(hint)s",
                        "WordPress at %(site)s: %(request)s %(problem)s; gave up after "
                        "%(attempts)d attempts and %(waited)s s of waiting. Try again later; "
                        "%(hint)s",
                        attempt + 1,
                        **given,
                    ),
                    url=shown,
                )
            log.warning(
                "WordPress at %s: %s %s %s; retrying in %.1f s",
                self.base,
                method,
                shown,
                why,
                delay,
            )
            self.sleep(delay)
            waited += delay
        raise AssertionError("unreachable")  # pragma: no cover

    def _refused(self, method: str, shown: str, response: httpx.Response) -> SourceError:
        status = response.status_code
        code, message = _wp_error(response)
        answered = {
            "site": self.base,
            "request": f"{method} {shown}",
            "status": status,
            "reason": response.reason_phrase,
        }
        head = (
            t_(
                "WordPress at %(site)s: %(request)s answered %(status)d %(reason)s "
                "(%(code)s: %(message)s)",
                code=code,
                message=message,
                **answered,
            )
            if code or message
            else t_("WordPress at %(site)s: %(request)s answered %(status)d %(reason)s", **answered)
        )
        hint: Text
        if 300 <= status < 400:
            where = _without_credentials(response.headers.get("Location", "elsewhere"))
            target = urlsplit(where)._replace(query="", fragment="").geturl()
            moved, rest_api, _ = target.partition("/wp-json/")
            if rest_api and moved:  # the REST API is elsewhere: https, another host or path
                hint = t_(
                    "the site's REST API is at %(site)s/wp-json/; use wp:%(site)s as the source",
                    site=moved,
                )
            else:  # WordPress redirected to a page it guessed from the address
                hint = t_(
                    "no WordPress REST API at %(site)s/wp-json/ (WordPress redirected to "
                    "%(target)s): check the wp: address (with a sub-directory install "
                    "include it, e.g. wp:https://example.org/blog)",
                    site=self.base,
                    target=target,
                )
        elif self.authenticated and (status == 401 or _forbidden_params(response)):
            # WordPress 6.1 answers a wrong application password as it answers a visitor
            # (401 rest_forbidden_context, or 400 for the statuses a visitor may not list)
            hint = t_(
                "WordPress did not accept the credentials, or the user %(user)s may "
                "not edit posts: check %(credentials)s, and give the user the Editor role",
                user=repr(self.user),
                credentials=CREDENTIALS_HINT,
            )
        elif status == 401:
            hint = t_(
                "this needs a WordPress user: set %(credentials)s", credentials=CREDENTIALS_HINT
            )
        elif status == 403:
            hint = (
                t_(
                    "the user %(user)s may not do this: give it the Editor role, and check "
                    "that no security plugin blocks the REST API",
                    user=repr(self.user),
                )
                if self.authenticated
                else t_(
                    "the site refuses visitors: set %(credentials)s, and check that no "
                    "security plugin blocks the REST API",
                    credentials=CREDENTIALS_HINT,
                )
            )
        elif status == 404:
            hint = t_(
                "no WordPress REST API at %(site)s/wp-json/: check the wp: address "
                "(with a sub-directory install include it, e.g. wp:https://example.org/blog)",
                site=self.base,
            )
        else:
            hint = t_("WordPress rejected the request; transync needs WordPress 5.7 or later")
        return SourceError(
            t_("%(problem)s; %(hint)s", problem=head, hint=hint), url=shown, status=status
        )


class _ClientScope:
    """Opens the HTTP client for a read or a write and closes it after (re-entrant)."""

    def __init__(self, site: _RestClient) -> None:
        self.site = site
        self.owner = False

    def __enter__(self) -> _ClientScope:
        if self.site._client is None:
            self.site._client = self.site._new_client()
            self.owner = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self.owner and self.site._client is not None:
            self.site._client.close()
            self.site._client = None


def _site_url(url: str) -> str:
    """``https://example.org/blog/`` → ``https://example.org/blog``; credentials refused."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"wp:{_without_credentials(text)} is not a site address; write wp:https://example.org"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"wp:{_without_credentials(text)}: do not put credentials in the "
            f"address; set {CREDENTIALS_HINT}"
        )
    path = parts.path.rstrip("/")
    if path.endswith("/wp-json"):
        path = path[: -len("/wp-json")]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


def _without_credentials(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(an address that cannot be read)"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def _shown(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL as an error shows it: with its query, never with credentials."""
    if not params:
        return url
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != "_fields")
    return f"{url}?{query}"


def _transport(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        kind: str | None = response.headers.get("Content-Type")
        if kind is None:
            kind = t_("unknown type")
        raise SourceError(
            t_(
                "%(url)s answered %(type)s, not JSON; is this a WordPress site with the REST "
                "API enabled?",
                url=url,
                type=kind,
            ),
            url=url,
        ) from exc


def _wp_error(response: httpx.Response) -> tuple[str, str]:
    """WordPress's ``{"code": …, "message": …}`` error body, shortened."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    message = html.unescape(str(body.get("message") or "")).strip()
    if len(message) > 200:
        message = message[:199] + "…"
    return str(body.get("code") or ""), message


def _forbidden_params(response: httpx.Response) -> bool:
    """A 400 ``rest_invalid_param`` because the user may not ask for a parameter's value
    (``rest_forbidden_status``: drafts, without the right to edit)."""
    if response.status_code != 400:
        return False
    try:
        body = response.json()
        details = body["data"]["details"]
        return any(str(d.get("code", "")).startswith("rest_forbidden") for d in details.values())
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


def _server_time(response: httpx.Response) -> dt.datetime | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default
