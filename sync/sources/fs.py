"""The content-tree source: a Hugo-style tree of content files with front matter.

The layouts Hugo has: a folder per language (``en/posts/x.md``), a language suffix
(``posts/x.tr.md``), and content folders of any name that the site's configuration gives
languages (``contentDir = "content/turkish"``, a module mount with ``lang = "tr"``,
:mod:`sync.sources.hugosite`). A file with
none of these is in the default language (TRANSYNC_SOURCE_LANG, or when that is not set the
site's defaultContentLanguage). Front-matter keys are read in any case, as Hugo reads
them. Markdown (``.md``, ``.markdown``, ``.mdown``) and
HTML (``.html``, ``.htm``) content files are read; every other file, a language that
is not configured, a TRANSYNC_IGNORE pattern or the site's ignoreFiles and a headless bundle
are skipped and counted by reason. One file's failure, whatever it is, rejects that file alone.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import multiprocessing
import os
import re
import signal
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sync.analysis import analyze_document, with_words
from sync.errors import InputError
from sync.frontmatter import (
    clashing_keys,
    front_key,
    front_value,
    parse_date,
    parse_document,
)
from sync.i18n import t_
from sync.sources.base import Document, Item, Problem, Skipped, Unchanged
from sync.sources.hugosite import HugoSite, find_site
from sync.sources.values import (
    exception_message,
    field_line,
    has_nul,
    truthy,
    valid_key,
    whole_number,
)

if TYPE_CHECKING:
    from sync.config import Settings

#: Content files by suffix, and how their body is read.
FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".html": "html",
    ".htm": "html",
}
EXTENSIONS = tuple(FORMATS)
LANG_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
MAX_FILE_BYTES = 10_000_000  # TRANSYNC_MAX_DOCUMENT_BYTES's default
MAX_ORIGIN_CHARS = 2048  # versions.origin
SOURCE_HASH = re.compile(r"^[0-9a-fA-F]{8,64}$")
PARALLEL_MIN = 200  # fewer changed files than this are parsed in-process
PARALLEL_BATCH = 4000  # files held in memory at once while waiting to be parsed
#: The front-matter keys a scan reads (besides the translatable fields and stub flags), in
#: any case, as Hugo reads them.
READ_KEYS = (
    "title",
    "draft",
    "headless",
    "translationKey",
    "date",
    "priority",
    "due",
    "source_lang",
    "source_hash",
)


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
    if len(parts) > 1 and parts[0].lower() == source_lang.lower():
        return str(PurePosixPath(lang, *parts[1:]))
    stem, ext = path.name.rsplit(".", 1)
    if "." in stem and LANG_CODE.match(stem.rsplit(".", 1)[1]):
        stem = stem.rsplit(".", 1)[0]
    return str(path.with_name(f"{stem}.{lang}.{ext}"))


def shown_path(rel: str) -> str:
    """A path as it can be printed and stored: bytes that are not UTF-8 (a file name from
    another system) as ``\\xNN`` escapes.

    >>> shown_path("posts/caf\\udce9.md")
    'posts/caf\\\\xe9.md'
    """
    try:
        rel.encode("utf-8")
        return rel
    except UnicodeEncodeError:
        return os.fsencode(rel).decode("utf-8", "backslashreplace")


@functools.cache
def known_language(code: str) -> bool:
    """Whether a code names a language (CLDR): ``de`` and ``pt-br`` do, ``doc`` and ``api``
    do not. A file ``x.doc.md`` is then in the default language, ``x.de.md`` in German."""
    from babel import Locale

    try:
        Locale.parse(code.replace("-", "_"))
    except Exception:  # noqa: BLE001 - babel raises several types for unknown codes
        return False
    return True


class Listing:
    """A tree's files: content files to read, and every skipped entry with its reason."""

    def __init__(self) -> None:
        self.files: list[tuple[str, bool]] = []  # (relative path, is a symlink)
        self.skipped: list[Skipped] = []
        self.problems: list[Problem] = []


