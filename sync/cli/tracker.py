"""Tracker commands: init, scan, status, diff, ack, log."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Any

import click

from sync.cli import (
    EXIT_OK,
    EXIT_REJECTED,
    Context,
    cli,
    comma_choices,
    configured_lang,
    err,
    out,
    pass_ctx,
    print_json,
)
from sync.matrix import Filters, Row, status_document, stream_document
from sync.state import State

if TYPE_CHECKING:
    from collections.abc import Iterator

STYLE = {
    "source": "bold white on blue",
    "current": "black on green",
    "stale": "black on yellow",
    "missing": "white on red",
    "orphaned": "white on magenta",
}


@cli.command()
@pass_ctx
def init(ctx: Context) -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from sync.db.migrate import upgrade  # Alembic is slow to import: only here

    before, after = upgrade(ctx.settings.database_url)
    if before == after:
        out.print(f"database is up to date (schema {after})")
    else:
        out.print(f"database schema {before or 'none'} → {after}")


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--as", "actor", default="scan", help="Who is scanning (for the log).")
@pass_ctx
def scan(ctx: Context, sources: tuple[str, ...], as_json: bool, actor: str) -> int:
    """Read SOURCES (fs:PATH or PATH, wxr:FILE, wp:URL; default TRANSYNC_SOURCES) and
    record new posts, revisions and deletions, then plan tasks."""
    settings = ctx.settings
    report = quick(settings, sources, as_json)
    if report is not None:  # every file as recorded: nothing else to do, nothing loaded
        return print_report(report, as_json)
    from sync.scanning import run_scan  # the parsers load only for a scan that needs them

    if sys.stderr.isatty() and not as_json:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
        )

        with Progress(
            SpinnerColumn(),
            TextColumn("scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            console=err,
            transient=True,
        ) as bar:
            job = bar.add_task("scan", total=None)
            report = run_scan(
                settings, sources, actor=actor, progress=lambda n: bar.advance(job, n)
            )
    else:
        report = run_scan(settings, sources, actor=actor)
    assert report is not None
    from sync.nudge import nudge

    nudge(settings)  # publish the pre-fill messages the scan committed to the outbox
    return print_report(report, as_json)


def quick(settings: Any, sources: tuple[str, ...], as_json: bool) -> Any:
    """A no-change rescan's report, made without the database layer (sync.quickscan), or
    None when the scan may find something (then the full scan runs)."""
    from sync.quickscan import quick_rescan, work_waits

    if sys.stderr.isatty() and not as_json:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        with Progress(
            TextColumn("checking"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            console=err,
            transient=True,
        ) as bar:
            job = bar.add_task("check", total=None)
            report = quick_rescan(settings, sources, progress=lambda n: bar.advance(job, n))
    else:
        report = quick_rescan(settings, sources)
    if report is not None and work_waits(settings):
        from sync.nudge import nudge

        nudge(settings)  # earlier work waits in the outbox: publish it, as any scan does
    return report


def print_report(report: Any, as_json: bool) -> int:
    """The scan's report: JSON, or a line and its details (rejections on stderr)."""
    if as_json:
        print_json(report.as_dict())
    else:
        out.print(
            f"scanned {', '.join(report.sources)}: {report.files} files "
            f"({report.unchanged} unchanged), {report.new_posts} new posts, "
            f"{report.new_versions} new versions, {report.new_revisions} new revisions, "
            f"{report.deleted} deleted, {report.restored} restored, "
            f"{report.state_changes} state changes, {len(report.problems)} errors"
        )
        skipped = {k: v for k, v in report.skipped.items() if v}
        if skipped:
            out.print(
                "skipped: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in skipped.items()),
                markup=False,
            )
        if report.baselines:
            out.print(
                "translations seen for the first time: "
                + ", ".join(f"{n} {BASELINE_WORDS[k]}" for k, n in report.baselines.items()),
                markup=False,
            )
        for p in report.problems[:SHOWN_PROBLEMS]:
            err.print(f"[red]rejected[/] {escape(str(p))}", markup=True, highlight=False)
        if len(report.problems) > SHOWN_PROBLEMS:
            err.print(
                f"… and {len(report.problems) - SHOWN_PROBLEMS:,} more rejected "
                f"({len(report.problems):,} in all; `scan --json` lists every one)",
                markup=False,
            )
    return EXIT_REJECTED if report.problems else EXIT_OK


SHOWN_PROBLEMS = 50  # a scan's text report names this many rejected inputs, then counts
BASELINE_WORDS = {
    "recorded": "recorded",
    "declared": "declared by source_hash",
    "history": "dated by git history",
    "assumed": "assumed current (no evidence)",
}


