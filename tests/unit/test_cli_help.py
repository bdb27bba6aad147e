"""`transync --help` lists every command from a table, importing none of their modules: the
table must say what each command's own help says, and name every command there is."""

from __future__ import annotations

import subprocess
import sys

from sync.cli import COMMANDS, SUMMARIES, cli, load_commands, summary_of
from tests.conftest import ROOT


def test_the_summaries_are_the_commands_own() -> None:
    load_commands()
    assert set(cli.commands) == set(SUMMARIES) == {n for names in COMMANDS.values() for n in names}
    for name, command in cli.commands.items():
        for limit in (45, 70, 200):
            assert summary_of(name, limit) == command.get_short_help_str(limit), name


def test_help_imports_no_command_module() -> None:
    code = (
        "import sys; sys.argv = ['transync', '--help']\n"
        "from sync.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('sync.cli.', 'sqlalchemy',"
        " 'rich', 'celery', 'fastapi')))\n"
        "print('LOADED', bad)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "Commands:" in done.stdout and "status" in done.stdout
    assert done.stdout.strip().endswith("LOADED []"), done.stdout[-500:]
