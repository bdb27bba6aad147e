"""Hugo shortcodes: the same sequence of names, kinds and delimiters, the same parameters
(only text parameters' values translated), and proper nesting across a whole document.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence
from difflib import SequenceMatcher
from typing import NamedTuple

from sync.checks.grammar import (
    _BACKSLASH_ESCAPE,
    _LABEL_WIDTH,
    _SHORTCODE,
    _SHORTCODE_NAME,
    _SHORTCODE_PARAM,
    _TEXT_PARAMS,
)
from sync.i18n import t_

__all__ = ["shortcode_problems"]


def shortcode_problems(
    source_text: str,
    translated_text: str,
    *,
    text_params: Collection[str] = _TEXT_PARAMS,
    first_lines: tuple[int, int] = (1, 1),
    kept: str | None = None,
) -> list[str]:
    """Shortcode problems of a whole translated document (a Markdown file submitted whole).

    The same rules as :func:`check_entry`'s across the document, with broken nesting named
    as such and line numbers: ``(line N)`` in the translation, ``(source line N)``.
    ``first_lines`` are the file lines where the source and the translated texts start (a
    body after its front matter). ``kept``: the translation as it stands (an update task's):
    a shortcode written exactly as it is there, against the same source shortcode, is the
    published translation's own form (a localized image), not the translator's change.

    >>> shortcode_problems("{{< note >}}\\nHi\\n{{< /note >}}\\n", "{{< note >}}\\nSelam\\n")
    ['shortcode {{< /note >}} is missing (source line 3)']
    >>> shortcode_problems('{{< figure src="a.png" >}}', '{{< figure src="a.tr.png" >}}',
    ...                    kept='{{< figure src="a.tr.png" >}}')
    []
    """
    if "{{" not in source_text and "{{" not in translated_text:
        return []
    source = _shortcodes(source_text)
    return _compare_shortcodes(
        source,
        _shortcodes(translated_text),
        text_params,
        texts=(source_text, translated_text),
        first_lines=first_lines,
        kept=_kept_forms(source, _shortcodes(kept)) if kept and "{{" in kept else None,
    )


def _kept_forms(source: list[_Shortcode], kept: list[_Shortcode]) -> dict[int, _Shortcode]:
    """The kept text's shortcode paired with each source shortcode (by position in
    ``source``), paired as the translation's are."""
    pairs = _pairs([c.key for c in source], [c.key for c in kept])
    return {i: kept[j] for i, j in pairs}


def _pairs(
    source_keys: list[tuple[str, ...]], target_keys: list[tuple[str, ...]]
) -> list[tuple[int, int]]:
    """Which target shortcode stands for which source shortcode (indexes): all in order
    when the keys agree, else the longest matching runs."""
    if source_keys == target_keys:
        return [(i, i) for i in range(len(source_keys))]
    matcher = SequenceMatcher(None, source_keys, target_keys, autojunk=False)
    return [(b.a + k, b.b + k) for b in matcher.get_matching_blocks() for k in range(b.size)]


class _Shortcode(NamedTuple):
    key: tuple[str, ...]  # (kind, delimiter, name) or ("escaped", text): what must match
    name: str
    params: str  # as written (an escaped shortcode: all of it)
    positional: tuple[str, ...]
    named: dict[str, str]
    start: int
    end: int

    @property
    def label(self) -> str:
        """The shortcode as problems show it: ``{{< /note >}}``, ``{{% capture overview %}}``."""
        kind, delim = self.key[0], self.key[1]
        if kind == "escaped":
            return delim
        close = ">" if delim == "<" else "%"
        if kind == "close":
            return f"{{{{{delim} /{self.name} {close}}}}}"
        end = f"/{close}}}}}" if kind == "self" else f"{close}}}}}"
        params = " ".join(self.params.split())
        label = f"{{{{{delim} {self.name} {params + ' ' if params else ''}{end}"
        return label if len(label) <= _LABEL_WIDTH else f"{{{{{delim} {self.name} … {end}"


