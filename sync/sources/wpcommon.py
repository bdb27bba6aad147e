"""What the two WordPress sources (``wp:`` and ``wxr:``) share: what a post id is, the
settings both read (TRANSYNC_WP_LOCALE_MAP, TRANSYNC_WP_DEFAULT_LANG), the keys the tracker
holds for a source's posts, and which key a translation group keeps.

Kept apart so the REST source does not import the export reader (and its expat machinery)
for three small rules.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sync.errors import ConfigError

__all__ = [
    "check_default_lang",
    "held_keys",
    "is_post_id",
    "parse_locale_map",
    "ranked_by_held_key",
]

Id = TypeVar("Id")
Name = TypeVar("Name")


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


def held_keys(session: Any, uri: str) -> Iterator[tuple[str, str, str]]:
    """(post id, origin, post key) of every version the tracker holds from source `uri`
    with a WordPress post id: what the source needs so that a post keeps its key."""
    from sqlalchemy import select

    from sync.db.models import Post, Version

    rows = session.execute(
        select(Version.external_id, Version.origin, Post.key)
        .join(Post, Post.id == Version.post_id)
        .where(Version.source == uri, Version.external_id.is_not(None))
    )
    for external_id, origin, key in rows:
        if external_id and is_post_id(external_id):
            yield str(external_id), origin, key


def ranked_by_held_key(
    groups: Mapping[Name, Iterable[Id]],
    held: Mapping[Id, str],
    order: Callable[[Id], Any] = lambda x: x,
) -> list[tuple[Name, list[Id], str | None]]:
    """Translation groups (name → post ids) with their posts in order and the key most of
    their posts hold (on a tie, the key its first post holds) or None, in the order they
    should claim it: the most-held first, then by first post. The caller gives each its
    key unless an earlier one took it."""
    ranked = []
    for name, group in groups.items():
        members = sorted(group, key=order)
        counts = Counter(held[i] for i in members if i in held)
        first: dict[str, int] = {}
        for i in members:
            if i in held:
                first.setdefault(held[i], len(first))
        best = min(counts, key=lambda k: (-counts[k], first[k])) if counts else None
        ranked.append((-counts[best] if best else 0, order(members[0]), name, members, best))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return [(name, members, best) for _, _, name, members, best in ranked]
