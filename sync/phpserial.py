"""A small, safe reader of PHP's ``serialize()`` format, for what WordPress stores.

Accepted: arrays ``a:N:{...}`` (returned as dicts with int or str keys), strings
``s:N:"...";`` (N counts UTF-8 bytes), ``i:N;``, ``d:1.5;``, ``b:0;``/``b:1;`` and
``N;``. Objects (``O:``/``C:``), enums (``E:``) and references (``r:``/``R:``)
are refused: nothing is ever instantiated or evaluated.

>>> loads('a:3:{s:2:"en";i:12;s:2:"tr";i:14;s:2:"ru";i:15;}')
{'en': 12, 'tr': 14, 'ru': 15}
>>> loads('s:5:"Türk";')
'Türk'
"""

from __future__ import annotations

import re
from typing import NoReturn

from sync.errors import InputError

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "loads"]

MAX_DEPTH = 32
MAX_LENGTH = 10 * 1024 * 1024

_INT = re.compile(rb"[+-]?[0-9]{1,20}")
_FLOAT = re.compile(rb"[+-]?(?:INF|NAN|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_COUNT = re.compile(rb"[0-9]{1,10}")
_REFUSED = {
    ord("O"): "an object",
    ord("C"): "an object",
    ord("E"): "an enum",
    ord("r"): "a reference",
    ord("R"): "a reference",
}


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_length: int = MAX_LENGTH) -> object:
    """Parse one PHP-serialized value; raise InputError (with the byte offset) if it is not one."""
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(data) > max_length:
        raise InputError(
            f"PHP serialized data is {len(data)} bytes, over the limit of {max_length}",
            offset=0,
            expected=f"at most {max_length} bytes",
            found=f"{len(data)} bytes",
        )
    parser = _Parser(data, max_depth)
    value = parser.value(depth=0)
    if parser.pos != len(data):
        parser.fail("the end of the data")
    return value


class _Parser:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth

    def fail(self, expected: str, *, at: int | None = None, why: str = "") -> NoReturn:
        offset = self.pos if at is None else at
        found = self.data[offset : offset + 12]
        shown = repr(found.decode("utf-8", "replace")) if found else "the end of the data"
        message = why or f"expected {expected}, found {shown}"
        raise InputError(
            f"PHP serialized data, byte {offset}: {message}",
            offset=offset,
            expected=expected,
            found=shown,
        )

    def literal(self, token: bytes, expected: str) -> None:
        if not self.data.startswith(token, self.pos):
            self.fail(expected)
        self.pos += len(token)

    def match(self, pattern: re.Pattern[bytes], expected: str) -> bytes:
        found = pattern.match(self.data, self.pos)
        if found is None:
            self.fail(expected)
        self.pos = found.end()
        return found.group()

    def value(self, depth: int) -> object:
        start = self.pos
        if start >= len(self.data):
            self.fail("a value")
        tag = self.data[start]
        if tag in _REFUSED:
            self.fail(
                "a string, number, boolean, null or array",
                why=f"{_REFUSED[tag]} ({chr(tag)}:) is not accepted; only plain data is read",
            )
        if tag == ord("N"):
            self.literal(b"N;", "'N;'")
            return None
        if tag == ord("b"):
            self.literal(b"b:", "'b:'")
            if self.data[self.pos : self.pos + 1] not in (b"0", b"1"):
                self.fail("0 or 1 after 'b:'")
            flag = self.data[self.pos] == ord("1")
            self.pos += 1
            self.literal(b";", "';' after a boolean")
            return flag
        if tag == ord("i"):
            self.literal(b"i:", "'i:'")
            number = int(self.match(_INT, "an integer after 'i:'"))
            self.literal(b";", "';' after an integer")
            return number
        if tag == ord("d"):
            self.literal(b"d:", "'d:'")
            number = float(self.match(_FLOAT, "a number after 'd:'").decode("ascii"))
            self.literal(b";", "';' after a float")
            return number
        if tag == ord("s"):
            return self.string()
        if tag == ord("a"):
            return self.array(depth)
        self.fail("one of a: s: i: d: b: N;")

    def string(self) -> str:
        begin = self.pos
        self.literal(b"s:", "'s:'")
        size = int(self.match(_COUNT, "a byte length after 's:'"))
        self.literal(b':"', "':\"' after the string length")
        start = self.pos
        end = start + size
        if self.data[end : end + 2] != b'";':
            self.fail(
                f"'\";' after {size} bytes of string",
                at=min(end, len(self.data)),
                why=f"the string at byte {begin} is declared as {size} bytes but does not end"
                " with '\";' there (the length counts UTF-8 bytes)",
            )
        try:
            text = self.data[start:end].decode("utf-8")
        except UnicodeDecodeError as err:
            self.fail("UTF-8 text", at=start + err.start, why="the string is not valid UTF-8")
        self.pos = end + 2
        return text

    def array(self, depth: int) -> dict[int | str, object]:
        if depth >= self.max_depth:
            self.fail(
                "a shallower array",
                why=f"arrays are nested deeper than {self.max_depth} levels",
            )
        self.literal(b"a:", "'a:'")
        count = int(self.match(_COUNT, "an element count after 'a:'"))
        self.literal(b":{", "':{' after the element count")
        result: dict[int | str, object] = {}
        for _ in range(count):
            key_at = self.pos
            if self.data.startswith(b"i:", key_at):
                key: int | str = self.value(depth + 1)  # type: ignore[assignment]
            elif self.data.startswith(b"s:", key_at):
                key = self.string()
            else:
                self.fail("an array key (i: or s:)")
            result[key] = self.value(depth + 1)
        self.literal(b"}", f"'}}' after {count} array elements")
        return result
