"""Segments: the blocks of a version that translators translate and catalogs list.

The values (``model``), segmenting Markdown and hashing it (``markdown``), front-matter
fields as segments (``fields``), diffs and alignment (``diff``) and rendering a translation
back into the source (``render``). A document of any body format is analyzed by
:func:`sync.analysis.analyze_document`, which sits above this package and
:mod:`sync.htmlsegments`.

Pure: no database, no I/O.
"""

from __future__ import annotations

from sync.segments.diff import align, align_certain, diff_segments
from sync.segments.fields import FIELD_KIND, segment_label, split_fields, with_fields
from sync.segments.markdown import HASH_FORMAT, analyze_markdown, has_visible_text
from sync.segments.model import Analysis, DiffOp, Segment, SegmentDiff
from sync.segments.render import render_markdown

__all__ = [
    "FIELD_KIND",
    "HASH_FORMAT",
    "Analysis",
    "DiffOp",
    "Segment",
    "SegmentDiff",
    "align",
    "align_certain",
    "analyze_markdown",
    "diff_segments",
    "has_visible_text",
    "render_markdown",
    "segment_label",
    "split_fields",
    "with_fields",
]
