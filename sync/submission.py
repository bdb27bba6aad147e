"""Submitting translations: checks, review (approve/reject) and applying through write-back.

A submission is all-or-nothing: every problem is listed and nothing changes unless
all checks pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.analysis import analyze_document
from sync.checks import check_entry, check_segment, shortcode_problems
from sync.config import Settings
from sync.db.models import Revision, Task, Version, revision_body, utcnow
from sync.errors import ConflictError, InputError, PermissionDenied, SubmissionError
from sync.frontedit import string_leaves
from sync.frontmatter import front_value, parse_document
from sync.history import record
from sync.i18n import t_
from sync.memory import learn
from sync.outbox import EXPORT, enqueue
from sync.people import get_user, require_lang, require_role
from sync.queue import get_task, state_text
from sync.revisions import load_segments
from sync.segments import FIELD_KIND, align, align_certain, analyze_markdown, with_fields
from sync.sources.fs import LANG_CODE
from sync.status import iso
from sync.taskview import submission_digest, task_source, unchanged_translations
from sync.writeback import WriteConflict, conflict_message, conflict_text, write_translation


def kind_text(kind: str) -> str:
    """A segment's kind as a problem names it: the kind itself in English (``paragraph``,
    ``meta:summary``), its name in the reader's language on a page."""
    if kind.startswith(FIELD_KIND):
        return t_("meta:%(field)s", field=kind[len(FIELD_KIND) :])
    return {
        "title": t_("title"),
        "heading": t_("heading"),
        "paragraph": t_("paragraph"),
        "item": t_("item"),
        "footnote": t_("footnote"),
        "quote": t_("quote"),
        "code": t_("code"),
        "code-block": t_("code-block"),
        "table": t_("table"),
        "cell": t_("cell"),
        "caption": t_("caption"),
        "html": t_("html"),
        "term": t_("term"),
        "definition": t_("definition"),
    }.get(kind, kind)


def edited_since_claim(session: Session, task: Task) -> Version | None:
    """The task's translation, when a scan recorded a new revision of it after the task was
    claimed (a hand edit on disk, or in WordPress): the translator worked from the text
    before, so writing the submission would lose that edit. None when there is none."""
    if task.claimed_at is None:
        return None
    row = session.execute(
        select(Version, Revision.created_at)
        .join(
            Revision,
            (Revision.version_id == Version.id) & (Revision.number == Version.revision),
        )
        .where(Version.post_id == task.post_id, Version.lang == task.lang)
    ).first()
    if row is None or row[0].deleted or row[1] is None:
        return None
    return row[0] if row[1] > task.claimed_at else None


def parse_markdown_submission(
    data: bytes, *, name: str, lang: str
) -> tuple[str, str, dict[str, Any], int]:
    """Title, body, front matter and the file line where the body starts, of a submitted
    Markdown file; or every reason it is refused."""
    meta, body, body_line = parse_document(data, origin=name)
    problems = []
    title = front_value(meta, "title")  # any case, as Hugo and the scan read keys
    if not isinstance(title, str) or not title.strip():
        problems.append(t_("the front matter has no title: add `title: …` between the --- lines"))
    elif any(c in title.strip() for c in "\n\r\u2028\u2029\x85"):
        problems.append(t_("the title must be one line: remove the line break"))
    if not body.strip():
        problems.append(t_("the body is empty: paste the translated text below the front matter"))
    declared = front_value(meta, "lang") or front_value(meta, "language")
    if declared is not None and str(declared) != lang:
        problems.append(
            t_(
                "the file says language %(found)s but the task is for %(lang)s",
                found=repr(declared),
                lang=repr(lang),
            )
        )
    stem = PurePosixPath(name).name.rsplit(".", 1)[0]
    if "." in stem and LANG_CODE.match(suffix := stem.rsplit(".", 1)[1]) and suffix != lang:
        problems.append(
            t_(
                "the file name says language %(found)s but the task is for %(lang)s",
                found=repr(suffix),
                lang=repr(lang),
            )
        )
    if problems:
        raise SubmissionError(
            t_("the translation was refused; nothing was applied"), path=name, problems=problems
        )
    return str(title).strip(), body, meta, body_line


def source_body_line(src: Version) -> int:
    """The file line where the source's body starts (its front matter counted), for problems
    that name source lines; 1 when the source's file cannot be read."""
    if not src.source.startswith("fs:"):
        return 1
    try:
        raw = (Path(src.source[3:]) / src.origin).read_bytes()
        return parse_document(raw, origin=src.origin)[2]
    except Exception:  # noqa: BLE001 - a line number is a courtesy
        return 1


