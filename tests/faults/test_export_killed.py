"""A process killed in the middle of an export: the previous catalogs stay intact, and the
next export leaves no temporary file behind."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from sync.config import Settings
from sync.export import export_catalogs
from sync.scanning import run_scan
from tests.conftest import ROOT
from tests.helpers.processes import settings_env
from tests.integration.test_tracker import EN, edit_paragraph

pytestmark = pytest.mark.faults

# Runs the real export, and SIGKILLs itself at the moment the first new catalog has been
# written to its temporary file but not yet renamed into place: the worst moment.
KILLER = """
import os, signal, sys
import sync.catalog.atomic
real_replace = os.replace
def replace(src, dst):
    if str(dst).endswith("posts.po"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst)
sync.catalog.atomic.os.replace = replace
from sync.config import load_settings
from sync.export import export_catalogs
export_catalogs(load_settings(), directory=sys.argv[1])
"""


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_killed_export_keeps_previous_catalogs(
    sqlite_url: str, content: Path, tmp_path: Path
) -> None:
    from tests.conftest import make_settings

    settings: Settings = make_settings(sqlite_url)
    run_scan(settings, [str(content)])
    out = tmp_path / "locales"
    export_catalogs(settings, directory=out)
    before = digests(out)
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas changed the region.")
    run_scan(settings, [str(content)])

    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(out)],
        cwd=ROOT,
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -9, proc.stderr  # it really died mid-export
    assert digests(out) == before  # readers still see complete, previous catalogs
    leftovers = list(out.rglob(".posts.*.tmp"))
    assert leftovers, "the kill should have left the temporary file of the catalog"

    result = export_catalogs(settings, directory=out)
    assert not list(out.rglob("*.tmp")), "the next export removes what the killed one left"
    assert any(c["changed"] for c in result["catalogs"])
    assert digests(out) != before
