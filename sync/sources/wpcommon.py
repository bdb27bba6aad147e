"""What the two WordPress sources (``wp:`` and ``wxr:``) share: what a post id is, and the
settings both read (TRANSYNC_WP_LOCALE_MAP, TRANSYNC_WP_DEFAULT_LANG).

Kept apart so the REST source does not import the export reader (and its expat machinery)
for three small rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.errors import ConfigError

__all__ = ["check_default_lang", "is_post_id", "parse_locale_map"]


def is_post_id(value: object) -> bool:
    """Whether a value is a WordPress post id: a positive integer, or its decimal digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0


def check_default_lang(code: str | None, languages: Sequence[str]) -> None:
    """TRANSYNC_WP_DEFAULT_LANG, when set, must be a configured language."""
    if code and code not in languages:
        raise ConfigError(
            f"TRANSYNC_WP_DEFAULT_LANG={code} is not one of TRANSYNC_LANGUAGES="
            f"{','.join(languages)}"
        )


def parse_locale_map(text: str) -> dict[str, str]:
    """``TRANSYNC_WP_LOCALE_MAP="pt_BR=pt,zh_CN=zh"`` as a dict."""
    pairs = [p.split("=", 1) for p in text.replace(" ", ",").split(",") if "=" in p]
    return {k.strip(): v.strip() for k, v in pairs}
