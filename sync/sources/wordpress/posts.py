"""WordPress posts as transync reads them: which plugin's fields a post carries, its
language, the translation groups posts form, and the Document a post becomes.

Polylang Pro gives ``lang`` and ``translations``; WPML's REST add-on
``wpml_current_locale`` and ``wpml_translations``; WP REST - Polylang
``polylang_current_lang`` and ``polylang_translations`` (see the package's docstring).
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from sync.i18n import t_
from sync.sources.base import Document, Problem, Skipped, changed
from sync.sources.wordpress.rest import CREDENTIALS_HINT
from sync.sources.wpcommon import is_post_id as _is_id
from sync.sources.wpcommon import ranked_by_held_key
from sync.text import sha256_hex

PUBLISHED = "publish"
#: Every status worth tracking, asked for explicitly: ``status=any`` leaves out ``trash``.
EDIT_STATUSES = ("publish", "future", "draft", "pending", "private", "trash")
#: Not posts of their own: never yielded.
SKIPPED_STATUSES = frozenset({"auto-draft", "inherit"})
FIELDS = (
    "id,date_gmt,modified_gmt,slug,status,type,link,title,content,"
    "lang,translations,wpml_current_locale,wpml_translations,"
    "polylang_current_lang,polylang_translations"
)
#: With an application password (``context=edit``): the raw title and content only, so
#: WordPress does not render every post's blocks (the_content) for nothing, nor send them.
EDIT_FIELDS = FIELDS.replace(",title,content,", ",title.raw,content.raw,")
#: Which plugin's REST fields a post carries: the first plugin with a field present.
PLUGIN_FIELDS = (
    ("wpml", ("wpml_current_locale", "wpml_translations")),
    ("polylang", ("lang", "translations")),
    ("community", ("polylang_current_lang", "polylang_translations")),
)
PLUGINS = tuple(name for name, _ in PLUGIN_FIELDS)


class _Posts:
    """Posts to post keys and documents, and language codes both ways."""

    # set by WordPressSite.__init__
    base: str
    uri: str
    languages: tuple[str, ...]
    default_lang: str
    locale_map: dict[str, str]
    _keys: dict[int, str]

    def _group_keys(self, posts: Mapping[int, dict[str, Any]]) -> dict[int, str]:
        """Post key of every post read: translation groups are the posts naming each other."""
        members = _groups(posts)
        # a group takes the key most of its posts hold; a bigger group keeps a contested key,
        # and the other takes another key one of its posts holds (a translation that joined
        # another group: the group keeps its own key), else a new one
        taken: set[str] = set()
        known_keys = set(self._keys.values())
        out: dict[int, str] = {}
        for _root, group, best in ranked_by_held_key(members, self._keys):
            key = best
            if key is not None and key in taken:
                held = Counter(self._keys[i] for i in group if i in self._keys)
                key = next((k for k, _ in held.most_common() if k not in taken), None)
            if key is None:
                mine = {self._keys.get(i) for i in group}
                key = f"wp-{group[0]}"
                for n in itertools.count(2):
                    if key not in taken and (key not in known_keys or key in mine):
                        break
                    key = f"wp-{group[0]}-{n}"
            taken.add(key)
            out.update((i, key) for i in group if i in posts)
        return out

    def _document(
        self, item: Mapping[str, Any], key: str, source_hash: str | None = None
    ) -> Document | Problem | Skipped:
        post_id = int(item["id"])
        link = str(item.get("link") or f"{self.base}/?p={post_id}")
        code = _language_code(item) or self.default_lang
        if not code:
            return Problem(
                origin=link,
                key=key,
                reason=t_(
                    "post %(id)d has no language: assign it one in WordPress (or set "
                    "TRANSYNC_WP_DEFAULT_LANG, the language of posts that have none)",
                    id=post_id,
                ),
            )
        lang = self.language(code)
        if lang is None:  # a language the site has and transync does not track
            return Skipped(link, "unconfigured_language")
        title_field = item.get("title") if isinstance(item.get("title"), dict) else {}
        content = item.get("content") if isinstance(item.get("content"), dict) else {}
        if "raw" in content:
            title = str(title_field.get("raw") or "")
            body = str(content.get("raw") or "")
        else:
            if content.get("protected"):
                return Problem(
                    origin=link,
                    key=key,
                    lang=lang,
                    reason=t_(
                        "post %(id)d is password-protected; WordPress shows its content "
                        "only with %(credentials)s",
                        id=post_id,
                        credentials=CREDENTIALS_HINT,
                    ),
                )
            title = html.unescape(str(title_field.get("rendered") or ""))
            body = str(content.get("rendered") or "")
        status = str(item.get("status") or PUBLISHED)
        post_type = str(item.get("type") or "post")
        slug = str(item.get("slug") or "")
        date_gmt = item.get("date_gmt")
        doc = Document(
            source=self.uri,
            origin=link,
            key=key,
            lang=lang,
            title=title,
            body=body,
            body_format="html",
            date=_gmt(date_gmt),
            draft=status != PUBLISHED,
            source_hash=source_hash,
            front_matter={
                "wp_post_id": post_id,
                "type": post_type,
                "status": status,
                "slug": slug,
                "link": link,
                "modified_gmt": item.get("modified_gmt"),
            },
            external_id=str(post_id),
        )
        # no key yet (read ahead of grouping, a post not seen before): no raw hash either,
        # rekeyed() makes it once the group's key is known
        return self.rekeyed(doc, item, key) if key else doc

    @staticmethod
    def rekeyed(doc: Document, item: Mapping[str, Any], key: str) -> Document:
        """The document made of `item` under the post key `key`, with its raw hash: what
        changes in a post, as the tracker compares it between scans (the key included)."""
        if key == doc.key and doc.raw_hash:
            return doc
        meta = doc.front_matter
        raw_hash = _raw_hash(
            key,
            doc.lang,
            meta["status"],
            meta["type"],
            meta["slug"],
            doc.origin,
            item.get("date_gmt"),
            doc.title,
            doc.body,
        )
        return changed(doc, key=key, raw_hash=raw_hash)

    def language(self, code: str) -> str | None:
        """The configured language of a Polylang slug, a WPML code or a locale (tr_TR → tr)."""
        if code in self.locale_map:
            mapped = self.locale_map[code]
            return mapped if mapped in self.languages else None
        for form in (code, code.replace("-", "_").split("_", 1)[0]):
            for spelling in (form, form.lower()):
                if spelling in self.languages:
                    return spelling
        return None

    def wp_code(self, lang: str) -> str:
        """The site's code of a configured language: a locale-map key without ``_``, or itself."""
        for code, mapped in self.locale_map.items():
            if mapped == lang and "_" not in code:
                return code
        return lang


