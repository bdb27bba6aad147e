"""Mail: TRANSYNC_SMTP_URL, and digests rendered in the reader's language (plain text and
HTML, links into the dashboard). The URL's password never reaches a log: :func:`describe`
is what may be shown."""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sync.config import Settings
from sync.errors import ConfigError

TEMPLATES = Path(__file__).with_name("templates")
TIMEOUT = 30.0
LANGS = ("en", "tr", "ru")


@dataclass(frozen=True, kw_only=True)
class SmtpTarget:
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None

    def describe(self) -> str:
        """For logs and errors: no password.

        >>> parse_smtp_url("smtp+starttls://me%40x.org:s3cret@mail.x.org").describe()
        'smtp+starttls://me@x.org@mail.x.org:587'
        """
        who = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{who}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://`` (port 25), ``smtps://`` (TLS from the start, 465) or
    ``smtp+starttls://`` (587), with ``user:password@`` percent-encoded."""
    parts = urlsplit(url)
    defaults = {"smtp": 25, "smtps": 465, "smtp+starttls": 587}
    if parts.scheme not in defaults or not parts.hostname:
        raise ConfigError(
            "TRANSYNC_SMTP_URL: use smtp://, smtps:// or smtp+starttls://"
            "[user:password@]host[:port]"
        )
    try:
        port = parts.port or defaults[parts.scheme]
    except ValueError as exc:
        raise ConfigError("TRANSYNC_SMTP_URL: the port is not a number") from exc
    return SmtpTarget(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class MailError(Exception):
    """Sending failed; the message says why without the password."""


def send(settings: Settings, message: EmailMessage) -> None:
    target = parse_smtp_url(settings.smtp_url)
    try:
        if target.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=TIMEOUT, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=TIMEOUT)
        with client:
            if target.scheme == "smtp+starttls":
                client.starttls(context=ssl.create_default_context())
            if target.user:
                client.login(target.user, target.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        text = str(exc)
        if target.password:
            text = text.replace(target.password, "…")
        raise MailError(f"{target.describe()}: {type(exc).__name__}: {text}"[:300]) from None


# -- rendering ---------------------------------------------------------------------------------

_ENV: Any = None


def environment() -> Any:
    global _ENV
    if _ENV is None:
        from jinja2 import Environment, FileSystemLoader, select_autoescape

        from sync import locales as i18n

        env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            extensions=["jinja2.ext.i18n"],
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, newstyle=True
        )
        env.globals.update(lang_name=i18n.language_name, when=i18n.when)
        _ENV = env
    return _ENV


#: the order of a digest's sections
SECTIONS = (
    "webhook.disabled",
    "task.rejected",
    "task.source_changed",
    "lease.expiring",
    "task.queued",
    "task.submitted",
    "translation.stale",
    "task.overdue",
)


def sections(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        grouped.setdefault(str(item.get("type")), []).append(item)
    return [(s, grouped[s]) for s in SECTIONS if s in grouped]


def compose(
    settings: Settings,
    *,
    to: str,
    name: str,
    lang: str,
    items: Sequence[Mapping[str, Any]],
    period: str,
    message_id: str,
    now: dt.datetime | None = None,
    forecast: Sequence[Mapping[str, Any]] = (),
) -> EmailMessage:
    """A digest as a multipart/alternative mail in `lang` (en, tr or ru); ``forecast``
    (editors' daily digests): each language's queue and when it clears, with its burn-down."""
    from sync import locales as i18n

    lang = lang if lang in LANGS else "en"
    catalogs = _catalogs()
    i18n.activate(lang, catalogs)
    env = environment()
    context = {
        "name": name,
        "sections": sections(items),
        "count": len(items),
        "base_url": settings.base_url.rstrip("/"),
        "period": period,
        "daily": period.startswith("daily:"),
        "lang": lang,
    }
    if forecast:
        from sync.forecastview import mail_view

        context["forecast"] = mail_view([dict(f) for f in forecast])
    text = env.get_template("digest.txt").render(context)
    html = env.get_template("digest.html").render(context)
    subject = env.get_template("subject.txt").render(context).strip()
    i18n.activate(i18n.DEFAULT, catalogs)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = formataddr((name, to))
    message["Date"] = formatdate((now or dt.datetime.now(dt.UTC)).timestamp(), usegmt=True)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = lang  # after the content: set_content clears Content-*
    return message


_CATALOGS: dict[str, Any] = {}


def _catalogs() -> Any:
    if not _CATALOGS:
        from sync.locales import load_catalogs

        _CATALOGS.update(load_catalogs())
    return _CATALOGS


def message_id(settings: Settings, digest_id: int, user_id: int) -> str:
    """The same for every attempt at one digest: a duplicate is recognisable as one."""
    domain = settings.mail_from.rsplit("@", 1)[-1].strip(" >") or "transync"
    return f"<digest-{digest_id}.{user_id}@{domain}>"
