"""Front matter edited in place: set and remove top-level keys, keep everything else as written.

Pure: text in, text out. YAML goes through ruamel.yaml's round-trip mode and TOML through
tomlkit, so comments, key order, quoting and dates the edit does not touch stay byte for byte;
every result is read back with :func:`sync.frontmatter.parse_document`'s own loaders and must
give the values asked for. Also: the string leaves of a front-matter value (the order of its
translatable segments) and the file line of each top-level key (for error messages).
"""

from __future__ import annotations

import io
import math
import re
import tomllib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
import tomlkit.items
import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError as RuamelMarkedError
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    LiteralScalarString,
    ScalarString,
    SingleQuotedScalarString,
)

from sync.errors import FrontMatterError
from sync.frontmatter import load_yaml, parse_document

__all__ = ["edit_document", "key_lines", "replace_leaves", "string_leaves"]

_DELIMITERS = {"---": "YAML", "+++": "TOML"}
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_STR_TAG = "tag:yaml.org,2002:str"
_MISSING: Any = object()
# characters only a double-quoted YAML string holds (as escapes)
_NEEDS_ESCAPES = re.compile(
    "[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]"
)
# how carefully new strings are quoted, tried in turn until the result reads back: see _text
_CARE = (0, 1, 2)


# --- string leaves -------------------------------------------------------------------------


def string_leaves(value: Any) -> list[str]:
    """Every string inside a JSON-like value, depth first in document order.

    This is the order of a front-matter field's translatable segments.

    >>> string_leaves({"title": "A", "n": 3, "items": ["B", {"x": "C"}]})
    ['A', 'B', 'C']
    >>> string_leaves("solo")
    ['solo']
    """
    found: list[str] = []
    _collect(value, found)
    return found


def _collect(value: Any, found: list[str]) -> None:
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


def replace_leaves(value: Any, texts: Iterator[str] | Sequence[str]) -> Any:
    """The same structure with its string leaves replaced, in :func:`string_leaves` order.

    A sequence must hold exactly as many texts as there are leaves; an iterator is consumed
    only as far as needed (so one iterator can feed several fields) and must not run out.

    >>> replace_leaves({"title": "A", "n": 3, "items": ["B"]}, ["a", "b"])
    {'title': 'a', 'n': 3, 'items': ['b']}
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence or an iterator of strings, not one string")
    if isinstance(texts, Sequence):
        expected = len(string_leaves(value))
        if len(texts) != expected:
            raise ValueError(f"{len(texts)} texts for {expected} string leaves")
        return _replace(value, iter(texts))
    return _replace(value, texts)


def _replace(value: Any, texts: Iterator[str]) -> Any:
    if isinstance(value, str):
        try:
            return next(texts)
        except StopIteration:
            raise ValueError("fewer texts than string leaves") from None
    if isinstance(value, Mapping):
        return {k: _replace(v, texts) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_replace(v, texts) for v in value)
    return value


# --- splitting a document ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Parts:
    """A document cut into raw pieces (line endings kept) around its front matter."""

    bom: str
    opener: str  # the opening delimiter line, "" when there is no front matter
    kind: str | None  # "---", "+++" or None
    block: list[str]  # front-matter lines, each with its own line ending
    closer: str  # the closing delimiter line (may lack a line ending at the end of file)
    body: str
    newline: str


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return line[-1] if line and line[-1] in "\r\n" else ""


def _strip_ending(line: str) -> str:
    return line[: len(line) - len(_ending(line))]


def _split(text: str) -> _Parts | None:
    """Cut like parse_document (CRLF, CR and LF all end a line); None when never closed."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    lines = _LINE.findall(text[len(bom) :])
    first = next((_ending(line) for line in lines if _ending(line)), "\n")
    opener = _strip_ending(lines[0]).rstrip() if lines else ""
    if opener not in _DELIMITERS:
        return _Parts(bom=bom, opener="", kind=None, block=[], closer="",
                      body=text[len(bom) :], newline=first)
    close = next((i for i in range(1, len(lines)) if _strip_ending(lines[i]).rstrip() == opener),
                 None)
    if close is None:
        return None
    return _Parts(bom=bom, opener=lines[0], kind=opener, block=lines[1:close],
                  closer=lines[close], body="".join(lines[close + 1 :]),
                  newline=_ending(lines[0]) or first)


