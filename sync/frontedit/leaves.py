"""String leaves: the strings inside a front-matter value, in document order, and the same
structure with them replaced (the order of a field's translatable segments).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["replace_leaves", "string_leaves"]


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
