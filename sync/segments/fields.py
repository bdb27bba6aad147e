"""Front-matter fields as segments: translatable fields (a description, a summary) come
right after the title, with kinds such as ``meta:description``.

Pure: no database, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sync.segments.markdown import HASH_FORMAT
from sync.segments.model import Analysis, Segment, _Segments
from sync.text import normalize_inline, sha256_hex

#: A front-matter field's segments have this kind prefix, then the field: ``meta:description``.
FIELD_KIND = "meta:"


def with_fields(analysis: Analysis, fields: Sequence[tuple[str, str]]) -> Analysis:
    """The analysis with translatable front-matter fields as segments after the title.

    ``fields`` are (field, text) pairs in order; a field holding a list or mapping gives one
    pair per string inside it. The texts are normalized like titles and empty ones dropped.
    Without fields the analysis is returned as it is (its hash unchanged); with fields, the
    hash covers them too, so a changed description makes the translations stale.

    >>> from sync.segments.markdown import analyze_markdown
    >>> a = with_fields(analyze_markdown("T", "Body."), [("description", " A  note ")])
    >>> [(s.kind, s.text) for s in a.segments]
    [('title', 'T'), ('meta:description', 'A note'), ('paragraph', 'Body.')]
    """
    extra = [
        Segment(kind=FIELD_KIND + name, text=text)
        for name, raw in fields
        if (text := normalize_inline(raw))
    ]
    if not extra:
        return analysis
    segments = list(analysis.segments)
    at = 1 if segments and segments[0].kind == "title" else 0
    payload = json.dumps(
        [HASH_FORMAT + "+fields", analysis.content_hash, [[s.kind, s.text] for s in extra]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return Analysis(
        segments=_Segments([*segments[:at], *extra, *segments[at:]]),
        content_hash=sha256_hex(payload),
    )


def segment_label(kind: str) -> str:
    """How a catalog comment names a segment's kind.

    >>> segment_label("meta:linkTitle"), segment_label("paragraph")
    ('front-matter field linkTitle', 'paragraph')
    """
    return f"front-matter field {kind[len(FIELD_KIND) :]}" if kind.startswith(FIELD_KIND) else kind


def split_fields(kinds: Sequence[str]) -> tuple[int, int]:
    """(title count, field count) at the head of a version's segment kinds: texts[:t] are the
    title, texts[t:t + f] the front-matter fields, the rest the body.

    >>> split_fields(["title", "meta:summary", "meta:cards", "paragraph"])
    (1, 2)
    """
    t = 1 if kinds and kinds[0] == "title" else 0
    f = 0
    while t + f < len(kinds) and kinds[t + f].startswith(FIELD_KIND):
        f += 1
    return t, f
