"""Gutenberg block comments' JSON attributes: finding the strings under the attributes
that hold text a reader sees (with where each is), and writing a string back the way
WordPress does. A small JSON scanner rather than ``json.loads``: the spans matter.

Pure: no database, no I/O.
"""

from __future__ import annotations

import json
import re

#: Block attributes that hold text a reader sees, and whether each is rich text (HTML).
BLOCK_TEXT_ATTRIBUTES = {
    "label": True,
    "text": True,
    "content": True,
    "caption": True,
    "alt": False,
    "title": False,
}
_BLOCK_OPENER = re.compile(r"\s*wp:[a-z][a-z0-9_-]*(?:/[a-z][a-z0-9_-]*)?\s+(?=\{)")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_ESCAPES = {'"': "\\u0022", "\\": "\\\\", "<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def _json_value(text: str, i: int, key: str | None, found: list[tuple[str, str, int, int]]) -> int:
    """Parse the JSON value at text[i]; note every string under a text attribute's key
    (with its span); return where the value ends. ValueError if it is not JSON."""
    c = text[i]
    if c == "{":
        i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "}":
            return i + 1
        while True:
            if text[i] != '"':
                raise ValueError("a key")
            name, i = json.decoder.scanstring(text, i + 1)
            i = _JSON_WS.match(text, i).end()  # type: ignore[union-attr]
            if text[i] != ":":
                raise ValueError("a colon")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
            i = _JSON_WS.match(text, _json_value(text, i, name, found)).end()  # type: ignore[union-attr]
            if text[i] == "}":
                return i + 1
            if text[i] != ",":
                raise ValueError("a comma")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if c == "[":
        i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
        if text[i] == "]":
            return i + 1
        while True:
            i = _JSON_WS.match(text, _json_value(text, i, key, found)).end()  # type: ignore[union-attr]
            if text[i] == "]":
                return i + 1
            if text[i] != ",":
                raise ValueError("a comma")
            i = _JSON_WS.match(text, i + 1).end()  # type: ignore[union-attr]
    if c == '"':
        value, end = json.decoder.scanstring(text, i + 1)
        if key in BLOCK_TEXT_ATTRIBUTES:
            found.append((key, value, i, end))
        return end
    for literal in ("true", "false", "null"):
        if text.startswith(literal, i):
            return i + len(literal)
    number = _JSON_NUMBER.match(text, i)
    if number is None or number.end() == i:
        raise ValueError("a value")
    return number.end()


def _block_json_string(value: str) -> str:
    """A JSON string as WordPress writes block attributes (serialize_block_attributes):
    ``"``, ``<``, ``>``, ``&`` and ``--`` as ``\\u`` escapes, so the comment stays a comment
    and kses leaves it alone; other characters as they are.

    >>> _block_json_string('Tom & "Jerry" -- <b>')
    '"Tom \\\\u0026 \\\\u0022Jerry\\\\u0022 \\\\u002d\\\\u002d \\\\u003cb\\\\u003e"'
    """
    out = []
    for c in value:
        if c in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[c])
        elif c < " " or c in "\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out).replace("--", "\\u002d\\u002d") + '"'
