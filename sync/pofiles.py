"""A task as a PO file, and submitting translations segment by segment (PO or browser).

All or nothing: every problem is collected, with the entry's msgctxt/msgid and line,
and nothing is applied if any check fails.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import __version__
from sync.catalog import CatalogEntry, build_catalog, read_po, render_po
from sync.checks import KEEP_SOURCE, check_segment
from sync.config import Settings
from sync.db.models import Revision, Task, Version
from sync.errors import ConflictError, SubmissionError
from sync.history import record
from sync.i18n import nt_, t_
from sync.queue import get_task
from sync.segments import Segment, segment_label, split_fields
from sync.submission import check_claim, fields_by_name, finish, task_source
from sync.taskview import task_detail, unchanged_translations

TASK_HEADER = "X-Transync-Task"
HASH_HEADER = "X-Transync-Source-Hash"

#: What msgcat writes between the translations of two files that disagree on an entry
#: (marked fuzzy): never a translation, even with --accept-fuzzy.
MSGCAT_MARKER = "#-#-#-#-#"


def task_po(session: Session, settings: Settings, task_id: int) -> bytes:
    """The task's segments as a PO file: current translation, else a translation-memory
    suggestion marked fuzzy with its score, else empty."""
    detail = task_detail(session, settings, task_id)
    task, key = get_task(session, task_id)
    _, rev = task_source(session, task)
    entries = []
    for seg in detail["segments"]:
        comments = [f"segment {seg['position']}: {segment_label(seg['kind'])}"]
        msgstr, fuzzy, previous = seg["translation"] or "", False, None
        flags: tuple[str, ...] = ()
        # the page's text where no translation was ever made from the source (a stub, a
        # copy of the source): something to review, never a translation already done
        unmade = seg["change"] is None and msgstr and msgstr == seg["previous_translation"]
        if unmade:
            fuzzy = True
            comments.append("the page's text before this task, not a translation yet")
        elif seg["guessed"] and msgstr:
            # the translation has blocks the source has not (or lacks some): which of its
            # paragraphs is this one's is a guess, never a translation already done
            fuzzy = True
            comments.append("the page's text lined up with this segment by a guess: check it")
        elif msgstr and msgstr == seg["source"] and seg["change"] != "changed":
            flags = (KEEP_SOURCE,)  # accepted as it is before (a name): not untranslated
        if seg["change"] == "changed" and msgstr:
            fuzzy, previous = True, seg["previous_source"]
            comments.append("the source changed since this translation")
        elif seg["change"] == "added":
            comments.append("new in the source")
        if not msgstr and seg["suggestions"]:
            best = seg["suggestions"][0]
            msgstr, fuzzy = best["text"], True
            comments.append(f"translation memory: {best['score']:.0f}% from {best['origin']}")
            if best.get("problems"):
                misfit = "; ".join(str(p) for p in best["problems"])
                comments.append(f"does not fit this segment: {misfit}")
        entries.append(
            CatalogEntry(
                key=key,
                msgid=seg["source"],
                msgstr=msgstr,
                fuzzy=fuzzy,
                previous_msgid=previous,
                comments=tuple(comments),
                flags=flags,
            )
        )
    catalog = build_catalog(
        task.lang,
        entries,
        revision_date=task.updated_at,
        version=__version__,
        extra_headers={TASK_HEADER: str(task.id), HASH_HEADER: rev.content_hash[:16]},
    )
    return render_po(catalog)


def same_language(found: str, lang: str) -> bool:
    """Whether a file's language (Poedit writes ``tr_TR``, ``pt_BR``) is a task's (``tr``,
    ``pt-br``): the same tag in any case and separator, or the same language with a region
    that only one of them names.

    >>> same_language("tr_TR", "tr"), same_language("pt_BR", "pt-br"), same_language("pt", "pt-br")
    (True, True, True)
    >>> same_language("pt_PT", "pt-br"), same_language("ru", "tr")
    (False, False)
    """
    f = found.strip().lower().replace("_", "-")
    t = lang.strip().lower().replace("_", "-")
    if f == t:
        return True
    return f.split("-", 1)[0] == t.split("-", 1)[0] and ("-" not in f or "-" not in t)


def source_revisions(session: Session, version_id: int) -> dict[str, int]:
    """short hash → revision number, for every revision of a source version."""
    return {
        h[:16]: n
        for h, n in session.execute(
            select(Revision.content_hash, Revision.number).where(Revision.version_id == version_id)
        )
    }


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one submission.

    Reading, checking and rendering a large task allocates hundreds of thousands of objects
    that live until the end (PO entries, Markdown tokens, rows), and the collector traverses
    them again and again while finding almost no garbage: a fifth of the time of a
    5,000-entry submission. Reference counting still frees what is not in a cycle; cycles
    wait for the next collection. Re-enabled only if it was enabled before.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def submit_po(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    filename: str,
    data: bytes,
    *,
    accept_fuzzy: bool = False,
    partial: bool = False,
) -> dict[str, Any]:
    """Check a translator's PO file for a claimed task and apply it (or store progress)."""
    with _gc_paused():
        return _submit_po(
            session,
            settings,
            task_id,
            name,
            filename,
            data,
            accept_fuzzy=accept_fuzzy,
            partial=partial,
        )


