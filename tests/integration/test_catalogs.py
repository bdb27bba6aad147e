"""Catalog export and the translator's PO round trip, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import polib
import pytest
from sqlalchemy import func, select

from sync.config import Settings
from sync.db.models import Event, Revision, Task, Version
from sync.db.session import transaction
from sync.errors import CatalogError, SubmissionError
from sync.export import export_catalogs, language_counts
from sync.frontmatter import parse_document
from sync.people import add_user
from sync.pofiles import import_po, submit_po, task_po
from sync.queue import claim
from sync.scanning import run_scan
from sync.segments import analyze_markdown
from tests.conftest import DATA, EXAMPLES, IN_CI
from tests.integration.test_tracker import EN, edit_paragraph

MSGFMT = shutil.which("msgfmt")


def msgfmt_statistics(po: Path) -> tuple[int, int, int]:
    if MSGFMT is None:
        if IN_CI:
            pytest.fail("msgfmt is missing: install gettext")
        pytest.skip("msgfmt is missing (apt-get install gettext)")
    proc = subprocess.run(
        [MSGFMT, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C"},
    )
    assert proc.returncode == 0, proc.stderr
    counts = {"translated": 0, "fuzzy": 0, "untranslated": 0}
    for n, kind in re.findall(r"(\d+) (translated|fuzzy|untranslated)", proc.stderr):
        counts[kind] = int(n)
    return counts["translated"], counts["fuzzy"], counts["untranslated"]


@pytest.fixture
def scanned(settings: Settings, content: Path, tmp_path: Path) -> Settings:
    run_scan(settings, [str(content)])
    return settings


def export(settings: Settings, out: Path, **kw: Any) -> dict[str, Any]:
    return export_catalogs(settings, directory=out, **kw)


def test_export_passes_msgfmt_and_agrees_with_tracker(scanned: Settings, tmp_path: Path) -> None:
    out = tmp_path / "locales"
    export(scanned, out)
    for lang in scanned.languages:
        po = out / lang / "LC_MESSAGES" / "posts.po"
        assert (out / lang / "LC_MESSAGES" / "posts.mo").is_file()
        tracker = language_counts(scanned, lang)
        assert msgfmt_statistics(po) == (tracker.translated, tracker.fuzzy, tracker.untranslated)
    tr = polib.pofile(str(out / "tr/LC_MESSAGES/posts.po"))
    assert tr.metadata["Language"] == "tr"
    assert tr.metadata["Plural-Forms"] == "nplurals=2; plural=(n != 1);"
    ru = polib.pofile(str(out / "ru/LC_MESSAGES/posts.po"))
    assert ru.metadata["Plural-Forms"].startswith("nplurals=3;")
    # a missing translation (grain-corridor in ru) is all untranslated
    grain = [e for e in ru if e.msgctxt == "grain-corridor"]
    assert grain and all(e.msgstr == "" for e in grain)
    assert grain[0].comment.startswith("state: missing; source: en r1")
    # the Turkish-source post appears in en and ru, not tr
    en = polib.pofile(str(out / "en/LC_MESSAGES/posts.po"))
    assert any(e.msgctxt == "regional-rail" for e in en)
    assert not any(e.msgctxt == "regional-rail" for e in tr)


def test_second_export_is_byte_identical_and_check_detects_change(
    scanned: Settings, content: Path, tmp_path: Path
) -> None:
    out = tmp_path / "locales"
    export(scanned, out)
    digest = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("posts.*")}
    result = export(scanned, out)
    assert not any(c["changed"] for c in result["catalogs"])
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("posts.*")} == digest
    assert export(scanned, out, check=True)["differing"] == []
    edit_paragraph(content / EN, "Offshore gas", "Offshore gas is the region's new story.")
    run_scan(scanned, [str(content)])
    differing = export(scanned, out, check=True)["differing"]
    assert sorted(Path(p).parts[-3] for p in differing) == ["ru", "tr"]
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("posts.*")} == digest


def test_stale_paragraph_is_fuzzy_with_previous_msgid(
    scanned: Settings, content: Path, tmp_path: Path
) -> None:
    en = content / EN
    old = next(
        p for p in en.read_text(encoding="utf-8").split("\n\n") if p.startswith("Offshore gas")
    )
    edit_paragraph(en, "Offshore gas", "Offshore gas is the region's new story.")
    run_scan(scanned, [str(content)])
    out = tmp_path / "locales"
    export(scanned, out)
    tr = polib.pofile(str(out / "tr/LC_MESSAGES/posts.po"))
    fuzzy = [e for e in tr if "fuzzy" in e.flags]
    assert len(fuzzy) == 1
    assert fuzzy[0].msgid == "Offshore gas is the region's new story."
    assert fuzzy[0].previous_msgid == " ".join(old.split())
    assert fuzzy[0].msgstr  # the translation of the old text
    title = next(e for e in tr if e.msgctxt == "energy-security")
    state = "state: stale; source: en r2; based on r1; changed 1, added 0, removed 0"
    assert state in title.comment
    tracker = language_counts(scanned, "tr")
    assert tracker.fuzzy == 1
    assert msgfmt_statistics(out / "tr/LC_MESSAGES/posts.po")[1] == 1


def test_a_translation_lined_up_by_a_guess_is_never_given_as_translated(
    settings: Settings, content: Path, tmp_path: Path
) -> None:
    """A current Turkish page whose translator merged the first two paragraphs: which
    source paragraph the merged one translates is a guess (it holds both), so neither is
    given as translated; the title, heading and footnote, as many on each side, still are."""
    tr = content / "tr/posts/urban-heat.md"
    text = tr.read_text(encoding="utf-8")
    tr.write_text(text.replace("olabiliyor.[^1]\n\nEn büyük", "olabiliyor.[^1] En büyük"))
    run_scan(settings, [str(content)])
    out = tmp_path / "locales"
    export(settings, out)
    po = out / "tr/LC_MESSAGES/posts.po"
    entries = [e for e in polib.pofile(str(po)) if e.msgctxt == "urban-heat"]
    state = "state: current; source: en r1; based on r1; lined up by a guess: 3 of 7"
    assert entries[0].comment == state
    translated = [e.msgid for e in entries if e.msgstr and "fuzzy" not in e.flags]
    assert translated == [
        "Cooler Cities: Adapting to Urban Heat",
        "Practical measures",
        next(e.msgid for e in entries if e.msgid.startswith("This effect")),
    ]
    merged = next(e for e in entries if e.msgid.startswith("Summer heat"))
    assert "fuzzy" in merged.flags and "En büyük risk" in merged.msgstr
    assert "lined up with this segment by a guess" in merged.comment
    tracker = language_counts(settings, "tr")
    assert msgfmt_statistics(po) == (tracker.translated, tracker.fuzzy, tracker.untranslated)


def fill_from(po_bytes: bytes, translation: Path) -> bytes:
    """A translator's PO editor: fill every entry from a finished translation file."""
    po = polib.pofile(po_bytes.decode("utf-8"))
    meta, body, _ = parse_document(translation.read_bytes(), origin=str(translation))
    texts = [s.text for s in analyze_markdown(meta["title"], body).segments]
    assert len(texts) == len(po)
    for entry, text in zip(po, texts, strict=True):
        entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    return str(po).encode("utf-8")


