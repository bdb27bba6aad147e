"""The status matrix as values: cells, rows, filters, the per-language summary, and the
document `transync status --json` prints and GET /api/v1/status returns, written whole or
streamed post by post (the same bytes either way).

Pure: no database. Rows come from sync.status (SQLAlchemy, for the web and planning) or
sync.matrixdb (the database driver alone, for the command line's quick start).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.config import Settings
from sync.state import STATES, State, translation_state
from sync.text import title_text


def iso(value: dt.datetime | None) -> str | None:
    """RFC 3339 UTC with a Z: ``2026-11-28T07:00:00Z``."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


#: Sources whose titles are HTML, as WordPress keeps them; and so are a content file's
#: when the file is HTML (its title is read as the body's format has it: sync.analysis).
HTML_TITLE_SOURCES = ("wp:", "wxr:")
HTML_TITLE_FILES = (".html", ".htm")


def version_title(version: Any) -> str:
    """A version's title as text, as its title segment (and so every catalog) has it: a
    WordPress title ``Fish &amp; Chips`` is shown as ``Fish & Chips``."""
    is_html = version.source.startswith(HTML_TITLE_SOURCES) or (
        version.source.startswith("fs:") and version.origin.lower().endswith(HTML_TITLE_FILES)
    )
    return title_text(version.title or "", is_html=is_html)


@dataclass(slots=True)
class Cell:
    state: State
    version: Any | None  # a Version row (or None when missing)
    task: Any | None = None

    def words(self, source: Any | None) -> int:
        """The work in words: a source's own, a stale translation's changed and added source
        segments, a missing one's whole source; none for the rest (sync.words)."""
        if self.state is State.SOURCE:
            return self.version.words or 0
        if self.state is State.STALE:
            return self.version.stale_words or 0
        if self.state is State.MISSING and source is not None and not source.deleted:
            return source.words or 0
        return 0

    def as_dict(self, source: Any | None) -> dict[str, Any]:
        out: dict[str, Any] = {"state": str(self.state), "words": self.words(source)}
        v = self.version
        if v is not None and self.state is State.MISSING and v.stub and not v.deleted:
            out["detail"] = "stub"  # a placeholder file the site keeps: missing all the same
            out["origin"] = v.origin
        if v is not None and self.state is not State.MISSING:
            out["revision"] = v.revision
            if self.state is not State.SOURCE:
                out["based_on_revision"] = v.based_on_revision
                if self.state in (State.CURRENT, State.STALE):
                    out["baseline"] = v.baseline or "assumed"
                if self.state is State.STALE:
                    out["changed_segments"] = v.changed_segments
                    out["added_segments"] = v.added_segments
                    out["removed_segments"] = v.removed_segments
                if source is not None:
                    out["total_segments"] = source.segment_count
                if self.state is State.STALE:
                    out["stale_since"] = iso(v.stale_since)
            out["draft"] = v.draft
            out["origin"] = v.origin
        if self.task is not None:
            out["task"] = {
                "id": self.task.id,
                "state": self.task.state,
                "assignee": self.task.assignee,
            }
        return out


@dataclass(slots=True)
class Row:
    post: Any
    source: Any | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.source is not None:
            return version_title(self.source)
        for cell in self.cells.values():
            if cell.version is not None:
                return version_title(cell.version)
        return self.post.key

    def as_dict(self) -> dict[str, Any]:
        src = self.source
        return {
            "key": self.post.key,
            "source_lang": self.post.source_lang,
            "source_revision": src.revision if src else None,
            "source_hash": src.content_hash[:16] if src else None,
            "title": self.title,
            "draft": bool(src.draft) if src else False,
            "versions": {lang: c.as_dict(src) for lang, c in self.cells.items()},
        }


def cell_state(post: Any, lang: str, v: Any | None, src: Any | None) -> State:
    alive = v is not None and not v.deleted and not v.stub
    if lang == post.source_lang and alive:
        return State.SOURCE
    return translation_state(
        version_alive=alive,
        source_alive=src is not None and not src.deleted and not src.stub,
        based_on=v.based_on_revision if v is not None else None,
        source_revision=src.revision if src is not None else None,
    )


# Turkish has two letters I: dotted İ/i and dotless I/ı. casefold() knows only the English
# pair (I→i, İ→i̇ with a combining dot), so "KISA" never found "Kısa". A search box should
# be lenient rather than exact: every I (I, İ, i, ı) folds to one plain i, so "kisa",
# "KISA", "KİSA" and "Kısa" all find each other. The cost (an English "I" also finds a
# Turkish "ı") is a few extra rows, never a missed one.
_ALL_I = str.maketrans({"I": "i", "İ": "i", "ı": "i"})


def search_fold(text: str) -> str:
    """Text as the matrix's text filter compares it: casefolded, every I a plain i.

    >>> search_fold("KİSA Kısa KISA") == search_fold("kisa kisa kisa")
    True
    """
    return unicodedata.normalize("NFC", text).translate(_ALL_I).casefold()


@dataclass(frozen=True, kw_only=True)
class Filters:
    langs: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    post: str | None = None
    text: str | None = None
    translator: str | None = None
    baselines: tuple[str, ...] = ()

    def keep(self, row: Row, langs: Sequence[str]) -> bool:
        if self.post and not (
            fnmatch.fnmatchcase(row.post.key, self.post) or self.post in row.post.key
        ):
            return False
        if self.text and search_fold(self.text) not in search_fold(row.post.key + " " + row.title):
            return False
        cells = [row.cells[lang] for lang in langs]
        if self.states and not any(str(c.state) in self.states for c in cells):
            return False
        if self.translator and not any(
            c.task is not None and c.task.assignee == self.translator for c in cells
        ):
            return False
        if self.baselines and not any(baseline_of(c) in self.baselines for c in cells):
            return False
        return True