def _submit_po(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    filename: str,
    data: bytes,
    *,
    accept_fuzzy: bool,
    partial: bool,
) -> dict[str, Any]:
    catalog = read_po(data, name=filename, max_bytes=settings.max_upload_bytes)
    task, key = check_claim(session, task_id, name)
    src, rev = task_source(session, task)
    problems: list[str] = []
    meta = catalog.metadata
    lang = meta.get("Language", "")
    if not same_language(lang, task.lang):
        fresh = f"`transync po {task.id}`"
        problems.append(
            t_(
                "header Language is %(found)s, but task #%(id)d is for %(lang)s: download the "
                "PO for this task",
                found=repr(lang),
                id=task.id,
                lang=repr(task.lang),
                cli=fresh,
            )
            if lang
            else t_(
                "header Language is missing, but task #%(id)d is for %(lang)s: download the PO "
                "for this task",
                id=task.id,
                lang=repr(task.lang),
                cli=fresh,
            )
        )
    named = meta.get(TASK_HEADER, "").strip()
    if named and named != str(task.id):
        problems.append(
            t_(
                "header %(header)s is %(found)s, not %(id)d: this PO is for another task",
                header=TASK_HEADER,
                found=named,
                id=task.id,
            )
        )
    declared = meta.get(HASH_HEADER, "").strip()[:16]
    revisions = source_revisions(session, src.id)
    revision = rev.number
    if declared and declared != rev.content_hash[:16]:
        if declared not in revisions:
            problems.append(
                t_(
                    "header %(header)s %(hash)s is not a revision of post "
                    "%(key)s's source; download a fresh PO",
                    header=HASH_HEADER,
                    hash=declared,
                    key=repr(key),
                    cli=f"`transync po {task.id}`",
                )
            )
        else:
            revision = revisions[declared]
    if problems:
        raise SubmissionError(
            t_("the PO file was refused; nothing was applied"), path=filename, problems=problems
        )
    entries: dict[str, Any] = {}  # msgid -> the entry translating it
    cleared: set[str] = set()  # msgids this file leaves empty or fuzzy
    segments = _segments(session, src.id, rev.number)
    kinds = {s.text: s.kind for s in reversed(segments)}  # the first segment with a text
    # an update task's unchanged segments come pre-filled with their current translation:
    # given back as they were, they are that translation, not the translator's new work,
    # and its own forms (a localized image or link) are not this submission's problems
    unchanged = unchanged_translations(session, task)
    as_they_were = {(segments[i].text, text) for i, text in unchanged.items() if i < len(segments)}
    msgids: set[str] = set()  # every msgid of the task's entries, translated or not
    for entry in catalog:
        if entry.obsolete:
            continue
        if entry.msgctxt != key:
            problems.append(
                t_(
                    "%(where)s: not an entry of task #%(id)d (post %(key)s)",
                    where=_where(entry),
                    id=task.id,
                    key=repr(key),
                )
            )
            continue
        msgids.add(entry.msgid)
        if entry.msgstr_plural and not entry.msgid_plural:
            problems.append(
                t_(
                    "%(where)s: msgstr[0] on an entry without msgid_plural; write it as msgstr",
                    where=_where(entry),
                )
            )
            continue
        if not entry.msgstr or ("fuzzy" in entry.flags and not accept_fuzzy):
            cleared.add(entry.msgid)  # unfinished here: not taken from an earlier save
            continue
        if MSGCAT_MARKER in entry.msgstr:
            problems.append(
                t_(
                    "%(where)s: the msgstr holds the markers msgcat writes where two files "
                    "disagree (#-#-#-#-#); keep one translation, remove the markers and the "
                    "fuzzy flag",
                    where=_where(entry),
                )
            )
            continue
        found = (
            []
            if (entry.msgid, entry.msgstr) in as_they_were
            else check_segment(
                entry.msgid,
                entry.msgstr,
                kind=kinds.get(entry.msgid, ""),
                lang=task.lang,
                text_params=settings.shortcode_text_params,
                keep_source=KEEP_SOURCE in entry.flags,
            )
        )
        if found:
            where = _where(entry)
            problems += [t_("%(where)s: %(problem)s", where=where, problem=p) for p in found]
        entries[entry.msgid] = entry
    texts = [s.text for s in segments]
    known = set(texts)
    if revision != rev.number:
        old = set(_segment_texts(session, src.id, revision))
        if _merged_into(msgids, known, old):
            revision = rev.number  # msgmerge kept the old header: the file is current
    if revision != rev.number:
        unknown = [t for t in entries if t not in old]
        if any(t not in known for t in unknown):  # edited msgids: the rest may be msgmerge's
            unknown = [t for t in unknown if t not in known]
        partial = True  # an older PO: keep what still applies, the task stays open
        problems += [
            t_(
                "%(where)s: not a segment of source r%(made)d, which header %(header)s names "
                "(an edited msgid?); keep msgid as the source gave it. msgmerge keeps the old "
                "file's header: after merging with a newer PO of the task, copy its %(header)s "
                "line, or download a fresh PO",
                where=_where(entries[t]),
                made=revision,
                header=HASH_HEADER,
                cli=f"`transync po {task.id}`",
            )
            for t in unknown
        ]
    else:
        unknown = [t for t in entries if t not in known]
        problems += [
            t_(
                "%(where)s: not a segment of task #%(id)d (an edited msgid?); keep msgid as "
                "the source gave it",
                where=_where(entries[t]),
                id=task.id,
            )
            for t in unknown
        ]
    if problems:
        raise SubmissionError(
            t_("the PO file was refused; nothing was applied"), path=filename, problems=problems
        )
    by_position = {i: entries[t].msgstr for i, t in enumerate(texts) if t in entries}
    result = apply_segments(
        session,
        settings,
        task,
        key,
        by_position,
        name,
        partial=partial,
        filename=filename,
        loaded=(src, rev, segments),
        cleared=[i for i, t in enumerate(texts) if t in cleared],
        unchanged=unchanged,
    )
    if revision != rev.number:
        result.setdefault("warnings", []).append(
            nt_(
                "the PO was made from source r%(made)d; kept the %(n)d segment still present in "
                "r%(now)d, the task stays open for the rest",
                "the PO was made from source r%(made)d; kept the %(n)d segments still present in "
                "r%(now)d, the task stays open for the rest",
                len(by_position),
                made=revision,
                n=len(by_position),
                now=rev.number,
            )
        )
    return result


