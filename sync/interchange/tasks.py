"""A task as XLIFF, and an XLIFF file submitted for a task.

The download carries what ``transync po`` carries: the current translation, else the best
translation-memory suggestion (marked for review, with its score), the previous source of
changed segments, the task id and source hash. A submission ends where a PO submission
ends: every segment through :func:`sync.checks.check_segment` (the task's language, the
shortcode text parameters, keep-source), all or nothing, then
:func:`sync.pofiles.apply_segments`; so the file written back is the one a PO of the same
translation writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sync import __version__
from sync.checks import check_segment
from sync.config import Settings
from sync.errors import InputError, SubmissionError
from sync.i18n import nt_, t_
from sync.interchange.inline import Piece, align, codes_of, flatten, parse, restore
from sync.interchange.xliff import (
    HASH_META,
    TASK_META,
    TaskFile,
    UnitIn,
    UnitOut,
    XliffIn,
    read_xliff,
    write_xliff,
)
from sync.pofiles import (
    _gc_paused,
    _segments,
    apply_segments,
    same_language,
    source_revisions,
    untranslated,
)
from sync.queue import get_task
from sync.segments import Segment, segment_label
from sync.submission import check_claim, task_source
from sync.taskview import task_detail, unchanged_translations

__all__ = ["import_xliff", "submit_xliff", "task_xliff", "xliff_filename"]


def xliff_filename(key: str, lang: str, task_id: int, version: str = "1.2") -> str:
    import re

    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", key).strip(".-")[:80] or "post"
    return f"{stem}.{lang}.task{task_id}{'' if version == '1.2' else '.xliff2'}.xlf"


def task_file(session: Session, settings: Settings, task_id: int) -> TaskFile:
    """What the XLIFF of a task says, in either version."""
    detail = task_detail(session, settings, task_id)
    task, key = get_task(session, task_id)
    _, rev = task_source(session, task)
    params = tuple(settings.shortcode_text_params)
    units = []
    for seg in detail["segments"]:
        source = parse(seg["source"], text_params=params)
        translation = seg["translation"] or ""
        target, review, suggestion = None, False, None
        guessed = bool(seg["guessed"])  # lined up with the segment by a guess: to check
        keep = (
            bool(translation)
            and translation == seg["source"]
            and seg["change"] != "changed"
            and not guessed
        )
        if translation:
            target = align(translation, codes_of(source), params)
            review = seg["change"] == "changed" or guessed
        elif seg["suggestions"]:
            best = seg["suggestions"][0]
            target = align(best["text"], codes_of(source), params)
            suggestion = (float(best["score"]), str(best["origin"]), best["text"])
        units.append(
            UnitOut(
                position=seg["position"],
                kind=seg["kind"],
                label=f"segment {seg['position']}: {segment_label(seg['kind'])}",
                source=source,
                target=target,
                review=review,
                previous_source=seg["previous_source"] if seg["change"] == "changed" else None,
                suggestion=suggestion,
                keep_source=keep,
                source_text=seg["source"],
            )
        )
    return TaskFile(
        task_id=task.id,
        key=key,
        title=detail["title"],
        source_lang=detail["source_lang"] or "",
        target_lang=task.lang,
        source_hash=rev.content_hash[:16],
        body_format=rev.body_format or "markdown",
        date=task.updated_at,
        tool_version=__version__,
        units=units,
    )


def task_xliff(session: Session, settings: Settings, task_id: int, version: str = "1.2") -> bytes:
    """The task as XLIFF 1.2 (the default) or 2.0.

    With the cyclic garbage collector paused, as for a submission: a task's parsed
    segments are tens of thousands of small objects that live until the file is written,
    and a full collection over a busy process's heap, which they trigger about once a
    download, costs as much as parsing them."""
    with _gc_paused():
        return write_xliff(task_file(session, settings, task_id), version)


def _read(settings: Settings, filename: str, data: bytes) -> XliffIn:
    if len(data) > settings.max_upload_bytes:
        raise InputError(
            f"the file is larger than {settings.max_upload_bytes} bytes, the "
            "upload limit (TRANSYNC_MAX_UPLOAD_BYTES)",
            path=filename,
        )
    return read_xliff(data, path=filename)


def import_xliff(
    session: Session, settings: Settings, name: str, filename: str, data: bytes, **kw: Any
) -> dict[str, Any]:
    """`transync import FILE.xlf`: the task comes from the file's header."""
    doc = _read(settings, filename, data)
    value = doc.meta.get(TASK_META, "").strip()
    if not value.isdigit():
        raise SubmissionError(
            f"the XLIFF names no task ({TASK_META} in its header): use "
            f"`transync submit TASK_ID --as {name} {filename}`",
            path=filename,
        )
    return submit_xliff(session, settings, int(value), name, filename, data, doc=doc, **kw)