def fields_by_name(kinds: Sequence[str], texts: Sequence[str]) -> dict[str, list[str]]:
    """Front-matter field translations grouped by field, from segment kinds and texts.

    >>> fields_by_name(["title", "meta:cards", "meta:cards", "paragraph"], ["T", "a", "b", "p"])
    {'cards': ['a', 'b']}
    """
    out: dict[str, list[str]] = {}
    for kind, text in zip(kinds, texts, strict=True):
        if kind.startswith(FIELD_KIND):
            out.setdefault(kind[len(FIELD_KIND) :], []).append(text)
    return out


def lock_task_sources(session: Session, task_id: int) -> None:
    """Keep scans of the task's post out until this transaction ends (PostgreSQL), before
    the task's row is locked: its write-back writes the post's versions, as a scan does."""
    from sync.db.session import lock_post_sources

    lock_post_sources(session, select(Task.post_id).where(Task.id == task_id).scalar_subquery())


def check_claim(session: Session, task_id: int, name: str) -> tuple[Task, str]:
    user = get_user(session, name)
    lock_task_sources(session, task_id)
    task, key = get_task(session, task_id, lock=True)
    require_lang(user, task.lang)
    if task.state != "claimed":
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; only a claimed task can be submitted (claim it first)",
                id=task_id,
                state=state_text(task.state),
            )
        )
    if task.assignee != user.name:
        raise PermissionDenied(
            t_(
                "task #%(id)d is claimed by %(assignee)s, not %(name)s",
                id=task_id,
                assignee=task.assignee,
                name=user.name,
            )
        )
    return task, key


def submit_markdown(
    session: Session, settings: Settings, task_id: int, name: str, filename: str, data: bytes
) -> dict[str, Any]:
    """Submit a translated Markdown file for a claimed task."""
    if len(data) > settings.max_upload_bytes:
        raise SubmissionError(
            t_(
                "the file is %(size)d bytes, over TRANSYNC_MAX_UPLOAD_BYTES=%(limit)d",
                size=len(data),
                limit=settings.max_upload_bytes,
            ),
            path=filename,
        )
    task, key = check_claim(session, task_id, name)
    title, body, meta, body_line = parse_markdown_submission(data, name=filename, lang=task.lang)
    src, rev = task_source(session, task)
    source_segments = load_segments(session, [(src.id, rev.number)]).get((src.id, rev.number), ())
    names = tuple(f for f in settings.front_matter_fields if f != "title")
    fields = tuple(
        (name, text)
        for name in names
        if (value := front_value(meta, name)) is not None
        for text in string_leaves(value)
    )
    translated = with_fields(analyze_markdown(title, body), fields).segments
    lined = align(source_segments, translated)
    problems: list[str] = []
    # an update task's segments the source did not change, written as the translation
    # has them, are that translation (its localized image or link), not new work: as a
    # PO's entries given back as they were, they are not checked again
    unchanged = unchanged_translations(session, task) if task.kind == "update" else {}
    as_they_were = [i for i, text in enumerate(lined) if text and unchanged.get(i) == text]
    kept = translation_body(session, task) if task.kind == "update" else None
    if [s.kind for s in source_segments] == [s.kind for s in translated]:
        # the same blocks in the same order: each pair is certain, so each is checked as a
        # PO entry would be (when the structure differs, the pairing is a guess)
        problems += [
            t_(
                "segment %(pos)d (%(kind)s): %(problem)s",
                pos=pos,
                kind=kind_text(seg.kind),
                problem=p,
            )
            for pos, (seg, text) in enumerate(zip(source_segments, lined, strict=True))
            if text is not None and pos not in as_they_were
            for p in check_segment(
                seg.text,
                text,
                kind=seg.kind,
                lang=task.lang,
                text_params=settings.shortcode_text_params,
            )
        ]
    problems += shortcode_problems(
        rev.body,
        body,
        text_params=settings.shortcode_text_params,
        first_lines=(source_body_line(src), body_line),
        kept=kept,
    )
    if problems:
        raise SubmissionError(
            t_("the translation was refused; nothing was applied"), path=filename, problems=problems
        )
    source_texts = None
    if [s.kind for s in source_segments] == [s.kind for s in translated]:
        source_texts = [s.text for s in source_segments]
    submission = {
        "format": "markdown",
        "title": title,
        "body": body,
        "source_texts": source_texts,
        "fields": fields_by_name([s.kind for s in translated], [s.text for s in translated]),
        "source_revision": rev.number,
        "source_hash": rev.content_hash[:16],
        "submitted_by": name,
        "aligned": sum(1 for x in lined if x is not None),
        "front_matter": translator_front(meta, settings),
    }
    if source_texts is not None and as_they_were:
        submission["as_they_were"] = as_they_were
    return finish(session, settings, task, key, submission, name)


