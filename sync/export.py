"""Exporting every language's state as gettext catalogs: locales/<lang>/LC_MESSAGES/posts.po
and posts.mo.

How translation text lines up with source segments (the same rule everywhere):

1. exact, for translations that came through transync: each translated segment
   records the source text it translates;
2. by position, for translations found in a source, when the block kinds of the
   translation match those of the source revision it is based on;
3. otherwise the fallback of :func:`sync.segments.align`: blocks are matched by
   kind sequence, and a source segment with no counterpart is left untranslated
   with a ``#.`` note "could not be lined up".

A segment whose source text changed since the translation is fuzzy, its msgstr the
translation of the old text and ``#| msgid`` the old text; a new segment is empty.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import __version__
from sync.catalog import (
    CatalogCounts,
    CatalogEntry,
    build_catalog,
    count_entries,
    render_mo,
    render_po,
    write_atomic,
)
from sync.config import Settings
from sync.db.models import Revision, SourceState, utcnow
from sync.db.models import Segment as SegmentRow
from sync.db.session import transaction
from sync.segments import Segment, align, diff_segments
from sync.state import State
from sync.status import Row, load_rows

UNALIGNED = "transync: the translation could not be lined up with this segment"
DOMAIN = "posts"


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
    translation_origin: str | None = None
    diff_counts: tuple[int, int, int] = (0, 0, 0)
    task: str | None = None
    draft: bool = False


def state_comment(view: PostView) -> str:
    """``state: stale; source: en r3; based on r2; changed 1, added 0, removed 0; task …``"""
    parts = [f"state: {view.state}", f"source: {view.source_lang} r{view.source_revision}"]
    if view.based_on_revision is not None:
        parts.append(f"based on r{view.based_on_revision}")
    if view.state == "stale":
        c, a, r = view.diff_counts
        parts.append(f"changed {c}, added {a}, removed {r}")
    if view.draft:
        parts.append("draft")
    if view.task:
        parts.append(view.task)
    return "; ".join(parts)


def entries_for_post(view: PostView) -> list[CatalogEntry]:
    """One entry per source segment, translated, fuzzy or empty as the module doc says."""
    lined: dict[int, tuple[str | None, str | None]] = {}  # new index → (msgstr, previous)
    unaligned: set[int] = set()
    if view.base and view.translation:
        for op in diff_segments(view.base, view.source).ops:
            if op.new_index is None or op.old_index is None:
                continue
            text = view.translation[op.old_index]
            if text is None:
                unaligned.add(op.new_index)
                continue
            lined[op.new_index] = (text, op.old_text if op.tag == "changed" else None)
    origins = tuple(o for o in (view.source_origin, view.translation_origin) if o)
    entries = []
    for i, seg in enumerate(view.source):
        msgstr, previous = lined.get(i, ("", None))
        comments: list[str] = []
        if i == 0:
            comments.append(state_comment(view))
        if i in unaligned:
            comments.append(UNALIGNED)
        entries.append(
            CatalogEntry(
                key=view.key,
                msgid=seg.text,
                msgstr=msgstr or "",
                fuzzy=previous is not None,
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
            select(Revision.version_id, Revision.number, SegmentRow.kind, SegmentRow.text,
                   SegmentRow.source_text)
            .join(SegmentRow, SegmentRow.revision_id == Revision.id)
            .where(Revision.version_id.in_(ids[i : i + 500]))
            .order_by(Revision.version_id, SegmentRow.position)
        )
        for vid, number, kind, text, source_text in rows:
            if numbers[vid] == number:
                out.setdefault(vid, []).append((kind, text, source_text))
    return out


def line_up(base: Sequence[Segment], translated: list[tuple[str, str, str | None]]
            ) -> list[str | None]:
    """The translation for each `base` segment: exact by recorded source text, else align()."""
    if translated and all(src is not None for _, _, src in translated):
        by_source = {src: text for _, text, src in translated}
        return [by_source.get(s.text) for s in base]
    return align(base, [Segment(kind=k, text=t) for k, t, _ in translated])


def build_views(session: Session, settings: Settings, rows: Sequence[Row],
                langs: Sequence[str]) -> dict[str, LanguageCatalog]:
    """Every language's entries, loading segments in a few bulk queries."""
    from sync.tracker import load_segments

    catalogs = {lang: LanguageCatalog(lang) for lang in langs}
    live = [r for r in rows if r.source is not None and not r.source.deleted]
    wanted: set[tuple[int, int]] = set()
    translations = []
    for r in live:
        wanted.add((r.source.id, r.source.revision))
        for lang in langs:
            cell = r.cells[lang]
            if cell.state in (State.CURRENT, State.STALE) and cell.version is not None:
                wanted.add((r.source.id, cell.version.based_on_revision or r.source.revision))
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
            cat = catalogs[lang]
            v = cell.version if cell.state in (State.CURRENT, State.STALE) else None
            base: Sequence[Segment] = ()
            lined: list[str | None] = []
            if v is not None:
                base = segs.get((src.id, v.based_on_revision or src.revision), ())
                lined = line_up(base, translated.get(v.id, []))
                cat.note_change(created.get(v.id))
            cat.note_change(created.get(src.id))
            if cell.task is not None:
                cat.note_change(cell.task.updated_at)
            view = PostView(
                key=r.post.key, lang=lang, state=str(cell.state),
                source_lang=r.post.source_lang or "", source_revision=src.revision,
                source_origin=src.origin, source=source,
                based_on_revision=v.based_on_revision if v is not None else None,
                base=base, translation=lined,
                translation_origin=v.origin if v is not None else None,
                diff_counts=(v.changed_segments, v.added_segments, v.removed_segments)
                if v is not None else (0, 0, 0),
                task=task_note(cell.task), draft=src.draft,
            )
            cat.entries.extend(entries_for_post(view))
    return catalogs


