"""Interchange formats (issue 20): a 5,000-segment task as XLIFF 1.2 and 2.0 (download and
submission) beside the PO path on the same task in the same run, and the translation memory
as TMX: `transync memory import` and `export` of 1,000,000 units (100,000 at small scale),
time and peak RSS, beside translate-toolkit reading the same file into a PO catalog (its
TMX → PO; the toolkit ships po2tmx but no tmx2po)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import BenchError, Ctx, median, migrate, row, run_measured, timed, transync
from bench.generate import WORDS, paragraph, translate

AREA = "formats"
XLIFF_TARGET = 1.5  # × the PO path's time
DOWNLOAD_RUNS = 7  # at least, for each download
TMX_RSS_MB = 300
TMX_UNITS = {"small": 100_000, "full": 1_000_000}

# translate-toolkit's TMX → PO, as a tmx2po would be: its tmxfile reader, its pofile writer
TOOLKIT_TMX2PO = """
import sys
from translate.storage import po, tmx
store = tmx.tmxfile.parsefile(sys.argv[1])
out = po.pofile()
n = 0
for u in store.units:
    if not u.source:
        continue
    new = out.addsourceunit(u.source)
    new.target = u.target
    new.setcontext(u.getcontext())
    n += 1
with open(sys.argv[2], "wb") as f:
    out.serialize(f)
