"""The translation memory as TMX: `transync memory export` and `transync memory import`.

Export streams the memory table to TMX 1.4b, one ``<tu>`` per pair (its post as the
property ``x-context``, which translate-toolkit reads as a PO msgctxt, and transync's
origin as ``x-transync-origin``). Import streams a TMX file: every unit is validated
(dates, language tags, a ``<seg>`` in every ``<tuv>``); languages are mapped through
TRANSYNC_WP_LOCALE_MAP onto TRANSYNC_LANGUAGES, and a ``<tuv>`` in a language that is not
configured is skipped and counted (a memoQ or Trados export holds every language of the
agency's memory, not only the site's), as is a unit whose source language is not. Texts
are normalized as the tracker normalizes segments (a Markdown hard line break kept), pairs
already in the memory or repeated in the file are merged, and the rows go to the database
in bulk (:mod:`sync.interchange.bulk`: COPY on PostgreSQL, batches on SQLite) inside the
caller's transaction: one problem anywhere and the caller's rollback leaves the memory as
it was. Open tasks of the language pairs that gained entries are queued for pre-fill
again, so the new entries reach translators at once.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from hashlib import sha256 as _sha256
from pathlib import PurePath
from typing import Any, BinaryIO

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync import __version__
from sync.config import Settings
from sync.db.models import Memory, Post, Task, utcnow
from sync.errors import InputError
from sync.i18n import Text, nt_
from sync.interchange.bulk import open_writer
from sync.interchange.tmx import TuOut, parse_date, read_tmx, write_tmx
from sync.outbox import enqueue_prefill
from sync.segments.markdown import inline_text
from sync.sources.wxr import parse_locale_map

__all__ = ["export_memory", "import_memory"]

MAX_LISTED = 200  # problems kept to show; the rest are counted
_ORIGIN_KEY = re.compile(r"^(.*) \[[^\[\]]+\]$", re.DOTALL)
_LANG_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")  # en, en-GB, tr_TR, sr-Latn


def export_memory(session: Session, out: BinaryIO, langs: Sequence[str] = ()) -> int:
    """Write the memory (pairs whose two languages are in ``langs``, all when empty) to
    ``out`` as TMX; the number of units."""
    query = select(
        Memory.source_lang,
        Memory.target_lang,
        Memory.source_hash,
        Memory.target_hash,
        Memory.source_text,
        Memory.target_text,
        Memory.origin,
        Memory.updated_at,
    )
    sources = select(Memory.source_lang).distinct()
    if langs:
        query = query.where(Memory.source_lang.in_(langs), Memory.target_lang.in_(langs))
        sources = sources.where(Memory.source_lang.in_(langs), Memory.target_lang.in_(langs))
    found = sorted(session.execute(sources).scalars())
    srclang = found[0] if len(found) == 1 else "*all*"
    rows = session.execute(query.order_by(Memory.id).execution_options(yield_per=10_000))
    return write_tmx(out, _units(rows), srclang=srclang, tool_version=__version__, created=utcnow())


def _units(rows: Any) -> Iterator[TuOut]:
    for sl, tl, sh, th, source, target, origin, changed in rows:
        m = _ORIGIN_KEY.match(origin or "")
        yield TuOut(
            tuid=f"{sl}-{tl}-{sh}-{th}",
            source_lang=sl,
            target_lang=tl,
            source=source,
            target=target,
            changed=changed,
            key=m.group(1) if m else "",
            origin=origin or "",
        )


class _Languages:
    """TMX language codes (``en-US``, ``tr_TR``, ``pt-BR``) onto configured languages, as
    the WordPress sources map locales. None for a code that is not configured, or (listed
    in ``malformed``) not a language tag at all."""

    def __init__(self, settings: Settings) -> None:
        self.languages = set(settings.languages)
        self.map = parse_locale_map(settings.wp_locale_map or "")
        self.seen: dict[str, str | None] = {}
        self.malformed: set[str] = set()

    def __call__(self, code: str) -> str | None:
        if code in self.seen:
            return self.seen[code]
        found: str | None = None
        if not _LANG_TAG.match(code):
            self.malformed.add(code)
            self.seen[code] = None
            return None
        for form in (code, code.replace("-", "_")):
            if form in self.map:
                found = self.map[form] if self.map[form] in self.languages else None
                break
        else:
            base = code.replace("-", "_").split("_", 1)[0]
            for spelling in (code, code.lower(), base, base.lower()):
                if spelling in self.languages:
                    found = spelling
                    break
        self.seen[code] = found
        return found


def import_memory(
    session: Session, settings: Settings, data: bytes | BinaryIO, *, path: str = "", actor: str = ""
) -> dict[str, Any]:
    """Validate a TMX file and add its pairs to the memory, in the caller's transaction.

    Returns counts: ``units`` read, ``pairs`` found, ``added`` (new to the memory),
    ``merged`` (already there, or repeated in the file), ``skipped`` (a unit with one
    language only, an empty segment, a target that is its source text, a ``<tuv>`` in a
    language that is not configured, a unit whose source language is not), ``prefill``
    (open tasks queued again), ``skipped_variants`` and ``skipped_units`` (those skipped
    for their language, by its code in the file), and ``warnings`` when any was so
    skipped. Raises
    :class:`~sync.errors.InputError` listing every problem, each with its unit's line and
    number; the caller's transaction is then rolled back."""
    langs = _Languages(settings)
    known = langs.seen
    name = PurePath(path).name if path else "TMX"
    fallback = f"{name} ({actor})" if actor else name  # the origin of pairs with no post
    counts: dict[str, Any] = {
        "units": 0,
        "pairs": 0,
        "added": 0,
        "merged": 0,
        "skipped": 0,
        "prefill": 0,
    }
    problems: list[str] = []
    n_problems = 0
    units = pairs = skipped = 0
    skipped_variants: Counter[str] = Counter()  # code in the file → <tuv>s not configured
    skipped_units: Counter[str] = Counter()  # source language not configured → units
    now = utcnow()
    writer = open_writer(session)
    add = writer.add
    try:
        for tu in read_tmx(data, path=path):
            units += 1
            found: list[str] = []
            created, changed = tu.creationdate, tu.changedate
            if created and parse_date(created) is None:
                found.append(f"creationdate {created!r} is not a TMX date (YYYYMMDDThhmmssZ, UTC)")
            if changed and parse_date(changed) is None:
                found.append(f"changedate {changed!r} is not a TMX date (YYYYMMDDThhmmssZ, UTC)")
            variants: list[tuple[str, str]] = []
            elsewhere: list[str] = []  # codes of the <tuv>s in languages not configured
            for v in tu.variants:
                code = v.lang
                lang = (known[code] if code in known else langs(code)) if code else None
                if not code:
                    found.append(f"the <tuv> at line {v.line} has no xml:lang")
                elif lang is None:
                    if code in langs.malformed:
                        found.append(f"xml:lang {code!r} (line {v.line}) is not a language tag")
                    else:
                        elsewhere.append(code)
                if v.text is None:
                    found.append(f"the <tuv> {code!r} at line {v.line} has no <seg>")
                elif lang is not None:
                    variants.append((lang, v.text))
            if not tu.variants:
                found.append("no <tuv>")
            source_lang = None
            if tu.srclang and tu.srclang != "*all*":
                source_lang = langs(tu.srclang)
                if source_lang is None and tu.srclang in langs.malformed:
                    found.append(f"source language {tu.srclang!r} is not a language tag")
            elif variants:
                source_lang = variants[0][0]
            if found:
                n_problems += len(found)
                if len(problems) < MAX_LISTED:
                    problems += [f"{tu.name}: {p}" for p in found]
                continue
            if source_lang is None and tu.srclang and tu.srclang != "*all*":
                skipped += 1  # from a language the site does not have: no pair to take
                skipped_units[tu.srclang] += 1
                continue
            if elsewhere:
                skipped += len(elsewhere)
                skipped_variants.update(elsewhere)
                if not variants:
                    continue  # no language of the site at all
            source = next((text for lang, text in variants if lang == source_lang), None)
            if source is None:
                n_problems += 1
                if len(problems) < MAX_LISTED:
                    problems.append(f"{tu.name}: no <tuv> in the source language {tu.srclang!r}")
                continue
            targets = [(lang, text) for lang, text in variants if lang != source_lang]
            if not targets:
                skipped += 1
                continue
            if n_problems:
                continue  # refused already: read on only to list what else is wrong
            when = parse_date(changed or created or "") or now
            props = tu.props
            origin = props.get("x-transync-origin")
            context = props.get("x-context", "")
            src_text = inline_text(source)  # white space folded, hard breaks kept
            if not src_text:
                skipped += len(targets)
                continue
            src_hash = _sha256(src_text.encode()).hexdigest()[:16]  # seg_hash, inlined
            for lang, text in targets:
                tgt_text = inline_text(text)
                if not tgt_text or tgt_text == src_text:
                    skipped += 1  # empty, or the source itself (a CAT tool's copy of it)
                    continue
                pairs += 1
                add(
                    (
                        source_lang,
                        lang,
                        src_hash,
                        _sha256(tgt_text.encode()).hexdigest()[:16],
                        src_text,
                        tgt_text,
                        (origin or (f"{context} [{lang}]" if context else fallback))[:512],
                        when,
                    )
                )
    except BaseException:
        with contextlib.suppress(Exception):
            writer.discard()  # a refused XML stream: end the copy, keep the connection
        raise
    counts.update(
        units=units,
        pairs=pairs,
        skipped=skipped,
        skipped_variants=dict(sorted(skipped_variants.items())),
        skipped_units=dict(sorted(skipped_units.items())),
    )
    if n_problems:
        writer.discard()
        raise InputError(
            f"the TMX file was refused: {n_problems:,} problem{'s' if n_problems > 1 else ''}"
            f" in {units:,} units; nothing was added",
            path=path or None,
            problems=problems,
            problem_count=n_problems,
        )
    added = writer.finish()
    counts["added"] = sum(added.values())
    counts["merged"] = pairs - counts["added"]
    counts["prefill"] = _prefill_again(session, {pair for pair, n in added.items() if n})
    warnings = _skipped_warnings(settings, skipped_variants, skipped_units)
    if warnings:
        counts["warnings"] = warnings
    return counts


