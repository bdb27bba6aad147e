"""Catalogs: one language's catalog of 100,000 entries (build + PO beside msgcat on the file it
produced, MO beside msgfmt, polib's own MO writer at growing sizes), `transync export` over the
generated trees (time and peak RSS, beside msgcat on its catalogs), and submitting a
5,000-entry task PO."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

from bench.common import (
    ONE_RUN_FROM,
    BenchError,
    Ctx,
    fork_measure,
    median,
    msgcat_seconds,
    peak,
    row,
    run_measured,
    timed,
    transync,
)
from bench.generate import catalog_entries, long_post, translate

AREA = "catalogs"
LANG = "ru"
REVISION = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)


def run(ctx: Ctx) -> None:
    steps = [("one catalog", one_catalog), ("export", exports), ("submit", submits)]
    if ctx.only_large:
        steps = [("export", exports)]  # the others do not depend on the number of posts
    for name, step in steps:
        try:
            step(ctx)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(AREA, name, exc)


def one_catalog(ctx: Ctx) -> None:
    from sync import __version__
    from sync.catalog import build_catalog, render_mo, render_po

    n = ctx.scale.catalog_entries
    ctx.log(f"catalog: {n:,} entries in {LANG}")
    entries = catalog_entries(n, LANG)
    d = ctx.work / "catalog"
    d.mkdir(parents=True, exist_ok=True)
    po_path, mo_path = d / "posts.po", d / "posts.mo"

    def export_po() -> bytes:
        return render_po(build_catalog(LANG, entries, revision_date=REVISION, version=__version__))

    runs, po = timed(export_po, ctx.repeat)
    po_path.write_bytes(po)
    cat_runs = [msgcat_seconds(po_path, d / "msgcat.po") for _ in range(ctx.repeat)]
    same = (d / "msgcat.po").read_bytes() == po
    mem = fork_measure(export_po)
    size = {"size": n, "size_unit": "entries", "n": n, "unit": "entries"}
    ctx.add(
        row(
            AREA,
            "build_catalog + render_po",
            runs=runs,
            reference="msgcat on that file",
            ref_seconds=median(cat_runs),
            target="≤ 1.0× msgcat",
            meets=median(runs) <= median(cat_runs),
            peak_rss_mb=mem["peak_mb"],
            rss_how="forked child ru_maxrss",
            **size,
            notes=f"{len(po) / 1e6:.0f} MB PO; msgcat's output is byte-identical: "
            f"{'yes' if same else 'no'}; {mem['peak_mb'] - mem['start_mb']:.0f} MB "
            f"above the {mem['start_mb']:.0f} MB inherited (the input entries)",
        )
    )
    catalog = build_catalog(LANG, entries, revision_date=REVISION, version=__version__)
    mo_runs, mo = timed(lambda: render_mo(catalog), ctx.repeat)
    mo_path.write_bytes(mo)
    fmt_runs = [
        run_measured(["msgfmt", str(po_path), "-o", str(d / "msgfmt.mo")]).seconds
        for _ in range(ctx.repeat)
    ]
    ctx.add(
        row(
            AREA,
            "render_mo",
            runs=mo_runs,
            reference="msgfmt on the PO file",
            ref_seconds=median(fmt_runs),
            target="≤ 1.5× msgfmt",
            meets=median(mo_runs) <= 1.5 * median(fmt_runs),
            **size,
            notes=f"{len(mo) / 1e6:.0f} MB MO; render_mo starts from the built catalog, "
            "msgfmt parses the PO",
        )
    )
    catalog = None  # free it before the next catalogs
    for k in ctx.scale.polib_sizes:
        cat_k = build_catalog(LANG, entries[:k], revision_date=REVISION, version=__version__)
        ours, _ = timed(lambda cat_k=cat_k: render_mo(cat_k), ctx.repeat)
        t0 = time.perf_counter()
        cat_k.save_as_mofile(str(d / f"polib-{k}.mo"))
        polib_s = time.perf_counter() - t0
        ctx.add(
            row(
                AREA,
                "polib save_as_mofile",
                seconds=polib_s,
                runs=[polib_s],
                size=k,
                size_unit="entries",
                n=k,
                unit="entries",
                growth=True,
                reference="render_mo, same catalog",
                ref_seconds=median(ours),
                notes="one run (it is slow); grows quadratically",
            )
        )


def exports(ctx: Ctx) -> None:
    """`transync export` of every language (a subprocess, into a new folder each run)."""
    for posts in ctx.sizes:
        for backend in ctx.backends_for(posts):
            try:
                export_one(ctx, backend, posts)
            except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
                ctx.fail(
                    AREA,
                    "transync export (3 catalogs)",
                    exc,
                    backend=backend,
                    size=posts,
                    size_unit="posts",
                )


def export_one(ctx: Ctx, backend: str, posts: int) -> None:
    corpus = ctx.corpus(backend, posts)
    url = corpus.checkout("export", content=False)
    env = corpus.env(url)
    base = ctx.work / f"export-{backend}-{posts}"
    procs, refs = [], []
    entries = 0
    try:
        for i in range(ctx.runs_at(posts)):
            out = base / f"run{i}"
            procs.append(transync(env, "export", "--dir", str(out)))
            pos = sorted(out.glob("*/LC_MESSAGES/posts.po"))
            # msgcat is slow (a minute at 10,000 posts, so a quarter of an hour at 100,000):
            # one run, and not at 100,000 posts
            if not refs and posts < ONE_RUN_FROM:
                refs.append(sum(msgcat_seconds(p, p.with_suffix(".msgcat")) for p in pos))
            entries = sum(_count(p, b"\nmsgctxt ") for p in pos)
            shutil.rmtree(out, ignore_errors=True)  # 4 GB a run at 100,000 posts
    finally:
        shutil.rmtree(base, ignore_errors=True)
        ctx.drop_db(url)
    big = posts >= 100_000
    ctx.add(
        row(
            AREA,
            "transync export (3 catalogs)",
            backend=backend,
            size=posts,
            size_unit="posts",
            runs=[p.seconds for p in procs],
            n=entries,
            unit="entries",
            reference="msgcat on each catalog it wrote (one run)" if refs else None,
            ref_seconds=median(refs) if refs else None,
            peak_rss_mb=peak(p.rss_mb for p in procs),
            rss_how="child ru_maxrss",
            target="peak RSS ≤ 400 MB" if big else None,
            meets=(peak(p.rss_mb for p in procs) or 0) <= 400 if big else None,
            growth=True,
            notes="a subprocess, .po and .mo per language",
        )
    )


def _count(path: Path, needle: bytes) -> int:
    """Occurrences of `needle` in a file, read in chunks (catalogs reach gigabytes)."""
    total, tail = 0, b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            data = tail + chunk
            total += data.count(needle)
            tail = data[-(len(needle) - 1) :]
    return total


def submits(ctx: Ctx) -> None:
    backends = list(ctx.backends)
    if ctx.scale.submit_backends == 1 and len(backends) > 1:
        backends = ["postgresql" if "postgresql" in backends else backends[0]]
    for backend in backends:
        try:
            submit_one(ctx, backend)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(AREA, "submit_po", exc, backend=backend)


def submit_one(ctx: Ctx, backend: str) -> None:
    """One post of N paragraphs, scanned and planned; a translator claims the task,
    downloads its PO, fills every entry, and submit_po checks and applies it (timed, each
    run rolled back)."""
    import polib

    from sync.db.migrate import upgrade
    from sync.db.session import get_sessionmaker, transaction
    from sync.people import add_user
    from sync.pofiles import submit_po, task_po
    from sync.queue import claim
    from sync.scanning import run_scan

    paragraphs = ctx.scale.submit_entries - 1  # plus the title
    tree = ctx.work / f"submit-{backend}"
    shutil.rmtree(tree, ignore_errors=True)
    long_post(tree, paragraphs)
    url = ctx.new_db(backend, "submit")
    upgrade(url)
    settings = ctx.settings(url)
    run_scan(settings, [str(tree)])
    with transaction(url) as s:
        add_user(s, settings, "bench-tr", langs=["tr"])
        got = claim(s, settings, "bench-tr", "tr")
        if got is None:
            raise BenchError("no task was planned for the long post")
        task_id = got[0].id
    maker = get_sessionmaker(url)

    def download() -> bytes:
        with maker() as s:
            return task_po(s, settings, task_id)

    po_runs, data = timed(download, ctx.repeat)
    po = polib.pofile(data.decode("utf-8"))
    for entry in po:
        entry.msgstr = translate(entry.msgid, "tr")
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    filled = str(po).encode("utf-8")
    path = ctx.work / f"submit-{backend}.po"
    path.write_bytes(filled)
    check_runs = [
        run_measured(["msgfmt", "--check", "-o", "/dev/null", str(path)]).seconds
        for _ in range(ctx.repeat)
    ]
    written = tree / "tr" / "posts" / "long-post.md"
    runs: list[float] = []
    result: dict[str, Any] = {}
    for _ in range(ctx.repeat):
        written.unlink(missing_ok=True)
        with maker() as s:
            s.begin()
            t0 = time.perf_counter()
            result = submit_po(s, settings, task_id, "bench-tr", path.name, filled)
            s.flush()
            runs.append(time.perf_counter() - t0)
            s.rollback()
    if not result.get("applied"):
        raise BenchError(f"the PO was not applied: {result}")
    n = len(po)
    ctx.add(
        row(
            AREA,
            "task_po (download)",
            backend=backend,
            size=n,
            size_unit="entries",
            runs=po_runs,
            n=n,
            unit="entries",
            notes="in-process",
        )
    )
    ctx.add(
        row(
            AREA,
            "submit_po (check + apply)",
            backend=backend,
            size=n,
            size_unit="entries",
            runs=runs,
            n=n,
            unit="entries",
            reference="msgfmt --check on the same file",
            ref_seconds=median(check_runs),
            target="≤ 2 s",
            meets=median(runs) <= 2.0,
            notes=f"in-process, rolled back after each run; {len(filled) / 1e6:.1f} MB PO; "
            "applying writes the translation file and plans the next round",
        )
    )
    ctx.drop_db(url)
    shutil.rmtree(tree, ignore_errors=True)
