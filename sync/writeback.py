"""Write-back: a finished translation goes into the source it belongs to.

For a content tree the translation is written next to its source in the same
layout (language folder or language suffix), atomically. Its front matter is the
existing translation's, edited in place (other keys, their order and comments kept),
or for a new file the source's, with the title, the translatable fields and
``source_hash`` set and stub flags removed; an existing Markdown translation's body keeps
its own form, only the segments whose text changed written anew. The tracker then records
the new version from the very document written, so the next scan sees it unchanged.

transync never overwrites text it has not seen: before replacing a file it compares
the file's bytes with what the last scan recorded. A hand edit, a file that appeared
or went away, a symlink, anything but a regular file: nothing is written and the
caller gets a :class:`WriteConflict` (the task becomes ``conflict``); what is on disk
is recorded first, so both texts are kept. Nothing is ever written outside the tree
or through a symlink.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.config import Settings
from sync.db.models import Version, revision_body
from sync.errors import ConflictError
from sync.frontmatter import front_key
from sync.i18n import nt_, t_
from sync.sources.base import Document, WriteConflict, dropped_detail, drops_why
from sync.sources.fs import FORMATS, ContentTree, read_file
from sync.text import normalize_inline
from sync.tracker import Scan, VRow

#: Source front-matter keys a new translation does not take over.
NOT_COPIED = ("source_hash", "source_lang", "priority", "due")


def field_values(
    source_front: Mapping[str, Any], fields: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """New front-matter values: each field's source value with its texts translated.

    ``fields`` maps a field to the translations of its segments in order: one per
    non-empty string inside the source's value (as the scan made segments of them).

    >>> field_values({"cards": [{"title": "A", "icon": ""}, "B"]}, {"cards": ["Â", "Ƀ"]})
    {'cards': [{'title': 'Â', 'icon': ''}, 'Ƀ']}
    """
    from sync.frontedit import replace_leaves, string_leaves

    out: dict[str, Any] = {}
    for name, texts in fields.items():
        spelled = front_key(source_front, name)  # Description: is description to Hugo
        if spelled is None:
            continue
        leaves = string_leaves(source_front[spelled])
        it = iter(texts)
        try:
            out[name] = replace_leaves(
                source_front[spelled],
                [next(it) if normalize_inline(leaf) else leaf for leaf in leaves],
            )
        except StopIteration:
            raise ConflictError(
                nt_(
                    "front-matter field %(field)s: %(n)d translation for more "
                    "texts in the source; download the task again",
                    "front-matter field %(field)s: %(n)d translations for more "
                    "texts in the source; download the task again",
                    len(texts),
                    field=repr(name),
                    n=len(texts),
                )
            ) from None
    return out


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
    fields: Mapping[str, Sequence[str]] | None = None,
    force: bool = False,
    front_matter: Mapping[str, Any] | None = None,
) -> VRow | WriteConflict:
    """Write a translation of post `key` and record it as the tracker's new version, or
    return why nothing was written. ``force`` (an editor resolving a conflict in favour
    of the submission) writes over what is on disk, after recording it; a symlink is then
    replaced by a file, its target left alone. ``front_matter``: keys a translator's Markdown
    file set (a localized slug, tags), written into the translation's front matter."""
    scan = Scan(session, settings, actor, keys=[key])
    pid = scan.snap.posts[key]
    src = scan.snap.versions.get((pid, scan.snap.source_lang[pid] or ""))
    if src is None or src.deleted:
        raise ConflictError(
            t_("post %(key)s has no live source to write a translation beside", key=repr(key))
        )
    existing = scan.snap.versions.get((pid, lang))
    # the translation goes where it is: a live one in another content tree (a translations
    # repository beside the site's) is written there, never doubled beside the source
    home = src.source
    if existing is not None and existing.alive and existing.source != src.source:
        if not (existing.source.startswith("fs:") and src.source.startswith("fs:")):
            raise ConflictError(
                t_(
                    "the %(lang)s translation of post %(key)s is read from %(holder)s "
                    "(%(origin)s), not from %(source)s where its source is: transync "
                    "writes a translation only where it is, and there only from a source "
                    "in a content tree too; paste the translation (PO or Markdown) into "
                    "%(origin)s by hand, and the next scan records it",
                    lang=lang,
                    key=repr(key),
                    holder=existing.source,
                    origin=existing.origin,
                    source=src.source,
                ),
                key=key,
                lang=lang,
            )
        home = existing.source
    if not src.source.startswith("fs:"):
        from sync.sources import open_source

        site = open_source(src.source, settings)
        if not hasattr(site, "write_translation"):  # a WXR export: a file, not the site
            raise ConflictError(
                t_(
                    "post %(key)s is read from %(source)s, which transync cannot write to "
                    "(an export is read-only; write-back needs the site itself, wp:URL, "
                    "with Polylang Pro): download the translation (PO or Markdown), paste "
                    "it into WordPress, and the next scan of a new export records it",
                    key=repr(key),
                    source=src.source,
                ),
                key=key,
                lang=lang,
            )
        return site.write_translation(
            session,
            scan,
            src=src,
            key=key,
            lang=lang,
            title=title,
            body=body,
            source_hash=source_hash,
            source_texts=source_texts,
            body_format=body_format or "html",
            force=force,
        )
    src_root = Path(src.source[3:])
    root = Path(home[3:])
    tree = ContentTree(
        root, languages=settings.languages, default_lang=settings.source_lang, settings=settings
    )
    origin = (
        existing.origin
        if existing is not None and existing.source == home
        else tree.translation_origin(src.origin, src.lang, lang)
    )
    target = place(root, origin)
    recorded = _recorded(scan, home, origin)
    linked = symlinked_folder(root, origin)
    found, why = (None, "symlinked_folder") if linked else _on_disk(target)
    if linked and force:
        raise ConflictError(
            t_(
                "%(folder)s is a symlink to a folder: writing %(path)s there "
                "would write into another folder; make it a real folder first, "
                "then resolve again",
                folder=linked,
                path=origin,
            ),
            key=key,
            lang=lang,
        )
    source_front, source_text = _source_front(session, src, src_root)

    def render(base: str | None) -> str:
        """The translation file, edited from `base` (the file on disk, if any)."""
        # the translator's keys as the file being edited spells them (Tags: stays Tags:)
        spelled = _front_of(base, origin) if base is not None else source_front
        values: dict[str, Any] = {
            front_key(spelled, k) or k: v for k, v in (front_matter or {}).items()
        }
        if title or front_key(source_front, "title") is not None:
            values["title"] = title
        values.update(field_values(source_front, fields or {}))
        values["source_hash"] = source_hash
        remove = [k for k in settings.stub_fields if k not in values]
        return _render(base, source_text, source_front, values, remove, body, origin)

    base = None if why or found is None else _read_text(target)
    # over an existing translation, only the segments that changed are written: the rest
    # stays as the file writes it (wrapping, list markers, line breaks, no final newline)
    made_from = _made_from(session, src, existing) if base is not None else ""
    kept = _over_translation(base, body, made_from, origin) if base is not None else None
    body = kept or body
    if not force and not why and found != recorded and base is not None:
        # the very file this write-back writes: an earlier attempt wrote it and stopped
        # before its commit (a killed process); no text of anyone else's is on disk
        with contextlib.suppress(ConflictError):  # said below, after the conflict
            if hashlib.sha256(render(base).encode("utf-8")).hexdigest() == found:
                recorded = found
    if not force and (why or found != recorded):
        return conflict(
            scan,
            tree,
            origin,
            target,
            found,
            recorded,
            why,
            detail=linked and t_("%(folder)s is a symlink to a folder", folder=linked),
        )
    if force and found is not None and found != recorded and not why:
        _record_disk(scan, tree, origin, target)  # the hand edit becomes a revision first
    text = render(base)
    if not force and base is not None:
        lost = _dropped(base, body, made_from, origin)
        if lost:
            return WriteConflict(
                reason="drops",
                message=conflict_message("drops", origin, dropped_detail(lost)),
                path=origin,
                found_hash=found,
                recorded_hash=recorded,
            )
    raw = text.encode("utf-8")
    doc = tree.parse(origin, raw, hashlib.sha256(raw).hexdigest(), tree.folder_layout())
    if not isinstance(doc, Document) or (doc.key, doc.lang) != (key, lang):
        why = (
            doc.reason
            if not isinstance(doc, Document)
            else t_(
                "it would be read as post %(key)s in %(lang)s", key=repr(doc.key), lang=doc.lang
            )
        )
        raise ConflictError(
            t_(
                "the translation of %(key)s in %(lang)s cannot be written to "
                "%(path)s: %(why)s; nothing was written",
                key=repr(key),
                lang=lang,
                path=origin,
                why=why,
            ),
            key=key,
            lang=lang,
        )
    write_file(root, target, raw, new_mode=_mode(place(src_root, src.origin)))
    at_origin = next(
        (v for v in scan.snap.versions.values() if v.source == home and v.origin == origin),
        None,
    )
    v = scan.stage(doc, at_origin, source_texts, baseline="recorded")
    scan.settle()
    scan.write()
    return v


