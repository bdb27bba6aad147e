"""What the WXR reader says when it cannot go on, or cannot trust a piece of text: a
file that is not an export, malformed XML, DOCTYPE entities (undeclared, external or
expanding), and a handler's own failure. A mixin of the reader (reader.py), which holds the
state these read: the parser, the open elements, the record being read.
"""

from __future__ import annotations

from typing import Any
from xml.parsers import expat

from sync.i18n import Text, t_
from sync.sources.base import Problem
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

    def malformed(self, exc: expat.ExpatError) -> Problem:
        line, column = exc.lineno, exc.offset + 1
        message = expat.ErrorString(exc.code)
        code = _ERRORS.get(exc.code, "")
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
