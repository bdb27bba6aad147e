"""Exporting every language's state as gettext catalogs: locales/<lang>/LC_MESSAGES/posts.po
and posts.mo.

How translation text lines up with source segments (the same rule everywhere):

1. exact, for translations that came through transync: each translated segment
   records the source text it translates;
2. by position, for translations found in a source, when the block kinds of the
   translation match those of the source revision it is based on;
3. otherwise the fallback of :func:`sync.segments.align`: blocks are matched by
   kind sequence, and a source segment with no counterpart is left untranslated
   with a ``#.`` note "could not be lined up". A pair :func:`sync.segments.align_certain`
   does not make (a paragraph added, dropped or merged in one language: which one a
   paragraph translates is a guess) is fuzzy with a ``#.`` note "by a guess", never
   translated, even in a current post: the post is up to date, but whether that text is
   this segment's translation is for an editor to check.

A segment whose source text changed since the translation is fuzzy, its msgstr the
translation of the old text and ``#| msgid`` the old text; a new segment is empty.

Order and memory: posts are listed in byte order of their key + U+0004 (UTF-8; the order
of MO keys, see :class:`sync.catalog.CatalogStream`), on SQLite and PostgreSQL alike,
whatever the database's collation, so both give the same bytes; a post's entries follow
its segments. The export reads :data:`POST_BATCH` posts at a time, in one database
snapshot, and writes their entries straight to temporary files: its memory does not grow
with the number of posts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from sync import __version__
from sync.catalog import (
    CatalogCounts,
    CatalogEntry,
    CatalogStream,
    build_catalog,
    count_entries,
    render_mo,
    render_po,
)
from sync.config import Settings
from sync.db.models import Post, Revision, SourceState, utcnow
from sync.db.models import Segment as SegmentRow
from sync.db.session import transaction
from sync.segments import (
    FIELD_KIND,
    Segment,
    align,
    align_certain,
    diff_segments,
    segment_label,
)
from sync.state import State
from sync.status import Row, load_rows

UNALIGNED = "transync: the translation could not be lined up with this segment"
GUESSED = "transync: the translation's text lined up with this segment by a guess: check it"
DOMAIN = "posts"
#: Posts read (and their entries built) at a time: the export's memory is bounded by this.
POST_BATCH = 500


@dataclass(frozen=True, kw_only=True)
class PostView:
    """What a post contributes to one language's catalog, as plain values."""

    key: str
    lang: str
    state: str
    source_lang: str
    source_revision: int
    source_origin: str
    source: Sequence[Segment]
    based_on_revision: int | None = None
    base: Sequence[Segment] = ()  # the source at the based-on revision
    translation: Sequence[str | None] = ()  # lined up with `base`
    guessed: frozenset[int] = frozenset()  # `base` positions whose text is lined up by a guess
    translation_origin: str | None = None
    diff_counts: tuple[int, int, int] = (0, 0, 0)
    task: str | None = None
    draft: bool = False


def state_comment(view: PostView, guessed: int = 0) -> str:
    """``state: stale; source: en r3; based on r2; changed 1, added 0, removed 0; task …``;
    with ``lined up by a guess: 3 of 7`` when that many segments carry the translation's
    text by a guess (fuzzy, even in a current post)."""
    parts = [f"state: {view.state}", f"source: {view.source_lang} r{view.source_revision}"]
    if view.based_on_revision is not None:
        parts.append(f"based on r{view.based_on_revision}")
    if view.state == "stale":
        c, a, r = view.diff_counts
        parts.append(f"changed {c}, added {a}, removed {r}")
    if guessed:
        parts.append(f"lined up by a guess: {guessed} of {len(view.source)}")
    if view.draft:
        parts.append("draft")
    if view.task:
        parts.append(view.task)
    return "; ".join(parts)


def entries_for_post(view: PostView) -> list[CatalogEntry]:
    """One entry per source segment, translated, fuzzy or empty as the module doc says."""
    lined: dict[int, tuple[str | None, str | None]] = {}  # new index → (msgstr, previous)
    unaligned: set[int] = set()
    guessed: set[int] = set()
    if view.base and view.translation:
        for op in diff_segments(view.base, view.source).ops:
            if op.new_index is None or op.old_index is None:
                continue
            text = view.translation[op.old_index]
            if text is None:
                unaligned.add(op.new_index)
                continue
            lined[op.new_index] = (text, op.old_text if op.tag == "changed" else None)
            if op.old_index in view.guessed:
                guessed.add(op.new_index)
    origins = tuple(o for o in (view.source_origin, view.translation_origin) if o)
    entries = []
    for i, seg in enumerate(view.source):
        msgstr, previous = lined.get(i, ("", None))
        comments: list[str] = []
        if i == 0:
            comments.append(state_comment(view, len(guessed)))
        if i in unaligned:
            comments.append(UNALIGNED)
        if i in guessed:
            comments.append(GUESSED)
        if seg.kind.startswith(FIELD_KIND):
            comments.append(segment_label(seg.kind))
        entries.append(
            CatalogEntry(
                key=view.key,
                msgid=seg.text,
                msgstr=msgstr or "",
                fuzzy=previous is not None or i in guessed,
                previous_msgid=previous,
                comments=tuple(comments),
                occurrences=origins if i == 0 else (view.source_origin,),
            )
        )
    return entries


