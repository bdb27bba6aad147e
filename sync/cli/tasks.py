"""Task commands: translators, tasks, task, claim, release, renew, expire, submit, approve,
reject, assign, worker, beat."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from sync.cli import (
    EXIT_NOTHING,
    EXIT_OK,
    EXIT_REJECTED,
    Context,
    cli,
    comma_choices,
    configured_lang,
    out,
    pass_ctx,
    print_json,
)
from sync.db.session import transaction
from sync.nudge import nudge
from sync.outbox import dispatch
from sync.people import add_user, list_users, user_dict
from sync.queue import TASK_STATES


@cli.group()
def translators() -> None:
    """Register translators and their languages."""


@translators.command("add")
@click.argument("name")
@click.option("--langs", required=True, help="Languages they translate into, e.g. tr,ru.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def translators_add(ctx: Context, name: str, langs: str, as_json: bool) -> None:
    """Add a translator (or change their languages)."""
    settings = ctx.settings
    with transaction(settings.database_url) as session:
        user, _ = add_user(
            session,
            settings,
            name,
            role=None,
            langs=[x.strip() for x in langs.split(",") if x.strip()],
        )
        data = user_dict(user)
    if as_json:
        print_json(data)
    else:
        out.print(f"translator {name}: {', '.join(data['langs'])}", markup=False)


@translators.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def translators_list(ctx: Context, as_json: bool) -> None:
    """List translators and their languages."""
    settings = ctx.settings
    with transaction(settings.database_url) as session:
        people = [user_dict(u) for u in list_users(session) if u.langs or u.role == "translator"]
    if as_json:
        print_json({"translators": people})
        return
    for p in people:
        out.print(f"{p['name']} ({p['role']}): {', '.join(p['langs'])}", markup=False)


def lease_option(fn: Any) -> Any:
    return click.option(
        "--lease",
        default=None,
        help="Lease length, e.g. 48h, 90m, 2d [default: TRANSYNC_LEASE_HOURS]",
    )(fn)


def print_task(data: dict[str, Any]) -> None:
    lease = f", lease until {data['lease_expires_at']}" if data["lease_expires_at"] else ""
    who = f" by {data['assignee']}" if data["assignee"] else ""
    flag = " (source changed since claim)" if data["source_changed"] else ""
    out.print(
        f"#{data['id']} {data['post']} [{data['lang']}] {data['kind']} r"
        f"{data['source_revision']}: {data['state']}{who}{lease}{flag}",
        markup=False,
    )


@cli.command()
@click.option("--lang", callback=configured_lang, help="Only this language.")
@click.option(
    "--state",
    "states",
    multiple=True,
    callback=comma_choices(TASK_STATES, "task state"),
    help=f"Only these states: {', '.join(TASK_STATES)} (repeat, or separate with commas).",
)
@click.option("--as", "assignee", help="Only tasks assigned to NAME.")
@click.option("--post", help="Only tasks of this post key.")
@click.option("--limit", type=click.IntRange(1), default=None, help="At most this many.")
@click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many (paging).")
@click.option(
    "--sort",
    type=click.Choice(["queue", "words"]),
    default="queue",
    help="queue: priority, due, age; words: largest first.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def tasks(
    ctx: Context,
    lang: str | None,
    states: tuple[str, ...],
    assignee: str | None,
    post: str | None,
    limit: int | None,
    offset: int,
    sort: str,
    as_json: bool,
) -> None:
    """List tasks (priority first, then earliest due, then oldest), with their words, cost
    (TRANSYNC_WORD_RATE) and whether they are at risk of missing their due date."""
    from sync.queue import list_tasks, task_dict
    from sync.workload import annotate_tasks

    settings = ctx.settings
    with transaction(settings.database_url) as session:
        items = [
            task_dict(t, k)
            for t, k in list_tasks(
                session,
                lang=lang,
                states=states,
                assignee=assignee,
                post=post,
                limit=limit,
                offset=offset,
                sort=sort,
            )
        ]
        annotate_tasks(session, settings, items)
    if as_json:
        print_json({"tasks": items})
        return
    table = Table(header_style="bold")
    priced = any("cost" in t for t in items)
    for col in (
        "id",
        "post",
        "lang",
        "kind",
        "rev",
        "state",
        "assignee",
        "lease until",
        "priority",
        "due",
        "words",
        *(["cost"] if priced else []),
    ):
        table.add_column(col, overflow="fold")  # wrap, never cut a key or a state
    for t in items:
        table.add_row(
            str(t["id"]),
            escape(t["post"]),
            t["lang"],
            t["kind"],
            f"r{t['source_revision']}",
            t["state"] + (" ⚠" if t["source_changed"] else ""),
            t["assignee"] or "",
            t["lease_expires_at"] or "",
            str(t["priority"]),
            (t["due"] or "") + (" at risk" if t.get("at_risk") else ""),
            "" if t["words"] is None else str(t["words"]),
            *([f"{t['cost']:.2f}" if "cost" in t else ""] if priced else []),
        )
    out.print(table)
    out.print(f"{len(items)} tasks")


@cli.command()
@click.argument("task_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def task(ctx: Context, task_id: int, as_json: bool) -> None:
    """One task: its state, what changed in the source, and translation-memory suggestions."""
    from sync.taskview import task_detail

    settings = ctx.settings
    with transaction(settings.database_url) as session:
        detail = task_detail(session, settings, task_id)
    if as_json:
        print_json(detail)
        return
    print_task(detail)
    if detail.get("reject_reason"):
        out.print(f"rejected: {detail['reject_reason']}", markup=False)
    for seg in detail["segments"]:
        mark = {"changed": "~", "added": "+", "equal": " "}.get(seg["change"] or "equal", " ")
        out.print(f"{mark} [{seg['position']}] {escape(seg['source'])}")
        if seg.get("previous_source"):
            out.print(f"    [red]was: {escape(seg['previous_source'])}[/]")
        for s in seg["suggestions"]:
            out.print(
                f"    [cyan]{s['score']:.0f}%[/] {escape(s['text'])}  "
                f"[dim]({escape(s['origin'])})[/]"
            )
            for problem in s.get("problems", ()):
                out.print(f"      [yellow]does not fit: {escape(str(problem))}[/]")


@cli.command()
@click.option("--as", "name", required=True, help="The translator claiming.")
@click.option("--lang", required=True, callback=configured_lang, help="Language to claim in.")
@lease_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def claim(ctx: Context, name: str, lang: str, lease: str | None, as_json: bool) -> int:
    """Claim the next queued task in LANG. Exits 3 when there is nothing to claim."""
    from sync.queue import claim as run
    from sync.queue import parse_duration, task_dict

    settings = ctx.settings
    with transaction(settings.database_url) as session:
        got = run(session, settings, name, lang, parse_duration(lease) if lease else None)
        data = task_dict(*got) if got else None
    if as_json:
        print_json(data if data else {"task": None})
    elif data:
        print_task(data)
    else:
        out.print(f"nothing to claim in {lang}")
    return 0 if data else EXIT_NOTHING


def _own(action: str) -> Any:
    def command(fn: Any) -> Any:
        fn = click.option("--json", "as_json", is_flag=True)(fn)
        fn = click.option("--as", "name", required=True, help="The translator.")(fn)
        fn = click.argument("task_id", type=int)(fn)
        return cli.command(name=action)(pass_ctx(fn))

    return command


@_own("release")
def release_cmd(ctx: Context, task_id: int, name: str, as_json: bool) -> None:
    """Give a claimed task back to the queue."""
    from sync.queue import release, task_dict

    with transaction(ctx.settings.database_url) as session:
        data = task_dict(*release(session, task_id, name))
    print_json(data) if as_json else print_task(data)


@cli.command(name="renew")
@click.argument("task_id", type=int)
@click.option("--as", "name", required=True, help="The translator.")
@lease_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def renew_cmd(ctx: Context, task_id: int, name: str, lease: str | None, as_json: bool) -> None:
    """Extend the lease on a claimed task."""
    from sync.queue import parse_duration, renew, task_dict

    with transaction(ctx.settings.database_url) as session:
        data = task_dict(
            *renew(session, ctx.settings, task_id, name, parse_duration(lease) if lease else None)
        )
    print_json(data) if as_json else print_task(data)


@cli.command(name="expire")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def expire_cmd(ctx: Context, as_json: bool) -> None:
    """Return every task whose lease has ended to the queue."""
    from sync.queue import expire

    with transaction(ctx.settings.database_url) as session:
        ids = expire(session)
    if as_json:
        print_json({"expired": ids})
    else:
        out.print(f"{len(ids)} leases expired" + (f": {', '.join(map(str, ids))}" if ids else ""))


@cli.command()
@click.argument("task_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "name", required=True, help="The translator submitting.")
@click.option("--accept-fuzzy", is_flag=True, help="PO: count fuzzy entries as translated.")
@click.option("--partial", is_flag=True, help="PO: store progress and keep the claim.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def submit(
    ctx: Context,
    task_id: int,
    file: Path,
    name: str,
    accept_fuzzy: bool,
    partial: bool,
    as_json: bool,
) -> int:
    """Submit FILE (Markdown with front matter, a PO file, or XLIFF) for a claimed task."""
    from sync.interchange.xliff import sniff

    settings = ctx.settings
    data = file.read_bytes()
    suffix = file.suffix.lower()
    # XLIFF by its content, as `transync import` knows it: CAT tools save .sdlxliff,
    # .mqxliff or .xml, which read as Markdown gave "the front matter has no title"
    xliff = suffix in (".xlf", ".xliff") or (
        suffix not in (".md", ".markdown") and sniff(data) == "xliff"
    )
    with transaction(settings.database_url) as session:
        if suffix in (".po", ".pot"):
            from sync.pofiles import submit_po

            result = submit_po(
                session,
                settings,
                task_id,
                name,
                str(file),
                data,
                accept_fuzzy=accept_fuzzy,
                partial=partial,
            )
        elif xliff:
            from sync.interchange.tasks import submit_xliff

            result = submit_xliff(
                session,
                settings,
                task_id,
                name,
                str(file),
                data,
                accept_fuzzy=accept_fuzzy,
                partial=partial,
            )
        else:
            from sync.submission import submit_markdown

            result = submit_markdown(session, settings, task_id, name, str(file), data)
    nudge(settings)
    return report(result, as_json)


def report(result: dict[str, Any], as_json: bool) -> int:
    """Print what a submission, approval or resolution left; exit 2 for a conflict (the
    input was not applied), 0 otherwise."""
    if as_json:
        print_json(result)
        return EXIT_REJECTED if result.get("state") == "conflict" else EXIT_OK
    state = result.get("state")
    if state == "conflict":
        conflict = result.get("conflict") or {}
        out.print(f"task #{result['task']}: conflict: {conflict.get('message', '')}", markup=False)
        out.print(
            f"  an editor resolves it: transync resolve {result['task']} --keep "
            "submitted|disk --as NAME",
            markup=False,
        )
        return EXIT_REJECTED
    if result.get("applied"):
        applied = f"written back, translation {result.get('translation', 'current')}"
    elif state == "claimed":
        applied = "progress saved, still claimed"
    elif state == "cancelled":
        applied = "closed, what is on disk kept"
    else:
        applied = "awaiting review"
    out.print(f"task #{result['task']}: {state} ({applied})", markup=False)
    for w in result.get("warnings", []):
        out.print(f"  warning: {w}", markup=False)
    return EXIT_OK


@cli.command()
@click.argument("task_id", type=int)
@click.option("--as", "editor", required=True, help="The editor approving.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def approve(ctx: Context, task_id: int, editor: str, as_json: bool) -> int:
    """Approve a submitted task: its translation is written back."""
    from sync.submission import approve as run

    with transaction(ctx.settings.database_url) as session:
        result = run(session, ctx.settings, task_id, editor)
    nudge(ctx.settings)
    return report(result, as_json)


@cli.command()
@click.argument("task_id", type=int)
@click.option(
    "--keep",
    type=click.Choice(["submitted", "disk"]),
    required=True,
    help="submitted: write the submission over the file (what is on disk was "
    "recorded first); disk: keep the file and close the task.",
)
@click.option("--as", "editor", required=True, help="The editor resolving.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def resolve(ctx: Context, task_id: int, keep: str, editor: str, as_json: bool) -> int:
    """Resolve a task in conflict (write-back found text it had not seen)."""
    from sync.submission import resolve as run

    with transaction(ctx.settings.database_url) as session:
        result = run(session, ctx.settings, task_id, editor, keep)
    nudge(ctx.settings)
    return report(result, as_json)


@cli.command()
@click.argument("task_id", type=int)
@click.option("--as", "editor", required=True, help="The editor rejecting.")
@click.option("--reason", required=True, help="What the translator should fix.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def reject(ctx: Context, task_id: int, editor: str, reason: str, as_json: bool) -> int:
    """Send a submitted task back to its translator with a reason."""
    from sync.submission import reject as run

    with transaction(ctx.settings.database_url) as session:
        result = run(session, ctx.settings, task_id, editor, reason)
    return report(result, as_json)


@cli.command()
@click.argument("task_id", type=int)
@click.option("--to", "name", required=True, help="The translator to give it to.")
@click.option("--as", "editor", required=True, help="The editor assigning.")
@lease_option
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def assign(
    ctx: Context, task_id: int, name: str, editor: str, lease: str | None, as_json: bool
) -> None:
    """Assign an open task to a translator (an editor's act)."""
    from sync.queue import assign as run
    from sync.queue import parse_duration, task_dict

    with transaction(ctx.settings.database_url) as session:
        data = task_dict(
            *run(
                session,
                ctx.settings,
                task_id,
                editor,
                name,
                parse_duration(lease) if lease else None,
            )
        )
    print_json(data) if as_json else print_task(data)


@cli.command()
@click.option(
    "--queues",
    "-Q",
    default=None,
    help="Comma-separated queues [default: default and prefill.<lang> for each lang].",
)
@click.option("--concurrency", "-c", type=int, default=None, help="Worker processes.")
@click.option("--loglevel", "-l", default="info")
@click.option("--pool", default=None, help="Celery pool (prefork, solo, threads).")
@click.option("--hostname", "-n", default=None)
@pass_ctx
def worker(
    ctx: Context,
    queues: str | None,
    concurrency: int | None,
    loglevel: str,
    pool: str | None,
    hostname: str | None,
) -> None:
    """Start a Celery worker (pre-fill, exports, scheduled scans, lease expiry)."""
    from workers.app import get_app, queues_for

    settings = ctx.settings
    app = get_app(settings)
    argv = [
        "worker",
        f"--loglevel={loglevel}",
        f"--queues={queues or ','.join(queues_for(settings))}",
    ]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if pool:
        argv.append(f"--pool={pool}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


@cli.command()
@click.option("--loglevel", "-l", default="info")
@click.option("--schedule-file", default=None, help="Where beat keeps its state.")
@pass_ctx
def beat(ctx: Context, loglevel: str, schedule_file: str | None) -> None:
    """Start Celery beat: scheduled scans, lease expiry, outbox sweeps, exports."""
    from workers.app import get_app

    app = get_app(ctx.settings)
    argv = ["beat", f"--loglevel={loglevel}"]
    if schedule_file:
        argv.append(f"--schedule={schedule_file}")
    app.start(argv)


@cli.command(name="dispatch")
@click.option("--sweep", is_flag=True, help="Also republish messages not done after a minute.")
@pass_ctx
def dispatch_cmd(ctx: Context, sweep: bool) -> None:
    """Publish pending outbox messages to the broker now."""
    from sync.outbox import sweep as run_sweep

    n = dispatch(ctx.settings)
    if sweep:
        n += run_sweep(ctx.settings, dt.timedelta(seconds=60))
    out.print(f"{n} messages published")
