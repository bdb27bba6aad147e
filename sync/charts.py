"""Charts drawn by the server as SVG: a language's burn-down (words pending over the past
window, and the forecast ahead with its range) and translators' throughput (words finished
per week).

Pure: text in, text out. Only presentation attributes, no ``style`` and no script, so a
chart shows under the web's Content-Security-Policy (``style-src 'self'``) and in a mail.
Every label comes in translated: this module has no words of its own.

>>> import datetime as dt
>>> d = dt.date(2026, 3, 1)
>>> svg = burndown_svg([(d, 900), (d + dt.timedelta(days=1), 600)], today=d +
...     dt.timedelta(days=1), pending=600, clear=d + dt.timedelta(days=3), early=None,
...     late=None, label="Words pending")
>>> svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
True
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence

INK = "#1d2430"
MUTED = "#667085"
LINE = "#e3e7ee"
PAST = "#2f5bd3"
AHEAD = "#e4a700"
BAND = "#fff1c7"
LATE = "#de4f43"
BARS = ("#2f5bd3", "#3aa864", "#8a5ad6", "#e4a700", "#de4f43", "#17663a", "#1d3f8f")
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _words(n: float) -> str:
    """1,234 words as 1.2k (labels stay short)."""
    if n >= 10_000:
        return f"{n / 1000:.0f}k"
    if n >= 1000:
        return f"{n / 1000:.1f}k"
    return f"{n:.0f}"


def burndown_svg(
    history: Sequence[tuple[dt.date, int]],
    *,
    today: dt.date,
    pending: int,
    clear: dt.date | None,
    early: dt.date | None,
    late: dt.date | None,
    label: str,
    forecast_label: str = "",
    range_label: str = "",
    width: int = 520,
    height: int = 180,
) -> str:
    """Words pending at the end of each past day (a line), then, when there is a forecast,
    a dashed line from today's pending words to the clear date and a band from the early
    to the late date (to the right edge when the late end is beyond it)."""
    left, right, top, bottom = 44, 12, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    start = history[0][0] if history else today
    ends = [d for d in (clear, early, late) if d is not None]
    ahead = max(7, (today - start).days // 4)  # some of the future shows, whatever comes
    end = max([today + dt.timedelta(days=ahead), *ends])
    horizon = today + dt.timedelta(days=max(14, (today - start).days))
    cut = end > horizon  # a far clear date or late end: the chart stops at the horizon
    end = min(end, horizon)
    span = max(1, (end - start).days)
    top_words = max([pending, *(w for _d, w in history), 1])

    def x(day: dt.date) -> float:
        return left + plot_w * min(max((day - start).days, 0), span) / span

    def y(words: float) -> float:
        return top + plot_h * (1 - words / top_words)

    def fade(day: dt.date) -> tuple[float, float]:
        """(x, y) of the straight line from (today, pending) to (day, 0), cut at the edge."""
        days = max(1, (day - today).days)
        shown = min(days, (end - today).days)
        return x(today + dt.timedelta(days=shown)), y(pending * (1 - shown / days))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}" '
        f'class="chart burndown">',
        f"<title>{_e(label)}</title>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#ffffff" '
        f'stroke="{LINE}"/>',
    ]
    for frac in (0.5, 1.0):
        gy = y(top_words * frac)
        parts.append(
            f'<line x1="{left}" y1="{_num(gy)}" x2="{left + plot_w}" y2="{_num(gy)}" '
            f'stroke="{LINE}"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{_num(gy + 4)}" text-anchor="end" fill="{MUTED}" '
            f"{FONT}>{_words(top_words * frac)}</text>"
        )
    parts.append(
        f'<text x="{left - 4}" y="{top + plot_h + 4}" text-anchor="end" '
        f'fill="{MUTED}" {FONT}>0</text>'
    )
    if clear is not None and early is not None:
        fx, fy = fade(early)
        lx, ly = fade(late) if late is not None else (x(end), y(pending))
        band = [
            (x(today), y(pending)),
            (fx, fy),
            (fx, y(0)) if fy < y(0) else (fx, fy),
            (lx, y(0)),
            (lx, ly),
        ]
        points = " ".join(f"{_num(a)},{_num(b)}" for a, b in band)
        parts.append(
            f'<polygon points="{points}" fill="{BAND}" stroke="none">'
            f"<title>{_e(range_label)}</title></polygon>"
        )
    if history:
        points = " ".join(f"{_num(x(d))},{_num(y(w))}" for d, w in history)
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{PAST}" '
            f'stroke-width="2"><title>{_e(label)}</title></polyline>'
        )
    if clear is not None:
        cx, cy = fade(clear)
        parts.append(
            f'<line x1="{_num(x(today))}" y1="{_num(y(pending))}" x2="{_num(cx)}" '
            f'y2="{_num(cy)}" stroke="{AHEAD}" stroke-width="2" '
            f'stroke-dasharray="5 3"><title>{_e(forecast_label)}</title></line>'
        )
    tx = x(today)
    parts.append(
        f'<line x1="{_num(tx)}" y1="{top}" x2="{_num(tx)}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-dasharray="2 2"/>'
    )
    ticks = [(start, "start"), (today, "middle")]
    if clear is not None and clear <= end and (clear - today).days * plot_w / span > 40:
        ticks.append((clear, "middle"))
    ticks.append((end, "end"))
    shown: list[float] = []
    for day, anchor in ticks:
        at = x(day)
        if any(abs(at - s) < 46 for s in shown):
            continue
        shown.append(at)
        text = day.isoformat()[5:] + ("…" if day == end and cut else "")
        parts.append(
            f'<text x="{_num(at)}" y="{height - 8}" text-anchor="{anchor}" '
            f'fill="{MUTED}" {FONT}>{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def throughput_svg(
    weeks: Sequence[dt.date],
    series: Mapping[str, Sequence[int]],
    *,
    label: str,
    week_label: str = "",
    width: int = 520,
    row_height: int = 34,
) -> str:
    """One row of weekly bars per translator (same scale for all), their total at the end.
    ``weeks``: the Monday of each week; ``series``: name → words finished in each week."""
    left, right, top = 90, 56, 6
    height = top * 2 + row_height * max(1, len(series)) + 16
    plot_w = width - left - right
    peak = max([1, *(w for values in series.values() for w in values)])
    n = max(1, len(weeks))
    bar_w = plot_w / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{_e(label)}" '
        f'class="chart throughput">',
        f"<title>{_e(label)}</title>",
    ]
    for row, (name, values) in enumerate(series.items()):
        base = top + row_height * (row + 1) - 6
        colour = BARS[row % len(BARS)]
        parts.append(
            f'<text x="{left - 6}" y="{base - 4}" text-anchor="end" fill="{INK}" '
            f"{FONT}>{_e(name)}</text>"
        )
        parts.append(
            f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="{LINE}"/>'
        )
        for i, words in enumerate(values):
            if not words:
                continue
            h = (row_height - 10) * words / peak
            tip = f"{name} · {weeks[i].isoformat() if i < len(weeks) else ''}: {words}"
            parts.append(
                f'<rect x="{_num(left + i * bar_w + 1)}" y="{_num(base - h)}" '
                f'width="{_num(max(1.0, bar_w - 2))}" height="{_num(h)}" '
                f'fill="{colour}"><title>{_e(tip)} {_e(week_label)}</title></rect>'
            )
        parts.append(
            f'<text x="{left + plot_w + 6}" y="{base - 4}" fill="{MUTED}" {FONT}>'
            f"{_words(sum(values))}</text>"
        )
    if weeks:
        last = top + row_height * max(1, len(series)) + 12
        parts.append(
            f'<text x="{left}" y="{last}" fill="{MUTED}" {FONT}>'
            f"{_e(weeks[0].isoformat()[5:])}</text>"
        )
        parts.append(
            f'<text x="{left + plot_w}" y="{last}" text-anchor="end" fill="{MUTED}" '
            f"{FONT}>{_e(weeks[-1].isoformat()[5:])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def weekly(
    work: Sequence[tuple[str, dt.date, int]], *, today: dt.date, days: int
) -> tuple[list[dt.date], dict[str, list[int]]]:
    """(weeks, name → words per week) over the window: weeks start on Mondays.

    >>> weeks, series = weekly([("ayse", dt.date(2026, 3, 4), 500)], today=dt.date(2026, 3,
    ...                        10), days=14)
    >>> [w.isoformat() for w in weeks], series
    (['2026-02-23', '2026-03-02', '2026-03-09'], {'ayse': [0, 500, 0]})
    """
    first = today - dt.timedelta(days=days - 1)
    monday = first - dt.timedelta(days=first.weekday())
    weeks = []
    at = monday
    while at <= today:
        weeks.append(at)
        at += dt.timedelta(days=7)
    series: dict[str, list[int]] = {}
    for name, day, words in sorted(work, key=lambda w: w[0]):
        if first <= day <= today:
            series.setdefault(name, [0] * len(weeks))[(day - monday).days // 7] += words
    return weeks, series