def task_note(task: Any) -> str | None:
    if task is None:
        return None
    note = f"task #{task.id} {task.state}"
    if task.assignee:
        note += f" by {task.assignee}"
    if task.lease_expires_at and task.state == "claimed":
        note += f" until {task.lease_expires_at:%Y-%m-%d}"
    return note


@dataclass
class LanguageCatalog:
    lang: str
    entries: list[CatalogEntry] = field(default_factory=list)
    latest: dt.datetime | None = None

    def note_change(self, when: dt.datetime | None) -> None:
        if when is not None and (self.latest is None or when > self.latest):
            self.latest = when


def translated_segments(
    session: Session, versions: Sequence[Any]
) -> dict[int, list[tuple[str, str, str | None]]]:
    """version id → [(kind, text, source_text)] of its current revision."""
    out: dict[int, list[tuple[str, str, str | None]]] = {}
    ids = [v.id for v in versions]
    numbers = {v.id: v.revision for v in versions}
    for i in range(0, len(ids), 500):
        rows = session.execute(
            select(
                Revision.version_id,
                Revision.number,
                SegmentRow.kind,
                SegmentRow.text,
                SegmentRow.source_text,
            )
            .join(SegmentRow, SegmentRow.revision_id == Revision.id)
            .where(Revision.version_id.in_(ids[i : i + 500]))
            .order_by(Revision.version_id, SegmentRow.position)
        )
        for vid, number, kind, text, source_text in rows:
            if numbers[vid] == number:
                out.setdefault(vid, []).append((kind, text, source_text))
    return out


def line_up(
    base: Sequence[Segment], translated: list[tuple[str, str, str | None]]
) -> tuple[list[str | None], frozenset[int]]:
    """The translation for each `base` segment: exact by recorded source text, else align();
    and the positions whose text align() guessed (align_certain() does not pair them)."""
    if translated and all(src is not None for _, _, src in translated):
        by_source = {src: text for _, text, src in translated}
        return [by_source.get(s.text) for s in base], frozenset()
    theirs = [Segment(kind=k, text=t) for k, t, _ in translated]
    lined = align(base, theirs)
    sure = align_certain(base, theirs, lined)
    return lined, frozenset(
        i for i, (t, s) in enumerate(zip(lined, sure, strict=True)) if t is not None and s is None
    )


def context_order(key: str) -> bytes:
    """The sort key of a post in a catalog: the UTF-8 bytes of its key + U+0004 (its
    entries' MO keys all start with these bytes)."""
    return (key + "\x04").encode("utf-8")


def post_batches(
    session: Session, settings: Settings, size: int = POST_BATCH
) -> Iterator[list[Row]]:
    """Every post's row (as :func:`sync.status.load_rows` gives them), ``size`` posts at a
    time, in :func:`context_order` over all batches.

    One query streams the post ids sorted by the database (a cursor, not a list of every
    post): ``key || U+0004`` in byte order, the "C" collation on PostgreSQL, SQLite's
    default BINARY; each batch's rows are then loaded by id.
    """
    size = max(1, min(size, 5000))  # load_rows loads every post for more ids than that
    order = Post.key + literal("\x04")
    if session.get_bind().dialect.name == "postgresql":
        order = order.collate("C")
    ids = session.execute(select(Post.id).order_by(order).execution_options(yield_per=size))
    for part in ids.partitions(size):
        rows = load_rows(session, settings, post_ids=[post_id for (post_id,) in part])
        rows.sort(key=lambda r: context_order(r.post.key))
        yield rows


