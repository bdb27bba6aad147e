"""Which source revision a translation was made from, read in bulk from git history.

A translation was made from the source as it was in the commit that last changed the
translation's content. `GitHistory.baselines` answers that for thousands of (translation,
source) pairs with four git processes in all, whatever the number of pairs: one `git log` over
the tree's whole history, one `git ls-tree` of HEAD, one `git status` and one `git cat-file
--batch` for the source texts. It returns plain data; the tracker compares and hashes.

How each case is decided (paths are followed by blob ids, not by file names alone):

- The translation's last change is the newest commit, in topological order, whose diff gave the
  translation's path the blob it has at HEAD with different content; when the file had those
  very bytes before (a revert), the commit that made them then. A pure rename (same blob,
  R100) or a mode change is followed back to the old path and is not a change. Renames are
  read over the whole repository, so a tree moved into another folder keeps its history; an
  added file git did not pair with a deleted one (a page made a bundle, with front matter
  added) is followed to a file deleted in that commit when ``same_text`` says it has the text.
- Merges take part as combined diffs: a merge counts as the change only when the translation
  differs from every parent and from what git's own merge of the parents gives (a conflict
  resolution or an edit made in the merge); a clean combination of two edits is dated by the
  newer of them. A translation
  merged late from a branch is therefore dated by the branch commit that made it, and the source
  is read in that commit: the old source the translator saw. `git log` simplifies history for
  the tree's path as it does by default: a merge identical to one parent for the whole tree is
  followed through that parent only, so work a merge discarded (`-s ours`) is never evidence.
- The source is read at the translation commit under the name it had then: every name the
  source has had along its history from HEAD is tried, newest first, then the name that
  stands to the translation's name then as the source's stands to the translation's now.
- `source_commit` is the commit that gave the source that blob at or before the translation
  commit; `next_source_commit` is the source change that followed it on the source's history
  from HEAD. When that history does not pass through `source_commit` (the translation was made
  on a branch from a source version that never reached HEAD), it is the oldest source change
  committed after the translation, by committer time. On a branch, the next change can be
  older than the translation: the branch did not have it.
- A translation with uncommitted changes, or untracked, counts as made now (`uncommitted`),
  unless ``same_text`` says HEAD's version has its text: then it is dated by its history.
  An untracked file in a tree that has never been committed is no evidence: nothing says when
  it was made.
- A shallow clone says only what it holds: a change found in a boundary commit (whose parents
  are missing, so every file looks added there) yields no `source_commit`, and is evidence
  only when the source changed after the boundary: the translation, there already, was made
  from an older source than HEAD's (read as of the boundary, the newest it can have seen).
"""

from __future__ import annotations

import difflib
import logging
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sync.errors import SourceError

logger = logging.getLogger(__name__)

Pair = tuple[str, str]

# An added file is matched against the files its commit deleted (when git did not pair it)
# only in commits that delete at most this many files, and against this many of them.
_MAX_UNPAIRED = 2000
_CANDIDATES = 8
# Clean merges of merges are followed back this many levels.
_MERGE_ROUNDS = 8

# Settings that would change git's output, pinned whatever the user's configuration says.
_CONFIG = (
    "-c",
    "core.quotepath=off",
    "-c",
    "color.ui=never",
    "-c",
    "log.showSignature=false",
    "-c",
    "log.showRoot=true",
    "-c",
    "diff.noprefix=false",
)


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """What history says about one translation: when it was last changed and from which source."""

    uncommitted: bool
    """The translation has uncommitted changes or is untracked: it counts as made now, from the
    source as it is on disk now (the other history fields are then None)."""
    translation_commit: str | None
    """Full hash of the last commit that changed the translation's content (renames followed)."""
    translation_time: datetime | None
    """That commit's committer time, aware UTC."""
    source_blob: bytes | None
    """The source's bytes as of translation_commit; None if it did not exist then."""
    source_path: str | None = None
    """The source's path (relative to the tree) as of translation_commit, when it existed."""
    source_commit: str | None
    """The commit that last changed the source at or before translation_commit, if known."""
    next_source_commit: str | None
    """The first source change after the version the translation was made from, if any."""
    next_source_time: datetime | None
    """That commit's committer time, aware UTC."""
    source_dirty: bool
    """The source has uncommitted changes now (or is untracked)."""