def _shortcodes(text: str) -> list[_Shortcode]:
    """Every shortcode of ``text`` in order: opening, closing, self-closing or escaped."""
    found: list[_Shortcode] = []
    for m in _SHORTCODE.finditer(text):
        delim = "<" if m.group(1) else "%"
        body = m.group(2).strip()
        if body.startswith("/*") and body.endswith("*/") and len(body) >= 4:
            written = " ".join(m.group(0).split())
            found.append(_Shortcode(("escaped", written), "", written, (), {}, *m.span()))
            continue
        closing = body.startswith("/")
        if closing:
            body = body[1:].lstrip()
        name_match = _SHORTCODE_NAME.match(body)
        if name_match is None:
            continue  # "{{< >}}", "{{<-" …: not a shortcode
        name, rest = name_match.group(0), body[name_match.end() :]
        if closing:
            found.append(_Shortcode(("close", delim, name), name, "", (), {}, *m.span()))
            continue
        kind = "open"
        if rest.endswith("/") and (len(rest) == 1 or rest[-2] in " \t\r\n\"'`"):
            kind, rest = "self", rest[:-1]
        positional: list[str] = []
        named: dict[str, str] = {}
        for key, double, single, raw, bare in _SHORTCODE_PARAM.findall(rest):
            # findall gives "" for a group that did not take part: tell them apart by the text
            value = bare or single or raw or double
            if "\\" in value and not (bare or single or raw):
                value = _BACKSLASH_ESCAPE.sub(_unescaped, value)
            if key:
                named.setdefault(key, value)
            else:
                positional.append(value)
        found.append(
            _Shortcode((kind, delim, name), name, rest, tuple(positional), named, *m.span())
        )
    return found


def _unescaped(match: re.Match[str]) -> str:
    return match.group(1)


def _without_shortcodes(
    text: str, codes: Sequence[_Shortcode], text_params: Collection[str]
) -> str:
    """``text`` with each shortcode replaced by its text parameters' values (prose)."""
    pieces: list[str] = []
    pos = 0
    for code in codes:
        pieces.append(text[pos : code.start])
        prose = [v for k, v in code.named.items() if k in text_params]
        pieces.append(f" {' '.join(prose)} " if prose else " ")
        pos = code.end
    pieces.append(text[pos:])
    return "".join(pieces)


def _compare_shortcodes(
    source: list[_Shortcode],
    target: list[_Shortcode],
    text_params: Collection[str],
    *,
    texts: tuple[str, str] | None = None,
    first_lines: tuple[int, int] = (1, 1),
    kept: dict[int, _Shortcode] | None = None,
) -> list[str]:
    """Shortcode problems; with ``texts`` (whole documents), each says on which line.
    ``kept``: by source position, the shortcode the current translation writes there (its
    parameters, if the translation writes them alike, are not the translator's change)."""

    def at(code: _Shortcode, in_source: bool = False) -> str:
        if texts is None:
            return ""
        side = 0 if in_source else 1
        line = texts[side].count("\n", 0, code.start) + first_lines[side]
        return (
            t_(" (source line %(line)d)", line=line)
            if in_source
            else t_(" (line %(line)d)", line=line)
        )

    source_keys, target_keys = [c.key for c in source], [c.key for c in target]
    indexes = _pairs(source_keys, target_keys)
    problems: list[str] = []
    if source_keys != target_keys:
        paired_source = {i for i, _ in indexes}
        paired_target = {j for _, j in indexes}
        missing = Counter(source_keys) - Counter(target_keys)
        extra = Counter(target_keys) - Counter(source_keys)
        for i, code in enumerate(source):
            if i not in paired_source and missing[code.key] > 0:
                missing[code.key] -= 1
                problems.append(
                    t_(
                        "shortcode %(code)s is missing%(where)s",
                        code=code.label,
                        where=at(code, True),
                    )
                )
        for j, code in enumerate(target):
            if j not in paired_target and extra[code.key] > 0:
                extra[code.key] -= 1
                problems.append(
                    t_("extra shortcode %(code)s%(where)s", code=code.label, where=at(code))
                )
        if not problems:  # the same shortcodes, moved
            nesting = _nesting(target) if not _nesting(source) else []
            if nesting:
                problems += [
                    t_("%(problem)s%(where)s", problem=message, where=at(code))
                    for message, code in nesting
                ]
            else:
                i = next(
                    i
                    for i, (a, b) in enumerate(zip(source_keys, target_keys, strict=True))
                    if a != b
                )
                problems.append(
                    t_(
                        "shortcodes are in another order: %(found)s%(where)s is where the source "
                        "has %(wanted)s%(source_where)s",
                        found=target[i].label,
                        where=at(target[i]),
                        wanted=source[i].label,
                        source_where=at(source[i], True),
                    )
                )
    for i, j in indexes:
        old, new = source[i], target[j]
        same = kept.get(i) if kept else None
        if same is not None and (same.positional, same.named) == (new.positional, new.named):
            continue  # as the current translation writes it
        if old.key[0] in ("open", "self"):
            problems += [
                t_(
                    "shortcode %(name)s%(where)s: %(problem)s",
                    name=old.name,
                    where=at(new),
                    problem=p,
                )
                for p in _parameter_problems(old, new, text_params)
            ]
    return problems


