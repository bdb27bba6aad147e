"""WordPressSite: the ``wp:URL`` source, made of its reading and writing halves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from sync.errors import ConfigError
from sync.sources.wordpress.listing import _Listing, _Reading
from sync.sources.wordpress.rest import CREDENTIALS_HINT, REST_BASES, _site_url
from sync.sources.wordpress.writing import _WriteBack
from sync.sources.wpcommon import check_default_lang, parse_locale_map

__all__ = ["WordPressSite"]


class WordPressSite(_Reading, _WriteBack):
    """Reads ``wp:URL`` through the REST API and writes translations back to it."""

    def __init__(self, url: str, settings: Any) -> None:
        self.settings = settings
        self.base = _site_url(url)
        self.uri = f"wp:{self.base}"
        self.user: str = settings.wp_user or ""
        self._password: str = settings.wp_app_password or ""
        self.locale_map = parse_locale_map(settings.wp_locale_map or "")
        self.languages: tuple[str, ...] = tuple(settings.languages)
        self.default_lang: str = getattr(settings, "wp_default_lang", "") or ""
        self.complete = False
        self.force = False  # write-back: an editor chose the submission over WordPress
        # state kept in SourceState, loaded and saved around a scan
        self._cursor: dt.datetime | None = None
        self._reconciled_at: dt.datetime | None = None
        self._plugin: str | None = None
        self._keys: dict[int, str] = {}  # WordPress id -> post key the tracker holds
        self._origins: dict[int, str] = {}  # WordPress id -> origin the tracker holds
        self._result: tuple[_Listing, bool] | None = None
        self._rest_bases: dict[str, str] = dict(REST_BASES)
        self._client: httpx.Client | None = None

    def __repr__(self) -> str:
        who = f", user={self.user!r}" if self.user else ""
        return f"WordPressSite({self.uri!r}{who})"

    def check(self) -> None:
        """The settings this source needs, checked before anything is read."""
        if bool(self.user) != bool(self._password):
            missing = "TRANSYNC_WP_APP_PASSWORD" if self.user else "TRANSYNC_WP_USER"
            raise ConfigError(
                f"{missing} is empty; set both {CREDENTIALS_HINT}, or neither "
                f"to read {self.base} as a visitor (published posts only)"
            )
        if not self.settings.wp_post_types:
            raise ConfigError(
                "TRANSYNC_WP_POST_TYPES is empty; list the post types to track, e.g. post,page"
            )
        check_default_lang(self.default_lang, self.languages)
