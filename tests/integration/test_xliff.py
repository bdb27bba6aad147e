"""A task as XLIFF 1.2 and 2.0 and back, on SQLite and PostgreSQL: the written-back file is
the one a PO round trip of the same translation writes; inline codes moved, dropped or
repeated are refused with the unit and line; files as CAT tools leave them are accepted;
translate-toolkit reads what transync writes, and what it makes of transync's PO comes
back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from lxml import etree

from sync.config import Settings
from sync.db.migrate import upgrade
from sync.db.models import Task
from sync.db.session import transaction
from sync.errors import InputError, SubmissionError
from sync.interchange.tasks import import_xliff, submit_xliff, task_xliff
from sync.interchange.xliff import XLIFF12, XLIFF20, read_xliff
from sync.people import add_user
from sync.pofiles import submit_po, task_po
from sync.queue import claim
from sync.scanning import run_scan
from tests.conftest import DATA, make_settings
from tests.helpers.interchange import (
    cat_tool_resave,
    filled_xliff,
    target_of,
    translation_texts,
    units,
)

FIXTURE = DATA / "xliff"
TRANSLATION = FIXTURE / "translations/ports.tr.md"
WRITTEN = Path("tr/posts/ports.md")
BIN = Path(sys.executable).parent
TOOLKIT = shutil.which("po2xliff", path=str(BIN)) or shutil.which("po2xliff")


def world(url: str, tmp: Path) -> tuple[Settings, Path, int]:
    """The fixture post scanned into a database, its Turkish task claimed by ayse."""
    content = tmp / "content"
    shutil.copytree(FIXTURE / "content", content)
    settings = make_settings(url, languages=("en", "tr"))
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        add_user(s, settings, "ayse", role="translator", langs=["tr"])
        got = claim(s, settings, "ayse", "tr")
        assert got is not None
        return settings, content, got[0].id


@pytest.fixture
def xl(db_url: str, tmp_path: Path) -> tuple[Settings, Path, int]:
    return world(db_url, tmp_path / "xliff")


@pytest.fixture
def po_world(tmp_path: Path) -> Path:
    """The same translation submitted as a PO file, in a database of its own: the tree."""
    url = f"sqlite:///{tmp_path / 'po.db'}"
    upgrade(url)
    settings, content, task_id = world(url, tmp_path / "po")
    with transaction(settings.database_url) as s:
        po = polib.pofile(task_po(s, settings, task_id).decode("utf-8"))
    for entry, text in zip(po, translation_texts(TRANSLATION), strict=True):
        entry.msgstr = text
    with transaction(settings.database_url) as s:
        result = submit_po(s, settings, task_id, "ayse", "ports.po", str(po).encode("utf-8"))
    assert result["state"] == "done", result
    return content


def submit(
    settings: Settings, task_id: int, data: bytes, name: str = "ports.xlf", **kw: Any
) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return submit_xliff(s, settings, task_id, "ayse", name, data, **kw)


def refused(settings: Settings, task_id: int, data: bytes, **kw: Any) -> list[str]:
    with pytest.raises(SubmissionError) as info:
        submit(settings, task_id, data, **kw)
    with transaction(settings.database_url) as s:
        task = s.get(Task, task_id)
        assert task is not None and task.state == "claimed" and not task.progress
    return info.value.problems


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_xliff_round_trip_writes_what_a_po_round_trip_writes(
    xl: tuple[Settings, Path, int], po_world: Path, version: str
) -> None:
    settings, content, task_id = xl
    with transaction(settings.database_url) as s:
        blank = task_xliff(s, settings, task_id, version)
    doc = read_xliff(blank)
    assert doc.meta["X-Transync-Task"] == str(task_id) and doc.original == "ports-cables"
    assert (doc.source_lang, doc.target_lang) == ("en", "tr")
    # HTML, links, emphasis, footnotes, shortcodes, code spans and placeholders are codes
    tree = etree.fromstring(blank)
    names = ("g", "x") if version == "1.2" else ("pc", "ph")
    ns = XLIFF12 if version == "1.2" else XLIFF20
    inline = [e for e in tree.iter(*(f"{{{ns}}}{n}" for n in names))]
    assert len(inline) == 15, len(inline)  # 1 + 4 + 1 + 3 + 2 + 2 + 1 + 1 by segment
    raw = blank.decode()
    for original in ("[^1]", "`kubectl get pods`", "%d", "{name}", "{{&lt; note &gt;}}"):
        assert original in raw, original  # standalone codes show their original text
    if version == "1.2":  # a <g> says what it is; 2.0 shows a pair's original text
        assert 'ctype="x-html-kbd"' in raw and 'ctype="link"' in raw
    else:
        assert 'dispStart="&lt;kbd&gt;"' in raw and 'dispEnd="](/docs/ports/)"' in raw
    # the shortcode's text parameter is prose between the codes; its other parameter is not
    assert ">war-risk premium</" in raw
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION), version)
    result = submit(settings, task_id, filled)
    assert result["state"] == "done" and result["applied"], result
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def test_the_translated_link_keeps_its_language_prefix(xl: tuple[Settings, Path, int]) -> None:
    settings, content, task_id = xl
    data = filled_xliff(settings, task_id, translation_texts(TRANSLATION))
    assert b'ts:end="](/tr/docs/ports/)"' in data  # the target's own link target
    submit(settings, task_id, data)
    assert "[liman idaresine](/tr/docs/ports/)" in (content / WRITTEN).read_text()


def _unit_at(tree: etree._Element, position: int) -> etree._Element:
    return next(
        u
        for u in units(tree)
        if u.get("id", "").endswith(f"#{position}") or u.get("name", "").endswith(f"#{position}")
    )


def _edit_target(data: bytes, position: int, edit: Any) -> bytes:
    tree = etree.fromstring(data)
    edit(target_of(_unit_at(tree, position)))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _code(target: etree._Element, code_id: str) -> etree._Element:
    found = target.xpath(f".//*[@id='{code_id}']")
    assert found, code_id
    return found[0]


def _drop(element: etree._Element) -> None:
    """Remove an empty element (a standalone code), keeping its tail in place."""
    parent = element.getparent()
    assert len(element) == 0 and not element.text
    keep = element.tail or ""
    prev = element.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + keep
    else:
        parent.text = (parent.text or "") + keep
    parent.remove(element)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_inline_codes_moved_dropped_or_repeated_are_refused(
    xl: tuple[Settings, Path, int], version: str
) -> None:
    settings, content, task_id = xl
    good = filled_xliff(settings, task_id, translation_texts(TRANSLATION), version)
    unit_word = "unit 'ports-cables#" if version == "1.2" else "unit 's"

    # a footnote marker dropped (segment 1, code 4)
    problems = refused(settings, task_id, _edit_target(good, 1, lambda t: _drop(_code(t, "4"))))
    assert any("inline code 4 ([^1]) is missing" in p for p in problems), problems
    assert all(p.startswith("line ") and unit_word in p for p in problems), problems

    # a placeholder repeated (segment 5, code 2: {name})
    def repeat(t: etree._Element) -> None:
        code = _code(t, "2")
        twin = etree.fromstring(etree.tostring(code, with_tail=False))
        twin.tail = " "
        code.addnext(twin)

    problems = refused(settings, task_id, _edit_target(good, 5, repeat))
    assert any("inline code 2 ({name}) appears more than once" in p for p in problems)

    # the shortcode moved out of its paired code: segment 3's {{< /note >}} put first
    def move(t: etree._Element) -> None:
        closing = _code(t, "3")
        tail = closing.tail
        t.remove(closing)
        closing.tail = " "
        t.insert(0, closing)
        if tail:
            t[-1].tail = (t[-1].tail or "") + tail

    problems = refused(settings, task_id, _edit_target(good, 3, move))
    assert any("{{< /note >}} has no opening shortcode" in p for p in problems), problems

    # a code the source of this segment does not have
    def foreign(t: etree._Element) -> None:
        tag = "x" if version == "1.2" else "ph"
        ns = XLIFF12 if version == "1.2" else XLIFF20
        extra = etree.SubElement(t, f"{{{ns}}}{tag}", id="99")
        extra.tail = "!"

    problems = refused(settings, task_id, _edit_target(good, 0, foreign))
    assert any("inline code 99 is not in the source" in p for p in problems), problems

    # nothing was written by any of them
    assert not (content / WRITTEN).exists()
    assert submit(settings, task_id, good)["state"] == "done"


def test_a_pair_closed_before_it_opens_is_refused(xl: tuple[Settings, Path, int]) -> None:
    """With 1.2 <bx>/<ex> (or 2.0 <sc>/<ec>) a tool can put a pair's end first."""
    settings, _, task_id = xl
    good = filled_xliff(settings, task_id, translation_texts(TRANSLATION))

    def split(t: etree._Element) -> None:
        g = _code(t, "1")  # the title's *Sözleşmeler*
        ex = etree.Element(f"{{{XLIFF12}}}ex", rid="1", id="1e")
        bx = etree.Element(f"{{{XLIFF12}}}bx", rid="1", id="1b")
        ex.tail = g.text
        bx.tail = g.tail
        parent = g.getparent()
        index = parent.index(g)
        parent.remove(g)
        parent.insert(index, bx)
        parent.insert(index, ex)

    problems = refused(settings, task_id, _edit_target(good, 0, split))
    assert any("inline code 1 (*…*) is closed before it is opened" in p for p in problems)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_cat_tool_resaved_file_is_accepted(
    xl: tuple[Settings, Path, int], po_world: Path, version: str
) -> None:
    settings, content, task_id = xl
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION), version)
    resaved = cat_tool_resave(filled)
    assert resaved.startswith(b"\xef\xbb\xbf") and b"\r\n" in resaved
    with transaction(settings.database_url) as s:
        result = import_xliff(s, settings, "ayse", "ports.sdlxliff.xlf", resaved)
    assert result["state"] == "done"
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def test_states_are_honoured_like_fuzzy(xl: tuple[Settings, Path, int]) -> None:
    settings, content, task_id = xl
    texts = translation_texts(TRANSLATION)
    data = filled_xliff(settings, task_id, texts)
    review = _edit_target(data, 2, lambda t: t.set("state", "needs-review-translation"))
    with pytest.raises(SubmissionError, match="--accept-fuzzy"):
        submit(settings, task_id, review)
    partial = submit(settings, task_id, review, partial=True)
    assert partial["state"] == "claimed" and partial["translated"] == len(texts) - 1
    done = submit(settings, task_id, review, accept_fuzzy=True)
    assert done["state"] == "done"
    assert (content / WRITTEN).is_file()


