"""Write-back: a finished translation goes into the source it belongs to.

For a content tree the translation is written next to its source in the same
layout (language folder or language suffix), keeping the source's front matter
other than the title, adding ``source_hash``, atomically. The tracker then records
the new version from the very document written, so the next scan sees it unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy.orm import Session

from sync.catalog import write_atomic
from sync.config import Settings
from sync.errors import ConflictError
from sync.frontmatter import render_document
from sync.sources.base import Document
from sync.sources.fs import LANG_CODE
from sync.tracker import Scan, VRow


def translation_origin(source_origin: str, source_lang: str, lang: str) -> str:
    """Where a translation of `source_origin` lives, in the same Hugo layout.

    >>> translation_origin("en/posts/energy.md", "en", "tr")
    'tr/posts/energy.md'
    >>> translation_origin("posts/energy.en.md", "en", "ru")
    'posts/energy.ru.md'
    >>> translation_origin("posts/energy.md", "en", "ru")
    'posts/energy.ru.md'
    """
    path = PurePosixPath(source_origin)
    parts = list(path.parts)
    if len(parts) > 1 and parts[0] == source_lang:
        return str(PurePosixPath(lang, *parts[1:]))
    stem, ext = path.name.rsplit(".", 1)
    if "." in stem and LANG_CODE.match(stem.rsplit(".", 1)[1]):
        stem = stem.rsplit(".", 1)[0]
    return str(path.with_name(f"{stem}.{lang}.{ext}"))


def write_translation(
    session: Session,
    settings: Settings,
    *,
    key: str,
    lang: str,
    title: str,
    body: str,
    source_hash: str,
    actor: str,
    source_texts: Sequence[str | None] | None = None,
    body_format: str | None = None,
) -> VRow:
    """Write a translation of post `key` and record it as the tracker's new version."""
    scan = Scan(session, settings, actor, keys=[key])
    pid = scan.snap.posts[key]
    src = scan.snap.versions.get((pid, scan.snap.source_lang[pid] or ""))
    if src is None or src.deleted:
        raise ConflictError(f"post {key!r} has no live source to write a translation beside")
    if not src.source.startswith("fs:"):
        from sync.sources import open_source

        site = open_source(src.source, settings)
        return site.write_translation(session, scan, src=src, key=key, lang=lang, title=title,
                                      body=body, source_hash=source_hash,
                                      source_texts=source_texts,
                                      body_format=body_format or "html")
    root = Path(src.source[3:])
    existing = scan.snap.versions.get((pid, lang))
    origin = (
        existing.origin
        if existing is not None and existing.source == src.source
        else translation_origin(src.origin, src.lang, lang)
    )
    front: dict[str, Any] = {}
    front["title"] = title
    from sqlalchemy import select

    from sync.db.models import Version

    source_front = session.execute(
        select(Version.front_matter).where(Version.id == src.id)).scalar() or {}
    for k, v in source_front.items():
        if k not in ("title", "source_hash", "source_lang", "priority", "due"):
            front[k] = v
    front["source_hash"] = source_hash
    text = render_document(front, body.strip() + "\n")
    raw = text.encode("utf-8")
    target = (root / origin).resolve()
    if root.resolve() not in target.parents:
        raise ConflictError(f"refusing to write {origin!r} outside the content tree {root}")
    write_atomic(target, raw)
    doc = Document(
        source=src.source, origin=origin, key=key, lang=lang, title=title, body=body,
        date=src.date, draft=src.draft, source_hash=source_hash, front_matter=front,
        raw_hash=hashlib.sha256(raw).hexdigest(),
    )
    at_origin = next(
        (v for v in scan.snap.versions.values() if v.source == src.source and v.origin == origin),
        None,
    )
    v = scan.stage(doc, at_origin, source_texts)
    scan.settle()
    scan.write()
    return v
