"""Links: the same URLs and Markdown link targets, where a site-absolute one may gain the
translation's language prefix; ``javascript:``, ``vbscript:`` and ``data:`` URLs refused.
"""

from __future__ import annotations

import html

from sync.checks.grammar import (
    _AUTOLINK,
    _CODE_SPAN,
    _DANGEROUS_SCHEME,
    _LINK_TARGET,
    _ORIGIN,
    _TAG,
    _URL,
    _URL_NOISE,
    _URL_TRAILING,
)
from sync.i18n import t_


def _without_tags(text: str) -> str:
    """``text`` without its HTML tags, keeping `code spans` as they are."""
    if "<" not in text or (":" not in text and "](" not in text):  # no link to hide
        return text
    if "`" not in text:
        return _TAG.sub(" ", text)
    pieces: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        pieces += [_TAG.sub(" ", text[pos : m.start()]), m.group(0)]
        pos = m.end()
    pieces.append(_TAG.sub(" ", text[pos:]))
    return "".join(pieces)


def _urls(text: str) -> set[str]:
    found = {m.rstrip(_URL_TRAILING) for m in _URL.findall(text)} if "://" in text else set()
    if "](" in text:
        for angled, bare in _LINK_TARGET.findall(text):
            target = (angled or bare).strip()
            if target:
                found.add(target)
    if "<" in text and ":" in text:  # autolinks other than http(s) matter when dangerous
        found |= {u for u in _AUTOLINK.findall(text) if _dangerous_url(u)}
    return found


def _check_urls(msgid: str, msgstr: str, lang: str | None) -> list[str]:
    source, target = _urls(msgid), _urls(msgstr)
    if source == target:
        return []
    found: set[str] = set()
    extra: list[str] = []
    for url in sorted(target):
        if url in source:
            found.add(url)
        elif (
            lang
            and (original := next((s for s in source if _same_link(s, url, lang)), None))
            is not None
        ):
            found.add(original)
        else:
            extra.append(url)
    problems: list[str] = [t_("URL %(url)s is missing", url=u) for u in sorted(source - found)]
    for url in extra:
        dangerous = _dangerous_url(url)
        problems.append(
            t_(
                "URL %(url)s is not allowed: a translation may not add %(scheme)s: links",
                url=url,
                scheme=_scheme(dangerous),
            )
            if dangerous
            else t_("extra URL %(url)s", url=url)
        )
    return problems


def _same_link(source: str, target: str, lang: str) -> bool:
    """Whether ``target`` is ``source``, or ``source`` with the language prefix added."""
    if target == source:
        return True
    unprefixed = _without_lang_prefix(target, lang)
    return unprefixed is not None and (
        unprefixed == source
        or (unprefixed == source + "/" and _ORIGIN.fullmatch(source) is not None)
    )


def _without_lang_prefix(url: str, lang: str) -> str | None:
    """``/ru/docs/x`` → ``/docs/x``, ``https://site/ru`` → ``https://site/``; None when
    ``url`` is not site-absolute or has no ``lang`` prefix."""
    if url.startswith("/") and not url.startswith("//"):
        origin, path = "", url
    elif (m := _ORIGIN.match(url)) is not None:
        origin, path = m.group(0), url[m.end() :]
    else:
        return None
    end = len(lang) + 1
    if path[:end].lower() != f"/{lang.lower()}" or path[end : end + 1] not in ("", "/", "?", "#"):
        return None
    rest = path[end:]
    return origin + (rest if rest.startswith("/") else "/" + rest)


def _dangerous_url(value: str) -> str | None:
    """``value`` as a browser reads its scheme, when that is javascript:, vbscript: or data:."""
    if ":" not in value and "&" not in value:
        return None
    url = _URL_NOISE.sub("", html.unescape(value) if "&" in value else value)
    return url if _DANGEROUS_SCHEME.match(url) else None


def _scheme(url: str | None) -> str:
    return (url or "").split(":", 1)[0].lower()
