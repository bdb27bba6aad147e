"""JSON front matter (Hugo's ``{ … }`` opening a file) edited: keys set or removed in the
object, every other key kept in its place, the whole object written again with the file's
indentation; the result read back.

JSON has no comments and no quoting styles to keep, so writing the object again loses only
spacing: the keys' order, the values and the indentation stay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from sync.frontedit.parts import _ending
from sync.frontedit.values import _expected, _same

#: The white space before the first key of an object written over several lines.
_KEY_INDENT = re.compile(r"\{[ \t]*(?:\r\n|\r|\n)([ \t]+)\"")
#: What a one-line object or one without indented keys is written with.
DEFAULT_INDENT = "  "


def _indent(text: str) -> str:
    found = _KEY_INDENT.match(text)
    return found.group(1) if found else DEFAULT_INDENT


def _edit_json(
    raw: list[str],
    original: Mapping[str, Any],
    set_values: Mapping[str, Any],
    removing: Collection[str],
    *,
    newline: str,
) -> str:
    """The front matter's text with the keys set or removed, ending as it ended (a line
    break after the ``}``, or not). A new key goes at the end. ValueError when a value has
    no JSON form (a date, a set) or the result would not read back as asked."""
    text = "".join(raw)
    values = {k: v for k, v in original.items() if k not in removing}
    values.update(set_values)
    try:
        out = json.dumps(values, indent=_indent(text), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"JSON front matter cannot hold the values set: {exc}") from exc
    if not _same(json.loads(out), _expected(original, set_values, removing)):
        raise ValueError("JSON front matter would not read back as set")
    trailer = text[len(text.rstrip()) :] if raw and _ending(raw[-1]) else ""
    return out.replace("\n", newline) + trailer
