"""YAML front matter edited in place with ruamel.yaml's round-trip mode: set keys' lines
spliced into the original, new strings in the styles a person would give them, and every
result read back with parse_document's own loader.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

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
from sync.frontedit.parts import _strip_ending
from sync.frontedit.values import _MISSING, _expected, _NotKept, _same, _set
from sync.frontmatter import load_yaml
from sync.i18n import t_

_STR_TAG = "tag:yaml.org,2002:str"


# characters only a double-quoted YAML string holds (as escapes)
_NEEDS_ESCAPES = re.compile(
    "[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]"
)
# how carefully new strings are quoted, tried in turn until the result reads back: see _text
_CARE = (0, 1, 2)


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


def _edit_yaml(
    raw: list[str],
    original: Mapping[str, Any],
    set_values: Mapping[str, Any],
    removing: Collection[str],
    *,
    origin: str,
) -> list[str]:
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
                t_(
                    "front matter cannot be edited as YAML: %(problem)s; fix the YAML between "
                    "the --- lines",
                    problem=str(exc),
                ),
                path=origin,
                line=2 + (mark.line if mark is not None else 0),
            ) from exc
        if data is None:
            data = CommentedMap()
        spans = _key_spans(lines, data)
        keys = list(data)
        indent = None
        if spans is not None:
            chosen = [
                line
                for k, s in zip(keys, spans, strict=True)
                if k in set_values
                for line in lines[s.start : s.end]
            ]
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


def _splice(
    lines: list[str],
    raw: list[str],
    keys: list[Any],
    spans: list[_Span],
    dumped: str,
    setting: set[str],
    removing: set[str],
) -> list[str]:
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
