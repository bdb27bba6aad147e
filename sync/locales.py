"""The UI's own language: gettext catalogs of domain ``transync`` (en, tr, ru), the
language current in this context, and dates and language names in it. The web chooses the
language per request (the user's setting, the session, or ``Accept-Language``); the mail
chooses the reader's. No web framework: the core's mail uses it as the web does.

Catalogs live in ``locales/<lang>/LC_MESSAGES/transync.po``; they are compiled in memory
at start (Babel), so a forgotten ``pybabel compile`` never serves stale text. The current
language is a context variable, set for the page or the mail being rendered.
"""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
import io
import logging
import sys
from collections.abc import Collection, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime, format_timedelta
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

DOMAIN = "transync"
DEFAULT = "en"


def _ui_locales() -> Path:
    """The repository's locales/ (editable installs) or the copy `pip install .` puts in
    <prefix>/share/transync/locales (pyproject's data-files)."""
    here = Path(__file__).resolve().parents[1] / "locales"
    if here.is_dir():
        return here
    return Path(sys.prefix) / "share" / "transync" / "locales"


UI_LOCALES = _ui_locales()

_ENGLISH = gettext_module.NullTranslations()
_translations: ContextVar[gettext_module.NullTranslations | None] = ContextVar(
    "transync_ui_translations", default=None
)
_locale: ContextVar[str] = ContextVar("transync_ui_locale", default=DEFAULT)


def compile_po(path: Path, lang: str) -> gettext_module.NullTranslations:
    """A PO file as gettext translations, compiled in memory (fuzzy entries are skipped)."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext_module.GNUTranslations(buf)


_CACHE: dict[tuple[str, float], gettext_module.NullTranslations] = {}


def load_catalogs(directory: Path = UI_LOCALES) -> dict[str, gettext_module.NullTranslations]:
    """Every UI language with a catalog, plus English (the msgids themselves)."""
    out: dict[str, gettext_module.NullTranslations] = {DEFAULT: gettext_module.NullTranslations()}
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        lang = po.parent.parent.name
        key = (str(po), po.stat().st_mtime)
        if key not in _CACHE:
            try:
                _CACHE[key] = compile_po(po, lang)
            except Exception as exc:  # noqa: BLE001 - a broken catalog must not stop the app
                log.warning(
                    "UI catalog %s is unreadable (%s); %s falls back to English", po, exc, lang
                )
                continue
        out[lang] = _CACHE[key]
    return out


def negotiate(header: str | None, available: Collection[str]) -> str | None:
    """The best of `available` for an Accept-Language header, by quality then order.

    >>> negotiate("de-DE,tr;q=0.8,en;q=0.5", ["en", "tr", "ru"])
    'tr'
    >>> negotiate("ru-RU", ["en", "tr", "ru"])
    'ru'
    >>> negotiate("*", ["en"]) is None
    True
    """
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        lang = tag.strip().split("-")[0].split("_")[0].lower()
        if lang and lang != "*" and q > 0:
            choices.append((-q, i, lang))
    for _, _, lang in sorted(choices):
        if lang in available:
            return lang
    return None


def activate(lang: str, catalogs: Mapping[str, gettext_module.NullTranslations]) -> None:
    """Make `lang` the language of everything rendered from here in this context."""
    _translations.set(catalogs.get(lang) or _ENGLISH)
    _locale.set(lang if lang in catalogs else DEFAULT)


def current() -> str:
    return _locale.get()


def gettext(message: str) -> str:
    return (_translations.get() or _ENGLISH).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return (_translations.get() or _ENGLISH).ngettext(singular, plural, n)


_ = gettext


def localized(value: Any) -> Any:
    """A core message (sync.i18n.Text) in the current UI language, its command-line hint
    left out; anything else as it is."""
    from sync.i18n import Text, localize

    return localize(value, gettext, ngettext) if isinstance(value, Text) else value


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def language_name(code: str, in_lang: str | None = None) -> str:
    """``tr`` as its name in the UI language: Turkish, Türkçe, турецкий → capitalised."""
    try:
        name = Locale.parse(in_lang or current()).languages.get(code)
    except (ValueError, LookupError):
        name = None
    if not name:
        return code
    return name[:1].upper() + name[1:]


def native_name(code: str) -> str:
    """A language's name in itself (for the language switcher)."""
    return language_name(code, code)


def _time(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def when(value: dt.datetime | str | None) -> str:
    """An absolute time in the UI language, in UTC (datetimes or RFC 3339 strings)."""
    value = _time(value)
    if value is None:
        return ""
    return (
        format_datetime(value.astimezone(dt.UTC), "d MMM y, HH:mm", tzinfo=dt.UTC, locale=current())
        + " UTC"
    )


def relative(value: dt.datetime | str | None, now: dt.datetime | None = None) -> str:
    """``3 days ago`` or ``in 2 hours`` in the UI language."""
    value = _time(value)
    if value is None:
        return ""
    now = now or dt.datetime.now(dt.UTC)
    return format_timedelta(value - now, add_direction=True, threshold=1.5, locale=current())


def duration(value: dt.datetime | str | None, now: dt.datetime | None = None) -> str:
    """How long since `value`, without direction: ``3 days``."""
    value = _time(value)
    if value is None:
        return ""
    now = now or dt.datetime.now(dt.UTC)
    return format_timedelta(now - value, threshold=1.5, locale=current())
