"""Scanning a content tree (`transync scan`, a subprocess each time) beside `sha256sum` over the
same files: initial, no change, 1% changed, `status --json`, and the history check: a no-change
rescan after K rounds of edits must cost what it costs after one round (it grows with the
number of files, not with revisions and events)."""

from __future__ import annotations

from bench.common import (
    Corpus,
    Ctx,
    count_rows,
    median,
    peak,
    row,
    sha256sum_seconds,
    transync,
)
from bench.generate import change_sources

AREA = "scan"


def run(ctx: Ctx) -> None:
    for posts in ctx.sizes:
        for backend in ctx.backends_for(posts):
            try:
                one(ctx, backend, posts)
            except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
                ctx.fail(AREA, "scan (setup)", exc, backend=backend, size=posts, size_unit="posts")


def one(ctx: Ctx, backend: str, posts: int) -> None:
    corpus = ctx.corpus(backend, posts)
    assert corpus.initial is not None
    content, files = corpus.content, corpus.files
    env = corpus.env(corpus.live_url)
    runs = ctx.runs_at(posts)
    base = median(sha256sum_seconds(content) for _ in range(max(3, runs)))
    ref = {"reference": "sha256sum (same files)", "ref_seconds": base}
    common = {
        "backend": backend,
        "size": posts,
        "size_unit": "posts",
        "n": files,
        "unit": "files",
        "rss_how": "child ru_maxrss",
    }
    # issue 2's targets hold at 10,000 posts on SQLite
    judged = backend == "sqlite" and posts == 10_000
    initial = corpus.initial
    ctx.add(
        row(
            AREA,
            "scan, initial",
            runs=[initial.seconds],
            peak_rss_mb=initial.rss_mb,
            growth=True,
            **common,
            **ref,
            **target(judged, "≥ 1,000 files/s", files / initial.seconds >= 1000),
            notes="one run (it needs an empty database)",
        )
    )
    procs = [transync(env, "scan", str(content), ok=(0, 2)) for _ in range(runs)]
    seconds = median(p.seconds for p in procs)
    ctx.add(
        row(
            AREA,
            "scan, no change",
            runs=[p.seconds for p in procs],
            peak_rss_mb=peak(p.rss_mb for p in procs),
            growth=True,
            **common,
            **ref,
            **target(judged, "≤ 1.5× sha256sum", seconds <= 1.5 * base),
        )
    )
    procs = []
    for i in range(runs):
        change_sources(content, 0.01, seed=100 + i)
        procs.append(transync(env, "scan", str(content), ok=(0, 2)))
    seconds = median(p.seconds for p in procs)
    ctx.add(
        row(
            AREA,
            "scan, 1% of sources changed",
            runs=[p.seconds for p in procs],
            peak_rss_mb=peak(p.rss_mb for p in procs),
            growth=True,
            **common,
            **ref,
            **target(judged, "≤ 2× sha256sum", seconds <= 2 * base),
        )
    )
    procs = [transync(env, "status", "--json") for _ in range(runs)]
    floor = median(transync(env, "--version").seconds for _ in range(max(3, runs)))
    seconds = median(p.seconds for p in procs)
    ctx.add(
        row(
            AREA,
            "status --json",
            runs=[p.seconds for p in procs],
            peak_rss_mb=peak(p.rss_mb for p in procs),
            growth=True,
            reference="CLI start-up (transync --version)",
            ref_seconds=floor,
            **common,
            **target(judged, "≤ 1 s", seconds <= 1.0),
        )
    )
    if posts in ctx.pick(ctx.scale.history_sizes, fallback="min") and not ctx.only_large:
        history(ctx, posts, env, corpus, common, ref)


def target(judged: bool, text: str, meets: bool) -> dict[str, object]:
    return {"target": text, "meets": meets} if judged else {}


def history(
    ctx: Ctx, posts: int, env: dict[str, str], corpus: Corpus, common: dict, ref: dict
) -> None:
    """Rounds of edits to every source; the no-change rescan after 1 round and after K."""
    content = corpus.content
    url = corpus.live_url
    rounds = ctx.scale.history_rounds
    tables = ("revisions", "segments", "events")
    edits = []

    def edit_round(i: int) -> None:
        change_sources(content, 1.0, seed=1000 + i)
        edits.append(transync(env, "scan", str(content), ok=(0, 2)))

    def rescans() -> list[float]:
        return [transync(env, "scan", str(content), ok=(0, 2)).seconds for _ in range(ctx.repeat)]

    edit_round(0)
    after_one = rescans()
    counts_one = count_rows(url, *tables)
    for i in range(1, rounds):
        edit_round(i)
    after_k = rescans()
    counts_k = count_rows(url, *tables)
    ctx.add(
        row(
            AREA,
            "scan, every source changed",
            runs=[p.seconds for p in edits],
            peak_rss_mb=peak(p.rss_mb for p in edits),
            growth=True,
            **common,
            **ref,
            notes=f"{rounds} rounds; includes planning the {2 * posts:,} update tasks",
        )
    )
    one = median(after_one)
    grown = ", ".join(f"{t} {counts_one[t]:,} → {counts_k[t]:,}" for t in tables)
    ctx.add(
        row(
            AREA,
            f"scan, no change, after {rounds} edit rounds",
            runs=after_k,
            reference="the same rescan after 1 edit round",
            ref_seconds=one,
            target="≤ 1.2× (grows with files, not history)",
            meets=median(after_k) <= 1.2 * one,
            **{k: v for k, v in common.items() if k != "rss_how"},
            notes=f"history grew: {grown}",
        )
    )
