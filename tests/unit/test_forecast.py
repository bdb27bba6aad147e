"""The forecast (sync.forecast) on small hand-built histories, with the dates worked out by
hand below; no history gives no forecast; at_risk follows due dates and the pace."""

from __future__ import annotations

import datetime as dt
import doctest

import pytest

import sync.charts
import sync.forecast
from sync.forecast import (
    Finished,
    OpenTask,
    Span,
    Work,
    busy_days,
    durations,
    forecast_language,
    pending_history,
    throughput,
    work_order,
)

D = dt.date
NOW = dt.datetime(2026, 3, 15, 18, tzinfo=dt.UTC)  # a Sunday evening
ACTIVE = {"ayse": frozenset({"tr"}), "ed": None}


def weekdays(first: D, words: int, who: str = "ayse", lang: str = "tr") -> list[Work]:
    """`words` on each Monday to Friday of the week starting on `first` (a Monday)."""
    return [
        Work(lang=lang, translator=who, words=words, day=first + dt.timedelta(days=i))
        for i in range(5)
    ]


# Two weeks, 2 to 15 March 2026: 600 words on each weekday of the first, 1,000 on each of
# the second; nothing at weekends.
HISTORY = weekdays(D(2026, 3, 2), 600) + weekdays(D(2026, 3, 9), 1000)


def task(words: int = 2000, due: D | None = D(2026, 3, 17), **kw: object) -> OpenTask:
    return OpenTask(**{"id": 1, "lang": "tr", "state": "queued", "words": words, "due": due, **kw})  # type: ignore[arg-type]


def test_the_doctests() -> None:
    assert doctest.testmod(sync.forecast).failed == 0
    assert doctest.testmod(sync.charts).failed == 0


def test_clear_date_and_range_worked_out_by_hand() -> None:
    f = forecast_language(
        "tr", now=NOW, window_days=14, work=HISTORY, tasks=[task()], active=ACTIVE
    )
    # 8,000 words in 14 days; each weekday had 600 and 1,000: 800 a weekday, 0 at weekends
    assert f.words_done == 8000 and f.history_days == 14
    assert f.rate == pytest.approx(8000 / 14)
    assert f.weekday_rates == (800, 800, 800, 800, 800, 0, 0)
    # two blocks of 7 days, 3,000 and 5,000 words: their standard deviation is 1,414.2
    assert (f.block_days, f.blocks) == (7, 2)
    assert f.spread == pytest.approx(1414.21, abs=0.01)
    # point: Mon 16th 800, Tue 17th 1,600, Wed 18th 2,400 >= 2,000
    assert f.clear == D(2026, 3, 18)
    # fast end, E(T) + 1.645·S(T), S(T) = 1414.2·√(m(1 + m/2)), m = T/7:
    #   T=1: 800 + 1.645·1414.2·√(0.1429·1.0714 = 0.1531) = 800 + 910 = 1,710 < 2,000
    #   T=2: 1600 + 1.645·1414.2·√(0.2857·1.1429 = 0.3265) = 1600 + 1329 = 2,929 >= 2,000
    assert f.early == D(2026, 3, 17)
    # slow end, E(T) − 1.645·S(T), never lower than the day before:
    #   T=3 (Wed) 2400 − 1678 = 722; T=4 3200 − 1994 = 1,206; T=5 (Fri) 4000 − 2290 = 1,710;
    #   T=6, 7 (weekend) and T=8 (Mon, 4800 − 3118 = 1,682) stay at 1,710;
    #   T=9 (Tue 24th) 5600 − 3381 = 2,219 >= 2,000
    assert f.late == D(2026, 3, 24)
    assert f.tasks[0].expected == D(2026, 3, 18) and f.tasks[0].at_risk is True  # due 17th
    assert f.reason is None and f.note is None