def import_po(
    session: Session, settings: Settings, name: str, filename: str, data: bytes, **kw: Any
) -> dict[str, Any]:
    """`transync import FILE.po`: the task comes from the X-Transync-Task header."""
    catalog = read_po(data, name=filename, max_bytes=settings.max_upload_bytes)
    value = catalog.metadata.get(TASK_HEADER, "").strip()
    if value and not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise SubmissionError(
            t_(
                "header %(header)s is %(found)s, not a task number: download the task's PO again",
                header=TASK_HEADER,
                found=repr(value[:40]),
                cli=f"or use `transync submit TASK_ID --as {name} {filename}`",
            ),
            path=filename,
        )
    if not value:
        raise SubmissionError(
            t_(
                "no %(header)s header",
                header=TASK_HEADER,
                cli=f"use `transync submit TASK_ID --as {name} {filename}`",
            ),
            path=filename,
        )
    return submit_po(session, settings, int(value), name, filename, data, **kw)


def submit_segments(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    translations: Mapping[int, str],
    *,
    partial: bool,
    save_only: bool = False,
    keep_source: Collection[int] = (),
) -> dict[str, Any]:
    """The browser editor's save and submit: the same checks as a PO file. `save_only`
    stores progress and keeps the claim even when every segment is filled."""
    task, key = check_claim(session, task_id, name)
    src, rev = task_source(session, task)
    loaded = _segments(session, src.id, rev.number)
    segments = [s.text for s in loaded]
    problems = []
    clean: dict[int, str] = {}
    emptied: list[int] = []
    if any(
        0 <= pos < len(segments) and text == segments[pos] for pos, text in translations.items()
    ):
        # a translation accepted before as the source text itself (a name) stays accepted
        carried = task_detail(session, settings, task_id)["segments"]
        keep_source = {
            *keep_source,
            *(
                i
                for i, seg in enumerate(carried)
                if seg["translation"] == seg["source"] and seg["change"] != "changed"
            ),
        }
    unchanged = unchanged_translations(session, task)
    kept_as_is = unchanged if task.kind == "update" else {}
    for pos, text in translations.items():
        if not 0 <= pos < len(segments):
            problems.append(
                t_("segment %(pos)d: not a segment of task #%(task)d", pos=pos, task=task.id)
            )
            continue
        if not text or not text.strip():
            emptied.append(pos)  # cleared in the editor: not taken from an earlier save
            continue
        if kept_as_is.get(pos) == text:
            clean[pos] = text  # the current translation, untouched: not this work's problem
            continue
        for p in check_segment(
            segments[pos],
            text,
            kind=loaded[pos].kind,
            lang=task.lang,
            text_params=settings.shortcode_text_params,
            keep_source=pos in keep_source,
        ):
            problems.append(t_("segment %(pos)d: %(problem)s", pos=pos, problem=p))
        clean[pos] = text
    if problems:
        raise SubmissionError(
            t_("the translation was refused; nothing was applied"), problems=problems
        )
    return apply_segments(
        session,
        settings,
        task,
        key,
        clean,
        name,
        partial=partial,
        save_only=save_only,
        loaded=(src, rev, loaded),
        cleared=emptied,
        unchanged=unchanged,
    )