#: Front-matter keys a translator's Markdown file does not set: transync's own, the editor's
#: (publishing, pairing, scheduling) and dates (the page's, not the translation's).
EDITOR_KEYS = frozenset(
    {
        "title", "source_hash", "source_lang", "priority", "due", "translationkey", "lang",
        "language", "draft", "date", "lastmod", "publishdate", "expirydate", "headless",
    }
)  # fmt: skip


def translator_front(meta: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """The front-matter keys of a submitted Markdown file that the translation keeps as the
    translator wrote them (a localized ``slug``, ``tags``, ``aliases``…): every key but
    the editor's and transync's, the translatable fields (they come with the segments) and
    the stub fields; values that are plain data only (a YAML date or set is not carried)."""
    skip = EDITOR_KEYS | {f.lower() for f in (*settings.front_matter_fields, *settings.stub_fields)}
    return {
        k: v for k, v in meta.items() if isinstance(k, str) and k.lower() not in skip and _plain(v)
    }


def _plain(value: Any) -> bool:
    """JSON's own types all the way down: what a submission stores and gives back as it was."""
    if value is None or isinstance(value, str | bool | int | float):
        return not isinstance(value, float) or value == value  # NaN is no value to write
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def finish(
    session: Session,
    settings: Settings,
    task: Task,
    key: str,
    submission: dict[str, Any],
    actor: str,
) -> dict[str, Any]:
    """Review or apply a checked submission."""
    now = utcnow()
    task.submission = submission
    task.updated_at = now
    if settings.review:
        task.state = "submitted"
        task.lease_expires_at = None
        record(
            session,
            "task",
            actor,
            task.post_id,
            task.lang,
            task=task.id,
            state="submitted",
            assignee=task.assignee,
        )
        return {"task": task.id, "state": "submitted", "applied": False}
    apply(session, settings, task, key, actor)
    return outcome(session, settings, task, key)


def apply(
    session: Session, settings: Settings, task: Task, key: str, actor: str, *, force: bool = False
) -> None:
    """Write the submission back, record the version as current, mark the task done; or,
    when the target is not what the last scan recorded, leave the task in ``conflict``
    with both texts kept (``force``: an editor chose the submission over the disk)."""
    sub = task.submission or {}
    src, rev = task_source(session, task)
    problems = recheck(settings, task, rev, sub, kept=translation_body(session, task))
    if problems:
        raise SubmissionError(
            t_(
                "task #%(id)d: the submission does not pass the checks; nothing was written",
                id=task.id,
            ),
            problems=problems,
        )
    edited = None if force else edited_since_claim(session, task)
    v = (
        WriteConflict(
            reason="edited",
            message=conflict_message("edited", edited.origin),
            path=edited.origin,
        )
        if edited is not None
        else write_translation(
            session,
            settings,
            key=key,
            lang=task.lang,
            title=sub["title"],
            body=sub["body"],
            source_hash=sub["source_hash"],
            actor=actor,
            source_texts=sub.get("source_texts"),
            body_format="markdown" if sub.get("format") == "markdown" else None,
            fields=sub.get("fields"),
            force=force,
            front_matter=sub.get("front_matter"),
        )
    )
    if isinstance(v, WriteConflict):
        now = utcnow()
        task.state = "conflict"
        task.conflict = {**v.as_dict(), "detected_at": now.isoformat()}
        task.lease_expires_at = None
        task.updated_at = now
        record(
            session,
            "task",
            actor,
            task.post_id,
            task.lang,
            task=task.id,
            state="conflict",
            reason=v.reason,
            path=v.path,
        )
        return
    if sub.get("source_texts") and v.new_segments is not None:
        # what was written, lined up with the source where that is certain: a translation
        # keeps blocks of its own (a front-matter field the source has not), which shift
        # its segments against the submission's
        source = load_segments(session, [(src.id, rev.number)]).get((src.id, rev.number), ())
        learn(
            session,
            src.lang,
            task.lang,
            (
                (s.text, t, f"{key} [{task.lang}]")
                for s, t in zip(source, align_certain(source, v.new_segments), strict=True)
                if t is not None
            ),
        )
    now = utcnow()
    task.state = "done"
    task.finished_at = task.updated_at = now
    task.lease_expires_at = None
    record(
        session,
        "task",
        actor,
        task.post_id,
        task.lang,
        task=task.id,
        state="done",
        revision=v.revision,
        based_on_revision=v.based_on_revision,
    )
    enqueue(session, EXPORT, {"langs": [task.lang]})
    # the source may have moved on while the task was open: plan the next round now
    from sync.planning import plan_tasks

    session.flush()
    plan_tasks(session, settings, [task.post_id], actor=actor)


def translation_body(session: Session, task: Task) -> str | None:
    """The body of the task's translation as the last scan recorded it (an update task's
    current translation); None when there is none yet."""
    found = session.execute(
        select(Version.id, Version.revision).where(
            Version.post_id == task.post_id, Version.lang == task.lang, Version.deleted.is_(False)
        )
    ).first()
    return None if found is None else revision_body(session, found[0], found[1])


def recheck(
    settings: Settings,
    task: Task,
    rev: Revision,
    sub: dict[str, Any],
    *,
    kept: str | None = None,
) -> list[str]:
    """The checks once more, on exactly what is about to be written: the stored submission
    (it may have waited for review, or come from an older transync), segment by segment
    against the source texts it translates, and its shortcodes against the source's (a
    shortcode written as the translation as it stands, ``kept``, writes it: a localized
    image in a paragraph nobody touched is the published translation's, not new work)."""
    texts = sub.get("source_texts")
    problems: list[str] = []
    if texts:
        fields = [(k, t) for k, values in (sub.get("fields") or {}).items() for t in values]
        body_format = "markdown" if sub.get("format") == "markdown" else rev.body_format
        translated = analyze_document(
            sub.get("title") or "",
            sub.get("body") or "",
            body_format=body_format,
            fields=fields,
            autop=False,
        ).segments
        as_they_were = set(sub.get("as_they_were") or ())
        if len(translated) == len(texts):
            problems += [
                t_("segment %(pos)d: %(problem)s", pos=pos, problem=p)
                for pos, (source, seg) in enumerate(zip(texts, translated, strict=True))
                if source and pos not in as_they_were
                for p in check_entry(
                    source, seg.text, lang=task.lang, text_params=settings.shortcode_text_params
                )
            ]
    if sub.get("format") == "markdown" or rev.body_format == "markdown":
        problems += shortcode_problems(
            rev.body, sub.get("body") or "", text_params=settings.shortcode_text_params, kept=kept
        )
    return problems


def check_seen(task: Task, seen: str | None) -> None:
    """``seen``: the submission the reviewer looked at (its digest); None: not said."""
    if seen is not None and seen != submission_digest(task.submission):
        raise ConflictError(
            t_(
                "task #%(id)d: the submission changed since you opened it; review it again",
                id=task.id,
            )
        )


def approve(
    session: Session, settings: Settings, task_id: int, editor: str, *, seen: str | None = None
) -> dict[str, Any]:
    """Write a submitted task's translation back (``seen``: the submission reviewed, as
    `submission_digest` names it; refused when the task holds another)."""
    require_role(get_user(session, editor), "editor")
    lock_task_sources(session, task_id)
    task, key = get_task(session, task_id, lock=True)
    if task.state == "conflict":
        raise ConflictError(
            t_(
                "task #%(id)d is in conflict: %(why)s. An editor keeps one text on the task page",
                id=task_id,
                why=conflict_text(task.conflict),
                cli="or with `transync resolve`",
            )
        )
    if task.state != "submitted":
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; only a submitted task can be approved",
                id=task_id,
                state=state_text(task.state),
            )
        )
    submitter = (task.submission or {}).get("submitted_by")
    if settings.four_eyes_on and submitter == editor:
        raise PermissionDenied(
            t_(
                "task #%(id)d was submitted by %(name)s; with "
                "TRANSYNC_FOUR_EYES another editor approves it",
                id=task_id,
                name=editor,
            )
        )
    check_seen(task, seen)
    record(session, "review", editor, task.post_id, task.lang, task=task.id, verdict="approved")
    mark_approved(task, editor)
    apply(session, settings, task, key, editor)
    return outcome(session, settings, task, key)