def claim_task(settings: Settings, name: str, lang: str) -> int:
    with transaction(settings.database_url) as s:
        add_user(s, settings, name, role="translator", langs=[lang])
        got = claim(s, settings, name, lang)
        assert got is not None
        return got[0].id


def test_po_round_trip_makes_translation_current(
    scanned: Settings, content: Path, tmp_path: Path
) -> None:
    task_id = claim_task(scanned, "ivan", "ru")  # grain-corridor, missing in ru
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    po = polib.pofile(data.decode("utf-8"))
    assert po.metadata["X-Transync-Task"] == str(task_id)
    assert po.metadata["Language"] == "ru"
    filled = fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md")
    with transaction(scanned.database_url) as s:
        result = submit_po(s, scanned, task_id, "ivan", "grain.po", filled)
    assert result["state"] == "done" and result["applied"]
    written = content / "ru/posts/grain-corridor.md"
    assert written.is_file()
    report = run_scan(scanned, [str(content)])
    assert report.new_revisions == 0 and report.unchanged == 20
    out = tmp_path / "locales"
    export(scanned, out)
    grain = [
        e
        for e in polib.pofile(str(out / "ru/LC_MESSAGES/posts.po"))
        if e.msgctxt == "grain-corridor"
    ]
    assert grain and all(e.msgstr and "fuzzy" not in e.flags for e in grain)
    assert grain[0].comment.startswith("state: current")


