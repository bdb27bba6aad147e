"""A rescan that finds nothing new runs without the database layer (sync.quickscan) and says
exactly what the full scan would; anything else (an edit, a new or gone file, a rejected
file) goes through the full scan, which sees it. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from sync.config import Settings
from sync.db.models import SourceState
from sync.db.session import transaction
from sync.quickscan import quick_rescan
from sync.scanning import run_scan
from tests.conftest import make_settings


def scans(settings: Settings) -> int:
    with transaction(settings.database_url) as session:
        return session.execute(select(SourceState.scans)).scalar_one()


def cli(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\nsys.argv = ['transync', *sys.argv[1:]]\nfrom sync.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\nelse:\n"
        "    code = 0\n"
        "print('SQLALCHEMY' if 'sqlalchemy' in sys.modules else 'NONE', file=sys.stderr)\n"
        "sys.exit(code)"
    )
    env = {
        **os.environ,
        "TRANSYNC_DATABASE_URL": settings.database_url,
        "TRANSYNC_BROKER_URL": settings.broker_url,
        "TRANSYNC_CONFIG": "/nonexistent",
    }
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_a_no_change_rescan_is_quick_and_says_the_same(
    db_url: str, content: Path, tmp_path: Path
) -> None:
    settings = make_settings(db_url)
    (content / "en/posts/notes.txt").write_text("not content", encoding="utf-8")
    first = run_scan(settings, [f"fs:{content}"])
    assert first is not None and first.new_versions
    full = run_scan(settings, [f"fs:{content}"])  # a no-change rescan the full way
    assert full is not None and scans(settings) == 2
    from sync.nudge import nudge

    nudge(settings)  # the first scan's pre-fill messages, published as its command would
    quick = quick_rescan(settings, [f"fs:{content}"])
    assert quick is not None and quick.as_dict() == full.as_dict()
    assert scans(settings) == 3  # recorded as the full scan records it
    done = cli(settings, tmp_path, "scan", f"fs:{content}", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == full.as_dict()
    assert done.stderr.strip().endswith("NONE")  # no SQLAlchemy, no parsers, no Celery
    assert scans(settings) == 4


def test_anything_new_goes_the_full_way(db_url: str, content: Path, tmp_path: Path) -> None:
    settings = make_settings(db_url)
    run_scan(settings, [f"fs:{content}"])
    source = content / "en/posts/energy-security.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    assert quick_rescan(settings, [f"fs:{content}"]) is None
    done = cli(settings, tmp_path, "scan", f"fs:{content}", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["new_revisions"] == 1
    (content / "tr/posts/energy-security.md").unlink()  # a file gone
    assert quick_rescan(settings, [f"fs:{content}"]) is None
    assert (
        json.loads(cli(settings, tmp_path, "scan", f"fs:{content}", "--json").stdout)["deleted"]
        == 1
    )
    (content / "en/posts/broken.md").write_text("---\ntitle: [\n---\n", encoding="utf-8")
    assert quick_rescan(settings, [f"fs:{content}"]) is None
    done = cli(settings, tmp_path, "scan", f"fs:{content}")
    assert done.returncode == 2 and "broken.md" in done.stderr
    assert scans(settings) == 4  # the quick path gave up without recording anything


def test_no_database_or_a_first_scan_goes_the_full_way(tmp_path: Path, content: Path) -> None:
    missing = make_settings(f"sqlite:///{tmp_path / 'none.db'}")
    assert quick_rescan(missing, [f"fs:{content}"]) is None
    assert not (tmp_path / "none.db").exists()  # reading never creates a database
    from sync.db.migrate import upgrade

    fresh = make_settings(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(fresh.database_url)
    assert quick_rescan(fresh, [f"fs:{content}"]) is None  # nothing recorded yet
    assert quick_rescan(fresh, [f"wxr:{content}/x.xml"]) is None  # not a content tree
