"""Checks of one segment's translation: every check of the package, in order, plus what
depends on the segment (a title is one line; a translation is not the source unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Collection

from sync.checks.grammar import _FOOTNOTE, _LINK_TARGET, _TEXT_PARAMS
from sync.checks.links import _check_link_syntax, _check_urls, _without_tags
from sync.checks.markdown import _check_hard_breaks, _check_markdown, _without_code
from sync.checks.multiset import _check_multiset
from sync.checks.numerals import _check_numbers, _strip_non_numbers
from sync.checks.placeholders import _check_braces, _check_printf
from sync.checks.shortcodes import _compare_shortcodes, _shortcodes, _without_shortcodes
from sync.checks.tags import _check_tags
from sync.checks.whitespace import _check_whitespace
from sync.i18n import t_

__all__ = ["KEEP_SOURCE", "check_entry", "check_segment"]

#: The PO flag (``#, keep-source``) a translator sets on an entry whose translation is the
#: source text on purpose (a name, a brand): it is not refused as untranslated.
KEEP_SOURCE = "keep-source"


def check_entry(
    msgid: str,
    msgstr: str,
    *,
    lang: str | None = None,
    text_params: Collection[str] = _TEXT_PARAMS,
) -> list[str]:
    """Problems with ``msgstr`` as a translation of ``msgid``; empty when it is fine.

    An empty msgstr is untranslated, not wrong: it has no problems. ``lang`` is the
    translation's language: its prefix may be added to site-absolute links. ``text_params``
    are the shortcode parameters whose values may be translated.

    >>> check_entry("Hello %(name)s", "Merhaba %(isim)s")
    ['placeholder %(name)s is missing', 'extra placeholder %(isim)s']
    >>> check_entry("50% off", "%50 indirim")
    []
    >>> check_entry('A {{< glossary_tooltip text="pod" term_id="pod" >}}.',
    ...             'Под {{< glossary_tooltip text="под" term_id="pod" >}}.')
    []
    >>> check_entry("See [the docs](/docs/home/).", "См. [документацию](/ru/docs/home/).",
    ...             lang="ru")
    []
    """
    if not msgstr:
        return []
    # Every check below is skipped when the characters it looks for are absent (it would
    # find nothing in either text): the problems and their order are the same.
    problems: list[str] = _check_whitespace(msgid, msgstr)
    if "{{" in msgid or "{{" in msgstr:
        source_codes, target_codes = _shortcodes(msgid), _shortcodes(msgstr)
        if source_codes or target_codes:
            problems += _compare_shortcodes(source_codes, target_codes, text_params)
            # What follows sees only the prose of a shortcode: its text parameters' values.
            msgid = _without_shortcodes(msgid, source_codes, text_params)
            msgstr = _without_shortcodes(msgstr, target_codes, text_params)
    if "%" in msgid:
        problems += _check_printf(msgid, msgstr)
    if "{" in msgid:
        problems += _check_braces(msgid, msgstr)
    source, target = _without_code(msgid), _without_code(msgstr)
    if "<" in source or "<" in target:
        problems += _check_tags(source, target, lang)
    if "[" in msgid or "[" in msgstr:
        problems += _check_multiset(
            _FOOTNOTE.findall(msgid), _FOOTNOTE.findall(msgstr), "footnote marker"
        )
    # Links in HTML attributes belong to the tag check.
    problems += _check_urls(_without_tags(msgid), _without_tags(msgstr), lang)
    if "](" in msgid:
        problems += _check_link_syntax(msgid, msgstr, lang)
    # Both remaining checks drop what other checks own; the markdown one from the text
    # without code spans, which is the text itself when it has no backslash or backtick.
    stripped_id, stripped_str = _strip_non_numbers(msgid), _strip_non_numbers(msgstr)
    problems += _check_numbers(stripped_id, stripped_str)
    problems += _check_markdown(
        stripped_id if source == msgid else _strip_non_numbers(source),
        stripped_str if target == msgstr else _strip_non_numbers(target),
    )
    if "\n" in msgid:  # hard breaks (Markdown's only: an HTML segment's text is one line)
        problems += _check_hard_breaks(msgid, msgstr)
    return problems


def check_segment(
    msgid: str,
    msgstr: str,
    *,
    kind: str = "paragraph",
    lang: str | None = None,
    text_params: Collection[str] = _TEXT_PARAMS,
    keep_source: bool = False,
) -> list[str]:
    """:func:`check_entry` plus what depends on the segment: a title is one line, and a
    translation that is the source text unchanged is refused unless the source has nothing
    to translate (a number, code, a URL) or the translator marked it (``keep_source``: a
    proper name that stays as it is).

    >>> check_segment("Kubernetes", "Kubernetes")
    ['the translation is the source text unchanged: translate it, or mark it as a name that stays as it is (PO flag #, keep-source; "same as source" in the browser)']
    >>> check_segment("Kubernetes", "Kubernetes", keep_source=True)
    []
    >>> check_segment("2024", "2024"), check_segment("`kubectl get pods`", "`kubectl get pods`")
    ([], [])
    >>> check_segment("Başlık", "Заголовок\\nещё", kind="title")
    ['a title must be one line: remove the line break']
    """  # noqa: E501
    if not msgstr:
        return []
    problems = check_entry(msgid, msgstr, lang=lang, text_params=text_params)
    if kind == "title" and any(c in msgstr for c in "\n\r\u2028\u2029\x85"):
        problems.append(t_("a title must be one line: remove the line break"))
    if not keep_source and _unchanged(msgid, msgstr):
        problems.append(
            t_(
                "the translation is the source text unchanged: translate it, or "
                "mark it as a name that stays as it is (PO flag #, keep-source; "
                '"same as source" in the browser)'
            )
        )
    return problems


_WORDISH = re.compile(r"[^\W\d_]{2,}")


def _unchanged(msgid: str, msgstr: str) -> bool:
    """The translation is the source (white space aside) and the source has words to
    translate once code spans, URLs, markup, shortcodes and numbers are set aside."""
    if " ".join(msgid.split()) != " ".join(msgstr.split()):
        return False
    prose = _strip_non_numbers(_without_tags(_without_code(msgid)))
    if "{{" in prose:
        prose = _without_shortcodes(prose, _shortcodes(prose), ())
    prose = _LINK_TARGET.sub(" ", prose)
    return bool(_WORDISH.search(prose))