@dataclass(frozen=True, slots=True)
class _Step:
    """One diff entry that gave a path its blob, in the commit at topological index `at`:
    from `old_path`/`old_blob` (None when added). `content` is False for a pure rename or a
    mode change, True when the bytes changed."""

    at: int
    path: str
    old_path: str | None
    old_blob: str | None
    content: bool
    blob: str = ""
    sides: tuple[tuple[str, str], ...] = ()
    """For a merge that changed the file: each parent's (path, blob), when it had the file."""


class _Log:
    """The tree's history from one `git log`: commits newest first (topological order) and,
    for each (path, blob), the steps that produced it, oldest commit last."""

    def __init__(self) -> None:
        self.commits: list[str] = []
        self.times: list[int] = []
        self.boundary: set[int] = set()
        self.steps: dict[tuple[str, str], list[_Step]] = {}
        # path -> the newest commit that deleted it (or renamed it away)
        self.deleted: dict[str, int] = {}
        self.removed: dict[int, list[tuple[str, str]]] = {}  # at -> (path, blob) deleted there

    @classmethod
    def parse(cls, data: bytes, shallow: frozenset[str]) -> _Log:
        """Read `git log -z --raw --no-abbrev -c --combined-all-paths --format='%H %ct'`."""
        log = cls()
        tokens = data.split(b"\0")
        i, end = 0, len(tokens)
        at = -1
        while i < end:
            token = tokens[i].lstrip(b"\n")
            i += 1
            if not token:
                continue
            if not token.startswith(b":"):
                commit, stamp = token.split(b" ")[:2]
                at += 1
                log.commits.append(commit.decode("ascii"))
                log.times.append(int(stamp))
                if log.commits[-1] in shallow:
                    log.boundary.add(at)
                continue
            if at < 0:
                raise SourceError("git log printed a change before any commit")
            parents = len(token) - len(token.lstrip(b":"))
            fields = token[parents:].split(b" ")
            blobs = [b.decode("ascii") for b in fields[parents + 1 : 2 * parents + 2]]
            status = fields[-1][:1]
            count = parents + 1 if parents > 1 else (2 if status in (b"R", b"C") else 1)
            paths = [os.fsdecode(p) for p in tokens[i : i + count]]
            i += count
            new_blob = blobs[-1]
            if parents == 1 and status == b"R":
                log.deleted.setdefault(paths[0], at)
            if _null(new_blob):
                if parents == 1:
                    log.deleted.setdefault(paths[0], at)
                    log.removed.setdefault(at, []).append((paths[0], blobs[0]))
                continue  # a deletion gives no path a blob
            if parents == 1:
                old_blob = None if status == b"A" or _null(blobs[0]) else blobs[0]
                step = _Step(
                    at,
                    paths[-1],
                    paths[0] if old_blob else None,
                    old_blob,
                    old_blob != new_blob,
                    new_blob,
                )
            else:
                sides = list(zip(paths[:-1], blobs[:-1], strict=True))
                same = next(((p, b) for p, b in sides if b == new_blob), None)
                if same:  # renamed in the merge, bytes kept from that parent
                    step = _Step(at, paths[-1], same[0], same[1], False, new_blob)
                else:  # differs from every parent: the merge changed it, or combined changes
                    path, blob = sides[0]
                    kept = not _null(blob)
                    step = _Step(
                        at,
                        paths[-1],
                        path if kept else None,
                        blob if kept else None,
                        True,
                        new_blob,
                        tuple((p, b) for p, b in sides if not _null(b)),
                    )
            log.steps.setdefault((paths[-1], new_blob), []).append(step)
        return log

    def lineage(self, path: str, blob: str, after: int = -1) -> Iterator[_Step]:
        """The steps that led to `path` holding `blob`, newest first: the step that produced
        it in a commit older than index `after`, then the step that produced its old version,
        and so on back to the file's creation."""
        while True:
            step = next((s for s in self.steps.get((path, blob), ()) if s.at > after), None)
            if step is None:
                return
            yield step
            if step.old_path is None or step.old_blob is None:
                return
            path, blob, after = step.old_path, step.old_blob, step.at

    def last_change(self, path: str, blob: str, after: int = -1) -> _Step | None:
        """The newest step that changed the content `path` holds as `blob` (renames followed)."""
        return next((s for s in self.lineage(path, blob, after) if s.content), None)

    def made(self, path: str, blob: str, after: int = -1) -> _Step | None:
        """The change that first gave the file `blob`'s bytes along its history: the last
        change, or when those bytes were there before (a revert, an old version checked out
        and committed), the change that made them then."""
        steps = list(self.lineage(path, blob, after))
        produced = blob
        first = 0
        for k, step in enumerate(steps):
            if produced == blob:
                first = k
            produced = step.old_blob or ""
        return next((s for s in steps[first:] if s.content), None)

    def when(self, at: int) -> datetime:
        return datetime.fromtimestamp(self.times[at], UTC)


