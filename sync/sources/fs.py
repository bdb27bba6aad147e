"""The content-tree source: a Hugo-style tree of Markdown files with front matter.

Two layouts, as Hugo has them: a folder per language (``en/posts/x.md``) and a
language suffix (``posts/x.tr.md``). A file with neither is in the default
language (TRANSYNC_SOURCE_LANG).
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path, PurePosixPath

from sync.errors import InputError
from sync.frontmatter import parse_document, to_datetime
from sync.segments import analyze_markdown
from sync.sources.base import Document, Item, Problem, Unchanged

EXTENSIONS = (".md", ".markdown")
LANG_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z]{2,4})?$")
MAX_FILE_BYTES = 10_000_000
PARALLEL_MIN = 200  # fewer changed files than this are parsed in-process
PARALLEL_BATCH = 4000  # files held in memory at once while waiting to be parsed
KEY_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


def valid_key(key: str) -> str | None:
    """Why a post key is unusable, or None: keys name files and URLs, so no traversal."""
    if not key or len(key) > 200:
        return "a post key must have 1 to 200 characters"
    if KEY_FORBIDDEN.search(key):
        return "a post key may not contain control characters or backslashes"
    parts = key.split("/")
    if key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        return "a post key may not be an absolute path or contain '.' or '..' parts"
    return None


def list_files(root: Path) -> Iterator[str]:
    """Relative POSIX paths of the Markdown files under root, sorted, hidden entries skipped."""
    for path, _symlink in tree_files(root):
        yield path


def tree_files(root: Path) -> list[tuple[str, bool]]:
    """(relative POSIX path, is a symlink) of the Markdown files under root, sorted by path,
    hidden entries skipped. Whether an entry is a symlink comes with the directory listing,
    so a scan spends no system call per file on it."""
    stack = [""]
    found: list[tuple[str, bool]] = []
    while stack:
        rel = stack.pop()
        with os.scandir(root / rel if rel else root) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                path = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append(path)
                elif entry.name.endswith(EXTENSIONS):
                    symlink = entry.is_symlink()
                    if symlink or entry.is_file(follow_symlinks=False):
                        found.append((path, symlink))
    found.sort()
    return found


def read_file(path: str) -> bytes | None:
    """A file's bytes, or None when it is larger than MAX_FILE_BYTES (not read then).

    One open, one fstat and the reads: a no-change rescan does this for every file.
    """
    with open(path, "rb", buffering=0) as f:
        if os.fstat(f.fileno()).st_size > MAX_FILE_BYTES:
            return None
        return f.read()


class ContentTree:
    """Reads ``fs:PATH``."""

    def __init__(self, root: Path, *, languages: Sequence[str], default_lang: str) -> None:
        self.root = root
        self.uri = f"fs:{root}"
        self.languages = tuple(languages)
        self.default_lang = default_lang

    def check(self) -> None:
        if not self.root.is_dir():
            raise InputError(
                "is not a folder; give the path of a content tree", path=str(self.root)
            )

    def folder_layout(self) -> bool:
        return any((self.root / lang).is_dir() for lang in self.languages)

    def locate(self, rel: str, folders: bool) -> tuple[str, str] | Problem:
        """(language, key from path) for a relative path, or why it cannot be placed."""
        path = PurePosixPath(rel)
        parts = list(path.parts)
        stem = path.name.rsplit(".", 1)[0]
        lang = None
        if "." in stem and LANG_CODE.match(stem.rsplit(".", 1)[1]):
            stem, lang = stem.rsplit(".", 1)
        if folders and len(parts) > 1 and LANG_CODE.match(parts[0]):
            lang = lang or parts[0]
            parts = parts[1:]
        elif folders and len(parts) > 1 and lang is None:
            return Problem(
                origin=rel,
                reason=f"cannot tell the language: put the file under a language folder "
                f"({', '.join(self.languages)}) or name it {stem}.<lang>.md",
            )
        lang = lang or self.default_lang
        if lang not in self.languages:
            return Problem(
                origin=rel,
                lang=lang,
                reason=f"language {lang!r} is not configured (TRANSYNC_LANGUAGES="
                f"{','.join(self.languages)}); add it or move the file",
            )
        key = "/".join([*parts[:-1], stem])
        if key.endswith("/index") or key.endswith("/_index"):
            key = key.rsplit("/", 1)[0]
        return lang, key

    def read(self, known: Mapping[str, str]) -> Iterator[Item]:
        """Every file as a Document, a Problem, or Unchanged when its bytes hash as recorded.

        Changed files are parsed and segmented in parallel processes when there are many.
        """
        self.check()
        folders = self.folder_layout()
        root_real = os.path.realpath(self.root)
        changed: list[tuple[str, bytes, str]] = []
        root = os.fspath(self.root)
        for rel, symlink in tree_files(self.root):
            full = os.path.join(root, rel)
            if symlink:
                target = os.path.realpath(full)
                if os.path.commonpath([root_real, target]) != root_real:
                    yield Problem(
                        origin=rel,
                        reason="is a symlink that leads outside the content tree; "
                        "copy the file into the tree instead",
                    )
                    continue
            try:
                raw = read_file(full)
            except OSError as exc:
                yield Problem(origin=rel, reason=f"cannot be read: {exc.strerror}")
                continue
            if raw is None:
                yield Problem(origin=rel, reason=f"is larger than {MAX_FILE_BYTES} bytes")
                continue
            raw_hash = hashlib.sha256(raw).hexdigest()
            if known.get(rel) == raw_hash:
                yield Unchanged(rel)
                continue
            changed.append((rel, raw, raw_hash))
            if len(changed) >= PARALLEL_BATCH:
                yield from self.parse_many(changed, folders)
                changed = []
        yield from self.parse_many(changed, folders)

    def parse_many(
        self, items: list[tuple[str, bytes, str]], folders: bool
    ) -> Iterator[Document | Problem]:
        workers = min(os.cpu_count() or 1, 4)
        if len(items) < PARALLEL_MIN or workers < 2:
            for rel, raw, raw_hash in items:
                yield self.parse(rel, raw, raw_hash, folders, analyze=True)
            return
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            chunk = max(8, len(items) // (workers * 4))
            yield from pool.map(
                _parse_in_worker,
                [(self, rel, raw, raw_hash, folders) for rel, raw, raw_hash in items],
                chunksize=chunk,
            )

    def parse(
        self, rel: str, raw: bytes, raw_hash: str, folders: bool, analyze: bool = False
    ) -> Document | Problem:
        place = self.locate(rel, folders)
        if isinstance(place, Problem):
            return place
        lang, path_key = place
        try:
            meta, body, _ = parse_document(raw, origin=rel)
        except InputError as exc:
            return Problem(origin=rel, line=exc.line, reason=exc.message, lang=lang)
        key = meta.get("translationKey") or meta.get("translationkey") or path_key
        key = str(key)
        if why := valid_key(key):
            return Problem(origin=rel, reason=f"translationKey {key!r}: {why}", lang=lang)
        declared = meta.get("source_lang")
        if declared is not None and str(declared) not in self.languages:
            return Problem(
                origin=rel,
                reason=f"source_lang {declared!r} is not a configured language",
                key=key,
                lang=lang,
            )
        try:
            priority = int(meta.get("priority") or 0)
        except (TypeError, ValueError):
            return Problem(origin=rel, key=key, lang=lang, reason="priority must be a number")
        try:
            date = to_datetime(meta.get("date"))
            due_dt = to_datetime(meta.get("due"))
        except (TypeError, ValueError) as exc:
            return Problem(origin=rel, key=key, lang=lang, reason=f"bad date: {exc}")
        title = meta.get("title")
        title = "" if title is None else str(title)
        return Document(
            source=self.uri,
            origin=rel,
            key=key,
            lang=lang,
            title=title,
            body=body,
            date=date,
            draft=bool(meta.get("draft", False)),
            source_lang=None if declared is None else str(declared),
            source_hash=None if meta.get("source_hash") is None else str(meta["source_hash"]),
            priority=priority,
            due=due_dt.date() if due_dt else None,
            front_matter=meta,
            raw_hash=raw_hash,
            analysis=analyze_markdown(title, body) if analyze else None,
        )


def _parse_in_worker(args: tuple[ContentTree, str, bytes, str, bool]) -> Document | Problem:
    tree, rel, raw, raw_hash, folders = args
    return tree.parse(rel, raw, raw_hash, folders, analyze=True)
