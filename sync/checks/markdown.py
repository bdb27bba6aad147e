"""Markdown: the same emphasis markers and backticks, counted outside code spans; hard line
breaks not written as plain new lines."""

from __future__ import annotations

from sync.checks.grammar import _CODE_SPAN, _ESCAPED, _INTRAWORD_UNDERSCORE, _STAR
from sync.i18n import nt_, t_
from sync.segments.markdown import HARD_BREAK, inline_text


def _without_code(text: str) -> str:
    """The text with the contents of Markdown code spans removed (backticks kept)."""
    if "\\" in text:
        text = _ESCAPED.sub(" ", text)
    if "`" in text:
        text = _CODE_SPAN.sub(lambda m: m.group(1) * 2, text)
    return text


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
    "**": t_("bold marker **"),
    "__": t_("bold marker __"),
    "*": t_("emphasis marker *"),
    "_": t_("emphasis marker _"),
    "`": t_("code marker `"),
}


def _check_markdown(msgid: str, msgstr: str) -> list[str]:
    """Arguments: msgid and msgstr through ``_without_code`` and ``_strip_non_numbers``."""
    source, target = _markdown_markers(msgid), _markdown_markers(msgstr)
    if source == target:
        return []
    problems: list[str] = []
    for marker, label in _MARKER_NAMES.items():
        if source[marker] != target[marker]:
            problems.append(
                t_(
                    "Markdown %(marker)s is missing: %(source)d in the source, %(target)d in "
                    "the translation",
                    marker=label,
                    source=source[marker],
                    target=target[marker],
                )
                if source[marker] > target[marker]
                else t_(
                    "Markdown %(marker)s is extra: %(source)d in the source, %(target)d in the "
                    "translation",
                    marker=label,
                    source=source[marker],
                    target=target[marker],
                )
            )
    return problems


def _check_hard_breaks(msgid: str, msgstr: str) -> list[str]:
    r"""A source with hard line breaks and a translation whose line breaks are all plain new
    lines, which Markdown reads as spaces (the text would be published on one line). A
    translation on one line is the translator's choice; one with a break written either way
    (a backslash, or two trailing spaces) passes.

    >>> _check_hard_breaks("Street 12\\\nAnkara", "Cadde 12\\\nAnkara")
    []
    >>> _check_hard_breaks("Street 12\\\nAnkara", "Cadde 12, Ankara")
    []
    >>> _check_hard_breaks("Street 12\\\nAnkara", "Cadde 12\nAnkara")[0][:36]
    'the source has 1 line break (a backs'
    """
    if HARD_BREAK not in msgid or ("\n" not in msgstr and "\r" not in msgstr):
        return []
    if HARD_BREAK in inline_text(msgstr):
        return []
    n = msgid.count(HARD_BREAK)
    return [
        nt_(
            "the source has %(n)d line break (a backslash at the end of the line) and the "
            "translation only plain new lines, which Markdown reads as spaces: end the line "
            "with a backslash, as the source does, or write the translation on one line",
            "the source has %(n)d line breaks (a backslash at the end of the line) and the "
            "translation only plain new lines, which Markdown reads as spaces: end the line "
            "with a backslash, as the source does, or write the translation on one line",
            n,
            n=n,
        )
    ]