@dataclass(frozen=True, kw_only=True)
class Written:
    lang: str
    po: Path
    mo: Path
    changed: bool
    counts: CatalogCounts

    def as_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang, "po": str(self.po), "mo": str(self.mo), "changed": self.changed,
            "translated": self.counts.translated, "fuzzy": self.counts.fuzzy,
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
    """Write (or with check=True only compare) every language's catalog. Atomic per file."""
    from sync.errors import InputError

    langs = list(langs or settings.languages)
    for lang in langs:
        if lang not in settings.languages:
            raise InputError(f"language {lang!r} is not configured "
                             f"({','.join(settings.languages)})")
    directory = Path(directory or settings.locales_dir)
    with transaction(settings.database_url, readonly=True) as session:
        if debounce_outbox is not None and _already_exported(session, debounce_outbox):
            return {"skipped": True, "catalogs": []}
        started = utcnow()
        rows = load_rows(session, settings)
        catalogs = build_views(session, settings, rows, langs)
    written, differing = [], []
    with contextlib.ExitStack() as stack:
        if not check:
            stack.enter_context(export_lock(directory))
        for lang in langs:
            po_bytes, mo_bytes, counts = render_language(catalogs[lang])
            po, mo = catalog_paths(directory, lang)
            if check:
                same = po.is_file() and po.read_bytes() == po_bytes
                same = same and mo.is_file() and mo.read_bytes() == mo_bytes
                if not same:
                    differing.append(str(po))
                written.append(Written(lang=lang, po=po, mo=mo, changed=not same,
                                       counts=counts))
                continue
            remove_leftovers(po.parent)
            changed_po = write_atomic(po, po_bytes)
            changed_mo = write_atomic(mo, mo_bytes)
            written.append(Written(lang=lang, po=po, mo=mo, changed=changed_po or changed_mo,
                                   counts=counts))
    if not check:
        with transaction(settings.database_url) as session:
            state = session.get(SourceState, "catalogs")
            if state is None:
                state = SourceState(source="catalogs", scans=0)
                session.add(state)
            state.last_scan_at = started
            state.scans = (state.scans or 0) + 1
    return {"skipped": False, "catalogs": [w.as_dict() for w in written],
            "differing": differing}


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
    with transaction(settings.database_url, readonly=True) as session:
        catalogs = build_views(session, settings, load_rows(session, settings), [lang])
    return render_language(catalogs[lang])[2]
