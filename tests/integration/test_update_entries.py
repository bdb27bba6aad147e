"""An update task submitted with only the entries that changed, on SQLite and PostgreSQL:
what a translator keeps of `transync po` with `msgattrib --only-fuzzy` (or of the XLIFF,
the units that need review). The segments it leaves out, whose source did not change,
keep their current translation; one it gives empty or fuzzy is still taken back."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import polib
import pytest

from sync.config import Settings
from sync.db.session import transaction
from sync.errors import SubmissionError
from sync.interchange.inline import align, codes_of, render
from sync.interchange.tasks import submit_xliff, task_file
from sync.interchange.xliff import write_xliff
from sync.people import add_user
from sync.pofiles import submit_po, task_po
from sync.queue import claim
from sync.scanning import run_scan
from tests.conftest import make_settings

ENERGY = "posts/energy-security.md"
OLD = "Offshore gas is the region's biggest new asset."
NEW = "Offshore gas is now the region's biggest asset."
OLD_TR = "Açık deniz gazı, bölgenin en büyük yeni varlığı."
NEW_TR = "Açık deniz gazı artık bölgenin en büyük varlığı."


@pytest.fixture
def update(db_url: str, content: Path) -> tuple[Settings, Path, int]:
    """The demo scanned, a sentence of energy-security's English source edited and scanned
    again; its Turkish update task claimed by ayse."""
    settings = make_settings(db_url)
    run_scan(settings, [str(content)])
    source = content / "en" / ENERGY
    text = source.read_text(encoding="utf-8")
    assert OLD in text
    source.write_text(text.replace(OLD, NEW, 1), encoding="utf-8")
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        add_user(s, settings, "ayse", role="translator", langs=["tr"])
        got = claim(s, settings, "ayse", "tr")
        assert got is not None
        while got is not None and got[1] != "energy-security":  # the queue's first is another
            got = claim(s, settings, "ayse", "tr")
        assert got is not None and got[0].kind == "update"
        return settings, content, got[0].id


def only_fuzzy(settings: Settings, task_id: int) -> polib.POFile:
    """`transync po`, then `msgattrib --only-fuzzy`: the changed entries only."""
    with transaction(settings.database_url) as s:
        po = polib.pofile(task_po(s, settings, task_id).decode("utf-8"))
    kept = [e for e in po if "fuzzy" in e.flags]
    assert 0 < len(kept) < len(po)
    for e in list(po):
        if e not in kept:
            po.remove(e)
    return po


def translated(po: polib.POFile) -> bytes:
    """Each entry translated (the old sentence's translation replaced) and its fuzzy flag
    cleared, as Poedit saves it."""
    for e in po:
        assert OLD_TR in e.msgstr
        e.msgstr = e.msgstr.replace(OLD_TR, NEW_TR)
        e.flags.remove("fuzzy")
        e.previous_msgid = None
    return str(po).encode("utf-8")


def submit(settings: Settings, task_id: int, data: bytes, **kw: Any) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return submit_po(s, settings, task_id, "ayse", "f.po", data, **kw)


def written(content: Path) -> str:
    return (content / "tr" / ENERGY).read_text(encoding="utf-8")


def test_a_po_of_only_the_changed_entries_is_submitted(
    update: tuple[Settings, Path, int],
) -> None:
    settings, content, task_id = update
    before = written(content)
    result = submit(settings, task_id, translated(only_fuzzy(settings, task_id)))
    assert (result["state"], result["applied"]) == ("done", True), result
    # the changed sentence is new, every other line is the translation as it was (and the
    # front matter records the source it now translates)
    after = [line for line in written(content).splitlines() if not line.startswith("source_")]
    assert after == before.replace(OLD_TR, NEW_TR).splitlines()


def test_an_unchanged_entry_given_empty_or_fuzzy_is_still_taken_back(
    update: tuple[Settings, Path, int],
) -> None:
    settings, content, task_id = update
    before = written(content)
    with transaction(settings.database_url) as s:
        full = polib.pofile(task_po(s, settings, task_id).decode("utf-8"))
    po = only_fuzzy(settings, task_id)
    translated(po)
    title = next(e for e in full if "segment 0:" in e.comment)
    title.flags.append("fuzzy")  # the translator means to look at it again
    po.append(title)
    data = str(po).encode("utf-8")
    with pytest.raises(SubmissionError, match=r"1 of \d+ segments is still untranslated"):
        submit(settings, task_id, data)
    # saved as progress: the title waits, everything else counts as translated
    saved = submit(settings, task_id, data, partial=True)
    assert saved["state"] == "claimed"
    assert saved["translated"] == saved["segments"] - 1
    assert written(content) == before
    # the title's translation given back, nothing else: the task is done
    title.flags.remove("fuzzy")
    alone = polib.POFile()
    alone.metadata = full.metadata
    alone.append(title)
    result = submit(settings, task_id, str(alone).encode("utf-8"))
    assert result["state"] == "done", result
    assert OLD_TR not in written(content) and NEW_TR in written(content)


def test_a_partial_save_of_the_changed_entries_counts_the_unchanged_ones(
    update: tuple[Settings, Path, int],
) -> None:
    """A --partial save of the changed entries, one still fuzzy: the count says one is
    left; the claim is kept; submitting that one entry then finishes the task."""
    settings, content, task_id = update
    po = only_fuzzy(settings, task_id)
    saved = submit(settings, task_id, str(po).encode("utf-8"), partial=True)
    assert saved["state"] == "claimed"
    assert saved["translated"] == saved["segments"] - len(po)
    result = submit(settings, task_id, translated(po))
    assert result["state"] == "done", result
    assert NEW_TR in written(content)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_an_xliff_of_only_the_changed_units_is_submitted(
    update: tuple[Settings, Path, int], version: str
) -> None:
    settings, content, task_id = update
    with transaction(settings.database_url) as s:
        tf = task_file(s, settings, task_id)
    changed = [u for u in tf.units if u.review]
    assert len(changed) == 1 and len(tf.units) > 1
    (unit,) = changed
    assert unit.target is not None
    target = align(render(unit.target).replace(OLD_TR, NEW_TR), codes_of(unit.source))
    under_review = write_xliff(
        dataclasses.replace(tf, units=[dataclasses.replace(unit, target=target)]), version
    )
    with pytest.raises(SubmissionError, match=rf"^f.xlf: 1 of {len(tf.units)} segments are not"):
        with transaction(settings.database_url) as s:
            submit_xliff(s, settings, task_id, "ayse", "f.xlf", under_review)
    data = write_xliff(
        dataclasses.replace(tf, units=[dataclasses.replace(unit, target=target, review=False)]),
        version,
    )
    with transaction(settings.database_url) as s:
        result = submit_xliff(s, settings, task_id, "ayse", "f.xlf", data)
    assert (result["state"], result["applied"]) == ("done", True), result
    assert NEW_TR in written(content) and OLD_TR not in written(content)
