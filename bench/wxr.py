"""WXR: `transync scan wxr:FILE` over a generated WordPress export (Polylang, en/tr/ru groups):
time and peak RSS, beside an lxml iterparse pass that only counts the items, in the same run."""

from __future__ import annotations

import sys

from bench.common import BenchError, Ctx, median, migrate, peak, row, run_measured, transync
from bench.generate import write_wxr

AREA = "wxr"
TARGET_MB = 200

COUNT_ITEMS = """
import sys
from lxml import etree
n = 0
for _, el in etree.iterparse(sys.argv[1], events=("end",), tag="item", huge_tree=True,
                             resolve_entities=False, no_network=True, load_dtd=False):
    n += 1
    el.clear(keep_tail=True)
    while el.getprevious() is not None:
        del el.getparent()[0]
print(n)
"""


def run(ctx: Ctx) -> None:
    backend = "postgresql" if "postgresql" in ctx.backends else ctx.backends[0]
    for items in ctx.scale.wxr_items:
        try:
            one(ctx, backend, items)
        except Exception as exc:  # noqa: BLE001 - recorded; the other steps go on
            ctx.fail(AREA, "scan wxr:FILE", exc, backend=backend, size=items, size_unit="items")


def one(ctx: Ctx, backend: str, items: int) -> None:
    path = ctx.work / f"export-{items}.xml"
    size = write_wxr(path, items)
    counts = [
        run_measured([sys.executable, "-c", COUNT_ITEMS, str(path)])
        for _ in range(max(3, ctx.repeat))
    ]
    if counts[0].stdout.strip() != str(items):
        raise BenchError(f"iterparse counted {counts[0].stdout.strip()} items, not {items}")
    url = ctx.new_db(backend, f"wxr{items}")
    env = ctx.env(url)
    try:
        migrate(url)
        scan = transync(env, "scan", f"wxr:{path}", ok=(0, 2))
        rescan = transync(env, "scan", f"wxr:{path}", ok=(0, 2))
    finally:
        ctx.drop_db(url)
        path.unlink(missing_ok=True)
    ref = median(c.seconds for c in counts)
    big = items >= 20_000
    ctx.add(
        row(
            AREA,
            "transync scan wxr:FILE, initial",
            backend=backend,
            size=items,
            size_unit="items",
            runs=[scan.seconds],
            n=items,
            unit="items",
            reference="lxml iterparse counting items",
            ref_seconds=ref,
            peak_rss_mb=scan.rss_mb,
            rss_how="child ru_maxrss",
            growth=True,
            target=f"peak RSS ≤ {TARGET_MB} MB" if big else None,
            meets=(scan.rss_mb or 0) <= TARGET_MB if big else None,
            notes=f"{size / 1e6:.0f} MB file; one run (needs an empty database); "
            f"iterparse peak RSS {peak(c.rss_mb for c in counts) or 0:.0f} MB",
        )
    )
    ctx.add(
        row(
            AREA,
            "transync scan wxr:FILE, no change",
            backend=backend,
            size=items,
            size_unit="items",
            runs=[rescan.seconds],
            n=items,
            unit="items",
            reference="lxml iterparse counting items",
            ref_seconds=ref,
            peak_rss_mb=rescan.rss_mb,
            rss_how="child ru_maxrss",
            growth=True,
            target=f"peak RSS ≤ {TARGET_MB} MB" if big else None,
            meets=(rescan.rss_mb or 0) <= TARGET_MB if big else None,
        )
    )