# segment 2 in three sentences, as a CAT tool segments it (1.2 markup; 2.0 swaps the code)
SENTENCES = [
    "Insurers now price war risk per voyage,",
    'not per year: see the <g id="1" ctype="x-shortcode">war-risk premium</g>',
    "and the table below.",
]
CUMLELER = [
    "Sigortacılar savaş riskini artık yıllık değil",
    'sefer başına fiyatlıyor: <g id="1" ctype="x-shortcode">savaş riski primi</g>',
    "ve aşağıdaki tabloya bakın.",
]


def _pc(inner: str) -> str:
    return inner.replace(
        '<g id="1" ctype="x-shortcode">', '<pc id="1" dataRefStart="d1" dataRefEnd="d1e">'
    ).replace("</g>", "</pc>")


def _segmented12(data: bytes, targets: list[str | None]) -> bytes:
    """Segment 2 as memoQ, Okapi and Trados leave it: a <seg-source> with one
    <mrk mtype="seg"> a sentence, and a target with the mrks given (None: left out)."""
    tree = etree.fromstring(data)
    unit = _unit_at(tree, 2)

    def mrks(element: str, parts: list[str | None], attrs: str = "") -> etree._Element:
        inner = " ".join(
            f'<mrk mtype="seg" mid="{i}">{p}</mrk>' for i, p in enumerate(parts, 1) if p is not None
        )
        return etree.fromstring(f'<{element} xmlns="{XLIFF12}"{attrs}>{inner}</{element}>')

    unit.find(f"{{{XLIFF12}}}source").addnext(mrks("seg-source", list(SENTENCES)))
    unit.replace(target_of(unit), mrks("target", targets, ' state="translated"'))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _segmented20(data: bytes, segments: str) -> bytes:
    """Segment 2's unit with these <segment>s and <ignorable>s instead of its one segment."""
    tree = etree.fromstring(data)
    unit = _unit_at(tree, 2)
    for old in unit.findall(f"{{{XLIFF20}}}segment"):
        unit.remove(old)
    for new in etree.fromstring(f'<u xmlns="{XLIFF20}">{segments}</u>'):
        unit.append(new)
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def _segments20(targets: list[str | None]) -> str:
    """Three segments with these targets (None: no target, state initial), a space
    between them."""
    out = []
    for i, (source, target) in enumerate(zip(SENTENCES, targets, strict=True), 1):
        if i > 1:
            out.append('<ignorable><source xml:space="preserve"> </source></ignorable>')
        state = "initial" if target is None else "translated"
        tgt = "" if target is None else f"<target>{_pc(target)}</target>"
        out.append(
            f'<segment id="s{i}" state="{state}"><source>{_pc(source)}</source>{tgt}</segment>'
        )
    return "".join(out)


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_a_unit_with_a_sentence_untranslated_is_not_finished(
    xl: tuple[Settings, Path, int], po_world: Path, version: str
) -> None:
    """A unit a CAT tool split into sentences is translated when every sentence is: one
    left out or empty is named, and never published, whatever --accept-fuzzy says."""
    settings, content, task_id = xl
    texts = translation_texts(TRANSLATION)
    filled = filled_xliff(settings, task_id, texts, version)

    def segmented(targets: list[str | None]) -> bytes:
        if version == "1.2":
            return _segmented12(filled, targets)
        return _segmented20(filled, _segments20(targets))

    missing = 'mrk mid="3"' if version == "1.2" else 'segment id="s3"'
    left_out = [segmented([*CUMLELER[:2], third]) for third in (None, "")]
    for data in left_out:
        for kw in ({}, {"accept_fuzzy": True}):
            problems = refused(settings, task_id, data, **kw)
            assert len(problems) == 1 and missing in problems[0], problems
            assert "(segment 2)" in problems[0] and "--partial" in problems[0], problems
    for data in left_out:
        partial = submit(settings, task_id, data, partial=True, accept_fuzzy=True)
        assert partial["state"] == "claimed" and partial["translated"] == len(texts) - 1
        with transaction(settings.database_url) as s:
            task = s.get(Task, task_id)
            assert task is not None and "2" not in task.progress
    assert not (content / WRITTEN).exists()
    result = submit(settings, task_id, segmented(list(CUMLELER)))
    assert result["state"] == "done", result
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def _reordered20(first: str, third: str) -> str:
    """Segment 2's sentences with the first and third targets swapped by ``order``: the
    five places are three segments and the two spaces between them."""
    s1, s2, s3 = (_pc(t) for t in SENTENCES)
    space = '<ignorable><source xml:space="preserve"> </source></ignorable>'
    return (
        f'<segment id="s1" state="translated"><source>{s1}</source>'
        f"<target{first}>ve aşağıdaki tabloya bakın.</target></segment>{space}"
        f'<segment id="s2" state="translated"><source>{s2}</source>'
        f"<target>{_pc(CUMLELER[1])}</target></segment>{space}"
        f'<segment id="s3" state="translated"><source>{s3}</source>'
        f"<target{third}>Sigortacılar savaş riskini artık yıllık değil</target></segment>"
    )


