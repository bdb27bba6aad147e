"""Start-up and streaming (issue 21): what every command and scheduled job pays before any
work, and what `status --json` holds at 100,000 posts.

- `transync --help` (target ≤ 0.15 s) and `transync status --json` on a 10-post SQLite
  database (target ≤ 0.25 s), medians of repeated runs, each with its `python -X importtime`
  total for the package beside it;
- a no-change rescan of 20,000 files (10,000 posts in two languages) beside `sha256sum` over
  the same files (target ≤ 1.5×);
- `status --json` at 100,000 posts (× 3 languages, written straight into the tables: the
  matrix needs no segments): peak RSS (target ≤ 300 MB) and time.
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench.common import Ctx, median, peak, row, sha256sum_seconds, transync

AREA = "startup"
HELP_RUNS = 11


def run(ctx: Ctx) -> None:
    if ctx.only_large:
        ctx.log("startup: measured by the run of the smaller sizes; skipped")
        return
    base = ctx.work / "startup"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    for step in (help_and_status, rescan, streaming):
        try:
            step(ctx, base)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(AREA, step.__name__, exc)


def importtime(env: dict[str, str], *args: str) -> float:
    """The cumulative import time of the `sync` package for a command, in seconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    total = 0
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[2] in ("sync", "sync.cli"):
            total = max(total, int(parts[1]))
    return total / 1e6


def env_for(ctx: Ctx, db: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TRANSYNC_DATABASE_URL": f"sqlite:///{db}",
        "TRANSYNC_BROKER_URL": f"sqla+sqlite:///{db.parent / 'broker.db'}",
        "TRANSYNC_CONFIG": "/nonexistent",
        **extra,
    }


def help_and_status(ctx: Ctx, base: Path) -> None:
    from bench.generate import generate

    generate(base / "ten", 10)
    db = base / "ten.db"
    env = env_for(ctx, db)
    transync(env, "init")
    transync(env, "scan", str(base / "ten"))
    runs = max(HELP_RUNS, ctx.repeat)
    helps = [transync(env, "--help").seconds for _ in range(runs)]
    ctx.add(
        row(
            AREA,
            "transync --help",
            runs=helps,
            seconds=median(helps),
            target="≤ 0.15 s",
            meets=median(helps) <= 0.15,
            notes=f"imports {importtime(env, '--help'):.3f} s (python -X importtime)",
        )
    )
    status = [transync(env, "status", "--json").seconds for _ in range(runs)]
    ctx.add(
        row(
            AREA,
            "status --json, 10 posts (SQLite)",
            runs=status,
            seconds=median(status),
            target="≤ 0.25 s",
            meets=median(status) <= 0.25,
            notes=f"imports {importtime(env, 'status', '--json'):.3f} s (python -X importtime)",
        )
    )


def rescan(ctx: Ctx, base: Path) -> None:
    from bench.generate import generate

    posts = 10_000 if ctx.scale_name == "full" else 1_000
    content = base / "content"
    generate(content, posts)
    shutil.rmtree(content / "ru")  # two languages
    files = sum(1 for _ in content.rglob("*.md"))
    db = base / "rescan.db"
    env = env_for(ctx, db, TRANSYNC_LANGUAGES="en,tr")
    transync(env, "init")
    transync(env, "scan", str(content))
    runs = max(3, ctx.repeat)
    procs, refs = [], []
    for _ in range(runs):  # interleaved, so that the machine's load falls on both alike
        procs.append(transync(env, "scan", str(content)))
        refs.append(sha256sum_seconds(content))
    seconds, ref = median(p.seconds for p in procs), median(refs)
    ctx.add(
        row(
            AREA,
            f"no-change rescan, {files:,} files",
            runs=[p.seconds for p in procs],
            seconds=seconds,
            n=files,
            unit="files",
            size=posts,
            size_unit="posts",
            backend="sqlite",
            reference="sha256sum (same files)",
            ref_seconds=ref,
            peak_rss_mb=peak(p.rss_mb for p in procs),
            rss_how="child ru_maxrss",
            # the target is set at 10,000 posts; at small scale start-up outweighs the work
            target="≤ 1.5× sha256sum" if posts == 10_000 else None,
            meets=seconds <= 1.5 * ref if posts == 10_000 else None,
            notes=None if posts == 10_000 else "the target is for 10,000 posts; not judged here",
        )
    )


