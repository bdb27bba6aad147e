"""Editing a document: top-level front-matter keys set or removed and maybe a new body, with
everything not named kept as written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sync.frontedit.json_edit import _edit_json
from sync.frontedit.parts import JSON_KIND, _ending, _split
from sync.frontedit.toml_edit import _edit_toml
from sync.frontedit.values import _same
from sync.frontedit.yaml_edit import _edit_yaml, _yaml_new_block
from sync.frontmatter import front_key, parse_document

__all__ = ["edit_document"]


def edit_document(
    text: str,
    *,
    set_values: Mapping[str, Any] = {},  # noqa: B006 - read only
    remove: Collection[str] = (),
    body: str | None = None,
    origin: str = "<document>",
) -> str:
    """The document with top-level front-matter keys set or removed and maybe a new body.

    A key is matched in any case, as Hugo reads front matter (``title`` sets ``Title:``).
    Everything not named stays as written (comments, order, quoting, dates; the body byte
    for byte); an existing key keeps its place and, where the new value has the same shape,
    the formatting of its nested values. New keys go at the end; a document without front
    matter gets YAML front matter; JSON front matter is written again whole (key order,
    values and indentation kept). CRLF documents stay CRLF. Unreadable front matter raises
    FrontMatterError naming ``origin`` and the line, as parse_document does.
    """
    both = set(set_values).intersection(remove)
    if both:
        raise ValueError(f"keys both set and removed: {sorted(both)}")
    original, _, _ = parse_document(text.encode("utf-8", "surrogatepass"), origin=origin)
    # a key is set or removed as the document spells it: Hugo reads keys in any case, so a
    # title: added beside the file's Title: would be a second, clashing title
    set_values = {front_key(original, k) or k: v for k, v in set_values.items()}
    remove = [front_key(original, k) or k for k in remove]
    parts = _split(text)
    assert parts is not None  # parse_document raised for front matter that is never closed
    nl = parts.newline
    if body is None:
        new_body = parts.body
    else:
        new_body = body.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
        new_body = (new_body + "\n").replace("\n", nl) if new_body else ""
    removing = [k for k in remove if k in original]
    changing = {
        k: v for k, v in set_values.items() if k not in original or not _same(original[k], v)
    }
    if parts.kind is None:
        if not set_values:
            return parts.bom + new_body
        block = "".join(line + nl for line in _yaml_new_block(set_values, origin))
        front = f"---{nl}{block}---{nl}"
        return parts.bom + front + new_body
    if parts.kind == JSON_KIND:
        front = "".join(parts.block)
        if changing or removing:
            front = _edit_json(parts.block, original, changing, removing, newline=nl)
        if body is not None and not _ending(front):  # a new body starts on its own line
            front += nl
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