def test_xliff_20_targets_go_where_their_order_says(
    xl: tuple[Settings, Path, int], po_world: Path
) -> None:
    """2.0 reorders sentences within a unit with <target order="N">: the first segment's
    translation may end the unit; a place out of range or taken twice is refused."""
    settings, content, task_id = xl
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION), "2.0")
    for first, third, problem in (
        (' order="6"', ' order="1"', '<target order="6"> is not a place in the unit'),
        (' order="0"', ' order="1"', '<target order="0"> is not a place in the unit'),
        (' order="5"', "", "two targets take place 5 of the unit"),
        (' order="5"', ' order="5"', "two targets take place 5 of the unit"),
    ):
        problems = refused(settings, task_id, _segmented20(filled, _reordered20(first, third)))
        assert len(problems) == 1 and problem in problems[0], (first, third, problems)
        assert "unit 's2'" in problems[0], problems
    result = submit(
        settings, task_id, _segmented20(filled, _reordered20(' order="5"', ' order="1"'))
    )
    assert result["state"] == "done", result
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def _pretty_printed(data: bytes, version: str, *, preserve: bool) -> bytes:
    """Every target indented on lines of its own, as a tool pretty-printing the file
    leaves it, with xml:space="preserve" kept or dropped (the default)."""
    tree = etree.fromstring(data)
    space = "{http://www.w3.org/XML/1998/namespace}space"
    for unit in units(tree):
        target = target_of(unit)
        if not preserve:
            (unit if version == "1.2" else target).attrib.pop(space, None)
        target.text = "\n      " + (target.text or "")
        if len(target):
            target[-1].tail = (target[-1].tail or "") + "\n    "
        else:
            target.text += "\n    "
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_layout_white_space_around_a_target_is_not_text(
    xl: tuple[Settings, Path, int], po_world: Path, version: str
) -> None:
    """Under xml:space="default" the line breaks and indentation a tool puts around a
    target are layout; under "preserve" they are the translation's, and refused."""
    settings, content, task_id = xl
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION), version)
    problems = refused(settings, task_id, _pretty_printed(filled, version, preserve=True))
    assert any("extra leading white space" in p for p in problems), problems
    result = submit(settings, task_id, _pretty_printed(filled, version, preserve=False))
    assert result["state"] == "done", result
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def test_wrong_task_language_or_post_is_refused(xl: tuple[Settings, Path, int]) -> None:
    settings, _, task_id = xl
    data = filled_xliff(settings, task_id, translation_texts(TRANSLATION))
    other = data.replace(b'target-language="tr"', b'target-language="ru"').replace(
        b">%d</prop>" % task_id, b">%d</prop>" % (task_id + 5)
    )
    problems = refused(settings, task_id, other)
    assert any("target language is 'ru'" in p for p in problems)
    assert any(f"is {task_id + 5}, not {task_id}" in p for p in problems)
    with pytest.raises(InputError, match="malformed XML"):
        submit(settings, task_id, data[:-40])


