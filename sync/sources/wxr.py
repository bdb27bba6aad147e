"""The WXR source: a WordPress export file with Polylang or WPML translations.

The file is streamed with ``lxml.etree.iterparse``: each ``<item>`` is read at its
end tag and then cleared and unlinked, so an export of hundreds of megabytes is
read in bounded memory. Polylang puts a ``language`` and a ``post_translations``
category on each item, and exports each translation group as a ``<wp:term>``
(before the items) whose description is a PHP-serialized ``language => post id``
map. WPML's export add-on writes the post meta ``_wpml_import_language_code``,
``_wpml_import_source_language_code`` and ``_wpml_import_translation_group``.

The post key is the Polylang group slug, ``wpml-<group>`` for WPML, or
``wp-<post id>`` for an item in no group (a post with one language).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from sync.errors import InputError, SourceError
from sync.phpserial import loads as php_loads
from sync.sources.base import Document, Problem, Unchanged
from sync.sources.fs import valid_key
from sync.text import sha256_hex

__all__ = ["DEFAULT_POST_TYPES", "read_wxr"]

DEFAULT_POST_TYPES = ("post", "page")
#: Never posts, whatever TRANSYNC_WP_POST_TYPES says.
SKIPPED_TYPES = frozenset({"attachment", "nav_menu_item", "revision"})
PUBLISHED = "publish"
DRAFT_STATUSES = frozenset({"draft", "pending", "future", "private"})
#: Deleted or not a post of its own: yields nothing.
SKIPPED_STATUSES = frozenset({"trash", "auto-draft", "inherit"})

WP_NAMESPACE = "http://wordpress.org/export/"  # followed by the WXR version, e.g. 1.2/
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
WPML_LANGUAGE = "_wpml_import_language_code"
WPML_SOURCE_LANGUAGE = "_wpml_import_source_language_code"
WPML_GROUP = "_wpml_import_translation_group"
_WPML_META = frozenset({WPML_LANGUAGE, WPML_SOURCE_LANGUAGE, WPML_GROUP})
_WXR_VERSIONS = ("1.0", "1.1", "1.2")
#: _Item fields with a few distinct values (publish, post, page…), kept in front matter.
_REPEATED = frozenset({"status", "post_type"})
_LXML_POSITION = re.compile(r",? line \d+, column \d+$")
#: Item child tag -> _Item field, for every WXR version's namespace.
_ITEM_FIELDS: dict[str, str] = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "category": "category",
    f"{{{CONTENT_NAMESPACE}}}encoded": "content",
    **{
        f"{{{WP_NAMESPACE}{version}/}}{tag}": name
        for version in _WXR_VERSIONS
        for tag, name in (
            ("post_id", "post_id"),
            ("status", "status"),
            ("post_type", "post_type"),
            ("post_name", "slug"),
            ("post_date_gmt", "date_gmt"),
            ("postmeta", "postmeta"),
        )
    },
}


def read_wxr(
    path: Path,
    *,
    source: str,
    languages: Sequence[str],
    post_types: Sequence[str] = DEFAULT_POST_TYPES,
    locale_map: Mapping[str, str] | None = None,
    default_lang: str | None = None,
) -> Iterator[Document | Problem]:
    """Every post and page of a WXR file as a Document, or a Problem saying what is wrong.

    Trashed items, attachments, menu items, revisions and other post types yield
    nothing. Malformed XML yields one fatal Problem (``key=None``, ``fatal=True``,
    reason starting with "malformed WXR") and ends the iteration: whatever was
    yielded before it must not be applied. ``locale_map`` maps WordPress locales or
    language slugs to configured languages (default: the part before ``_``, so
    ``tr_TR`` is ``tr``); ``default_lang`` is the language of items that carry no
    language at all (a site without a translation plugin); without it they are
    problems. Raises SourceError if the file cannot be opened.
    """
    reader = _WxrReader(
        path,
        source=source,
        languages=tuple(languages),
        post_types=frozenset(post_types),
        locale_map=dict(locale_map or {}),
        default_lang=default_lang,
    )
    try:
        stream = open(path, "rb")  # closed by the with block below
    except OSError as exc:
        raise SourceError(
            f"cannot open WXR file {path}: {exc.strerror}; check the path of the wxr: source",
            path=str(path),
        ) from exc
    with stream:
        yield from reader.read(stream)


@dataclass(slots=True)
class _Item:
    """The fields of one ``<item>`` that transync uses."""

    line: int | None
    post_id: str = ""
    title: str = ""
    link: str = ""
    guid: str = ""
    content: str = ""
    status: str = ""
    post_type: str = ""
    slug: str = ""
    date_gmt: str = ""
    pll_language: str | None = None
    pll_group: str | None = None
    meta: dict[str, str] = field(default_factory=dict)


class _WxrReader:
    def __init__(
        self,
        path: Path,
        *,
        source: str,
        languages: tuple[str, ...],
        post_types: frozenset[str],
        locale_map: dict[str, str],
        default_lang: str | None,
    ) -> None:
        self.path = path
        self.file = str(path)
        self.source = source
        self.languages = languages
        self.post_types = post_types
        self.locale_map = locale_map
        self.default_lang = default_lang
        self.groups: dict[str, dict[str, str]] = {}  # Polylang group slug -> lang slug -> post id
        self.locales: dict[str, str] = {}  # Polylang language slug -> locale (tr -> tr_TR)
        self.seen: set[tuple[str, str]] = set()  # (key, lang) already yielded

    def read(self, stream: BinaryIO) -> Iterator[Document | Problem]:
        events = etree.iterparse(
            stream,
            events=("end",),
            tag=("item", "{*}term"),
            huge_tree=True,  # post bodies over 10 MB are legal; entities stay unresolved
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
        )
        try:
            for _, element in events:
                parent = element.getparent()
                if parent is None or _local(parent.tag) != "channel":
                    continue  # an element of that name nested in something else
                if element.tag == "item":
                    found = self.item(element)
                else:
                    found = self.term(element) if _is_wp(element.tag) else None
                if found is not None:
                    yield found
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del parent[0]
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (exc.lineno, 0)
            what = (exc.msg or "not well-formed XML").splitlines()[0].strip()
            what = _LXML_POSITION.sub("", what)
            where = f" (line {line}, column {column})" if line else ""
            yield Problem(
                origin=self.file,
                line=line or None,
                reason=f"malformed WXR: {what}{where}; the export is truncated or broken, "
                "so nothing from it may be applied: export it again",
                fatal=True,
            )

    # -- terms ----------------------------------------------------------------------------

    def term(self, element: etree._Element) -> Problem | None:
        fields = {_local(child.tag): (child.text or "") for child in element}
        taxonomy = fields.get("term_taxonomy", "").strip()
        if taxonomy not in ("post_translations", "language"):
            return None
        slug = fields.get("term_slug", "").strip()
        description = fields.get("term_description", "").strip()
        try:
            value = php_loads(description)
        except InputError as exc:
            return self.term_problem(element, taxonomy, slug, str(exc))
        if not isinstance(value, dict):
            return self.term_problem(
                element, taxonomy, slug, f"expected a serialized array, found {value!r}"
            )
        if taxonomy == "language":
            locale = value.get("locale")
            if isinstance(locale, str) and locale:
                self.locales[slug] = locale
            return None
        members: dict[str, str] = {}
        for lang, post_id in value.items():
            if not isinstance(lang, str) or not is_post_id(post_id):
                return self.term_problem(
                    element,
                    taxonomy,
                    slug,
                    f"expected language => post id, found {lang!r} => {post_id!r}",
                )
            members[lang] = str(post_id)
        self.groups[slug] = members
        return None

    def term_problem(self, element: etree._Element, taxonomy: str, slug: str, why: str) -> Problem:
        what = "translation group" if taxonomy == "post_translations" else "language"
        return Problem(
            origin=f"{self.file}#term {slug}",
            line=element.sourceline,
            key=slug if taxonomy == "post_translations" else None,
            reason=f"malformed serialized map in the {taxonomy} term {slug!r} ({what}): {why}; "
            f"resave the {what} in WordPress and export again",
        )

    # -- items ----------------------------------------------------------------------------

    def item(self, element: etree._Element) -> Document | Problem | None:
        item = _read_item(element)
        if item.post_type in SKIPPED_TYPES or item.post_type not in self.post_types:
            return None
        if item.status in SKIPPED_STATUSES:
            return None
        origin = f"{self.file}#item {item.post_id or '?'}"
        if not is_post_id(item.post_id):
            return Problem(
                origin=origin,
                line=item.line,
                reason=f"the item has no usable wp:post_id ({item.post_id!r}); export it again",
            )
        group_id = item.meta.get(WPML_GROUP, "").strip()
        if item.pll_group:
            key = item.pll_group
        elif group_id:
            key = f"wpml-{group_id}"
        else:
            key = f"wp-{item.post_id}"
        if why := valid_key(key):
            return Problem(origin=origin, line=item.line, reason=f"post key {key!r}: {why}")

        code = item.pll_language or item.meta.get(WPML_LANGUAGE, "").strip()
        if not code and item.pll_group:
            members = self.groups.get(item.pll_group, {})
            code = next((lang for lang, pid in members.items() if pid == item.post_id), "")
        if not code:
            if self.default_lang is None:
                return Problem(
                    origin=origin,
                    line=item.line,
                    key=key,
                    reason="the item has no language (no Polylang language category, no "
                    f"{WPML_LANGUAGE} meta); assign one in WordPress and export again",
                )
            code = self.default_lang
        lang = self.language(code)
        if lang is None:
            return self.unknown_language(origin, item, key, code, "language")

        source_lang = None
        source_code = item.meta.get(WPML_SOURCE_LANGUAGE, "").strip()
        if source_code:
            source_lang = self.language(source_code)
            if source_lang is None:
                return self.unknown_language(origin, item, key, source_code, "source language")

        if (key, lang) in self.seen:
            return Problem(
                origin=origin,
                line=item.line,
                key=key,
                lang=lang,
                reason=f"a second {lang!r} version in translation group {key!r}; "
                "keep one post per language in the group",
            )
        self.seen.add((key, lang))
        return Document(
            source=self.source,
            origin=item.link or item.guid or origin,
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

    def unknown_language(self, origin: str, item: _Item, key: str, code: str, what: str) -> Problem:
        return Problem(
            origin=origin,
            line=item.line,
            key=key,
            lang=code,
            reason=f"unknown {what} {code!r} (configured: {', '.join(self.languages)}); "
            "add it to TRANSYNC_LANGUAGES or map its locale",
        )


def _read_item(element: etree._Element) -> _Item:
    item = _Item(line=element.sourceline)
    for child in element:
        name = _ITEM_FIELDS.get(child.tag)
        if name is None:
            continue
        if name == "category":
            domain = child.get("domain")
            if domain == "language":
                item.pll_language = (child.get("nicename") or "").strip() or None
            elif domain == "post_translations":
                item.pll_group = (child.get("nicename") or "").strip() or None
        elif name == "postmeta":
            meta = {_local(m.tag): (m.text or "") for m in child}
            meta_key = meta.get("meta_key", "").strip()
            if meta_key in _WPML_META:
                item.meta[meta_key] = meta.get("meta_value", "")
        elif name in ("title", "content"):
            setattr(item, name, child.text or "")
        elif name in _REPEATED:  # one string per value, not one per item: kept per version
            setattr(item, name, sys.intern((child.text or "").strip()))
        else:
            setattr(item, name, (child.text or "").strip())
    return item


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _is_wp(tag: str) -> bool:
    """Whether a tag is in a WXR namespace (any version), not the excerpt one."""
    return tag.startswith("{" + WP_NAMESPACE) and "/excerpt/" not in tag


def is_post_id(value: object) -> bool:
    """Whether a value is a WordPress post id: a positive integer, or its decimal digits."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0


