"""transync's benchmark suite: every area in one run, each row beside its reference measured in
the same run, medians of repeated runs, peak memory, growth with the number of posts.

    python -m bench --scale small                 # < 5 minutes on 2 cores: 200 and 1,000
                                                  # posts (SQLite: 200)
    python -m bench                               # full: 1,000, 10,000 and 100,000 posts
                                                  # (SQLite stops at 10,000; one run each
                                                  # at 100,000)
    python -m bench --posts 1000 10000            # the same without the 100,000-post run
    python -m bench --only scan,tasks --backends postgresql --repeat 5

Areas (bench/<area>.py): scan, tasks, catalogs, wxr, web, adoption (the first scan of a git
work tree, issue 14: 1,000 posts × 3 languages and 20 commits whatever the sizes, 200 × 3 and
10 commits at small scale), forecast (the backlog forecast's backtest on generated years of
work, issue 19: no services), notify (webhook fan-out through a worker beside the no-op
task, issue 18), wordpress (a real WordPress's first and incremental scan beside curl,
issue 16), startup (what every command pays before any work, a no-change rescan beside
sha256sum and status --json at 100,000 posts, issue 21). Needs PostgreSQL (--pg, a user that
may create databases: transync_bench_* are created and dropped), Redis (--redis, database 14
by default: it is flushed), gettext's msgcat/msgfmt, pgbench, and wrk if installed (else an
httpx load generator). Writes bench/out/results.json (rows, growth, machine, the exact
command) and bench/out/results.md, prints the Markdown tables, and draws one plot per
operation (matplotlib, `pip install -e '.[bench]'`) into docs/bench/ at full scale, or
bench/out/plots/ at small scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench import (
    adoption,
    catalogs,
    forecast,
    formats,
    growth,
    notify,
    scan,
    startup,
    tasks,
    web,
    wordpress,
    wxr,
)
from bench.common import OUT, ROOT, SCALES, SQLITE_MAX_POSTS, Ctx, fmt_num

AREAS = {
    "scan": scan,
    "tasks": tasks,
    "catalogs": catalogs,
    "wxr": wxr,
    "web": web,
    "adoption": adoption,
    "formats": formats,
    "forecast": forecast,
    "notify": notify,
    "wordpress": wordpress,
    "startup": startup,
}
RSS_LABELS = {
    "child ru_maxrss": "child",
    "forked child ru_maxrss": "fork",
    "self ru_maxrss (largest claimer)": "self",
    "worker tree ru_maxrss (wait4)": "worker",
    "server ru_maxrss (wait4), whole run": "server",
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--scale",
        choices=sorted(SCALES),
        default="full",
        help="small: < 5 minutes; full: 1,000, 10,000 and 100,000 posts (default)",
    )
    p.add_argument(
        "--only",
        default=",".join(AREAS),
        help=f"comma-separated areas (default: all): {','.join(AREAS)}",
    )
    p.add_argument(
        "--posts",
        type=int,
        nargs="+",
        default=None,
        help="sizes in posts (default by scale); 100000 is a long run; SQLite is "
        f"measured up to {SQLITE_MAX_POSTS:,} posts (200 at small scale)",
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="runs per measurement, the median is reported (default by scale)",
    )
    p.add_argument("--backends", default="sqlite,postgresql")
    p.add_argument(
        "--pg",
        default=os.environ.get(
            "TRANSYNC_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL URL whose user may create databases (transync_bench_* are made "
        "and dropped)",
    )
    p.add_argument(
        "--redis",
        default=os.environ.get("TRANSYNC_BENCH_REDIS", "redis://127.0.0.1:6379/14"),
        help="Redis database for Celery (flushed before and after)",
    )
    p.add_argument(
        "--plots",
        type=Path,
        default=None,
        help="where to write the PNG plots (default: docs/bench at full scale, "
        "bench/out/plots at small scale)",
    )
    p.add_argument("--keep", action="store_true", help="keep the scratch folder and databases")
    p.add_argument(
        "--include",
        type=Path,
        action="append",
        default=[],
        help="rows of an earlier run's results.json to report with this run's "
        "(growth and plots span both): e.g. the 100,000-post run made "
        "separately from the 1,000 and 10,000-post one",
    )
    args = p.parse_args(argv)
    args.only = [a.strip() for a in args.only.split(",") if a.strip()]
    bad = [a for a in args.only if a not in AREAS]
    if bad:
        p.error(f"unknown area {bad[0]!r}; choose from {', '.join(AREAS)}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if any(b not in ("sqlite", "postgresql") for b in args.backends) or not args.backends:
        p.error("--backends: sqlite, postgresql or both")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    scale = SCALES[args.scale]
    sizes = sorted(set(args.posts or scale.sizes))
    repeat = args.repeat or scale.repeat
    command = " ".join(
        [
            shlex.quote(sys.executable),
            "-m",
            "bench",
            *map(shlex.quote, sys.argv[1:] if argv is None else argv),
        ]
    )
    work = Path(tempfile.mkdtemp(prefix="transync-bench-"))
    ctx = Ctx(
        scale=args.scale,
        sizes=sizes,
        repeat=repeat,
        backends=args.backends,
        areas=args.only,
        pg=args.pg,
        redis=args.redis,
        work=work,
        keep=args.keep,
    )
    started = time.perf_counter()
    compiled()
    meta = machine(ctx, command)
    meta["included"] = []
    for path in args.include:
        earlier = json.loads(path.read_text())
        meta["included"].append(
            {
                "file": str(path),
                "command": earlier["meta"]["command"],
                "started_at": earlier["meta"]["started_at"],
            }
        )
        ctx.rows.extend(
            {**r, "run": r.get("run") or earlier["meta"]["command"]} for r in earlier["rows"]
        )
        meta["included"].extend(
            i for i in earlier["meta"].get("included", []) if i not in meta["included"]
        )
    print(
        f"transync bench: scale {args.scale}, posts {sizes}, repeat {repeat}, backends "
        f"{','.join(args.backends)}, areas {','.join(args.only)}; scratch {work}",
        file=sys.stderr,
        flush=True,
    )
    timings: dict[str, float] = {}
    plot_dir = args.plots or (ROOT / "docs" / "bench" if args.scale == "full" else OUT / "plots")
    try:
        for name in args.only:
            t0 = time.perf_counter()
            ctx.log(f"area {name}")
            try:
                AREAS[name].run(ctx)
            except Exception as exc:  # noqa: BLE001 - one area's crash must not lose the rest
                traceback.print_exc()
                ctx.fail(name, f"{name} (crashed)", exc)
            timings[name] = time.perf_counter() - t0
            # what is measured so far, written after each area: a long run that is stopped
            # (or runs out of time) still leaves its results
            write_results(ctx, meta, started, timings, None)
    except KeyboardInterrupt:
        ctx.log("interrupted: writing what was measured")
    finally:
        ctx.cleanup()
    report = write_results(ctx, meta, started, timings, plot_dir)
    print(report)
    return 1 if any(r.get("error") for r in ctx.rows) else 0


def write_results(
    ctx: Ctx, meta: dict[str, Any], started: float, timings: dict[str, float], plot_dir: Path | None
) -> str:
    """bench/out/results.json and results.md (and the plots, when `plot_dir` is given)."""
    items = growth.growth(ctx.rows)
    written = growth.plots(items, plot_dir) if plot_dir is not None else []
    meta["elapsed_s"] = time.perf_counter() - started
    meta["area_seconds"] = dict(timings)
    meta["load_average_end"] = os.getloadavg()
    OUT.mkdir(parents=True, exist_ok=True)
    results = {"meta": meta, "rows": ctx.rows, "growth": items, "plots": written}
    (OUT / "results.json").write_text(
        json.dumps(results, indent=2, default=str, ensure_ascii=False)
    )
    report = markdown(results)
    (OUT / "results.md").write_text(report)
    return report


# -- the report -----------------------------------------------------------------------------


def cpu_loop() -> float:
    """Seconds for 20,000,000 additions in a Python loop, the best of three: how fast this
    machine's CPU was at the start of the run (a shared machine varies from day to day)."""
    best = float("inf")
    for _ in range(3):
        t0, total = time.perf_counter(), 0
        for i in range(20_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best, 2)


