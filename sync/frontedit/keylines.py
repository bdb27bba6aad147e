"""Key lines: the file line of each top-level front-matter key, for errors at the right line;
tolerant of front matter that does not parse.
"""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from sync.frontedit.parts import _DELIMITERS, _LINE, _strip_ending
from sync.frontmatter import is_json_front_matter

__all__ = ["key_lines"]

_YAML_KEY = re.compile(
    r"""^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|(?!-\s|-$)([^\s#'"\[\]{},&*!|>%@`?][^#]*?))"""
    r"""\s*:(?:\s|$)"""
)
_TOML_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_TOML_KEY = re.compile(rf"^\s*({_TOML_KEY_PART})(?:\s*\.\s*{_TOML_KEY_PART})*\s*=")


def key_lines(text: str) -> dict[str, int]:
    """The 1-based file line of each top-level front-matter key, for errors at the right line.

    Tolerant: front matter that does not parse gives what a line scan finds.

    >>> key_lines("---\\ntitle: A\\ntags:\\n  - x\\npriority: high\\n---\\nBody\\n")
    {'title': 2, 'tags': 3, 'priority': 5}
    """
    bom = 1 if text.startswith("\ufeff") else 0
    if is_json_front_matter(text[bom:]):
        return _json_key_lines(text[bom:])
    lines = [_strip_ending(line) for line in _LINE.findall(text[bom:])]
    if not lines or lines[0].rstrip() not in _DELIMITERS:
        return {}
    opener = lines[0].rstrip()
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == opener), len(lines))
    block = lines[1:close]
    if opener == "+++":
        return _toml_key_lines(block)
    try:
        return _yaml_key_lines(block)
    except (yaml.YAMLError, ValueError, RecursionError):
        return _yaml_scan_key_lines(block)


def _yaml_key_lines(block: list[str]) -> dict[str, int]:
    text = "".join(line + "\n" for line in block)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise ValueError("front matter is not a mapping")
    found: dict[str, int] = {}
    for key, _ in node.value:
        if isinstance(key, yaml.ScalarNode):
            found.pop(key.value, None)  # the last one wins, as in the loaded values
            found[key.value] = 2 + text.count("\n", 0, key.start_mark.index)
    return found


def _yaml_scan_key_lines(block: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, line in enumerate(block):
        m = _YAML_KEY.match(line)
        if m:
            dq, sq, plain = m.groups()
            if dq is not None:
                key = _unquote_double(dq)
            elif sq is not None:
                key = sq.replace("''", "'")
            else:
                key = plain
            found.pop(key, None)
            found[key] = i + 2
    return found


_JSON_TOKEN = re.compile(r'"(?:[^"\\\r\n]|\\.)*"|[{}\[\]]|\r\n|\r|\n')
_JSON_COLON = re.compile(r"\s*:")


def _json_key_lines(text: str) -> dict[str, int]:
    """The keys of the object opening the file, by a scan of its strings and brackets: a
    string right inside the object and followed by ``:`` is a key."""
    found: dict[str, int] = {}
    line, depth = 1, 0
    for token in _JSON_TOKEN.finditer(text):
        kind = token.group()
        if kind[0] in "\r\n":
            line += 1
        elif kind[0] == '"':
            if depth == 1 and _JSON_COLON.match(text, token.end()):
                try:
                    key = json.loads(kind)
                except ValueError:
                    key = kind[1:-1]
                found.pop(key, None)  # the last one wins, as in the loaded values
                found[key] = line
        else:
            depth += 1 if kind in "{[" else -1
            if depth == 0:
                break
    return found


def _unquote_double(inner: str) -> str:
    try:
        value = yaml.safe_load(f'"{inner}"')
    except yaml.YAMLError:
        return inner
    return value if isinstance(value, str) else inner


def _toml_key_lines(block: list[str]) -> dict[str, int]:
    """Top-level keys by a line scan that skips strings, arrays and inline tables and stops
    at the first table header (every key after it belongs to a table)."""
    found: dict[str, int] = {}
    state = _TomlScan()
    for i, line in enumerate(block):
        start = 0
        if state.at_statement():
            stripped = line.lstrip()
            if stripped.startswith("["):
                break
            m = _TOML_KEY.match(line)
            if m:
                found.setdefault(_toml_key(m.group(1)), i + 2)
                start = m.end()
        state.feed(line, start)
    return found


def _toml_key(part: str) -> str:
    if part[0] == "'":
        return part[1:-1]
    if part[0] == '"':
        try:
            return str(tomllib.loads(f"{part} = 0").popitem()[0])
        except tomllib.TOMLDecodeError:
            return part[1:-1]
    return part


class _TomlScan:
    """Where a TOML line scan is: inside a multi-line string, or how deep in brackets."""

    def __init__(self) -> None:
        self.multiline: str | None = None
        self.depth = 0

    def at_statement(self) -> bool:
        return self.multiline is None and self.depth == 0

    def feed(self, line: str, i: int) -> None:
        n = len(line)
        while i < n:
            if self.multiline is not None:
                end = self._close(line, i, self.multiline)
                if end < 0:
                    return
                self.multiline, i = None, end
                continue
            ch = line[i]
            if ch == "#":
                return
            if line.startswith('"""', i) or line.startswith("'''", i):
                self.multiline, i = line[i : i + 3], i + 3
            elif ch in "\"'":
                end = self._close(line, i + 1, ch)
                i = n if end < 0 else end
            elif ch in "[{":
                self.depth, i = self.depth + 1, i + 1
            elif ch in "]}":
                self.depth, i = max(0, self.depth - 1), i + 1
            else:
                i += 1

    @staticmethod
    def _close(line: str, i: int, quote: str) -> int:
        """The index just past the closing ``quote`` from ``i``, or -1 if not on this line."""
        escapes = quote[0] == '"'
        while i < len(line):
            if escapes and line[i] == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                end = i + len(quote)
                while len(quote) == 3 and line.startswith(quote[0], end) and end - i < 5:
                    end += 1  # up to two quotes may end a multi-line string's content
                return end
            i += 1
        return -1
