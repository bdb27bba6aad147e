"""What the WXR reader keeps of an element while it streams: a field's text (bounded, and
only counted past its limit), the record of an ``<item>`` or ``<wp:term>`` being read,
and the fields of an item read whole. Also the signal that ends the file (_Fatal).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sync.sources.wxr.schema import _POST_TEXT


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
    #: what the item shows of WPML: "active" (its translation_priority taxonomy), "meta"
    #: (only its post meta, which outlives the plugin) or None
    wpml: str | None = None

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
