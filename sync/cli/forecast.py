"""Forecast command: how much work is pending, at what pace it is done, and when each
language's queue clears (docs/forecast.md)."""

from __future__ import annotations

import dataclasses
from typing import Any

import click
from rich.markup import escape

from sync.cli import Context, cli, configured_lang, out, pass_ctx, print_json
from sync.db.session import transaction


def _range(entry: dict[str, Any]) -> str:
    early, late = entry.get("early"), entry.get("late")
    if early is None and late is None:
        return ""
    return f" (range {early or '?'} – {late or 'beyond 10 years'})"


def _hours(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} h" if value < 48 else f"{value / 24:.1f} d"


@cli.command()
@click.option("--lang", callback=configured_lang, help="Only this language.")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="The past window to measure the pace over. [env: TRANSYNC_FORECAST_DAYS]",
)
@click.option(
    "--tasks/--no-tasks",
    "show_tasks",
    default=True,
    help="List each open task's expected finish (text output).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the documented contract).")
@pass_ctx
def forecast(
    ctx: Context, lang: str | None, days: int | None, show_tasks: bool, as_json: bool
) -> None:
    """When each language's queue clears at its translators' real pace, if nothing new
    arrives: pending words, words per day, the date with a range, each open task's expected
    finish (at risk when after its due date). No history, no forecast."""
    from sync.workload import forecast_document

    settings = ctx.settings
    if days is not None:
        settings = dataclasses.replace(settings, forecast_days=days)
    with transaction(settings.database_url, readonly=True) as session:
        doc = forecast_document(session, settings, lang=lang)
    if as_json:
        print_json(doc)
        return
    currency = doc.get("currency", "")
    out.print(
        f"[bold]Forecast[/] from the finished work of the last {doc['window_days']} days "
        f"(today {doc['today']}; method: docs/forecast.md)"
    )
    for code, f in doc["languages"].items():
        cost = f" · {f['cost_pending']:.2f} {currency}" if "cost_pending" in f else ""
        head = (
            f"[bold]{code}[/]: {f['pending_words']:,} words pending in "
            f"{f['pending_tasks']} task{'s' if f['pending_tasks'] != 1 else ''}{cost}"
        )
        if f["words_per_day"] is None and not f["pending_tasks"]:
            out.print(f"[bold]{code}[/]: nothing pending, no finished work in the window")
        elif f["words_per_day"] is None:
            out.print(f"{head} · [yellow]no forecast[/]: {escape(f['note'])}")
        else:
            who = ", ".join(f["translators"]) or "unassigned work"
            when = f"clears {f['clear']}{_range(f)}" if f["pending_words"] else "nothing pending"
            out.print(
                f"{head} · {f['words_per_day']:,.0f} words/day over "
                f"{f['history_days']} days ({escape(who)}) · {when}"
            )
            if f["note"]:
                out.print(f"    {escape(f['note'])}", style="dim")
        times = f.get("durations")
        if times:
            wait, work = times["queued_to_claimed"], times["claimed_to_done"]
            out.print(
                f"    queued → claimed: median {_hours(wait['median'])}, 90% within "
                f"{_hours(wait['p90'])} · claimed → done: median {_hours(work['median'])}"
                f", 90% within {_hours(work['p90'])} ({times['tasks']} tasks)",
                style="dim",
            )
        if show_tasks:
            for t in f["tasks"]:
                expected = (
                    f"expected {t['expected']}{_range(t)}" if t["expected"] else "no expected date"
                )
                due = f" · due {t['due']}" if t["due"] else ""
                risk = " · [bold red]AT RISK[/]" if t["at_risk"] else ""
                out.print(
                    f"    #{t['id']} {escape(t['post'] or '')} "
                    f"{escape('[' + t['state'] + ']')} "
                    f"{t['words']:,} words · {expected}{due}{risk}",
                    highlight=False,
                )
    if doc["translators"]:
        out.print("[bold]Translators[/] (words per day worked, over the window):")
        for t in doc["translators"]:
            langs = ", ".join(f"{k} {v:,}" for k, v in t["langs"].items())
            out.print(
                f"    {escape(t['name'])}: {t['words']:,} words in {t['days_worked']} "
                f"days = {t['words_per_day']:,.0f}/day ({langs})"
            )
