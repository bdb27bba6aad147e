"""Untrusted XML, read safely and in bounded memory: expat (the standard library's), fed in
64 KiB pieces, the way defusedxml configures it.

- No entity is ever declared: a DOCTYPE may name an external DTD (TMX files carry
  ``<!DOCTYPE tmx SYSTEM "tmx14.dtd">``), which is never loaded, but an internal subset
  that declares an entity is refused at once (the "billion laughs" bomb and its quadratic
  cousin need one), and so is any reference to an entity the file does not define.
- No external entity, DTD or parameter entity is loaded; nothing touches the network.
- Bounds: nesting depth, distinct names, and the bytes expat may hold unparsed (one tag,
  comment or processing instruction); text arrives in pieces of at most 64 KiB.

:func:`events` streams (kind, name, value, line) tuples; :func:`parse_tree` builds a small
element tree for documents that fit in memory (an XLIFF upload), with the same guards.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.parsers import expat

from sync.errors import InputError

CHUNK = 64 * 1024
MAX_DEPTH = 64
MAX_NAMES = 5_000
MAX_TOKEN = 4 * 1024 * 1024  # one tag or comment expat holds whole

START, END, TEXT = "start", "end", "text"
Event = tuple[str, str, "dict[str, str] | str | None", int]


class XmlRefused(InputError):
    """The XML was refused: it is malformed, or uses what transync never reads (entities)."""


@dataclass(slots=True)
class Element:
    """An element of :func:`parse_tree`: ``{namespace}local`` names, as ElementTree spells
    them; ``children`` holds text (str) and elements in document order."""

    tag: str
    attrs: dict[str, str]
    line: int
    children: list[str | Element] = field(default_factory=list)

    @property
    def local(self) -> str:
        return self.tag.rsplit("}", 1)[-1]

    @property
    def namespace(self) -> str:
        return self.tag[1:].split("}", 1)[0] if self.tag.startswith("{") else ""

    def elements(self, local: str | None = None) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element) and (local is None or child.local == local):
                yield child

    def first(self, local: str) -> Element | None:
        return next(self.elements(local), None)

    def text(self) -> str:
        """Every text inside, elements' included."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)


def _name(raw: str) -> str:
    """expat's ``uri}local`` as ``{uri}local``; a name with no namespace as it is."""
    return "{" + raw if "}" in raw else raw