def mark_approved(task: Task, editor: str) -> None:
    """Note on the submission who approved it: a conflict at write-back then holds a
    reviewed submission (a new submission replaces the whole record, approval and all)."""
    task.submission = {**(task.submission or {}), "approved_by": editor}


def unreviewed(settings: Settings, task: Task) -> bool:
    """The task holds a submission that waits for review and nobody has approved: a
    conflict raised before approval (the translation changed on disk or became current
    while it waited). Without review a submission needs no approval."""
    return settings.review and not (task.submission or {}).get("approved_by")


def outcome(session: Session, settings: Settings, task: Task, key: str) -> dict[str, Any]:
    """What applying a submission left: the task's state and, when written, the state of
    the translation (``current``, or ``stale`` when the source moved on meanwhile)."""
    result: dict[str, Any] = {"task": task.id, "state": task.state, "applied": task.state == "done"}
    if task.state == "conflict":
        result["conflict"] = task.conflict
    else:
        from sync.status import load_rows

        session.flush()
        (row,) = load_rows(session, settings, [key])
        result["translation"] = str(row.cells[task.lang].state)
    return result


def resolve(
    session: Session, settings: Settings, task_id: int, editor: str, keep: str
) -> dict[str, Any]:
    """An editor settles a conflict: ``submitted`` writes the submission over what is on
    disk (which was recorded first), ``disk`` keeps the file and closes the task (the
    submission stays in the task). Logged either way. Keeping a submission nobody has
    approved approves it, so with four eyes its submitter cannot."""
    require_role(get_user(session, editor), "editor")
    if keep not in ("submitted", "disk"):
        raise InputError(t_("--keep %(keep)s: use submitted or disk", keep=repr(keep)))
    lock_task_sources(session, task_id)
    task, key = get_task(session, task_id, lock=True)
    if task.state != "conflict":
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; only a task in conflict can be resolved",
                id=task_id,
                state=state_text(task.state),
            )
        )
    if keep == "submitted" and unreviewed(settings, task):
        # keeping a submission nobody reviewed approves it: the rule of approve holds
        submitter = (task.submission or {}).get("submitted_by")
        if settings.four_eyes_on and submitter == editor:
            raise PermissionDenied(
                t_(
                    "task #%(id)d was submitted by %(name)s and nobody has approved it; "
                    "with TRANSYNC_FOUR_EYES another editor resolves it",
                    id=task_id,
                    name=editor,
                )
            )
        mark_approved(task, editor)
    record(
        session,
        "resolve",
        editor,
        task.post_id,
        task.lang,
        task=task.id,
        keep=keep,
        conflict=task.conflict,
    )
    if keep == "submitted":
        task.state = "submitted"
        apply(session, settings, task, key, editor, force=True)
    else:
        now = utcnow()
        task.state = "cancelled"
        task.cancelled_by_editor = True  # not planned again until the source changes
        task.finished_at = task.updated_at = now
        record(
            session,
            "task",
            editor,
            task.post_id,
            task.lang,
            task=task.id,
            state="cancelled",
            reason="kept what is on disk",
        )
    if task.state != "conflict":
        task.conflict = None
    return outcome(session, settings, task, key)


def reject(
    session: Session,
    settings: Settings,
    task_id: int,
    editor: str,
    reason: str,
    *,
    seen: str | None = None,
) -> dict[str, Any]:
    """Send a submission back to the same translator, with the reason, under a new lease
    (``seen``: as for `approve`)."""
    import datetime as dt

    require_role(get_user(session, editor), "editor")
    if not reason.strip():
        raise InputError(t_("give a reason, so the translator knows what to fix"))
    task, key = get_task(session, task_id, lock=True)
    if task.state != "submitted":
        raise ConflictError(
            t_(
                "task #%(id)d is %(state)s; only a submitted task can be rejected",
                id=task_id,
                state=state_text(task.state),
            )
        )
    check_seen(task, seen)
    now = utcnow()
    task.state = "claimed"
    task.reject_reason = reason.strip()
    task.lease_expires_at = now + dt.timedelta(hours=settings.lease_hours)
    task.updated_at = now
    record(
        session,
        "review",
        editor,
        task.post_id,
        task.lang,
        task=task.id,
        verdict="rejected",
        reason=reason.strip(),
        assignee=task.assignee,
        lease_expires_at=iso(task.lease_expires_at),
    )
    return {"task": task.id, "state": task.state, "applied": False}
