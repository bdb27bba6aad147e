"""The catalog model: entries, headers, counts, and building one language's catalog.

A catalog holds one language: ``msgctxt`` is the post key, ``msgid`` a source segment,
``msgstr`` its translation; stale segments are ``#, fuzzy`` with the old source text as
``#| msgid``. Building is pure and deterministic; the renderers (:mod:`sync.catalog.po`,
:mod:`sync.catalog.mo`) and the stream (:mod:`sync.catalog.stream`) share what is here.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import polib
from babel.core import UnknownLocaleError
from babel.messages.plurals import get_plural

__all__ = [
    "CatalogCounts",
    "CatalogEntry",
    "build_catalog",
    "count_entries",
    "newlines_differ",
    "plural_forms",
]

#: Width at which PO lines are wrapped (Poedit and msgcat use 79).
WRAP_WIDTH = 79
PROJECT = "transync-posts"
DEFAULT_PLURAL_FORMS = "nplurals=2; plural=(n != 1);"
_FIXED_PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "tr": "nplurals=2; plural=(n != 1);",
    "ru": (
        "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
        "(n%100<10 || n%100>=20) ? 1 : 2);"
    ),
}
#: Headers build_catalog computes itself; extra_headers may not redefine them.
_OWN_HEADERS = frozenset(
    {
        "Language",
        "Plural-Forms",
        "PO-Revision-Date",
        "X-Generator",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    }
)
_HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_FUZZY = "fuzzy"


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogEntry:
    """One segment of one post in one language's catalog.

    ``key`` becomes msgctxt; ``previous_msgid`` is the old source text of a stale
    segment (``#| msgid``); ``comments`` are ``#.`` lines; ``occurrences`` are
    ``#:`` references (paths or URLs; white space, ``*``, ``\\`` and control
    characters are percent-encoded, e.g. ``my%20post.md``, so that each stays one
    word for polib and gettext; ``urllib.parse.unquote`` gives the original back).
    """

    key: str
    msgid: str
    msgstr: str = ""
    fuzzy: bool = False
    previous_msgid: str | None = None
    comments: tuple[str, ...] = ()
    occurrences: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # more ``#,`` flags (``keep-source``)

    def __post_init__(self) -> None:
        if not self.msgid:
            raise ValueError(f"post {self.key!r}: a catalog entry needs a non-empty msgid")
        for name in ("key", "msgid", "msgstr", "previous_msgid"):
            value = getattr(self, name)
            if value is not None and ("\x00" in value or "\x04" in value or _has_surrogate(value)):
                raise ValueError(
                    f"post {self.key!r}: {name} contains NUL, U+0004 (the context separator) "
                    "or a lone surrogate, which a PO file cannot hold"
                )


@dataclass(frozen=True, kw_only=True, slots=True)
class CatalogCounts:
    """Entry counts as ``msgfmt --statistics`` reports them."""

    translated: int
    fuzzy: int
    untranslated: int


def plural_forms(lang: str) -> str:
    """The Plural-Forms header for a language code such as ``tr``, ``ru_RU`` or ``pt-BR``.

    >>> plural_forms("tr")
    'nplurals=2; plural=(n != 1);'
    >>> plural_forms("ja")
    'nplurals=1; plural=0;'
    """
    code = lang.strip().replace("-", "_")
    primary = code.split("_", 1)[0].lower()
    if primary in _FIXED_PLURAL_FORMS:
        return _FIXED_PLURAL_FORMS[primary]
    for candidate in (code, primary):
        if not candidate:
            continue
        try:
            return str(get_plural(candidate).plural_forms)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
    return DEFAULT_PLURAL_FORMS


def build_catalog(
    lang: str,
    entries: Iterable[CatalogEntry],
    *,
    revision_date: datetime | None,
    version: str,
    extra_headers: Mapping[str, str] | None = None,
) -> polib.POFile:
    """A catalog for ``lang`` holding ``entries`` in the order given (the caller sorts).

    ``revision_date`` is the latest change included (naive means UTC), not the time
    of export. A repeated (key, msgid) keeps the first entry and merges the others'
    comments and occurrences. An entry is fuzzy only if it has a msgstr (msgfmt
    counts an empty fuzzy entry as untranslated). A translation whose leading or
    trailing newline differs from the msgid's, which ``msgfmt --check`` rejects, is
    written fuzzy with a ``#.`` note (see :func:`newlines_differ`).
    """
    catalog = polib.POFile(wrapwidth=WRAP_WIDTH, encoding="utf-8")
    catalog.header = (
        f"Posts translated into {lang}, exported by transync.\n"
        "Do not edit: translate through 'transync po' and 'transync submit'."
    )
    catalog.metadata = _headers(lang, revision_date, version, extra_headers or {})
    seen: dict[tuple[str, str], polib.POEntry] = {}
    for entry in entries:
        _add_entry(catalog, seen, entry)
    return catalog


def _add_entry(
    out: list[polib.POEntry], seen: dict[tuple[str, str], polib.POEntry], entry: CatalogEntry
) -> None:
    """Append ``entry`` as a POEntry, or merge it into the one ``seen`` for its (key, msgid)."""
    comments = [_comment(line) for c in entry.comments for line in c.splitlines()]
    comments = [line for line in comments if line]
    occurrences = [_occurrence(o) for o in entry.occurrences if o.strip()]
    existing = seen.get((entry.key, entry.msgid))
    if existing is not None:
        _merge(existing, comments, occurrences)
        return
    fuzzy = entry.fuzzy and bool(entry.msgstr)
    if entry.msgstr and not fuzzy and newlines_differ(entry.msgid, entry.msgstr):
        fuzzy = True
        comments.append(
            "transync: fuzzy because msgid and msgstr differ in a leading or trailing newline"
        )
    po_entry = polib.POEntry(
        msgctxt=entry.key,
        msgid=entry.msgid,
        msgstr=entry.msgstr,
        flags=[*([_FUZZY] if fuzzy else []), *entry.flags],
        previous_msgid=entry.previous_msgid,
        comment="\n".join(_unique(comments)),
        occurrences=[(o, "") for o in _unique(occurrences)],
    )
    seen[(entry.key, entry.msgid)] = po_entry
    out.append(po_entry)


def newlines_differ(msgid: str, msgstr: str) -> bool:
    """Whether msgfmt --check would reject this pair: one starts or ends with a newline
    and the other does not.

    >>> newlines_differ("a\\n", "b")
    True
    """
    return (msgid.startswith("\n") != msgstr.startswith("\n")) or (
        msgid.endswith("\n") != msgstr.endswith("\n")
    )


def count_entries(catalog: polib.POFile) -> CatalogCounts:
    """Translated, fuzzy and untranslated entries, counted the way ``msgfmt --statistics`` does."""
    tally = [0, 0, 0]
    _tally(tally, catalog)
    return CatalogCounts(translated=tally[0], fuzzy=tally[1], untranslated=tally[2])


def _tally(tally: list[int], entries: Iterable[polib.POEntry]) -> None:
    """Add [translated, fuzzy, untranslated] of non-obsolete ``entries`` to ``tally``."""
    for entry in entries:
        if entry.obsolete:
            continue
        if not _first_msgstr(entry):
            tally[2] += 1
        elif _FUZZY in entry.flags:
            tally[1] += 1
        else:
            tally[0] += 1


def _require_utf8(catalog: polib.POFile) -> None:
    """Both renderers write UTF-8; a header declaring another charset would lie."""
    match = re.search(r"charset=([\w.:-]+)", catalog.metadata.get("Content-Type", ""))
    if match and match.group(1).upper() not in ("UTF-8", "UTF8", "CHARSET"):
        raise ValueError(
            f"the catalog declares charset={match.group(1)}; set Content-Type to "
            "'text/plain; charset=UTF-8' before rendering (transync writes UTF-8 only)"
        )


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _headers(
    lang: str, revision_date: datetime | None, version: str, extra: Mapping[str, str]
) -> dict[str, str]:
    if revision_date is None:
        stamp = "1970-01-01 00:00+0000"
    else:
        if revision_date.tzinfo is not None:
            revision_date = revision_date.astimezone(UTC)
        stamp = revision_date.strftime("%Y-%m-%d %H:%M+0000")
    headers = {
        "Project-Id-Version": PROJECT,
        "PO-Revision-Date": stamp,
        "Last-Translator": "transync",
        "Language-Team": lang,
        "Language": lang,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": plural_forms(lang),
        "X-Generator": f"transync {version}",
    }
    for header_name in sorted(extra):
        value = extra[header_name]
        if not _HEADER_NAME.match(header_name) or header_name in _OWN_HEADERS:
            raise ValueError(f"extra header {header_name!r} is not allowed")
        if any(c in value for c in "\r\n\x00"):
            raise ValueError(f"extra header {header_name!r} has a line break in its value")
        headers[header_name] = value
    for line in (lang, version):
        if any(c in line for c in "\r\n\x00"):
            raise ValueError(f"{line!r} cannot go into a PO header")
    return headers


def _comment(line: str) -> str:
    """A ``#.`` line: white space collapsed (as polib reads it back), no word-final backslash.

    gettext joins a line ending in a backslash with the next one, which would swallow
    the ``#, fuzzy`` flag; lines are wrapped between words, so no word may end with one.
    """
    return _WORD_FINAL_BACKSLASH.sub("%5C", " ".join(line.split()))


_WORD_FINAL_BACKSLASH = re.compile(r"\\(?=\s|\Z)")


_PLAIN_REFERENCE = re.compile(r"[^\s*\\\x00-\x1f\x7f]*\Z")


@functools.lru_cache(maxsize=4096)
def _occurrence(reference: str) -> str:
    """A ``#:`` reference as one word: white space, ``*``, ``\\`` and controls percent-encoded.

    polib splits ``#:`` lines on white space and, when wrapping, turns ``*`` into ``-``;
    gettext joins a line ending in a backslash with the next one.
    """
    reference = reference.strip()
    if _PLAIN_REFERENCE.match(reference):
        return reference
    out = []
    for char in reference:
        if char.isspace() or char in "*\\" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8")))
        else:
            out.append(char)
    return "".join(out)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _merge(entry: polib.POEntry, comments: list[str], occurrences: list[str]) -> None:
    old_comments = entry.comment.split("\n") if entry.comment else []
    entry.comment = "\n".join(_unique(old_comments + comments))
    known = {path for path, _ in entry.occurrences}
    entry.occurrences += [(o, "") for o in _unique(occurrences) if o not in known]


def _first_msgstr(entry: polib.POEntry) -> str:
    if entry.msgid_plural:
        return str(entry.msgstr_plural.get(0, ""))
    return str(entry.msgstr)
