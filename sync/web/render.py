"""Pages from Jinja2 templates: autoescaped, translated (jinja2.ext.i18n), with the
signed-in user, the CSRF token and flash messages in every context."""

from __future__ import annotations

import datetime as dt
import difflib
import gettext as gettext_module
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request

from sync import __version__
from sync.config import Settings
from sync.matrix import version_title
from sync.web import i18n
from sync.web.csrf import csrf_token

TEMPLATES = Path(__file__).with_name("templates")

STATE_ORDER = ("current", "stale", "missing", "orphaned")


def word_diff(old: str | None, new: str | None) -> list[tuple[str, str]]:
    """Runs of ('equal' | 'del' | 'ins', text) between two texts, word by word.

    >>> word_diff("a big cat", "a small cat")
    [('equal', 'a '), ('del', 'big'), ('ins', 'small'), ('equal', ' cat')]
    """
    a = re.findall(r"\s+|\w+|[^\w\s]+", old or "")
    b = re.findall(r"\s+|\w+|[^\w\s]+", new or "")
    out: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            out.append(("ins", "".join(b[j1:j2])))
    return out


def now() -> dt.datetime:
    """The time stale ages are counted to (a function, so tests can move it)."""
    return dt.datetime.now(dt.UTC)


def stale_age(since: dt.datetime | str | None) -> Markup:
    """``for 3 days`` as a ``<time>`` element, counted to now. Shared HTML (the matrix,
    made once per snapshot) goes through :func:`live_ages` on each request, so the age
    never freezes at the time the HTML was made."""
    stamp = i18n._time(since)
    if stamp is None:
        return Markup("")
    stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    text = i18n.gettext("for %(time)s") % {"time": i18n.duration(stamp, now())}
    return Markup('<time class="since" datetime="{}" title="{}">{}</time>').format(
        stamp.isoformat().replace("+00:00", "Z"), i18n.when(stamp), text
    )


# what stale_age writes; posts' text is escaped, so only stale_age can write "<time"
_AGE = re.compile(r'<time class="since" datetime="([0-9T:Z-]{20})" title="[^"<>]*">[^<>]*</time>')


def live_ages(html: str) -> Markup:
    """HTML with every age :func:`stale_age` wrote counted again to now, in the request's
    UI language.

    >>> live_ages(stale_age("2026-01-01T00:00:00Z")) == stale_age("2026-01-01T00:00:00Z")
    True
    """
    return Markup(_AGE.sub(lambda m: str(stale_age(m.group(1))), str(html)))


def web_link(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (``javascript:``, paths) stays text."""
    if url and re.match(r"^https?://[^\s\"'<>]+$", url, re.IGNORECASE):
        return url
    return None


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page this session sees (kind: ok, error, info), in the
    request's language (a core message is translated now: the session keeps text)."""
    text = i18n.localized(text)
    messages = list(request.session.get("flash", []))[-3:]
    if len(text) > 400:  # the session is a cookie: keep it well under 4 KB
        text = text[:399] + "…"
    messages.append([kind, text])
    request.session["flash"] = messages


def error_text(exc: Exception) -> str:
    """A refusal for a flash: its message (a core message stays translatable), after the
    file (and line) it names; never the command-line hints or the problem list."""
    from sync.i18n import t_

    message = getattr(exc, "message", None) or str(exc)
    path = getattr(exc, "path", None)
    if not path:
        return message
    line = getattr(exc, "line", None)
    return t_("%(where)s: %(problem)s", where=f"{path}:{line}" if line else path, problem=message)


def query(params: Mapping[str, Any], **changes: Any) -> str:
    """A query string from `params` with `changes` applied (None removes a key)."""
    merged = {**params, **changes}
    pairs: list[tuple[str, str]] = []
    for key, value in merged.items():
        if value is None or value == "" or value == []:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, str(v)))
    return ("?" + urlencode(pairs)) if pairs else "?"


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


class Renderer:
    def __init__(
        self,
        settings: Settings,
        catalogs: Mapping[str, gettext_module.NullTranslations],
        templates: Path = TEMPLATES,
    ) -> None:
        self.settings = settings
        self.catalogs = dict(catalogs)
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            # every value a page shows that is a core message (sync.i18n.Text: a check's
            # problem, an error) is shown in the reader's language, without CLI hints
            finalize=i18n.localized,
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
        )
        self.env.filters.update(
            when=i18n.when,
            relative=i18n.relative,
            duration=i18n.duration,
            lang_name=i18n.language_name,
            word_diff=word_diff,
            web_link=web_link,
            stale_age=stale_age,
            live_ages=live_ages,
            version_title=version_title,
        )
        self.env.globals.update(
            version=__version__,
            native_name=i18n.native_name,
            query=query,
            percent=percent,
            STATE_ORDER=STATE_ORDER,
        )

    @property
    def ui_languages(self) -> list[str]:
        return sorted(self.catalogs, key=lambda c: (c != i18n.DEFAULT, c))

    def choose(self, request: Request, actor: Any | None) -> str:
        """The user's setting, else this session's choice, else Accept-Language, else English."""
        for candidate in (getattr(actor, "ui_lang", None), request.session.get("ui_lang")):
            if candidate in self.catalogs:
                return str(candidate)
        return i18n.negotiate(request.headers.get("accept-language"), self.catalogs) or i18n.DEFAULT

    def activate(self, request: Request, actor: Any | None) -> str:
        lang = self.choose(request, actor)
        i18n.activate(lang, self.catalogs)
        request.state.ui_lang = lang
        return lang

    def render(self, request: Request, name: str, context: Mapping[str, Any]) -> str:
        actor = getattr(request.state, "actor", None)
        ui_lang = self.activate(request, actor)
        flashes = request.session.pop("flash", []) if "flash" in request.session else []
        base = {
            "request": request,
            "actor": actor,
            "csrf_token": csrf_token(request),
            "flashes": flashes,
            "ui_lang": ui_lang,
            "ui_languages": self.ui_languages,
            "languages": list(self.settings.languages),
            "path": request.url.path,
            "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        }
        return self.env.get_template(name).render({**base, **context})

    def fragment(self, name: str, context: Mapping[str, Any]) -> Markup:
        """A template rendered on its own (no request, user or CSRF token in its context),
        for HTML that many requests share."""
        return Markup(self.env.get_template(name).render(context))

    def page(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        html = self.render(request, name, context or {})
        response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
        response.headers["Cache-Control"] = "no-store"
        return response
