"""Front matter edited in place: set and remove top-level keys, keep everything else as written.

Pure: text in, text out. YAML goes through ruamel.yaml's round-trip mode and TOML through
tomlkit, so comments, key order, quoting and dates the edit does not touch stay byte for byte;
JSON (Hugo's ``{ … }`` front matter, which has none of those) is written again whole, its
keys in their order with the file's indentation. Every result is read back with
:func:`sync.frontmatter.parse_document`'s own loaders and must give the values asked for.
Also: the string leaves of a front-matter value (the order of its translatable segments)
and the file line of each top-level key (for error messages).

The package: :mod:`~sync.frontedit.edit` (a document's edit), :mod:`~sync.frontedit.yaml_edit`,
:mod:`~sync.frontedit.toml_edit` and :mod:`~sync.frontedit.json_edit` (each syntax's),
:mod:`~sync.frontedit.parts` and :mod:`~sync.frontedit.values` (what they share),
:mod:`~sync.frontedit.leaves` (string leaves) and :mod:`~sync.frontedit.keylines` (key
lines). What other code uses is exported here.
"""

from __future__ import annotations

from sync.frontedit.edit import edit_document
from sync.frontedit.keylines import key_lines
from sync.frontedit.leaves import replace_leaves, string_leaves

__all__ = ["edit_document", "key_lines", "replace_leaves", "string_leaves"]
