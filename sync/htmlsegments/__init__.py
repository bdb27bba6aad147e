"""Segment WordPress post HTML into the blocks translators translate, and hash them.

Blocks are ``p`` (paragraph), ``h1``–``h6`` (heading), ``li``/``dt``/``dd`` (item),
paragraphs inside ``blockquote`` (quote), ``td``/``th`` (cell), ``figcaption`` and
``caption`` (caption), and ``pre`` that is not code (paragraph, line breaks kept).
A segment's text is the block's inner HTML with inline markup kept, in a canonical
form, so markup WordPress adds by itself does not count as an edit: ``class``,
``id``, ``style``, ``data-*``, ``rel`` and image sizing attributes are dropped, the
rest are sorted, entities become characters, ``<br />`` becomes ``<br>`` with no
white space around it, and white space is collapsed. Gutenberg block comments,
``script`` and ``style`` are not text, except the texts a block keeps in its comment's
JSON attributes (``label``, ``title``, ``text``, ``alt``, ``caption``, ``content``, at any
depth, holding letters and not an address): each is an ``attribute`` segment where the
comment stands (``alt`` and ``title``
are plain text, shown escaped; the others are rich text, HTML). Code blocks are not
segments but count in the content hash. Content without block comments is classic
editor content, read the way ``wpautop`` renders it: blank lines separate
paragraphs and single newlines are line breaks.

Pure: no database, no I/O.

>>> body = '<!-- wp:paragraph --><p class="x">İyi&#8217;ler</p><!-- /wp:paragraph -->'
>>> a = analyze_html("Merhaba", body)
>>> [(s.kind, s.text) for s in a.segments]
[('title', 'Merhaba'), ('paragraph', 'İyi’ler')]
"""

from __future__ import annotations

from sync.htmlsegments.analysis import (
    analyze_html,
    canonical_html,
    hash_segments,
    html_body_blocks,
)
from sync.htmlsegments.render import render_html

__all__ = ["analyze_html", "canonical_html", "hash_segments", "html_body_blocks", "render_html"]
