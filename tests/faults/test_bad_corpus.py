"""The corpus of bad inputs: each gets a clear error naming the file (and line, post or
field), and the database and the files are the same before and after."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polib
import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.errors import CatalogError, InputError, SubmissionError
from sync.pofiles import submit_po, task_po
from sync.scanning import run_scan
from tests.conftest import DATA, EXAMPLES
from tests.helpers.tracking import add_people, db_snapshot, transync, tree_snapshot

pytestmark = pytest.mark.faults
BAD = DATA / "bad"


@pytest.fixture
def site(settings: Settings, tmp_path: Path) -> tuple[Settings, Path, int]:
    """The demo content scanned, people added, a Russian task claimed by ivan."""
    content = tmp_path / "content"
    shutil.copytree(EXAMPLES / "content", content)
    run_scan(settings, [str(content)])
    add_people(settings)
    code, out, err = transync(settings, "claim", "--as", "ivan", "--lang", "ru", "--json")
    assert code == 0, err
    import json

    return settings, content, json.loads(out)["id"]


def unchanged(settings: Settings, tree: Path, act: Callable[[], object]) -> object:
    before = (db_snapshot(settings), tree_snapshot(tree))
    result = act()
    assert (db_snapshot(settings), tree_snapshot(tree)) == before
    return result


def refused(
    settings: Settings,
    tree: Path,
    error: type[Exception],
    act: Callable[..., object],
    *needles: str,
) -> str:
    def run() -> str:
        with pytest.raises(error) as info, transaction(settings.database_url) as s:
            act(s)
        return str(info.value)

    message = unchanged(settings, tree, run)
    for needle in needles:
        assert needle in message, message
    return message


def filled_po(settings: Settings, task_id: int) -> polib.POFile:
    with transaction(settings.database_url) as s:
        po = polib.pofile(task_po(s, settings, task_id).decode("utf-8"))
    for entry in po:
        entry.msgstr = entry.msgid  # a "translation" that passes every check
        entry.flags = [f for f in entry.flags if f != "fuzzy"]
    return po


@pytest.mark.parametrize("name", ["binary.po", "truncated.po", "not-a-po.po", "wrong-encoding.po"])
def test_broken_po_files(site: tuple[Settings, Path, int], name: str) -> None:
    settings, content, task_id = site
    data = (BAD / "po" / name).read_bytes()
    refused(
        settings,
        content,
        CatalogError,
        lambda s: submit_po(s, settings, task_id, "ivan", name, data),
        name,
    )
    code, _, err = unchanged(
        settings,
        content,
        lambda: transync(settings, "submit", str(task_id), "--as", "ivan", str(BAD / "po" / name)),
    )
    assert code == 1 and name in err and "Traceback" not in err


def test_oversized_po(site: tuple[Settings, Path, int]) -> None:
    settings, content, task_id = site
    data = str(filled_po(settings, task_id)).encode() + b"# padding\n" * 600_000
    assert len(data) > settings.max_upload_bytes
    refused(
        settings,
        content,
        CatalogError,
        lambda s: submit_po(s, settings, task_id, "ivan", "big.po", data),
        "big.po",
        "TRANSYNC_MAX_UPLOAD_BYTES",
    )


def test_po_for_the_wrong_language_or_task(site: tuple[Settings, Path, int]) -> None:
    settings, content, task_id = site
    po = filled_po(settings, task_id)
    po.metadata["Language"] = "tr"
    refused(
        settings,
        content,
        SubmissionError,
        lambda s: submit_po(s, settings, task_id, "ivan", "x.po", str(po).encode()),
        "Language",
    )
    po = filled_po(settings, task_id)
    po.metadata["X-Transync-Task"] = str(task_id + 1000)
    refused(
        settings,
        content,
        SubmissionError,
        lambda s: submit_po(s, settings, task_id, "ivan", "x.po", str(po).encode()),
        "another task",
    )


def test_traversal_in_an_upload_name_writes_nowhere(
    site: tuple[Settings, Path, int], tmp_path: Path
) -> None:
    settings, content, task_id = site
    po = filled_po(settings, task_id)
    po.metadata["Language"] = "de"
    name = "../../../etc/cron.d/x.po"
    before = set(os.listdir(tmp_path))
    refused(
        settings,
        content,
        SubmissionError,
        lambda s: submit_po(s, settings, task_id, "ivan", name, str(po).encode()),
        name,
    )
    assert set(os.listdir(tmp_path)) == before


def test_invalid_utf8_alias_bomb_symlink_traversal_keys(settings: Settings, tmp_path: Path) -> None:
    tree = tmp_path / "bad"
    shutil.copytree(BAD / "content", tree)
    shutil.copytree(BAD / "keys", tree, dirs_exist_ok=True)
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nDo not read me.\n", encoding="utf-8")
    os.symlink(outside, tree / "en/posts/escape.md")
    code, _, err = transync(settings, "scan", str(tree))
    assert code == 2 and "Traceback" not in err
    for needle in (
        "not-utf8.md:8",
        "bad-yaml.md:4",
        "alias-bomb.md",
        "dup-one.md",
        "dup-two.md",
        "escape.md",
        "traversal.md",
        "absolute.md",
        "'..' parts",
        "absolute path",
    ):
        assert needle in err, (needle, err)
    # a second scan of the same bad tree changes nothing at all
    unchanged(settings, tree, lambda: transync(settings, "scan", str(tree)))


def test_malformed_wxr_applies_nothing(settings: Settings, tmp_path: Path) -> None:
    code, _, err = unchanged(
        settings, tmp_path, lambda: transync(settings, "scan", f"wxr:{BAD / 'wxr/truncated.xml'}")
    )
    assert code == 2 and "truncated.xml:" in err and "malformed WXR" in err


def test_script_injection_is_stored_as_text(settings: Settings, tmp_path: Path) -> None:
    tree = tmp_path / "script"
    shutil.copytree(BAD / "script", tree)
    report = run_scan(settings, [str(tree)])
    assert not report.problems
    code, out, _ = transync(settings, "status", "--json")
    import json

    (post,) = json.loads(out)["posts"]
    assert post["title"] == '<script>alert("title")</script> "><img src=x onerror=alert(1)>'


def test_invalid_markdown_submissions(site: tuple[Settings, Path, int], tmp_path: Path) -> None:
    settings, content, task_id = site
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"---\ntitle: \xff\xfe\n---\nbody\n")
    code, _, err = unchanged(
        settings,
        content,
        lambda: transync(settings, "submit", str(task_id), "--as", "ivan", str(bad)),
    )
    assert code == 1 and "bad.md" in err and "UTF-8" in err
    bomb = (BAD / "content/en/posts/alias-bomb.md").read_bytes()
    bad.write_bytes(bomb)
    code, _, err = unchanged(
        settings,
        content,
        lambda: transync(settings, "submit", str(task_id), "--as", "ivan", str(bad)),
    )
    assert code == 1 and "alias" in err.lower()
    assert issubclass(SubmissionError, InputError)