def list_tree(root: Path, ignore: Any = None) -> Listing:
    """Walk a tree once: content files (sorted), skipped entries, unreadable names.

    Hidden entries (a leading dot or ``#``, as Hugo has it) are skipped and not descended
    into; a folder that an ignore pattern matches counts once. Whether an entry is a symlink or a
    regular file comes with the directory listing: no system call per file. FIFOs, devices
    and sockets are never opened.
    """
    listing = Listing()
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as it:
                entries = list(it)
        except OSError as exc:
            listing.problems.append(
                Problem(
                    origin=shown_path(rel or "."),
                    reason=t_("folder cannot be read: %(error)s", error=exc.strerror),
                )
            )
            continue
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            if entry.name.startswith((".", "#")):  # Hugo reads neither
                listing.skipped.append(Skipped(shown_path(path), "hidden"))
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                if ignore is not None and ignore.match_file(path + "/" if is_dir else path):
                    listing.skipped.append(Skipped(shown_path(path), "ignored"))
                    continue
                if is_dir:
                    stack.append(path)
                    continue
                if not entry.name.lower().endswith(EXTENSIONS):
                    listing.skipped.append(Skipped(shown_path(path), "not_content"))
                    continue
                symlink = entry.is_symlink()
                if symlink or entry.is_file(follow_symlinks=False):
                    listing.files.append((path, symlink))
                else:
                    listing.problems.append(
                        Problem(
                            origin=shown_path(path),
                            reason=t_(
                                "is not a regular file (a FIFO, socket or device); it is never "
                                "opened: remove it from the tree or ignore it (TRANSYNC_IGNORE)"
                            ),
                        )
                    )
            except OSError as exc:
                listing.problems.append(
                    Problem(
                        origin=shown_path(path),
                        reason=t_("cannot be read: %(error)s", error=exc.strerror),
                    )
                )
    listing.files.sort()
    return listing


def list_files(root: Path) -> Iterator[str]:
    """Relative POSIX paths of the content files under root, sorted, hidden entries skipped."""
    for path, _symlink in list_tree(root).files:
        yield path


