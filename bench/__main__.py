"""Run the benchmarks and print a Markdown table of medians (plus JSON in bench/out/).

    python -m bench --scale small     # N=1,000 posts, SQLite, a few minutes
    python -m bench --posts 10000     # the issue's target size
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.generate import change_sources, generate

OUT = Path(__file__).parent / "out"


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def run_cli(env: dict[str, str], *args: str) -> tuple[float, float]:
    """Wall time and peak RSS (MB) of one `transync` command in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).parent / "transync"), *args], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode not in (0, 2):
        raise SystemExit(f"transync {' '.join(args)} failed:\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def sha256sum_baseline(root: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(f"find {root} -name '*.md' -print0 | xargs -0 sha256sum > /dev/null",
                   shell=True, check=True)
    return time.perf_counter() - t0


def bench_scan(posts: int, database_url: str | None, work: Path, repeat: int) -> list[dict]:
    content = work / "content"
    files = generate(content, posts)
    db = database_url or f"sqlite:///{work / 'bench.db'}"
    env = {**os.environ, "TRANSYNC_DATABASE_URL": db,
           "TRANSYNC_BROKER_URL": f"sqla+sqlite:///{work / 'broker.db'}"}
    subprocess.run([str(Path(sys.executable).parent / "transync"), "init"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    rows = []
    base = statistics.median(sha256sum_baseline(content) for _ in range(max(3, repeat)))
    rows.append({"op": "sha256sum (baseline)", "posts": posts, "files": files, "seconds": base})
    wall, rss = run_cli(env, "scan", str(content))
    rows.append({"op": "scan, initial", "posts": posts, "files": files, "seconds": wall,
                 "files_per_s": files / wall, "peak_rss_mb": rss})
    walls = [run_cli(env, "scan", str(content)) for _ in range(repeat)]
    wall = statistics.median(w for w, _ in walls)
    rows.append({"op": "scan, no change", "posts": posts, "files": files, "seconds": wall,
                 "vs_baseline": wall / base, "peak_rss_mb": max(r for _, r in walls)})
    walls = []
    for i in range(repeat):
        change_sources(content, 0.01, seed=100 + i)
        walls.append(run_cli(env, "scan", str(content)))
    wall = statistics.median(w for w, _ in walls)
    rows.append({"op": "scan, 1% changed", "posts": posts, "files": files, "seconds": wall,
                 "vs_baseline": wall / base, "peak_rss_mb": max(r for _, r in walls)})
    walls = [run_cli(env, "status", "--json") for _ in range(repeat)]
    rows.append({"op": "status --json", "posts": posts, "files": files,
                 "seconds": statistics.median(w for w, _ in walls),
                 "peak_rss_mb": max(r for _, r in walls)})
    walls = [run_cli(env, "export", "--dir", str(work / "locales")) for _ in range(repeat)]
    rows.append({"op": "export (3 catalogs)", "posts": posts, "files": files,
                 "seconds": statistics.median(w for w, _ in walls),
                 "peak_rss_mb": max(r for _, r in walls)})
    return rows


def table(rows: list[dict]) -> str:
    cols = ["op", "backend", "posts", "files", "seconds", "files_per_s", "vs_baseline",
            "peak_rss_mb"]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--scale", choices=["small", "full"], default="full")
    parser.add_argument("--posts", type=int, nargs="*", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg", default=os.environ.get(
        "TRANSYNC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/transync_bench"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = args.posts or ([1000] if args.scale == "small" else [1000, 10000])
    rows: list[dict] = []
    for posts in sizes:
        for backend in args.backends.split(","):
            work = Path(tempfile.mkdtemp(prefix=f"transync-bench-{posts}-"))
            try:
                url = None
                if backend == "postgresql":
                    url = fresh_pg(args.pg)
                for r in bench_scan(posts, url, work, args.repeat):
                    r["backend"] = backend
                    rows.append(r)
                    print(table([r]).splitlines()[-1], flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    OUT.mkdir(exist_ok=True)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "command": " ".join(sys.argv)}
    (OUT / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print()
    print(table(rows))


def fresh_pg(url: str) -> str:
    import psycopg

    admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


if __name__ == "__main__":
    main()
