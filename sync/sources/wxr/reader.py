"""The expat side of the WXR reader: the stream, its limits, its entities, its errors.

The file is fed to expat 64 KiB at a time; only the fields transync uses are kept while an
element is open (records.py), and a term or item read whole goes to items.py. A limit
broken, a DOCTYPE that cannot be trusted or malformed XML ends the file with one fatal
Problem; trouble inside one item or term rejects that record alone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

from sync.i18n import nt_, t_
from sync.sources.base import Document, Problem, Skipped
from sync.sources.wxr.items import _Posts
from sync.sources.wxr.prolog import declaration_first, declared_encoding, single_byte, utf8_text
from sync.sources.wxr.records import _Fatal, _Record, _Text
from sync.sources.wxr.refusals import _Refusals
from sync.sources.wxr.schema import (
    _ITEM_FIELDS,
    _META_FIELDS,
    _POST_TEXT,
    _SEP,
    _TERM_FIELDS,
    _TERMS,
    _WPML_META,
    CHUNK,
    MAX_DEPTH,
    MAX_DOCUMENT_BYTES,
    MAX_DTD_BYTES,
    MAX_NAMES,
    SMALL_FIELD_BYTES,
    WP_NAMESPACES,
    WPML_META_PREFIXES,
    WPML_TAXONOMY,
)

log = logging.getLogger("sync.sources.wxr")


class _WxrReader(_Refusals):
    """Streams one export through expat: keeps the fields of the element being read, ends
    the file on a limit or malformed XML, and hands each term and item read whole to
    _Posts, yielding what it gives as the file goes."""

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
        self.max_bytes = max_bytes
        self.posts = _Posts(
            self.file,
            source=source,
            languages=languages,
            post_types=post_types,
            locale_map=locale_map,
            default_lang=default_lang,
            max_bytes=max_bytes,
        )
        # parsing state
        self.parser: expat.XMLParserType | None = None
        self.intern: dict[str, str] = {}
        #: expat name -> (key, name as written, _Item field if an item's child)
        self.names: dict[str, tuple[str, str, str | None]] = {}
        self.stack: list[tuple[str, int]] = []  # open elements: (expat name, line)
        self.pending: list[Document | Problem | Skipped] = []
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
        self.items = 0  # <item>s met, tracked or not
        self.head = b""  # the first chunk, as fed (the declaration first)

    # -- the stream ------------------------------------------------------------------------

    def read(self, stream: BinaryIO) -> Iterator[Document | Problem | Skipped]:
        fed = 0
        try:
            chunk = self.head = declaration_first(stream.read(CHUNK))
            parser = self.parser = self.new_parser(self.encoding(stream))
            while True:
                parser.Parse(chunk, not chunk)
                fed += len(chunk)
                if self.pending:
                    yield from self.pending
                    self.pending = []
                if not chunk:
                    break
                self.check_progress(fed)
                chunk = stream.read(CHUNK)
            self.check_end()
            self.posts.note_ignored()
        except expat.ExpatError as exc:
            yield self.malformed(exc, stream)
        except _Fatal as exc:
            yield self.fatal(exc.reason, exc.line)
        except OSError as exc:
            yield self.fatal(
                t_(
                    "cannot read the file: %(error)s; check the disk and the file, and scan again",
                    error=str(exc.strerror or exc),
                )
            )
        except (LookupError, ValueError) as exc:  # expat's encoding handler: Python's codecs
            yield self.fatal(
                t_(
                    "malformed WXR: the declared encoding cannot be read (%(error)s): "
                    "convert the file to UTF-8 (iconv -t UTF-8) and scan again",
                    error=str(exc),
                ),
                1,
            )
        except Exception as exc:  # noqa: BLE001 - whatever else stops the parser stops the file
            yield self.fatal(
                t_(
                    "the export could not be read (%(error)s); "
                    "nothing from it is applied: check the file and scan again",
                    error=f"{type(exc).__name__}: {exc}",
                )
            )

    def encoding(self, stream: BinaryIO) -> str | None:
        """UTF-8 for a file declared in a single-byte charset whose text is UTF-8, as
        WordPress writes it (prolog.py); None (what the file declares) for any other."""
        declared = declared_encoding(self.head)
        if not single_byte(declared) or not stream.seekable():
            return None
        if not utf8_text(self.head, stream):
            return None  # really in the declared charset
        log.warning(
            "%s: declared encoding %s, but its text is UTF-8 (WordPress writes every "
            "CDATA section in UTF-8, whatever the site's charset): read as UTF-8",
            self.file,
            declared,
        )
        return "UTF-8"

    def new_parser(self, encoding: str | None = None) -> expat.XMLParserType:
        parser = expat.ParserCreate(encoding, namespace_separator=_SEP, intern=self.intern)
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
                t_(
                    "a single tag, comment or processing instruction of over %(limit)s "
                    "bytes (TRANSYNC_MAX_DOCUMENT_BYTES) starts here; WordPress writes post "
                    "text as element text, never like this: export the site again",
                    limit=f"{self.max_bytes:,}",
                ),
                self.parser.CurrentLineNumber,
            )
        if self.doctype_at is not None and fed - self.doctype_at > MAX_DTD_BYTES:
            raise _Fatal(
                t_(
                    "the DOCTYPE is over %(limit)s bytes; WordPress writes none: "
                    "remove it, or export the site again",
                    limit=f"{MAX_DTD_BYTES:,}",
                ),
                self.parser.CurrentLineNumber,
            )

    def check_end(self) -> None:
        if not self.wxr_namespace:
            raise _Fatal(self.no_namespace())
        if not self.channels:
            raise _Fatal(
                t_(
                    "not a WordPress export: <rss> has no <channel>; export the site "
                    "again with Tools → Export"
                )
            )
        posts = self.posts
        if self.items and not posts.documents and not posts.item_problems:
            found = ", ".join(f"{what} × {n}" for what, n in posts.skipped.most_common())
            raise _Fatal(
                nt_(
                    "none of the %(n)d items is a post transync tracks (found: %(found)s; "
                    "tracked types: %(types)s, not trashed, in %(languages)s); export the "
                    "posts and pages, or set TRANSYNC_WP_POST_TYPES, or TRANSYNC_LANGUAGES "
                    "and TRANSYNC_WP_LOCALE_MAP",
                    "none of the %(n)d items is a post transync tracks (found: %(found)s; "
                    "tracked types: %(types)s, not trashed, in %(languages)s); export the "
                    "posts and pages, or set TRANSYNC_WP_POST_TYPES, or TRANSYNC_LANGUAGES "
                    "and TRANSYNC_WP_LOCALE_MAP",
                    self.items,
                    n=self.items,
                    found=found,
                    types=", ".join(sorted(posts.post_types)),
                    languages=", ".join(posts.languages),
                )
            )

    # -- expat's events --------------------------------------------------------------------
    # A handler never lets an exception other than _Fatal out: expat would stop, and one
    # item's trouble must reject that item alone.

    def start(self, name: str, attrs: dict[str, str]) -> None:
        stack = self.stack
        depth = len(stack)
        line = self.parser.CurrentLineNumber  # type: ignore[union-attr]
        if depth >= MAX_DEPTH:
            raise _Fatal(
                t_(
                    "elements nested over %(depth)d deep; a WordPress export nests "
                    "five: export the site again",
                    depth=MAX_DEPTH,
                ),
                line,
            )
        if len(self.intern) > MAX_NAMES:  # expat keeps every distinct name it meets
            raise _Fatal(
                t_(
                    "over %(limit)s distinct element and attribute names; a "
                    "WordPress export has about 70: export the site again",
                    limit=f"{MAX_NAMES:,}",
                ),
                line,
            )
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
                raise _Fatal(
                    t_(
                        "not a WordPress export: the root element is <%(element)s>, "
                        "expected <rss>; export the site again with Tools → Export",
                        element=self.written(name),
                    ),
                    line,
                )
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
                raise _Fatal(
                    t_(
                        "over %(limit)s distinct namespaces; a WordPress export "
                        "declares five: export the site again",
                        limit=f"{MAX_NAMES:,}",
                    )
                )
            self.namespaces[uri] = None

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
            elif domain == WPML_TAXONOMY:
                item.wpml = "active"
        elif what == "postmeta":
            self.meta = _Record(number=0, line=line)
        else:
            limit = self.max_bytes if what in _POST_TEXT else SMALL_FIELD_BYTES
            self.capture_text(item, what, limit, name, line, depth=3)

    def record_field(self, record: _Record, key: str, name: str, line: int) -> None:
        local = self.local(key)
        if (
            local == "meta_value"
            and "meta_key" in record.texts
            and (record.get("meta_key") not in _WPML_META)
        ):
            return  # another plugin's meta (WordPress writes the key first): not read
        if local in _TERM_FIELDS or local in _META_FIELDS:
            self.capture_text(
                record, local, SMALL_FIELD_BYTES, name, line, depth=len(self.stack) - 1
            )

    def capture_text(
        self, record: _Record, what: str, limit: int, name: str, line: int, *, depth: int
    ) -> None:
        text = _Text(limit, self.written(name), line)
        record.texts[what] = text  # a field given twice: the last one counts
        self.capture, self.capture_depth = text, depth
        self.parser.CharacterDataHandler = text.add  # type: ignore[union-attr]

    def nested(self, name: str, line: int) -> None:
        capture = self.capture
        assert capture is not None
        record = self.meta or self.item or self.term
        if record is not None:
            record.fail(
                t_(
                    "<%(field)s> (line %(line)d) holds the element <%(element)s> at line "
                    "%(at)d, where WordPress writes text: export the post again",
                    field=capture.name,
                    line=capture.line,
                    element=self.written(name),
                    at=line,
                )
            )

    def field_done(self, text: _Text) -> None:
        """A field whose text failed, or outgrew its small limit, makes its record unusable
        (post text is checked as a whole when the item ends; a meta entry counts if WPML's)."""
        record = self.meta or self.item or self.term
        if record is None:
            return
        if text.error is not None:
            record.fail(
                t_(
                    "<%(field)s> (line %(line)d) could not be read (%(error)s); "
                    "check the post in WordPress and export again",
                    field=text.name,
                    line=text.line,
                    error=text.error,
                )
            )
        elif text.over and text.limit == SMALL_FIELD_BYTES:
            record.fail(
                t_(
                    "<%(field)s> (line %(line)d) is %(size)s bytes, where WordPress writes a "
                    "short value (at most %(limit)s bytes): check the post in WordPress and "
                    "export again",
                    field=text.name,
                    line=text.line,
                    size=f"{text.size:,}",
                    limit=f"{SMALL_FIELD_BYTES:,}",
                )
            )

    def finish_meta(self) -> None:
        meta, item = self.meta, self.item
        self.meta = None
        if meta is None or item is None:
            return
        meta_key = meta.get("meta_key")
        if meta_key not in _WPML_META:
            if item.wpml is None and meta_key.startswith(WPML_META_PREFIXES):
                item.wpml = "meta"
            return  # other plugins' meta: not read, whatever it holds
        if meta.failure:
            item.fail(meta.failure)
        else:
            text = meta.texts.get("meta_value")
            item.meta[meta_key] = text.value() if text is not None else ""

    # -- terms and items read whole ----------------------------------------------------------

    def finish_term(self) -> None:
        term, self.term = self.term, None
        if term is None:
            return
        found = self.posts.term(term)
        if found is not None:
            self.pending.append(found)

    def finish_item(self) -> None:
        record, self.item = self.item, None
        if record is None:
            return
        found = self.posts.item(record)
        if found is not None:
            self.pending.append(found)
