"""The WXR source: a WordPress export file with Polylang or WPML translations.

Polylang puts a ``language`` and a ``post_translations`` category on each item, and
exports each translation group as a ``<wp:term>`` (before the items) whose description
is a PHP-serialized ``language => post id`` map; entries that are not a post id (the
``sync`` map Polylang Pro adds for synchronized posts) are ignored, with one warning per
file. WPML's export add-on writes the post
meta ``_wpml_import_language_code``, ``_wpml_import_source_language_code`` and
``_wpml_import_translation_group``. The post key is the Polylang group slug,
``wpml-<group>`` for WPML, or ``wp-<post id>`` for an item in no group. An item with no
language at all takes TRANSYNC_WP_DEFAULT_LANG when it is set (a site in one language).

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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sys
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from sync.errors import ConfigError, InputError, SourceError
from sync.phpserial import loads as php_loads
from sync.sources.base import Document, Problem, Unchanged
from sync.sources.fs import valid_key
from sync.text import sha256_hex

__all__ = ["DEFAULT_POST_TYPES", "MAX_DOCUMENT_BYTES", "WP_NAMESPACES", "read_wxr"]

log = logging.getLogger(__name__)

DEFAULT_POST_TYPES = ("post", "page")
#: TRANSYNC_MAX_DOCUMENT_BYTES's default: the largest title plus content of one item.
MAX_DOCUMENT_BYTES = 10_000_000
#: Never posts, whatever TRANSYNC_WP_POST_TYPES says.
SKIPPED_TYPES = frozenset({"attachment", "nav_menu_item", "revision"})
PUBLISHED = "publish"
DRAFT_STATUSES = frozenset({"draft", "pending", "future", "private"})
#: Deleted or not a post of its own: yields nothing.
SKIPPED_STATUSES = frozenset({"trash", "auto-draft", "inherit"})

_WXR_VERSIONS = ("1.0", "1.1", "1.2")
#: The wp: namespace of every WXR version, as WordPress (http) and WordPress.com (https)
#: write it.
WP_NAMESPACES = tuple(
    f"{scheme}://wordpress.org/export/{version}/"
    for scheme in ("http", "https")
    for version in _WXR_VERSIONS
)
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
WPML_LANGUAGE = "_wpml_import_language_code"
WPML_SOURCE_LANGUAGE = "_wpml_import_source_language_code"
WPML_GROUP = "_wpml_import_translation_group"
_WPML_META = frozenset({WPML_LANGUAGE, WPML_SOURCE_LANGUAGE, WPML_GROUP})
#: _Item fields with a few distinct values (publish, post, page…), kept in front matter.
_REPEATED = frozenset({"status", "post_type"})

CHUNK = 1 << 16  # bytes read and parsed at a time; also expat's text buffer
SMALL_FIELD_BYTES = 1 << 16  # a link, guid, id, slug, date, status, meta value, term field
MAX_DTD_BYTES = 1 << 20
MAX_DEPTH = 256  # libxml2's own default limit
MAX_NAMES = 10_000  # distinct element and attribute names (a WXR has about 70)
_SEP = "\x1f"  # between namespace, local name and prefix: never in an XML name or URI

#: Item child -> _Item field, for every WXR version's namespace.
_ITEM_FIELDS: dict[str, str] = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "category": "category",
    f"{CONTENT_NAMESPACE}{_SEP}encoded": "content",
    **{
        f"{namespace}{_SEP}{tag}": name
        for namespace in WP_NAMESPACES
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
_TERMS = frozenset(f"{namespace}{_SEP}term" for namespace in WP_NAMESPACES)
_TERM_FIELDS = frozenset({"term_taxonomy", "term_slug", "term_description"})
_META_FIELDS = frozenset({"meta_key", "meta_value"})
_POST_TEXT = frozenset({"title", "content"})  # together bounded by max_bytes
#: expat error code -> its constant's name (XML_ERROR_TAG_MISMATCH…)
_ERRORS = {
    expat.errors.codes[message]: name
    for name, message in vars(expat.errors).items()
    if name.startswith("XML_ERROR_") and message in expat.errors.codes
}


def read_wxr(
    path: Path,
    *,
    source: str,
    languages: Sequence[str],
    post_types: Sequence[str] = DEFAULT_POST_TYPES,
    locale_map: Mapping[str, str] | None = None,
    default_lang: str | None = None,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> Iterator[Document | Problem]:
    """Every post and page of a WXR file as a Document, or a Problem saying what is wrong.

    Trashed items, attachments, menu items, revisions and other post types yield
    nothing. A Problem about one item has the origin its Document would have had (its
    link, else its guid, else ``FILE#item <post id>``), so the version recorded for it
    is kept; its line is the item's. A file that cannot be read as a WordPress export
    (malformed or truncated XML, no WXR namespace, nothing but skipped items, a limit
    above) yields one fatal Problem (``key=None``, ``fatal=True``) and ends the
    iteration: whatever was yielded before it must not be applied. ``locale_map`` maps
    WordPress locales or language slugs to configured languages (default: the part
    before ``_``, so ``tr_TR`` is ``tr``); ``default_lang`` is the language of items
    that carry no language at all (a site without a translation plugin); without it
    they are problems. ``max_bytes`` bounds an item's title plus content (UTF-8).
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
    try:
        stream = open(path, "rb")  # closed by the with block below
    except OSError as exc:
        raise SourceError(
            f"cannot open WXR file {path}: {exc.strerror}; check the path of the wxr: source",
            path=str(path),
        ) from exc
    with stream:
        yield from reader.read(stream)


class _Fatal(Exception):
    """The file as a whole cannot be read: the reason, and the line if one is known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class _Text:
    """One field's text as it streams in: kept up to ``limit`` UTF-8 bytes, counted past it."""

    __slots__ = ("parts", "size", "limit", "over", "name", "line", "error")

    def __init__(self, limit: int, name: str, line: int) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.limit = limit
        self.over = False
        self.name = name  # the element, as written (wp:post_id)
        self.line = line
        self.error: str | None = None

    def add(self, text: str) -> None:
        """expat's text handler while the field is open: it never raises (that would stop
        the whole file); a failure is kept for the field's end."""
        try:
            self.size += len(text) if text.isascii() else len(text.encode("utf-8"))
            if self.size <= self.limit:
                self.parts.append(text)
            elif not self.over:
                self.over = True
                self.parts = []
        except Exception as exc:  # noqa: BLE001
            if self.error is None:
                self.error = f"{type(exc).__name__}: {exc}"

    def value(self) -> str:
        return "".join(self.parts)


@dataclass(slots=True)
class _Record:
    """An ``<item>`` or ``<wp:term>`` being read: its fields' texts, and why it cannot be
    used if something in it was wrong (the first reason found)."""

    number: int
    line: int
    texts: dict[str, _Text] = field(default_factory=dict)
    failure: str | None = None
    pll_language: str | None = None
    pll_group: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def fail(self, why: str) -> None:
        if self.failure is None:
            self.failure = why

    def get(self, name: str) -> str:
        """A field's text, stripped unless it is post text; '' when absent, too long or
        not read whole."""
        text = self.texts.get(name)
        if text is None or text.over or text.error is not None:
            return ""
        value = text.value()
        return value if name in _POST_TEXT else value.strip()

    def too_long(self, name: str) -> bool:
        text = self.texts.get(name)
        return text is not None and text.over


@dataclass(slots=True)
class _Item:
    """The fields of one ``<item>`` that transync uses, read whole."""

    line: int
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
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self.path = path
        self.file = str(path)
        self.source = source
        self.languages = languages
        self.post_types = post_types
        self.locale_map = locale_map
        self.default_lang = default_lang
        self.max_bytes = max_bytes
        self.groups: dict[str, dict[str, str]] = {}  # Polylang group slug -> lang slug -> post id
        self.locales: dict[str, str] = {}  # Polylang language slug -> locale (tr -> tr_TR)
        self.seen: set[tuple[str, str]] = set()  # (key, lang) already yielded
        self.ignored_entries: Counter[str] = Counter()  # translation-map keys, not languages
        # parsing state
        self.parser: expat.XMLParserType | None = None
        self.intern: dict[str, str] = {}
        #: expat name -> (key, name as written, _Item field if an item's child)
        self.names: dict[str, tuple[str, str, str | None]] = {}
        self.stack: list[tuple[str, int]] = []  # open elements: (expat name, line)
        self.pending: list[Document | Problem] = []
        self.in_channel = False
        self.channels = 0
        self.item: _Record | None = None
        self.term: _Record | None = None
        self.meta: _Record | None = None  # the <wp:postmeta> being read
        self.capture: _Text | None = None
        self.capture_depth = -1
        self.namespaces: dict[str, None] = {}  # every namespace declared, in order
        self.wxr_namespace = False
        self.doctype_at: int | None = None
        # what the items gave
        self.items = 0
        self.documents = 0
        self.item_problems = 0
        self.skipped: Counter[str] = Counter()

    # -- the stream ------------------------------------------------------------------------

    def read(self, stream: BinaryIO) -> Iterator[Document | Problem]:
        parser = self.parser = self.new_parser()
        fed = 0
        try:
            while True:
                chunk = stream.read(CHUNK)
                parser.Parse(chunk, not chunk)
                fed += len(chunk)
                if self.pending:
                    yield from self.pending
                    self.pending = []
                if not chunk:
                    break
                self.check_progress(fed)
            self.check_end()
            self.note_ignored()
        except expat.ExpatError as exc:
            yield self.malformed(exc)
        except _Fatal as exc:
            yield self.fatal(exc.reason, exc.line)
        except OSError as exc:
            yield self.fatal(f"cannot read the file: {exc.strerror or exc}; check the disk "
                             "and the file, and scan again")
        except (LookupError, ValueError) as exc:  # expat's encoding handler: Python's codecs
            yield self.fatal(f"malformed WXR: the declared encoding cannot be read ({exc}): "
                             "convert the file to UTF-8 (iconv -t UTF-8) and scan again", 1)
        except Exception as exc:  # noqa: BLE001 - whatever else stops the parser stops the file
            yield self.fatal(f"the export could not be read ({type(exc).__name__}: {exc}); "
                             "nothing from it is applied: check the file and scan again")

    def new_parser(self) -> expat.XMLParserType:
        parser = expat.ParserCreate(namespace_separator=_SEP, intern=self.intern)
        parser.namespace_prefixes = True  # names carry their prefix, for messages
        parser.buffer_text = True
        parser.buffer_size = CHUNK
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # no external DTD
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.StartNamespaceDeclHandler = self.namespace
        parser.StartDoctypeDeclHandler = self.start_doctype
        parser.EndDoctypeDeclHandler = self.end_doctype
        parser.SkippedEntityHandler = self.skipped_entity
        parser.ExternalEntityRefHandler = self.external_entity
        parser.NotStandaloneHandler = self.not_standalone
        if expat.version_info < (2, 4, 0):  # no guard against entity expansion attacks
            parser.EntityDeclHandler = self.refuse_entities
        return parser

    def check_progress(self, fed: int) -> None:
        """What expat holds unparsed must stay bounded: one token (a token that fits in
        the piece just read is parsed at once and never held), one DOCTYPE."""
        assert self.parser is not None
        at = self.parser.CurrentByteIndex
        if at >= 0 and fed - at > self.max_bytes:
            raise _Fatal(
                f"a single tag, comment or processing instruction of over {self.max_bytes:,} "
                "bytes (TRANSYNC_MAX_DOCUMENT_BYTES) starts here; WordPress writes post text "
                "as element text, never like this: export the site again",
                self.parser.CurrentLineNumber,
            )
        if self.doctype_at is not None and fed - self.doctype_at > MAX_DTD_BYTES:
            raise _Fatal(
                f"the DOCTYPE is over {MAX_DTD_BYTES:,} bytes; WordPress writes none: "
                "remove it, or export the site again", self.parser.CurrentLineNumber
            )

    def check_end(self) -> None:
        if not self.wxr_namespace:
            raise _Fatal(self.no_namespace())
        if not self.channels:
            raise _Fatal("not a WordPress export: <rss> has no <channel>; export the site "
                         "again with Tools → Export")
        if self.items and not self.documents and not self.item_problems:
            found = ", ".join(f"{what} × {n}" for what, n in self.skipped.most_common())
            raise _Fatal(
                f"none of the {self.items} items is a post transync tracks (found: {found}; "
                f"tracked types: {', '.join(sorted(self.post_types))}, not trashed); "
                "export the posts and pages, or set TRANSYNC_WP_POST_TYPES"
            )

    def note_ignored(self) -> None:
        if self.ignored_entries:
            found = ", ".join(f"{k!r} × {n}" for k, n in self.ignored_entries.most_common(5))
            log.warning("%s: translation groups hold entries that are not language => post id "
                        "(%s); ignored: Polylang Pro writes 'sync' there for synchronized posts",
                        self.file, found)

    def no_namespace(self) -> str:
        found = [ns for ns in self.namespaces if ns]
        shown = ", ".join(found[:12]) + (", …" if len(found) > 12 else "")
        return (
            "not a WordPress export: no WXR namespace is declared "
            f"({'namespaces found: ' + shown if found else 'no namespace is declared'}); "
            f"supported: {', '.join(WP_NAMESPACES)}; export the site again with "
            "Tools → Export (WordPress) or Export (WordPress.com)"
        )

    def fatal(self, reason: str, line: int | None = None) -> Problem:
        return Problem(origin=self.file, line=line, reason=reason, fatal=True)

    def malformed(self, exc: expat.ExpatError) -> Problem:
        line, column = exc.lineno, exc.offset + 1
        message = expat.ErrorString(exc.code)
        code = _ERRORS.get(exc.code, "")
        if code == "XML_ERROR_AMPLIFICATION_LIMIT_BREACH":
            return self.fatal(
                f"rejected WXR: {message} (line {line}, column {column}): the DOCTYPE's "
                "entities expand to far more text than the file holds (an entity expansion "
                "attack), so nothing from it is applied: remove the DOCTYPE and export again",
                line,
            )
        detail = ""
        if code == "XML_ERROR_TAG_MISMATCH" and self.stack:
            name, opened = self.stack[-1]
            detail = (f": <{self.written(name)}> opened at line {opened} is not closed before "
                      "this end tag")
        elif code == "XML_ERROR_UNKNOWN_ENCODING" or code == "XML_ERROR_INCORRECT_ENCODING":
            detail = ": convert the file to UTF-8 (iconv -t UTF-8)"
        elif self.stack and code in ("XML_ERROR_NO_ELEMENTS", "XML_ERROR_UNCLOSED_TOKEN",
                                     "XML_ERROR_UNCLOSED_CDATA_SECTION",
                                     "XML_ERROR_PARTIAL_CHAR"):
            name, opened = self.stack[-1]
            detail = f": the file ends inside <{self.written(name)}> opened at line {opened}"
        return self.fatal(
            f"malformed WXR: {message} (line {line}, column {column}){detail}; the export is "
            "truncated or broken, so nothing from it may be applied: export it again",
            line,
        )

    # -- expat's events --------------------------------------------------------------------
    # A handler never lets an exception other than _Fatal out: expat would stop, and one
    # item's trouble must reject that item alone.

    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        depth = len(stack)
        line = self.parser.CurrentLineNumber  # type: ignore[union-attr]
        if depth >= MAX_DEPTH:
            raise _Fatal(f"elements nested over {MAX_DEPTH} deep; a WordPress export nests "
                         "five: export the site again", line)
        if len(self.intern) > MAX_NAMES:  # expat keeps every distinct name it meets
            raise _Fatal(f"over {MAX_NAMES:,} distinct element and attribute names; a "
                         "WordPress export has about 70: export the site again", line)
        stack.append((name, line))
        if depth > 4 and self.capture is None:
            return  # nothing that deep is read
        try:
            known = self.names.get(name) or self.name(name)
            key = known[0]
            if self.capture is not None:  # an element inside a field's text
                self.nested(name, line)
            elif depth == 3:
                if self.item is not None:
                    if known[2] is not None:
                        self.item_field(known[2], name, attrs, line)
                elif self.term is not None:
                    self.record_field(self.term, key, name, line)
            elif depth == 4:
                if self.meta is not None:
                    self.record_field(self.meta, key, name, line)
            elif depth == 2:
                if self.in_channel:
                    if key == "item":
                        self.start_item(line)
                    elif key in _TERMS:
                        self.term = _Record(number=0, line=line)
            elif depth == 1:
                if key == "channel":
                    self.in_channel = True
                    self.channels += 1
            elif depth == 0 and key != "rss":
                raise _Fatal(f"not a WordPress export: the root element is "
                             f"<{self.written(name)}>, expected <rss>; export the site again "
                             "with Tools → Export", line)
        except _Fatal:
            raise
        except Exception as exc:  # noqa: BLE001 - any trouble rejects the record it is in
            self.fault(exc)

    def end(self, name: str) -> None:
        stack = self.stack
        stack.pop()
        depth = len(stack)
        if depth > 4:
            return  # nothing that deep is read
        try:
            if depth == self.capture_depth:
                text = self.capture
                self.end_capture()
                if text is not None and (text.over or text.error):
                    self.field_done(text)
            elif depth == 2:
                if self.item is not None:
                    self.finish_item()
                elif self.term is not None:
                    self.finish_term()
            elif depth == 3:
                if self.meta is not None:
                    self.finish_meta()
            elif depth == 1:
                self.in_channel = False
        except _Fatal:
            raise
        except Exception as exc:  # noqa: BLE001
            self.fault(exc)

    def end_capture(self) -> None:
        self.capture, self.capture_depth = None, -1
        self.parser.CharacterDataHandler = None  # type: ignore[union-attr]

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        if uri is None:
            return
        if uri in WP_NAMESPACES:
            self.wxr_namespace = True
        if uri not in self.namespaces:
            if len(self.namespaces) >= MAX_NAMES:
                raise _Fatal(f"over {MAX_NAMES:,} distinct namespaces; a WordPress export "
                             "declares five: export the site again")
            self.namespaces[uri] = None

    def start_doctype(self, *_: object) -> None:
        assert self.parser is not None
        self.doctype_at = self.parser.CurrentByteIndex

    def end_doctype(self) -> None:
        self.doctype_at = None

    def skipped_entity(self, name: str, is_parameter_entity: bool) -> None:
        if not is_parameter_entity:
            self.unreadable(
                f"it uses the entity &{name}; which the file does not declare (transync never "
                f"reads an external DTD), so its text is unknown: replace &{name}; with the "
                "character it stands for, or export again"
            )

    def external_entity(
        self, context: str, base: str | None, system_id: str | None, public_id: str | None
    ) -> int:
        name = context.rsplit("\x0c", 1)[-1]
        self.unreadable(
            f"it uses the external entity &{name}; ({system_id or public_id}), which transync "
            "never loads: replace it with its text, or export again"
        )
        return 1  # go on without it

    def refuse_entities(self, name: str, *_: object) -> None:
        raise _Fatal(
            f"the DOCTYPE declares the entity {name!r}, and this Python's expat "
            f"({expat.EXPAT_VERSION}) has no guard against entity expansion attacks; remove "
            "the DOCTYPE, or run transync on a Python with expat 2.4 or later"
        )

    def unreadable(self, why: str) -> None:
        """Some text of a field being read cannot be known: reject its record. Text that
        is not read (the channel's title, comments, other meta) does not matter."""
        if self.capture is not None:
            record = self.meta or self.item or self.term
            if record is not None:
                record.fail(why)
            if self.capture.error is None:  # its text is incomplete: not an identity either
                self.capture.error = why

    def not_standalone(self) -> int:
        raise _Fatal(
            "the DOCTYPE refers to an external DTD or a parameter entity, which transync never "
            "loads, so entities declared there would be lost from the text; nothing from the "
            "file is applied: remove the DOCTYPE (WordPress writes none) and scan again",
            self.parser.CurrentLineNumber if self.parser is not None else None,
        )

    def fault(self, exc: Exception) -> None:
        why = (f"it could not be read ({type(exc).__name__}: {exc}); check the item in "
               "WordPress and export again")
        record = self.item or self.term
        if record is None:
            line = self.parser.CurrentLineNumber if self.parser is not None else None
            raise _Fatal(f"the export could not be read ({type(exc).__name__}: {exc}); "
                         "nothing from it is applied", line) from exc
        record.fail(why)

    # -- names and fields ------------------------------------------------------------------

    def name(self, name: str) -> tuple[str, str, str | None]:
        """(key, as written, item field) of an expat name ``uri SEP local [SEP prefix]``:
        the key is ``uri SEP local`` (or the bare local name), as _ITEM_FIELDS spells it."""
        parts = name.split(_SEP)
        key = _SEP.join(parts[:2])
        written = f"{parts[2]}:{parts[1]}" if len(parts) == 3 else parts[-1]
        self.names[name] = found = (key, written, _ITEM_FIELDS.get(key))
        return found

    def written(self, name: str) -> str:
        known = self.names.get(name)
        return (known or self.name(name))[1]

    def local(self, key: str) -> str:
        return key.rsplit(_SEP, 1)[-1]

    def start_item(self, line: int) -> None:
        self.items += 1
        if not self.wxr_namespace:
            raise _Fatal(self.no_namespace(), line)
        self.item = _Record(number=self.items, line=line)

    def item_field(self, what: str, name: str, attrs: dict[str, str], line: int) -> None:
        item = self.item
        assert item is not None
        if what == "category":
            domain = attrs.get("domain")
            if domain == "language":
                item.pll_language = (attrs.get("nicename") or "").strip() or None
            elif domain == "post_translations":
                item.pll_group = (attrs.get("nicename") or "").strip() or None
        elif what == "postmeta":
            self.meta = _Record(number=0, line=line)
        else:
            limit = self.max_bytes if what in _POST_TEXT else SMALL_FIELD_BYTES
            self.capture_text(item, what, limit, name, line, depth=3)

    def record_field(self, record: _Record, key: str, name: str, line: int) -> None:
        local = self.local(key)
        if local == "meta_value" and "meta_key" in record.texts and (
            record.get("meta_key") not in _WPML_META
        ):
            return  # another plugin's meta (WordPress writes the key first): not read
        if local in _TERM_FIELDS or local in _META_FIELDS:
            self.capture_text(record, local, SMALL_FIELD_BYTES, name, line,
                              depth=len(self.stack) - 1)

    def capture_text(self, record: _Record, what: str, limit: int, name: str, line: int,
                     *, depth: int) -> None:
        text = _Text(limit, self.written(name), line)
        record.texts[what] = text  # a field given twice: the last one counts
        self.capture, self.capture_depth = text, depth
        self.parser.CharacterDataHandler = text.add  # type: ignore[union-attr]

    def nested(self, name: str, line: int) -> None:
        capture = self.capture
        assert capture is not None
        record = self.meta or self.item or self.term
        if record is not None:
            record.fail(f"<{capture.name}> (line {capture.line}) holds the element "
                        f"<{self.written(name)}> at line {line}, where WordPress writes text: "
                        "export the post again")

    def field_done(self, text: _Text) -> None:
        """A field whose text failed, or outgrew its small limit, makes its record unusable
        (post text is checked as a whole when the item ends; a meta entry counts if WPML's)."""
        record = self.meta or self.item or self.term
        if record is None:
            return
        if text.error is not None:
            record.fail(f"<{text.name}> (line {text.line}) could not be read ({text.error}); "
                        "check the post in WordPress and export again")
        elif text.over and text.limit == SMALL_FIELD_BYTES:
            record.fail(f"<{text.name}> (line {text.line}) is {text.size:,} bytes, where "
                        f"WordPress writes a short value (at most {SMALL_FIELD_BYTES:,} bytes): "
                        "check the post in WordPress and export again")

    def finish_meta(self) -> None:
        meta, item = self.meta, self.item
        self.meta = None
        if meta is None or item is None:
            return
        meta_key = meta.get("meta_key")
        if meta_key not in _WPML_META:
            return  # other plugins' meta: not read, whatever it holds
        if meta.failure:
            item.fail(meta.failure)
        else:
            text = meta.texts.get("meta_value")
            item.meta[meta_key] = text.value() if text is not None else ""

    # -- terms ----------------------------------------------------------------------------

    def finish_term(self) -> None:
        term, self.term = self.term, None
        if term is None:
            return
        try:
            found = self.term_result(term)
        except Exception as exc:  # noqa: BLE001 - any trouble rejects this term alone
            found = self.term_problem(term, term.get("term_taxonomy"), term.get("term_slug"),
                                      f"it could not be read ({type(exc).__name__}: {exc})")
        if found is not None:
            self.pending.append(found)

    def term_result(self, term: _Record) -> Problem | None:
        taxonomy = term.get("term_taxonomy")
        if taxonomy not in ("post_translations", "language"):
            return None
        slug = term.get("term_slug")
        if term.failure is not None:
            return self.term_problem(term, taxonomy, slug, term.failure, malformed=False)
        description = term.get("term_description")
        try:
            value = php_loads(description)
        except InputError as exc:
            return self.term_problem(term, taxonomy, slug, str(exc))
        if not isinstance(value, dict):
            return self.term_problem(
                term, taxonomy, slug, f"expected a serialized array, found {value!r}"
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

    def term_problem(self, term: _Record, taxonomy: str, slug: str, why: str, *,
                     malformed: bool = True) -> Problem:
        what = "translation group" if taxonomy == "post_translations" else "language"
        lead = "malformed serialized map in the" if malformed else "the"
        return Problem(
            origin=f"{self.file}#term {slug}",
            line=term.line,
            key=slug if taxonomy == "post_translations" else None,
            reason=f"{lead} {taxonomy} term {slug!r} ({what}): {why}; "
            f"resave the {what} in WordPress and export again",
        )

    # -- items ----------------------------------------------------------------------------

    def finish_item(self) -> None:
        record, self.item = self.item, None
        if record is None:
            return
        try:
            found = self.item_result(record)
        except Exception as exc:  # noqa: BLE001 - any trouble rejects this item alone
            found = self.item_problem(
                record, f"it could not be read ({type(exc).__name__}: {exc}); check the post "
                "in WordPress and export again"
            )
        if isinstance(found, Document):
            self.documents += 1
        elif isinstance(found, Problem):
            self.item_problems += 1
        if found is not None:
            self.pending.append(found)

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
        post = f" (wp:post_id {post_id})" if is_post_id(post_id) else ""
        return Problem(
            origin=self.identity(record),
            line=record.line,
            key=key,
            lang=lang,
            reason=f"item {record.number} at line {record.line} of {self.file}{post}: {why}",
        )

    def item_result(self, record: _Record) -> Document | Problem | None:
        for name in ("post_type", "status"):
            if record.too_long(name):
                return self.item_problem(record, record.failure or f"its {name} is too long")
        post_type = sys.intern(record.get("post_type"))
        status = sys.intern(record.get("status"))
        if not post_type:
            return self.item_problem(
                record, "it has no <wp:post_type>, so it is not known to be a post; export "
                "it again with Tools → Export"
            )
        if post_type in SKIPPED_TYPES or post_type not in self.post_types:
            self.skip(f"{post_type} items")
            return None
        if status in SKIPPED_STATUSES:
            self.skip(f"{status} {post_type}s")
            return None
        if record.failure is not None:
            return self.item_problem(record, record.failure)
        size = sum(record.texts[n].size for n in _POST_TEXT if n in record.texts)
        if size > self.max_bytes:
            return self.item_problem(
                record, f"its title and content are {size:,} bytes, over the "
                f"{self.max_bytes:,} of TRANSYNC_MAX_DOCUMENT_BYTES; the version recorded "
                "for it is kept as it was: shorten the post, or raise the limit"
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

    def document(self, record: _Record, item: _Item) -> Document | Problem:
        if not is_post_id(item.post_id):
            return self.item_problem(
                record, f"it has no usable wp:post_id ({item.post_id!r}); export it again"
            )
        group_id = item.meta.get(WPML_GROUP, "").strip()
        if item.pll_group:
            key = item.pll_group
        elif group_id:
            key = f"wpml-{group_id}"
        else:
            key = f"wp-{item.post_id}"
        if why := valid_key(key):
            return self.item_problem(record, f"post key {key!r}: {why}")

        code = item.pll_language or item.meta.get(WPML_LANGUAGE, "").strip()
        if not code and item.pll_group:
            members = self.groups.get(item.pll_group, {})
            code = next((lang for lang, pid in members.items() if pid == item.post_id), "")
        if not code:
            if self.default_lang is None:
                return self.item_problem(
                    record,
                    "it has no language (no Polylang language category, no "
                    f"{WPML_LANGUAGE} meta); assign one in WordPress and export again, or, "
                    "for a site in one language, set TRANSYNC_WP_DEFAULT_LANG",
                    key=key,
                )
            code = self.default_lang
        lang = self.language(code)
        if lang is None:
            return self.unknown_language(record, key, code, "language")

        source_lang = None
        source_code = item.meta.get(WPML_SOURCE_LANGUAGE, "").strip()
        if source_code:
            source_lang = self.language(source_code)
            if source_lang is None:
                return self.unknown_language(record, key, source_code, "source language")

        if (key, lang) in self.seen:
            return self.item_problem(
                record,
                f"a second {lang!r} version in translation group {key!r}; "
                "keep one post per language in the group",
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

    def unknown_language(self, record: _Record, key: str, code: str, what: str) -> Problem:
        return self.item_problem(
            record,
            f"unknown {what} {code!r} (configured: {', '.join(self.languages)}); "
            "add it to TRANSYNC_LANGUAGES or map its locale",
            key=key,
            lang=code,
        )


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


def check_default_lang(code: str | None, languages: Sequence[str]) -> None:
    """TRANSYNC_WP_DEFAULT_LANG, when set, must be a configured language."""
    if code and code not in languages:
        raise ConfigError(f"TRANSYNC_WP_DEFAULT_LANG={code} is not one of TRANSYNC_LANGUAGES="
                          f"{','.join(languages)}")


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
        check_default_lang(self.default_lang, self.settings.languages)  # type: ignore[attr-defined]

    @property
    def default_lang(self) -> str | None:
        """TRANSYNC_WP_DEFAULT_LANG: the language of items that have none."""
        return getattr(self.settings, "wp_default_lang", "") or None

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
            default_lang=self.default_lang,
            max_bytes=s.max_document_bytes,  # type: ignore[attr-defined]
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
