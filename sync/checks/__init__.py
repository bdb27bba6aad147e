"""Checks on a submitted translation of one segment: what it must carry over from the source.

Pure: no database, no I/O. :func:`check_entry` returns problems as sentences; an
empty list means the translation passes. The checks are pragmatic, tuned to avoid
false alarms on ordinary prose:

- Hugo shortcodes (``{{< note >}}``, ``{{% capture overview %}}``, ``{{< /note >}}``,
  ``{{< figure … />}}``, escaped ``{{</* x */>}}``): the same sequence of names, kinds and
  delimiters (so the same order and nesting), the same positional parameters and the same
  named ones, whose values may change only for the text parameters (``text``, ``title``,
  ``alt``, ``caption`` by default); escaped shortcodes stay as written. A segment may hold
  half a block, so balance is not required; :func:`shortcode_problems` checks whole
  documents. Only text-parameter values take part in the checks below;
- printf (``%s``, ``%(name)s``, ``%1$s``) and brace (``{name}``, ``{0}``)
  placeholders are checked only when the source uses that style, so ``%50`` (Turkish
  for 50 %) or a stray brace in prose is never a placeholder; ``%`` followed by a
  digit is always a number and ``%%`` is ignored; unnamed printf placeholders keep
  their order;
- HTML tags: the same tag names, closed in the translation when the source closes
  them (``<https://…>`` autolinks and tags inside `code spans` do not count); each tag
  has its source counterpart's attributes (compared tag by tag per name, in order, any
  attribute order) with the same values, except ``title`` and ``alt``, which are prose,
  and ``href``/``src``, which may gain the language prefix (below). Event handlers
  (``on…``), ``style``, ``srcdoc`` and ``formaction`` are refused unless the source has
  the same one, and so are ``javascript:``, ``vbscript:`` and ``data:`` URLs (however
  entity-encoded or split by white space);
- footnote markers ``[^1]``, ``[^note]`` and ``[1]``: the same ones;
- numbers: the same digit sequences; ``1,000`` = ``1.000`` = ``1 000`` = ``1000`` and
  ``3.5`` = ``3,5``; ``%`` may move (``50%`` = ``%50``); digits inside URLs, tags,
  HTML entities, placeholders, shortcodes and footnote markers are not numbers;
- links (http/https URLs and Markdown link targets; HTML attributes are the tags'):
  the same set, except that with ``lang="ru"`` a site-absolute target may gain the
  prefix ``/ru``: ``/docs/x`` → ``/ru/docs/x``, ``https://site/docs/x`` →
  ``https://site/ru/docs/x``, ``/`` → ``/ru/``; relative targets, queries and fragments
  stay as they are. A dangerous-scheme target the source lacks is named as such;
- Markdown: the same number of ``**``, ``__``, ``*``, ``_`` emphasis markers and backticks;
- Markdown hard line breaks (a backslash ending the line): a translation of a source that
  has them may be on one line, but one with line breaks needs at least one hard break (a
  plain new line is a space to Markdown, so the text would be published on one line);
- the same leading and trailing white space.

Quotes (« », „ “, " ") and punctuation are not checked.

The package keeps each kind of check in its own module: :mod:`~sync.checks.whitespace`,
:mod:`~sync.checks.placeholders`, :mod:`~sync.checks.shortcodes`, :mod:`~sync.checks.tags`
(HTML), :mod:`~sync.checks.links`, :mod:`~sync.checks.numerals`,
:mod:`~sync.checks.markdown`, with the patterns they share in :mod:`~sync.checks.grammar`
and the segment-level checks that run them all in :mod:`~sync.checks.segment`. What other
code uses is exported here.
"""

from __future__ import annotations

from sync.checks.segment import KEEP_SOURCE, check_entry, check_segment
from sync.checks.shortcodes import shortcode_problems

__all__ = ["KEEP_SOURCE", "check_entry", "check_segment", "shortcode_problems"]