def read_file(path: str, max_bytes: int = MAX_FILE_BYTES) -> bytes | None:
    """A regular file's bytes, or None when it is larger than `max_bytes` (not read then).

    One open, one fstat and the reads: a no-change rescan does this for every file. The
    open never blocks (a FIFO put in place of a file would hang a plain open), and anything
    but a regular file is refused before a byte is read.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with open(fd, "rb", buffering=0) as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, t_("is not a regular file (a FIFO, socket or device)"))
        if info.st_size > max_bytes:
            return None
        return f.read()


def _die_with_parent() -> None:
    """Pool process initializer: get SIGKILL when the scanning process dies, so a killed
    scan leaves no parser process behind (Linux; elsewhere the pool's own EOF handling)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


class Ignore:
    """The files a scan leaves out: TRANSYNC_IGNORE's gitignore patterns, matched against the
    path in the tree, and the Hugo site's ``ignoreFiles``, regular expressions Hugo searches
    a file's (or folder's) full path for: ``ignoreFiles = ["/private/", "\\.bak\\.md$"]``."""

    def __init__(self, spec: Any, regexes: Sequence[re.Pattern[str]], root: str) -> None:
        self.spec, self.regexes, self.root = spec, regexes, root

    def match_file(self, path: str) -> bool:
        if self.spec is not None and self.spec.match_file(path):
            return True
        full = os.path.join(self.root, path.rstrip("/"))
        return any(r.search(full) for r in self.regexes)


class ContentTree:
    """Reads ``fs:PATH``."""

    def __init__(
        self,
        root: Path,
        *,
        languages: Sequence[str],
        default_lang: str,
        settings: Settings | None = None,
    ) -> None:
        self.root = root
        self.uri = f"fs:{root}"
        self.languages = tuple(languages)
        self.source_lang = default_lang
        if settings is None:
            from sync.config import Settings

            settings = Settings(languages=self.languages, source_lang=default_lang)
        self.source_lang_given = "source_lang" in settings.given
        self.fields = tuple(f for f in settings.front_matter_fields if f != "title")
        self.stub_fields = tuple(settings.stub_fields)
        self.ignore_patterns = settings.ignore.split()
        self.max_bytes = settings.max_document_bytes
        #: (language, section folder with a trailing /, its index file) → the draft value its
        #: ``cascade`` gives the pages below it, in its language (set by :meth:`read`)
        self.cascades: dict[tuple[str, str, str], bool] = {}

    def check(self) -> None:
        if not self.root.is_dir():
            raise InputError(
                t_("is not a folder; give the path of a content tree"), path=str(self.root)
            )
        self.content_dirs  # noqa: B018 - a Hugo configuration that cannot be read is said here
        site, root = self.site, Path(os.path.normpath(self.root))
        if (
            site is not None
            and Path(os.path.normpath(site.folder)) == root
            and site.content_dir != root
            and all(parts for parts, _lang in self.content_dirs)
        ):
            raise InputError(
                t_(
                    "is a Hugo site's folder (%(config)s), not its content: its templates, "
                    "theme and README would be read as pages; scan its content folder "
                    "(%(content)s) instead",
                    config=site.config,
                    content=str(site.content_dir),
                ),
                path=str(self.root),
            )

    @functools.cached_property
    def site(self) -> HugoSite | None:
        """The Hugo site the tree is in, when its configuration is found above it."""
        return find_site(self.root)

    @functools.cached_property
    def content_dirs(self) -> tuple[tuple[tuple[str, ...], str | bool], ...]:
        """(folder in the tree as path parts, its language or False when not configured) for
        each content folder the site's configuration gives a language, the deepest first.
        ``()`` is the whole tree, when the tree is inside one language's content folder."""
        if self.site is None:
            return ()
        root = Path(os.path.normpath(self.root))
        found: list[tuple[tuple[str, ...], str | bool]] = []
        for code, folder in [*self.site.content_dirs.items(), *self.site.mounts]:
            lang = self.configured(code)
            if folder == root or folder in root.parents:
                found.append(((), lang))
            elif root in folder.parents:
                found.append((folder.relative_to(root).parts, lang))
        return tuple(sorted(found, key=lambda item: -len(item[0])))

    @property
    def default_lang(self) -> str:
        """The language of a file whose path names none: TRANSYNC_SOURCE_LANG when it is set,
        else the Hugo site's defaultContentLanguage (when configured here), else
        TRANSYNC_SOURCE_LANG's default."""
        site = self.site
        if not self.source_lang_given and site is not None and site.default_lang:
            found = self.configured(site.default_lang)
            if found:
                return found
        return self.source_lang

    @property
    def site_source_lang(self) -> str | None:
        """The language the site writes its posts in first, when its Hugo configuration says
        (defaultContentLanguage) and TRANSYNC_SOURCE_LANG is not given: a post's source is
        then chosen in that language, as its files without a suffix are read in it."""
        lang = self.default_lang
        return lang if lang != self.source_lang else None

    def configured(self, code: str) -> str | bool:
        """The configured language a Hugo language code is (Hugo lower-cases them), or False."""
        return next((lang for lang in self.languages if lang.lower() == code.lower()), False)

    def folder_layout(self) -> bool:
        """Whether the tree has a folder per language (``en/``, ``pt-br/``: Hugo lower-cases
        language codes, so a folder is a language's whatever its case)."""
        if any((self.root / lang).is_dir() for lang in self.languages):
            return True
        try:
            with os.scandir(self.root) as it:
                return any(e.is_dir() and self.configured(e.name) for e in it)
        except OSError:
            return False

    def translation_origin(self, source_origin: str, source_lang: str, lang: str) -> str:
        """Where a translation of `source_origin` lives: in the target language's content
        folder when the site gives both languages one, else as :func:`translation_origin`."""
        folders = {found: parts for parts, found in self.content_dirs if found and parts}
        src, dst = folders.get(source_lang), folders.get(lang)
        parts = PurePosixPath(source_origin).parts
        if src is not None and dst is not None and parts[: len(src)] == src:
            return str(PurePosixPath(*dst, *parts[len(src) :]))
        return translation_origin(source_origin, source_lang, lang)

    def ignore_spec(self) -> Ignore | None:
        """What the scan leaves out: TRANSYNC_IGNORE and the Hugo site's ignoreFiles."""
        spec = None
        if self.ignore_patterns:
            import pathspec

            spec = pathspec.GitIgnoreSpec.from_lines(self.ignore_patterns)
        regexes = []
        site = self.site
        for pattern in site.ignore_files if site is not None else ():
            try:
                regexes.append(re.compile(pattern))
            except re.error as exc:
                raise InputError(
                    t_(
                        "ignoreFiles pattern %(pattern)s is not a regular expression "
                        "(%(error)s); fix it (Hugo stops at it too)",
                        pattern=repr(pattern),
                        error=str(exc),
                    ),
                    path=str(site.ignore_files_in) if site is not None else None,
                ) from exc
        if spec is None and not regexes:
            return None
        return Ignore(spec, regexes, os.path.abspath(self.root))

    def language_of(self, code: str) -> str | None | bool:
        """A configured language, False for a language that is not configured, None for a
        code that names no language (then it is part of the name). Hugo lower-cases paths and
        language codes: ``x.pt-br.md`` is in ``pt-BR``."""
        if found := self.configured(code):
            return found
        return False if known_language(code) else None

    def locate(self, rel: str, folders: bool) -> tuple[str, str] | Problem | Skipped:
        """(language, key from path) for a relative path, or why it cannot be placed."""
        path = PurePosixPath(rel)
        parts = list(path.parts)
        stem = path.name.rsplit(".", 1)[0]
        lang: str | None = None
        if "." in stem and LANG_CODE.match(suffix := stem.rsplit(".", 1)[1]):
            found = self.language_of(suffix)
            if found is False:
                return Skipped(rel, "unconfigured_language")
            if found:
                stem, lang = stem.rsplit(".", 1)[0], found
        owner = next(
            (
                (found, len(folder))
                for folder, found in self.content_dirs
                if len(parts) > len(folder) and tuple(parts[: len(folder)]) == folder
            ),
            None,
        )
        if owner is None and folders and len(parts) > 1 and LANG_CODE.match(parts[0]):
            # in a folder-per-language tree every such top folder is a language's content
            owner = (self.configured(parts[0]), 1)
        if owner is not None:  # a language's content folder (a Hugo contentDir)
            found, depth = owner
            if found is False:
                return Skipped(rel, "unconfigured_language")
            if lang is not None and lang != found:
                return Problem(
                    origin=rel,
                    lang=lang,
                    reason=t_(
                        "the folder says language %(folder)s but the name says %(name)s; "
                        "rename the file or move it",
                        folder=repr(found),
                        name=repr(lang),
                    ),
                )
            lang = str(found)
            parts = parts[depth:]
        elif folders and len(parts) > 1 and lang is None:
            return self.no_language(rel, stem)
        lang = lang or self.default_lang
        key = "/".join([*parts[:-1], stem])
        if key.endswith("/index") or key.endswith("/_index"):
            key = key.rsplit("/", 1)[0]
        return lang, key

    def names_language(self, rel: str) -> bool:
        """Whether a path says its language (a suffix, a language folder, a content folder)
        rather than being read in the default language."""
        parts = PurePosixPath(rel).parts
        stem = parts[-1].rsplit(".", 1)[0]
        if "." in stem and self.language_of(stem.rsplit(".", 1)[1]) is not None:
            return True
        if len(parts) > 1 and self.configured(parts[0]) and self.folder_layout():
            return True
        return any(tuple(parts[: len(folder)]) == folder for folder, _ in self.content_dirs)

    def claim_clash(self, key: str, lang: str, origins: Sequence[str]) -> str | None:
        """Why files claim one post in one language when one of them has no language suffix
        and was read as TRANSYNC_SOURCE_LANG beside a file that names that language: the
        site's default language is another (``posts/x.md`` is Turkish on a site whose
        defaultContentLanguage is tr). Distinct translationKeys would split the post, so the
        setting is what to change. None for any other clash."""
        if lang != self.source_lang or self.default_lang != lang:
            return None  # the default came from the site's configuration: not this case
        plain = [o for o in origins if not self.names_language(o)]
        if not plain or len(plain) == len(origins):
            return None
        site = self.site.default_lang if self.site is not None else None
        site_lang = self.configured(site) if site else False
        if site_lang and site_lang != lang:
            return t_(
                "post %(key)s in %(lang)s is claimed by %(files)s: %(plain)s has no language "
                "suffix, so it is read as TRANSYNC_SOURCE_LANG (%(lang)s), but the site's "
                "defaultContentLanguage is %(site)s; set TRANSYNC_SOURCE_LANG=%(site)s (or "
                "leave it unset) rather than giving the files distinct translationKeys",
                key=repr(key),
                lang=lang,
                files=", ".join(origins),
                plain=plain[0],
                site=site_lang,
            )
        return t_(
            "post %(key)s in %(lang)s is claimed by %(files)s: %(plain)s has no language "
            "suffix, so it is read as TRANSYNC_SOURCE_LANG (%(lang)s); if the site's "
            "defaultContentLanguage is another language (%(others)s), set "
            "TRANSYNC_SOURCE_LANG to it rather than giving the files distinct translationKeys",
            key=repr(key),
            lang=lang,
            files=", ".join(origins),
            plain=plain[0],
            others=", ".join(code for code in self.languages if code != lang),
        )

    def no_language(self, rel: str, stem: str) -> Problem:
        return Problem(
            origin=rel,
            reason=t_(
                "cannot tell the language: put the file under a language folder "
                "(%(languages)s) or name it %(stem)s.<lang>.md, or ignore it (TRANSYNC_IGNORE)",
                languages=", ".join(self.languages),
                stem=stem,
            ),
        )

    def read(self, known: Mapping[str, str]) -> Iterator[Item]:
        """Every file as a Document, a Problem, Skipped, or Unchanged when its bytes hash as
        recorded. Changed files are parsed and segmented in parallel processes when there
        are many."""
        self.check()
        folders = self.folder_layout()
        root_real = os.path.realpath(self.root)
        listing = list_tree(self.root, self.ignore_spec())
        yield from listing.skipped
        yield from listing.problems
        changed: list[tuple[str, bytes, str]] = []
        root = os.fspath(self.root)
        headless = self.headless_bundles(listing.files)
        self.cascades, changed_sections = self.draft_cascades(listing.files, known, folders)
        listed = {rel for rel, _symlink in listing.files}
        copies: set[str] = set()  # symlinks to another file of the tree
        for rel, symlink in listing.files:
            if headless and any(rel.startswith(folder) for folder in headless):
                yield Skipped(rel, "headless")  # the bundle and every page resource in it
                continue
            shown = shown_path(rel)
            if shown != rel:
                yield Problem(
                    origin=shown,
                    reason=t_(
                        "the file name is not UTF-8; rename the file (transync names files in "
                        "its database and catalogs)"
                    ),
                )
                continue
            if len(rel) > MAX_ORIGIN_CHARS:
                yield Problem(
                    origin=rel[:200] + "…",
                    reason=t_(
                        "the path is longer than %(max)d characters; shorten it",
                        max=MAX_ORIGIN_CHARS,
                    ),
                )
                continue
            full = os.path.join(root, rel)
            if symlink:
                target = os.path.realpath(full)
                if os.path.commonpath([root_real, target]) != root_real:
                    yield Problem(
                        origin=rel,
                        reason=t_(
                            "is a symlink that leads outside the content tree; copy the file "
                            "into the tree instead"
                        ),
                    )
                    continue
                try:
                    regular = stat.S_ISREG(os.stat(full).st_mode)
                except OSError as exc:
                    yield Problem(
                        origin=rel, reason=t_("is a broken symlink (%(error)s)", error=exc.strerror)
                    )
                    continue
                if regular and os.path.relpath(target, root_real) in listed:
                    copies.add(rel)  # the same file as another page: no translation of it
                if not regular:  # never opened: a FIFO would block, a device read forever
                    yield Problem(
                        origin=rel,
                        reason=t_(
                            "is a symlink to something that is not a regular file (a FIFO, "
                            "socket or device); it is never opened: remove it or ignore it "
                            "(TRANSYNC_IGNORE)"
                        ),
                    )
                    continue
            try:
                raw = read_file(full, self.max_bytes)
            except OSError as exc:
                yield Problem(
                    origin=rel,
                    reason=t_("cannot be read: %(error)s", error=exc.strerror or str(exc)),
                )
                continue
            if raw is None:
                yield Problem(
                    origin=rel,
                    reason=t_(
                        "is larger than %(max)d bytes (TRANSYNC_MAX_DOCUMENT_BYTES); split it "
                        "or raise the limit",
                        max=self.max_bytes,
                    ),
                )
                continue
            raw_hash = hashlib.sha256(raw).hexdigest()
            if known.get(rel) == raw_hash and not self.cascaded(rel, folders, changed_sections):
                yield Unchanged(rel)
                continue
            changed.append((rel, raw, raw_hash))
            if len(changed) >= PARALLEL_BATCH:
                yield from _stubs(self.parse_many(changed, folders), copies)
                changed = []
        yield from _stubs(self.parse_many(changed, folders), copies)

    def headless_bundles(self, files: Sequence[tuple[str, bool]]) -> tuple[str, ...]:
        """Folders (with a trailing /) of leaf bundles whose index file says ``headless:
        true``: Hugo publishes nothing of them, page resources included. Only index files
        that mention the word are parsed."""
        found = []
        root = os.fspath(self.root)
        for rel, _symlink in files:
            name = PurePosixPath(rel).name
            if not name.startswith("index.") or "/" not in rel:
                continue
            try:
                raw = read_file(os.path.join(root, rel), self.max_bytes)
                if raw is None or b"headless" not in raw.lower():  # Headless: true too
                    continue
                meta = parse_document(raw, origin=rel)[0]
            except Exception:  # noqa: BLE001 - the main pass reports what is wrong with it
                continue
            if truthy(front_value(meta, "headless")):
                found.append(rel.rsplit("/", 1)[0] + "/")
        return tuple(found)

    def draft_cascades(
        self, files: Sequence[tuple[str, bool]], known: Mapping[str, str], folders: bool
    ) -> tuple[dict[tuple[str, str, str], bool], set[str]]:
        """The ``draft`` each section page's ``cascade`` gives the pages below it in its
        language (``cascade: {draft: true}``: Hugo publishes none of them unless one says
        ``draft: false``), and the folders of section pages that changed or are gone since
        the last scan (the pages below them are read again). Only section pages that mention
        the word are parsed."""
        found: dict[tuple[str, str, str], bool] = {}
        changed: set[str] = set()
        root = os.fspath(self.root)
        listed = set()
        for rel, _symlink in files:
            if not PurePosixPath(rel).name.startswith("_index."):
                continue
            listed.add(rel)
            folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
            try:
                raw = read_file(os.path.join(root, rel), self.max_bytes)
            except OSError:
                continue  # the main pass reports it
            if raw is None:
                continue
            if known.get(rel) != hashlib.sha256(raw).hexdigest():
                changed.add(folder)
            if b"cascade" not in raw.lower():
                continue
            try:
                place = self.locate(rel, folders)
                cascade = front_value(parse_document(raw, origin=rel)[0], "cascade")
            except Exception:  # noqa: BLE001 - the main pass reports what is wrong with it
                continue
            if not isinstance(place, tuple):
                continue
            # a mapping, or a list of them; one with a target applies to some pages only
            items = cascade if isinstance(cascade, list) else [cascade]
            for item in items:
                if not isinstance(item, Mapping) or front_key(item, "_target") is not None:
                    continue
                if front_key(item, "target") is not None:
                    continue
                if (draft := front_value(item, "draft")) is not None:
                    found[(place[0], folder, rel)] = truthy(draft)
        for rel in known:
            name = PurePosixPath(rel).name
            if name.startswith("_index.") and rel not in listed:  # gone: its cascade too
                changed.add(rel.rsplit("/", 1)[0] + "/" if "/" in rel else "")
        return found, changed

    def cascaded(self, rel: str, folders: bool, changed: set[str]) -> bool:
        """Whether a file must be read again though its bytes are as recorded: a section
        page above it changed or went (its cascade may have), or a cascade says it is a
        draft (a tree first scanned before cascades were read)."""
        if any(rel.startswith(folder) for folder in changed):
            return True
        if not self.cascades:
            return False
        place = self.locate(rel, folders)
        return isinstance(place, tuple) and self.cascaded_draft(rel, place[0])

    def cascaded_draft(self, rel: str, lang: str) -> bool:
        """The draft value the nearest section above `rel` in its language cascades (a
        section page's own cascade is not its own)."""
        best: tuple[int, bool] | None = None
        for (section_lang, folder, index), draft in self.cascades.items():
            if section_lang != lang or index == rel or not rel.startswith(folder):
                continue
            if best is None or len(folder) > best[0]:
                best = (len(folder), draft)
        return best[1] if best is not None else False

    def parse_many(
        self, items: list[tuple[str, bytes, str]], folders: bool
    ) -> Iterator[Document | Problem | Skipped]:
        workers = min(os.cpu_count() or 1, 4)
        if len(items) < PARALLEL_MIN or workers < 2:
            for rel, raw, raw_hash in items:
                yield self.parse(rel, raw, raw_hash, folders, analyze=True)
            return
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_die_with_parent
        ) as pool:
            chunk = max(8, len(items) // (workers * 4))
            yield from pool.map(
                _parse_in_worker,
                [(self, rel, raw, raw_hash, folders) for rel, raw, raw_hash in items],
                chunksize=chunk,
            )

    def parse(
        self, rel: str, raw: bytes, raw_hash: str, folders: bool, analyze: bool = False
    ) -> Document | Problem | Skipped:
        """One file as a Document, or why it is skipped or rejected: whatever goes wrong
        reading it rejects this file alone."""
        try:
            return self._parse(rel, raw, raw_hash, folders, analyze)
        except InputError as exc:
            # the post and language its path gives (a translationKey in front matter that
            # cannot be read is unknown): the tracker then knows whose version this was
            place = self.locate(rel, folders)
            key, lang = (place[1], place[0]) if isinstance(place, tuple) else (None, None)
            return Problem(origin=rel, line=exc.line, reason=exc.message, key=key, lang=lang)
        except Exception as exc:  # noqa: BLE001 - one file's failure is that file's problem
            error = f"{type(exc).__name__}: {exc}"
            return Problem(
                origin=rel,
                reason=t_(
                    "could not be read (%(error)s); fix the file or ignore it (TRANSYNC_IGNORE)",
                    error=error,
                ),
            )

    def _parse(
        self, rel: str, raw: bytes, raw_hash: str, folders: bool, analyze: bool
    ) -> Document | Problem | Skipped:
        place = self.locate(rel, folders)
        if isinstance(place, Problem | Skipped):
            return place
        lang, path_key = place
        nul = raw.find(b"\x00")
        if nul >= 0:
            return Problem(
                origin=rel,
                lang=lang,
                line=raw.count(b"\n", 0, nul) + 1,
                reason=t_("contains a NUL byte, which no database stores as text; remove it"),
            )
        meta, body, _ = parse_document(raw, origin=rel)

        def problem(field: str, reason: str, key: str | None = None) -> Problem:
            line = field_line(raw, front_key(meta, field) or field)  # as the file spells it
            return Problem(origin=rel, line=line, key=key, lang=lang, reason=reason)

        if clash := clashing_keys(meta, (*READ_KEYS, *self.fields, *self.stub_fields)):
            return problem(
                clash[1],
                t_(
                    "front-matter keys %(first)s and %(second)s are one key to Hugo, which "
                    "reads keys in any case; keep one of them",
                    first=repr(clash[0]),
                    second=repr(clash[1]),
                ),
            )
        if truthy(front_value(meta, "headless")):
            return Skipped(rel, "headless")
        for name, value in meta.items():  # an escaped NUL ("\0", \u0000) in any value
            if has_nul(name) or has_nul(value):
                return problem(
                    str(name),
                    t_(
                        "front-matter field %(field)s contains a NUL character, which no "
                        "database stores as text; remove it",
                        field=str(name),
                    ),
                )
        key = front_value(meta, "translationKey")
        if isinstance(key, list | dict | bool):  # str() would make a key of its repr
            return problem(
                "translationKey",
                t_(
                    "translationKey %(key)s is not one value: give one word or number, the "
                    "same in every language of the post",
                    key=repr(key),
                ),
            )
        key = path_key if key is None else str(key)
        if why := valid_key(key):
            return problem(
                "translationKey", t_("translationKey %(key)s: %(why)s", key=repr(key), why=why)
            )
        declared = front_value(meta, "source_lang")
        if declared is not None and not self.configured(str(declared)):
            return problem(
                "source_lang",
                t_(
                    "source_lang %(lang)s is not a configured language (%(languages)s)",
                    lang=repr(declared),
                    languages=", ".join(self.languages),
                ),
                key,
            )
        declared_hash = front_value(meta, "source_hash")
        if declared_hash is not None and not SOURCE_HASH.match(str(declared_hash)):
            return problem(
                "source_hash",
                t_(
                    "source_hash %(value)s is not a hash: write the 16 hex digits "
                    "`status --json` reports",
                    value=repr(str(declared_hash)[:80]),
                ),
                key,
            )
        try:
            priority = whole_number(front_value(meta, "priority"))
        except ValueError as exc:
            return problem("priority", exception_message(exc), key)
        try:
            date = parse_date(front_value(meta, "date"))
        except ValueError as exc:
            return problem("date", exception_message(exc), key)
        try:
            due_dt = parse_date(front_value(meta, "due"), field="due")
        except ValueError as exc:
            return problem("due", exception_message(exc), key)
        title = front_value(meta, "title")
        title = "" if title is None else str(title)
        fields = self.field_segments(meta)
        body_format = FORMATS[PurePosixPath(rel).suffix.lower()]
        return Document(
            source=self.uri,
            origin=rel,
            key=key,
            lang=lang,
            title=title,
            body=body,
            body_format=body_format,  # type: ignore[arg-type]
            date=date,
            draft=truthy(draft)
            if (draft := front_value(meta, "draft")) is not None
            else self.cascaded_draft(rel, lang),
            source_lang=None if declared is None else str(self.configured(str(declared))),
            source_hash=None if declared_hash is None else str(declared_hash),
            priority=priority,
            due=due_dt.date() if due_dt else None,
            front_matter=meta,
            raw_hash=raw_hash,
            analysis=with_words(
                analyze_document(title, body, body_format=body_format, fields=fields, autop=False)
            )
            if analyze
            else None,
            fields=fields,
            stub=any(truthy(front_value(meta, f)) for f in self.stub_fields),
        )

    def field_segments(self, meta: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        """(field, text) for every string under a translatable front-matter field."""
        from sync.frontedit import string_leaves

        found: list[tuple[str, str]] = []
        for name in self.fields:
            value = front_value(meta, name)
            if value is not None:
                found.extend((name, text) for text in string_leaves(value))
        return tuple(found)


def _stubs(found: Iterable[Any], copies: set[str]) -> Iterator[Any]:
    """Documents read through a symlink to another file of the tree are stubs: a site that
    links ``ru/x.md`` to ``en/x.md`` shows the English page there, which is no translation
    (missing, not current)."""
    for item in found:
        if copies and isinstance(item, Document) and item.origin in copies:
            item = dataclasses.replace(item, stub=True)
        yield item


def _parse_in_worker(
    args: tuple[ContentTree, str, bytes, str, bool],
) -> Document | Problem | Skipped:
    tree, rel, raw, raw_hash, folders = args
    return tree.parse(rel, raw, raw_hash, folders, analyze=True)
