"""Numbers: the same digit sequences, however grouped or with whichever decimal separator;
digits in URLs, tags, entities, placeholders and footnote markers are no numbers.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from sync.checks.grammar import _DIGITS, _NON_NUMBERS, _NUMBER, _SPACE_GROUPED
from sync.i18n import t_


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
    return [
        t_("number %(number)s is missing", number=written[d]) for d in sorted(missing.elements())
    ] + [t_("extra number %(number)s", number=written[d]) for d in sorted(extra.elements())]