def test_suggestions_and_changed_segments_are_marked(settings: Settings, content: Path) -> None:
    """The demo's energy-security after an edit: the changed segment's old translation is
    there for review with the previous source as a note; memory suggestions are marked
    with their score, in both versions."""
    from sync.memory import learn_versions, prefill
    from sync.queue import list_tasks

    run_scan(settings, [str(content)])
    path = content / "en/posts/energy-security.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "Offshore gas is the region's biggest new asset.",
            "Offshore gas is now the region's biggest asset.",
        ),
        encoding="utf-8",
    )
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        learn_versions(s, settings, [])
        tasks = [t for t, k in list_tasks(s, lang="tr") if k == "energy-security"]
        prefill(s, settings, [t.id for t in tasks])
        task_id = tasks[0].id
        one = task_xliff(s, settings, task_id, "1.2").decode()
        two = task_xliff(s, settings, task_id, "2.0").decode()
    assert 'state="needs-review-translation"' in one
    assert "it was: Offshore gas is the region" in one
    assert 'state="translated"' in one
    assert '<segment id="s" state="initial">' in two and "it was: Offshore gas" in two


@pytest.mark.skipif(
    TOOLKIT is None, reason="translate-toolkit is not installed (pip install translate-toolkit)"
)
def test_translate_toolkit_reads_transync_xliff(
    xl: tuple[Settings, Path, int], tmp_path: Path
) -> None:
    """xliff2po reads both the blank and the filled file; pofilter runs on the result."""
    settings, _, task_id = xl
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION))
    src = tmp_path / "ports.xlf"
    src.write_bytes(filled)
    po = tmp_path / "ports.po"
    subprocess.run([str(BIN / "xliff2po"), str(src), str(po)], check=True, capture_output=True)
    catalog = polib.pofile(str(po))
    entries = [e for e in catalog if e.msgid]
    assert len(entries) == 8
    assert entries[0].msgid == "Ports, Cables and Contracts"  # codes are tags to it
    assert entries[0].msgstr == "Limanlar, Kablolar ve Sözleşmeler"
    # pofilter's checks run on the result: the filled file passes "untranslated", the
    # blank one fails it for every unit (pofilter writes only the units that fail)
    assert _pofilter(po, tmp_path / "filled-failures.po") == 0
    with transaction(settings.database_url) as s:
        src.write_bytes(task_xliff(s, settings, task_id, "1.2"))
    subprocess.run([str(BIN / "xliff2po"), str(src), str(po)], check=True, capture_output=True)
    assert _pofilter(po, tmp_path / "blank-failures.po") == 8


