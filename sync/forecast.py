"""Throughput and the backlog forecast: when each language's queue clears at its translators'
real pace, with a range from the spread of that pace. The method is in docs/forecast.md.

Pure: no database, no I/O; ``sync.workload`` loads the inputs. Nothing here invents a rate:
a language with no finished work in the window gets no date, and says why.

>>> import datetime as dt
>>> now = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)
>>> work = [Work(lang="tr", translator="ayse", words=700, day=dt.date(2026, 3, d))
...         for d in range(1, 15)]
>>> f = forecast_language("tr", now=now, window_days=14, work=work, since=dt.date(2026, 3, 1),
...                       tasks=[OpenTask(id=1, lang="tr", state="queued", words=2100)],
...                       active={"ayse": frozenset({"tr"})})
>>> f.rate, f.clear, f.tasks[0].expected
(700.0, datetime.date(2026, 3, 17), datetime.date(2026, 3, 17))
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.i18n import nt_, t_

#: z of the range: the early and late dates are where the predicted words done cross the
#: backlog at this many standard deviations (1.645: a 90% central interval of a normal;
#: chosen by the backtest, docs/forecast.md).
Z = 1.645
#: A block of this many days is one sample of the spread, once the history holds two.
BLOCK_DAYS = 7
#: Dates further than this are not given (the late end of a range may never come).
HORIZON_DAYS = 3650


@dataclass(frozen=True, kw_only=True, slots=True)
class Work:
    """A finished piece of work: a task's words, its language, who did it and the day its
    translator finished it (submitted it, or it was done)."""

    lang: str
    translator: str | None
    words: int
    day: dt.date


@dataclass(frozen=True, kw_only=True, slots=True)
class OpenTask:
    """A queued or claimed task: the pending work, in the order it will be done."""

    id: int
    lang: str
    state: str
    words: int
    priority: int = 0
    due: dt.date | None = None
    created_at: dt.datetime | None = None
    claimed_at: dt.datetime | None = None
    assignee: str | None = None
    post: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Finished:
    """A done task's times, for the durations: planned, last claimed, done."""

    lang: str
    created_at: dt.datetime
    claimed_at: dt.datetime | None
    finished_at: dt.datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class Span:
    """When a task's words were pending (queued or claimed): from ``start`` to ``end``
    (submitted, done or cancelled; None: still pending)."""

    lang: str
    words: int
    start: dt.datetime
    end: dt.datetime | None


@dataclass(frozen=True, kw_only=True, slots=True)
class TaskForecast:
    id: int
    post: str | None
    state: str
    words: int
    cumulative: int  # words of this task and of every task before it
    due: dt.date | None
    expected: dt.date | None
    early: dt.date | None
    late: dt.date | None
    at_risk: bool | None  # None: no due date, or nothing to judge by

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "post": self.post,
            "state": self.state,
            "words": self.words,
            "cumulative_words": self.cumulative,
            "due": _iso(self.due),
            "expected": _iso(self.expected),
            "early": _iso(self.early),
            "late": _iso(self.late),
            "at_risk": self.at_risk,
        }


@dataclass(frozen=True, kw_only=True)
class LanguageForecast:
    """A language's backlog, its pace and when the backlog clears if nothing new arrives."""

    lang: str
    today: dt.date
    pending_words: int
    pending_tasks: int
    window_days: int
    history_days: int  # days the rate is measured over: those of the window with work pending
    words_done: int  # by the translators counted, in those days
    translators: tuple[str, ...]  # whose work gives the rate
    rate: float | None  # words per day measured; None: no history
    weekday_rates: tuple[float, ...] | None  # the same per weekday, Monday first
    spread: float | None  # standard deviation of a block's words
    block_days: int
    blocks: int
    clear: dt.date | None
    early: dt.date | None
    late: dt.date | None  # None with a rate: beyond the horizon at the slow end
    reason: str | None  # no_history (no forecast) or short_history (no range); None: both
    tasks: list[TaskForecast] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """The reason, in a sentence (a core message: the web shows it translated)."""
        if self.reason == "no_history":
            return t_(
                "no finished work in %(lang)s in the last %(days)d days by anyone still "
                "working in it: no pace to forecast from",
                lang=self.lang,
                days=self.window_days,
            )
        if self.reason == "short_history":
            return nt_(
                "%(num)d day of history: too little to measure the spread, so no range",
                "%(num)d days of history: too little to measure the spread, so no range",
                self.history_days,
                num=self.history_days,
            )
        return None

    @property
    def forecast(self) -> bool:
        return self.rate is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "pending_words": self.pending_words,
            "pending_tasks": self.pending_tasks,
            "history_days": self.history_days,
            "words_done": self.words_done,
            "translators": list(self.translators),
            "words_per_day": None if self.rate is None else round(self.rate, 1),
            "words_per_weekday": None
            if self.weekday_rates is None
            else [round(r, 1) for r in self.weekday_rates],
            "spread": None if self.spread is None else round(self.spread, 1),
            "block_days": self.block_days,
            "blocks": self.blocks,
            "clear": _iso(self.clear),
            "early": _iso(self.early),
            "late": _iso(self.late),
            "reason": self.reason,
            "note": self.note,
            "tasks": [t.as_dict() for t in self.tasks],
        }


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