@dataclass(frozen=True, slots=True)
class _SourceLine:
    """A source's history from HEAD: the names it has had (newest first) and the topological
    indexes of the commits that changed its content (newest first, boundary excluded)."""

    paths: tuple[str, ...]
    changes: tuple[int, ...]


class GitHistory:
    """The git history of one content tree, read as of the HEAD it had when opened."""

    def __init__(
        self,
        root: Path,
        *,
        top: Path,
        prefix: str,
        head: str,
        shallow: frozenset[str],
        git: str = "git",
    ) -> None:
        self.root = root
        self.top = top
        self.prefix = prefix
        self.head = head
        self.shallow = shallow
        self.git = git
        self._parsed: tuple[_Log, dict[str, str]] | None = None

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, root: Path, *, git: str = "git") -> GitHistory | None:
        """The history of the tree at `root`, or None when git cannot give one (git missing,
        not a work tree, no commits, git refusing the repository); `why_not` says why."""
        history, reason = cls.probe(root, git=git)
        if history is None:
            logger.info("no git history for %s: %s", root, reason)
        return history

    @classmethod
    def why_not(cls, root: Path, *, git: str = "git") -> str | None:
        """Why `open(root)` gives None, as a sentence to log; None when it gives a history."""
        history, reason = cls.probe(root, git=git)
        return None if history is not None else reason

    @classmethod
    def probe(cls, root: Path, *, git: str = "git") -> tuple[GitHistory | None, str]:
        """The history or None, and a sentence saying which and why. Never raises for a
        missing git or a folder git will not read."""
        argv = [
            git,
            "-C",
            str(root),
            "rev-parse",
            "--show-toplevel",
            "--show-prefix",
            "--git-path",
            "shallow",
            "--verify",
            "-q",
            "HEAD^{commit}",
        ]
        try:
            done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, env=_env())
        except OSError as exc:
            return None, f"git is not available ({git}: {exc.strerror or exc})"
        lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
        if done.returncode == 1 and len(lines) == 3:
            return None, f"the repository at {lines[0]} has no commits yet"
        if done.returncode != 0 or len(lines) != 4:
            message = _message(done.stderr) or f"git rev-parse exited {done.returncode}"
            if "not a git repository" in message:
                return None, f"{root} is not inside a git work tree"
            return None, f"git refused to read {root}: {message}"
        top, prefix, shallow_file, head = lines
        shallow_path = Path(shallow_file)
        if not shallow_path.is_absolute():
            shallow_path = Path(root) / shallow_path
        try:
            shallow = frozenset(shallow_path.read_text("ascii").split())
        except FileNotFoundError:
            shallow = frozenset()
        except OSError as exc:
            return None, f"cannot read {shallow_path}: {exc.strerror or exc}"
        history = cls(Path(root), top=Path(top), prefix=prefix, head=head, shallow=shallow, git=git)
        what = "a shallow clone" if shallow else "a repository"
        return history, f"{root} is in {what} at {top}, HEAD {head[:12]}"

    # --- answers ---------------------------------------------------------------------------

    def baselines(
        self,
        pairs: Sequence[Pair],
        same_text: Callable[[Pair, bytes], bool] | None = None,
    ) -> dict[Pair, Evidence]:
        """Evidence for each (translation, source) pair where history says something; paths
        are POSIX and relative to the tree. Pairs without evidence are absent. The log is read
        once per instance, the work tree's status on every call; raises SourceError when git
        fails midway, and the caller falls back to assumed baselines.

        ``same_text(pair, old bytes)``: whether an older version of the translation file has
        the text it has now. The commit a translation was made in is then the oldest of the
        commits that last changed the file without changing its text (a key added to the
        front matter, line endings made LF): those are no evidence that it was redone."""
        log, tree = self._history()
        changed = self._status()
        # the log is the whole repository's: a tree none of whose files was ever committed
        # has no history, whatever the rest of the repository has
        ever = bool(tree) or any(path.startswith(self.prefix) for path in log.deleted)
        out: dict[Pair, Evidence] = {}
        committed: list[tuple[Pair, str, _Step, bool]] = []
        unique = list(dict.fromkeys(pairs))
        touched = self._touched(unique, tree, changed, same_text)
        for pair in unique:
            translation, source = self.prefix + pair[0], self.prefix + pair[1]
            source_dirty = source in changed
            if translation in changed and pair not in touched:
                if ever:
                    out[pair] = Evidence(
                        uncommitted=True,
                        translation_commit=None,
                        translation_time=None,
                        source_blob=None,
                        source_commit=None,
                        next_source_commit=None,
                        next_source_time=None,
                        source_dirty=source_dirty,
                    )
                continue
            blob = tree.get(translation)
            if blob is None:
                continue  # not in HEAD and not in status: ignored
            step = log.made(translation, blob)
            if step is None or "\n" in source:
                continue  # no history, or a source cat-file can't name
            if step.at in log.boundary and not self._source_line(log, tree, source).changes:
                continue  # only the shallow boundary, and no source change seen after it
            committed.append((pair, source, step, source_dirty))
        committed = self._clean_merges(log, committed)
        if same_text is not None:
            committed = self._text_changes(log, tree, committed, same_text)

        lines = {source: self._source_line(log, tree, source) for _, source, _, _ in committed}
        names = {  # the source's names, then where a source of the translation's path then was
            pair: dict.fromkeys(
                [*lines[source].paths, _counterpart(self.prefix + pair[0], source, step.path)]
            )
            for pair, source, step, _ in committed
        }
        texts = self._read(
            list(
                dict.fromkeys(
                    (log.commits[step.at], path)
                    for pair, _source, step, _ in committed
                    for path in names[pair]
                    if path
                )
            )
        )
        for pair, source, step, source_dirty in committed:
            commit = log.commits[step.at]
            line = lines[source]
            then = next((path for path in names[pair] if (commit, path) in texts), None)
            source_blob = source_at = None
            source_step = None
            if then is not None:
                oid, source_blob = texts[(commit, then)]
                source_at = then[len(self.prefix) :]
                source_step = log.last_change(then, oid, after=step.at - 1)
                if source_step is not None and source_step.at in log.boundary:
                    source_step = None
            following = _following(log, line, source_step, step)
            out[pair] = Evidence(
                uncommitted=False,
                translation_commit=commit,
                translation_time=log.when(step.at),
                source_blob=source_blob,
                source_path=source_at,
                source_commit=log.commits[source_step.at] if source_step else None,
                next_source_commit=log.commits[following] if following is not None else None,
                next_source_time=log.when(following) if following is not None else None,
                source_dirty=source_dirty,
            )
        return out

    def _touched(
        self,
        pairs: Sequence[Pair],
        tree: dict[str, str],
        changed: set[str],
        same_text: Callable[[Pair, bytes], bool] | None,
    ) -> set[Pair]:
        """The pairs whose translation has uncommitted changes that keep HEAD's text (a key
        added to the front matter, line endings): judged by their history, not as made now."""
        if same_text is None:
            return set()
        dirty = {
            pair: tree[self.prefix + pair[0]]
            for pair in pairs
            if self.prefix + pair[0] in changed and self.prefix + pair[0] in tree
        }
        texts = self._read([(oid, "") for oid in dict.fromkeys(dirty.values())])
        return {
            pair
            for pair, oid in dirty.items()
            if (oid, "") in texts and same_text(pair, texts[(oid, "")][1])
        }

    def _clean_merges(
        self, log: _Log, committed: list[tuple[Pair, str, _Step, bool]]
    ) -> list[tuple[Pair, str, _Step, bool]]:
        """Each translation last changed by a two-parent merge whose result for it is what
        git's own merge of the parents gives (no conflict resolved, nothing edited in the
        merge) dated by the newest of the parents' changes instead: combining two edits is
        no new translation. One `git merge-tree` per such merge, one cat-file in all."""
        steps = {pair: step for pair, _source, step, _dirty in committed}
        for _round in range(_MERGE_ROUNDS):
            merges = {pair: step for pair, step in steps.items() if len(step.sides) == 2}
            if not merges:
                break
            trees: dict[int, str | None] = {}
            for step in merges.values():
                if step.at not in trees:
                    trees[step.at] = self._merged_tree(log.commits[step.at])
            texts = self._read(
                list(
                    dict.fromkeys(
                        (trees[step.at] or "", step.path)
                        for step in merges.values()
                        if trees[step.at]
                    )
                )
            )
            changed = False
            for pair, step in merges.items():
                merged = texts.get((trees[step.at] or "", step.path))
                if merged is None or merged[0] != step.blob:
                    continue  # resolved or edited in the merge: the merge made it
                made = [log.made(path, blob, after=step.at) for path, blob in step.sides]
                found = [m for m in made if m is not None]
                if not found:
                    continue
                steps[pair] = max(found, key=lambda m: (log.times[m.at], -m.at))
                changed = True
            if not changed:
                break
        return [(pair, source, steps[pair], dirty) for pair, source, _step, dirty in committed]

    def _merged_tree(self, merge: str) -> str | None:
        """The tree git's merge of `merge`'s two parents gives (conflicted files with their
        markers), or None when git cannot say (a shallow clone without the merge base)."""
        argv = [self.git, "-C", str(self.root), *_CONFIG, "merge-tree", "--write-tree"]
        argv += [f"{merge}^1", f"{merge}^2"]
        try:
            done = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, env=_env())
        except OSError:
            return None
        if done.returncode not in (0, 1):
            return None
        first = done.stdout.split(b"\n", 1)[0].strip().decode("ascii", "replace")
        return first if len(first) >= 40 and not first.strip("0123456789abcdef") else None

    def _text_changes(
        self,
        log: _Log,
        tree: dict[str, str],
        committed: list[tuple[Pair, str, _Step, bool]],
        same_text: Callable[[Pair, bytes], bool],
    ) -> list[tuple[Pair, str, _Step, bool]]:
        """Each translation's last change moved back over the commits that changed its file
        but not its text, a level of history at a time (one cat-file run per level)."""
        steps = {pair: step for pair, _source, step, _dirty in committed}
        pending = [pair for pair, step in steps.items() if _before(log, step)]
        while pending:
            wanted = {pair: _before(log, steps[pair]) for pair in pending}
            blobs = dict.fromkeys(blob for olds in wanted.values() for _path, blob in olds)
            texts = self._read([(oid, "") for oid in blobs])
            moved = []
            for pair in pending:
                step = steps[pair]
                for old_path, old_blob in wanted[pair]:
                    old = texts.get((old_blob, ""))
                    if old is None or not same_text(pair, old[1]):
                        continue
                    older = log.last_change(old_path, old_blob, after=step.at)
                    if older is None or older.at in log.boundary:
                        break
                    steps[pair] = older
                    if _before(log, older):
                        moved.append(pair)
                    break
            pending = moved
        return [(pair, source, steps[pair], dirty) for pair, source, _step, dirty in committed]

    def deleted(self, paths: Sequence[str], after: dict[str, str] | None = None) -> set[str]:
        """The paths (relative to the tree) that were committed once and are gone now: not at
        HEAD and not in the work tree. A translation whose source-language counterpart is
        among them lost its original; it is not a source of its own.

        ``after`` maps a path to the translation it would be the original of: such a path
        counts only when deleted in or after the commit that added the translation (renames
        followed). An unrelated page deleted before the translation existed was no original
        of it; nor was one deleted before an uncommitted or untracked translation."""
        log, tree = self._history()
        gone = set()
        for path in paths:
            full = self.prefix + path
            at = log.deleted.get(full)
            if at is None or full in tree or (self.root / path).exists():
                continue
            translation = (after or {}).get(path)
            if translation is not None:
                blob = tree.get(self.prefix + translation)
                made = [step.at for step in log.lineage(self.prefix + translation, blob or "")]
                if not made or at > made[-1]:  # topological index: larger is older
                    continue
            gone.add(path)
        return gone

    # --- git -------------------------------------------------------------------------------

    def _git(self, *args: str, input: bytes | None = None) -> bytes:
        argv = [self.git, "-C", str(self.root), *_CONFIG, *args]
        try:
            done = subprocess.run(
                argv,
                input=input,
                capture_output=True,
                env=_env(),
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except OSError as exc:
            raise SourceError(
                f"git is not available ({self.git}: {exc.strerror or exc})", root=str(self.root)
            ) from exc
        if done.returncode != 0:
            raise SourceError(
                f"git {args[0]} failed in {self.root}: "
                f"{_message(done.stderr) or f'exit status {done.returncode}'}",
                root=str(self.root),
                command=args[0],
            )
        return done.stdout

    def _history(self) -> tuple[_Log, dict[str, str]]:
        """The parsed log and HEAD's blob for each file of the tree, read once per instance."""
        if self._parsed is None:
            data = self._git(
                "log",
                "-z",
                "--raw",
                "--no-abbrev",
                "-M",
                "-c",
                "--combined-all-paths",
                "--topo-order",
                "--no-color",
                "--format=%H %ct",
                self.head,
                "--",
                ":/",  # the whole repository: a tree moved into a folder keeps its history
            )
            log = _Log.parse(data, self.shallow)
            tree: dict[str, str] = {}
            for entry in self._git(
                "ls-tree", "-r", "-z", "--full-name", self.head, "--", "."
            ).split(b"\0"):
                meta, _, path = entry.partition(b"\t")
                kind = meta.split(b" ")
                if len(kind) == 3 and kind[1] == b"blob":
                    tree[os.fsdecode(path)] = kind[2].decode("ascii")
            self._parsed = (log, tree)
        return self._parsed

    def _status(self) -> set[str]:
        """Repository paths under the tree with uncommitted changes, untracked ones included."""
        data = self._git(
            "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", "."
        )
        return {os.fsdecode(entry[3:]) for entry in data.split(b"\0") if len(entry) > 3}

    def _source_line(self, log: _Log, tree: dict[str, str], source: str) -> _SourceLine:
        paths = [source]
        changes: list[int] = []
        blob = tree.get(source)
        if blob is not None:
            for step in log.lineage(source, blob):
                if step.at in log.boundary:
                    break
                if step.content:
                    changes.append(step.at)
                if step.old_path is not None and step.old_path not in paths:
                    paths.append(step.old_path)
        return _SourceLine(tuple(paths), tuple(changes))

    def _read(self, requests: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, bytes]]:
        """`commit:path` → (blob id, bytes) for each request naming a file (a blob id alone
        when the path is empty); one cat-file run.
        Requests are lines (cat-file's -z needs git 2.38): a path with a newline is not read."""
        requests = [r for r in requests if "\n" not in r[1]]
        if not requests:
            return {}
        names = [os.fsencode(f"{commit}:{path}" if path else commit) for commit, path in requests]
        data = self._git("cat-file", "--batch", "--buffer", input=b"\n".join(names) + b"\n")
        found: dict[tuple[str, str], tuple[str, bytes]] = {}
        contents: dict[str, bytes] = {}
        pos = 0
        try:
            for request, name in zip(requests, names, strict=True):
                missing = name + b" missing\n"
                if data.startswith(missing, pos):
                    pos += len(missing)
                    continue
                eol = data.index(b"\n", pos)
                oid, kind, size = data[pos:eol].split(b" ")
                start = eol + 1
                pos = start + int(size) + 1
                if kind == b"blob":
                    key = oid.decode("ascii")
                    found[request] = (key, contents.setdefault(key, data[start : pos - 1]))
        except ValueError as exc:
            raise SourceError(
                f"git cat-file printed something unexpected at byte {pos}", root=str(self.root)
            ) from exc
        return found