def place(root: Path, origin: str) -> Path:
    """The path to write `origin` to: its folder resolved (it must be inside the tree, and
    a folder symlink must not lead out of it), its name not (a symlinked file is replaced,
    never written through)."""
    root_real = Path(os.path.realpath(root))
    target = root / origin
    parent = Path(os.path.realpath(target.parent))
    if parent != root_real and root_real not in parent.parents:
        raise ConflictError(
            t_(
                "refusing to write %(path)s: its folder is outside the content tree %(root)s",
                path=repr(origin),
                root=str(root),
            )
        )
    return parent / target.name


def symlinked_folder(root: Path, origin: str) -> str | None:
    """The first folder on the way from the tree's root to `origin` that is a symlink, if
    any: writing there would write into the folder it points to (another language's)."""
    parts = origin.split("/")[:-1]
    for i in range(1, len(parts) + 1):
        if os.path.islink(root.joinpath(*parts[:i])):
            return "/".join(parts[:i])
    return None


def _recorded(scan: Scan, source: str, origin: str) -> str | None:
    """The raw hash the last scan recorded for a file, None if it recorded none there."""
    for v in scan.snap.versions.values():
        if v.source == source and v.origin == origin and not v.deleted:
            return v.raw_hash or None
    return None


def _on_disk(target: Path) -> tuple[str | None, str | None]:
    """(sha256 of the file's bytes or None when absent, why it cannot be compared)."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None, None
    if stat.S_ISLNK(info.st_mode):
        return None, "symlink"
    if not stat.S_ISREG(info.st_mode):
        return None, "not_a_file"
    raw = read_file(os.fspath(target), max_bytes=1 << 62)
    return hashlib.sha256(raw or b"").hexdigest(), None


#: Why nothing was written, by reason: (path, detail) → the message.
MESSAGES: dict[str, Callable[[str, str], str]] = {
    "changed": lambda path, _d: t_(
        "%(path)s changed on disk since the last scan (a hand edit?)", path=path
    ),
    "appeared": lambda path, _d: t_("%(path)s appeared on disk since the last scan", path=path),
    "deleted": lambda path, _d: t_("%(path)s was deleted since the last scan", path=path),
    "edited": lambda path, _d: t_(
        "%(path)s was edited after the task was claimed (a scan recorded the edit), and the "
        "submission was made from the text before",
        path=path,
    ),
    "symlink": lambda path, _d: t_(
        "%(path)s is a symlink; transync never writes through one", path=path
    ),
    "symlinked_folder": lambda path, detail: t_(
        "%(path)s is in a folder that is a symlink (%(detail)s); transync never writes through one",
        path=path,
        detail=detail,
    ),
    "not_a_file": lambda path, _d: t_("%(path)s is not a regular file", path=path),
    "drops": drops_why,
}


def conflict_message(reason: str, path: str, detail: str = "") -> str:
    """What a conflict of write-back says: why, and that nothing was written."""
    return t_(
        "%(why)s; nothing was written: the task is in conflict until an editor keeps "
        "the submitted translation or what is on disk",
        why=MESSAGES[reason](path, detail),
    )


def conflict_text(conflict: Mapping[str, Any] | None) -> str:
    """A task's recorded conflict as its message: rebuilt from its reason (so a page says it
    in the reader's language) when that gives the English recorded, else as recorded."""
    conflict = conflict or {}
    recorded = conflict.get("message")
    if not recorded:
        return t_("the file changed on disk")
    reason, path = conflict.get("reason"), conflict.get("path")
    if reason in MESSAGES and isinstance(path, str):
        rebuilt = conflict_message(reason, path)
        if rebuilt == recorded:
            return rebuilt
    return str(recorded)


