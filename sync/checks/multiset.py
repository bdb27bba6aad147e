"""What a translation must carry over in equal numbers (placeholders, tags, footnote markers):
the missing and the extra ones, in the order they appear, as problems.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from sync.i18n import t_


def _check_multiset(source: list[str], target: list[str], what: str) -> list[str]:
    if not source and not target:
        return []
    wanted, found = Counter(source), Counter(target)
    missing, extra = _MULTISET[what]
    problems = [missing(item) for item in _ordered(source, wanted - found)]
    problems += [extra(item) for item in _ordered(target, found - wanted)]
    return problems


#: (missing, extra) messages of each kind of thing a translation must carry over.
_MULTISET: dict[str, tuple[Callable[[str], str], Callable[[str], str]]] = {
    "placeholder": (
        lambda x: t_("placeholder %(item)s is missing", item=x),
        lambda x: t_("extra placeholder %(item)s", item=x),
    ),
    "HTML tag": (
        lambda x: t_("HTML tag %(item)s is missing", item=x),
        lambda x: t_("extra HTML tag %(item)s", item=x),
    ),
    "closing tag": (
        lambda x: t_("closing tag %(item)s is missing", item=x),
        lambda x: t_("extra closing tag %(item)s", item=x),
    ),
    "footnote marker": (
        lambda x: t_("footnote marker %(item)s is missing", item=x),
        lambda x: t_("extra footnote marker %(item)s", item=x),
    ),
}


def _ordered(order: list[str], counts: Counter[str]) -> list[str]:
    """Items of ``counts`` (with repeats) in the order they first appear in ``order``."""
    out: list[str] = []
    for item in dict.fromkeys(order):
        out += [item] * counts[item]
    return out
