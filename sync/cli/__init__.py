"""The `transync` command line: one group, commands in modules by concept."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

import click
from rich.console import Console

from sync import __version__
from sync.config import Settings, env_name, load_settings
from sync.errors import InputError, TransyncError

EXIT_OK, EXIT_ERROR, EXIT_REJECTED, EXIT_NOTHING = 0, 1, 2, 3
EXIT_USAGE = 64  # EX_USAGE (sysexits.h): a wrong command line; 2 means "inputs rejected"

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
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
LONG_RUNNING = ("serve", "worker", "beat")  # refuse to start on a database with no schema
_context: Context | None = None  # the running command's, for error messages

# Which module defines each top-level command: a command's module is imported only when
# that command runs, so `transync status` does not pay for Celery, FastAPI or the parsers.
# tests/acceptance/test_cli.py checks this map against what the modules register.
COMMANDS = {
    "tracker": ("init", "scan", "status", "diff", "ack", "log"),
    "tasks": ("translators", "tasks", "task", "claim", "release", "renew", "expire", "submit",
              "approve", "reject", "resolve", "assign", "worker", "beat", "dispatch"),
    "catalogs": ("export", "po", "import", "xliff", "memory"),
    "web": ("serve", "users"),
    "forecast": ("forecast",),
    "notify": ("webhooks", "notify"),
}
COMMAND_MODULES = tuple(COMMANDS)
_MODULE_OF = {name: module for module, names in COMMANDS.items() for name in names}


def load_commands(*modules: str) -> None:
    """Import command modules (each registers its commands on `cli`); all by default."""
    import importlib

    for module in modules or COMMAND_MODULES:
        importlib.import_module(f"sync.cli.{module}")


class LazyGroup(click.Group):
    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _MODULE_OF:
            load_commands(_MODULE_OF[cmd_name])
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        load_commands()
        return super().list_commands(ctx)


@click.group(cls=LazyGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = Context(overrides)
    global _context
    _context = ctx.obj
    if ctx.invoked_subcommand in LONG_RUNNING and not any(
            a in ("-h", "--help") for a in sys.argv[1:]):
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
    if not any(w in text for w in ("no such table", "no such column", "does not exist",
                                   "undefinedtable", "undefinedcolumn")):
        return None
    from sync.db.migrate import schema_problem
    from sync.errors import ConfigError

    try:
        url = (_context.settings if _context is not None else load_settings()).database_url
    except TransyncError:
        return None
    why = schema_problem(url)
    return ConfigError(why) if why else None


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
        code = fail(schema_error(exc) or exc)
    sys.exit(code if isinstance(code, int) else 0)
