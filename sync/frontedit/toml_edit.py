"""TOML front matter edited in place with tomlkit: values grafted onto the items they
replace, keeping their kind of string, tables and comments; every result read back.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping
from typing import Any

import tomlkit
import tomlkit.items

from sync.errors import FrontMatterError
from sync.frontedit.parts import _strip_ending
from sync.frontedit.values import _MISSING, _expected, _same, _set
from sync.i18n import t_


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
        trivia = tomlkit.items.Trivia(
            indent=old.trivia.indent,
            comment_ws=old.trivia.comment_ws,
            comment=old.trivia.comment,
            trail=old.trivia.trail,
        )
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
    if (
        isinstance(new, list | tuple)
        and isinstance(old, tomlkit.items.AoT)
        and len(new) == len(old)
        and all(isinstance(v, Mapping) for v in new)
    ):
        before = old_value if isinstance(old_value, list) else [_MISSING] * len(new)
        for table, was, v in zip(old.body, before, new, strict=True):
            _merge_toml(table, was, v)
        return old
    if (
        isinstance(new, list | tuple)
        and isinstance(old, tomlkit.items.Array)
        and len(new) == len(old)
    ):
        before = old_value if isinstance(old_value, list) else [_MISSING] * len(new)
        for i, (was, v) in enumerate(zip(before, new, strict=True)):
            _set(old, i, _merge_toml(old[i], was, v))
        return old
    return new


def _edit_toml(
    raw: list[str],
    original: Mapping[str, Any],
    set_values: Mapping[str, Any],
    removing: Collection[str],
    *,
    origin: str,
) -> list[str]:
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
                t_(
                    "front matter cannot be edited as TOML: %(problem)s; fix the TOML between "
                    "the +++ lines",
                    problem=str(exc),
                ),
                path=origin,
                line=1 + exc.line,
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
