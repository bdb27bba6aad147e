"""Growth (issue 8): for each operation measured at several sizes, the time at each size, the
ratio between steps and the growth exponent (log time ratio / log size ratio: 1 is linear),
flagging what grows faster than linearly; and one PNG plot per operation."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

from bench.common import fmt_num

#: above this exponent a step is flagged as faster than linear (leaves room for noise)
SUPERLINEAR = 1.15


def growth(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str, str], dict[int, float]] = defaultdict(dict)
    units: dict[tuple[str, str, str], str] = {}
    for r in rows:
        value = r.get("growth_value", r.get("seconds"))
        if not r.get("growth") or r.get("error") or value is None or r.get("size") is None:
            continue
        key = (r["area"], r["op"], r.get("backend") or "")
        groups[key][r["size"]] = value
        units[key] = r.get("size_unit", "posts")
    out = []
    for (area, op, backend), points in groups.items():
        pts = sorted(points.items())
        steps = []
        for (s1, v1), (s2, v2) in pairwise(pts):
            if v1 <= 0 or v2 <= 0 or s1 == s2:
                continue
            exponent = math.log(v2 / v1) / math.log(s2 / s1)
            steps.append(
                {
                    "from": s1,
                    "to": s2,
                    "size_ratio": s2 / s1,
                    "time_ratio": v2 / v1,
                    "exponent": exponent,
                    "superlinear": exponent > SUPERLINEAR,
                }
            )
        out.append(
            {
                "area": area,
                "op": op,
                "backend": backend,
                "size_unit": units[(area, op, backend)],
                "points": pts,
                "steps": steps,
                "superlinear": any(s["superlinear"] for s in steps),
                "value": "p95 latency" if area == "web" else "seconds",
            }
        )
    return out


def growth_table(items: list[dict[str, Any]]) -> str:
    lines = [
        "| operation | backend | time at each size | step: time ratio for size ratio "
        "(exponent) | faster than linear? |",
        "|---|---|---|---|---|",
    ]
    for g in items:
        if len(g["points"]) < 2:
            continue
        pts = ", ".join(f"{fmt_num(s)}: {fmt_num(v)} s" for s, v in g["points"])
        steps = "; ".join(
            f"×{fmt_num(s['time_ratio'])} for ×{fmt_num(s['size_ratio'])} ({s['exponent']:.2f})"
            for s in g["steps"]
        )
        flag = "⚠ yes" if g["superlinear"] else "no"
        what = f"{g['area']}: {g['op']}" + (" [p95]" if g["value"] != "seconds" else "")
        lines.append(f"| {what} | {g['backend']} | {pts} ({g['size_unit']}) | {steps} | {flag} |")
    return "\n".join(lines)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def plots(items: list[dict[str, Any]], directory: Path) -> list[str]:
    """One PNG per operation: time against size, a line per backend, with a dotted line
    for linear growth from the smallest size."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    by_op: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for g in items:
        if len(g["points"]) >= 2:
            by_op[(g["area"], g["op"])].append(g)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for (area, op), groups in sorted(by_op.items()):
        fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
        for g in groups:
            xs = [s for s, _ in g["points"]]
            ys = [v for _, v in g["points"]]
            (line,) = ax.plot(xs, ys, marker="o", label=g["backend"] or "time")
            ax.plot(
                xs,
                [ys[0] * x / xs[0] for x in xs],
                linestyle=":",
                color=line.get_color(),
                label=f"linear from {fmt_num(xs[0])}",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        unit = groups[0]["size_unit"]
        ax.set_xlabel(unit)
        ax.set_ylabel("p95 latency (s)" if groups[0]["value"] != "seconds" else "seconds")
        ax.set_title(f"{area}: {op}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = directory / f"{slug(area + '-' + op)}.png"
        fig.savefig(path)
        plt.close(fig)
        written.append(str(path))
    return written