def submit_xliff(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    filename: str,
    data: bytes,
    *,
    accept_fuzzy: bool = False,
    partial: bool = False,
    doc: XliffIn | None = None,
) -> dict[str, Any]:
    """Check a translator's XLIFF for a claimed task and apply it (or store progress)."""
    with _gc_paused():
        return _submit(
            session,
            settings,
            task_id,
            name,
            filename,
            doc or _read(settings, filename, data),
            accept_fuzzy=accept_fuzzy,
            partial=partial,
        )


REFUSED = "the XLIFF file was refused; nothing was applied"


def _submit(
    session: Session,
    settings: Settings,
    task_id: int,
    name: str,
    filename: str,
    doc: XliffIn,
    *,
    accept_fuzzy: bool,
    partial: bool,
) -> dict[str, Any]:
    task, key = check_claim(session, task_id, name)
    src, rev = task_source(session, task)
    problems: list[str] = []
    if doc.target_lang and not same_language(doc.target_lang, task.lang):
        problems.append(
            f"the target language is {doc.target_lang!r}, but task #{task.id} is "
            f"for {task.lang!r}: download the XLIFF for this task with "
            f"`transync xliff {task.id}`"
        )
    named = doc.meta.get(TASK_META, "").strip()
    if named and named != str(task.id):
        problems.append(
            f"the header's {TASK_META} is {named}, not {task.id}: this file is for another task"
        )
    declared = doc.meta.get(HASH_META, "").strip()[:16]
    revision = rev.number
    if declared and declared != rev.content_hash[:16]:
        revisions = source_revisions(session, src.id)
        if declared not in revisions:
            problems.append(
                f"the header's {HASH_META} {declared} is not a revision of post "
                f"{key!r}'s source; download a fresh file with `transync xliff "
                f"{task.id}`"
            )
        else:
            revision = revisions[declared]
    if problems:
        raise SubmissionError(REFUSED, path=filename, problems=problems)
    segments = _segments(session, src.id, rev.number)
    made_from = segments if revision == rev.number else _segments(session, src.id, revision)
    params = tuple(settings.shortcode_text_params)
    by_text: dict[str, int] = {}
    for i, seg in enumerate(made_from):
        by_text.setdefault(seg.text, i)
    by_prose = _ByProse(made_from, params)
    translated: dict[int, str] = {}  # position in made_from → translation
    seen: dict[int, str] = {}
    skipped_fuzzy = 0
    unfinished: set[int] = set()  # positions in made_from the file leaves unfinished
    as_they_were = (
        unchanged_translations(session, task)
        if task.kind == "update" and revision == rev.number
        else {}
    )
    for unit in doc.units:
        problems += [
            t_("%(where)s: %(problem)s", where=unit.where, problem=p) for p in unit.problems
        ]
        position, found = _locate(unit, key, made_from, by_text, by_prose, params)
        if position is None:
            problems.append(f"{unit.where}: {found or f'not a segment of task #{task.id}'}")
            continue
        if position in seen:
            problems.append(
                f"{unit.where}: segment {position} is also unit {seen[position]!r}:"
                " each segment once"
            )
            continue
        seen[position] = unit.id
        if unit.target is None:
            unfinished.add(position)
            continue
        seg = made_from[position]
        text, code_problems = _target_text(unit, seg, params)
        if not text or not text.strip():
            unfinished.add(position)
            continue
        if unit.missing:  # a sentence left out: the rest is not the segment's translation
            unfinished.add(position)
            if not partial:
                problems.append(_missing_problem(unit, position))
            continue
        if unit.fuzzy and not accept_fuzzy:
            skipped_fuzzy += 1
            unfinished.add(position)
            continue
        found_problems = code_problems + (
            []
            if as_they_were.get(position) == text  # the current translation, untouched
            else check_segment(
                seg.text,
                text,
                kind=seg.kind,
                lang=task.lang,
                text_params=settings.shortcode_text_params,
                keep_source=unit.keep_source,
            )
        )
        problems += [f"{unit.where} (segment {position}): {p}" for p in found_problems]
        translated[position] = text
    if problems:
        raise SubmissionError(REFUSED, path=filename, problems=problems)
    if revision != rev.number:
        old = {made_from[p].text: t for p, t in translated.items()}
        by_position = {i: old[s.text] for i, s in enumerate(segments) if s.text in old}
        taken_back = {made_from[p].text for p in unfinished}
        cleared = [i for i, s in enumerate(segments) if s.text in taken_back]
        partial = True
    else:
        by_position = translated
        cleared = sorted(unfinished)
    if not partial and skipped_fuzzy:
        # counted as apply_segments counts: an update's unchanged units left out are kept
        missing = len(
            untranslated(
                session,
                task,
                len(segments),
                by_position,
                cleared,
                unchanged=(lambda: as_they_were) if as_they_were else None,
            )[2]
        )
        if missing:
            raise SubmissionError(
                f"{missing} of {len(segments)} segments are not translated: {skipped_fuzzy} "
                "of them have a target marked for review (XLIFF 1.2 needs-* states or approved="
                '"no", 2.0 state "initial"); mark them translated in your CAT tool, or submit '
                "with --accept-fuzzy to count them, or --partial to save progress",
                path=filename,
            )
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
        cleared=cleared,
        unchanged=as_they_were or None,
    )
    if revision != rev.number:
        result.setdefault("warnings", []).append(
            f"the XLIFF was made from source r{revision}; kept the {len(by_position)} "
            f"segments still present in r{rev.number}, the task stays open for the rest"
        )
    return result