def test_no_history_no_forecast() -> None:
    f = forecast_language("tr", now=NOW, window_days=14, work=[], tasks=[task()], active=ACTIVE)
    assert f.rate is None and f.clear is f.early is f.late is None
    assert f.reason == "no_history" and "no pace to forecast from" in f.note
    assert f.pending_words == 2000
    assert f.tasks[0].expected is None and f.tasks[0].at_risk is None  # not judged
    # another language's history is not this one's
    ru = [Work(lang="ru", translator="ivan", words=500, day=D(2026, 3, 10))]
    assert (
        forecast_language(
            "tr",
            now=NOW,
            window_days=14,
            work=ru,
            tasks=[task()],
            active={"ivan": frozenset({"ru"})},
        ).rate
        is None
    )


def test_work_by_someone_who_left_or_changed_languages_is_no_pace() -> None:
    f = forecast_language(
        "tr",
        now=NOW,
        window_days=14,
        work=HISTORY,
        tasks=[task()],
        active={"ayse": frozenset({"ru"})},
    )  # ayse now works in Russian
    assert f.reason == "no_history"
    f = forecast_language(
        "tr", now=NOW, window_days=14, work=HISTORY, tasks=[task()], active={}
    )  # deactivated
    assert f.reason == "no_history"
    editor = [Work(lang="tr", translator="ed", words=700, day=D(2026, 3, 13))]
    assert forecast_language(
        "tr", now=NOW, window_days=14, work=editor, tasks=[task()], active=ACTIVE
    ).translators == ("ed",)  # an editor: any language


def test_a_short_history_gives_a_date_but_no_range() -> None:
    work = [Work(lang="tr", translator="ayse", words=900, day=D(2026, 3, 15))]
    f = forecast_language(
        "tr",
        now=NOW,
        window_days=14,
        work=work,
        tasks=[task(1800)],
        active=ACTIVE,
        since=D(2026, 3, 15),
    )
    # one day measured (the queue began today): 900 a day, every weekday at that rate
    assert f.history_days == 1 and f.rate == 900
    assert f.clear == D(2026, 3, 17)  # Mon 900, Tue 1,800
    assert f.early is None and f.late is None and f.reason == "short_history"
    assert "1 day of history" in f.note


def test_at_risk_follows_due_dates_and_the_pace() -> None:
    def risk(due: D | None, work: list[Work] = HISTORY) -> bool | None:
        f = forecast_language(
            "tr", now=NOW, window_days=14, work=work, tasks=[task(due=due)], active=ACTIVE
        )
        return f.tasks[0].at_risk

    assert risk(D(2026, 3, 17)) is True  # expected on the 18th
    assert risk(D(2026, 3, 18)) is False  # due the day it is expected
    assert risk(None) is None
    assert risk(D(2026, 3, 14)) is True  # already past: late whatever the pace
    assert risk(D(2026, 3, 14), work=[]) is True
    assert risk(D(2026, 3, 20), work=[]) is None  # nothing to judge by
    # twice the pace (1,600 a weekday): 2,000 words are done on Tuesday the 17th
    faster = HISTORY + weekdays(D(2026, 3, 2), 600) + weekdays(D(2026, 3, 9), 1000)
    assert risk(D(2026, 3, 17), work=faster) is False


def test_tasks_are_done_claimed_first_then_in_the_claim_order() -> None:
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    tasks = [
        OpenTask(id=1, lang="tr", state="queued", words=100, created_at=at),
        OpenTask(id=2, lang="tr", state="queued", words=100, priority=5, created_at=at),
        OpenTask(id=3, lang="tr", state="queued", words=100, due=D(2026, 3, 20), created_at=at),
        OpenTask(id=4, lang="tr", state="claimed", words=100, created_at=at, claimed_at=at),
    ]
    assert [t.id for t in work_order(tasks)] == [4, 2, 3, 1]
    f = forecast_language("tr", now=NOW, window_days=14, work=HISTORY, tasks=tasks, active=ACTIVE)
    assert [(t.id, t.cumulative) for t in f.tasks] == [(4, 100), (2, 200), (3, 300), (1, 400)]
    assert f.clear == D(2026, 3, 16)  # 400 words: Monday


