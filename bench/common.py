"""What every benchmark area shares: the run context, rows, timing, measured subprocesses,
throwaway databases and the generated content trees ("corpora") that areas reuse.

Memory is measured in one of three ways, and every row says which (`rss_how`):

- ``child ru_maxrss``: peak resident set of a subprocess (and of the processes it waited
  for), from ``os.wait4`` in a small launcher process (see LAUNCHER), so neither earlier
  children nor this large process leak into it;
- ``forked child ru_maxrss``: an in-process step run in a forked child whose high-water mark
  is reset first (/proc/self/clear_refs); the row also gives how much of the peak was
  already resident when it started (pages shared with the parent: the input data);
- ``self ru_maxrss``: ``resource.getrusage(RUSAGE_SELF)`` inside a worker process.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
TRANSYNC = str(BIN / "transync")
NO_CONFIG = "/nonexistent/transync.toml"
SQLITE_MAX_POSTS = 10_000  # SQLite is measured up to this many posts (issue 8)
ONE_RUN_FROM = 100_000  # from this many posts a measurement runs once (each takes minutes)


class BenchError(Exception):
    """A step failed; the area records it in a row and goes on with the rest."""


# -- rows -----------------------------------------------------------------------------------


def row(area: str, op: str, **fields: Any) -> dict[str, Any]:
    """One result. Common fields: backend, size + size_unit (posts, items, entries…),
    seconds (median) + runs, n + unit (work done), rate + rate_unit, reference +
    ref_seconds or ref_rate, ratio (computed), peak_rss_mb + rss_how, target, meets, notes.

    ratio is seconds / ref_seconds when both are times (lower is better), else rate /
    ref_rate (higher is better); ratio_kind says which.
    """
    r: dict[str, Any] = {"area": area, "op": op, **fields}
    if r.get("runs") and r.get("seconds") is None:
        r["seconds"] = statistics.median(r["runs"])
    if r.get("seconds") and r.get("n") and r.get("rate") is None:
        r["rate"] = r["n"] / r["seconds"]
        r.setdefault("rate_unit", f"{r.get('unit', 'items')}/s")
    if r.get("ratio") is None:
        if r.get("seconds") and r.get("ref_seconds"):
            r["ratio"], r["ratio_kind"] = r["seconds"] / r["ref_seconds"], "time"
        elif r.get("rate") and r.get("ref_rate"):
            r["ratio"], r["ratio_kind"] = r["rate"] / r["ref_rate"], "rate"
    return r


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def peak(values: Iterable[float | None]) -> float | None:
    """The largest of the peak RSS values that were measured (None when none was)."""
    known = [v for v in values if v is not None]
    return max(known) if known else None


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    """Run fn `repeat` times; every wall time, and the last result."""
    runs, result = [], None
    for _ in range(max(1, repeat)):
        t0 = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - t0)
    return runs, result


def fmt_num(v: Any) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0:
            return "0"
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
        return f"{v:.{min(digits, 4)}f}"
    return str(v)


# -- subprocesses ---------------------------------------------------------------------------


@dataclasses.dataclass
class Proc:
    """One finished subprocess: wall time, peak RSS of its tree (wait4), exit code, output,
    and the CPU time (user and system) of the process and the children it waited for."""

    seconds: float
    rss_mb: float | None
    returncode: int
    stdout: str
    stderr: str
    cpu: float | None = None


# Every measured subprocess is started through this small launcher, which forks and execs
# the command and reports the child's wall time and wait4 rusage. Started directly from
# this (large) process, a child's ru_maxrss would start at this process's RSS: Linux keeps
# the high-water mark of the address space a child had before execve (with vfork, ours).
LAUNCHER = """
import json, os, signal, sys, time
report, argv = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
for sig in (signal.SIGTERM, signal.SIGINT):  # the group's signal reaches the child itself
    signal.signal(sig, lambda *_: None)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - t0
with open(report, "w") as f:
    json.dump({"seconds": wall, "maxrss_kb": usage.ru_maxrss, "status": status,
               "cpu": usage.ru_utime + usage.ru_stime}, f)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


