"""Catalog commands: export, po, import, xliff, memory (TMX)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sync.cli import EXIT_ERROR, Context, cli, configured_lang, err, out, pass_ctx, print_json


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write [default: TRANSYNC_LOCALES_DIR].",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    callback=configured_lang,
    help="Only this language (repeatable).",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 listing catalogs on disk that differ."
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def export(
    ctx: Context, directory: Path | None, langs: tuple[str, ...], check: bool, as_json: bool
) -> int:
    """Write every language's catalog: DIR/<lang>/LC_MESSAGES/posts.po and posts.mo."""
    from sync.export import export_catalogs

    result = export_catalogs(ctx.settings, langs or None, directory=directory, check=check)
    if as_json:
        print_json(result)
    else:
        for c in result["catalogs"]:
            verb = (
                ("differs" if c["changed"] else "up to date")
                if check
                else ("written" if c["changed"] else "unchanged")
            )
            out.print(
                f"{c['po']}: {verb} — {c['translated']} translated, {c['fuzzy']} fuzzy, "
                f"{c['untranslated']} untranslated",
                markup=False,
            )
    if check and result["differing"]:
        for path in result["differing"]:
            err.print(f"out of date: {path}", markup=False)
        return EXIT_ERROR
    return 0


@cli.command()
@click.argument("task_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here [default: standard output].",
)
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
def import_cmd(
    ctx: Context, file: Path, name: str, accept_fuzzy: bool, partial: bool, as_json: bool
) -> None:
    """Submit a PO or XLIFF file (recognised from its content); the task comes from its
    header (X-Transync-Task)."""
    from sync.cli.tasks import report
    from sync.db.session import transaction
    from sync.interchange.xliff import sniff
    from sync.nudge import nudge
    from sync.pofiles import import_po

    data = file.read_bytes()
    with transaction(ctx.settings.database_url) as session:
        if sniff(data) == "xliff":
            from sync.interchange.tasks import import_xliff

            result = import_xliff(
                session,
                ctx.settings,
                name,
                str(file),
                data,
                accept_fuzzy=accept_fuzzy,
                partial=partial,
            )
        else:
            result = import_po(
                session,
                ctx.settings,
                name,
                str(file),
                data,
                accept_fuzzy=accept_fuzzy,
                partial=partial,
            )
    nudge(ctx.settings)
    report(result, as_json)


@cli.command()
@click.argument("task_id", type=int)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here [default: standard output].",
)
@click.option(
    "--xliff-version",
    "version",
    type=click.Choice(["1.2", "2.0"]),
    default="1.2",
    show_default=True,
    help="XLIFF 1.2 (Trados, memoQ, OmegaT, Okapi, Weblate) or 2.0.",
)
@pass_ctx
def xliff(ctx: Context, task_id: int, output: Path | None, version: str) -> None:
    """An XLIFF file for one task, to translate in a CAT tool; submit it back with
    `transync submit TASK --as NAME FILE.xlf` or `transync import FILE.xlf --as NAME`."""
    from sync.db.session import transaction
    from sync.interchange.tasks import task_xliff

    with transaction(ctx.settings.database_url) as session:
        data = task_xliff(session, ctx.settings, task_id, version)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        from sync.catalog import write_atomic

        write_atomic(output, data)
        out.print(f"wrote {output}", markup=False)


@cli.group()
def memory() -> None:
    """Exchange the translation memory as TMX 1.4b."""


@memory.command("export")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here [default: standard output].",
)
@click.option("--langs", default=None, help="Only pairs of these languages, e.g. en,tr.")
@click.option("--json", "as_json", is_flag=True, help="Print the count as JSON (with -o).")
@pass_ctx
def memory_export(ctx: Context, output: Path | None, langs: str | None, as_json: bool) -> None:
    """Write the translation memory as TMX: one <tu> per pair, its post as x-context."""
    from sync.db.session import transaction
    from sync.interchange.memory import export_memory, parse_langs

    with transaction(ctx.settings.database_url, readonly=True) as session:
        if output is None:
            export_memory(session, sys.stdout.buffer, parse_langs(langs))
            sys.stdout.buffer.flush()
            return
        import os
        import tempfile

        fd, tmp = tempfile.mkstemp(dir=output.parent or Path("."), prefix=f".{output.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                n = export_memory(session, f, parse_langs(langs))
            os.replace(tmp, output)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    if as_json:
        print_json({"file": str(output), "units": n})
    else:
        out.print(f"wrote {output}: {n} units", markup=False)


@memory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as",
    "name",
    default="",
    help="Who brings it (named in the origin of pairs that name no post).",
)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def memory_import(ctx: Context, file: Path, name: str, as_json: bool) -> None:
    """Add the pairs of a TMX file to the translation memory: all or nothing; duplicates
    merged; open tasks are pre-filled again from the new entries."""
    from sync.db.session import transaction
    from sync.interchange.memory import import_memory
    from sync.nudge import nudge

    with transaction(ctx.settings.database_url) as session, file.open("rb") as f:
        counts = import_memory(session, ctx.settings, f, path=str(file), actor=name)
    nudge(ctx.settings)
    if as_json:
        print_json(counts)
    else:
        out.print(
            f"{file}: {counts['units']} units, {counts['pairs']} pairs: "
            f"{counts['added']} added, {counts['merged']} merged, {counts['skipped']} "
            f"skipped; {counts['prefill']} open tasks to pre-fill again",
            markup=False,
        )
        for w in counts.get("warnings", []):
            out.print(f"  warning: {w}", markup=False)
