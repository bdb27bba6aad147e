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