def streaming(ctx: Ctx, base: Path) -> None:
    posts = 100_000 if ctx.scale_name == "full" else 10_000
    db = base / "matrix.db"
    env = env_for(ctx, db)
    transync(env, "init")
    fill(db, posts)
    runs = [transync(env, "status", "--json") for _ in range(max(1, min(ctx.repeat, 3)))]
    rss = peak(r.rss_mb for r in runs)
    ctx.add(
        row(
            AREA,
            f"status --json, {posts:,} posts (SQLite)",
            runs=[r.seconds for r in runs],
            size=posts,
            size_unit="posts",
            backend="sqlite",
            peak_rss_mb=rss,
            rss_how="child ru_maxrss",
            target="≤ 300 MB",
            meets=rss is not None and rss <= 300,
            notes=f"{len(runs[0].stdout) / 1e6:.0f} MB of JSON written",
        )
    )


def fill(db: Path, posts: int) -> None:
    """Posts × en, tr, ru straight into the tables: a source, a current, a stale or missing
    translation, open tasks for a tenth."""
    rng = random.Random(21)
    conn = sqlite3.connect(db)
    now = "2026-12-01 12:00:00.000000"
    version = (
        "INSERT INTO versions (post_id, lang, source, origin, title, draft, deleted, "
        "revision, content_hash, raw_hash, segment_count, front_matter, priority, "
        "based_on_revision, stale_since, changed_segments, added_segments, "
        "removed_segments, baseline, stub, words, stale_words, updated_at) VALUES "
        "(?, ?, 'fs:/bench', ?, ?, 0, 0, ?, ?, '', 20, '{}', 0, ?, ?, ?, ?, 0, ?, 0, "
        "?, ?, ?)"
    )
    with conn:
        conn.executemany(
            "INSERT INTO posts (id, key, source_lang, created_at) VALUES (?, ?, 'en', ?)",
            ((i, f"posts/{i:06d}", now) for i in range(1, posts + 1)),
        )
        rows = []
        for i in range(1, posts + 1):
            rows.append(
                (
                    i,
                    "en",
                    f"en/posts/{i:06d}.md",
                    f"Post {i}",
                    2,
                    f"{i:064x}",
                    None,
                    None,
                    0,
                    0,
                    None,
                    700,
                    0,
                    now,
                )
            )
            rows.append(
                (
                    i,
                    "tr",
                    f"tr/posts/{i:06d}.md",
                    f"Yazı {i}",
                    1,
                    f"t{i:063x}",
                    2,
                    None,
                    0,
                    0,
                    "assumed",
                    690,
                    0,
                    now,
                )
            )
            if rng.random() < 0.6:
                rows.append(
                    (
                        i,
                        "ru",
                        f"ru/posts/{i:06d}.md",
                        f"Пост {i}",
                        1,
                        f"r{i:063x}",
                        1,
                        now,
                        1,
                        1,
                        "history",
                        700,
                        80,
                        now,
                    )
                )
        conn.executemany(version, rows)
        conn.executemany(
            "INSERT INTO tasks (post_id, lang, state, kind, source_revision, priority, "
            "created_at, updated_at, progress, source_changed, cancelled_by_editor, words) "
            "VALUES (?, 'ru', 'queued', 'update', 2, 0, ?, ?, '{}', 0, 0, 80)",
            ((i, now, now) for i in range(1, posts + 1, 10)),
        )
    conn.close()