def test_a_segment_taken_back_is_not_published_from_an_earlier_save(
    scanned: Settings, content: Path
) -> None:
    """A first file saves every segment but one (--partial); the final file fills that one
    but leaves another empty and marks a third fuzzy: those two are unfinished, however the
    earlier save had them, so the submission is refused as untranslated and nothing is
    written."""
    task_id = claim_task(scanned, "ivan", "ru")
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    filled = polib.pofile(fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md").decode())
    first = polib.pofile(str(filled))
    first[0].msgstr = ""
    with transaction(scanned.database_url) as s:
        result = submit_po(s, scanned, task_id, "ivan", "a.po", str(first).encode(), partial=True)
    assert result["state"] == "claimed" and result["translated"] == len(filled) - 1

    final = polib.pofile(str(filled))
    final[1].msgstr = ""
    final[2].flags.append("fuzzy")
    before = snapshot(scanned, content)
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "b.po", str(final).encode())
    assert "2 of" in str(info.value) and "untranslated" in str(info.value), str(info.value)
    assert snapshot(scanned, content) == before
    # saved again as progress, the two are gone from it
    with transaction(scanned.database_url) as s:
        result = submit_po(s, scanned, task_id, "ivan", "b.po", str(final).encode(), partial=True)
    assert result["translated"] == len(filled) - 2


def test_msgcat_conflict_markers_are_never_a_translation(scanned: Settings, content: Path) -> None:
    """`msgcat mine.po theirs.po` writes both translations of an entry they disagree on,
    between #-#-#-#-# markers, marked fuzzy: refused by line even with --accept-fuzzy."""
    task_id = claim_task(scanned, "ivan", "ru")
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    po = polib.pofile(fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md").decode())
    entry = po[2]
    entry.msgstr = (
        "#-#-#-#-#  mine.po (transync-posts)  #-#-#-#-#\n"
        f"{entry.msgstr}\n#-#-#-#-#  theirs.po (transync-posts)  #-#-#-#-#\n{entry.msgstr}"
    )
    entry.flags.append("fuzzy")
    before = snapshot(scanned, content)
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "x.po", str(po).encode(), accept_fuzzy=True)
    problems = "\n".join(info.value.problems)
    assert "msgcat" in problems and "line" in problems, problems
    assert snapshot(scanned, content) == before


def test_refusals_name_the_line_and_the_cause(scanned: Settings, content: Path) -> None:
    """An edited msgid and a msgstr[0] on an entry that has no plural are refused at their
    line, each with its cause; a task header that is no number is refused by name."""
    task_id = claim_task(scanned, "ivan", "ru")
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    filled = fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md").decode()
    edited = polib.pofile(filled)
    edited[1].msgid = edited[1].msgid[:-1]
    plural = polib.pofile(filled)
    plural[2].msgstr_plural = {0: plural[2].msgstr}
    plural[2].msgstr = ""
    for po, needle in ((edited, "edited msgid"), (plural, "without msgid_plural")):
        with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
            submit_po(s, scanned, task_id, "ivan", "x.po", str(po).encode())
        problems = "\n".join(info.value.problems)
        assert needle in problems and "line " in problems, problems
    huge = filled.replace(f"X-Transync-Task: {task_id}", "X-Transync-Task: 99999999999999999999")
    assert huge != filled
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        import_po(s, scanned, "ivan", "x.po", huge.encode())
    assert "not a task number" in str(info.value)