# -- the order work is done in --------------------------------------------------------------


def work_order(tasks: Iterable[OpenTask]) -> list[OpenTask]:
    """Claimed tasks first (oldest claim first: they are under way), then the queue in the
    claim order: priority, earliest due (none last), oldest, lowest id."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    tasks = list(tasks)
    claimed = sorted(
        (t for t in tasks if t.state == "claimed"), key=lambda t: (t.claimed_at or far, t.id)
    )
    queued = sorted(
        (t for t in tasks if t.state == "queued"),
        key=lambda t: (-t.priority, t.due is None, t.due or dt.date.min, t.created_at or far, t.id),
    )
    return [*claimed, *queued]


# -- the method -----------------------------------------------------------------------------


def counted(work: Work, active: Mapping[str, Collection[str] | None]) -> bool:
    """Whether a finished piece of work says something about the capacity left: done by
    someone still active who still works in its language (None: any language, an editor)."""
    if work.translator is None:
        return True
    langs = active.get(work.translator, ())
    return langs is None or work.lang in langs


def daily_words(work: Iterable[Work], today: dt.date, days: int) -> list[int]:
    """Words finished on each of the ``days`` days up to today, oldest first."""
    first = today - dt.timedelta(days=days - 1)
    out = [0] * days
    for w in work:
        if first <= w.day <= today:
            out[(w.day - first).days] += w.words
    return out


def block_sums(daily: Sequence[int], block: int) -> list[int]:
    """Sums of whole blocks of ``block`` days counted back from today (an older remainder is
    left out)."""
    n = len(daily) // block
    start = len(daily) - n * block
    return [sum(daily[start + i * block : start + (i + 1) * block]) for i in range(n)]


def weekday_rates(days: Sequence[tuple[dt.date, int]], rate: float) -> list[float]:
    """Words per day for each weekday (Monday first) over the measured days; a weekday
    never measured takes the overall rate."""
    sums, counts = [0] * 7, [0] * 7
    for day, words in days:
        sums[day.weekday()] += words
        counts[day.weekday()] += 1
    return [sums[w] / counts[w] if counts[w] else rate for w in range(7)]


class Curves:
    """Words expected done by the end of each day ahead: the point (each weekday at its
    measured rate), and the fast and slow ends, ± Z·S(T) with S(T) = spread·√(m·(1 + m/k))
    for T days (m = T/block blocks, k blocks measured): the spread of T days' work, widened
    because the rate itself was measured from only k blocks. Kept non-decreasing (work done
    is never undone), and computed as far as the slowest end needs."""

    def __init__(
        self,
        today: dt.date,
        rates: Sequence[float],
        spread: float | None,
        block: int,
        blocks: int,
        need: int,
    ) -> None:
        self.today = today
        self.point = [0.0]
        self.fast: list[float] | None = None if spread is None else [0.0]
        self.slow: list[float] | None = None if spread is None else [0.0]
        first = today.weekday() + 1
        expected = 0.0
        t = 0
        while t < HORIZON_DAYS:
            t += 1
            expected += rates[(first + t - 1) % 7]
            self.point.append(expected)
            if spread is not None and self.fast is not None and self.slow is not None:
                m = t / block
                width = Z * spread * math.sqrt(m * (1 + m / blocks))
                self.fast.append(max(self.fast[-1], expected + width))
                self.slow.append(max(self.slow[-1], expected - width))
                if self.slow[-1] >= need:
                    break
            elif expected >= need:
                break

    def date(self, words: int, side: int) -> dt.date | None:
        """The first day by whose end ``words`` are expected done (side 0: the point, +1:
        the fast end, -1: the slow end); None: not within HORIZON_DAYS, or no range."""
        curve = {0: self.point, 1: self.fast, -1: self.slow}[side]
        if curve is None:
            return None
        if words <= 0:
            return self.today
        t = bisect.bisect_left(curve, words - 1e-9)
        return None if t >= len(curve) else self.today + dt.timedelta(days=t)


def forecast_language(
    lang: str,
    *,
    now: dt.datetime,
    window_days: int,
    work: Iterable[Work],
    tasks: Iterable[OpenTask],
    active: Mapping[str, Collection[str] | None],
    since: dt.date | None = None,
    busy: Collection[dt.date] | None = None,
) -> LanguageForecast:
    """One language's forecast (see docs/forecast.md). ``since``: the day its first task was
    planned, when that is inside the window (the rate is not diluted by days before it).
    ``busy``: the days some of its work was pending; only those (and days work was finished)
    are measured, as a day with nothing to do says nothing about the pace. None: every day."""
    today = now.astimezone(dt.UTC).date()
    days = window_days
    if since is not None:
        days = max(1, min(days, (today - since).days + 1))
    first = today - dt.timedelta(days=days - 1)
    mine = [w for w in work if w.lang == lang and first <= w.day <= today and counted(w, active)]
    ordered = work_order(t for t in tasks if t.lang == lang and t.state in ("queued", "claimed"))
    pending = sum(t.words for t in ordered)
    measured = list(
        zip(
            (first + dt.timedelta(days=i) for i in range(days)),
            daily_words(mine, today, days),
            strict=True,
        )
    )
    if busy is not None:
        keep = set(busy) | {w.day for w in mine}
        measured = [(day, n) for day, n in measured if day in keep]
    daily = [n for _day, n in measured]
    total = sum(daily)
    who = tuple(sorted({w.translator for w in mine if w.translator}))
    block = BLOCK_DAYS if len(daily) >= 2 * BLOCK_DAYS else 1
    sums = block_sums(daily, block)
    common = dict(
        lang=lang,
        today=today,
        pending_words=pending,
        pending_tasks=len(ordered),
        window_days=window_days,
        history_days=len(daily),
        words_done=total,
        translators=who,
        block_days=block,
        blocks=len(sums),
    )
    if total == 0:
        return LanguageForecast(
            **common,
            rate=None,
            weekday_rates=None,
            spread=None,
            clear=None,
            early=None,
            late=None,
            reason="no_history",
            tasks=[_task(t, c, today, None, None, None) for t, c in _cumulative(ordered)],
        )
    rate = total / len(daily)
    rates = weekday_rates(measured, rate)
    spread = statistics.stdev(sums) if len(sums) >= 2 else None
    curves = Curves(today, rates, spread, block, len(sums), pending)
    out = [
        _task(t, c, today, curves.date(c, 0), curves.date(c, 1), curves.date(c, -1))
        for t, c in _cumulative(ordered)
    ]
    return LanguageForecast(
        **common,
        rate=rate,
        weekday_rates=tuple(rates),
        spread=spread,
        clear=curves.date(pending, 0),
        early=curves.date(pending, 1),
        late=curves.date(pending, -1),
        reason=None if spread is not None else "short_history",
        tasks=out,
    )


def _cumulative(tasks: Sequence[OpenTask]) -> Iterable[tuple[OpenTask, int]]:
    total = 0
    for t in tasks:
        total += t.words
        yield t, total


def _task(
    t: OpenTask,
    cumulative: int,
    today: dt.date,
    expected: dt.date | None,
    early: dt.date | None,
    late: dt.date | None,
) -> TaskForecast:
    if t.due is None:
        risk = None
    elif t.due < today:
        risk = True  # already late: no forecast needed to say so
    elif expected is None:
        risk = None
    else:
        risk = expected > t.due
    return TaskForecast(
        id=t.id,
        post=t.post,
        state=t.state,
        words=t.words,
        cumulative=cumulative,
        due=t.due,
        expected=expected,
        early=early,
        late=late,
        at_risk=risk,
    )


# -- throughput and durations ----------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least p% of values at or
    below it.

    >>> percentile([4, 1, 3, 2], 50), percentile([4, 1, 3, 2], 90), percentile([], 50)
    (2, 4, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def throughput(work: Iterable[Work], *, today: dt.date, window_days: int) -> dict[str, Any]:
    """Words per day per translator and per language over the window, counting only the days
    each did work (a translator's days off do not lower their pace)."""
    first = today - dt.timedelta(days=window_days - 1)
    by_person: dict[str, dict[str, Any]] = {}
    by_lang: dict[str, dict[str, Any]] = {}
    for w in work:
        if not first <= w.day <= today:
            continue
        for table, key in ((by_person, w.translator or "?"), (by_lang, w.lang)):
            entry = table.setdefault(
                key, {"words": 0, "days": set(), "tasks": 0, "langs": defaultdict(int)}
            )
            entry["words"] += w.words
            entry["days"].add(w.day)
            entry["tasks"] += 1
            entry["langs"][w.lang if table is by_person else (w.translator or "?")] += w.words

    def rows(table: dict[str, dict[str, Any]], inner: str) -> list[dict[str, Any]]:
        return [
            {
                "name": key,
                "words": e["words"],
                "tasks": e["tasks"],
                "days_worked": len(e["days"]),
                "words_per_day": round(e["words"] / len(e["days"]), 1),
                inner: dict(sorted(e["langs"].items())),
            }
            for key, e in sorted(table.items())
        ]

    return {
        "window_days": window_days,
        "since": first.isoformat(),
        "translators": rows(by_person, "langs"),
        "languages": [{**r, "lang": r.pop("name")} for r in rows(by_lang, "translators")],
    }


def durations(
    finished: Iterable[Finished], *, today: dt.date, window_days: int
) -> dict[str, dict[str, Any]]:
    """Per language, in hours: from queued to claimed and from claimed to done, median and
    90th percentile, over the tasks done in the window."""
    first = today - dt.timedelta(days=window_days - 1)
    waits: dict[str, list[float]] = defaultdict(list)
    works: dict[str, list[float]] = defaultdict(list)
    for f in finished:
        if f.finished_at.date() < first or f.claimed_at is None:
            continue
        waits[f.lang].append((f.claimed_at - f.created_at).total_seconds() / 3600)
        works[f.lang].append((f.finished_at - f.claimed_at).total_seconds() / 3600)

    def hours(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        lang: {
            "tasks": len(works[lang]),
            "queued_to_claimed": {
                "median": hours(percentile(waits[lang], 50)),
                "p90": hours(percentile(waits[lang], 90)),
            },
            "claimed_to_done": {
                "median": hours(percentile(works[lang], 50)),
                "p90": hours(percentile(works[lang], 90)),
            },
        }
        for lang in sorted(works)
    }


def busy_days(spans: Iterable[Span], lang: str, *, today: dt.date, days: int) -> set[dt.date]:
    """The days of the window during which some of the language's work was pending."""
    first = today - dt.timedelta(days=days - 1)
    intervals = []
    for s in spans:
        if s.lang != lang or s.words <= 0:
            continue
        a = max(s.start.astimezone(dt.UTC).date(), first)
        b = today if s.end is None else min(s.end.astimezone(dt.UTC).date(), today)
        if a <= b:
            intervals.append(((a - first).days, (b - first).days))
    out: set[dt.date] = set()
    reached = -1  # days up to this offset are in `out` already
    for a, b in sorted(intervals):
        for i in range(max(a, reached + 1), b + 1):
            out.add(first + dt.timedelta(days=i))
        reached = max(reached, b)
    return out


def pending_history(
    spans: Iterable[Span], lang: str, *, today: dt.date, days: int
) -> list[tuple[dt.date, int]]:
    """The words pending at the end of each of the ``days`` days up to today (today: now)."""
    first = today - dt.timedelta(days=days - 1)
    delta = [0] * (days + 1)
    for s in spans:
        if s.lang != lang or s.words <= 0:
            continue
        start = s.start.astimezone(dt.UTC).date()
        end = None if s.end is None else s.end.astimezone(dt.UTC).date()
        # pending at the end of day d when it started on or before d and ended after d
        a = max((start - first).days, 0)
        b = days if end is None else min((end - first).days, days)
        if a < b:
            delta[a] += s.words
            delta[b] -= s.words
    out, level = [], 0
    for i in range(days):
        level += delta[i]
        out.append((first + dt.timedelta(days=i), level))
    return out
