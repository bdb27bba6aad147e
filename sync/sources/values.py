"""What a content file's fields may hold: post keys, priorities, flags, NUL-free values,
and the line a field is written on. Shared by the content-tree and WXR sources; pure but
for the front-matter line lookup (sync.frontedit, imported when needed).
"""

from __future__ import annotations

import re

from sync.i18n import Text, t_

KEY_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")
TRUE_WORDS = frozenset({"true", "yes", "on", "1", "y"})
PRIORITY_RANGE = (-1_000_000, 1_000_000)


def valid_key(key: str) -> str | None:
    """Why a post key is unusable (a Text), or None: keys name files and URLs, so no
    traversal."""
    if not key or len(key) > 200:
        return t_("a post key must have 1 to 200 characters")
    if KEY_FORBIDDEN.search(key):
        return t_("a post key may not contain control characters or backslashes")
    parts = key.split("/")
    if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return t_("a post key may not be an absolute path or contain '.' or '..' parts")
    return None


def exception_message(exc: BaseException) -> str:
    """What an exception says: the Text it was raised with when it was (``str(exc)`` would
    give a plain str, and the web could not show it in the reader's language)."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Text):
        return exc.args[0]
    return str(exc)


def truthy(value: object) -> bool:
    """A front-matter flag's truth: ``true``, ``1``, ``"yes"``; not ``0``, ``"false"``, ``""``."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    if isinstance(value, bool | int | float):
        return bool(value)
    return False


def has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return any(has_nul(v) for v in value)
    return False


def whole_number(value: object) -> int:
    """A priority: a whole number in PRIORITY_RANGE (0 when absent).

    >>> whole_number("3"), whole_number(None)
    (3, 0)
    """
    if value is None or value == "":
        return 0
    low, high = PRIORITY_RANGE
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,12}\s*", value):
        number = int(value)
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    if number is None or not low <= number <= high:
        raise ValueError(
            t_(
                "priority must be a whole number from %(low)d to %(high)d, found %(value)s",
                low=low,
                high=high,
                value=repr(str(value)[:40]),
            )
        )
    return number


def field_line(raw: bytes, field: str) -> int | None:
    """The file line where a top-level front-matter field is written, if it is."""
    from sync.frontedit import key_lines

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    try:
        return key_lines(text).get(field)
    except Exception:  # noqa: BLE001 - a line number is a courtesy, never a new failure
        return None