def test_poedit_style_resave_is_accepted(scanned: Settings) -> None:
    task_id = claim_task(scanned, "ivan", "ru")
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    filled = fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md")
    po = polib.pofile(filled.decode("utf-8"), wrapwidth=40)
    entries = list(po)
    po[:] = list(reversed(entries))  # reordered
    po.metadata["X-Poedit-Basepath"] = "."
    po.metadata["Last-Translator"] = "Ivan <ivan@example.org>"
    po.append(
        polib.POEntry(msgctxt="grain-corridor", msgid="old text", msgstr="старое", obsolete=True)
    )
    resaved = b"\xef\xbb\xbf" + str(po).replace("\n", "\r\n").encode("utf-8")
    with transaction(scanned.database_url) as s:
        result = import_po(s, scanned, "ivan", "grain.po", resaved)
    assert result["state"] == "done"


def snapshot(settings: Settings, tree: Path) -> tuple[Any, ...]:
    with transaction(settings.database_url) as s:
        counts = tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Version, Revision, Event)
        )
        tasks = tuple(s.execute(select(Task.id, Task.state, Task.assignee).order_by(Task.id)))
    files = tuple(
        sorted((str(p), hashlib.sha256(p.read_bytes()).hexdigest()) for p in tree.rglob("*.md"))
    )
    return counts, tasks, files


@pytest.mark.parametrize("name", ["binary.po", "truncated.po", "not-a-po.po", "wrong-encoding.po"])
def test_broken_po_files_are_refused_and_change_nothing(
    scanned: Settings, content: Path, name: str
) -> None:
    task_id = claim_task(scanned, "ivan", "ru")
    before = snapshot(scanned, content)
    data = (DATA / "bad/po" / name).read_bytes()
    with pytest.raises(CatalogError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", name, data)
    assert name in str(info.value)
    assert snapshot(scanned, content) == before


def test_po_checks_wrong_language_oversize_and_placeholders(
    scanned: Settings, content: Path
) -> None:
    task_id = claim_task(scanned, "ivan", "ru")
    with transaction(scanned.database_url) as s:
        data = task_po(s, scanned, task_id)
    filled = fill_from(data, EXAMPLES / "translations/grain-corridor.ru.md")
    before = snapshot(scanned, content)

    wrong_lang = filled.replace(b"Language: ru", b"Language: tr")
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "x.po", wrong_lang)
    assert "Language" in str(info.value)

    po = polib.pofile(filled.decode("utf-8"))
    link = next(e for e in po if "](https://" in e.msgid)
    link.msgstr = re.sub(r"\]\(https?://[^)]*\)", "](https://evil.example/)", link.msgstr)
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "x.po", str(po).encode())
    problems = "\n".join(info.value.problems)
    assert "line" in problems and "evil.example" in problems or "https://www.fao.org/" in problems

    untranslated = polib.pofile(filled.decode("utf-8"))
    untranslated[3].msgstr = ""
    with pytest.raises(SubmissionError) as info, transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "x.po", str(untranslated).encode())
    assert "untranslated" in str(info.value)

    big = filled + b"#" * (scanned.max_upload_bytes + 1)
    with pytest.raises(CatalogError), transaction(scanned.database_url) as s:
        submit_po(s, scanned, task_id, "ivan", "big.po", big)
    assert snapshot(scanned, content) == before

    # --partial stores progress and keeps the claim
    with transaction(scanned.database_url) as s:
        result = submit_po(
            s, scanned, task_id, "ivan", "x.po", str(untranslated).encode(), partial=True
        )
    assert result["state"] == "claimed" and not result["applied"]