def _parameter_problems(
    old: _Shortcode, new: _Shortcode, text_params: Collection[str]
) -> list[str]:
    problems: list[str] = []
    if old.positional != new.positional:
        for n, (a, b) in enumerate(zip(old.positional, new.positional, strict=False), start=1):
            if a != b:
                problems.append(
                    t_(
                        'positional parameter %(n)d changed from "%(old)s" to '
                        '"%(new)s"; positional parameters may not be translated',
                        n=n,
                        old=a,
                        new=b,
                    )
                )
        shared = min(len(old.positional), len(new.positional))
        problems += [
            t_('positional parameter %(n)d "%(value)s" is missing', n=n, value=v)
            for n, v in enumerate(old.positional[shared:], start=shared + 1)
        ]
        problems += [
            t_('extra positional parameter %(n)d "%(value)s"', n=n, value=v)
            for n, v in enumerate(new.positional[shared:], start=shared + 1)
        ]
    if old.named == new.named:
        return problems
    for key, value in old.named.items():
        if key not in new.named:
            problems.append(t_("parameter %(key)s is missing", key=key))
        elif new.named[key] != value and key not in text_params:
            translatable = (
                t_("only %(params)s may be translated", params=", ".join(text_params))
                if text_params
                else t_("no parameter may be translated")
            )
            problems.append(
                t_(
                    'parameter %(key)s changed from "%(old)s" to "%(new)s"; %(translatable)s',
                    key=key,
                    old=value,
                    new=new.named[key],
                    translatable=translatable,
                )
            )
    problems += [
        t_('extra parameter %(key)s="%(value)s"', key=key, value=value)
        for key, value in new.named.items()
        if key not in old.named
    ]
    return problems


def _nesting(codes: list[_Shortcode]) -> list[tuple[str, _Shortcode]]:
    """(problem, where) for closing shortcodes that do not close an open one.

    An opening shortcode never closed is fine: many (``ref``, ``glossary_tooltip``) take
    no inner content.
    """
    problems: list[tuple[str, _Shortcode]] = []
    stack: list[_Shortcode] = []
    cut: dict[str, _Shortcode] = {}  # an opening one left open by an outer closing one
    for code in codes:
        kind = code.key[0]
        if kind == "open":
            stack.append(code)
        elif kind == "close":
            for k in range(len(stack) - 1, -1, -1):
                if stack[k].name == code.name:
                    cut |= {inner.name: code for inner in stack[k + 1 :]}
                    del stack[k:]
                    break
            else:
                if code.name in cut:
                    problems.append(
                        (
                            t_(
                                "shortcode %(code)s comes after %(other)s: shortcodes must nest",
                                code=code.label,
                                other=cut.pop(code.name).label,
                            ),
                            code,
                        )
                    )
                else:
                    problems.append(
                        (
                            t_(
                                "closing shortcode %(code)s has no opening shortcode",
                                code=code.label,
                            ),
                            code,
                        )
                    )
    return problems
