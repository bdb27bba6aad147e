"""Placeholders: printf (``%s``, ``%(name)s``, ``%1$s``) and brace (``{name}``) ones, checked
only when the source uses that style; unnamed printf placeholders keep their order.
"""

from __future__ import annotations

from sync.checks.grammar import _BRACE, _PRINTF
from sync.checks.multiset import _check_multiset
from sync.i18n import t_


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
                t_(
                    "placeholders %(source)s are in another order (%(target)s); unnamed "
                    "placeholders must keep the source's order",
                    source=" ".join(plain_source),
                    target=" ".join(plain_target),
                )
            )
    return problems


def _check_braces(msgid: str, msgstr: str) -> list[str]:
    source = _BRACE.findall(msgid)
    if not source:
        return []
    return _check_multiset(source, _BRACE.findall(msgstr), "placeholder")
