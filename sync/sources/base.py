"""What every source yields: documents (one language version each) and problems; and
what write-back into a source answers when it wrote nothing (a WriteConflict), kept here so
write-back and the sources that write need not import each other."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Literal


@dataclass(frozen=True, kw_only=True)
class Document:
    """One language version of a post as read from a source."""

    source: str  # the source URI it came from, e.g. "fs:/srv/content"
    origin: str  # where inside the source: relative path or URL
    key: str  # post key (translationKey, path without language, WP group)
    lang: str
    title: str
    body: str
    body_format: Literal["markdown", "html"] = "markdown"
    date: dt.datetime | None = None
    draft: bool = False
    source_lang: str | None = None  # declared by `source_lang:` front matter
    source_hash: str | None = None  # declared by `source_hash:` front matter
    priority: int = 0
    due: dt.date | None = None
    front_matter: dict[str, Any] = field(default_factory=dict)
    raw_hash: str = ""  # sha256 of the raw bytes (a cheap "unchanged" test)
    external_id: str | None = None  # e.g. WordPress post id
    analysis: Any = None  # segments and hash, when the source computed them already
    #: translatable front-matter fields other than the title, as (field, text) segments in
    #: order (TRANSYNC_FRONT_MATTER_FIELDS): a list or mapping gives every string inside it
    fields: tuple[tuple[str, str], ...] = ()
    stub: bool = False  # a placeholder the site keeps so the page exists (TRANSYNC_STUB_FIELDS)


def changed(doc: Document, **changes: Any) -> Document:
    """``dataclasses.replace(doc, **changes)`` for a Document (no __post_init__, no field
    that init leaves out), without calling __init__ again: a scan makes three per post,
    and replace() checks and passes all twenty fields each time (0.5 s a first scan of
    6,000 posts, on the reader's core)."""
    new = copy.copy(doc)
    for name, value in changes.items():
        if name not in _DOCUMENT_FIELDS:
            raise TypeError(f"Document has no field {name!r}")
        object.__setattr__(new, name, value)
    return new


@dataclass(frozen=True, kw_only=True)
class Problem:
    """An input a source rejected: it names the place and says what to do."""

    origin: str
    reason: str
    line: int | None = None
    key: str | None = None
    lang: str | None = None
    fatal: bool = False  # the whole source is unreadable: nothing of it may be applied
    source: str | None = None  # the source read (filled in by the scan)

    def __str__(self) -> str:
        where = f"{self.origin}:{self.line}" if self.line else self.origin
        return f"{where}: {self.reason}"


_DOCUMENT_FIELDS = frozenset(f.name for f in fields(Document))


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A file whose raw bytes are what the tracker already recorded: nothing to parse."""

    origin: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file the source does not read, counted by reason: ``not_content`` (not a content
    file; an export's attachments, menu items, revisions, auto-drafts), ``ignored``
    (TRANSYNC_IGNORE), ``unconfigured_language``, ``headless``, ``hidden``, and an export's
    ``untracked_type`` (a post type not in TRANSYNC_WP_POST_TYPES) and ``trashed`` items."""

    origin: str
    reason: str


SKIP_REASONS = (
    "not_content",
    "ignored",
    "unconfigured_language",
    "headless",
    "hidden",
    "untracked_type",
    "trashed",
)


@dataclass(frozen=True, slots=True)
class Deleted:
    """A source says this origin is gone (an incremental read that cannot list everything)."""

    origin: str


@dataclass(frozen=True, slots=True)
class Settled:
    """The documents a source gave since the last such mark are whole posts that nothing it
    reads later can change: the tracker may settle and write them now, while the source
    reads on. A source gives it only when the tracker asked (its ``streaming`` set) and
    when it can tell: a WordPress first full pass, a page at a time."""


class StreamUndone(Exception):  # noqa: N818 - a signal to scan again, not a failure
    """What a source or the tracker finds, once posts were written before the source was
    read to its end, that says they may not stand as written (a post read later joined a
    written post's translation group, or came again): the scan's transaction is rolled
    back and the scan made again with the source read whole first."""


Item = Document | Problem | Unchanged | Deleted | Skipped | Settled


@dataclass(frozen=True, kw_only=True)
class WriteConflict:
    """Why write-back wrote nothing: the target is not what the last scan recorded."""

    # changed | appeared | deleted | symlink | not_a_file | edited (after claim) | drops
    reason: str
    message: str  # why, in English (a Text: the web shows it in the reader's language)
    path: str  # the translation's origin in its source
    found_hash: str | None = None  # sha256 of the bytes on disk now
    recorded_hash: str | None = None  # what the last scan recorded
    disk_text: str | None = None  # the text on disk, when no version could record it

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def dropped_detail(lost: Sequence[str]) -> Any:
    """What a write-back would drop (``sync.segments.loss.dropped_blocks``), as a ``drops``
    conflict names it: how many blocks, and the first."""
    from sync.i18n import nt_
    from sync.text import normalize_inline

    first = normalize_inline(lost[0])
    first = first if len(first) <= 60 else first[:59] + "…"
    return nt_(
        "%(n)d block, %(first)s",
        "%(n)d blocks, the first %(first)s",
        len(lost),
        n=len(lost),
        first=repr(first),
    )


def drops_why(path: str, detail: Any) -> Any:
    """Why a ``drops`` conflict wrote nothing (the fs and WordPress write-backs both say it)."""
    from sync.i18n import t_

    return t_(
        "%(path)s has text the task did not show (%(detail)s: a block only the translation "
        "has, or its own form of a code block or link definition), which writing the "
        "submission would drop",
        path=path,
        detail=detail,
    )
