"""Gettext catalogs: build, render (PO and MO), write atomically, and read uploaded PO files.

Pure: no database. The only file system access is :func:`write_atomic` and
:class:`CatalogStream`'s temporary files.

A catalog holds one language: ``msgctxt`` is the post key, ``msgid`` a source
segment, ``msgstr`` its translation; stale segments are ``#, fuzzy`` with the old
source text as ``#| msgid``. Rendering is deterministic (same entries, same
bytes) and the result passes ``msgfmt --check``.

The package keeps apart, as Babel's ``babel.messages`` does:

- :mod:`sync.catalog.build`: the model (entries, headers, counts) and building a catalog;
- :mod:`sync.catalog.po`: PO rendering;
- :mod:`sync.catalog.mo`: MO rendering;
- :mod:`sync.catalog.atomic`: writing a file atomically;
- :mod:`sync.catalog.stream`: a catalog's PO and MO files written while it is built;
- :mod:`sync.catalog.reading` and :mod:`sync.catalog.charset`: reading an uploaded PO file.

What other code uses is exported here.
"""

from __future__ import annotations

from sync.catalog.atomic import write_atomic
from sync.catalog.build import DEFAULT_PLURAL_FORMS as DEFAULT_PLURAL_FORMS
from sync.catalog.build import PROJECT as PROJECT
from sync.catalog.build import WRAP_WIDTH as WRAP_WIDTH
from sync.catalog.build import (
    CatalogCounts,
    CatalogEntry,
    build_catalog,
    count_entries,
    newlines_differ,
    plural_forms,
)
from sync.catalog.mo import render_mo
from sync.catalog.po import render_po
from sync.catalog.reading import read_po
from sync.catalog.stream import CatalogStream

__all__ = [
    "CatalogCounts",
    "CatalogEntry",
    "CatalogStream",
    "build_catalog",
    "count_entries",
    "newlines_differ",
    "plural_forms",
    "read_po",
    "render_mo",
    "render_po",
    "write_atomic",
]
