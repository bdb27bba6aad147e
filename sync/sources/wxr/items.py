"""Polylang and WPML in a WordPress export: what its terms and items become.

Polylang's ``<wp:term>``s (before the items) give the translation groups (a PHP-serialized
``language => post id`` map) and each language's locale; an item's Polylang categories or
WPML's ``_wpml_import_*`` post meta give its language, source language and group, hence its
post key. Each tracked item becomes one Document, or a Problem that names it; items that
are not tracked posts are counted by what they are. No XML here: the reader hands over
records read whole.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections import Counter

from sync.errors import InputError
from sync.i18n import Text, t_
from sync.phpserial import loads as php_loads
from sync.sources.base import Document, Problem, Skipped
from sync.sources.values import valid_key
from sync.sources.wpcommon import is_post_id, ranked_by_held_key
from sync.sources.wxr.records import _Fatal, _Item, _Record
from sync.sources.wxr.schema import (
    _POST_TEXT,
    PUBLISHED,
    SKIPPED_STATUSES,
    SKIPPED_TYPES,
    TRASHED,
    WPML_GROUP,
    WPML_LANGUAGE,
    WPML_SOURCE_LANGUAGE,
    WPML_TAXONOMY,
)
from sync.text import sha256_hex

log = logging.getLogger("sync.sources.wxr")  # the name logs had before the split


class _Posts:
    """The terms and items of one export as they are read: Polylang's groups and locales
    are kept for the items after them, and each (post key, language) is taken once."""

    def __init__(
        self,
        file: str,
        *,
        source: str,
        languages: tuple[str, ...],
        post_types: frozenset[str],
        locale_map: dict[str, str],
        default_lang: str | None,
        max_bytes: int,
    ) -> None:
        self.file = file
        self.source = source
        self.languages = languages
        self.post_types = post_types
        self.locale_map = locale_map
        self.default_lang = default_lang
        self.max_bytes = max_bytes
        self.groups: dict[str, dict[str, str]] = {}  # Polylang group slug -> lang slug -> post id
        self.locales: dict[str, str] = {}  # Polylang language slug -> locale (tr -> tr_TR)
        self.seen: set[tuple[str, str]] = set()  # (key, lang) already yielded
        self.ids: dict[str, tuple[int, int]] = {}  # post id -> (item number, line) read
        self.ignored_entries: Counter[str] = Counter()  # translation-map keys, not languages
        #: post id -> the key the tracker holds for it (set by the source before reading)
        self.held: dict[str, str] = {}
        self._group_held: dict[str, str] | None = None  # Polylang group slug -> held key
        self._taken: set[str] = set()  # held keys a Polylang group has
        #: a WPML term (translation_priority) in the channel: WPML was active at export
        self.wpml_active = False
        # what the items gave
        self.documents = 0
        self.item_problems = 0
        self.skipped: Counter[str] = Counter()

    def note_ignored(self) -> None:
        if self.ignored_entries:
            found = ", ".join(f"{k!r} × {n}" for k, n in self.ignored_entries.most_common(5))
            log.warning(
                "%s: translation groups hold entries that are not language => post id "
                "(%s); ignored: Polylang Pro writes 'sync' there for synchronized posts",
                self.file,
                found,
            )

    # -- terms ----------------------------------------------------------------------------

    def term(self, term: _Record) -> Problem | None:
        """What a ``<wp:term>`` read whole gives: a Problem, or nothing (a translation
        group or a language's locale is kept for the items after it)."""
        try:
            return self.term_result(term)
        except Exception as exc:  # noqa: BLE001 - any trouble rejects this term alone
            return self.term_problem(
                term,
                term.get("term_taxonomy"),
                term.get("term_slug"),
                t_("it could not be read (%(error)s)", error=f"{type(exc).__name__}: {exc}"),
            )

    def term_result(self, term: _Record) -> Problem | None:
        taxonomy = term.get("term_taxonomy")
        if taxonomy == WPML_TAXONOMY:
            self.wpml_active = True
        if taxonomy not in ("post_translations", "language"):
            return None
        slug = term.get("term_slug")
        if term.failure is not None:
            return self.term_problem(term, taxonomy, slug, term.failure, malformed=False)
        description = term.get("term_description")
        try:
            value = php_loads(description)
        except InputError as exc:
            return self.term_problem(term, taxonomy, slug, exc.message)
        if not isinstance(value, dict):
            return self.term_problem(
                term,
                taxonomy,
                slug,
                t_("expected a serialized array, found %(value)s", value=repr(value)),
            )
        if taxonomy == "language":
            locale = value.get("locale")
            if isinstance(locale, str) and locale:
                self.locales[slug] = locale
            return None
        members: dict[str, str] = {}
        for lang, post_id in value.items():
            if isinstance(lang, str) and is_post_id(post_id):
                members[lang] = str(post_id)
            else:  # Polylang Pro's 'sync' map, another plugin's entry: not a language
                self.ignored_entries[str(lang)[:40]] += 1
        self.groups[slug] = members
        return None

    def term_problem(
        self, term: _Record, taxonomy: str, slug: str, why: str, *, malformed: bool = True
    ) -> Problem:
        group = taxonomy == "post_translations"
        params = {"taxonomy": taxonomy, "slug": repr(slug), "problem": why}
        if malformed and group:
            reason = t_(
                "malformed serialized map in the %(taxonomy)s term %(slug)s (translation "
                "group): %(problem)s; resave the translation group in WordPress and export again",
                **params,
            )
        elif malformed:
            reason = t_(
                "malformed serialized map in the %(taxonomy)s term %(slug)s (language): "
                "%(problem)s; resave the language in WordPress and export again",
                **params,
            )
        elif group:
            reason = t_(
                "the %(taxonomy)s term %(slug)s (translation group): %(problem)s; "
                "resave the translation group in WordPress and export again",
                **params,
            )
        else:
            reason = t_(
                "the %(taxonomy)s term %(slug)s (language): %(problem)s; "
                "resave the language in WordPress and export again",
                **params,
            )
        return Problem(
            origin=f"{self.file}#term {slug}",
            line=term.line,
            key=slug if group else None,
            reason=reason,
        )

    # -- items ----------------------------------------------------------------------------

    def item(self, record: _Record) -> Document | Problem | Skipped | None:
        """What an ``<item>`` read whole gives: a Document, a Problem, or a Skipped (an item
        that is not a tracked post, counted by what it is)."""
        try:
            found = self.item_result(record)
        except _Fatal:
            raise
        except Exception as exc:  # noqa: BLE001 - any trouble rejects this item alone
            found = self.item_problem(
                record,
                t_(
                    "it could not be read (%(error)s); check the post in WordPress and "
                    "export again",
                    error=f"{type(exc).__name__}: {exc}",
                ),
            )
        if isinstance(found, Document):
            self.documents += 1
        elif isinstance(found, Problem):
            self.item_problems += 1
        return found

    def identity(self, record: _Record) -> str:
        """The origin of the item's version: its link, else its guid, else FILE#item ID.
        A field too long to read whole is skipped for the next one."""
        post_id = record.get("post_id")
        return (
            record.get("link")
            or record.get("guid")
            or f"{self.file}#item {post_id if is_post_id(post_id) else '?'}"
        )

    def item_problem(
        self, record: _Record, why: str, *, key: str | None = None, lang: str | None = None
    ) -> Problem:
        post_id = record.get("post_id")
        at = {"n": record.number, "line": record.line, "file": self.file, "problem": why}
        reason: Text = (
            t_(
                "item %(n)d at line %(line)d of %(file)s (wp:post_id %(post_id)s): %(problem)s",
                post_id=post_id,
                **at,
            )
            if is_post_id(post_id)
            else t_("item %(n)d at line %(line)d of %(file)s: %(problem)s", **at)
        )
        return Problem(
            origin=self.identity(record),
            line=record.line,
            key=key,
            lang=lang,
            reason=reason,
        )

    def item_result(self, record: _Record) -> Document | Problem | Skipped | None:
        for name in ("post_type", "status"):
            if record.too_long(name):
                return self.item_problem(
                    record, record.failure or t_("its %(field)s is too long", field=name)
                )
        post_type = sys.intern(record.get("post_type"))
        status = sys.intern(record.get("status"))
        if not post_type:
            return self.item_problem(
                record,
                t_(
                    "it has no <wp:post_type>, so it is not known to be a post; export "
                    "it again with Tools → Export"
                ),
            )
        if post_type in SKIPPED_TYPES or post_type not in self.post_types:
            self.skip(f"{post_type} items")
            # an attachment, a menu item, a revision is no post; another type may be one
            # the site translates (a product, a reusable block): TRANSYNC_WP_POST_TYPES
            why = "not_content" if post_type in SKIPPED_TYPES else "untracked_type"
            return Skipped(self.identity(record), why)
        if status in SKIPPED_STATUSES:
            self.skip(f"{status} {post_type}s")
            return Skipped(self.identity(record), "trashed" if status == TRASHED else "not_content")
        if record.failure is not None:
            return self.item_problem(record, record.failure)
        size = sum(record.texts[n].size for n in _POST_TEXT if n in record.texts)
        if size > self.max_bytes:
            return self.item_problem(
                record,
                t_(
                    "its title and content are %(size)s bytes, over the %(limit)s of "
                    "TRANSYNC_MAX_DOCUMENT_BYTES; the version recorded for it is kept as it "
                    "was: shorten the post, or raise the limit",
                    size=f"{size:,}",
                    limit=f"{self.max_bytes:,}",
                ),
            )
        item = _Item(
            line=record.line,
            post_id=record.get("post_id"),
            title=record.get("title"),
            link=record.get("link"),
            guid=record.get("guid"),
            content=record.get("content"),
            status=status,
            post_type=post_type,
            slug=record.get("slug"),
            date_gmt=record.get("date_gmt"),
            pll_language=record.pll_language,
            pll_group=record.pll_group,
            meta=record.meta,
        )
        return self.document(record, item)

    def skip(self, what: str) -> None:
        if what in self.skipped or len(self.skipped) < 20:
            self.skipped[what] += 1
        else:
            self.skipped["other items"] += 1

    def held_key(self, item: _Item) -> str | None:
        """The key the tracker holds for this post's group, so that a post keeps its key
        (its history and open tasks) when it joins a group, as an untranslated Polylang
        post does on its first translation (its key would go from ``wp-<id>`` to the
        group's slug). A Polylang group takes the key most of its posts hold, as the REST
        reader's groups do (sync.sources.wpcommon.ranked_by_held_key); a key two groups hold
        goes to the one that holds it more, then to the one whose first post comes first. A
        post in no Polylang group keeps its own held key unless a group has it."""
        if not self.held:
            return None
        if self._group_held is None:  # the terms come before the items: groups are known
            self._group_held = {}
            groups = {slug: set(members.values()) for slug, members in self.groups.items()}
            for slug, _members, best in ranked_by_held_key(groups, self.held, _id_order):
                if best is not None and best not in self._taken:
                    self._taken.add(best)
                    self._group_held[slug] = best
        if item.pll_group and item.pll_group in self.groups:
            return self._group_held.get(item.pll_group)
        own = self.held.get(item.post_id)
        return own if own is not None and own not in self._taken else None

    def document(self, record: _Record, item: _Item) -> Document | Problem | Skipped:
        if not is_post_id(item.post_id):
            return self.item_problem(
                record,
                t_(
                    "it has no usable wp:post_id (%(post_id)s); export it again",
                    post_id=repr(item.post_id),
                ),
            )
        first = self.ids.setdefault(item.post_id, (record.number, record.line))
        if first != (record.number, record.line):  # which text is the post's is unknown
            raise _Fatal(
                t_(
                    "item %(n)d at line %(line)d has wp:post_id %(post_id)s, as item "
                    "%(first)d at line %(first_line)d does: WordPress exports each post once, "
                    "so this file was edited or joined from two exports, and which text is "
                    "the post's is unknown; nothing from it is applied: export the site again",
                    n=record.number,
                    line=record.line,
                    post_id=item.post_id,
                    first=first[0],
                    first_line=first[1],
                ),
                record.line,
            )
        group_id = item.meta.get(WPML_GROUP, "").strip()
        if held := self.held_key(item):
            key = held
        elif item.pll_group:
            key = item.pll_group
        elif group_id:
            key = f"wpml-{group_id}"
        else:
            key = f"wp-{item.post_id}"
        if why := valid_key(key):
            return self.item_problem(
                record, t_("post key %(key)s: %(problem)s", key=repr(key), problem=why)
            )

        code = item.pll_language or item.meta.get(WPML_LANGUAGE, "").strip()
        if not code and item.pll_group:
            members = self.groups.get(item.pll_group, {})
            code = next((lang for lang, pid in members.items() if pid == item.post_id), "")
        if not code:
            wpml = "active" if self.wpml_active else record.wpml
            if wpml == "active" or (wpml and self.default_lang is None):
                # a WPML site's posts have languages, which Tools → Export leaves out: they
                # are not the one language of TRANSYNC_WP_DEFAULT_LANG
                return self.item_problem(
                    record,
                    t_(
                        "it has no language in the export: it is from a WPML site, and "
                        "WordPress's Tools → Export leaves WPML's languages out (WPML keeps "
                        "them in a table of its own); export with WPML's Export and Import "
                        "add-on, which writes them as %(meta)s meta, or scan the site with "
                        "wp:URL and WPML's REST API add-on",
                        meta=WPML_LANGUAGE,
                    ),
                    key=key,
                )
            if self.default_lang is None:
                return self.item_problem(
                    record,
                    t_(
                        "it has no language (no Polylang language category, no %(meta)s "
                        "meta); assign one in WordPress and export again, or, for a site in "
                        "one language, set TRANSYNC_WP_DEFAULT_LANG",
                        meta=WPML_LANGUAGE,
                    ),
                    key=key,
                )
            code = self.default_lang
        lang = self.language(code)
        if lang is None:  # a language the site has and transync does not track
            self.skip(f"{item.post_type}s in {code[:40]}")
            return Skipped(self.identity(record), "unconfigured_language")

        # a source in a language transync does not track is no source here: the post's
        # source is chosen among the tracked versions, as in a content tree
        source_code = item.meta.get(WPML_SOURCE_LANGUAGE, "").strip()
        source_lang = self.language(source_code) if source_code else None

        if (key, lang) in self.seen:
            return self.item_problem(
                record,
                t_(
                    "a second %(lang)s version in translation group %(key)s; "
                    "keep one post per language in the group",
                    lang=repr(lang),
                    key=repr(key),
                ),
                key=key,
                lang=lang,
            )
        self.seen.add((key, lang))
        return Document(
            source=self.source,
            origin=self.identity(record),
            key=key,
            lang=lang,
            title=item.title,
            body=item.content,
            body_format="html",
            date=_gmt_datetime(item.date_gmt),
            draft=item.status != PUBLISHED,
            source_lang=source_lang,
            front_matter={
                "wp_post_id": int(item.post_id),
                "post_type": item.post_type,
                "status": item.status,
                "slug": item.slug,
            },
            raw_hash=sha256_hex(item.title + item.content),
            external_id=item.post_id,
        )

    def language(self, code: str) -> str | None:
        """The configured language for a WordPress language slug, locale or WPML code."""
        candidates = [code]
        if code in self.locales:
            candidates.append(self.locales[code])
        for candidate in candidates:
            if candidate in self.locale_map:
                mapped = self.locale_map[candidate]
                return mapped if mapped in self.languages else None
        for candidate in candidates:
            for form in (candidate, candidate.split("_", 1)[0]):
                for spelling in (form, form.lower()):
                    if spelling in self.languages:
                        return spelling
        return None


def _gmt_datetime(text: str) -> dt.datetime | None:
    """``2024-03-01 09:30:00`` as aware UTC; None for drafts' ``0000-00-00 00:00:00``."""
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _id_order(post_id: str) -> tuple[int, str]:
    """Post ids in numeric order (any that is not a number after them)."""
    return (int(post_id), "") if post_id.isdigit() else (sys.maxsize, post_id)
