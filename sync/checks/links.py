"""Links: the same URLs and Markdown link targets, where a site-absolute one may gain the
translation's language prefix; ``javascript:``, ``vbscript:`` and ``data:`` URLs refused.
"""

from __future__ import annotations

import functools
import html
from typing import Any

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


def _check_link_syntax(msgid: str, msgstr: str, lang: str | None) -> list[str]:
    """Markdown links and images of the source that the translation no longer writes as
    links, though it keeps their target (a bracket turned into a parenthesis, a space
    before ``(``, a lost ``)``): the URL check finds the target and is content, the page
    shows the broken syntax as text. A target the translation lost is the URL check's.

    >>> _check_link_syntax("The [Food](https://x/) plan.", "Le (Food](https://x/) plan.", "fr")
    ['link https://x/ is no longer a Markdown link: write it as [text](https://x/)']
    >>> _check_link_syntax("See [docs](/d/).", "Bkz. [belgeler](/tr/d/).", "tr")
    []
    """
    source, target = _markdown_links(msgid), _markdown_links(msgstr)
    if sorted(source) == sorted(target):
        return []
    left = list(source)
    for found in target:
        same = next(
            (
                i
                for i, s in enumerate(left)
                if s == found or (lang and s[0] == found[0] and _same_link(s[1], found[1], lang))
            ),
            None,
        )
        if same is not None:
            del left[same]
    kept = _urls(msgstr)
    written = {html.unescape(u) for u in kept} | kept
    problems = []
    for kind, url in sorted(set(left)):
        if not any(url in (w, _normalized(w)) for w in written):
            continue  # lost altogether: the URL check says so
        problems.append(
            t_(
                "image %(url)s is no longer a Markdown image: write it as ![text](%(url)s)",
                url=url,
            )
            if kind == "image"
            else t_(
                "link %(url)s is no longer a Markdown link: write it as [text](%(url)s)",
                url=url,
            )
        )
    return problems


def _markdown_links(text: str) -> list[tuple[str, str]]:
    """(``link`` or ``image``, target) of every complete inline Markdown link and image."""
    if "](" not in text:
        return []
    found = []
    for token in _inline_parser().parseInline(text)[0].children or ():
        if token.type == "link_open":
            found.append(("link", str(token.attrGet("href") or "")))
        elif token.type == "image":
            found.append(("image", str(token.attrGet("src") or "")))
    return found


def _normalized(url: str) -> str:
    """A target as the Markdown parser gives it (percent-encoded)."""
    return str(_inline_parser().normalizeLink(url))


@functools.cache
def _inline_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


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