def test_days_with_nothing_pending_are_not_measured() -> None:
    # work finished on the first weekday of each week only; pending only on those days
    work = [
        Work(lang="tr", translator="ayse", words=1000, day=d)
        for d in (D(2026, 3, 2), D(2026, 3, 9))
    ]
    spans = [
        Span(
            lang="tr",
            words=1000,
            start=dt.datetime(2026, 3, d, 8, tzinfo=dt.UTC),
            end=dt.datetime(2026, 3, d, 17, tzinfo=dt.UTC),
        )
        for d in (2, 9)
    ]
    busy = busy_days(spans, "tr", today=NOW.date(), days=14)
    assert busy == {D(2026, 3, 2), D(2026, 3, 9)}
    f = forecast_language(
        "tr", now=NOW, window_days=14, work=work, tasks=[task(1000)], active=ACTIVE, busy=busy
    )
    assert f.history_days == 2 and f.rate == 1000  # not 2,000 / 14
    assert f.clear == D(2026, 3, 16)


def test_throughput_counts_a_translators_days_worked() -> None:
    work = [
        *weekdays(D(2026, 3, 9), 1000),
        Work(lang="ru", translator="ayse", words=500, day=D(2026, 3, 9)),
        Work(lang="tr", translator="mehmet", words=300, day=D(2026, 3, 14)),
    ]
    out = throughput(work, today=NOW.date(), window_days=14)
    people = {t["name"]: t for t in out["translators"]}
    assert people["ayse"]["days_worked"] == 5 and people["ayse"]["words"] == 5500
    assert people["ayse"]["words_per_day"] == 1100.0
    assert people["ayse"]["langs"] == {"ru": 500, "tr": 5000}
    assert people["mehmet"]["words_per_day"] == 300.0
    langs = {x["lang"]: x for x in out["languages"]}
    assert langs["tr"]["days_worked"] == 6 and langs["tr"]["words"] == 5300
    assert langs["tr"]["translators"] == {"ayse": 5000, "mehmet": 300}
    old = [Work(lang="tr", translator="ayse", words=1, day=D(2026, 1, 1))]
    assert throughput(old, today=NOW.date(), window_days=14)["translators"] == []


def test_durations_median_and_90th_percentile_per_language() -> None:
    base = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    finished = [
        Finished(
            lang="tr",
            created_at=base,
            claimed_at=base + dt.timedelta(hours=w),
            finished_at=base + dt.timedelta(hours=w + d),
        )
        for w, d in ((1, 10), (2, 20), (3, 30), (4, 40), (10, 100))
    ]
    out = durations(finished, today=NOW.date(), window_days=14)["tr"]
    assert out["tasks"] == 5
    # nearest rank: the median of 5 is the 3rd, the 90th percentile the 5th
    assert out["queued_to_claimed"] == {"median": 3.0, "p90": 10.0}
    assert out["claimed_to_done"] == {"median": 30.0, "p90": 100.0}


def test_pending_history_is_the_words_open_at_each_days_end() -> None:
    t = dt.datetime
    spans = [
        Span(
            lang="tr",
            words=100,
            start=t(2026, 3, 10, 9, tzinfo=dt.UTC),
            end=t(2026, 3, 12, 9, tzinfo=dt.UTC),
        ),
        Span(lang="tr", words=50, start=t(2026, 3, 11, 9, tzinfo=dt.UTC), end=None),
        Span(lang="ru", words=999, start=t(2026, 3, 11, 9, tzinfo=dt.UTC), end=None),
    ]
    out = dict(pending_history(spans, "tr", today=D(2026, 3, 13), days=5))
    assert out == {
        D(2026, 3, 9): 0,
        D(2026, 3, 10): 100,
        D(2026, 3, 11): 150,
        D(2026, 3, 12): 50,
        D(2026, 3, 13): 50,
    }