def _following(
    log: _Log, line: _SourceLine, source_step: _Step | None, translation: _Step
) -> int | None:
    """The index of the first source change after the version the translation was made from:
    the change after `source_step` on the source's history from HEAD, or else the oldest one
    committed after the translation."""
    if source_step is not None and source_step.at in line.changes:
        j = line.changes.index(source_step.at)
        return line.changes[j - 1] if j > 0 else None
    later = [at for at in line.changes if log.times[at] > log.times[translation.at]]
    return later[-1] if later else None


def _before(log: _Log, step: _Step) -> list[tuple[str, str]]:
    """The (path, blob) pairs the content `step` produced may have come from: its old version,
    or for an added file (git did not pair it with a deleted one: a rename with an edit
    too large, a page made a bundle) the files of the same extension deleted in that commit,
    the most alike in name first."""
    if step.old_path is not None and step.old_blob is not None:
        return [(step.old_path, step.old_blob)]
    if step.old_blob is not None:
        return []
    removed = log.removed.get(step.at, ())
    if not removed or len(removed) > _MAX_UNPAIRED:
        return []
    ext = step.path.rpartition(".")[2]
    alike = [(p, b) for p, b in removed if p.rpartition(".")[2] == ext]
    rank = {p: difflib.SequenceMatcher(None, p, step.path).ratio() for p, _b in alike}
    return sorted(alike, key=lambda pb: -rank[pb[0]])[:_CANDIDATES]