BASELINES = ("recorded", "declared", "history", "assumed")


def baseline_of(cell: Cell) -> str | None:
    """How a translation's based-on revision is known; None unless it is current or stale
    (a source, a missing or an orphaned translation is judged against nothing)."""
    if cell.version is None or cell.state not in (State.CURRENT, State.STALE):
        return None
    return cell.version.baseline or "assumed"


def summarize(rows: Iterable[Row], langs: Sequence[str]) -> dict[str, dict[str, int]]:
    """Per language: how many posts are in each state, how many translations have an
    assumed baseline (first seen with no evidence of the source they were made from), and
    the words of the missing and stale ones (``words_pending``)."""
    summary = Summary(langs)
    for row in rows:
        summary.add(row)
    return summary.counts


def status_document(
    rows: Sequence[Row],
    settings: Settings,
    filters: Filters = Filters(),
    *,
    page: int | None = None,
    per_page: int | None = None,
) -> dict[str, Any]:
    """The object `transync status --json` prints and GET /api/v1/status returns."""
    langs = [lang for lang in settings.languages if not filters.langs or lang in filters.langs]
    kept = [r for r in rows if filters.keep(r, langs)]
    shown = kept
    doc: dict[str, Any] = {"languages": list(settings.languages)}
    if page is not None and per_page is not None:
        start = (page - 1) * per_page
        shown = kept[start : start + per_page]
    doc["posts"] = [post_dict(r, filters, langs) for r in shown]
    finish_summary(doc, summarize(kept, settings.languages), settings)
    if page is not None and per_page is not None:
        doc.update(page=page, per_page=per_page, total=len(kept))
    return doc


class Summary:
    """The summary of the rows added to it, one at a time (a stream of rows need not be
    held to be counted)."""

    def __init__(self, langs: Sequence[str]) -> None:
        self.langs = tuple(langs)
        self.counts = {
            lang: {**{str(s): 0 for s in STATES}, "assumed": 0, "words_pending": 0}
            for lang in langs
        }

    def add(self, row: Row) -> None:
        for lang in self.langs:
            cell = row.cells[lang]
            counts = self.counts[lang]
            counts[str(cell.state)] += 1
            if baseline_of(cell) == "assumed":
                counts["assumed"] += 1
            if cell.state in (State.MISSING, State.STALE):
                counts["words_pending"] += cell.words(row.source)


def post_dict(row: Row, filters: Filters, langs: Sequence[str]) -> dict[str, Any]:
    """One post of the document, its versions limited to the languages asked for."""
    d = row.as_dict()
    if filters.langs:
        d["versions"] = {k: v for k, v in d["versions"].items() if k in langs}
    return d


def finish_summary(
    doc: dict[str, Any], summary: dict[str, dict[str, int]], settings: Settings
) -> None:
    """The summary and, where a word rate is set, the currency and the pending costs."""
    doc["summary"] = summary
    if settings.word_rates:  # the price of the pending words, where a rate is set
        from sync.words import price

        doc["currency"] = settings.currency
        for lang, rate in settings.word_rates.items():
            summary[lang]["cost_pending"] = price(summary[lang]["words_pending"], rate)


def stream_document(
    rows: Iterable[Row],
    settings: Settings,
    filters: Filters = Filters(),
    *,
    page: int | None = None,
    per_page: int | None = None,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
) -> Iterator[str]:
    """:func:`status_document` as JSON text, written as the rows come: the same text as
    ``json.dumps(status_document(...), ensure_ascii=False, indent=..., separators=...)``,
    with only one post's dict in memory at a time."""
    langs = [lang for lang in settings.languages if not filters.langs or lang in filters.langs]
    item, key = separators or ((",", ": ") if indent is not None else (", ", ": "))

    def dumps(value: Any, level: int) -> str:
        text = json.dumps(value, ensure_ascii=False, indent=indent, separators=(item, key))
        if indent is None or level == 0:
            return text
        return text.replace("\n", "\n" + " " * (indent * level))

    nl = "" if indent is None else "\n"
    pad1 = "" if indent is None else " " * indent
    pad2 = "" if indent is None else " " * (2 * indent)
    yield "{" + nl + pad1 + json.dumps("languages") + key + dumps(list(settings.languages), 1)
    yield item + nl + pad1 + json.dumps("posts") + key + "["
    summary = Summary(settings.languages)
    start = (page - 1) * per_page if page is not None and per_page is not None else 0
    end = start + per_page if page is not None and per_page is not None else None
    kept = shown = 0
    for row in rows:
        if not filters.keep(row, langs):
            continue
        summary.add(row)
        if kept >= start and (end is None or kept < end):
            yield (item if shown else "") + nl + pad2 + dumps(post_dict(row, filters, langs), 2)
            shown += 1
        kept += 1
    yield (nl + pad1 if shown and indent is not None else "") + "]"
    tail: dict[str, Any] = {}
    finish_summary(tail, summary.counts, settings)
    if page is not None and per_page is not None:
        tail.update(page=page, per_page=per_page, total=kept)
    for name, value in tail.items():
        yield item + nl + pad1 + json.dumps(name) + key + dumps(value, 1)
    yield nl + "}"