def compiled() -> None:
    """transync's own modules compiled to bytecode first, as an installed package has them:
    a checkout run with PYTHONDONTWRITEBYTECODE (this machine sets it) would otherwise
    compile some 170 modules in every `transync` process it times (about 0.15 s each)."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("sync", "workers"):
        compileall.compile_dir(str(root / package), quiet=1)


def machine(ctx: Ctx, command: str) -> dict[str, Any]:
    def first_line(argv: list[str]) -> str | None:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return None

    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except OSError:
        mem_kb = 0
    import celery
    import lxml.etree
    import polib
    import sqlalchemy

    return {
        "command": command,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scale": ctx.scale_name,
        "sizes": ctx.sizes,
        "repeat": ctx.repeat,
        "backends": ctx.backends,
        "areas": ctx.areas,
        "machine": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "load_average_start": os.getloadavg(),
        "cpu_loop_s": cpu_loop(),
        "python": platform.python_version(),
        "postgresql": first_line(["psql", "--version"]),
        "redis": first_line(["redis-server", "--version"]),
        "gettext": first_line(["msgcat", "--version"]),
        "pgbench": first_line(["pgbench", "--version"]),
        "wrk": first_line(["wrk", "--version"]),
        "sqlalchemy": sqlalchemy.__version__,
        "celery": celery.__version__,
        "polib": polib.__version__,
        "lxml": ".".join(map(str, lxml.etree.LXML_VERSION)),
        "commit": first_line(["git", "-C", str(ROOT), "rev-parse", "HEAD"]),
    }


def _size(r: dict[str, Any]) -> str:
    if r.get("size") is None:
        return ""
    return f"{fmt_num(r['size'])} {r.get('size_unit', '')}".strip()


def _ratio(r: dict[str, Any]) -> str:
    if r.get("ratio") is None:
        return ""
    return f"{fmt_num(r['ratio'])}× {'time' if r.get('ratio_kind') == 'time' else 'rate'}"


def _ref(r: dict[str, Any]) -> str:
    if r.get("ref_seconds") is not None:
        return f"{fmt_num(r['ref_seconds'])} s"
    if r.get("ref_rate") is not None:
        return f"{fmt_num(r['ref_rate'])} {r.get('rate_unit', '/s')}"
    return ""


def table(rows: list[dict[str, Any]]) -> str:
    cols = [
        "operation",
        "backend",
        "size",
        "median s",
        "runs",
        "rate",
        "reference",
        "reference value",
        "ratio",
        "peak RSS MB",
        "target",
        "notes",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        rss = ""
        if r.get("peak_rss_mb") is not None:
            rss = f"{r['peak_rss_mb']:.0f} ({RSS_LABELS.get(r.get('rss_how'), r.get('rss_how'))})"
        target = r.get("target") or ""
        if target and r.get("meets") is not None:
            target += " ✔" if r["meets"] else " ✘"
        notes = f"ERROR: {r['error']}" if r.get("error") else (r.get("notes") or "")
        if r.get("run"):
            notes = f"(earlier run) {notes}"
        rate = f"{fmt_num(r['rate'])} {r.get('rate_unit', '')}" if r.get("rate") else ""
        cells = [
            r["op"],
            r.get("backend") or "",
            _size(r),
            fmt_num(r.get("seconds")),
            str(len(r["runs"])) if r.get("runs") else "",
            rate,
            r.get("reference") or "",
            _ref(r),
            _ratio(r),
            rss,
            target,
            notes,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    meta, rows = results["meta"], results["rows"]
    out = [
        "# transync benchmark results",
        "",
        f"- command: `{meta['command']}`",
        *[
            f"- with the rows of an earlier run: `{inc['command']}` ({inc['started_at']})"
            for inc in meta.get("included", [])
        ],
        f"- machine: {meta['cpu']}, {meta['cpus']} CPUs, {meta['memory_gb']} GB; "
        f"{meta['machine']}; Python {meta['python']}; CPU check (a Python loop of "
        f"20,000,000 additions, best of 3): {meta.get('cpu_loop_s', '?')} s",
        f"- services: {meta['postgresql']}; {meta['redis']}; {meta['gettext']}; "
        f"{meta['pgbench']}; wrk: {meta['wrk'] or 'not installed'}",
        f"- load average at start {tuple(round(x, 2) for x in meta['load_average_start'])}, "
        f"at end {tuple(round(x, 2) for x in meta['load_average_end'])}; took "
        f"{meta['elapsed_s']:.0f} s ({', '.join(f'{k} {v:.0f} s' for k, v in meta['area_seconds'].items())})",  # noqa: E501
        "- every time is the median of the runs counted in `runs`; ratio is median / "
        "reference for times (lower is better) and rate / reference rate for rates (higher "
        "is better); peak RSS: child = the subprocess's own ru_maxrss (os.wait4), fork = "
        "an in-process step run in a forked child, self = ru_maxrss inside the process, "
        "worker/server = the Celery worker's or uvicorn's process tree (wait4)",
        "",
    ]
    for area in AREAS:
        mine = [r for r in rows if r["area"] == area]
        if mine:
            out += [f"## {area}", "", table(mine), ""]
    items = [g for g in results["growth"] if len(g["points"]) >= 2]
    if items:
        out += [
            "## growth",
            "",
            "Exponent 1 is linear; above "
            f"{growth.SUPERLINEAR} is flagged (small sizes are dominated by fixed costs "
            "such as starting Python, so their exponents read low).",
            "",
            growth.growth_table(items),
            "",
        ]
    if results["plots"]:
        out += [
            "Plots: "
            + ", ".join(
                f"`{Path(p).relative_to(ROOT)}`" if Path(p).is_relative_to(ROOT) else f"`{p}`"
                for p in results["plots"]
            ),
            "",
        ]
    targets = [r for r in rows if r.get("target") and r.get("meets") is not None]
    if targets:
        out += ["## targets", ""]
        for r in targets:
            mark = "met" if r["meets"] else "MISSED"
            out.append(
                f"- {mark}: {r['area']} / {r['op']} ({r.get('backend') or '-'}, "
                f"{_size(r)}): {r['target']}"
            )
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