def _pofilter(po: Path, failures: Path) -> int:
    run = subprocess.run(
        [str(BIN / "pofilter"), "-t", "untranslated", str(po), str(failures)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    if not failures.exists():
        return 0
    return len([e for e in polib.pofile(str(failures)) if e.msgid])


@pytest.mark.skipif(TOOLKIT is None, reason="translate-toolkit is not installed")
def test_po2xliff_of_transync_po_is_accepted_with_its_context(
    xl: tuple[Settings, Path, int], po_world: Path, tmp_path: Path
) -> None:
    """po2xliff drops msgctxt; the task comes from the header unit it keeps, and each unit
    finds its segment by the "segment N" note and its source text."""
    settings, content, task_id = xl
    with transaction(settings.database_url) as s:
        po = polib.pofile(task_po(s, settings, task_id).decode("utf-8"))
    for entry, text in zip(po, translation_texts(TRANSLATION), strict=True):
        entry.msgstr = text
    (tmp_path / "ports.po").write_text(str(po), encoding="utf-8")
    subprocess.run(
        [str(BIN / "po2xliff"), str(tmp_path / "ports.po"), str(tmp_path / "ports.xlf")],
        check=True,
        capture_output=True,
    )
    data = (tmp_path / "ports.xlf").read_bytes()
    assert b"urn:oasis:names:tc:xliff:document:1.1" in data and b"msgctxt" not in data
    with transaction(settings.database_url) as s:
        result = import_xliff(s, settings, "ayse", "ports.xlf", data)
    assert result["state"] == "done"
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()


def test_cli_xliff_submit_and_import(xl: tuple[Settings, Path, int], tmp_path: Path) -> None:
    from tests.helpers.tracking import transync

    settings, content, task_id = xl
    out = tmp_path / "task.xlf"
    code, _, err = transync(
        settings, "xliff", str(task_id), "-o", str(out), "--xliff-version", "2.0"
    )
    assert code == 0, err
    assert read_xliff(out.read_bytes()).version == "2.0"
    filled = tmp_path / "filled.xliff"
    filled.write_bytes(filled_xliff(settings, task_id, translation_texts(TRANSLATION)))
    bad = tmp_path / "bad.xlf"
    bad.write_bytes(_edit_target(filled.read_bytes(), 1, lambda t: _drop(_code(t, "4"))))
    code, _, err = transync(settings, "import", str(bad), "--as", "ayse")
    assert code == 1 and "inline code 4 ([^1]) is missing" in err, err
    code, out_text, err = transync(
        settings, "submit", str(task_id), str(filled), "--as", "ayse", "--json"
    )
    assert code == 0, err
    assert '"state": "done"' in out_text or '"state":"done"' in out_text
    assert (content / WRITTEN).is_file()


def test_cli_submit_knows_xliff_by_its_content(
    xl: tuple[Settings, Path, int], tmp_path: Path
) -> None:
    """Trados saves .sdlxliff, memoQ .mqxliff, other tools .xml: each is XLIFF to submit,
    as it is to import, not Markdown without front matter."""
    from tests.helpers.tracking import transync

    settings, content, task_id = xl
    texts = translation_texts(TRANSLATION)
    half = filled_xliff(settings, task_id, dict(enumerate(texts[:4])))
    for name in ("task.xml", "task.mqxliff"):
        (tmp_path / name).write_bytes(half)
        code, out_text, err = transync(
            settings, "submit", str(task_id), str(tmp_path / name), "--as", "ayse", "--partial"
        )
        assert code == 0 and f"task #{task_id}: claimed" in out_text, (name, out_text, err)
    whole = tmp_path / "task.sdlxliff"
    whole.write_bytes(cat_tool_resave(filled_xliff(settings, task_id, texts)))
    code, out_text, err = transync(settings, "submit", str(task_id), str(whole), "--as", "ayse")
    assert code == 0 and f"task #{task_id}: done" in out_text, (out_text, err)
    assert (content / WRITTEN).is_file()


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_units_renumbered_without_names_are_found_by_their_source(
    xl: tuple[Settings, Path, int], po_world: Path, version: str
) -> None:
    """A tool that renumbers the units and drops resname (2.0: name) and the notes leaves
    only the source to find a unit's segment by, codes or none."""
    settings, content, task_id = xl
    filled = filled_xliff(settings, task_id, translation_texts(TRANSLATION), version)
    tree = etree.fromstring(filled)
    for n, unit in enumerate(reversed(units(tree)), 1):
        unit.set("id", str(n))
        unit.attrib.pop("resname" if version == "1.2" else "name")
        for note in unit.findall(f"{{{XLIFF12}}}note") + unit.findall(f"{{{XLIFF20}}}notes"):
            unit.remove(note)
    renumbered = etree.tostring(tree, xml_declaration=True, encoding="UTF-8")
    assert b"#" not in renumbered.split(b"<body>" if version == "1.2" else b"<unit", 1)[1]
    result = submit(settings, task_id, renumbered)
    assert result["state"] == "done", result
    assert (content / WRITTEN).read_bytes() == (po_world / WRITTEN).read_bytes()
