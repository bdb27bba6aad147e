"""XLIFF 1.2 and 2.0: a task as the file CAT tools translate, and that file read back.

Pure: no database, no I/O. :func:`write_xliff` renders a :class:`TaskFile` (one ``<file>``
for the post, one unit per segment); :func:`read_xliff` reads what a CAT tool returns (or
what translate-toolkit's ``po2xliff`` made of transync's PO) into :class:`UnitIn` values
whose contents are :mod:`sync.interchange.inline` pieces. Deterministic: the same task
gives the same bytes.

How a unit says what it is:

==================  ==================================  =================================
                    XLIFF 1.2                           XLIFF 2.0
==================  ==================================  =================================
post, task          ``<file original=KEY>``, header     ``<file original=KEY>``,
                    ``<prop-group name="transync">``    ``<mda:metaGroup category=…>``
segment             ``<trans-unit id="KEY#N">``         ``<unit id="sN" name="KEY#N">``
translated          ``state="translated"``              ``<segment state="translated">``
needs review        ``state="needs-review-translation"`` ``state="initial"``
memory suggestion   the above, ``state-qualifier``,     ``state="initial"``,
                    ``<alt-trans match-quality>``       ``<mtc:match matchQuality>``
previous source     ``<note from="transync">``          ``<note category="transync">``
keep-source         ``ts:keep-source="yes"``            ``ts:keep-source="yes"``
paired code         ``<g id ctype>``                    ``<pc id dataRefStart dataRefEnd>``
standalone code     ``<x id ctype equiv-text>``         ``<ph id dataRef disp>``
==================  ==================================  =================================

Read back, a target counts as translated unless it is marked for review (1.2: a
``needs-*`` or ``new`` state, or ``approved="no"`` with no state; 2.0: ``initial``, the
default): such targets are used only with ``accept_fuzzy``, as fuzzy PO entries are.

The package: :mod:`~sync.interchange.xliff.names` (namespaces, metadata, states),
:mod:`~sync.interchange.xliff.writer` and :mod:`~sync.interchange.xliff.reader`; what other
code uses is exported here.
"""

from __future__ import annotations

from sync.interchange.xliff.names import (
    DONE_20,
    HASH_META,
    MDA,
    MTC,
    NEEDS_REVIEW_12,
    TASK_META,
    TS,
    VERSIONS,
    XLIFF11,
    XLIFF12,
    XLIFF20,
    XLIFF21,
    XML,
)
from sync.interchange.xliff.reader import UnitIn, XliffIn, read_xliff, sniff
from sync.interchange.xliff.writer import TaskFile, UnitOut, write_xliff

__all__ = [
    "DONE_20",
    "HASH_META",
    "MDA",
    "MTC",
    "NEEDS_REVIEW_12",
    "TASK_META",
    "TS",
    "VERSIONS",
    "XLIFF11",
    "XLIFF12",
    "XLIFF20",
    "XLIFF21",
    "XML",
    "TaskFile",
    "UnitIn",
    "UnitOut",
    "XliffIn",
    "read_xliff",
    "sniff",
    "write_xliff",
]