def apply_segments(
    session: Session,
    settings: Settings,
    task: Task,
    key: str,
    by_position: Mapping[int, str],
    actor: str,
    *,
    partial: bool,
    filename: str = "",
    save_only: bool = False,
    loaded: tuple[Version, Revision, Sequence[Segment]] | None = None,
    cleared: Collection[int] = (),
    unchanged: Mapping[int, str] | None = None,
) -> dict[str, Any]:
    """Store progress, or (when every segment is translated) render and submit the post.

    ``loaded``: the task's source version, revision and segments when the caller has
    already loaded them in this transaction (else they are loaded here). ``cleared``:
    positions the file gives as unfinished (empty, or fuzzy and not accepted): a
    translation saved earlier for them no longer counts, so a segment the translator
    took back is not published from an older save. A segment of an update task whose
    source did not change, that the file leaves out and no save gave, counts as
    translated by its current translation (what the task's PO gives it, not fuzzy): a
    translator may send only the entries that changed. ``unchanged``: those current
    translations (:func:`sync.taskview.unchanged_translations`) when the caller has them
    already; else they are read here, once, if needed."""
    known = unchanged

    def current() -> Mapping[int, str]:
        nonlocal known
        if known is None:
            known = unchanged_translations(session, task)
        return known

    if loaded is None:
        src, rev = task_source(session, task)
        segments: Sequence[Segment] = _segments(session, src.id, rev.number)
    else:
        src, rev, segments = loaded
    source = [seg.text for seg in segments]
    progress, kept, missing = untranslated(
        session, task, len(source), by_position, cleared, unchanged=current
    )
    if missing and not partial:
        raise SubmissionError(
            nt_(
                "%(n)d of %(total)d segments is still untranslated (first: segment %(first)d "
                "%(text)s); translate it",
                "%(n)d of %(total)d segments are still untranslated (first: segment %(first)d "
                "%(text)s); translate them",
                len(missing),
                n=len(missing),
                total=len(source),
                first=missing[0],
                text=repr(_short(source[missing[0]])),
                cli="or submit with --partial to save progress and keep the claim",
            ),
            path=filename or None,
        )
    if missing or save_only:
        task.progress = progress
        record(
            session,
            "task",
            actor,
            task.post_id,
            task.lang,
            task=task.id,
            state="claimed",
            progress=len(progress) + len(kept),
            of=len(source),
        )
        return {
            "task": task.id,
            "state": task.state,
            "applied": False,
            "translated": len(progress) + len(kept),
            "segments": len(source),
        }
    from sync.htmlsegments import render_html
    from sync.segments import render_markdown

    progress.update({str(i): text for i, text in kept.items()})  # the review reads them
    kinds = [seg.kind for seg in segments]
    texts = [progress[str(i)] for i in range(len(source))]
    heads, n_fields = split_fields(kinds)
    title = texts[0] if heads else rev.title
    body_texts = texts[heads + n_fields :]
    render = render_html if rev.body_format == "html" else render_markdown
    try:
        body = render(rev.body, body_texts)
    except ValueError as exc:
        raise ConflictError(
            t_(
                "task #%(id)d: could not rebuild the post from its segments: %(problem)s",
                id=task.id,
                problem=str(exc),
            )
        ) from exc
    task.progress = progress
    kept_as_is = current() if task.kind == "update" else {}
    submission = {
        "format": "segments",
        "title": title,
        "body": body,
        "source_texts": source,
        "fields": fields_by_name(kinds, texts),
        "source_revision": rev.number,
        "source_hash": rev.content_hash[:16],
        "submitted_by": actor,
        # the current translation of an unchanged segment, given back as it was: checked
        # as the translation it is, not again as this submission's work
        "as_they_were": [i for i, text in enumerate(texts) if kept_as_is.get(i) == text],
    }
    return finish(session, settings, task, key, submission, actor)


