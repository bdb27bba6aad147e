"""Settings, read in one place: TRANSYNC_* variables win over transync.toml, which wins
over the defaults.

Every setting below has a variable named TRANSYNC_<NAME>; in transync.toml the
same name is written in lower case (``database_url = "sqlite:///x.db"``),
at the top level or under a ``[transync]`` table.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sync.errors import ConfigError


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.replace(",", " ").split() if v.strip())


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting with its default; see docs in README.md#configuration."""

    database_url: str = "sqlite:///transync.db"
    languages: tuple[str, ...] = ("en", "tr", "ru")
    source_lang: str = "en"
    locales_dir: str = "locales"
    broker_url: str = "sqla+sqlite:///transync-broker.db"
    sources: tuple[str, ...] = ()
    plan_drafts: bool = False
    lease_hours: float = 48.0
    review: bool = False
    four_eyes: str = ""  # true | false; empty: as TRANSYNC_REVIEW
    scan_interval: int = 300
    export_interval: int = 600
    max_upload_bytes: int = 5_000_000
    secure_cookies: bool = False
    secret_key: str = ""
    wp_user: str = ""
    wp_app_password: str = field(default="", repr=False)
    wp_reconcile_hours: float = 24.0
    wp_post_types: tuple[str, ...] = ("post", "page")
    wp_publish: bool = False
    wp_locale_map: str = ""
    wp_default_lang: str = ""  # the language of WordPress posts that have none (wp:, wxr:)
    tm_min_score: float = 75.0
    # adopting real sites (issue 14) and bounded inputs (issue 15)
    history: str = "auto"  # auto: take first baselines from git when the tree is in a work tree
    front_matter_fields: tuple[str, ...] = ("title", "description", "summary", "linkTitle")
    ignore: str = ""  # space-separated gitignore-style patterns, relative to a tree's root
    stub_fields: tuple[str, ...] = ("untranslated",)
    source_langs: tuple[str, ...] = ()  # empty: every configured language may be a source
    shortcode_text_params: tuple[str, ...] = ("text", "title", "alt", "caption")
    max_document_bytes: int = 10_000_000
    # notifications (issue 18): mail, links, webhook deliveries, the notify tick
    smtp_url: str = field(default="", repr=False)  # smtp://, smtps://, smtp+starttls://
    mail_from: str = "transync@localhost"
    base_url: str = "http://localhost:8000"  # links in mails and webhook payloads
    webhook_timeout: float = 10.0  # seconds per delivery attempt
    webhook_retry_seconds: float = 30.0  # the first retry's delay; doubled each time
    webhook_retry_hours: float = 24.0  # retries stop this long after the first attempt
    webhook_disable_days: float = 3.0  # an endpoint failing this long is disabled
    notify_interval: float = 10.0  # seconds between two notify ticks (beat)
    digest_hour: int = 7  # the UTC hour daily digests go out
    # how much work, and when it will be done (issue 19)
    word_rate: str = ""  # price of a word: 0.08 for every language, or tr=0.08,ru=0.07
    currency: str = "EUR"
    forecast_days: int = 60  # the past window throughput and the forecast are measured over
    #: the settings a flag, a variable or transync.toml gave (not a setting itself): a value
    #: given is kept, a default may give way to what a source says (a Hugo site's
    #: defaultContentLanguage is the language of its files without a language suffix)
    given: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    @property
    def four_eyes_on(self) -> bool:
        """Whether an approver must not be the submitter (TRANSYNC_FOUR_EYES; by default
        whenever submissions are reviewed)."""
        if self.four_eyes.strip() == "":
            return self.review
        return self.four_eyes.strip().lower() in {"1", "true", "yes", "on"}

    @property
    def possible_sources(self) -> tuple[str, ...]:
        """The languages a post's source may be in (TRANSYNC_SOURCE_LANGS, else all)."""
        return self.source_langs or self.languages

    @property
    def word_rates(self) -> dict[str, Decimal]:
        """Language → price of a word (TRANSYNC_WORD_RATE); a language not named has none."""
        return parse_word_rates(self.word_rate, self.languages)

    @property
    def sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def parse_word_rates(text: str, languages: tuple[str, ...]) -> dict[str, Decimal]:
    """``0.08`` (every language) or ``tr=0.08,ru=0.07``.

    >>> parse_word_rates("tr=0.08, ru=0.07", ("en", "tr", "ru"))
    {'tr': Decimal('0.08'), 'ru': Decimal('0.07')}
    """
    rates: dict[str, Decimal] = {}
    for item in _split(text):
        lang, sep, value = item.rpartition("=")
        try:
            rate = Decimal(value.strip())
        except InvalidOperation:
            rate = Decimal(-1)
        if not rate.is_finite() or rate < 0:
            raise ConfigError(
                f"TRANSYNC_WORD_RATE: {item!r} is not a price; write 0.08 or tr=0.08,ru=0.07"
            )
        if not sep:
            rates.update(dict.fromkeys(languages, rate))
        elif lang.strip() not in languages:
            raise ConfigError(
                f"TRANSYNC_WORD_RATE names {lang.strip()}, which is not in "
                f"TRANSYNC_LANGUAGES={','.join(languages)}"
            )
        else:
            rates[lang.strip()] = rate
    return rates