def conflict(
    scan: Scan,
    tree: ContentTree,
    origin: str,
    target: Path,
    found: str | None,
    recorded: str | None,
    why: str | None,
    detail: str | None = None,
) -> WriteConflict:
    """Record what is on disk (a regular file becomes a revision like any scan would make
    it) and say why nothing was written."""
    reason = why or ("appeared" if recorded is None else "deleted" if found is None else "changed")
    disk_text = None
    if reason in ("changed", "appeared"):
        if not _record_disk(scan, tree, origin, target):
            disk_text = _read_text(target)
    message = conflict_message(reason, origin, detail or "")
    return WriteConflict(
        reason=reason,
        message=message,
        path=origin,
        found_hash=found,
        recorded_hash=recorded,
        disk_text=disk_text,
    )


def _record_disk(scan: Scan, tree: ContentTree, origin: str, target: Path) -> bool:
    """Record the file on disk as the scan would; False when it cannot be read as a version
    (then the caller keeps its text elsewhere)."""
    try:
        raw = read_file(os.fspath(target), max_bytes=tree.max_bytes)
    except OSError:
        return False
    if raw is None:
        return False
    doc = tree.parse(
        origin, raw, hashlib.sha256(raw).hexdigest(), tree.folder_layout(), analyze=True
    )
    if not isinstance(doc, Document):
        return False
    at_origin = next(
        (v for v in scan.snap.versions.values() if v.source == doc.source and v.origin == origin),
        None,
    )
    scan.stage(doc, at_origin)
    scan.settle()
    scan.write()
    scan.written()  # the write-back's own staging starts afresh
    return True


