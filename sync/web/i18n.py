"""The UI's language for the web: the catalogs, the request's language, gettext and the
date and language-name filters of :mod:`sync.locales`, under the name the pages, routers
and templates use (``from sync.web.i18n import _``). The renderer (sync.web.render)
chooses the language per request."""

from __future__ import annotations

from sync.locales import (
    _ENGLISH,
    DEFAULT,
    DOMAIN,
    N_,
    UI_LOCALES,
    _,
    _time,
    activate,
    compile_po,
    current,
    duration,
    gettext,
    language_name,
    load_catalogs,
    localized,
    native_name,
    negotiate,
    ngettext,
    relative,
    when,
)

__all__ = [
    "DEFAULT",
    "DOMAIN",
    "UI_LOCALES",
    "N_",
    "_",
    "_ENGLISH",
    "_time",
    "activate",
    "compile_po",
    "current",
    "duration",
    "gettext",
    "language_name",
    "load_catalogs",
    "localized",
    "native_name",
    "negotiate",
    "ngettext",
    "relative",
    "when",
]