def untranslated(
    session: Session,
    task: Task,
    total: int,
    by_position: Mapping[int, str],
    cleared: Collection[int],
    *,
    unchanged: Callable[[], Mapping[int, str]] | None = None,
) -> tuple[dict[str, str], dict[int, str], list[int]]:
    """What a submission leaves: the task's progress with the file's texts (those it
    takes back removed), the current translations kept for the unchanged segments of an
    update task that it leaves out, and the positions still untranslated. ``unchanged``
    gives those current translations when the caller reads them anyway."""
    progress = {**(task.progress or {}), **{str(k): v for k, v in by_position.items()}}
    taken_back = {p for p in cleared if p not in by_position}  # a text given for it counts
    for position in taken_back:
        progress.pop(str(position), None)
    missing = [i for i in range(total) if str(i) not in progress]
    kept: dict[int, str] = {}  # position → its current translation, left as it is
    if missing:
        current = unchanged() if unchanged is not None else unchanged_translations(session, task)
        kept = {i: current[i] for i in missing if i in current and i not in taken_back}
        missing = [i for i in missing if i not in kept]
    return progress, kept, missing


def _segments(session: Session, version_id: int, number: int) -> tuple[Segment, ...]:
    from sync.revisions import load_segments

    return load_segments(session, [(version_id, number)]).get((version_id, number), ())


def _merged_into(msgids: set[str], current: set[str], old: set[str]) -> bool:
    """Whether a PO whose header names an older revision holds the current one's segments,
    as ``msgmerge old.po new.po`` makes it (the new PO's msgids under the old file's header):
    every msgid a current segment's, and one the old revision lacks, or all the current ones.
    A PO whose msgids are all in both revisions, and not all the current ones, is an older
    PO as its header says.

    >>> _merged_into({"a", "c"}, {"a", "c"}, {"a", "b"}), _merged_into({"a"}, {"a"}, {"a", "b"})
    (True, True)
    >>> _merged_into({"a", "b"}, {"a", "c"}, {"a", "b"}), _merged_into({"a"}, {"a", "c"}, {"a"})
    (False, False)
    """
    return bool(msgids) and msgids <= current and (not msgids <= old or current <= msgids)


def _segment_texts(session: Session, version_id: int, number: int) -> list[str]:
    return [s.text for s in _segments(session, version_id, number)]


def _where(entry: Any) -> str:
    """An entry's place in the PO file, for problem messages."""
    return t_(
        "line %(line)s: msgctxt %(msgctxt)s msgid %(msgid)s",
        line=entry.linenum,
        msgctxt=repr(entry.msgctxt),
        msgid=repr(_short(entry.msgid)),
    )


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


__all__ = [
    "apply_segments",
    "import_po",
    "submit_po",
    "submit_segments",
    "task_po",
    "untranslated",
]