def _made_from(session: Session, src: VRow, existing: VRow | None) -> str:
    """The source's body at the revision the translation was made from (else its latest)."""
    number = (existing.based_on_revision if existing is not None else None) or src.revision
    return revision_body(session, src.id, number) or ""


def _dropped(base: str, body: str, made_from: str, origin: str) -> list[str]:
    """The blocks of the Markdown translation on disk (``base``) that the written ``body``
    would drop and the task never showed (:func:`sync.segments.loss.dropped_blocks`),
    against the source body the translation was made from (``made_from``)."""
    from sync.errors import FrontMatterError
    from sync.frontmatter import parse_document
    from sync.segments.loss import dropped_blocks

    if FORMATS.get(Path(origin).suffix.lower()) != "markdown":
        return []
    try:
        old_body = parse_document(base.encode("utf-8", "surrogatepass"), origin=origin)[1]
    except (FrontMatterError, ValueError):
        return []  # not a document any more: the scan's refusal says so, not this
    return dropped_blocks(old_body, body, made_from)


def _front_of(text: str, origin: str) -> dict[str, Any]:
    """A document's front matter, or none when it cannot be read (the write fails later,
    saying why)."""
    from sync.errors import FrontMatterError
    from sync.frontmatter import parse_document

    try:
        return parse_document(text.encode("utf-8", "surrogatepass"), origin=origin)[0]
    except (FrontMatterError, ValueError):
        return {}


def _read_text(target: Path) -> str | None:
    try:
        return target.read_bytes().decode("utf-8", "replace")
    except OSError:
        return None


def _source_front(session: Session, src: VRow, root: Path) -> tuple[dict[str, Any], str | None]:
    """The source's front matter (as recorded) and its file's text, for a new translation's
    front matter in the source's own form (YAML, TOML or JSON, order, comments)."""
    front = session.execute(select(Version.front_matter).where(Version.id == src.id)).scalar()
    text = None
    with contextlib.suppress(OSError, UnicodeDecodeError, ValueError):
        raw = read_file(os.fspath(place(root, src.origin)))
        text = raw.decode("utf-8-sig") if raw is not None else None
    return dict(front or {}), text