print(n)
"""


def run(ctx: Ctx) -> None:
    backend = "postgresql" if "postgresql" in ctx.backends else ctx.backends[0]
    try:
        xliff_beside_po(ctx, backend)
    except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
        ctx.fail(AREA, "XLIFF beside PO", exc, backend=backend)
    try:
        tmx(ctx, backend)
    except Exception as exc:  # noqa: BLE001
        ctx.fail(AREA, "TMX import and export", exc, backend=backend)


def marked_up_post(root: Path, paragraphs: int, key: str = "long-post") -> Path:
    """One English post of `paragraphs` paragraphs, every one with markup that becomes
    inline codes: emphasis, a link, a code span, a footnote-style marker, a placeholder."""
    rng = random.Random(5)
    blocks = []
    for p in range(paragraphs):
        if p % 7 == 3:
            blocks.append("## " + paragraph(rng, "en", 5).rstrip("."))
            continue
        words = paragraph(rng, "en").rstrip(".").split(" ")
        words[3] = f"**{words[3]}**"
        words[8] = f"[{words[8]} {words[9]}](/docs/p{p}/)"
        del words[9]
        words[14] = f"`{words[14]}`"
        words.append(f"[{p % 9 + 1}] %s")
        blocks.append(" ".join(words) + ".")
    path = root / "en" / "posts" / f"{key}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'---\ntitle: "{paragraph(rng, "en", 6).rstrip(".")}"\n'
        f"date: 2026-01-01T00:00:00Z\ntranslationKey: {key}\n---\n\n" + "\n\n".join(blocks) + "\n",
        encoding="utf-8",
    )
    return path


def xliff_beside_po(ctx: Ctx, backend: str) -> None:
    import polib

    from sync.db.session import get_sessionmaker, transaction
    from sync.interchange.inline import align, codes_of
    from sync.interchange.tasks import submit_xliff, task_file, task_xliff
    from sync.interchange.xliff import write_xliff
    from sync.people import add_user
    from sync.pofiles import submit_po, task_po
    from sync.queue import claim
    from sync.scanning import run_scan

    segments = ctx.scale.submit_entries
    tree = ctx.work / f"formats-{backend}"
    shutil.rmtree(tree, ignore_errors=True)
    marked_up_post(tree, segments - 1)
    url = ctx.new_db(backend, "formats")
    migrate(url)
    # a 5,000-segment XLIFF is larger than the default upload limit (5 MB); the command
    # line reads files whole, as it does for PO
    settings = ctx.settings(url, max_upload_bytes=100_000_000)
    run_scan(settings, [str(tree)])
    with transaction(url) as s:
        add_user(s, settings, "bench-tr", langs=["tr"])
        got = claim(s, settings, "bench-tr", "tr")
        if got is None:
            raise BenchError("no task was planned for the long post")
        task_id = got[0].id
    maker = get_sessionmaker(url)

    def download(fn: Any, *args: Any) -> Any:
        def go() -> Any:
            with maker() as s:
                return fn(s, settings, task_id, *args)

        return go

    # the downloads take a fraction of a second: at least 7 runs each, interleaved, so that
    # a change in the machine's load, or a full garbage collection, falls on all of them
    timings: dict[str, list[float]] = {"po": [], "po paused": [], "1.2": [], "2.0": []}
    po_data = b""
    for _ in range(max(ctx.repeat, DOWNLOAD_RUNS)):
        runs, po_data = timed(download(task_po), 1)
        timings["po"] += runs
        timings["po paused"] += timed(gc_paused(download(task_po)), 1)[0]
        timings["1.2"] += timed(download(task_xliff, "1.2"), 1)[0]
        timings["2.0"] += timed(download(task_xliff, "2.0"), 1)[0]
    po_runs, x12_runs, x20_runs = timings["po"], timings["1.2"], timings["2.0"]
    paused_runs = timings["po paused"]
    po = polib.pofile(po_data.decode("utf-8"))
    for entry in po:
        entry.msgstr = translate(entry.msgid, "tr")
    filled_po = str(po).encode("utf-8")
    with maker() as s:
        tf = task_file(s, settings, task_id)
    units = [
        dataclasses.replace(u, target=align(translate(_text(u.source), "tr"), codes_of(u.source)))
        for u in tf.units
    ]
    filled = {v: write_xliff(dataclasses.replace(tf, units=units), v) for v in ("1.2", "2.0")}
    written = tree / "tr" / "posts" / "long-post.md"

    def submitted(fn: Any, data: bytes, name: str) -> list[float]:
        runs = []
        for _ in range(ctx.repeat):
            written.unlink(missing_ok=True)
            with maker() as s:
                s.begin()
                t0 = time.perf_counter()
                result = fn(s, settings, task_id, "bench-tr", name, data)
                s.flush()
                runs.append(time.perf_counter() - t0)
                s.rollback()
            if not result.get("applied"):
                raise BenchError(f"{name} was not applied: {result}")
        return runs

    po_submit = submitted(submit_po, filled_po, "long.po")
    n = len(tf.units)

    def add(op: str, runs: list[float], **fields: Any) -> None:
        """One row of this task: its segments are the size and the work."""
        ctx.add(
            row(
                AREA,
                op,
                backend=backend,
                size=n,
                size_unit="segments",
                runs=runs,
                n=n,
                unit="segments",
                **fields,
            )
        )

    add("task_po (download)", po_runs, notes="in-process; the reference below")
    add(
        "task_po (download), collector paused",
        paused_runs,
        notes="in-process; task_po with the cyclic garbage collector paused, as "
        "task_xliff pauses it (task_po does not): the XLIFF rows' second ratio",
    )
    for version, runs in (("1.2", x12_runs), ("2.0", x20_runs)):
        add(
            f"task_xliff {version} (download)",
            runs,
            reference="task_po on the same task",
            ref_seconds=median(po_runs),
            target=f"≤ {XLIFF_TARGET}× PO",
            meets=median(runs) / median(po_runs) <= XLIFF_TARGET,
            notes=f"in-process; every paragraph has 5 inline codes; "
            f"{median(runs) / median(paused_runs):.2f}× task_po with the "
            "collector paused too",
        )
    add(
        "submit_po (check + apply)",
        po_submit,
        notes="in-process, rolled back after each run; the reference below",
    )
    for version in ("1.2", "2.0"):
        runs = submitted(submit_xliff, filled[version], f"long-{version}.xlf")
        add(
            f"submit_xliff {version} (check + apply)",
            runs,
            reference="submit_po of the same translation",
            ref_seconds=median(po_submit),
            target=f"≤ {XLIFF_TARGET}× PO",
            meets=median(runs) / median(po_submit) <= XLIFF_TARGET,
            notes=f"in-process, rolled back after each run; "
            f"{len(filled[version]) / 1e6:.1f} MB file",
        )
    ctx.drop_db(url)
    shutil.rmtree(tree, ignore_errors=True)


def gc_paused(fn: Any) -> Any:
    """fn with the cyclic garbage collector paused, as sync.pofiles._gc_paused does."""

    def go() -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn()
        finally:
            if enabled:
                gc.enable()

    return go


def _text(nodes: list[Any]) -> str:
    from sync.interchange.inline import render

    return render(nodes)


def write_big_tmx(path: Path, units: int) -> int:
    """`units` en→tr pairs, each distinct, as a CAT tool's TMX would hold them."""
    from sync.interchange.tmx import TuOut, write_tmx

    rng = random.Random(13)
    en, tr = WORDS["en"], WORDS["tr"]
    when = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)

    def pairs() -> Any:
        for i in range(units):
            k = rng.randint(8, 30)
            picks = rng.choices(range(len(en)), k=k)
            source = " ".join(en[p] for p in picks)
            target = " ".join(tr[p % len(tr)] for p in picks)
            yield TuOut(
                f"u{i}",
                "en",
                "tr",
                f"{source.capitalize()} {i}.",
                f"{target.capitalize()} {i}.",
                when,
                key=f"post-{i // 20:06d}",
            )

    with path.open("wb") as f:
        return write_tmx(f, pairs(), srclang="en", tool_version="bench", created=when)