# --- edit_document -------------------------------------------------------------------------


def edit_document(
    text: str,
    *,
    set_values: Mapping[str, Any] = {},  # noqa: B006 - read only
    remove: Collection[str] = (),
    body: str | None = None,
    origin: str = "<document>",
) -> str:
    """The document with top-level front-matter keys set or removed and maybe a new body.

    Everything not named stays as written (comments, order, quoting, dates; the body byte
    for byte); an existing key keeps its place and, where the new value has the same shape,
    the formatting of its nested values. New keys go at the end; a document without front
    matter gets YAML front matter. CRLF documents stay CRLF. Unreadable front matter raises
    FrontMatterError naming ``origin`` and the line, as parse_document does.
    """
    both = set(set_values).intersection(remove)
    if both:
        raise ValueError(f"keys both set and removed: {sorted(both)}")
    original, _, _ = parse_document(text.encode("utf-8", "surrogatepass"), origin=origin)
    parts = _split(text)
    assert parts is not None  # parse_document raised for front matter that is never closed
    nl = parts.newline
    if body is None:
        new_body = parts.body
    else:
        new_body = body.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
        new_body = (new_body + "\n").replace("\n", nl) if new_body else ""
    removing = [k for k in remove if k in original]
    changing = {k: v for k, v in set_values.items()
                if k not in original or not _same(original[k], v)}
    if parts.kind is None:
        if not set_values:
            return parts.bom + new_body
        block = "".join(line + nl for line in _yaml_new_block(set_values, origin))
        front = f"---{nl}{block}---{nl}"
        return parts.bom + front + new_body
    if not changing and not removing:
        lines = parts.block
    elif parts.kind == "+++":
        lines = _edit_toml(parts.block, original, changing, removing, origin=origin)
    else:
        lines = _edit_yaml(parts.block, original, changing, removing, origin=origin)
    closer = parts.closer
    if body is not None and not _ending(closer):  # a new body starts on its own line
        closer += nl
    out_block = "".join(line if _ending(line) else line + nl for line in lines)
    return parts.bom + parts.opener + out_block + closer + new_body


def _set(container: Any, key: Any, value: Any) -> None:
    """``container[key] = value`` unless it already holds that very object (left untouched)."""
    try:
        if container[key] is value:
            return
    except (KeyError, IndexError):
        pass
    container[key] = value


def _expected(original: Mapping[str, Any], set_values: Mapping[str, Any],
              removing: Collection[str]) -> dict[Any, Any]:
    result = {k: v for k, v in original.items() if k not in removing}
    result.update(set_values)
    return result


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind all the way down (True is not 1, 1 is not 1.0, NaN is NaN)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) and isinstance(b, str):
        return str(a) == str(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, int) and isinstance(b, int):
        return int(a) == int(b)
    if isinstance(a, str | int | float | Mapping | list | tuple) or isinstance(
        b, str | int | float | Mapping | list | tuple
    ):
        return False
    return type(a) is type(b) and a == b


class _NotKept(Exception):
    """An edited front matter did not read back as asked; the next way of writing it is tried."""


# --- YAML ----------------------------------------------------------------------------------


_PYYAML_RESOLVER = yaml.resolver.Resolver()