def _over_translation(base: str, body: str, made_from: str, origin: str) -> str | None:
    """``body`` (the translation rebuilt on its source's structure) as the Markdown
    translation on disk (``base``) would have it: that file's body with only the segments
    whose text differs written anew, the rest as written (that body itself when no segment
    differs, which :func:`_render` then leaves byte for byte). A block that is no segment
    (code, an HTML block, a link definition) stays in the translation's own form (a
    localized link target, code comments in its language) where the source has not changed
    it since ``made_from``, the source body the translation was made from. None when the
    two differ in more (kinds, blocks the source changed, which :func:`_dropped` judges) or
    the rewrite would not read back so: then ``body`` is written."""
    from sync.errors import FrontMatterError
    from sync.frontmatter import parse_document
    from sync.segments import render_markdown
    from sync.segments.markdown import body_blocks

    if FORMATS.get(Path(origin).suffix.lower()) != "markdown":
        return None
    try:
        old_body = parse_document(base.encode("utf-8", "surrogatepass"), origin=origin)[1]
    except (FrontMatterError, ValueError):
        return None
    old, new, was = body_blocks(old_body), body_blocks(body), body_blocks(made_from)
    if len(old) != len(new) or any(o[:2] != n[:2] for o, n in zip(old, new, strict=True)):
        return None
    unchanged = [w[:2] for w in was] == [n[:2] for n in new]
    if any(
        not o[0] and o[2] != n[2] and not (unchanged and w[2] == n[2])
        for o, n, w in zip(old, new, was if unchanged else new, strict=True)
    ):
        return None
    texts = [None if o[2] == n[2] else n[2] for o, n in zip(old, new, strict=True) if o[0]]
    if not any(texts):
        return old_body
    try:
        written = render_markdown(old_body, texts)
    except ValueError:
        return None
    expected = [o if not o[0] else n for o, n in zip(old, new, strict=True)]
    return written if body_blocks(written) == expected else None


def _render(
    base: str | None,
    source_text: str | None,
    source_front: Mapping[str, Any],
    values: Mapping[str, Any],
    remove: Sequence[str],
    body: str,
    origin: str,
) -> str:
    """The translation file: the existing translation's text edited in place, else the
    source's front matter edited, else fresh YAML front matter. An existing translation
    that cannot be edited in place is never replaced by the source's front matter (its own
    keys, a localized slug or aliases, would be lost): ConflictError, nothing written.
    A ``body`` that is the existing translation's own stays byte for byte."""
    from sync.errors import FrontMatterError
    from sync.frontedit import edit_document
    from sync.frontmatter import parse_document, render_document

    for start, drop in ((base, list(remove)), (source_text, [*remove, *NOT_COPIED])):
        if start is None:
            continue
        try:
            # the blank lines between the front matter and the body stay as the file had them
            old_body = parse_document(start.encode("utf-8", "surrogatepass"), origin=origin)[1]
            gap = "\n" * (len(old_body) - len(old_body.lstrip("\n")))
            return edit_document(
                start,
                set_values=values,
                remove=[k for k in drop if k not in values],
                body=None if start is base and body == old_body else gap + body.strip() + "\n",
                origin=origin,
            )
        except (FrontMatterError, ValueError) as exc:
            if start is base:
                raise ConflictError(
                    t_(
                        "the translation %(path)s cannot be edited in place (%(problem)s); "
                        "nothing was written, so that none of its front matter is lost: fix "
                        "the file, scan, and submit again",
                        path=origin,
                        problem=str(exc),
                    )
                ) from None
            continue
    # keys in any case, as Hugo reads them: the source's Title: is set, not joined by a title:
    dropped = {k.lower() for k in (*NOT_COPIED, *remove)}
    front = {
        k: v for k, v in source_front.items() if not (isinstance(k, str) and k.lower() in dropped)
    }
    front.update({front_key(front, k) or k: v for k, v in values.items()})
    return render_document(front, body.strip() + "\n")


def _mode(path: Path) -> int:
    """A file's permission bits (0o644 when it cannot be read)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        return 0o644


def write_file(root: Path, target: Path, data: bytes, new_mode: int = 0o644) -> None:
    """Write through a temporary file renamed into place: readers see the old file or the
    new one. A symlink at the target is replaced by the file (its target untouched). The
    file keeps its mode; a new one gets ``new_mode`` (the source's: a page kept from other
    users stays so in every language)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    place(root, os.path.relpath(target, os.path.realpath(root)))  # still inside the tree
    try:
        mode = os.lstat(target).st_mode & 0o7777 if not os.path.islink(target) else new_mode
    except FileNotFoundError:
        mode = new_mode
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
