"""A version's segments and content hash, whatever its body's format.

Markdown bodies are segmented by :mod:`sync.segments`, WordPress HTML by
:mod:`sync.htmlsegments` (which builds on the former); this module sits above both, so
neither imports the other. Translatable front-matter fields come after the title either way.

Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

from sync.segments import Analysis, analyze_markdown, with_fields


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