def matrix_rows(settings: Any) -> Iterator[Row]:
    """Every post's row, read with the database driver alone (sync.matrixdb: no SQLAlchemy
    to import); through SQLAlchemy when that cannot read it, whose errors say what is wrong
    (no database, no schema: run `transync init`)."""
    from sync.matrixdb import connect, iter_rows

    try:
        conn, marker = connect(settings.database_url)
    except Exception:  # noqa: BLE001 - the SQLAlchemy path reports it properly
        conn = None
    if conn is not None:
        try:
            rows = iter_rows(conn, marker, settings)
            first = next(rows, None)  # an error shows before a byte is written
        except Exception:  # noqa: BLE001
            conn.close()
        else:
            try:
                if first is not None:
                    yield first
                    yield from rows
            finally:
                conn.close()
            return
    from sync.db.session import transaction
    from sync.status import load_rows

    with transaction(settings.database_url, readonly=True) as session:
        yield from load_rows(session, settings)


def write_chunks(chunks: Iterator[str], size: int = 1 << 16) -> None:
    """Write text to standard output in pieces of about `size` characters, then a newline."""
    buffer: list[str] = []
    held = 0
    for chunk in chunks:
        buffer.append(chunk)
        held += len(chunk)
        if held >= size:
            sys.stdout.write("".join(buffer))
            buffer, held = [], 0
    buffer.append("\n")
    sys.stdout.write("".join(buffer))
    sys.stdout.flush()


def age(since: dt.datetime | None) -> str:
    if since is None:
        return ""
    delta = dt.datetime.now(dt.UTC) - since
    if delta.days:
        return f"{delta.days}d"
    hours = delta.seconds // 3600
    return f"{hours}h" if hours else f"{delta.seconds // 60}m"


def cell_text(cell: Any, source: Any | None = None) -> str:
    v = cell.version
    state = cell.state
    words = cell.words(source)
    if state is State.SOURCE:
        text = f"source r{v.revision} {words}w"
    elif state is State.STALE:
        text = (
            f"stale {words}w ~{v.changed_segments} +{v.added_segments} "
            f"-{v.removed_segments} {age(v.stale_since)}"
        )
    elif state is State.MISSING and v is not None and v.stub and not v.deleted:
        text = f"missing (stub) {words}w"
    elif state is State.MISSING:
        text = f"missing {words}w"
    else:
        text = str(state)
    if state in (State.CURRENT, State.STALE) and (v.baseline or "assumed") == "assumed":
        text += " (assumed)"
    if v is not None and v.draft and state is not State.MISSING:
        text += " (draft)"
    if cell.task is not None:
        who = f" {cell.task.assignee}" if cell.task.assignee else ""
        text += f" [#{cell.task.id} {cell.task.state}{who}]"
    return text


def filter_options(fn: Any) -> Any:
    fn = click.option(
        "--lang", "langs", multiple=True, callback=configured_lang, help="Only these languages."
    )(fn)
    fn = click.option(
        "--state",
        "states",
        multiple=True,
        callback=comma_choices([str(s) for s in State], "state"),
        help="Only posts with a language in one of these states: "
        + ", ".join(str(s) for s in State)
        + " (repeat, or separate with commas).",
    )(fn)
    fn = click.option("--post", help="Only posts whose key matches (glob or substring).")(fn)
    return fn


@cli.command()
@filter_options
@click.option("--translator", help="Only posts with an open task of this translator.")
@click.option(
    "--baseline",
    "baselines",
    multiple=True,
    type=click.Choice(["recorded", "declared", "history", "assumed"]),
    help="Only posts with a translation whose based-on revision is known this way.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the documented contract).")
@click.option("--page", type=click.IntRange(1), default=None, help="Page number (with --per-page).")
@click.option("--per-page", type=click.IntRange(1, 10000), default=None, help="Posts per page.")
@pass_ctx
def status(
    ctx: Context,
    langs: tuple[str, ...],
    states: tuple[str, ...],
    post: str | None,
    translator: str | None,
    baselines: tuple[str, ...],
    as_json: bool,
    page: int | None,
    per_page: int | None,
) -> None:
    """The status matrix: posts × languages. "(assumed)" marks a translation first seen
    with no evidence of the source it was made from (`ack` confirms one)."""
    settings = ctx.settings
    filters = Filters(
        langs=tuple(langs),
        states=tuple(states),
        post=post,
        translator=translator,
        baselines=tuple(baselines),
    )
    if per_page and not page:
        page = 1
    if page and not per_page:
        per_page = 50
    if as_json:  # written as it is read: no post is held longer than its line takes
        indent = 2 if sys.stdout.isatty() else None
        write_chunks(
            stream_document(
                matrix_rows(settings),
                settings,
                filters,
                page=page,
                per_page=per_page,
                indent=indent,
            )
        )
        return
    from rich.table import Table

    rows = list(matrix_rows(settings))
    doc = status_document(rows, settings, filters, page=page, per_page=per_page)
    shown_langs = [lang for lang in settings.languages if not langs or lang in langs]
    by_key = {r.post.key: r for r in rows}
    table = Table(show_lines=False, header_style="bold")
    # keys and states are never cut: at narrow widths the title gives way first, then
    # everything wraps (a key folds at the column edge rather than losing letters)
    keys = [len(p["key"]) for p in doc["posts"]] or [4]
    table.add_column("post", overflow="fold", min_width=min(max(keys), 24))
    table.add_column("title", max_width=40, overflow="fold", ratio=1, min_width=6)
    for lang in shown_langs:
        table.add_column(lang, overflow="fold", min_width=9)
    for p in doc["posts"]:
        row = by_key[p["key"]]
        cells = []
        for lang in shown_langs:
            cell = row.cells[lang]
            cells.append(f"[{STYLE[str(cell.state)]}]{escape(cell_text(cell, row.source))}[/]")
        table.add_row(escape(p["key"]), escape(p["title"]), *cells)
    out.print(table)
    if any(
        row.cells[lang].state is State.STALE
        for p in doc["posts"]
        for row in (by_key[p["key"]],)
        for lang in shown_langs
    ):
        out.print(
            "stale: words to translate, ~changed +added -removed segments, and how "
            "long ago the source changed",
            markup=False,
        )
    for lang in settings.languages:
        counts = doc["summary"][lang]
        total = sum(counts[str(s)] for s in State) - counts["source"]
        done = counts["current"]
        pct = f"{100 * done / total:.0f}%" if total else "-"
        parts = ", ".join(f"{s} {counts[str(s)]}" for s in State if counts[str(s)])
        assumed = f" ({counts['assumed']} assumed)" if counts.get("assumed") else ""
        pending = (
            f" — {counts['words_pending']} words pending" if counts.get("words_pending") else ""
        )
        if "cost_pending" in counts and counts["words_pending"]:
            pending += f" ({counts['cost_pending']:.2f} {doc['currency']})"
        out.print(f"{lang}: {parts or 'no posts'} — {pct} current{assumed}{pending}")
    if "total" in doc:
        out.print(
            f"page {doc['page']} of {max(1, -(-doc['total'] // doc['per_page']))} "
            f"({doc['total']} posts)"
        )