class _Representer(RoundTripRepresenter):
    """Round-trip representer whose new strings read back as strings under YAML 1.1 too.

    ruamel.yaml writes YAML 1.2, where ``yes``, ``on``, ``0777`` or ``1:30`` are plain
    strings; PyYAML (parse_document) and Hugo read them as booleans or numbers, so such
    strings are quoted, and new floats are written with a dot. Multi-line strings ask for a
    literal block (the emitter falls back to quotes where a block cannot hold the text).
    """

    def represent_text(self, data: str) -> Any:
        style = None
        if isinstance(data, _QuotedText):
            style = '"'
        elif "\n" in data:
            style = "|"
        elif _PYYAML_RESOLVER.resolve(yaml.ScalarNode, data, (True, False)) != _STR_TAG:
            style = "'"
        return self.represent_scalar(_STR_TAG, data, style=style)

    def represent_plain_float(self, data: float) -> Any:
        if math.isnan(data):
            value = ".nan"
        elif math.isinf(data):
            value = ".inf" if data > 0 else "-.inf"
        else:  # PyYAML's form: YAML 1.1 floats need a dot (1.0e-05, not 1e-05)
            value = repr(data).lower()
            if "." not in value and "e" in value:
                value = value.replace("e", ".0e", 1)
        return self.represent_scalar("tag:yaml.org,2002:float", value)


class _NewText(ScalarString):
    """A string the edit writes: a ScalarString, so that ruamel's containers do not turn it
    into the type (quotes, block style) of the string it replaces; _Representer styles it."""

    __slots__ = ()


class _QuotedText(_NewText):
    """A new string always written double-quoted: the style that holds any text."""

    __slots__ = ()


_Representer.add_representer(str, _Representer.represent_text)
_Representer.add_representer(float, _Representer.represent_plain_float)
_Representer.add_representer(_NewText, _Representer.represent_text)
_Representer.add_representer(_QuotedText, _Representer.represent_text)


def _yaml(indent: tuple[int, int, int] | None = None) -> YAML:
    """A round-trip YAML instance that never folds lines and keeps Unicode unescaped."""
    y = YAML(typ="rt", pure=True)
    y.Representer = _Representer
    y.preserve_quotes = True
    y.allow_duplicate_keys = True
    y.allow_unicode = True
    y.width = 1_000_000_000
    if indent is not None:
        mapping, sequence, offset = indent
        y.indent(mapping=mapping, sequence=sequence, offset=offset)
    return y


def _dump(data: Any, indent: tuple[int, int, int] | None) -> str:
    stream = io.StringIO()
    _yaml(indent).dump(data, stream)
    text = stream.getvalue()
    # ruamel ends the document after a keep-chomped block scalar (|+); front matter has no use
    # for the "..." marker (and the closing line follows)
    return text[:-4] if text.endswith("\n...\n") else text


def _text(value: str, care: int) -> str:
    """A new string as _QuotedText if ``care`` says it must be double-quoted, else _NewText.

    Care 0 quotes only text with characters no other style holds (controls, CR, NEL, BOM);
    1 also text ending in a line break (a block scalar that ends the front matter loses it,
    as parse_document reads the block without its last line break); 2 quotes everything.
    """
    if care >= 2 or _NEEDS_ESCAPES.search(value) or (care == 1 and value.endswith("\n")):
        return _QuotedText(value)
    return _NewText(value)


def _to_yaml(value: Any, care: int = 0) -> Any:
    """A JSON-like value as ruamel's round-trip types (block style), strings as :func:`_text`."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[_text(k, care) if isinstance(k, str) else k] = _to_yaml(v, care)
        return node
    if isinstance(value, list | tuple):
        return CommentedSeq(_to_yaml(v, care) for v in value)
    if isinstance(value, str):
        return _text(value, care)
    return value


def _yaml_new_block(values: Mapping[str, Any], origin: str) -> list[str]:
    """Front-matter lines for a document that had none."""
    last = list(values)[-1]
    for care in _CARE:
        node = CommentedMap()
        for k, v in values.items():
            node[_text(k, _key_care(care, k, last))] = _to_yaml(v, _key_care(care, k, last))
        try:
            return _kept_yaml(_dump(node, None).split("\n")[:-1], values, origin)
        except (_NotKept, RuamelError) as exc:
            problem = str(exc)
    raise ValueError(f"{origin}: front matter would not read back as set: {problem}")


def _key_care(care: int, key: Any, last: Any) -> int:
    """The care for a top-level key's value: care 1 matters only for the last key."""
    return 0 if care == 1 and key != last else care


