"""Nothing overwritten: write-back never replaces text transync has not seen.

Each case is reproduced on SQLite and PostgreSQL through the `transync` command (and the API
where the brief names it), comparing the content tree and the database before and after: a
translation that is a symlink to its source (or sits in a folder that is one), a hand edit
between the last scan and a submission, a file that appeared or went away, a translation
that changes on disk while its submission waits for review; and what `approve` prints.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sync.config import Settings
from sync.db.models import Post, Revision, Task, Version
from sync.db.session import transaction
from tests.conftest import EXAMPLES, make_settings
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    cell,
    db_snapshot,
    open_task,
    scan,
    task_row,
    transync,
    tree_snapshot,
)

pytestmark = pytest.mark.faults

TRANSLATIONS = EXAMPLES / "translations"
ENERGY_EN = "en/posts/energy-security.md"
ENERGY_TR = "tr/posts/energy-security.md"
ENERGY_RU = "ru/posts/energy-security.md"
GRAIN_EN = "en/posts/grain-corridor.md"
GRAIN_RU = "ru/posts/grain-corridor.md"
TYPO, FIXED = "önümüzdkei beş yıl", "önümüzdeki beş yıl"  # in the tr energy-security body
CYRILLIC = set("абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")


# -- helpers ------------------------------------------------------------------------------


def run(settings: Settings, *args: str, code: int = 0) -> str:
    """`transync ARGS` in this process: the exit code must be `code`, and no traceback."""
    got, out, err = transync(settings, *args)
    assert got == code, f"transync {' '.join(args)} exited {got}, not {code}\n{out}\n{err}"
    assert "Traceback" not in out + err, err
    return out + err


def run_json(settings: Settings, *args: str, code: int = 0) -> Any:
    got, out, err = transync(settings, *args, "--json")
    assert got == code, f"transync {' '.join(args)} --json exited {got}, not {code}\n{out}\n{err}"
    assert "Traceback" not in err, err
    return json.loads(out)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def open_id(settings: Settings, key: str, lang: str) -> int:
    found = open_task(settings, key, lang)
    assert found is not None, f"no open task for {key} [{lang}]"
    return int(found["id"])


def assign(settings: Settings, key: str, lang: str, who: str) -> int:
    """The open task of (key, lang), claimed for `who` by the editor."""
    task_id = open_id(settings, key, lang)
    run(settings, "assign", str(task_id), "--to", who, "--as", EDITOR)
    return task_id


def demo_edit(content: Path) -> None:
    """The demo's change to the second paragraph of energy-security (English source):
    examples/translations/energy-security.{tr,ru}.md translate the result."""
    path = content / ENERGY_EN
    paragraphs = path.read_text(encoding="utf-8").split("\n\n")
    i = next(i for i, p in enumerate(paragraphs) if p.startswith("Offshore gas"))
    paragraphs[i] = (EXAMPLES / "demo-edit.txt").read_text(encoding="utf-8").strip()
    path.write_text("\n\n".join(paragraphs), encoding="utf-8")


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def revisions(settings: Settings, key: str, lang: str) -> list[dict[str, Any]]:
    """Every recorded revision of (key, lang), oldest first."""
    with transaction(settings.database_url) as s:
        rows = s.execute(
            select(
                Revision.number,
                Revision.title,
                Revision.body,
                Version.raw_hash,
                Version.revision,
                Version.origin,
                Version.deleted,
            )
            .join(Version, Version.id == Revision.version_id)
            .join(Post, Post.id == Version.post_id)
            .where(Post.key == key, Version.lang == lang)
            .order_by(Revision.number)
        ).all()
    return [
        {
            "number": r[0],
            "title": r[1],
            "body": r[2],
            "raw_hash": r[3],
            "current": r[4],
            "origin": r[5],
            "deleted": r[6],
        }
        for r in rows
    ]


def submitted_body(path: Path) -> str:
    """The body of a Markdown submission (what the task keeps)."""
    return path.read_text(encoding="utf-8").split("---\n", 2)[2].strip()


def in_conflict_everywhere(settings: Settings, task_id: int, reason: str) -> dict[str, Any]:
    """The task is `conflict` for `reason` in `task ID --json`, `tasks --state conflict`
    and `GET /api/v1/tasks/ID`; the submitted text is shown with it. Returns the detail."""
    detail = run_json(settings, "task", str(task_id))
    assert detail["state"] == "conflict", detail
    assert detail["conflict"]["reason"] == reason, detail["conflict"]
    assert detail["submitted"]["body"], detail
    listed = run_json(settings, "tasks", "--state", "conflict")["tasks"]
    assert [t["id"] for t in listed] == [task_id]
    api = api_task(settings, task_id)
    assert api["state"] == "conflict" and api["conflict"]["reason"] == reason, api
    assert api["submitted"] == detail["submitted"]
    return detail


def api_task(settings: Settings, task_id: int) -> dict[str, Any]:
    """GET /api/v1/tasks/ID with an admin's token."""
    import warnings

    from sync.people import add_user
    from sync.web import create_app

    with transaction(settings.database_url) as s:
        _, token = add_user(s, settings, "apiroot", role="admin", with_token=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

        client = TestClient(create_app(settings))
    response = client.get(f"/api/v1/tasks/{task_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def site(settings: Settings, content: Path) -> tuple[Settings, Path]:
    """The demo tree (with a typo planted in the Turkish energy-security) scanned, the
    people added, then the demo's English edit scanned: tr and ru energy-security are stale
    with an `update` task each, grain-corridor ru and digital-public-services tr missing."""
    replace_in(content / ENERGY_TR, FIXED, TYPO)
    scan(settings, content)
    add_people(settings)
    demo_edit(content)
    scan(settings, content)
    return settings, content


# -- 3. a symlinked translation -----------------------------------------------------------


@pytest.mark.parametrize("when", ["after_scan", "before_scan"])
def test_symlinked_translation_is_never_written_through(
    settings: Settings, content: Path, when: str
) -> None:
    """`ru/posts/x.md` is a symlink to the English source: the submission writes nothing
    (the English bytes stay), the task is in conflict, no scan records Russian text as
    English, and `resolve --keep submitted` puts a regular file in the symlink's place."""
    en, ru = content / GRAIN_EN, content / GRAIN_RU
    if when == "before_scan":  # scanned as the ru version; an English edit makes it stale
        os.symlink("../../en/posts/grain-corridor.md", ru)
        scan(settings, content)
        add_people(settings)
        replace_in(en, "Flexibility has a price.", "Flexibility has a steep price.")
        scan(settings, content)
        translation = content.parent / "grain-corridor.ru.md"
        translation.write_text(
            (TRANSLATIONS / "grain-corridor.ru.md").read_text(encoding="utf-8"), encoding="utf-8"
        )
    else:  # the symlink appears after the scan that planned the task
        scan(settings, content)
        add_people(settings)
        translation = TRANSLATIONS / "grain-corridor.ru.md"
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    if when == "after_scan":
        os.symlink("../../en/posts/grain-corridor.md", ru)
    english = en.read_bytes()
    en_revision = cell(settings, "grain-corridor", "en")["revision"]
    files = tree_snapshot(content)

    out = run(settings, "submit", str(task_id), "--as", "ivan", str(translation), code=2)
    assert "conflict" in out and "symlink" in out, out
    assert en.read_bytes() == english and ru.is_symlink()
    assert tree_snapshot(content) == files
    detail = in_conflict_everywhere(settings, task_id, "symlink")
    assert detail["submitted"]["body"].strip() == submitted_body(translation)

    # the next scan records nothing Russian as English, and leaves the conflict alone
    scan(settings, content)
    assert cell(settings, "grain-corridor", "en")["revision"] == en_revision
    for rev in revisions(settings, "grain-corridor", "en"):
        assert not CYRILLIC & set(rev["title"] + rev["body"]), rev["number"]
    assert task_row(settings, task_id).state == "conflict"

    out = run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert "done" in out
    assert en.read_bytes() == english
    assert not ru.is_symlink() and ru.is_file()
    assert "Чтобы зерно не останавливалось" in ru.read_text(encoding="utf-8")
    assert task_row(settings, task_id).state == "done"
    assert cell(settings, "grain-corridor", "ru")["state"] == "current"
    before = db_snapshot(settings)
    report = scan(settings, content)
    assert report.new_revisions == 0 and not report.problems
    assert db_snapshot(settings) == before
    assert "keep=submitted" in run(settings, "log", "grain-corridor")


def test_translation_folder_symlinked_to_the_source_folder(
    settings: Settings, content: Path
) -> None:
    """`ru/posts` is a symlink to `en/posts`: writing `ru/posts/grain-corridor.md` would
    write the English source. Nothing is written on submission, and resolving in favour of
    the submission must not write through the folder symlink either."""
    shutil.rmtree(content / "ru/posts")
    os.symlink("../en/posts", content / "ru/posts")
    scan(settings, content)
    add_people(settings)
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    english = {p.name: p.read_bytes() for p in (content / "en/posts").iterdir()}

    run(
        settings,
        "submit",
        str(task_id),
        "--as",
        "ivan",
        str(TRANSLATIONS / "grain-corridor.ru.md"),
        code=2,
    )
    assert {p.name: p.read_bytes() for p in (content / "en/posts").iterdir()} == english
    assert task_row(settings, task_id).state == "conflict"
    wrong = []
    # the English file must not be recorded as the Russian version
    recorded_as_ru = [
        r
        for r in revisions(settings, "grain-corridor", "ru")
        if r["origin"] == GRAIN_RU and not r["deleted"]
    ]
    if recorded_as_ru:
        wrong.append(
            f"the English source was recorded as the ru version at {GRAIN_RU} "
            f"(title {recorded_as_ru[-1]['title']!r})"
        )

    got, out, err = transync(
        settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR
    )
    assert "Traceback" not in out + err
    if {p.name: p.read_bytes() for p in (content / "en/posts").iterdir()} != english:
        wrong.append(
            f"resolve --keep submitted (exit {got}: {(out + err).strip()}) wrote the "
            "Russian submission over en/posts/grain-corridor.md through the folder "
            "symlink ru/posts -> ../en/posts"
        )
    assert not wrong, "; ".join(wrong)


# -- 4. a hand edit, a file that appeared, a file that went away --------------------------


def hand_edit_conflict(settings: Settings, content: Path) -> tuple[int, bytes, Path]:
    """ayse's tr task is submitted after an editor fixed a typo in the tr file, with no
    scan in between: nothing is written, the task is in conflict, both texts are kept."""
    task_id = assign(settings, "energy-security", "tr", "ayse")
    target = content / ENERGY_TR
    revs_before = revisions(settings, "energy-security", "tr")
    replace_in(target, TYPO, FIXED)  # the editor's hand edit
    edited = target.read_bytes()
    translation = TRANSLATIONS / "energy-security.tr.md"

    out = run(settings, "submit", str(task_id), "--as", "ayse", str(translation), code=2)
    assert "changed on disk" in out and "resolve" in out, out
    assert target.read_bytes() == edited  # nothing written
    detail = in_conflict_everywhere(settings, task_id, "changed")
    assert detail["submitted"]["body"].strip() == submitted_body(translation)
    assert task_row(settings, task_id).submission["body"].strip() == submitted_body(translation)

    # the hand edit is a revision in the database, recorded before anything else
    revs = revisions(settings, "energy-security", "tr")
    assert len(revs) == len(revs_before) + 1
    assert FIXED in revs[-1]["body"] and TYPO not in revs[-1]["body"]
    assert revs[-1]["raw_hash"] == sha(edited)
    assert TYPO in revs_before[-1]["body"]

    # a scan now sees the file as recorded and leaves the conflict to the editor
    before = db_snapshot(settings)
    report = scan(settings, content)
    assert report.new_revisions == 0 and not report.problems
    assert db_snapshot(settings)["tasks"] == before["tasks"]
    assert task_row(settings, task_id).state == "conflict"
    return task_id, edited, translation


def test_hand_edit_then_keep_submitted(site: tuple[Settings, Path]) -> None:
    settings, content = site
    task_id, edited, translation = hand_edit_conflict(settings, content)
    target = content / ENERGY_TR

    out = run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert "done" in out and "current" in out, out
    written = target.read_text(encoding="utf-8")
    assert submitted_body(translation) in written  # the file holds the submission
    assert "Sakarya sahası 2026'da" in written
    assert task_row(settings, task_id).state == "done"
    assert cell(settings, "energy-security", "tr")["state"] == "current"
    # the hand-edited text is still a revision in the database
    bodies = [r["body"] for r in revisions(settings, "energy-security", "tr")]
    assert any(FIXED in b and "Sakarya sahası ilk gazını" in b for b in bodies), bodies
    log = run(settings, "log", "energy-security")
    assert "resolve" in log and "keep=submitted" in log and "state=conflict" in log, log
    # and the next scan agrees with what was written
    before = db_snapshot(settings)
    assert scan(settings, content).new_revisions == 0
    assert db_snapshot(settings) == before


def test_hand_edit_then_keep_disk(site: tuple[Settings, Path]) -> None:
    settings, content = site
    task_id, edited, translation = hand_edit_conflict(settings, content)
    target = content / ENERGY_TR
    source_revision = task_row(settings, task_id).source_revision

    out = run(settings, "resolve", str(task_id), "--keep", "disk", "--as", EDITOR)
    assert "cancelled" in out, out
    assert target.read_bytes() == edited  # untouched
    row = task_row(settings, task_id)
    assert row.state == "cancelled"
    assert row.submission["body"].strip() == submitted_body(translation)  # still kept in the task
    log = run(settings, "log", "energy-security")
    assert "resolve" in log and "keep=disk" in log, log

    # nothing is planned again for that source revision, however often it is scanned
    scan(settings, content)
    scan(settings, content)
    with transaction(settings.database_url) as s:
        again = s.execute(
            select(Task.id, Task.state).where(
                Task.lang == "tr",
                Task.source_revision == source_revision,
                Task.id != task_id,
                Task.post_id == row.post_id,
            )
        ).all()
    assert again == []
    assert open_task(settings, "energy-security", "tr") is None
    assert target.read_bytes() == edited


def test_a_second_hand_edit_before_resolving_is_recorded_too(site: tuple[Settings, Path]) -> None:
    """After the conflict the editor edits the file again; resolving in favour of the
    submission records that second edit as a revision before writing over it."""
    settings, content = site
    task_id, _, translation = hand_edit_conflict(settings, content)
    target = content / ENERGY_TR
    replace_in(target, "Üç baskı noktası", "Üç kritik baskı noktası")
    run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert submitted_body(translation) in target.read_text(encoding="utf-8")
    bodies = [r["body"] for r in revisions(settings, "energy-security", "tr")]
    assert any("Üç kritik baskı noktası" in b for b in bodies), "the second edit was lost"
    assert any(FIXED in b and "Üç baskı noktası" in b for b in bodies), "the first edit was lost"


def test_hand_edit_scanned_while_claimed_is_a_conflict(site: tuple[Settings, Path]) -> None:
    """The editor fixes the tr file after ayse claimed the task, and the scheduled scan
    records the edit: the file is then what the last scan recorded, but ayse translated the
    text before it. Her submission writes nothing (the task is in conflict, both texts kept);
    resolving in her favour writes it, the edit staying a revision."""
    settings, content = site
    task_id = assign(settings, "energy-security", "tr", "ayse")
    target = content / ENERGY_TR
    replace_in(target, TYPO, FIXED)
    assert scan(settings, content).new_revisions == 1  # the scan saw the hand edit
    edited = target.read_bytes()
    translation = TRANSLATIONS / "energy-security.tr.md"

    out = run(settings, "submit", str(task_id), "--as", "ayse", str(translation), code=2)
    assert "edited after the task was claimed" in out and "resolve" in out, out
    assert target.read_bytes() == edited
    detail = in_conflict_everywhere(settings, task_id, "edited")
    assert detail["submitted"]["body"].strip() == submitted_body(translation)

    run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert submitted_body(translation) in target.read_text(encoding="utf-8")
    assert task_row(settings, task_id).state == "done"
    bodies = [r["body"] for r in revisions(settings, "energy-security", "tr")]
    assert any(FIXED in b for b in bodies), "the hand edit was lost"


def test_a_scan_that_finds_the_translation_unchanged_is_no_conflict(
    site: tuple[Settings, Path],
) -> None:
    """Scans while a task is claimed that record nothing new for its translation (the
    source's own edit included) leave the submission free to be written."""
    settings, content = site
    task_id = assign(settings, "energy-security", "tr", "ayse")
    replace_in(content / GRAIN_EN, "Flexibility has a price.", "Flexibility has a steep price.")
    scan(settings, content)
    out = run(
        settings,
        "submit",
        str(task_id),
        "--as",
        "ayse",
        str(TRANSLATIONS / "energy-security.tr.md"),
    )
    assert "done" in out, out
    assert task_row(settings, task_id).state == "done"


def test_file_appeared_where_no_translation_was_recorded(site: tuple[Settings, Path]) -> None:
    settings, content = site
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    target = content / GRAIN_RU
    assert cell(settings, "grain-corridor", "ru")["state"] == "missing"
    hand = (
        "---\ntitle: Зерновой коридор (черновик редактора)\ntranslationKey: grain-corridor\n"
        "---\n\nЧерновик, написанный вручную.\n"
    )
    target.write_text(hand, encoding="utf-8")
    translation = TRANSLATIONS / "grain-corridor.ru.md"

    out = run(settings, "submit", str(task_id), "--as", "ivan", str(translation), code=2)
    assert "appeared" in out, out
    assert target.read_text(encoding="utf-8") == hand
    in_conflict_everywhere(settings, task_id, "appeared")
    (rev,) = revisions(settings, "grain-corridor", "ru")  # what appeared is recorded
    assert "Черновик, написанный вручную." in rev["body"]
    assert rev["raw_hash"] == sha(hand.encode())

    run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert "Чтобы зерно не останавливалось" in target.read_text(encoding="utf-8")
    bodies = [r["body"] for r in revisions(settings, "grain-corridor", "ru")]
    assert len(bodies) == 2 and "Черновик, написанный вручную." in bodies[0]


def test_recorded_file_deleted_before_write_back(site: tuple[Settings, Path]) -> None:
    settings, content = site
    task_id = assign(settings, "energy-security", "ru", "ivan")
    target = content / ENERGY_RU
    target.unlink()
    files = tree_snapshot(content)
    translation = TRANSLATIONS / "energy-security.ru.md"

    out = run(settings, "submit", str(task_id), "--as", "ivan", str(translation), code=2)
    assert "deleted" in out, out
    assert not target.exists() and tree_snapshot(content) == files
    in_conflict_everywhere(settings, task_id, "deleted")

    # a scan records the deletion and leaves the conflict (and its text) alone
    scan(settings, content)
    assert cell(settings, "energy-security", "ru")["state"] == "missing"
    row = task_row(settings, task_id)
    assert row.state == "conflict" and row.submission["body"].strip() == submitted_body(translation)
    assert open_task(settings, "energy-security", "ru") is None

    run(settings, "resolve", str(task_id), "--keep", "disk", "--as", EDITOR)
    assert not target.exists()
    scan(settings, content)
    assert open_task(settings, "energy-security", "ru") is None  # not planned again
    assert task_row(settings, task_id).state == "cancelled"


# -- 5. review mode: a translation that changes on disk while the submission waits -------


@pytest.mark.parametrize("what", ["translation", "stub", "no_scan"])
def test_review_translation_appears_before_approval(db_url: str, content: Path, what: str) -> None:
    settings = make_settings(db_url, review=True)
    scan(settings, content)
    add_people(settings)
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    translation = TRANSLATIONS / "grain-corridor.ru.md"
    out = run(settings, "submit", str(task_id), "--as", "ivan", str(translation))
    assert "submitted" in out, out
    target = content / GRAIN_RU
    if what == "stub":
        appeared = (
            "---\ntitle: Grain corridor\ntranslationKey: grain-corridor\n"
            "untranslated: true\n---\n\nПеревод скоро будет.\n"
        )
    else:
        appeared = (
            "---\ntitle: Зерновой коридор\ntranslationKey: grain-corridor\n---\n\n"
            "Другой перевод, сделанный вне transync.\n"
        )
    target.write_text(appeared, encoding="utf-8")

    refusal = None
    if what == "no_scan":  # the approval's own write-back finds the file
        out = run(settings, "approve", str(task_id), "--as", EDITOR, code=2)
        assert "conflict" in out and "appeared" in out, out
    else:
        scan(settings, content)
        assert task_row(settings, task_id).state == "conflict", (
            f"a {what} that appeared while the submission waited left the task "
            f"{task_row(settings, task_id).state}"
        )
        got, out, err = transync(settings, "approve", str(task_id), "--as", EDITOR)
        assert got == 1 and "Traceback" not in out + err, (got, out, err)
        assert "conflict" in err, err
        refusal = err
    assert target.read_text(encoding="utf-8") == appeared
    row = task_row(settings, task_id)
    assert row.state == "conflict", row.state
    assert row.submission["body"].strip() == submitted_body(translation)
    detail = run_json(settings, "task", str(task_id))
    assert detail["submitted"]["body"].strip() == submitted_body(translation)
    assert all(
        t["state"] != "cancelled"
        for t in run_json(settings, "tasks")["tasks"]
        if t["post"] == "grain-corridor"
    )

    out = run(settings, "resolve", str(task_id), "--keep", "submitted", "--as", EDITOR)
    assert "done" in out, out
    written = target.read_text(encoding="utf-8")
    assert "Чтобы зерно не останавливалось" in written and "untranslated" not in written
    assert cell(settings, "grain-corridor", "ru")["state"] == "current"
    bodies = [r["body"] for r in revisions(settings, "grain-corridor", "ru")]
    assert any(("Другой перевод" in b) or ("Перевод скоро будет" in b) for b in bodies), bodies
    if refusal is not None:  # an error says what to do next (STYLE.md): resolve the conflict
        assert "resolve" in refusal, f"approve's refusal does not say what to do: {refusal}"


# -- 8. approve prints the state it left ----------------------------------------------------


@pytest.mark.parametrize("moved_on", [False, True], ids=["current", "stale"])
def test_approve_prints_the_state_it_left(db_url: str, content: Path, moved_on: bool) -> None:
    settings = make_settings(db_url, review=True)
    scan(settings, content)
    add_people(settings)
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    run(
        settings, "submit", str(task_id), "--as", "ivan", str(TRANSLATIONS / "grain-corridor.ru.md")
    )
    if moved_on:  # the source changes while the submission waits for review
        replace_in(content / GRAIN_EN, "Flexibility has a price.", "Flexibility has a steep price.")
        scan(settings, content)
    out = run(settings, "approve", str(task_id), "--as", EDITOR)
    expected = "stale" if moved_on else "current"
    assert f"task #{task_id}: done" in out and f"translation {expected}" in out, out
    assert cell(settings, "grain-corridor", "ru")["state"] == expected
    assert task_row(settings, task_id).state == "done"
    if moved_on:  # the next round is planned at once, at the new source revision
        follow = open_task(settings, "grain-corridor", "ru")
        assert follow is not None and follow["source_revision"] == 2


def test_approve_json_names_the_state(db_url: str, content: Path) -> None:
    settings = make_settings(db_url, review=True)
    scan(settings, content)
    add_people(settings)
    task_id = assign(settings, "grain-corridor", "ru", "ivan")
    run(
        settings, "submit", str(task_id), "--as", "ivan", str(TRANSLATIONS / "grain-corridor.ru.md")
    )
    result = run_json(settings, "approve", str(task_id), "--as", EDITOR)
    assert result == {"task": task_id, "state": "done", "applied": True, "translation": "current"}