class Guarded:
    """An expat parser with the guards above; subclasses set the content handlers
    (``start``, ``end``, ``text``) and :meth:`run` feeds it a stream."""

    def __init__(
        self, path: str = "", *, max_depth: int = MAX_DEPTH, max_names: int = MAX_NAMES
    ) -> None:
        self.path = path
        self.max_depth = max_depth
        self.max_names = max_names
        self.names: dict[str, str] = {}
        self.depth = 0
        p = self.parser = expat.ParserCreate(namespace_separator="}")
        p.buffer_text = True
        p.buffer_size = CHUNK
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self.text
        p.EntityDeclHandler = self.entity_declared
        p.UnparsedEntityDeclHandler = self.unparsed_entity
        p.ExternalEntityRefHandler = self.external_entity
        p.SkippedEntityHandler = self.skipped_entity
        p.NotStandaloneHandler = lambda: 1  # an external DTD is named, never read

    # what subclasses handle ------------------------------------------------------------
    def start(self, name: str, attrs: dict[str, str], line: int) -> None: ...

    def end(self, name: str, line: int) -> None: ...

    def text(self, data: str) -> None: ...

    # the guards --------------------------------------------------------------------------
    def refuse(self, message: str) -> XmlRefused:
        return XmlRefused(message, path=self.path or None, line=self.parser.CurrentLineNumber)

    def name(self, raw: str) -> str:
        found = self.names.get(raw)
        if found is None:
            if len(self.names) >= self.max_names:
                raise self.refuse(
                    f"over {self.max_names:,} distinct element and attribute "
                    "names; this is not an XLIFF or TMX file"
                )
            found = self.names[raw] = _name(raw)
        return found

    def _start(self, raw: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.depth > self.max_depth:
            raise self.refuse(f"elements nested over {self.max_depth} deep")
        named = {self.name(k): v for k, v in attrs.items()} if attrs else {}
        self.start(self.name(raw), named, self.parser.CurrentLineNumber)

    def _end(self, raw: str) -> None:
        self.depth -= 1
        self.end(self.name(raw), self.parser.CurrentLineNumber)

    def entity_declared(self, name: str, *_: object) -> None:
        raise self.refuse(
            f"the DOCTYPE declares the entity {name!r}: entities are refused "
            "(they are how XML bombs work, and no XLIFF or TMX tool needs "
            "them); remove the DOCTYPE's internal subset"
        )

    def unparsed_entity(self, name: str, *_: object) -> None:
        self.entity_declared(name)

    def external_entity(self, context: str, *_: object) -> int:
        name = (context or "").rsplit("\x0c", 1)[-1]
        raise self.refuse(
            f"the file uses the external entity &{name}; which transync never "
            "loads; replace it with its text"
        )

    def skipped_entity(self, name: str, is_parameter: bool) -> None:
        raise self.refuse(
            f"the file uses the entity &{name}; which it does not declare; "
            "replace it with the character it stands for"
        )

    def run(self, data: bytes | BinaryIO, *, max_token: int = MAX_TOKEN) -> Iterator[None]:
        """Feed the stream in 64 KiB pieces, yielding after each (the caller drains what
        the handlers collected). Raises :class:`XmlRefused` for malformed or unsafe XML."""
        stream = _stream(data)
        parser = self.parser
        fed = 0
        try:
            while True:
                chunk = stream.read(CHUNK)
                fed += len(chunk)
                parser.Parse(chunk, not chunk)
                yield None
                if not chunk:
                    break
                at = parser.CurrentByteIndex
                if at >= 0 and fed - at > max_token:
                    raise self.refuse(f"a single tag or comment of over {max_token:,} bytes")
        except expat.ExpatError as exc:
            message = expat.ErrorString(exc.code)
            hint = ""
            if "amplification" in message or "recursive" in message:
                hint = ": entity expansion (an XML bomb) is refused"
            raise XmlRefused(
                f"malformed XML: {message} (line {exc.lineno}, column {exc.offset + 1}){hint}",
                path=self.path or None,
                line=exc.lineno,
            ) from None


class _Events(Guarded):
    def __init__(self, path: str, max_depth: int, max_names: int) -> None:
        super().__init__(path, max_depth=max_depth, max_names=max_names)
        self.pending: list[Event] = []

    def start(self, name: str, attrs: dict[str, str], line: int) -> None:
        self.pending.append((START, name, attrs, line))

    def end(self, name: str, line: int) -> None:
        self.pending.append((END, name, None, line))

    def text(self, data: str) -> None:
        self.pending.append((TEXT, "", data, self.parser.CurrentLineNumber))


def _stream(data: bytes | BinaryIO) -> BinaryIO:
    return io.BytesIO(data) if isinstance(data, bytes | bytearray | memoryview) else data


def events(
    data: bytes | BinaryIO,
    *,
    path: str = "",
    max_depth: int = MAX_DEPTH,
    max_names: int = MAX_NAMES,
    max_token: int = MAX_TOKEN,
) -> Iterator[Event]:
    """(kind, name, attributes | text | None, line) for each start tag, end tag and piece of
    text, read in 64 KiB pieces: memory holds one piece's events, whatever the file's size.
    Raises :class:`XmlRefused` (with the line) for malformed or unsafe XML."""
    reader = _Events(path, max_depth, max_names)
    for _ in reader.run(data, max_token=max_token):
        if reader.pending:
            yield from reader.pending
            reader.pending.clear()


def parse_tree(data: bytes | BinaryIO, *, path: str = "", max_depth: int = MAX_DEPTH) -> Element:
    """The document's root element, built from :func:`events`."""
    stack: list[Element] = []
    root: Element | None = None
    for kind, name, value, line in events(data, path=path, max_depth=max_depth):
        if kind == START:
            element = Element(name, value, line)  # type: ignore[arg-type]
            if stack:
                stack[-1].children.append(element)
            else:
                root = element
            stack.append(element)
        elif kind == END:
            stack.pop()
        elif stack:
            children = stack[-1].children
            if children and isinstance(children[-1], str):
                children[-1] += value  # type: ignore[operator]
            else:
                children.append(value)  # type: ignore[arg-type]
    if root is None:
        raise XmlRefused("no XML element in the file", path=path)
    return root


__all__ = ["Element", "Guarded", "XmlRefused", "events", "parse_tree"]