def _skipped_warnings(
    settings: Settings, variants: Counter[str], units: Counter[str]
) -> list[Text]:
    """What was left out for its language, so that an export of an agency's whole memory
    does not lose a language the site has under another code without a word."""
    warnings: list[Text] = []
    if variants:
        n = sum(variants.values())
        warnings.append(
            nt_(
                "skipped %(n)d variant in a language that is not configured "
                "(TRANSYNC_LANGUAGES=%(languages)s): %(codes)s; to import it, add its "
                "language to TRANSYNC_LANGUAGES or map it in TRANSYNC_WP_LOCALE_MAP",
                "skipped %(n)d variants in languages that are not configured "
                "(TRANSYNC_LANGUAGES=%(languages)s): %(codes)s; to import them, add their "
                "language to TRANSYNC_LANGUAGES or map it in TRANSYNC_WP_LOCALE_MAP",
                n,
                n=n,
                languages=",".join(settings.languages),
                codes=", ".join(sorted(variants)),
            )
        )
    if units:
        n = sum(units.values())
        warnings.append(
            nt_(
                "skipped %(n)d unit whose source language is not configured: %(codes)s",
                "skipped %(n)d units whose source language is not configured: %(codes)s",
                n,
                n=n,
                codes=", ".join(sorted(units)),
            )
        )
    return warnings


def _prefill_again(session: Session, pairs: set[tuple[str, str]]) -> int:
    """Open tasks of these (source, target) language pairs that were pre-filled before:
    pre-filled again (queued through the outbox), so new entries reach them at once."""
    if not pairs:
        return 0
    todo: list[tuple[int, str]] = []
    for source_lang, target_lang in sorted(pairs):
        todo += [
            (task_id, target_lang)
            for (task_id,) in session.execute(
                select(Task.id)
                .join(Post, Post.id == Task.post_id)
                .where(
                    Task.state.in_(("queued", "claimed")),
                    Task.lang == target_lang,
                    Post.source_lang == source_lang,
                    Task.prefilled_revision.is_not(None),
                )
            )
        ]
    if not todo:
        return 0
    ids = [t for t, _ in todo]
    for i in range(0, len(ids), 1000):
        session.execute(
            update(Task)
            .where(Task.id.in_(ids[i : i + 1000]))
            .values(prefilled_revision=0)  # no revision is 0: pre-fill again
            .execution_options(synchronize_session=False)
        )
    enqueue_prefill(session, todo)
    return len(todo)


def parse_langs(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").replace(" ", ",").split(",") if v.strip())
