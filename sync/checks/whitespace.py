"""White space: a translation keeps its source's leading and trailing white space."""

from __future__ import annotations

from sync.i18n import t_


def _check_whitespace(msgid: str, msgstr: str) -> list[str]:
    problems: list[str] = []
    for where, source, target in (
        ("leading", _leading(msgid), _leading(msgstr)),
        ("trailing", _trailing(msgid), _trailing(msgstr)),
    ):
        if source == target:
            continue
        if where == "leading":
            if not target:
                problems.append(t_("leading white space %(ws)s is missing", ws=repr(source)))
            elif not source:
                problems.append(t_("extra leading white space %(ws)s", ws=repr(target)))
            else:
                problems.append(
                    t_(
                        "leading white space differs: %(source)s in the source, "
                        "%(target)s in the translation",
                        source=repr(source),
                        target=repr(target),
                    )
                )
        elif not target:
            problems.append(t_("trailing white space %(ws)s is missing", ws=repr(source)))
        elif not source:
            problems.append(t_("extra trailing white space %(ws)s", ws=repr(target)))
        else:
            problems.append(
                t_(
                    "trailing white space differs: %(source)s in the source, "
                    "%(target)s in the translation",
                    source=repr(source),
                    target=repr(target),
                )
            )
    return problems


def _leading(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


def _trailing(text: str) -> str:
    return text[len(text.rstrip()) :]
