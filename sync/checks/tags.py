"""HTML tags: the same tags, closed where the source closes them, with the source's
attributes; no event handlers or dangerous URLs the source does not have.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from sync.checks.grammar import (
    _ACTIVE_ATTRIBUTES,
    _ATTRIBUTE,
    _LINK_ATTRIBUTES,
    _NO_ATTRIBUTES,
    _PROSE_ATTRIBUTES,
    _TAG,
    _VOID_TAGS,
)
from sync.checks.links import _dangerous_url, _same_link, _scheme
from sync.checks.multiset import _check_multiset
from sync.i18n import t_


def _tags(text: str) -> list[tuple[bool, str, bool, str]]:
    """(closing, name, self_closing, attributes' text) for each HTML tag."""
    return [
        (closing == "/", name.lower(), inside.endswith("/"), inside)
        for closing, name, inside in _TAG.findall(text)
    ]


def _balance(tags: Iterable[tuple[bool, str, bool, str]]) -> list[str]:
    problems: list[str] = []
    stack: list[str] = []
    for closing, name, self_closing, _ in tags:
        if name in _VOID_TAGS or self_closing:
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        elif name in stack:
            while stack[-1] != name:
                problems.append(
                    t_(
                        "HTML tag <%(tag)s> is not closed before </%(closing)s>",
                        tag=stack.pop(),
                        closing=name,
                    )
                )
            stack.pop()
        else:
            problems.append(t_("closing tag </%(tag)s> has no opening tag", tag=name))
    problems += [t_("HTML tag <%(tag)s> is not closed", tag=name) for name in reversed(stack)]
    return problems


def _check_tags(msgid: str, msgstr: str, lang: str | None) -> list[str]:
    source, target = _tags(msgid), _tags(msgstr)
    if not source and not target:
        return []
    problems = _check_multiset(
        [f"<{name}>" for closing, name, _, _ in source if not closing],
        [f"<{name}>" for closing, name, _, _ in target if not closing],
        "HTML tag",
    )
    if not _balance(source):
        problems += _balance(target)
    else:  # the source leaves tags open (a block split over segments): compare closings
        problems += _check_multiset(
            [f"</{name}>" for closing, name, _, _ in source if closing],
            [f"</{name}>" for closing, name, _, _ in target if closing],
            "closing tag",
        )
    if any(a.strip(_NO_ATTRIBUTES) for _, _, _, a in source + target):
        problems += _check_attributes(source, target, lang)
    return problems


def _opening_tags(
    tags: list[tuple[bool, str, bool, str]],
) -> list[tuple[str, dict[str, str]]]:
    """(name, attributes) for each opening tag of ``_tags``; values entity-decoded."""
    found: list[tuple[str, dict[str, str]]] = []
    for closing, name, _, inside in tags:
        if closing:
            continue
        attributes: dict[str, str] = {}
        if inside.strip(_NO_ATTRIBUTES):
            for a in _ATTRIBUTE.finditer(inside):
                value = next((v for v in a.group(2, 3, 4) if v is not None), "")
                attributes.setdefault(
                    a.group(1).lower(), html.unescape(value) if "&" in value else value
                )
        found.append((name, attributes))
    return found


def _is_active(attribute: str) -> bool:
    """An attribute that runs or restyles something: event handlers, style, srcdoc …"""
    return attribute.startswith("on") or attribute in _ACTIVE_ATTRIBUTES


def _check_attributes(
    source_tags: list[tuple[bool, str, bool, str]],
    target_tags: list[tuple[bool, str, bool, str]],
    lang: str | None,
) -> list[str]:
    """Each tag's attributes against its source counterpart's (the n-th tag of its name)."""
    source, target = _opening_tags(source_tags), _opening_tags(target_tags)
    problems: list[str] = []
    # Active attributes and dangerous URLs the source does not have, in any tag.
    allowed_active = {
        (n, a, v) for n, attributes in source for a, v in attributes.items() if _is_active(a)
    }
    allowed_urls = {
        u
        for _, attributes in source
        for a, v in attributes.items()
        if a not in _PROSE_ATTRIBUTES and (u := _dangerous_url(v))
    }
    refused: set[tuple[int, str]] = set()
    for i, (name, attributes) in enumerate(target):
        for attribute, value in attributes.items():
            if _is_active(attribute) and (name, attribute, value) not in allowed_active:
                problems.append(
                    t_(
                        "HTML tag <%(tag)s>: attribute %(attribute)s is not allowed "
                        "unless the source has it, with the same value",
                        tag=name,
                        attribute=attribute,
                    )
                )
                refused.add((i, attribute))
            elif (
                attribute not in _PROSE_ATTRIBUTES
                and (url := _dangerous_url(value))
                and (url not in allowed_urls)
            ):
                problems.append(
                    t_(
                        "HTML tag <%(tag)s>: attribute %(attribute)s holds a "
                        "%(scheme)s: URL that the source does not have",
                        tag=name,
                        attribute=attribute,
                        scheme=_scheme(url),
                    )
                )
                refused.add((i, attribute))
    # Tag by tag, per name; a name whose count differs is the tag check's problem.
    by_name: dict[str, tuple[list[dict[str, str]], list[tuple[int, dict[str, str]]]]] = {}
    for name, attributes in source:
        by_name.setdefault(name, ([], []))[0].append(attributes)
    for i, (name, attributes) in enumerate(target):
        by_name.setdefault(name, ([], []))[1].append((i, attributes))
    for name, (olds, news) in by_name.items():
        if len(olds) != len(news):
            continue
        for n, (old, (i, new)) in enumerate(zip(olds, news, strict=True), start=1):
            if old == new:
                continue
            tag = (
                t_("HTML tag <%(tag)s> (number %(n)d)", tag=name, n=n)
                if len(olds) > 1
                else t_("HTML tag <%(tag)s>", tag=name)
            )
            for attribute, value in old.items():
                if attribute not in new:
                    problems.append(
                        t_(
                            "%(tag)s: attribute %(attribute)s is missing",
                            tag=tag,
                            attribute=attribute,
                        )
                    )
                    continue
                changed = new[attribute]
                if changed == value or attribute in _PROSE_ATTRIBUTES or (i, attribute) in refused:
                    continue
                if attribute in _LINK_ATTRIBUTES:
                    if lang and _same_link(value, changed, lang):
                        continue
                    hint = (
                        t_("; a link may only gain the language prefix /%(lang)s", lang=lang)
                        if lang
                        else t_("; a link must stay as in the source")
                    )
                else:
                    hint = t_("; only title and alt may be translated")
                problems.append(
                    t_(
                        '%(tag)s: attribute %(attribute)s changed from "%(old)s" '
                        'to "%(new)s"%(hint)s',
                        tag=tag,
                        attribute=attribute,
                        old=value,
                        new=changed,
                        hint=hint,
                    )
                )
            problems += [
                t_(
                    '%(tag)s: extra attribute %(attribute)s="%(value)s"',
                    tag=tag,
                    attribute=attribute,
                    value=value,
                )
                for attribute, value in new.items()
                if attribute not in old and (i, attribute) not in refused
            ]
    return problems