ENV_PREFIX = "TRANSYNC_"
FIELDS = {f.name: f for f in dataclasses.fields(Settings) if f.name != "given"}


def env_name(name: str) -> str:
    """The variable that sets a field: ``env_name("database_url") == "TRANSYNC_DATABASE_URL"``."""
    return ENV_PREFIX + name.upper()


#: variables named TRANSYNC_* that are not settings: the file to read, logging, what `serve`
#: hands its processes, and the test and benchmark suites' own
OTHER_VARIABLES = ("TRANSYNC_CONFIG", "TRANSYNC_DEBUG", "TRANSYNC_SERVE_WORKERS")
OTHER_PREFIXES = ("TRANSYNC_TEST_", "TRANSYNC_BENCH_")
#: string settings that hold several items: a TOML list (or table) is read as one
LISTS = {"ignore": " ", "wp_locale_map": "=", "word_rate": "="}
#: numbers that must be above zero (or at least zero), and the largest tm_min_score
POSITIVE = (
    "lease_hours",
    "scan_interval",
    "export_interval",
    "max_upload_bytes",
    "wp_reconcile_hours",
    "webhook_retry_seconds",
    "webhook_retry_hours",
    "webhook_disable_days",
)


def _suggest(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _shown(name: str, value: Any, text: Any = repr) -> str:
    """A value as an error may show it: never a password or a URL that may hold one."""
    secret = not FIELDS[name].repr or name in ("database_url", "broker_url")
    return "(hidden)" if secret else text(value)


def _coerce(name: str, value: Any, where: str = "") -> Any:
    """`value` as field `name` holds it; `where` names the value in an error (a variable by
    default, ``transync.toml: key = value`` for the file)."""
    default = FIELDS[name].default
    where = where or f"{env_name(name)}={_shown(name, value, str)}"
    try:
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError("expected true or false")
        if isinstance(default, tuple):
            if isinstance(value, (list, tuple)):
                return tuple(str(v).strip() for v in value if str(v).strip())
            return _split(str(value))
        if isinstance(value, (list, dict)):
            if name not in LISTS:
                raise ValueError("expected one value, found a list")
            if isinstance(value, dict):
                return " ".join(f"{k}={v}" for k, v in value.items())
            return " ".join(str(v) for v in value)
        if isinstance(default, (int, float)) and isinstance(value, bool):
            raise ValueError("expected a number, found true or false")
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                raise ValueError("expected a whole number")
            return int(value)
        if isinstance(default, float):
            number = float(value)
            if not math.isfinite(number):
                raise ValueError("expected a finite number")
            return number
        return str(value)
    except ValueError as exc:
        why = "expected a number" if "convert" in str(exc) or "literal" in str(exc) else exc
        raise ConfigError(f"{where}: {why}; see README.md#configuration") from exc


def _twice(name: str, values: tuple[str, ...]) -> None:
    """Refuse a list that names a language twice (``tr,tr`` or ``ru,RU``): each would be
    counted, planned and exported as if it were another language."""
    seen: dict[str, str] = {}
    for value in values:
        if value.lower() in seen:
            raise ConfigError(
                f"{env_name(name)}={','.join(values)} lists {value} twice "
                f"({seen[value.lower()]} and {value}); name each language once"
            )
        seen[value.lower()] = value


def _locale_map(settings: Settings) -> None:
    """Refuse a TRANSYNC_WP_LOCALE_MAP pair that is not ``locale=language`` with a configured
    language: posts in that locale would otherwise be read as in no language at all."""
    for item in settings.wp_locale_map.replace(",", " ").split():
        locale, sep, lang = item.partition("=")
        if not sep or not locale.strip() or not lang.strip():
            raise ConfigError(
                f"TRANSYNC_WP_LOCALE_MAP: {item!r} is not a pair; write locale=language, "
                "e.g. pt_BR=pt,zh_CN=zh"
            )
        if lang.strip() not in settings.languages:
            raise ConfigError(
                f"TRANSYNC_WP_LOCALE_MAP maps {locale.strip()} to {lang.strip()}, which is not in "
                f"TRANSYNC_LANGUAGES={','.join(settings.languages)}"
            )


def load_settings(
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Read settings: keyword overrides (CLI flags) > environment > transync.toml > defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file or Path(environ.get("TRANSYNC_CONFIG", "transync.toml"))
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}; fix the file or remove it") from exc
        table = data.pop("transync", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: transync must be a table ([transync]), not a value")
        twice = sorted(set(data) & set(table))
        if twice:
            raise ConfigError(
                f"{path}: {', '.join(twice)} set both at the top and under [transync]; keep one"
            )
        for key, value in {**data, **table}.items():
            if key not in FIELDS:
                hint = _suggest(key, FIELDS)
                if isinstance(value, dict) and not hint:
                    inner = [f"{key}_{k}" for k in value if f"{key}_{k}" in FIELDS]
                    hint = f" (settings are not in tables: write {inner[0]})" if inner else ""
                raise ConfigError(
                    f"{path}: unknown setting {key!r}{hint}; known: {', '.join(FIELDS)}"
                )
            values[key] = _coerce(key, value, f"{path}: {key} = {_shown(key, value)}")
    names = {env_name(name): name for name in FIELDS}
    for variable in environ:
        if (
            variable.startswith(ENV_PREFIX)
            and variable not in names
            and variable not in OTHER_VARIABLES
            and not variable.startswith(OTHER_PREFIXES)
        ):
            raise ConfigError(
                f"{variable} is not a setting{_suggest(variable, names)}; "
                "see README.md#configuration, or unset it"
            )
    for variable, name in names.items():
        if variable in environ:
            values[name] = _coerce(name, environ[variable])
    for name, value in overrides.items():
        if value is not None:
            values[name] = _coerce(name, value)
    settings = Settings(**values, given=frozenset(values))
    if not settings.languages:
        raise ConfigError("TRANSYNC_LANGUAGES is empty; list the languages, e.g. en,tr,ru")
    _twice("languages", settings.languages)
    _twice("source_langs", settings.source_langs)
    for name in POSITIVE:
        if getattr(settings, name) <= 0:
            raise ConfigError(
                f"{env_name(name)}={getattr(settings, name):g}: must be above 0; "
                "see README.md#configuration"
            )
    if not 0 <= settings.tm_min_score <= 100:
        raise ConfigError(f"TRANSYNC_TM_MIN_SCORE={settings.tm_min_score:g}: a score from 0 to 100")
    _locale_map(settings)
    if settings.source_lang not in settings.languages:
        raise ConfigError(
            f"TRANSYNC_SOURCE_LANG={settings.source_lang} is not one of "
            f"TRANSYNC_LANGUAGES={','.join(settings.languages)}"
        )
    if settings.four_eyes.strip().lower() not in (
        "",
        "1",
        "0",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
    ):
        raise ConfigError(f"TRANSYNC_FOUR_EYES={settings.four_eyes}: use true or false")
    if settings.history not in ("auto", "off"):
        raise ConfigError(f"TRANSYNC_HISTORY={settings.history}: use auto or off")
    unknown = [lang for lang in settings.source_langs if lang not in settings.languages]
    if unknown:
        raise ConfigError(
            f"TRANSYNC_SOURCE_LANGS names {','.join(unknown)}, which is not in "
            f"TRANSYNC_LANGUAGES={','.join(settings.languages)}"
        )
    if settings.smtp_url and not settings.smtp_url.startswith(
        ("smtp://", "smtps://", "smtp+starttls://")
    ):
        raise ConfigError(
            "TRANSYNC_SMTP_URL: use smtp://, smtps:// or smtp+starttls:// (user:password@host:port)"
        )
    if not 0 <= settings.digest_hour <= 23:
        raise ConfigError(f"TRANSYNC_DIGEST_HOUR={settings.digest_hour}: an hour from 0 to 23")
    if settings.webhook_timeout <= 0 or settings.notify_interval <= 0:
        raise ConfigError(
            "TRANSYNC_WEBHOOK_TIMEOUT and TRANSYNC_NOTIFY_INTERVAL must be "
            "positive numbers of seconds"
        )
    settings.word_rates  # noqa: B018 - a bad TRANSYNC_WORD_RATE is refused here, by name
    if not 1 <= settings.forecast_days <= 3650:
        raise ConfigError(
            f"TRANSYNC_FORECAST_DAYS={settings.forecast_days}: a number of days from 1 to 3650"
        )
    if settings.max_document_bytes < 1:
        raise ConfigError("TRANSYNC_MAX_DOCUMENT_BYTES must be a positive number of bytes")
    return settings
