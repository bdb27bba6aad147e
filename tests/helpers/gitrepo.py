"""Git repositories for tests and benchmarks: commits with set dates, branches, merges, shallow
clones, and a generated multilingual site (posts × languages × commits) built from a seed.

Every git command runs with the machine's git configuration switched off (no global or system
config), a fixed author and committer, and the dates the caller gives, so the same calls build
the same history (the same commit hashes) on any machine.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

EPOCH = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
"""Day 0 of every test history; `when=3` means three days later."""

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
    "GIT_TERMINAL_PROMPT": "0",
}


def moment(when: int | float | datetime) -> datetime:
    """A commit date: a datetime as given, or a number of days after EPOCH."""
    if isinstance(when, datetime):
        return when
    return EPOCH + timedelta(days=when)


def git_env(when: int | float | datetime | None = None) -> dict[str, str]:
    """The environment for a git command: isolated config, fixed people and, given `when`,
    that date as both author and committer date."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV)
    if when is not None:
        stamp = f"@{int(moment(when).timestamp())} +0000"
        env["GIT_AUTHOR_DATE"] = stamp
        env["GIT_COMMITTER_DATE"] = stamp
    return env


class GitRepo:
    """A work tree to build history in: write files, commit them on a given day, branch, merge."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def init(cls, path: Path, *, branch: str = "main") -> GitRepo:
        path.mkdir(parents=True, exist_ok=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    def git(
        self, *args: str, when: int | float | datetime | None = None, ok: Sequence[int] = (0,)
    ) -> str:
        """Run git in the work tree; fail with git's output unless the exit status is in `ok`."""
        done = subprocess.run(
            ["git", "-C", str(self.path), *args], env=git_env(when), capture_output=True
        )
        if done.returncode not in ok:
            raise AssertionError(
                f"git {' '.join(args)} exited {done.returncode}:\n"
                f"{done.stdout.decode(errors='replace')}"
                f"{done.stderr.decode(errors='replace')}"
            )
        return done.stdout.decode("utf-8", "surrogateescape")

    def write(self, rel: str, text: str) -> Path:
        """Write a file (creating its folders); nothing is staged."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def read(self, rel: str) -> bytes:
        return (self.path / rel).read_bytes()

    def move(self, old: str, new: str) -> None:
        """`git mv`, creating the target folder."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", "--", old, new)

    def commit(
        self, message: str, *, when: int | float | datetime, paths: Sequence[str] | None = None
    ) -> str:
        """Stage `paths` (everything when None) and commit them on `when`; the new hash."""
        if paths is None:
            self.git("add", "-A")
        else:
            self.git("add", "-A", "--", *paths)
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create `name` at `start` and switch to it."""
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "-q", name)

    def merge(
        self,
        name: str,
        *,
        when: int | float | datetime,
        message: str | None = None,
        strategy: str | None = None,
        resolve: dict[str, str] | None = None,
    ) -> str:
        """Merge `name` into the current branch as a merge commit (never a fast-forward) on
        `when`. `resolve` gives the final text of conflicted (or any) files, written before
        the merge commit is made; the merge's hash."""
        args = ["merge", "-q", "--no-ff", "--no-edit", "-m", message or f"Merge {name}"]
        if strategy:
            args += ["-s", strategy]
        if resolve is None:
            self.git(*args, name, when=when)
            return self.head()
        self.git(*args, "--no-commit", name, when=when, ok=(0, 1))
        for rel, text in resolve.items():
            self.write(rel, text)
        return self.commit(message or f"Merge {name}", when=when)

    def clone(self, dest: Path, *, depth: int | None = None) -> GitRepo:
        """A clone of this repository (shallow with `depth`), through file:// so depth holds."""
        args = ["clone", "-q"]
        if depth is not None:
            args += ["--depth", str(depth)]
        done = subprocess.run(
            ["git", *args, self.path.resolve().as_uri(), str(dest)],
            env=git_env(),
            capture_output=True,
        )
        if done.returncode:
            raise AssertionError(done.stderr.decode(errors="replace"))
        return GitRepo(dest)


# --- a generated site ------------------------------------------------------------------------

WORDS = (
    "energy security water policy corridor transport grain market labour migration "
    "climate adaptation heat rail investment region border trade pipeline port "
    "electricity storage agreement analysis institute report growth"
).split()


@dataclass
class Site:
    """A generated site: its repository, the content tree inside it, the (translation, source)
    pairs relative to the tree, and for each translation the commit that last changed it."""

    repo: GitRepo
    root: Path
    pairs: list[tuple[str, str]]
    commits: list[str] = field(default_factory=list)
    made_in: dict[str, str] = field(default_factory=dict)


