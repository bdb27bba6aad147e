"""Catalog commands: export, po, import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sync.cli import EXIT_ERROR, Context, cli, err, out, pass_ctx, print_json


@cli.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Where to write [default: TRANSYNC_LOCALES_DIR].")
@click.option("--lang", "langs", multiple=True, help="Only this language (repeatable).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 listing catalogs on disk that differ.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def export(ctx: Context, directory: Path | None, langs: tuple[str, ...], check: bool,
           as_json: bool) -> int:
    """Write every language's catalog: DIR/<lang>/LC_MESSAGES/posts.po and posts.mo."""
    from sync.export import export_catalogs

    result = export_catalogs(ctx.settings, langs or None, directory=directory, check=check)
    if as_json:
        print_json(result)
    else:
        for c in result["catalogs"]:
            verb = ("differs" if c["changed"] else "up to date") if check else (
                "written" if c["changed"] else "unchanged")
            out.print(f"{c['po']}: {verb} — {c['translated']} translated, {c['fuzzy']} fuzzy, "
                      f"{c['untranslated']} untranslated", markup=False)
    if check and result["differing"]:
        for path in result["differing"]:
            err.print(f"out of date: {path}", markup=False)
        return EXIT_ERROR
    return 0


@cli.command()
@click.argument("task_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here [default: standard output].")
@pass_ctx
def po(ctx: Context, task_id: int, output: Path | None) -> None:
    """A PO file for one task, to translate in Poedit, Lokalize or any PO editor."""
    from sync.db.session import transaction
    from sync.pofiles import task_po

    with transaction(ctx.settings.database_url) as session:
        data = task_po(session, ctx.settings, task_id)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        from sync.catalog import write_atomic

        write_atomic(output, data)
        out.print(f"wrote {output}", markup=False)


@cli.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "name", required=True, help="The translator submitting.")
@click.option("--accept-fuzzy", is_flag=True, help="Count fuzzy entries as translated.")
@click.option("--partial", is_flag=True, help="Store progress and keep the claim.")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def import_cmd(ctx: Context, file: Path, name: str, accept_fuzzy: bool, partial: bool,
               as_json: bool) -> None:
    """Submit a PO file; the task comes from its X-Transync-Task header."""
    from sync.cli.tasks import report
    from sync.db.session import transaction
    from sync.outbox import nudge
    from sync.pofiles import import_po

    with transaction(ctx.settings.database_url) as session:
        result = import_po(session, ctx.settings, name, str(file), file.read_bytes(),
                           accept_fuzzy=accept_fuzzy, partial=partial)
    nudge(ctx.settings)
    report(result, as_json)
