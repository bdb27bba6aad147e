"""segments keep Markdown's hard line breaks

A hard line break (two trailing spaces, or a backslash, at the end of a paragraph's line)
was flattened into a space in the segment's text, so a write-back joined an address or a
verse into one line, in the paragraphs a translator changed and in those they left alone.
Segment texts now keep each break as a backslash and a newline (``sync.segments.markdown
.inline_text``); content hashes do not see them, as before, so no revision changes.

The upgrade gives the stored segments of every Markdown revision that has such a line the
text the scan now reads, where the rest of the text is the same (a revision whose segments
an older transync read otherwise is left as it is), and the ``source_text`` that records
them in the post's translations made through transync. Words are the same (a backslash is
no word). The downgrade leaves the texts: an older transync reads a break in a segment's
text as white space.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 500
_BACKSLASH_BEFORE_SPACE = re.compile(r"\\(?=\s|$)")


def _words_only(text: str) -> str:
    """The text as a flattened hard break left it, whichever way it was written."""
    return " ".join(_BACKSLASH_BEFORE_SPACE.sub(" ", text).split())


def upgrade() -> None:
    from sync.segments.markdown import analyze_markdown

    conn = op.get_bind()
    find = "instr" if conn.dialect.name == "sqlite" else "strpos"
    candidates = sa.text(
        "SELECT r.id, r.body, v.post_id FROM revisions r JOIN versions v ON v.id = r.version_id "
        f"WHERE r.body_format = 'markdown' AND r.id > :last AND ({find}(r.body, :spaces) > 0 "
        f"OR {find}(r.body, :crlf) > 0 OR {find}(r.body, :backslash) > 0) "
        "ORDER BY r.id LIMIT :n"
    )
    stored = sa.text(
        "SELECT id, kind, text FROM segments WHERE revision_id = :r ORDER BY position"
    )
    update = sa.text("UPDATE segments SET text = :t WHERE id = :i")
    renamed: dict[int, dict[str, str]] = defaultdict(dict)  # post id -> old text -> new
    last = 0
    while True:
        rows = conn.execute(
            candidates,
            {"last": last, "n": BATCH, "spaces": "  \n", "crlf": "  \r\n", "backslash": "\\\n"},
        ).all()
        if not rows:
            break
        last = rows[-1][0]
        for revision_id, body, post_id in rows:
            fresh = analyze_markdown("", body or "").segments
            held = conn.execute(stored, {"r": revision_id}).all()
            head = sum(1 for _, kind, _ in held if kind == "title" or kind.startswith("meta:"))
            body_held = held[head:]
            # segment by segment: where an older transync read a block otherwise (a
            # definition list as one paragraph), that block is left as it is, and the
            # segments around it still get their breaks
            pairs = _same_segments(body_held, fresh)
            changes = [{"i": seg_id, "t": seg.text} for (seg_id, _, text), seg in pairs
                       if text != seg.text]
            if changes:
                conn.execute(update, changes)
                for (_, _, text), seg in pairs:
                    if text != seg.text:
                        renamed[post_id][text] = seg.text
    _rename_source_texts(conn, renamed)


def _same_segments(held: list, fresh: list) -> list:
    """(stored segment row, fresh segment) for the stored segments that are the fresh
    reading's, but for their breaks: same kind, same words, in the same order."""
    keys_held = [(kind, _words_only(text)) for _, kind, text in held]
    keys_fresh = [(seg.kind, _words_only(seg.text)) for seg in fresh]
    matcher = difflib.SequenceMatcher(None, keys_held, keys_fresh, autojunk=False)
    return [
        (held[a + k], fresh[b + k])
        for a, b, size in matcher.get_matching_blocks()
        for k in range(size)
    ]


def _rename_source_texts(conn: sa.Connection, renamed: dict[int, dict[str, str]]) -> None:
    """A translation's segments record the source text they translate: the new text of a
    source segment of the same post replaces the old one there."""
    posts = sorted(renamed)
    query = sa.text(
        "SELECT s.id, s.source_text, v.post_id FROM segments s "
        "JOIN revisions r ON r.id = s.revision_id JOIN versions v ON v.id = r.version_id "
        "WHERE v.post_id IN :posts AND s.source_text IS NOT NULL"
    ).bindparams(sa.bindparam("posts", expanding=True))
    update = sa.text("UPDATE segments SET source_text = :t WHERE id = :i")
    for start in range(0, len(posts), BATCH):
        rows = conn.execute(query, {"posts": posts[start : start + BATCH]}).all()
        changes = [
            {"i": seg_id, "t": renamed[post_id][text]}
            for seg_id, text, post_id in rows
            if text in renamed[post_id]
        ]
        if changes:
            conn.execute(update, changes)


def downgrade() -> None:
    pass  # the texts stay (see the docstring)