def _restyle(old: str, new: str, care: int) -> str:
    """``new`` written the way ``old`` was (quotes, block style) where that can hold it."""
    fresh = _text(new, care)
    if isinstance(fresh, _QuotedText):
        return fresh
    if isinstance(old, LiteralScalarString):
        return LiteralScalarString(new)
    if "\n" in new:
        return _NewText(new)  # the representer asks for a literal block
    if isinstance(old, FoldedScalarString) and "\a" not in new:  # (ruamel's fold mark)
        return FoldedScalarString(new)
    if isinstance(old, SingleQuotedScalarString):
        return SingleQuotedScalarString(new)
    if isinstance(old, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(new)
    return _NewText(new)


def _merge_yaml(old: Any, old_value: Any, new: Any, care: int) -> Any:
    """``new`` grafted onto the loaded node ``old``, keeping nodes (and their comments and
    styles) that already read as the new value; ``old_value`` is what parse_document read."""
    if old_value is not _MISSING and _same(old_value, new):
        return old
    if isinstance(new, str) and isinstance(old, str):
        return _restyle(old, new, care)
    if isinstance(new, Mapping) and isinstance(old, CommentedMap):
        before = old_value if isinstance(old_value, Mapping) else {}
        for k in [k for k in old if k not in new]:
            del old[k]
        for k, v in new.items():
            if k in old:
                _set(old, k, _merge_yaml(old[k], before.get(k, _MISSING), v, care))
            else:
                old[_text(k, care) if isinstance(k, str) else k] = _to_yaml(v, care)
        return old
    if isinstance(new, list | tuple) and isinstance(old, CommentedSeq):
        before = old_value if isinstance(old_value, list) and len(old_value) == len(old) else None
        while len(old) > len(new):
            del old[len(old) - 1]  # (pop() would leave the item's comments behind)
        for i, v in enumerate(new):
            if i < len(old):
                was = before[i] if before is not None else _MISSING
                _set(old, i, _merge_yaml(old[i], was, v, care))
            else:
                old.append(_to_yaml(v, care))
        return old
    return _to_yaml(new, care)


@dataclass(frozen=True)
class _Span:
    """A top-level key's lines: ``start:end`` is the key and its value, ``end:gap`` the blank
    and comment lines after it, before the next key."""

    start: int
    end: int
    gap: int


def _key_spans(lines: list[str], data: Any) -> list[_Span] | None:
    """Line spans of the top-level keys of block mapping ``data`` loaded from ``lines``;
    None when keys share a line, start at different columns or the mapping is in flow style."""
    if not isinstance(data, CommentedMap) or data.fa.flow_style():
        return None
    try:
        marks = [data.lc.key(k) for k in data]
    except (AttributeError, KeyError, TypeError):
        return None
    if not marks:
        return []
    column = marks[0][1]
    starts = [line for line, _ in marks]  # (ruamel counts LF lines; NEL, LS, PS do not count)
    if any(line >= len(lines) for line in starts):
        return None
    if any(col != column for _, col in marks) or any(
        b <= a for a, b in zip(starts, starts[1:], strict=False)
    ):
        return None
    if any(lines[s][:column].strip() for s in starts):
        return None
    spans = []
    for i, start in enumerate(starts):
        gap = starts[i + 1] if i + 1 < len(starts) else len(lines)
        end = gap
        while end > start + 1 and _is_gap_line(lines[end - 1], column):
            end -= 1
        spans.append(_Span(start, end, gap))
    return spans


def _is_gap_line(line: str, column: int) -> bool:
    """Blank, or a comment no deeper than the keys (so not inside a block scalar)."""
    stripped = line.strip()
    return not stripped or (stripped.startswith("#") and len(line) - len(line.lstrip()) <= column)


def _guess_indent(lines: list[str]) -> tuple[int, int, int] | None:
    """ruamel's (mapping, sequence, offset) indents as written in ``lines``, if they show."""
    mapping = sequence = offset = None
    parent: int | None = None  # the indent of the last "key:" line with nothing after it
    for line in lines:
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        lead = len(line) - len(line.lstrip(" "))
        if parent is not None and lead > parent:
            if content == "-" or content.startswith("- "):
                if offset is None:
                    after = content[1:]
                    offset = lead - parent
                    sequence = offset + 1 + len(after) - len(after.lstrip(" "))
            elif mapping is None:
                mapping = lead - parent
        bare = content.split(" #", 1)[0].rstrip()
        parent = lead + (2 if content.startswith("- ") else 0) if bare.endswith(":") else None
        if mapping is not None and offset is not None:
            break
    if mapping is None and offset is None:
        return None
    if offset is not None and sequence is not None:
        sequence = max(sequence, offset + 2)
    return mapping or 2, sequence or 2, offset or 0


def _edit_yaml(raw: list[str], original: Mapping[str, Any], set_values: Mapping[str, Any],
               removing: Collection[str], *, origin: str) -> list[str]:
    """The front-matter lines edited: new strings in the styles a person would give them,
    and where that does not read back as asked, more and more of them double-quoted."""
    raw = _drop_shadowed(raw)
    lines = [_strip_ending(line) for line in raw]
    text = "".join(line + "\n" for line in lines)
    expected = _expected(original, set_values, removing)
    problem = ""
    for care in _CARE:
        try:
            data = _yaml().load(text)
        except (RuamelError, ValueError, TypeError) as exc:
            mark = exc.problem_mark if isinstance(exc, RuamelMarkedError) else None
            raise FrontMatterError(
                f"front matter cannot be edited as YAML: {exc}; "
                "fix the YAML between the --- lines",
                path=origin, line=2 + (mark.line if mark is not None else 0),
            ) from exc
        if data is None:
            data = CommentedMap()
        spans = _key_spans(lines, data)
        keys = list(data)
        indent = None
        if spans is not None:
            chosen = [line for k, s in zip(keys, spans, strict=True) if k in set_values
                      for line in lines[s.start : s.end]]
            indent = _guess_indent(chosen) or _guess_indent(lines)
        order = [k for k in data if k not in removing] + [k for k in set_values if k not in data]
        last = order[-1] if order else None
        for k, v in set_values.items():
            key_care = _key_care(care, k, last)
            if k in data:
                _set(data, k, _merge_yaml(data[k], original.get(k, _MISSING), v, key_care))
            else:
                data[_text(k, key_care)] = _to_yaml(v, key_care)
        for k in removing:
            if k in data:
                del data[k]
        try:
            dumped = _dump(data, indent)
        except RuamelError as exc:
            problem = str(exc)
            continue
        if spans is not None and len(spans) == len(keys):
            try:
                result = _splice(lines, raw, keys, spans, dumped, set(set_values), set(removing))
                return _kept_yaml(result, expected, origin)
            except _NotKept as exc:
                problem = str(exc)
        try:
            return _kept_yaml(dumped.split("\n")[:-1], expected, origin)
        except _NotKept as exc:
            problem = str(exc)
    raise ValueError(f"{origin}: front matter would not read back as set: {problem}")


def _drop_shadowed(raw: list[str]) -> list[str]:
    """``raw`` without the earlier lines of a top-level key written twice.

    PyYAML (parse_document) takes the last value of a repeated key, ruamel.yaml keeps the
    first; dropping the ones nobody reads makes both agree and changes no value.
    """
    text = "".join(_strip_ending(line) + "\n" for line in raw)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return raw
    if not isinstance(node, yaml.MappingNode):
        return raw
    keys = [(k.tag, k.value) if isinstance(k, yaml.ScalarNode) else id(k) for k, _ in node.value]
    if len(set(keys)) == len(keys):
        return raw
    starts = [text.count("\n", 0, k.start_mark.index) for k, _ in node.value]
    dropped: set[int] = set()
    for i, key in enumerate(keys):
        if key in keys[i + 1 :]:
            end = starts[i + 1]
            while end > starts[i] + 1 and _is_gap_line(raw[end - 1], 0):
                end -= 1
            dropped.update(range(starts[i], end))
    return [line for i, line in enumerate(raw) if i not in dropped]


def _splice(lines: list[str], raw: list[str], keys: list[Any], spans: list[_Span],
            dumped: str, setting: set[str], removing: set[str]) -> list[str]:
    """The original lines with the set keys' lines taken from ``dumped`` (ruamel's output)."""
    out_lines = dumped.split("\n")[:-1]
    try:
        out_data = _yaml().load(dumped)
    except RuamelError as exc:  # e.g. a control character written raw into a block scalar
        raise _NotKept(f"ruamel.yaml cannot read its own output: {exc}") from None
    out_spans = _key_spans(out_lines, out_data)
    if out_spans is None or len(out_spans) != len(out_data):
        raise _NotKept("ruamel.yaml's output has no clean key lines")
    fresh = iter(zip(list(out_data), out_spans, strict=True))
    result = list(raw[: spans[0].start]) if spans else list(raw)
    for key, span in zip(keys, spans, strict=True):
        if key in removing:
            gap = raw[span.end : span.gap]
            while gap and not gap[0].strip() and (not result or not result[-1].strip()):
                gap = gap[1:]  # no double blank line where a key went
            result.extend(gap)
            continue
        out_key, out_span = next(fresh)
        if out_key != key:
            raise _NotKept(f"key order changed at {key!r}")
        if key in setting:
            result.extend(out_lines[out_span.start : out_span.end])
        else:
            result.extend(raw[span.start : span.end])
        result.extend(raw[span.end : span.gap])
    for _, out_span in fresh:
        result.extend(out_lines[out_span.start : out_span.end])
    return result


def _kept_yaml(result: list[str], expected: Mapping[Any, Any], origin: str) -> list[str]:
    """``result`` if it reads back as ``expected`` the way parse_document reads it (which
    joins the lines without a final line break: a clipped block scalar last loses its LF)."""
    text = "\n".join(_strip_ending(line) for line in result)
    try:
        found = load_yaml(text, origin=origin, first_line=2)
    except FrontMatterError as exc:
        raise _NotKept(str(exc)) from None
    if not _same(found or {}, expected):
        raise _NotKept("values differ")
    return result


# --- TOML ----------------------------------------------------------------------------------


def _toml_value(value: Any) -> Any:
    if value is None:
        raise ValueError("TOML has no null value; remove the key instead of setting it to None")
    if isinstance(value, Mapping):
        return {k: _toml_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_toml_value(v) for v in value]
    return value


def _toml_string(old: tomlkit.items.String, new: str) -> tomlkit.items.String:
    """``new`` as a TOML string of ``old``'s kind (basic or literal, one or many lines, a line
    break after the opening quotes) where that kind holds it, else a basic one-line string."""
    kinds = tomlkit.items.StringType
    literal = old.type in (kinds.SLL, kinds.MLL)
    multiline = old.type in (kinds.MLB, kinds.MLL)
    opens_line = multiline and old.as_string()[3:4] == "\n"
    for lit, multi in ((literal, multiline), (False, multiline), (False, False)):
        try:
            item = tomlkit.string(new, literal=lit, multiline=multi)
        except (ValueError, tomlkit.exceptions.TOMLKitError):
            continue
        raw = item.as_string()
        if multi and opens_line:  # (TOML drops a line break right after the opening quotes)
            raw = raw[:3] + "\n" + raw[3:]
        try:
            if tomllib.loads("x = " + raw)["x"] != new:
                continue
        except tomllib.TOMLDecodeError:
            continue
        trivia = tomlkit.items.Trivia(indent=old.trivia.indent, comment_ws=old.trivia.comment_ws,
                                      comment=old.trivia.comment, trail=old.trivia.trail)
        return tomlkit.items.String(item.type, new, raw[3:-3] if multi else raw[1:-1], trivia)
    return tomlkit.string(new)


def _merge_toml(old: Any, old_value: Any, new: Any) -> Any:
    """``new`` grafted onto tomlkit item ``old`` (tables, arrays and strings kept in place)."""
    if old_value is not _MISSING and _same(old_value, new):
        return old
    if isinstance(new, str) and isinstance(old, tomlkit.items.String):
        return _toml_string(old, new)
    tables = tomlkit.items.Table | tomlkit.items.InlineTable
    if isinstance(new, Mapping) and isinstance(old, tables):
        before = old_value if isinstance(old_value, Mapping) else {}
        for k in [k for k in old if k not in new]:
            del old[k]
        for k, v in new.items():
            _set(old, k, _merge_toml(old[k], before.get(k, _MISSING), v) if k in old else v)
        return old
    if (isinstance(new, list | tuple) and isinstance(old, tomlkit.items.AoT)
            and len(new) == len(old) and all(isinstance(v, Mapping) for v in new)):
        before = old_value if isinstance(old_value, list) else [_MISSING] * len(new)
        for table, was, v in zip(old.body, before, new, strict=True):
            _merge_toml(table, was, v)
        return old
    if (isinstance(new, list | tuple) and isinstance(old, tomlkit.items.Array)
            and len(new) == len(old)):
        before = old_value if isinstance(old_value, list) else [_MISSING] * len(new)
        for i, (was, v) in enumerate(zip(before, new, strict=True)):
            _set(old, i, _merge_toml(old[i], was, v))
        return old
    return new


def _edit_toml(raw: list[str], original: Mapping[str, Any], set_values: Mapping[str, Any],
               removing: Collection[str], *, origin: str) -> list[str]:
    """The front-matter lines edited with tomlkit: values grafted in place; where that does
    not read back as asked (tomlkit and implicit super-tables), replaced whole, then re-added."""
    text = "".join(_strip_ending(line) + "\n" for line in raw)
    values = {k: _toml_value(v) for k, v in set_values.items()}
    expected = _expected(original, set_values, removing)
    problem = ""
    for way in ("graft", "replace", "re-add"):
        try:
            doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise FrontMatterError(
                f"front matter cannot be edited as TOML: {exc}; "
                "fix the TOML between the +++ lines",
                path=origin, line=1 + exc.line,
            ) from exc
        try:
            for k in removing:
                if k in doc:
                    del doc[k]
            for k, value in values.items():
                if k not in doc:
                    doc[k] = value
                elif way == "graft":
                    _set(doc, k, _merge_toml(doc[k], original.get(k, _MISSING), value))
                elif way == "replace":
                    doc[k] = value
                else:
                    del doc[k]
                    doc[k] = value
            result = tomlkit.dumps(doc)
            if _same(tomllib.loads(result), expected):
                return result.split("\n")[:-1]
            problem = "values differ"
        except (tomlkit.exceptions.TOMLKitError, tomllib.TOMLDecodeError, KeyError) as exc:
            problem = f"{type(exc).__name__}: {exc}"
    raise ValueError(f"{origin}: TOML front matter would not read back as set: {problem}")


# --- key_lines -----------------------------------------------------------------------------


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
