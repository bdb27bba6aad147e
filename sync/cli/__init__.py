"""The `transync` command line: one group, commands in modules by concept."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from sync import __version__
from sync.config import Settings, env_name, load_settings
from sync.errors import InputError, TransyncError

EXIT_OK, EXIT_ERROR, EXIT_REJECTED, EXIT_NOTHING = 0, 1, 2, 3
EXIT_USAGE = 64  # EX_USAGE (sysexits.h): a wrong command line; 2 means "inputs rejected"


class _Console:
    """A rich Console made at first use: `transync --help` or a JSON listing never loads
    rich (a tenth of a second at every start)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


out: Any = _Console(highlight=False, soft_wrap=True)
err: Any = _Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger("transync")


def setting_option(name: str, flag: str, help_text: str, **kw: Any) -> Any:
    """A global flag that names its TRANSYNC_* variable in --help."""
    return click.option(flag, name, default=None, help=f"{help_text} [env: {env_name(name)}]", **kw)


class Context:
    def __init__(self, overrides: dict[str, Any]) -> None:
        self.overrides = overrides
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(**self.overrides)
        return self._settings


pass_ctx = click.make_pass_decorator(Context)


def configured_lang(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """A --lang option's callback: a language that is not configured is a wrong command line
    (exit 64), not an empty answer."""
    if not value:
        return value
    languages = ctx.ensure_object(Context).settings.languages if ctx.find_object(Context) else ()
    for lang in value if isinstance(value, tuple) else (value,):
        if languages and lang not in languages:
            raise click.BadParameter(
                f"language {lang} is not configured ({', '.join(languages)}); "
                "TRANSYNC_LANGUAGES lists the languages"
            )
    return value


def comma_choices(choices: Sequence[str], what: str) -> Callable[..., tuple[str, ...]]:
    """A repeatable option's callback that also takes a comma-separated list, as the API's
    ``state=queued,claimed`` does; a value not among `choices` is a wrong command line
    (exit 64) that names it."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: Any) -> tuple[str, ...]:
        given = tuple(v.strip() for item in value or () for v in item.split(",") if v.strip())
        for v in given:
            if v not in choices:
                raise click.BadParameter(
                    f"{what} {v!r} is unknown: use one of {', '.join(choices)}"
                )
        return given

    return callback


LONG_RUNNING = ("serve", "worker", "beat")  # refuse to start on a database with no schema
_context: Context | None = None  # the running command's, for error messages

# Which module defines each top-level command: a command's module is imported only when
# that command runs, so `transync status` does not pay for Celery, FastAPI or the parsers.
# tests/acceptance/test_cli.py checks this map against what the modules register.
COMMANDS = {
    "tracker": ("init", "scan", "status", "diff", "ack", "log"),
    "tasks": (
        "translators",
        "tasks",
        "task",
        "claim",
        "release",
        "renew",
        "expire",
        "submit",
        "approve",
        "reject",
        "resolve",
        "assign",
        "worker",
        "beat",
        "dispatch",
    ),
    "catalogs": ("export", "po", "import", "xliff", "memory"),
    "web": ("serve", "users"),
    "forecast": ("forecast",),
    "notify": ("webhooks", "notify"),
}
COMMAND_MODULES = tuple(COMMANDS)
#: Each command's help, first paragraph: `transync --help` lists the commands from here, so
#: it imports none of their modules (tests/acceptance/test_cli.py checks it is in step).
SUMMARIES = {
    "init": "Create or upgrade the database schema (safe to run again).",
    "scan": (
        "Read SOURCES (fs:PATH or PATH, wxr:FILE, wp:URL; default TRANSYNC_SOURCES) and "
        "record new posts, revisions and deletions, then plan tasks."
    ),
    "status": (
        'The status matrix: posts × languages. "(assumed)" marks a translation first seen'
        " with no evidence of the source it was made from (`ack` confirms one)."
    ),
    "diff": "What changed in KEY's source since LANG's translation was made, segment by segment.",
    "ack": "Acknowledge KEY's latest source change as minor: its translations become current.",
    "log": "History: revisions, state changes, acknowledgements and task changes (newest first).",
    "translators": "Register translators and their languages.",
    "tasks": (
        "List tasks (priority first, then earliest due, then oldest), with their words, "
        "cost (TRANSYNC_WORD_RATE) and whether they are at risk of missing their due "
        "date."
    ),
    "task": "One task: its state, what changed in the source, and translation-memory suggestions.",
    "claim": "Claim the next queued task in LANG. Exits 3 when there is nothing to claim.",
    "release": "Give a claimed task back to the queue.",
    "renew": "Extend the lease on a claimed task.",
    "expire": "Return every task whose lease has ended to the queue.",
    "submit": "Submit FILE (Markdown with front matter, a PO file, or XLIFF) for a claimed task.",
    "approve": "Approve a submitted task: its translation is written back.",
    "reject": "Send a submitted task back to its translator with a reason.",
    "resolve": "Resolve a task in conflict (write-back found text it had not seen).",
    "assign": "Assign an open task to a translator (an editor's act).",
    "worker": "Start a Celery worker (pre-fill, exports, scheduled scans, lease expiry).",
    "beat": "Start Celery beat: scheduled scans, lease expiry, outbox sweeps, exports.",
    "dispatch": "Publish pending outbox messages to the broker now.",
    "export": "Write every language's catalog: DIR/<lang>/LC_MESSAGES/posts.po and posts.mo.",
    "po": "A PO file for one task, to translate in Poedit, Lokalize or any PO editor.",
    "import": (
        "Submit a PO or XLIFF file (recognised from its content); the task comes from its"
        " header (X-Transync-Task)."
    ),
    "xliff": (
        "An XLIFF file for one task, to translate in a CAT tool; submit it back with "
        "`transync submit TASK --as NAME FILE.xlf` or `transync import FILE.xlf --as "
        "NAME`."
    ),
    "memory": "Exchange the translation memory as TMX 1.4b.",
    "serve": "Serve the web dashboard and the JSON API (docs at /api/docs).",
    "users": "Accounts for the web and the API: admins, editors and translators.",
    "forecast": (
        "When each language's queue clears at its translators' real pace, if nothing new "
        "arrives: pending words, words per day, the date with a range, each open task's "
        "expected finish (at risk when after its due date). No history, no forecast."
    ),
    "webhooks": "Endpoints that receive signed events (Standard Webhooks), and their delivery log.",
    "notify": (
        "Run one notify tick now: fan out waiting events, publish due webhook deliveries "
        "(a worker sends them), warn of ending leases and send due mail."
    ),
}
_MODULE_OF = {name: module for module, names in COMMANDS.items() for name in names}


def load_commands(*modules: str) -> None:
    """Import command modules (each registers its commands on `cli`); all by default."""
    import importlib

    for module in modules or COMMAND_MODULES:
        importlib.import_module(f"sync.cli.{module}")


def summary_of(name: str, limit: int) -> str:
    """A command's summary line from SUMMARIES, shortened as Click shortens its own help
    (through Click's public API: a bare command holding that help)."""
    return click.Command(name, help=SUMMARIES.get(name, "")).get_short_help_str(limit)


class LazyGroup(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            load_commands(_MODULE_OF[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *_MODULE_OF})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their summaries, without importing a command's module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:
                continue
            summary = (
                loaded.get_short_help_str(limit) if loaded is not None else summary_of(name, limit)
            )
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@setting_option("database_url", "--database-url", "Database URL.")
@setting_option("languages", "--languages", "Configured languages, e.g. en,tr,ru.")
@setting_option("source_lang", "--source-lang", "Default source language.")
@setting_option("locales_dir", "--locales-dir", "Where catalogs are written.")
@setting_option("broker_url", "--broker-url", "Celery broker URL.")
@click.option("--debug", is_flag=True, help="Log tracebacks. [env: TRANSYNC_DEBUG]")
@click.version_option(__version__, prog_name="transync")
@click.pass_context
def cli(ctx: click.Context, debug: bool, **overrides: Any) -> None:
    """transync keeps the language versions of your posts in sync.

    Settings come from flags, then TRANSYNC_* variables, then ./transync.toml.
    """
    debug = debug or os.environ.get("TRANSYNC_DEBUG", "") in {"1", "true"}
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Context(overrides)
    global _context
    _context = ctx.obj
    if ctx.invoked_subcommand in LONG_RUNNING and not any(
        a in ("-h", "--help") for a in sys.argv[1:]
    ):
        # a server started on a database without the schema would answer "ok" and fail on
        # every request: it says what to do instead, as every other command does
        from sync.db.migrate import schema_problem
        from sync.errors import ConfigError

        why = schema_problem(ctx.obj.settings.database_url)
        if why:
            raise ConfigError(why)


def print_json(data: Any) -> None:
    """Indented for a person at a terminal; compact (and fast: the C encoder) for scripts."""
    indent = 2 if sys.stdout.isatty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent))


def fail(exc: BaseException) -> int:
    """Print an error and its causes on one screen; the traceback only at debug level."""
    log.debug("error", exc_info=exc)
    lines = [str(exc) or type(exc).__name__]
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(lines) < 6:
        lines.append(f"caused by: {type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(lines[0])}", markup=True, highlight=False)
    for line in lines[1:]:
        err.print(f"  {line}", markup=False)
    return EXIT_ERROR


def schema_error(exc: BaseException) -> TransyncError | None:
    """A database error that means the schema is missing or older than this transync: the
    error then says to run `transync init` (instead of "no such table: posts")."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return None
    text = str(exc).lower()
    if not any(
        w in text
        for w in (
            "no such table",
            "no such column",
            "does not exist",
            "undefinedtable",
            "undefinedcolumn",
        )
    ):
        return None
    from sync.db.migrate import schema_problem
    from sync.errors import ConfigError

    try:
        url = (_context.settings if _context is not None else load_settings()).database_url
    except TransyncError:
        return None
    why = schema_problem(url)
    return ConfigError(why) if why else None


def database_busy(exc: BaseException) -> TransyncError | None:
    """A SQLite database another process kept locked: one line that says so and what to do,
    not the driver's error and the SQL it was running."""
    from sync.db.session import busy, busy_error

    if not busy(exc):
        return None
    try:
        url = (_context.settings if _context is not None else load_settings()).database_url
    except TransyncError:
        return None
    return busy_error(exc, url)


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="transync", standalone_mode=False)
    except click.exceptions.Abort:
        err.print("aborted")
        code = EXIT_ERROR
    except click.UsageError as exc:
        exc.show()
        code = EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except InputError as exc:
        code = fail(exc)
    except TransyncError as exc:
        code = fail(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence prints, not a traceback
        if os.environ.get("TRANSYNC_DEBUG"):
            raise
        code = fail(schema_error(exc) or database_busy(exc) or exc)
    sys.exit(code if isinstance(code, int) else 0)