def _missing_problem(unit: UnitIn, position: int) -> str:
    return nt_(
        "%(where)s: the target leaves %(parts)s of its source untranslated; translate it in "
        "your CAT tool",
        "%(where)s: the target leaves %(parts)s of its source untranslated; translate them in "
        "your CAT tool",
        len(unit.missing),
        where=f"{unit.where} (segment {position})",
        parts=", ".join(unit.missing),
        cli="or submit with --partial to save the other segments and keep the claim",
    )


class _ByProse:
    """Segments by their prose (the text outside their inline codes, white space collapsed),
    parsed the first time a unit with codes is not where its id or name says."""

    def __init__(
        self, segments: tuple[Segment, ...] | list[Segment], params: tuple[str, ...]
    ) -> None:
        self.segments, self.params = segments, params
        self.index: dict[str, list[int]] | None = None

    def get(self, prose: str) -> list[int]:
        if self.index is None:
            self.index = {}
            for i, seg in enumerate(self.segments):
                pieces = flatten(parse(seg.text, text_params=self.params))
                self.index.setdefault(_prose(pieces), []).append(i)
        return self.index.get(prose, [])


def _prose(pieces: list[Piece]) -> str:
    return " ".join("".join(str(v) for w, v, _ in pieces if w == "text").split())


def _locate(
    unit: UnitIn,
    key: str,
    segments: tuple[Segment, ...] | list[Segment],
    by_text: dict[str, int],
    by_prose: _ByProse,
    params: tuple[str, ...],
) -> tuple[int | None, str]:
    """The position of the segment a unit translates, checked against its source text: the
    one its id, name or note gives, else the first with its source (a tool may renumber
    units and drop their names and notes)."""
    named_key, position = unit.key_position()
    if named_key is not None and named_key != key:
        return None, f"the unit is for post {named_key!r}, not {key!r}"
    if position is not None and 0 <= position < len(segments):
        if _source_matches(unit, segments[position], params):
            return position, ""
    if not unit.has_codes:
        text = "".join(str(v) for w, v, _ in unit.source if w == "text")
        for candidate in (text, " ".join(text.split())):
            if candidate in by_text:
                return by_text[candidate], ""
    else:  # its codes restored from each segment with the same prose
        for candidate in by_prose.get(_prose(unit.source)):
            if _source_matches(unit, segments[candidate], params):
                return candidate, ""
    if position is not None and 0 <= position < len(segments):
        return None, (
            f"its source is not the text of segment {position} (was the source "
            "edited?); download a fresh file"
        )
    return None, ""


def _source_matches(unit: UnitIn, seg: Segment, params: tuple[str, ...]) -> bool:
    if unit.has_codes:
        text, problems = restore(unit.source, codes_of(parse(seg.text, text_params=params)))
        if problems:
            return False
    else:
        text = "".join(str(v) for w, v, _ in unit.source if w == "text")
    return text == seg.text or " ".join(text.split()) == seg.text


def _target_text(unit: UnitIn, seg: Segment, params: tuple[str, ...]) -> tuple[str, list[str]]:
    """The translation's text: inline codes restored from the source segment."""
    assert unit.target is not None
    if not unit.has_codes and not any(w != "text" for w, _, _ in unit.target):
        text, problems = "".join(str(v) for _, v, _ in unit.target), []
    else:
        text, problems = restore(unit.target, codes_of(parse(seg.text, text_params=params)))
    if not unit.space_preserved:
        text = _without_layout(text, seg.text)
    return text, problems


_XML_SPACE = " \t\r\n"


def _without_layout(text: str, source: str) -> str:
    """Under xml:space="default", the white space a tool indents a target with (at an end
    where the source has none) is layout, not text: as :func:`_source_matches` reads a
    source."""
    if not source[:1].isspace():
        text = text.lstrip(_XML_SPACE)
    if not source[-1:].isspace():
        text = text.rstrip(_XML_SPACE)
    return text