def _counterpart(translation: str, source: str, then: str) -> str | None:
    """Where the source was when the translation was at `then`, if the two were named then as
    they are now: `a/index.tr.md`/`a/index.md` and `a.tr.md` give `a.md`; `tr/x.md`/`en/x.md`
    and `tr/y.md` give `en/y.md`.

    >>> _counterpart("c/a/index.tr.md", "c/a/index.md", "c/a.tr.md")
    'c/a.md'
    >>> _counterpart("c/tr/a/index.md", "c/en/a/index.md", "c/tr/a.md")
    'c/en/a.md'
    """
    if then == translation:
        return source
    lead = len(os.path.commonprefix([translation, source]))
    tail = len(os.path.commonprefix([translation[::-1], source[::-1]]))
    tail = min(tail, len(translation) - lead, len(source) - lead)
    mine = translation[lead : len(translation) - tail]
    theirs = source[lead : len(source) - tail]
    end = mine + translation[len(translation) - tail :]
    if then.endswith(end):
        return then[: len(then) - len(end)] + theirs + translation[len(translation) - tail :]
    start = translation[:lead] + mine
    if then.startswith(start):
        return translation[:lead] + theirs + then[len(start) :]
    return None


def _null(oid: str) -> bool:
    return not oid.strip("0")


def _message(stderr: bytes) -> str:
    """git's complaint in one line: the last `fatal:`/`error:` line, or the last line."""
    lines = [
        line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()
    ]
    for line in reversed(lines):
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""


def _env() -> dict[str, str]:
    """The caller's environment, with git told not to prompt or take optional locks (status
    would otherwise rewrite the index of a work tree others are using)."""
    env = dict(os.environ)
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env