def post_views(
    session: Session, rows: Sequence[Row], langs: Sequence[str]
) -> Iterator[tuple[str, PostView, tuple[dt.datetime | None, ...]]]:
    """(lang, view, the times of the changes it includes) of each live post in ``rows`` for
    each language but its source's, in the order of ``rows``; segments are loaded in a few
    bulk queries over all of ``rows``."""
    from sync.revisions import load_segments

    live = [r for r in rows if r.source is not None and not r.source.deleted]
    wanted: set[tuple[int, int]] = set()
    translations = []
    for r in live:
        wanted.add((r.source.id, r.source.revision))
        for lang in langs:
            cell = r.cells[lang]
            if cell.state in (State.CURRENT, State.STALE) and cell.version is not None:
                base = cell.version.based_on_revision
                wanted.add((r.source.id, r.source.revision if base is None else base))
                translations.append(cell.version)
    segs = load_segments(session, wanted)
    translated = translated_segments(session, translations)
    created: dict[int, dt.datetime] = {}
    ids = [r.source.id for r in live] + [v.id for v in translations]
    for i in range(0, len(ids), 500):
        for vid, when in session.execute(
            select(Revision.version_id, Revision.created_at)
            .where(Revision.version_id.in_(ids[i : i + 500]))
            .order_by(Revision.number)
        ):
            created[vid] = when
    for r in live:
        src = r.source
        source = segs.get((src.id, src.revision), ())
        for lang in langs:
            if lang == r.post.source_lang:
                continue
            cell = r.cells[lang]
            v = cell.version if cell.state in (State.CURRENT, State.STALE) else None
            base: Sequence[Segment] = ()
            lined: list[str | None] = []
            guessed: frozenset[int] = frozenset()
            changes = [created.get(src.id)]
            if v is not None:
                base = segs.get(
                    (src.id, src.revision if v.based_on_revision is None else v.based_on_revision),
                    (),
                )
                lined, guessed = line_up(base, translated.get(v.id, []))
                changes.append(created.get(v.id))
            if cell.task is not None:
                changes.append(cell.task.updated_at)
            view = PostView(
                key=r.post.key,
                lang=lang,
                state=str(cell.state),
                source_lang=r.post.source_lang or "",
                source_revision=src.revision,
                source_origin=src.origin,
                source=source,
                based_on_revision=v.based_on_revision if v is not None else None,
                base=base,
                translation=lined,
                guessed=guessed,
                translation_origin=v.origin if v is not None else None,
                diff_counts=(v.changed_segments, v.added_segments, v.removed_segments)
                if v is not None
                else (0, 0, 0),
                task=task_note(cell.task),
                draft=src.draft,
            )
            yield lang, view, tuple(changes)


def build_views(
    session: Session, settings: Settings, rows: Sequence[Row], langs: Sequence[str]
) -> dict[str, LanguageCatalog]:
    """Every language's entries of ``rows``, in memory (the export streams instead: see
    :func:`stream_catalogs`)."""
    catalogs = {lang: LanguageCatalog(lang) for lang in langs}
    for lang, view, changes in post_views(session, rows, langs):
        cat = catalogs[lang]
        for when in changes:
            cat.note_change(when)
        cat.entries.extend(entries_for_post(view))
    return catalogs


def stream_catalogs(
    session: Session, settings: Settings, langs: Sequence[str], add: Any
) -> dict[str, dt.datetime | None]:
    """Call ``add(lang, entries)`` with each post's entries in each language, posts in
    :func:`context_order`, :data:`POST_BATCH` at a time; returns each language's latest
    change (its PO-Revision-Date)."""
    latest = {lang: LanguageCatalog(lang) for lang in langs}
    for rows in post_batches(session, settings, POST_BATCH):
        for lang, view, changes in post_views(session, rows, langs):
            for when in changes:
                latest[lang].note_change(when)
            add(lang, entries_for_post(view))
    return {lang: cat.latest for lang, cat in latest.items()}


