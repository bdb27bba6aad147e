"""What the WXR reader says when it cannot go on, or cannot trust a piece of text: a
file that is not an export, malformed XML (a control character XML does not allow is named
with the post and field it is in: WordPress exports one pasted into a post as it is, so
exporting again does not help), DOCTYPE entities (undeclared, external or expanding), and
a handler's own failure. A mixin of the reader (reader.py), which holds the
state these read: the parser, the open elements, the record being read.
"""

from __future__ import annotations

from typing import Any, BinaryIO
from xml.parsers import expat

from sync.i18n import Text, t_
from sync.sources.base import Problem
from sync.sources.wpcommon import is_post_id
from sync.sources.wxr.records import _Fatal
from sync.sources.wxr.schema import _ERRORS, WP_NAMESPACES


class _Refusals:
    """The reader's refusals; the attributes are the reader's."""

    file: str
    namespaces: dict[str, Any]
    stack: list[tuple[str, int]]
    parser: expat.XMLParserType | None
    capture: Any
    meta: Any
    item: Any
    term: Any
    doctype_at: int | None
    head: bytes

    def written(self, name: str) -> str:  # pragma: no cover - the reader's
        raise NotImplementedError

    def no_namespace(self) -> Text:
        found = [ns for ns in self.namespaces if ns]
        supported = ", ".join(WP_NAMESPACES)
        if not found:
            return t_(
                "not a WordPress export: no WXR namespace is declared (no namespace is "
                "declared); supported: %(supported)s; export the site again with "
                "Tools → Export (WordPress) or Export (WordPress.com)",
                supported=supported,
            )
        return t_(
            "not a WordPress export: no WXR namespace is declared (namespaces found: "
            "%(found)s); supported: %(supported)s; export the site again with "
            "Tools → Export (WordPress) or Export (WordPress.com)",
            found=", ".join(found[:12]) + (", …" if len(found) > 12 else ""),
            supported=supported,
        )

    def fatal(self, reason: str, line: int | None = None) -> Problem:
        return Problem(origin=self.file, line=line, reason=reason, fatal=True)

    def malformed(self, exc: expat.ExpatError, stream: BinaryIO | None = None) -> Problem:
        line, column = exc.lineno, exc.offset + 1
        message = expat.ErrorString(exc.code)
        code = _ERRORS.get(exc.code, "")
        if code == "XML_ERROR_INVALID_TOKEN" and stream is not None:
            reason = self.control_character(message, line, column, stream)
            if reason is not None:
                return self.fatal(reason, line)
        if code == "XML_ERROR_AMPLIFICATION_LIMIT_BREACH":
            return self.fatal(
                t_(
                    "rejected WXR: %(error)s (line %(line)d, column %(column)d): the DOCTYPE's "
                    "entities expand to far more text than the file holds (an entity expansion "
                    "attack), so nothing from it is applied: remove the DOCTYPE and export again",
                    error=message,
                    line=line,
                    column=column,
                ),
                line,
            )
        at = {"error": message, "line": line, "column": column}
        if code == "XML_ERROR_TAG_MISMATCH" and self.stack:
            name, opened = self.stack[-1]
            reason = t_(
                "malformed WXR: %(error)s (line %(line)d, column %(column)d): <%(element)s> "
                "opened at line %(opened)d is not closed before this end tag; the export is "
                "truncated or broken, so nothing from it may be applied: export it again",
                element=self.written(name),
                opened=opened,
                **at,
            )
        elif code == "XML_ERROR_UNKNOWN_ENCODING" or code == "XML_ERROR_INCORRECT_ENCODING":
            reason = t_(
                "malformed WXR: %(error)s (line %(line)d, column %(column)d): convert the file "
                "to UTF-8 (iconv -t UTF-8); the export is truncated or broken, so nothing from "
                "it may be applied: export it again",
                **at,
            )
        elif self.stack and code in (
            "XML_ERROR_NO_ELEMENTS",
            "XML_ERROR_UNCLOSED_TOKEN",
            "XML_ERROR_UNCLOSED_CDATA_SECTION",
            "XML_ERROR_PARTIAL_CHAR",
        ):
            name, opened = self.stack[-1]
            reason = t_(
                "malformed WXR: %(error)s (line %(line)d, column %(column)d): the file ends "
                "inside <%(element)s> opened at line %(opened)d; the export is truncated or "
                "broken, so nothing from it may be applied: export it again",
                element=self.written(name),
                opened=opened,
                **at,
            )
        else:
            reason = t_(
                "malformed WXR: %(error)s (line %(line)d, column %(column)d); the export is "
                "truncated or broken, so nothing from it may be applied: export it again",
                **at,
            )
        return self.fatal(reason, line)

    def control_character(
        self, message: str, line: int, column: int, stream: BinaryIO
    ) -> Text | None:
        """Why the file is refused when expat stopped at a control character XML does not
        allow (U+0000…U+001F but tab and newlines), naming the field and the post it is in;
        None for any other invalid token. Nothing is dropped: the text would be altered."""
        if not self.stack or self.parser is None:
            return None
        byte = self.byte_at(self.parser.ErrorByteIndex, stream)
        if byte is None or byte >= 0x20 or byte in b"\t\n\r":
            return None
        at = {
            "error": message,
            "line": line,
            "column": column,
            "char": f"U+{byte:04X}",
            "field": self.written(self.stack[-1][0]),
        }
        if self.item is None:
            return t_(
                "malformed WXR: %(error)s (line %(line)d, column %(column)d): the control "
                "character %(char)s in <%(field)s> is not allowed in XML, so nothing from the "
                "file may be applied; WordPress exports it as it is, so exporting again gives "
                "the same file: remove the character in WordPress and export again, or delete "
                "it from the file and scan again",
                **at,
            )
        return t_(
            "malformed WXR: %(error)s (line %(line)d, column %(column)d): the control "
            "character %(char)s in <%(field)s> of %(post)s is not allowed in XML, so nothing "
            "from the file may be applied; WordPress exports it as it is, so exporting again "
            "gives the same file: remove the character from that post in WordPress and export "
            "again, or delete it from the file and scan again",
            post=self.post_named(self.item),
            **at,
        )

    def byte_at(self, index: int, stream: BinaryIO) -> int | None:
        """The byte at ``index`` of what expat was fed, if the file's encoding is one
        where a byte under 0x20 is that control character (not UTF-16)."""
        head = self.head
        if index < 0 or head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:2]:
            return None
        if index < len(head):
            return head[index]
        try:  # past the first chunk, what was fed is the file as it is
            stream.seek(index)
            found = stream.read(1)
        except (OSError, ValueError):
            return None
        return found[0] if found else None

    def post_named(self, record: Any) -> Text:
        """The item being read, by what of it is read so far: its link (else its guid)
        and wp:post_id when they come before the trouble, and where it starts."""

        def done(name: str) -> str:  # a field still being read may hold the trouble
            text = record.texts.get(name)
            return "" if text is None or text is self.capture else record.get(name)

        link = done("link") or done("guid")
        post_id = done("post_id")
        at = {"n": record.number, "at": record.line}
        if not is_post_id(post_id):
            post_id = ""
        if link and post_id:
            return t_(
                "the post %(link)s (wp:post_id %(post_id)s; item %(n)d, line %(at)d)",
                link=link,
                post_id=post_id,
                **at,
            )
        if link:
            return t_("the post %(link)s (item %(n)d, line %(at)d)", link=link, **at)
        if post_id:
            return t_(
                "the post with wp:post_id %(post_id)s (item %(n)d, line %(at)d)",
                post_id=post_id,
                **at,
            )
        return t_("item %(n)d (line %(at)d)", **at)

    def start_doctype(self, *_: object) -> None:
        assert self.parser is not None
        self.doctype_at = self.parser.CurrentByteIndex

    def end_doctype(self) -> None:
        self.doctype_at = None

    def skipped_entity(self, name: str, is_parameter_entity: bool) -> None:
        if not is_parameter_entity:
            self.unreadable(
                t_(
                    "it uses the entity &%(name)s; which the file does not declare (transync "
                    "never reads an external DTD), so its text is unknown: replace &%(name)s; "
                    "with the character it stands for, or export again",
                    name=name,
                )
            )

    def external_entity(
        self, context: str, base: str | None, system_id: str | None, public_id: str | None
    ) -> int:
        name = context.rsplit("\x0c", 1)[-1]
        self.unreadable(
            t_(
                "it uses the external entity &%(name)s; (%(entity)s), which transync "
                "never loads: replace it with its text, or export again",
                name=name,
                entity=str(system_id or public_id),
            )
        )
        return 1  # go on without it

    def refuse_entities(self, name: str, *_: object) -> None:
        raise _Fatal(
            t_(
                "the DOCTYPE declares the entity %(name)s, and this Python's expat "
                "(%(version)s) has no guard against entity expansion attacks; remove "
                "the DOCTYPE, or run transync on a Python with expat 2.4 or later",
                name=repr(name),
                version=expat.EXPAT_VERSION,
            )
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
            t_(
                "the DOCTYPE refers to an external DTD or a parameter entity, which transync "
                "never loads, so entities declared there would be lost from the text; nothing "
                "from the file is applied: remove the DOCTYPE (WordPress writes none) and "
                "scan again"
            ),
            self.parser.CurrentLineNumber if self.parser is not None else None,
        )

    def fault(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        why = t_(
            "it could not be read (%(error)s); check the item in WordPress and export again",
            error=error,
        )
        record = self.item or self.term
        if record is None:
            line = self.parser.CurrentLineNumber if self.parser is not None else None
            raise _Fatal(
                t_(
                    "the export could not be read (%(error)s); nothing from it is applied",
                    error=error,
                ),
                line,
            ) from exc
        record.fail(why)
