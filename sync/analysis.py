"""A version's segments and content hash, whatever its body's format.

Markdown bodies are segmented by :mod:`sync.segments`, WordPress HTML by
:mod:`sync.htmlsegments` (which builds on the former); this module sits above both, so
neither imports the other. Translatable front-matter fields come after the title either way.

Pure: no database, no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sync.segments import Analysis, analyze_markdown, with_fields
from sync.spill import Packed, pack
from sync.text import memory_hash
from sync.words import count_words


def analyze_document(
    title: str,
    body: str,
    *,
    body_format: str = "markdown",
    fields: Sequence[tuple[str, str]] = (),
    autop: bool | None = None,
) -> Analysis:
    """Segments and hash of a version: title, translatable front-matter fields, then the
    body as Markdown or HTML (``autop`` as :func:`sync.htmlsegments.analyze_html` takes it)."""
    if body_format == "html":
        from sync.htmlsegments import analyze_html  # lxml loads only for HTML documents

        analysis = analyze_html(title, body, autop=autop)
    else:
        analysis = analyze_markdown(title, body)
    return with_fields(analysis, fields) if fields else analysis


def with_words(analysis: Analysis) -> Analysis:
    """The analysis with the words of each segment counted, for whoever writes its segments:
    counted where the analysis is made (in a parser process, or while a page is fetched)
    rather than in the scan's writing step, which has nothing to wait for."""
    if analysis.words is not None:
        return analysis
    return dataclasses.replace(
        analysis, words=tuple([count_words(s.text) for s in analysis.segments])
    )


def packed_analysis(
    title: str,
    body: str,
    *,
    body_format: str = "markdown",
    fields: Sequence[tuple[str, str]] = (),
) -> Packed:
    """A document's analysis made in a worker process, with the words and translation
    memory's hash of each segment, packed as the scan's spill keeps it (sync.spill): what
    the scan's process would otherwise unpickle, pickle again into its spill, and hash
    once the pages are all in, on one core."""
    analysis = with_words(analyze_document(title, body, body_format=body_format, fields=fields))
    hashes = tuple([memory_hash(s.text) for s in analysis.segments])
    content = (analysis.segments, body, None, analysis.words, hashes)
    return Packed(analysis.content_hash, len(analysis.segments), pack(content))