def tmx(ctx: Ctx, backend: str) -> None:
    units = TMX_UNITS.get(ctx.scale_name, 100_000)
    path = ctx.work / f"memory-{units}.tmx"
    write_big_tmx(path, units)
    size_mb = path.stat().st_size / 1e6
    url = ctx.new_db(backend, "tmx")
    env = ctx.env(url)
    try:
        migrate(url)
        imported = transync(env, "memory", "import", str(path), "--json")
        out = ctx.work / "exported.tmx"
        exported = transync(env, "memory", "export", "-o", str(out))
        if f"{units} units" not in exported.stdout:
            raise BenchError(f"export wrote {exported.stdout.strip()!r}, not {units} units")
    finally:
        ctx.drop_db(url)
    if f'"added": {units}' not in imported.stdout and f'"added":{units}' not in imported.stdout:
        raise BenchError(f"import: {imported.stdout.strip()}")
    try:
        toolkit = run_measured(
            [sys.executable, "-c", TOOLKIT_TMX2PO, str(path), str(ctx.work / "toolkit.po")]
        )
        ref, ref_rss = toolkit.seconds, toolkit.rss_mb
        ref_note = f"translate-toolkit peak RSS {ref_rss or 0:.0f} MB"
    except BenchError as exc:
        ref, ref_note = None, f"translate-toolkit failed: {exc}"
    for op, proc in (("transync memory import", imported), ("transync memory export", exported)):
        ratio_ok = ref is None or proc.seconds <= ref
        ctx.add(
            row(
                AREA,
                f"{op} (TMX)",
                backend=backend,
                size=units,
                size_unit="units",
                runs=[proc.seconds],
                n=units,
                unit="units",
                reference="translate-toolkit TMX → PO on the same file",
                ref_seconds=ref,
                peak_rss_mb=proc.rss_mb,
                rss_how="child ru_maxrss",
                target=f"peak RSS ≤ {TMX_RSS_MB} MB, time ≤ 1× translate-toolkit",
                meets=(proc.rss_mb or 0) <= TMX_RSS_MB and ratio_ok,
                notes=f"{size_mb:.0f} MB file; one run (an empty database); {ref_note}",
            )
        )
    path.unlink(missing_ok=True)
    (ctx.work / "exported.tmx").unlink(missing_ok=True)
    (ctx.work / "toolkit.po").unlink(missing_ok=True)
