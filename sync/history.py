"""History and editor acts on it: the event log, acknowledging minor changes, and diffs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Event, Post, Version, utcnow
from sync.errors import ConflictError, InputError, NotFound
from sync.i18n import t_
from sync.revisions import load_segments
from sync.segments import diff_segments
from sync.state import State
from sync.status import iso, load_rows


def state_text(state: str) -> str:
    """A translation's state as a message names it: the state itself in English, its name in
    the reader's language on a page."""
    return {
        "source": t_("source"),
        "current": t_("current"),
        "stale": t_("stale"),
        "missing": t_("missing"),
        "orphaned": t_("orphaned"),
    }.get(str(state), str(state))


def _unconfigured(settings: Settings, lang: str) -> InputError:
    return InputError(
        t_(
            "language %(lang)s is not configured (%(configured)s)",
            lang=repr(lang),
            configured=",".join(settings.languages),
        )
    )


def record(
    session: Session, kind: str, actor: str, post_id: int | None, lang: str | None, **details: Any
) -> None:
    session.execute(
        insert(Event).values(
            at=utcnow(), actor=actor, kind=kind, post_id=post_id, lang=lang, details=details
        )
    )


def get_post(session: Session, key: str) -> Post:
    post = session.execute(select(Post).where(Post.key == key)).scalar_one_or_none()
    if post is None:
        raise NotFound(
            t_("no post with key %(key)s", key=repr(key), cli="`transync status` lists the keys"),
            key=key,
        )
    return post


def events(
    session: Session, key: str | None = None, *, limit: int = 100, before: int | None = None
) -> list[dict[str, Any]]:
    """Newest first; `before` is the id to page back from."""
    q = select(Event, Post.key).outerjoin(Post, Post.id == Event.post_id)
    if key is not None:
        q = q.where(Event.post_id == get_post(session, key).id)
    if before is not None:
        q = q.where(Event.id < before)
    q = q.order_by(Event.id.desc()).limit(limit)
    return [
        {
            "id": e.id,
            "at": iso(e.at),
            "actor": e.actor,
            "kind": e.kind,
            "post": k,
            "lang": e.lang,
            "details": e.details,
        }
        for e, k in session.execute(q)
    ]


def acknowledge(
    session: Session, settings: Settings, key: str, lang: str | None, actor: str
) -> list[dict[str, Any]]:
    """Mark the source's latest change as minor: stale translations become current; a
    translation assumed current (first seen with no evidence) is confirmed. Logged; the
    baseline becomes ``recorded`` (an editor saw it)."""
    if lang is not None and lang not in settings.languages:
        raise _unconfigured(settings, lang)
    post = get_post(session, key)
    from sync.db.session import lock_post_sources

    lock_post_sources(session, post.id)  # a scan running now would undo the acknowledgement
    (row,) = load_rows(session, settings, [key], for_update=True)
    if row.source is None or row.source.deleted:
        raise ConflictError(
            t_("post %(key)s has no live source version; nothing to acknowledge", key=repr(key))
        )
    if lang is not None and lang == post.source_lang:
        raise InputError(
            t_(
                "%(lang)s is the source language of %(key)s; name a translation",
                lang=lang,
                key=repr(key),
            )
        )
    acked = []
    for code, cell in row.cells.items():
        if lang is not None and code != lang:
            continue
        v: Version = cell.version
        if cell.state is State.CURRENT and (v.baseline or "assumed") == "assumed":
            v.baseline = "recorded"
            v.updated_at = utcnow()
            record(
                session,
                "ack",
                actor,
                post.id,
                code,
                confirmed=True,
                previous="assumed",
                based_on_revision=v.based_on_revision,
            )
            acked.append(
                {
                    "lang": code,
                    "previous": v.based_on_revision,
                    "based_on_revision": v.based_on_revision,
                    "confirmed": True,
                }
            )
            continue
        if cell.state is not State.STALE:
            continue
        previous = v.based_on_revision
        v.based_on_revision = row.source.revision
        v.baseline = "recorded"
        v.stale_since = None
        v.changed_segments = v.added_segments = v.removed_segments = 0
        v.updated_at = utcnow()
        record(
            session,
            "ack",
            actor,
            post.id,
            code,
            previous=previous,
            based_on_revision=row.source.revision,
        )
        record(session, "state", actor, post.id, code, previous="stale", state="current")
        acked.append({"lang": code, "previous": previous, "based_on_revision": v.based_on_revision})
    if not acked and lang is not None:
        raise ConflictError(
            t_(
                "%(key)s in %(lang)s is %(state)s, neither stale nor assumed current; nothing to "
                "acknowledge",
                key=key,
                lang=lang,
                state=state_text(row.cells[lang].state),
            )
        )
    session.flush()
    return acked


def translation_diff(session: Session, settings: Settings, key: str, lang: str) -> dict[str, Any]:
    """What changed in the source since the translation's based-on revision, segment by segment."""
    if lang not in settings.languages:
        raise _unconfigured(settings, lang)
    get_post(session, key)
    (row,) = load_rows(session, settings, [key])
    src = row.source
    cell = row.cells[lang]
    if src is None:
        raise ConflictError(t_("post %(key)s has no source version", key=repr(key)))
    if cell.state is State.SOURCE:
        raise InputError(
            t_(
                "%(lang)s is the source language of %(key)s; name a translation",
                lang=lang,
                key=repr(key),
            )
        )
    base = cell.version.based_on_revision if cell.version is not None else None
    since = base if base is not None else 0
    segs = load_segments(session, [(src.id, since), (src.id, src.revision)])
    d = diff_segments(segs.get((src.id, since), ()), segs.get((src.id, src.revision), ()))
    return {
        "post": key,
        "lang": lang,
        "state": str(cell.state),
        "source_lang": row.post.source_lang,
        "source_revision": src.revision,
        "based_on_revision": base,
        "changed_segments": d.changed,
        "added_segments": d.added,
        "removed_segments": d.removed,
        "ops": [{"op": op.tag, "old": op.old_text, "new": op.new_text} for op in d.ops],
    }