def _text(
    rng: random.Random, title: str, lang: str, version: int, paragraphs: int, note: str
) -> str:
    body = "\n\n".join(" ".join(rng.choices(WORDS, k=40)) + "." for _ in range(paragraphs))
    return f"---\ntitle: {title} ({lang})\n---\n\n{body}\n\nVersion {version}. {note}\n"


def site_paths(i: int, lang: str, source_lang: str, layout: str) -> str:
    """Where post `i` in `lang` lives in the tree: `<lang>/posts/post-0001.md` ("dirs", Hugo's
    content-per-language folders) or `posts/post-0001.<lang>.md` ("suffix", the source bare)."""
    if layout == "dirs":
        return f"{lang}/posts/post-{i:04d}.md"
    return f"posts/post-{i:04d}.md" if lang == source_lang else f"posts/post-{i:04d}.{lang}.md"


def build_site(
    folder: Path,
    *,
    posts: int = 1000,
    langs: Sequence[str] = ("en", "tr", "ru"),
    commits: int = 20,
    seed: int = 1,
    layout: str = "dirs",
    share: float = 0.05,
    paragraphs: int = 3,
    subdir: str = "content",
) -> Site:
    """A repository in `folder` whose tree `subdir` holds `posts` posts in `langs` (the first is
    the source): one commit adding everything on day 0, then `commits` commits a day apart, each
    editing about `share` of the sources and re-translating about `share` of the translations
    (from the source as it is at that commit)."""
    rng = random.Random(seed)
    repo = GitRepo.init(folder)
    source, targets = langs[0], list(langs[1:])
    tree = f"{subdir}/" if subdir else ""
    version = dict.fromkeys(range(posts), 0)
    pairs = [
        (site_paths(i, lang, source, layout), site_paths(i, source, source, layout))
        for i in range(posts)
        for lang in targets
    ]

    def write(i: int, lang: str, round_: int) -> str:
        rel = site_paths(i, lang, source, layout)
        note = "" if lang == source else f"Translated in round {round_}."
        repo.write(
            tree + rel,
            _text(
                random.Random(f"{seed}/{i}/{version[i]}"),
                f"Post {i}",
                lang,
                version[i],
                paragraphs,
                note,
            ),
        )
        return rel

    made: dict[str, int] = {}
    for i in range(posts):
        write(i, source, 0)
        for lang in targets:
            made[write(i, lang, 0)] = 0
    hashes = [repo.commit("Import the site", when=0)]
    for n in range(1, commits + 1):
        for i in rng.sample(range(posts), max(1, int(posts * share))):
            version[i] += 1
            write(i, source, n)
        for i in rng.sample(range(posts), max(1, int(posts * share))):
            made[write(i, rng.choice(targets), n)] = n
        hashes.append(repo.commit(f"Edits, round {n}", when=n))
    root = folder / subdir if subdir else folder
    return Site(
        repo=repo,
        root=root,
        pairs=pairs,
        commits=hashes,
        made_in={rel: hashes[n] for rel, n in made.items()},
    )


def _time_compare(folder: Path, posts: int, commits: int, seed: int) -> None:
    """Build a site and time GitHistory.baselines against one `git log -1` per translation."""
    from sync.githistory import GitHistory

    started = time.perf_counter()
    site = build_site(folder, posts=posts, commits=commits, seed=seed)
    print(
        f"built {len(site.pairs)} translation pairs, {commits + 1} commits "
        f"in {time.perf_counter() - started:.1f} s at {folder}"
    )
    started = time.perf_counter()
    history = GitHistory.open(site.root)
    assert history is not None
    evidence = history.baselines(site.pairs)
    bulk = time.perf_counter() - started
    started = time.perf_counter()
    per_file = {}
    for translation, _ in site.pairs:
        per_file[translation] = subprocess.run(
            ["git", "-C", str(site.root), "log", "-1", "--format=%H", "--", translation],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    loop = time.perf_counter() - started
    agree = sum(
        evidence[p].translation_commit == per_file[p[0]] for p in site.pairs if p in evidence
    )
    print(f"bulk baselines(): {bulk:.3f} s for {len(evidence)} pairs with evidence")
    print(f"per-file git log -1 loop: {loop:.3f} s ({loop / len(site.pairs) * 1000:.1f} ms a file)")
    print(f"bulk / per-file = {bulk / loop:.3f}; translation commits agree for {agree} pairs")


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m tests.helpers.gitrepo FOLDER [--posts N --commits N --seed N] [--time]`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--time",
        action="store_true",
        help="time GitHistory.baselines against a per-file git log loop",
    )
    args = parser.parse_args(argv)
    if args.time:
        _time_compare(args.folder, args.posts, args.commits, args.seed)
    else:
        site = build_site(args.folder, posts=args.posts, commits=args.commits, seed=args.seed)
        print(f"{len(site.pairs)} translation pairs in {site.root}")


if __name__ == "__main__":
    main()