class Launched:
    """A command started through LAUNCHER, in its own process group."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        stdout: Any = None,
        stderr: Any = None,
    ) -> None:
        fd, report = tempfile.mkstemp(prefix="rusage-", suffix=".json")
        os.close(fd)
        self.report = Path(report)
        self.argv = list(map(str, argv))
        self.proc = subprocess.Popen(
            [sys.executable, "-S", "-c", LAUNCHER, report, *self.argv],
            env=env,
            cwd=cwd,
            stdout=stdout,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float | None = None) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.proc.wait()

    def signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def usage(self) -> tuple[float | None, float | None]:
        """(wall seconds, peak RSS in MB) of the command, once it has ended."""
        seconds, rss, _ = self.usage_cpu()
        return seconds, rss

    def usage_cpu(self) -> tuple[float | None, float | None, float | None]:
        """(wall seconds, peak RSS in MB, CPU seconds) of the command, once it has ended."""
        try:
            data = json.loads(self.report.read_text() or "{}")
        except (OSError, ValueError):
            data = {}
        finally:
            self.report.unlink(missing_ok=True)
        rss = data.get("maxrss_kb")
        return data.get("seconds"), (rss / 1024 if rss is not None else None), data.get("cpu")


def run_measured(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    ok: Sequence[int] = (0,),
    timeout: float | None = None,
) -> Proc:
    """Run argv to completion: its wall time and its own peak RSS (ru_maxrss from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        launched = Launched(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        code = launched.wait(timeout)
        wall = time.perf_counter() - t0
        seconds, rss, cpu = launched.usage_cpu()
        out.seek(0)
        err.seek(0)
        result = Proc(
            seconds if seconds is not None else wall,
            rss,
            code,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            cpu,
        )
    if result.returncode not in ok:
        tail = (result.stderr or result.stdout).strip().splitlines()[-6:]
        raise BenchError(
            f"{' '.join(map(str, argv[:3]))} … exited {result.returncode}: " + " | ".join(tail)
        )
    return result


def transync(env: dict[str, str], *args: str, ok: Sequence[int] = (0,)) -> Proc:
    return run_measured([TRANSYNC, *args], env=env, ok=ok)


def fork_measure(fn: Callable[[], Any]) -> dict[str, float]:
    """Run fn in a forked child: its wall time, its peak RSS (VmHWM, reset when the child
    starts) and the RSS it started with (pages shared with this process), in MB."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        code = 0
        try:
            with open("/proc/self/clear_refs", "w") as f:  # peak RSS := current RSS
                f.write("5")
            start = _vm_rss_mb()
            t0 = time.perf_counter()
            fn()
            wall = time.perf_counter() - t0
            peak = _vm_rss_mb("VmHWM:")
            payload = {"seconds": wall, "peak_mb": peak, "start_mb": start}
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            payload, code = {"error": repr(exc)}, 1
        os.write(write_fd, json.dumps(payload).encode())
        os.close(write_fd)
        os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    payload = json.loads(data or b'{"error": "no answer"}')
    if "error" in payload:
        raise BenchError(payload["error"])
    return payload


def _vm_rss_mb(field: str = "VmRSS:") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def sha256sum_seconds(root: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        f"find '{root}' -name '*.md' -print0 | xargs -0 sha256sum > /dev/null",
        shell=True,
        check=True,
    )
    return time.perf_counter() - t0


def msgcat_seconds(po: Path, out: Path) -> float:
    return run_measured(["msgcat", str(po), "-o", str(out)]).seconds


def stop_process(proc: Launched, timeout: float = 30.0) -> float | None:
    """SIGTERM the process group (then SIGKILL); returns the command's peak RSS in MB."""
    proc.signal(signal.SIGTERM)
    proc.wait(timeout)
    proc.signal(signal.SIGKILL)  # pool children left behind by a dead parent
    return proc.usage()[1]


def wait_for(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    proc: Launched | None = None,
    log: Path | None = None,
    interval: float = 0.05,
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise BenchError(f"process exited ({proc.poll()}) while waiting for {what}: {tail}")
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


# -- the run --------------------------------------------------------------------------------


@dataclasses.dataclass
class Scale:
    sizes: list[int]  # posts
    repeat: int
    history_rounds: int
    history_sizes: list[int] | None  # None: every size
    claims: int
    pgbench_seconds: int
    catalog_entries: int
    polib_sizes: list[int]
    wxr_items: list[int]
    web_sizes: list[int] | None  # None: every PostgreSQL size
    web_seconds: int
    submit_entries: int
    prefill_sizes: list[int] | None  # None: every PostgreSQL size
    sqlite_max: int = SQLITE_MAX_POSTS  # SQLite is measured up to this many posts
    submit_backends: int = 2  # 1: only PostgreSQL (or the first backend)


SCALES = {
    "small": Scale(
        sizes=[200, 1000],
        repeat=2,
        history_rounds=3,
        history_sizes=[200],
        claims=2000,
        pgbench_seconds=4,
        catalog_entries=10_000,
        polib_sizes=[2000, 4000, 8000],
        wxr_items=[300, 1000],
        web_sizes=[1000],
        web_seconds=10,
        submit_entries=5000,
        prefill_sizes=[1000],
        sqlite_max=200,
        submit_backends=1,
    ),
    "full": Scale(
        sizes=[1000, 10_000, 100_000],
        repeat=3,
        history_rounds=4,
        history_sizes=[1000, 10_000],
        claims=20_000,
        pgbench_seconds=10,
        catalog_entries=100_000,
        polib_sizes=[5000, 10_000, 20_000],
        wxr_items=[2000, 20_000],
        web_sizes=None,
        web_seconds=30,
        submit_entries=5000,
        prefill_sizes=None,
    ),
}


class Ctx:
    """One benchmark run: options, the rows so far, scratch space, databases, corpora."""

    def __init__(
        self,
        *,
        scale: str,
        sizes: list[int],
        repeat: int,
        backends: list[str],
        areas: list[str],
        pg: str,
        redis: str,
        work: Path,
        keep: bool,
    ) -> None:
        self.scale_name = scale
        self.scale = SCALES[scale]
        self.sizes = sizes
        self.repeat = repeat
        self.backends = backends
        self.areas = areas
        self.pg_admin = pg
        self.redis = redis
        self.work = work
        self.keep = keep
        self.rows: list[dict[str, Any]] = []
        self.corpora: dict[tuple[str, int], Corpus | BenchError] = {}
        self.pg_databases: list[str] = []

    # rows
    def add(self, r: dict[str, Any]) -> dict[str, Any]:
        self.rows.append(r)
        parts = [f"[{r['area']}] {r['op']}"]
        for k in ("backend", "size"):
            if r.get(k) is not None:
                parts.append(f"{k}={fmt_num(r[k])}")
        if r.get("error"):
            parts.append(f"ERROR {r['error']}")
        if r.get("seconds") is not None:
            parts.append(f"{fmt_num(r['seconds'])} s")
        if r.get("rate") is not None:
            parts.append(f"{fmt_num(r['rate'])} {r.get('rate_unit', '/s')}")
        if r.get("ratio") is not None:
            parts.append(
                f"ratio {fmt_num(r['ratio'])} ({r.get('ratio_kind')}) vs {r.get('reference')}"
            )
        if r.get("peak_rss_mb") is not None:
            parts.append(f"rss {fmt_num(r['peak_rss_mb'])} MB")
        print("  " + ", ".join(parts), file=sys.stderr, flush=True)
        return r

    def fail(self, area: str, op: str, exc: BaseException, **fields: Any) -> None:
        self.add(row(area, op, error=str(exc)[:500], **fields))

    def log(self, message: str) -> None:
        print(f"· {message}", file=sys.stderr, flush=True)

    def runs_at(self, posts: int) -> int:
        """How many runs a measurement at `posts` posts gets: the run's repeat, or one from
        ONE_RUN_FROM posts up (where a single scan or export takes minutes)."""
        return 1 if posts >= ONE_RUN_FROM else self.repeat

    @property
    def only_large(self) -> bool:
        """Only sizes from ONE_RUN_FROM up (the long run made on its own): measurements
        that do not depend on the number of posts are left to the other run."""
        return all(s >= ONE_RUN_FROM for s in self.sizes)

    def backends_for(self, posts: int) -> list[str]:
        return [b for b in self.backends if b != "sqlite" or posts <= self.scale.sqlite_max]

    def pick(self, option: list[int] | None, *, fallback: str = "max") -> list[int]:
        """The sizes an area measures: every size of the run when `option` is None, else
        those of `option` that the run has, else the run's largest (or smallest) size."""
        if option is None:
            return list(self.sizes)
        chosen = [s for s in self.sizes if s in option]
        return chosen or [max(self.sizes) if fallback == "max" else min(self.sizes)]

    # settings and environments
    def settings(self, url: str, **overrides: Any) -> Any:
        from sync.config import load_settings

        return load_settings(
            environ={},
            config_file=Path(NO_CONFIG),
            database_url=url,
            broker_url=overrides.pop("broker_url", f"sqla+sqlite:///{self.work}/broker.db"),
            locales_dir=str(self.work / "locales"),
            **overrides,
        )

    def env(self, url: str, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSYNC_")}
        env.update(
            TRANSYNC_CONFIG=NO_CONFIG,
            TRANSYNC_DATABASE_URL=url,
            TRANSYNC_BROKER_URL=f"sqla+sqlite:///{self.work}/broker.db",
            TRANSYNC_LOCALES_DIR=str(self.work / "locales"),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    # databases
    def _pg_connect(self) -> Any:
        import psycopg

        dsn = self.pg_admin.replace("postgresql+psycopg://", "postgresql://")
        return psycopg.connect(dsn, autocommit=True, connect_timeout=5)

    def pg_url(self, name: str) -> str:
        return self.pg_admin.rsplit("/", 1)[0] + "/" + name

    def new_db(self, backend: str, tag: str, *, template: str | None = None) -> str:
        """A new empty database (or a copy of `template`): its URL."""
        tag = re.sub(r"[^a-z0-9_]", "_", tag.lower())
        if backend == "sqlite":
            path = self.work / "db" / f"{tag}-{len(self.pg_databases)}-{time.time_ns()}.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            if template is not None:
                src = sqlite3.connect(template)
                dst = sqlite3.connect(path)
                with dst:
                    src.backup(dst)
                src.close()
                dst.close()
            return f"sqlite:///{path}"
        name = f"transync_bench_{tag}_{os.getpid()}_{len(self.pg_databases)}"
        with self._pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            clause = f' TEMPLATE "{template}"' if template else ""
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        self.pg_databases.append(name)
        return self.pg_url(name)

    def drop_db(self, url: str) -> None:
        from sync.db.session import dispose_all

        dispose_all()
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///") :])
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        if self.keep:
            return
        with self._pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.pg_databases:
            self.pg_databases.remove(name)

    def cleanup(self) -> None:
        from sync.db.session import dispose_all

        dispose_all()
        if not self.keep:
            try:
                with self._pg_connect() as conn:
                    for name in self.pg_databases:
                        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - best effort
                self.log(f"could not drop the benchmark databases: {exc}")
            shutil.rmtree(self.work, ignore_errors=True)

    # corpora
    def corpus(self, backend: str, posts: int) -> Corpus:
        """The generated tree of `posts` posts scanned into `backend` (built once a run)."""
        key = (backend, posts)
        found = self.corpora.get(key)
        if isinstance(found, BenchError):
            raise found
        if found is None:
            corpus = Corpus(self, backend, posts)
            try:
                corpus.build()
            except Exception as exc:  # noqa: BLE001 - every area that needs it says so
                error = (
                    exc
                    if isinstance(exc, BenchError)
                    else BenchError(f"building the corpus failed: {type(exc).__name__}: {exc}")
                )
                self.corpora[key] = error
                if error is exc:
                    raise
                raise error from exc
            self.corpora[key] = found = corpus
        return found


class Corpus:
    """A generated content tree of N posts × 3 languages scanned with `transync scan` into a
    database, kept as a template: areas check out a copy of both and change them freely.

    The tree always lives at the same path (the tracker records it as the source), so a
    checkout restores the files in place from a pristine copy."""

    def __init__(self, ctx: Ctx, backend: str, posts: int) -> None:
        self.ctx, self.backend, self.posts = ctx, backend, posts
        self.dir = ctx.work / f"corpus-{backend}-{posts}"
        self.content = self.dir / "content"
        self.pristine = self.dir / "pristine"
        self.files = 0
        self.generate_seconds = 0.0
        self.initial: Proc | None = None
        self.live_url = ""
        self.template = ""

    def build(self) -> None:
        from bench.generate import generate

        ctx = self.ctx
        ctx.log(f"corpus: {self.posts:,} posts on {self.backend} (generate, init, scan)")
        shutil.rmtree(self.dir, ignore_errors=True)
        t0 = time.perf_counter()
        self.files = generate(self.content, self.posts)
        self.generate_seconds = time.perf_counter() - t0
        shutil.copytree(self.content, self.pristine)
        self.live_url = ctx.new_db(self.backend, f"{self.backend}{self.posts}")
        env = ctx.env(self.live_url)
        migrate(self.live_url)
        self.initial = transync(env, "scan", str(self.content), ok=(0, 2))
        if self.backend == "sqlite":
            self.template = self.live_url[len("sqlite:///") :] + ".template"
            src = sqlite3.connect(self.live_url[len("sqlite:///") :])
            dst = sqlite3.connect(self.template)
            with dst:
                src.backup(dst)
            src.close()
            dst.close()
        else:
            self.template = ctx.new_db(
                "postgresql", f"tpl{self.posts}", template=self.live_url.rsplit("/", 1)[1]
            )
            self.template = self.template.rsplit("/", 1)[1]

    def env(self, url: str) -> dict[str, str]:
        return self.ctx.env(url)

    def restore_content(self) -> None:
        shutil.rmtree(self.content, ignore_errors=True)
        shutil.copytree(self.pristine, self.content)

    def checkout(self, tag: str, *, content: bool = True) -> str:
        """A fresh copy of the scanned database (and of the tree, in place): its URL."""
        if content:
            self.restore_content()
        return self.ctx.new_db(self.backend, f"{tag}{self.posts}", template=self.template)


def migrate(url: str) -> None:
    """`transync init`, in this process (Alembic is slow to start in a new one)."""
    from sync.db.migrate import upgrade
    from sync.db.session import dispose_all

    upgrade(url)
    dispose_all()


def sqlalchemy_engine(url: str) -> Any:
    from sync.db.session import get_engine

    return get_engine(url)


def count_rows(url: str, *tables: str) -> dict[str, int]:
    from sqlalchemy import text

    from sync.db.session import dispose_all

    out = {}
    with sqlalchemy_engine(url).connect() as conn:
        for t in tables:
            out[t] = conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
    dispose_all()
    return out