def _groups(posts: Mapping[int, Mapping[str, Any]]) -> dict[int, list[int]]:
    """Translation groups of the posts read (root id → ids): the posts naming each other,
    with the ids they name that were not read."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for post_id, item in posts.items():
        find(post_id)
        for other in _translation_ids(item):
            parent[find(other)] = find(post_id)
    members: dict[int, list[int]] = {}
    for x in list(parent):
        members.setdefault(find(x), []).append(x)
    return members


def _raw_hash(key: str, *parts: Any) -> str:
    """What changes in a post, as the tracker compares it between scans: SHA-256 of
    ``json.dumps([key, lang, status, type, slug, link, date_gmt, title, body])``."""
    return sha256_hex(json.dumps([key, *parts], ensure_ascii=False))


def _gmt(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _plugin(item: Mapping[str, Any]) -> str | None:
    """The plugin whose REST fields a post carries, if any."""
    for name, fields in PLUGIN_FIELDS:
        if any(f in item for f in fields):
            return name
    return None


def _language_code(item: Mapping[str, Any]) -> str | None:
    for name in ("lang", "wpml_current_locale", "polylang_current_lang"):
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _translation_ids(item: Mapping[str, Any]) -> list[int]:
    """Ids a post names as its translations: Polylang's map, WPML's list (or keyed dict),
    the community plugin's list."""
    found: list[int] = []
    polylang = item.get("translations")
    if isinstance(polylang, dict):
        found += [int(v) for v in polylang.values() if _is_id(v)]
    for name in ("wpml_translations", "polylang_translations"):
        listed = item.get(name)
        entries = (
            listed.values()
            if isinstance(listed, dict)
            else listed
            if isinstance(listed, list)
            else ()
        )
        for entry in entries:
            if isinstance(entry, dict) and _is_id(entry.get("id")):
                found.append(int(entry["id"]))
    return found