def _gmt_datetime(text: str) -> dt.datetime | None:
    """``2024-03-01 09:30:00`` as aware UTC; None for drafts' ``0000-00-00 00:00:00``."""
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def parse_locale_map(text: str) -> dict[str, str]:
    """``TRANSYNC_WP_LOCALE_MAP="pt_BR=pt,zh_CN=zh"`` as a dict."""
    pairs = [p.split("=", 1) for p in text.replace(" ", ",").split(",") if "=" in p]
    return {k.strip(): v.strip() for k, v in pairs}


class WxrFile:
    """Reads ``wxr:FILE``: a WordPress export, streamed in bounded memory."""

    complete = True  # a WXR file lists every post: absent means deleted

    def __init__(self, path: Path, settings: object) -> None:
        self.path = path
        self.uri = f"wxr:{path}"
        self.settings = settings

    def check(self) -> None:
        if not self.path.is_file():
            raise InputError("no such WXR file; give the path of a WordPress export (.xml)",
                             path=str(self.path))

    def read(self, known: Mapping[str, str]) -> Iterator[Document | Problem | Unchanged]:
        """Every item; one whose content, language, group, status and date are as recorded
        is Unchanged (not analyzed again)."""
        s = self.settings
        for item in read_wxr(
            self.path,
            source=self.uri,
            languages=s.languages,  # type: ignore[attr-defined]
            post_types=s.wp_post_types,  # type: ignore[attr-defined]
            locale_map=parse_locale_map(s.wp_locale_map),  # type: ignore[attr-defined]
        ):
            if isinstance(item, Document):
                fingerprint = sha256_hex("\x1f".join(map(str, (
                    item.raw_hash, item.key, item.lang, item.draft, item.source_lang,
                    item.date, item.external_id))))
                if known.get(item.origin) == fingerprint:
                    yield Unchanged(item.origin)
                    continue
                item = dataclasses.replace(item, raw_hash=fingerprint)
            yield item
