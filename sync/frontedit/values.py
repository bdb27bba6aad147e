"""Values compared and grafted the way an edit needs: the same kind all the way down, set
only where changed, and what the edited front matter must read back as.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

_MISSING: Any = object()


def _set(container: Any, key: Any, value: Any) -> None:
    """``container[key] = value`` unless it already holds that very object (left untouched)."""
    try:
        if container[key] is value:
            return
    except (KeyError, IndexError):
        pass
    container[key] = value


def _expected(
    original: Mapping[str, Any], set_values: Mapping[str, Any], removing: Collection[str]
) -> dict[Any, Any]:
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