def _one_snapshot(session: Session) -> None:
    """Read every batch from one snapshot: REPEATABLE READ on PostgreSQL (a read-only
    transaction there never fails to serialize); SQLite's transaction already is one.
    Call first in the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


@dataclass(frozen=True, kw_only=True)
class Written:
    lang: str
    po: Path
    mo: Path
    changed: bool
    counts: CatalogCounts

    def as_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "po": str(self.po),
            "mo": str(self.mo),
            "changed": self.changed,
            "translated": self.counts.translated,
            "fuzzy": self.counts.fuzzy,
            "untranslated": self.counts.untranslated,
        }


def render_language(cat: LanguageCatalog) -> tuple[bytes, bytes, CatalogCounts]:
    catalog = build_catalog(cat.lang, cat.entries, revision_date=cat.latest, version=__version__)
    return render_po(catalog), render_mo(catalog), count_entries(catalog)


def catalog_paths(directory: Path, lang: str) -> tuple[Path, Path]:
    base = directory / lang / "LC_MESSAGES"
    return base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"


def export_catalogs(
    settings: Settings,
    langs: Sequence[str] | None = None,
    *,
    directory: Path | None = None,
    check: bool = False,
    debounce_outbox: int | None = None,
) -> dict[str, Any]:
    """Write (or with check=True only compare) every language's catalog. Atomic per file.

    Streams: posts are read :data:`POST_BATCH` at a time from one database snapshot and
    their entries written to temporary files (beside the catalogs; with check=True in a
    temporary folder, compared and removed), so memory does not grow with the number of
    posts; the disk holds a catalog's new PO and MO files (and the MO strings once more)
    until they are renamed into place. The export lock is held from before the database is
    read until the export is recorded, so a waiting export reads what the one before it
    wrote, and its debounce sees that one.
    """
    from sync.errors import InputError

    langs = list(langs or settings.languages)
    for lang in langs:
        if lang not in settings.languages:
            raise InputError(
                f"language {lang!r} is not configured ({','.join(settings.languages)})"
            )
    directory = Path(directory or settings.locales_dir)
    written, differing = [], []
    with contextlib.ExitStack() as stack:
        temp_dir: Path | None = None
        if check:  # compare without writing: the new catalogs go to a temporary folder
            temp_dir = Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="transync-check-"))
            )
        else:
            stack.enter_context(export_lock(directory))
        started = utcnow()
        with transaction(settings.database_url, readonly=True) as session:
            _one_snapshot(session)
            if debounce_outbox is not None and _already_exported(session, debounce_outbox):
                return {"skipped": True, "catalogs": []}
            streams: dict[str, CatalogStream] = {}
            for lang in langs:
                po, mo = catalog_paths(directory, lang)
                if not check:
                    remove_leftovers(po.parent)
                streams[lang] = stack.enter_context(
                    CatalogStream(lang, po, mo, version=__version__, temp_dir=temp_dir)
                )
            latest = stream_catalogs(
                session, settings, langs, lambda lang, entries: streams[lang].add_group(entries)
            )
        for lang in langs:
            stream = streams[lang]
            counts = stream.finish(latest[lang])
            if check:
                same = stream.matches()
                if not same:
                    differing.append(str(stream.po_path))
                changed = not same
            else:
                changed = stream.commit()
            written.append(
                Written(
                    lang=lang, po=stream.po_path, mo=stream.mo_path, changed=changed, counts=counts
                )
            )
            stream.close()
        if not check:  # still holding the lock: a waiting export's debounce sees this one
            with transaction(settings.database_url) as session:
                state = session.get(SourceState, "catalogs")
                if state is None:
                    state = SourceState(source="catalogs", scans=0)
                    session.add(state)
                state.last_scan_at = started
                state.scans = (state.scans or 0) + 1
    return {"skipped": False, "catalogs": [w.as_dict() for w in written], "differing": differing}


def export_lock(directory: Path) -> Any:
    """One export at a time per directory (a flock, released when the process dies)."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / ".transync-export.lock", "w")  # noqa: SIM115 - held until closed
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def remove_leftovers(folder: Path) -> list[Path]:
    """Temporary files of an export that was killed mid-write (we hold the export lock, so
    no live export owns them)."""
    removed = []
    if folder.is_dir():
        for tmp in folder.glob(f".{DOMAIN}.*.tmp"):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _already_exported(session: Session, outbox_id: int) -> bool:
    """Debounce: an export that started after this message was queued already covers it."""
    from sync.db.models import Outbox

    queued = session.execute(select(Outbox.created_at).where(Outbox.id == outbox_id)).scalar()
    last = session.execute(
        select(SourceState.last_scan_at).where(SourceState.source == "catalogs")
    ).scalar()
    return queued is not None and last is not None and last > queued


def language_counts(settings: Settings, lang: str) -> CatalogCounts:
    """The tracker's translated / fuzzy / untranslated segment counts for one language,
    computed by the same rule the export uses (what msgfmt --statistics must report)."""
    tally = [0, 0, 0]

    def add(lang: str, entries: Iterable[CatalogEntry]) -> None:
        counts = count_entries(
            build_catalog(lang, entries, revision_date=None, version=__version__)
        )
        tally[0] += counts.translated
        tally[1] += counts.fuzzy
        tally[2] += counts.untranslated

    with transaction(settings.database_url, readonly=True) as session:
        _one_snapshot(session)
        stream_catalogs(session, settings, [lang], add)
    return CatalogCounts(translated=tally[0], fuzzy=tally[1], untranslated=tally[2])
