"""The WXR source: a WordPress export file with Polylang or WPML translations.

Polylang puts a ``language`` and a ``post_translations`` category on each item, and
exports each translation group as a ``<wp:term>`` (before the items) whose description
is a PHP-serialized ``language => post id`` map; entries that are not a post id (the
``sync`` map Polylang Pro adds for synchronized posts) are ignored, with one warning per
file. WPML's export add-on writes the post
meta ``_wpml_import_language_code``, ``_wpml_import_source_language_code`` and
``_wpml_import_translation_group``. The post key is the Polylang group slug,
``wpml-<group>`` for WPML, or ``wp-<post id>`` for an item in no group. An item with no
language at all takes TRANSYNC_WP_DEFAULT_LANG when it is set (a site in one language),
unless the export is of a WPML site (its ``translation_priority`` taxonomy, or WPML's post
meta with no default language): Tools → Export leaves WPML's languages out, and its posts
are in many.

The file is streamed through expat (the standard library's ``pyexpat``) in 64 KiB
pieces, and only the fields transync uses are kept while an element is open: nothing
else of the file stays in memory, whatever its shape. expat, not lxml: libxml2 (2.14,
as lxml 6 ships it) hands a parser target a CDATA section in one piece, and iterparse
builds every text node whole, so one 200 MB ``<content:encoded>`` costs 200 MB of C
memory and then its Python copy before anything can count it (measured: 589 MB peak
with ``huge_tree``, an error at 10 MB without). expat reports text and CDATA in pieces
of at most 64 KiB, knows the line of every event, expands internal entities under its
amplification guard (expat 2.4 and later) and never reads an external entity or DTD.

Bounds: an item's title and content together may hold TRANSYNC_MAX_DOCUMENT_BYTES;
past that the item is rejected by name and the rest of its text is only counted.
Identity and metadata fields hold at most 64 KiB each. A single tag, comment or
processing instruction (which expat must hold whole) larger than the same limit, a
DOCTYPE over 1 MiB, nesting deeper than 256 elements or more than 10,000 distinct
element and attribute names end the file with a fatal problem: no WordPress export
has any of them.

Entities: the internal ones a DOCTYPE declares are expanded in full; an item that uses an
external entity is rejected (it is never loaded); a DOCTYPE with an external DTD or a
parameter entity is refused as a whole, since the entities it would declare cannot be
known (in an attribute expat would drop them without a word).

Before expat: blank lines before ``<?xml …?>`` (a plugin's) are moved after it, and a file
declared in a single-byte charset whose text is all valid UTF-8 is read as UTF-8, since
WordPress writes every CDATA section in UTF-8 whatever charset it declares. A control
character XML does not allow (pasted into a post) is not dropped: the file is refused,
naming the post, the field and the character.

Layout: ``schema`` (namespaces, fields, bounds), ``records`` (what is kept of an element),
``prolog`` (the file's start: the declaration and its encoding), ``reader`` (expat: the
stream, limits, entities, errors), ``items`` (Polylang and WPML: terms and items to
documents); this module opens the file and makes the ``wxr:`` source.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from sync.errors import InputError, SourceError
from sync.i18n import t_
from sync.sources.base import Document, Problem, Skipped, Unchanged
from sync.sources.wpcommon import check_default_lang, held_keys, is_post_id, parse_locale_map
from sync.sources.wxr.reader import _WxrReader
from sync.sources.wxr.schema import DEFAULT_POST_TYPES, MAX_DOCUMENT_BYTES, WP_NAMESPACES
from sync.text import sha256_hex

__all__ = [
    "DEFAULT_POST_TYPES",
    "MAX_DOCUMENT_BYTES",
    "WP_NAMESPACES",
    "WxrFile",
    "check_default_lang",
    "is_post_id",
    "parse_locale_map",
    "read_wxr",
]


def read_wxr(
    path: Path,
    *,
    source: str,
    languages: Sequence[str],
    post_types: Sequence[str] = DEFAULT_POST_TYPES,
    locale_map: Mapping[str, str] | None = None,
    default_lang: str | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    held: Mapping[str, str] | None = None,
) -> Iterator[Document | Problem | Skipped]:
    """Every post and page of a WXR file as a Document, or a Problem saying what is wrong.

    Trashed items, attachments, menu items, revisions and other post types are Skipped
    (``trashed``, ``not_content``, ``untracked_type``), so a scan counts them. A Problem
    about one item has the origin its Document would have had (its link, else its guid, else
    ``FILE#item <post id>``), so the version recorded for it is kept; its line is the
    item's. A file that cannot be read as a WordPress export (malformed or truncated XML, no
    WXR namespace, nothing but skipped items, a limit above) yields one fatal Problem
    (``key=None``, ``fatal=True``) and ends the iteration: whatever was yielded before it
    must not be applied. ``locale_map`` maps WordPress locales or language slugs to
    configured languages (default: the part before ``_``, so ``tr_TR`` is ``tr``);
    ``default_lang`` is the language of items that carry no language at all (a site without
    a translation plugin); without it they are problems. ``max_bytes`` bounds an item's
    title plus content (UTF-8). ``held`` maps post ids to the keys the tracker holds for
    them: a group keeps its key (see ``_Posts.held_key``).
    Raises SourceError if the file cannot be opened.
    """
    reader = _WxrReader(
        path,
        source=source,
        languages=tuple(languages),
        post_types=frozenset(post_types),
        locale_map=dict(locale_map or {}),
        default_lang=default_lang,
        max_bytes=max_bytes,
    )
    reader.posts.held = dict(held or {})
    try:
        stream = open(path, "rb")  # closed by the with block below
    except OSError as exc:
        raise SourceError(
            t_(
                "cannot open WXR file %(path)s: %(error)s; check the path of the wxr: source",
                path=str(path),
                error=str(exc.strerror),
            ),
            path=str(path),
        ) from exc
    with stream:
        yield from reader.read(stream)


class WxrFile:
    """Reads ``wxr:FILE``: a WordPress export, streamed in bounded memory."""

    complete = True  # a WXR file lists every post: absent means deleted

    def __init__(self, path: Path, settings: object) -> None:
        self.path = path
        self.uri = f"wxr:{path}"
        self.settings = settings
        self.held: dict[str, str] = {}  # post id -> the key the tracker holds for it

    def load_state(self, session: object) -> None:
        """The keys the tracker holds for this file's posts, by post id: a post keeps its
        key when its group changes (see ``_Posts.held_key``)."""
        self.held = {post_id: key for post_id, _origin, key in held_keys(session, self.uri)}

    def check(self) -> None:
        if not self.path.is_file():
            raise InputError(
                t_("no such WXR file; give the path of a WordPress export (.xml)"),
                path=str(self.path),
            )
        check_default_lang(self.default_lang, self.settings.languages)  # type: ignore[attr-defined]

    @property
    def default_lang(self) -> str | None:
        """TRANSYNC_WP_DEFAULT_LANG: the language of items that have none."""
        return getattr(self.settings, "wp_default_lang", "") or None

    def read(self, known: Mapping[str, str]) -> Iterator[Document | Problem | Unchanged | Skipped]:
        """Every item; one whose content, language, group, status and date are as recorded
        is Unchanged (not analyzed again). An export with no post at all, of a site this
        database holds posts of, is refused: read as it is, it would delete them all (an
        export of the media only, a download cut before the first item)."""
        s = self.settings
        posts = 0
        for item in read_wxr(
            self.path,
            source=self.uri,
            languages=s.languages,  # type: ignore[attr-defined]
            post_types=s.wp_post_types,  # type: ignore[attr-defined]
            locale_map=parse_locale_map(s.wp_locale_map),  # type: ignore[attr-defined]
            default_lang=self.default_lang,
            max_bytes=s.max_document_bytes,  # type: ignore[attr-defined]
            held=self.held,
        ):
            if isinstance(item, Problem) and item.fatal:
                yield item
                return
            if isinstance(item, Document | Problem):
                posts += 1
            if isinstance(item, Document):
                fingerprint = sha256_hex(
                    "\x1f".join(
                        map(
                            str,
                            (
                                item.raw_hash,
                                item.key,
                                item.lang,
                                item.draft,
                                item.source_lang,
                                item.date,
                                item.external_id,
                            ),
                        )
                    )
                )
                if known.get(item.origin) == fingerprint:
                    yield Unchanged(item.origin)
                    continue
                item = dataclasses.replace(item, raw_hash=fingerprint)
            yield item
        if not posts and known:
            yield Problem(
                origin=str(self.path),
                fatal=True,
                reason=t_(
                    "holds no post, and transync holds %(n)d versions read from it: read as it "
                    "is, every one of them would be deleted; nothing was applied. Export the "
                    "site again with Tools → Export → All content (or Posts and Pages)",
                    n=len(known),
                ),
            )