@cli.command()
@click.argument("key")
@click.argument("lang")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def diff(ctx: Context, key: str, lang: str, as_json: bool) -> None:
    """What changed in KEY's source since LANG's translation was made, segment by segment."""
    from sync.history import translation_diff

    settings = ctx.settings
    from sync.db.session import transaction

    with transaction(settings.database_url, readonly=True) as session:
        d = translation_diff(session, settings, key, lang)
    if as_json:
        print_json(d)
        return
    out.print(
        f"{key} [{lang}] is {d['state']}: source {d['source_lang']} r{d['source_revision']}, "
        f"translation based on r{d['based_on_revision']}; changed {d['changed_segments']}, "
        f"added {d['added_segments']}, removed {d['removed_segments']}",
        markup=False,
    )
    for op in d["ops"]:
        if op["op"] == "equal":
            continue
        if op["old"] is not None:
            out.print(f"[red]- {escape(op['old'])}[/]")
        if op["new"] is not None:
            out.print(f"[green]+ {escape(op['new'])}[/]")
        out.print("")


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


@cli.command()
@click.argument("key")
@click.option(
    "--lang", callback=configured_lang, help="Only this translation (default: every stale one)."
)
@click.option("--as", "actor", default=None, help="Who acknowledges (for the log).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def ack(ctx: Context, key: str, lang: str | None, actor: str | None, as_json: bool) -> None:
    """Acknowledge KEY's latest source change as minor: its translations become current."""
    from sync.history import acknowledge

    settings = ctx.settings
    actor = actor or _user()
    from sync.db.session import transaction

    with transaction(settings.database_url) as session:
        acked = acknowledge(session, settings, key, lang, actor)
        from sync.planning import plan_tasks

        post_ids = _post_ids(session, [key])
        plan_tasks(session, settings, post_ids, actor=actor)
    if as_json:
        print_json({"post": key, "acknowledged": acked})
    elif acked:
        for a in acked:
            if a.get("confirmed"):
                out.print(
                    f"{key} [{a['lang']}]: confirmed current at r{a['based_on_revision']}"
                    " (was assumed)",
                    markup=False,
                )
            else:
                out.print(
                    f"{key} [{a['lang']}]: based on r{a['previous']} → "
                    f"r{a['based_on_revision']} (current)",
                    markup=False,
                )
    else:
        out.print(f"{key}: no stale translation to acknowledge")


def _post_ids(session: Any, keys: list[str]) -> set[int]:
    from sqlalchemy import select

    from sync.db.models import Post

    return set(session.execute(select(Post.id).where(Post.key.in_(keys))).scalars())


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "editor"


@cli.command(name="log")
@click.argument("key", required=False)
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True)
@click.option("--before", type=int, default=None, help="Page back: events older than this id.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def log_cmd(ctx: Context, key: str | None, limit: int, before: int | None, as_json: bool) -> None:
    """History: revisions, state changes, acknowledgements and task changes (newest first)."""
    from sync.history import events

    settings = ctx.settings
    from sync.db.session import transaction

    with transaction(settings.database_url, readonly=True) as session:
        evs = events(session, key, limit=limit, before=before)
    if as_json:
        print_json({"events": evs})
        return
    for e in evs:
        details = ", ".join(f"{k}={v}" for k, v in e["details"].items())
        lang = f" [{e['lang']}]" if e["lang"] else ""
        out.print(
            f"#{e['id']} {e['at']} {e['actor']}: {e['kind']} {e['post'] or ''}{lang} {details}",
            markup=False,
        )
