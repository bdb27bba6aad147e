"""Checks on a submitted translation of one segment: what it must carry over from the source.

Pure: no database, no I/O. :func:`check_entry` returns problems as sentences; an
empty list means the translation passes. The checks are pragmatic, tuned to avoid
false alarms on ordinary prose:

- printf (``%s``, ``%(name)s``, ``%1$s``) and brace (``{name}``, ``{0}``)
  placeholders are checked only when the source uses that style, so ``%50`` (Turkish
  for 50 %) or a stray brace in prose is never a placeholder; ``%`` followed by a
  digit is always a number and ``%%`` is ignored; unnamed printf placeholders keep
  their order;
- HTML tags: the same tag names, closed in the translation when the source closes
  them (``<https://…>`` autolinks and tags inside `code spans` do not count);
- footnote markers ``[^1]``, ``[^note]`` and ``[1]``: the same ones;
- numbers: the same digit sequences; ``1,000`` = ``1.000`` = ``1 000`` = ``1000`` and
  ``3.5`` = ``3,5``; ``%`` may move (``50%`` = ``%50``); digits inside URLs, tags,
  HTML entities, placeholders and footnote markers are not numbers;
- URLs (http/https and Markdown link targets): the same set;
- Markdown: the same number of ``**``, ``__``, ``*``, ``_`` emphasis markers and backticks;
- the same leading and trailing white space.

Quotes (« », „ “, " ") and punctuation are not checked.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

__all__ = ["check_entry"]

# printf: named, positional, or plain conversions; "%" followed by a digit is a number.
_PRINTF = re.compile(
    r"""
    %%                                                    # a literal percent sign
  | %\([^()\s]+\)[#0+\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
  | %[1-9]\d*\$[#0+\-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
  | %(?:[#+]+(?:-?\d+)?|-\d+|\*)?(?:\.(?:\d+|\*))?[hlLqjzt]*[diouxXeEfFgGcrsa]
    """,
    re.VERBOSE,
)
# {name}, {0}, {}, {name.attr}, {0[1]}, {name!r:>10}; not {{escaped}} nor {{ template }}.
_BRACE = re.compile(
    r"(?<!\{)\{(?:[A-Za-z_]\w*(?:\.\w+|\[\w+\])*|\d+)?(?:![rsa])?(?::[^{}\s]*)?\}(?!\})"
)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?=[\s/>])(?:[^<>\"']|\"[^\"]*\"|'[^']*')*>")
_VOID_TAGS = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
})
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);")
_FOOTNOTE = re.compile(r"\[\^[^\]\s]+\]|\[\d+\]")
_URL = re.compile(
    r"https?://(?:[^\s<>()\[\]{}\"'`\u00ab\u00bb\u201c\u201d\u2018\u2019]|\([^\s()<>]*\))+",
    re.IGNORECASE,
)
_LINK_TARGET = re.compile(r"\]\(\s*(?:<([^<>\n]*)>|((?:[^\s()]|\([^\s()]*\))+))")
_URL_TRAILING = ".,;:!?"
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ESCAPED = re.compile(r"\\[\\`*_{}\[\]()#+\-.!%<>]")
_SPACE_GROUPED = re.compile(r"(?<!\d)\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?!\d)")
_NUMBER = re.compile(r"\d+(?:[.,'\u2019]\d+)*")
_DIGITS = re.compile(r"\d+")
_INTRAWORD_UNDERSCORE = re.compile(r"(?<=[^\W_])_+(?=[^\W_])")
_STAR = re.compile(r"\*(?!\s)|(?<!\s)\*")
# Each pattern _strip_non_numbers removes, with a string every match of it contains: when
# the string is absent the pattern cannot match, so the substitution is skipped.
_NON_NUMBERS = (
    (_URL, "://"), (_LINK_TARGET, "]("), (_TAG, "<"), (_ENTITY, "&"), (_PRINTF, "%"),
    (_BRACE, "{"), (_FOOTNOTE, "["),
)


def check_entry(msgid: str, msgstr: str) -> list[str]:
    """Problems with ``msgstr`` as a translation of ``msgid``; empty when it is fine.

    An empty msgstr is untranslated, not wrong: it has no problems.

    >>> check_entry("Hello %(name)s", "Merhaba %(isim)s")
    ['placeholder %(name)s is missing', 'extra placeholder %(isim)s']
    >>> check_entry("50% off", "%50 indirim")
    []
    """
    if not msgstr:
        return []
    # Every check below is skipped when the characters it looks for are absent (it would
    # find nothing in either text): the problems and their order are the same.
    problems: list[str] = _check_whitespace(msgid, msgstr)
    if "%" in msgid:
        problems += _check_printf(msgid, msgstr)
    if "{" in msgid:
        problems += _check_braces(msgid, msgstr)
    source, target = _without_code(msgid), _without_code(msgstr)
    if "<" in source or "<" in target:
        problems += _check_tags(source, target)
    if "[" in msgid or "[" in msgstr:
        problems += _check_multiset(
            _FOOTNOTE.findall(msgid), _FOOTNOTE.findall(msgstr), "footnote marker"
        )
    problems += _check_urls(msgid, msgstr)
    # Both remaining checks drop what other checks own; the markdown one from the text
    # without code spans, which is the text itself when it has no backslash or backtick.
    stripped_id, stripped_str = _strip_non_numbers(msgid), _strip_non_numbers(msgstr)
    problems += _check_numbers(stripped_id, stripped_str)
    problems += _check_markdown(
        stripped_id if source == msgid else _strip_non_numbers(source),
        stripped_str if target == msgstr else _strip_non_numbers(target),
    )
    return problems


# -- white space --------------------------------------------------------------


def _check_whitespace(msgid: str, msgstr: str) -> list[str]:
    problems: list[str] = []
    for where, source, target in (
        ("leading", _leading(msgid), _leading(msgstr)),
        ("trailing", _trailing(msgid), _trailing(msgstr)),
    ):
        if source == target:
            continue
        if not target:
            problems.append(f"{where} white space {source!r} is missing")
        elif not source:
            problems.append(f"extra {where} white space {target!r}")
        else:
            problems.append(f"{where} white space differs: {source!r} in the source, "
                            f"{target!r} in the translation")
    return problems


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _trailing(text: str) -> str:
    return text[len(text.rstrip()):]


# -- placeholders -------------------------------------------------------------


def _printf(text: str) -> list[str]:
    return [m for m in _PRINTF.findall(text) if m != "%%"]


def _check_printf(msgid: str, msgstr: str) -> list[str]:
    source = _printf(msgid)
    if not source:  # not a format string: "%" in the translation is prose ("%50")
        return []
    target = _printf(msgstr)
    problems = _check_multiset(source, target, "placeholder")
    if not problems:
        plain_source = [p for p in source if not p.startswith("%(") and "$" not in p]
        plain_target = [p for p in target if not p.startswith("%(") and "$" not in p]
        if plain_source != plain_target:
            problems.append(
                f"placeholders {' '.join(plain_source)} are in another order "
                f"({' '.join(plain_target)}); unnamed placeholders must keep the source's order"
            )
    return problems


def _check_braces(msgid: str, msgstr: str) -> list[str]:
    source = _BRACE.findall(msgid)
    if not source:
        return []
    return _check_multiset(source, _BRACE.findall(msgstr), "placeholder")


# -- HTML ---------------------------------------------------------------------


def _without_code(text: str) -> str:
    """The text with the contents of Markdown code spans removed (backticks kept)."""
    if "\\" in text:
        text = _ESCAPED.sub(" ", text)
    if "`" in text:
        text = _CODE_SPAN.sub(lambda m: m.group(1) * 2, text)
    return text


def _tags(text: str) -> list[tuple[bool, str, bool]]:
    """(closing, name, self_closing) for each HTML tag."""
    return [
        (m.group(1) == "/", m.group(2).lower(), m.group(0).endswith("/>"))
        for m in _TAG.finditer(text)
    ]


def _balance(tags: Iterable[tuple[bool, str, bool]]) -> list[str]:
    problems: list[str] = []
    stack: list[str] = []
    for closing, name, self_closing in tags:
        if name in _VOID_TAGS or self_closing:
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        elif name in stack:
            while stack[-1] != name:
                problems.append(f"HTML tag <{stack.pop()}> is not closed before </{name}>")
            stack.pop()
        else:
            problems.append(f"closing tag </{name}> has no opening tag")
    problems += [f"HTML tag <{name}> is not closed" for name in reversed(stack)]
    return problems


def _check_tags(msgid: str, msgstr: str) -> list[str]:
    source, target = _tags(msgid), _tags(msgstr)
    if not source and not target:
        return []
    problems = _check_multiset(
        [f"<{name}>" for closing, name, _ in source if not closing],
        [f"<{name}>" for closing, name, _ in target if not closing],
        "HTML tag",
    )
    if not _balance(source):
        problems += _balance(target)
    else:  # the source leaves tags open (a block split over segments): compare closings
        problems += _check_multiset(
            [f"</{name}>" for closing, name, _ in source if closing],
            [f"</{name}>" for closing, name, _ in target if closing],
            "closing tag",
        )
    return problems


# -- URLs and numbers ---------------------------------------------------------


def _urls(text: str) -> set[str]:
    found = {m.rstrip(_URL_TRAILING) for m in _URL.findall(text)} if "://" in text else set()
    if "](" not in text:
        return found
    for angled, bare in _LINK_TARGET.findall(text):
        target = (angled or bare).strip()
        if target:
            found.add(target)
    return found


def _check_urls(msgid: str, msgstr: str) -> list[str]:
    source, target = _urls(msgid), _urls(msgstr)
    if source == target:
        return []
    return [f"URL {u} is missing" for u in sorted(source - target)] + [
        f"extra URL {u}" for u in sorted(target - source)
    ]


def _strip_non_numbers(text: str) -> str:
    """Remove what other checks own (URLs, tags, entities, placeholders, footnotes)."""
    for pattern, trigger in _NON_NUMBERS:
        if trigger in text:
            text = pattern.sub(" ", text)
    return text


def _digits(number: str) -> str:
    return "".join(str(unicodedata.decimal(c, c)) for c in number if c.isdigit())


def _numbers(text: str) -> list[tuple[str, str]]:
    """(written form, digits) for each number, thousands and decimal separators dropped."""
    found: list[tuple[str, str]] = []
    if not _DIGITS.search(text):  # both patterns below need a digit
        return found

    def take(match: re.Match[str]) -> str:
        found.append((match.group(0), _digits(match.group(0))))
        return " "

    text = _SPACE_GROUPED.sub(take, text)
    _NUMBER.sub(take, text)
    return found


def _check_numbers(source_text: str, target_text: str) -> list[str]:
    """Arguments: msgid and msgstr through ``_strip_non_numbers``."""
    source, target = _numbers(source_text), _numbers(target_text)
    if not source and not target:
        return []
    if Counter(d for _, d in source) == Counter(d for _, d in target):
        return []
    # Grouped differently ("1000" against "1 000") but the same digit runs: still fine.
    runs = Counter(_digits(m) for m in _DIGITS.findall(source_text))
    if runs == Counter(_digits(m) for m in _DIGITS.findall(target_text)):
        return []
    written = {d: w for w, d in reversed(target)} | {d: w for w, d in reversed(source)}
    missing = Counter(d for _, d in source) - Counter(d for _, d in target)
    extra = Counter(d for _, d in target) - Counter(d for _, d in source)
    return [f"number {written[d]} is missing" for d in sorted(missing.elements())] + [
        f"extra number {written[d]}" for d in sorted(extra.elements())
    ]


# -- Markdown -----------------------------------------------------------------


def _markdown_markers(text: str) -> dict[str, int]:
    """Marker counts of a text already through ``_without_code`` and ``_strip_non_numbers``."""
    counts = {"`": text.count("`")}
    for marker in ("**", "__"):
        counts[marker] = n = text.count(marker)
        if n:
            text = text.replace(marker, " ")
    counts["*"] = len(_STAR.findall(text)) if "*" in text else 0
    counts["_"] = _INTRAWORD_UNDERSCORE.sub("", text).count("_") if "_" in text else 0
    return counts


_MARKER_NAMES = {
    "**": "bold marker **",
    "__": "bold marker __",
    "*": "emphasis marker *",
    "_": "emphasis marker _",
    "`": "code marker `",
}


def _check_markdown(msgid: str, msgstr: str) -> list[str]:
    """Arguments: msgid and msgstr through ``_without_code`` and ``_strip_non_numbers``."""
    source, target = _markdown_markers(msgid), _markdown_markers(msgstr)
    if source == target:
        return []
    problems: list[str] = []
    for marker, label in _MARKER_NAMES.items():
        if source[marker] != target[marker]:
            verb = "is missing" if source[marker] > target[marker] else "is extra"
            problems.append(
                f"Markdown {label} {verb}: {source[marker]} in the source, "
                f"{target[marker]} in the translation"
            )
    return problems


# -- shared -------------------------------------------------------------------


def _check_multiset(source: list[str], target: list[str], what: str) -> list[str]:
    if not source and not target:
        return []
    wanted, found = Counter(source), Counter(target)
    problems = [f"{what} {item} is missing" for item in _ordered(source, wanted - found)]
    problems += [f"extra {what} {item}" for item in _ordered(target, found - wanted)]
    return problems


def _ordered(order: list[str], counts: Counter[str]) -> list[str]:
    """Items of ``counts`` (with repeats) in the order they first appear in ``order``."""
    out: list[str] = []
    for item in dict.fromkeys(order):
        out += [item] * counts[item]
    return out
