"""Tests for sync.catalog: building, rendering (PO, MO), atomic writes and reading uploads."""

from __future__ import annotations

import codecs
import gettext
import io
import os
import re
import shutil
import stat
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.catalog import (
    CatalogEntry,
    build_catalog,
    count_entries,
    plural_forms,
    read_po,
    render_mo,
    render_po,
    write_atomic,
)
from sync.errors import CatalogError

IN_CI = os.environ.get("CI", "").lower() == "true"
RU_PLURAL = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
LIMIT = 5_000_000


def gettext_tool(name: str) -> str:
    """The path of a gettext program; skipped when missing, except in CI where it fails."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install gettext)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [gettext_tool(args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": ""},
        check=False,
    )


def msgfmt_statistics(path: Path) -> tuple[int, int, int]:
    """Run ``msgfmt --check --statistics`` and return (translated, fuzzy, untranslated)."""
    result = run_tool("msgfmt", "--check", "--statistics", "-o", os.devnull, str(path))
    assert result.returncode == 0, result.stderr
    counts = []
    for word in ("translated", "fuzzy", "untranslated"):
        match = re.search(rf"(\d+) {word}", result.stderr)
        counts.append(int(match.group(1)) if match else 0)
    return counts[0], counts[1], counts[2]


def sample_entries() -> list[CatalogEntry]:
    state = (
        "state: stale; source: en r3; based on r2; changed 1, added 0, removed 0; "
        "task #7 claimed by ayse until 2026-11-30"
    )
    return [
        CatalogEntry(
            key="2024/istanbul",
            msgid="A day in Istanbul",
            msgstr="İstanbul'da bir gün",
            comments=(state,),
            occurrences=("content/my posts/istanbul.md", "https://example.com/2024/istanbul"),
        ),
        CatalogEntry(
            key="2024/istanbul",
            msgid="We walked to the Galata Bridge early and watched the fishermen.",
            msgstr="Sabah erkenden Galata Köprüsü'ne yürüdük.",
            fuzzy=True,
            previous_msgid="We walked to the Galata Bridge early.",
        ),
        CatalogEntry(key="2024/istanbul", msgid="A new paragraph.", msgstr=""),
        CatalogEntry(
            key="2024/moscow",
            msgid='Quotes "and" back\\slashes\tand\nnew lines',
            msgstr="«Кавычки» и обратные\\слэши\tи\nновые строки",
        ),
    ]


def sample_catalog(lang: str = "tr") -> polib.POFile:
    return build_catalog(
        lang,
        sample_entries(),
        revision_date=datetime(2024, 5, 6, 10, 8, tzinfo=timezone(timedelta(hours=3))),
        version="1.2.3",
        extra_headers={"X-Transync-Task": "7", "X-Beta": "b"},
    )


# -- plural forms and headers -------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("tr", "nplurals=2; plural=(n != 1);"),
        ("en", "nplurals=2; plural=(n != 1);"),
        ("ru", RU_PLURAL),
        ("ru_RU", RU_PLURAL),
        ("ja", "nplurals=1; plural=0;"),
        ("de-AT", "nplurals=2; plural=(n != 1);"),
        ("xx", "nplurals=2; plural=(n != 1);"),
        ("", "nplurals=2; plural=(n != 1);"),
    ],
)
def test_plural_forms(lang: str, expected: str) -> None:
    assert plural_forms(lang) == expected


def test_plural_forms_of_other_languages_come_from_babel() -> None:
    assert plural_forms("pl").startswith("nplurals=3;")
    assert plural_forms("ar").startswith("nplurals=6;")
    assert plural_forms("pt-BR") == plural_forms("pt_BR")


def test_headers() -> None:
    catalog = sample_catalog("ru")
    assert catalog.metadata["Project-Id-Version"] == "transync-posts"
    assert catalog.metadata["Language"] == "ru"
    assert catalog.metadata["Plural-Forms"] == RU_PLURAL
    assert catalog.metadata["MIME-Version"] == "1.0"
    assert catalog.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert catalog.metadata["Content-Transfer-Encoding"] == "8bit"
    assert catalog.metadata["PO-Revision-Date"] == "2024-05-06 07:08+0000"  # in UTC
    assert catalog.metadata["X-Generator"] == "transync 1.2.3"
    text = render_po(catalog).decode()
    header = text[text.index('msgid ""') : text.index("\n\n")]
    names = re.findall(r'^"([\w-]+): ', header, re.MULTILINE)
    assert names[-3:] == ["X-Beta", "X-Generator", "X-Transync-Task"]  # the rest, sorted


def test_revision_date_none_and_naive() -> None:
    unknown = build_catalog("tr", [], revision_date=None, version="1")
    assert unknown.metadata["PO-Revision-Date"] == "1970-01-01 00:00+0000"
    naive = build_catalog("tr", [], revision_date=datetime(2025, 1, 2, 3, 4), version="1")
    assert naive.metadata["PO-Revision-Date"] == "2025-01-02 03:04+0000"


@pytest.mark.parametrize(
    "headers", [{"Language": "de"}, {"Bad Name": "x"}, {"X-Note": "two\nlines"}]
)
def test_extra_headers_cannot_break_the_header(headers: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="header"):
        build_catalog("tr", [], revision_date=None, version="1", extra_headers=headers)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"msgid": ""},
        {"msgid": "a\x00b"},
        {"msgid": "x", "key": "a\x04b"},
        {"msgid": "x", "msgstr": "\x04"},
        {"msgid": "\ud800"},
    ],
)
def test_entries_a_po_file_cannot_hold_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        CatalogEntry(**{"key": "post", **kwargs})


# -- rendering the PO file ----------------------------------------------------


def test_fuzzy_entry_with_previous_msgid_comments_and_occurrences() -> None:
    text = render_po(sample_catalog()).decode()
    assert (
        "#, fuzzy\n"
        '#| msgid "We walked to the Galata Bridge early."\n'
        'msgctxt "2024/istanbul"\n'
        'msgid "We walked to the Galata Bridge early and watched the fishermen."\n'
        'msgstr "Sabah erkenden Galata Köprüsü\'ne yürüdük."\n'
    ) in text
    assert (
        "#. state: stale; source: en r3; based on r2; changed 1, added 0, removed 0; "
        "task #7 claimed by ayse until 2026-11-30\n"
        "#: content/my%20posts/istanbul.md https://example.com/2024/istanbul\n"
        'msgctxt "2024/istanbul"\n'
    ) in text
    assert 'msgstr ""\n"«Кавычки» и обратные\\\\слэши\\tи\\n"\n"новые строки"\n' in text


def test_occurrence_with_spaces_survives_a_round_trip() -> None:
    parsed = read_po(render_po(sample_catalog()), name="tr.po", max_bytes=LIMIT)
    assert parsed[0].occurrences == [
        ("content/my%20posts/istanbul.md", ""),
        ("https://example.com/2024/istanbul", ""),
    ]


def test_render_is_deterministic() -> None:
    first = render_po(sample_catalog())
    assert render_po(sample_catalog()) == first
    catalog = sample_catalog()
    assert render_po(catalog) == render_po(catalog) == first
    assert render_mo(sample_catalog()) == render_mo(sample_catalog())
    assert b"POT-Creation-Date" not in first


def test_entries_keep_the_given_order() -> None:
    entries = [CatalogEntry(key=k, msgid=k.upper()) for k in ("b", "a", "c")]
    catalog = build_catalog("tr", entries, revision_date=None, version="1")
    assert [e.msgctxt for e in catalog] == ["b", "a", "c"]


def test_duplicates_keep_the_first_and_merge_comments_and_occurrences() -> None:
    entries = [
        CatalogEntry(
            key="p", msgid="Same", msgstr="Aynı", comments=("one",), occurrences=("a.md",)
        ),
        CatalogEntry(key="p", msgid="Other", msgstr="Başka"),
        CatalogEntry(
            key="p", msgid="Same", msgstr="Farklı", comments=("two",), occurrences=("b.md", "a.md")
        ),
    ]
    catalog = build_catalog("tr", entries, revision_date=None, version="1")
    assert [(e.msgid, e.msgstr) for e in catalog] == [("Same", "Aynı"), ("Other", "Başka")]
    assert catalog[0].comment == "one\ntwo"
    assert catalog[0].occurrences == [("a.md", ""), ("b.md", "")]


def test_fuzzy_without_translation_is_untranslated_and_newline_mismatch_is_fuzzy() -> None:
    entries = [
        CatalogEntry(key="p", msgid="Stale", fuzzy=True, previous_msgid="Old"),
        CatalogEntry(key="p", msgid="Ends with a newline\n", msgstr="Satır sonu yok"),
    ]
    catalog = build_catalog("tr", entries, revision_date=None, version="1")
    assert catalog[0].flags == []
    assert catalog[1].flags == ["fuzzy"]
    assert "newline" in catalog[1].comment
    assert count_entries(catalog).untranslated == 1


@pytest.mark.parametrize("lang", ["tr", "ru", "en", "pl", "ar", "ja", "fr"])
def test_msgfmt_check_and_statistics_agree(lang: str, tmp_path: Path) -> None:
    entries = sample_entries()
    catalog = build_catalog(lang, entries, revision_date=None, version="1")
    path = tmp_path / f"{lang}.po"
    path.write_bytes(render_po(catalog))
    expected = (
        sum(1 for e in entries if e.msgstr and not e.fuzzy),
        sum(1 for e in entries if e.msgstr and e.fuzzy),
        sum(1 for e in entries if not e.msgstr),
    )
    assert expected == (2, 1, 1)
    assert msgfmt_statistics(path) == expected
    counts = count_entries(catalog)
    assert (counts.translated, counts.fuzzy, counts.untranslated) == expected


def test_a_backslash_at_a_line_end_cannot_swallow_the_fuzzy_flag(tmp_path: Path) -> None:
    """gettext joins a line ending in a backslash with the next one (the ``#, fuzzy``)."""
    entries = [
        CatalogEntry(
            key="p",
            msgid="a",
            msgstr="b",
            fuzzy=True,
            comments=("ends with \\",),
            occurrences=("C:\\posts\\",),
        ),
    ]
    path = tmp_path / "tr.po"
    path.write_bytes(render_po(build_catalog("tr", entries, revision_date=None, version="1")))
    assert msgfmt_statistics(path) == (0, 1, 0)
    assert "#: C:%5Cposts%5C\n" in path.read_text()


def test_msgcat_leaves_a_rendered_catalog_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "ru.po"
    path.write_bytes(render_po(sample_catalog("ru")))
    result = run_tool("msgcat", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.read_text()


# -- MO -----------------------------------------------------------------------


def test_mo_round_trip_with_gettext() -> None:
    translations = gettext.GNUTranslations(io.BytesIO(render_mo(sample_catalog("ru"))))
    assert translations.pgettext("2024/istanbul", "A day in Istanbul") == "İstanbul'da bir gün"
    moscow = sample_entries()[3]
    assert translations.pgettext("2024/moscow", moscow.msgid) == moscow.msgstr
    fuzzy = sample_entries()[1].msgid
    assert translations.pgettext("2024/istanbul", fuzzy) == fuzzy  # fuzzy: left out
    assert translations.pgettext("2024/istanbul", "A new paragraph.") == "A new paragraph."
    assert translations.info()["language"] == "ru"
    assert translations.charset() == "UTF-8"
    assert translations.gettext("A day in Istanbul") == "A day in Istanbul"  # context matters


def test_mo_layout() -> None:
    data = render_mo(sample_catalog())
    magic, revision, count, originals, translations, hash_size, hash_at = (
        int.from_bytes(data[i : i + 4], "little") for i in range(0, 28, 4)
    )
    assert (magic, revision, count) == (0x950412DE, 0, 3)  # header + 2 translated
    assert (originals, translations, hash_size) == (28, 28 + 8 * 3, 0)
    assert hash_at == 28 + 16 * 3
    keys = []
    for i in range(count):
        length = int.from_bytes(data[originals + 8 * i : originals + 8 * i + 4], "little")
        offset = int.from_bytes(data[originals + 8 * i + 4 : originals + 8 * i + 8], "little")
        assert data[offset + length] == 0
        keys.append(data[offset : offset + length])
    assert keys[0] == b""
    assert keys == sorted(keys)
    assert keys[1] == b"2024/istanbul\x04A day in Istanbul"


def _msgunfmt_entries(path: Path) -> set[tuple[str | None, str, str]]:
    result = run_tool("msgunfmt", str(path))
    assert result.returncode == 0, result.stderr
    parsed = polib.pofile(result.stdout)
    header = tuple(sorted(parsed.metadata.items()))
    return {(e.msgctxt, e.msgid, e.msgstr) for e in parsed} | {(None, "", repr(header))}


def test_mo_means_what_msgfmt_output_means(tmp_path: Path) -> None:
    catalog = sample_catalog()
    po_path, ours, theirs = tmp_path / "tr.po", tmp_path / "ours.mo", tmp_path / "msgfmt.mo"
    po_path.write_bytes(render_po(catalog))
    ours.write_bytes(render_mo(catalog))
    result = run_tool("msgfmt", "-o", str(theirs), str(po_path))
    assert result.returncode == 0, result.stderr
    assert _msgunfmt_entries(ours) == _msgunfmt_entries(theirs)


def test_mo_of_a_read_catalog_follows_msgfmt_rules(tmp_path: Path) -> None:
    text = (
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#~ msgid "gone"\n#~ msgstr "gitti"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "bir"\nmsgstr[1] "cok"\n\n'
        'msgid "empty"\nmsgid_plural "empties"\nmsgstr[0] ""\nmsgstr[1] ""\n'
    )
    catalog = read_po(text.encode(), name="plural.po", max_bytes=LIMIT)
    translations = gettext.GNUTranslations(io.BytesIO(render_mo(catalog)))
    assert translations.ngettext("one", "many", 1) == "bir"
    assert translations.ngettext("one", "many", 5) == "cok"
    assert translations.gettext("gone") == "gone"
    assert translations.charset() == "UTF-8"  # msgfmt keeps a fuzzy header too
    path = tmp_path / "plural.po"
    path.write_text(text)
    mo = tmp_path / "plural.mo"
    mo.write_bytes(render_mo(catalog))
    theirs = tmp_path / "theirs.mo"
    assert run_tool("msgfmt", "-o", str(theirs), str(path)).returncode == 0
    assert mo.read_bytes()[:12] == theirs.read_bytes()[:12]  # magic, revision, count
    assert _msgunfmt_entries(mo) == _msgunfmt_entries(theirs)


def test_mo_refuses_duplicate_messages() -> None:
    catalog = polib.POFile()
    catalog.append(polib.POEntry(msgctxt="p", msgid="a", msgstr="x"))
    catalog.append(polib.POEntry(msgctxt="p", msgid="a", msgstr="y"))
    with pytest.raises(ValueError, match="duplicate"):
        render_mo(catalog)


def test_mo_of_20k_entries() -> None:
    entries = [
        CatalogEntry(
            key=f"post-{i // 20:05d}",
            msgid=f"Paragraph {i} of the source.",
            msgstr="" if i % 10 == 0 else f"Kaynağın {i}. paragrafı.",
            fuzzy=i % 10 == 1,
        )
        for i in range(20_000)
    ]
    catalog = build_catalog("tr", entries, revision_date=None, version="1")
    data = render_mo(catalog)
    translations = gettext.GNUTranslations(io.BytesIO(data))
    assert int.from_bytes(data[8:12], "little") == 16_000 + 1
    assert translations.pgettext("post-00999", "Paragraph 19999 of the source.") == (
        "Kaynağın 19999. paragrafı."
    )
    assert translations.pgettext("post-00000", "Paragraph 1 of the source.") == (
        "Paragraph 1 of the source."
    )


# -- atomic writes ------------------------------------------------------------


def test_write_atomic(tmp_path: Path) -> None:
    path = tmp_path / "locales" / "tr" / "LC_MESSAGES" / "posts.po"
    assert write_atomic(path, b"one") is True
    assert path.read_bytes() == b"one"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    before = path.stat().st_mtime_ns
    assert write_atomic(path, b"one") is False
    assert path.stat().st_mtime_ns == before
    path.chmod(0o640)
    assert write_atomic(path, b"two") is True
    assert path.read_bytes() == b"two"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["posts.po"]


def test_write_atomic_failure_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "posts.mo"
    path.write_bytes(b"old")

    def fail(src: str, dst: str) -> None:
        assert Path(src).name.startswith(".") and src.endswith(".tmp")
        assert Path(src).read_bytes() == b"new"
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["posts.mo"]


# -- reading uploaded PO files ------------------------------------------------

TASK_PO = """\
# Ayşe's translation
msgid ""
msgstr ""
"Project-Id-Version: transync-posts\\n"
"POT-Creation-Date: \\n"
"PO-Revision-Date: 2024-05-07 10:11+0300\\n"
"Last-Translator: Ayşe Yılmaz <ayse@example.com>\\n"
"Language-Team: Turkish\\n"
"Language: tr\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"
"X-Generator: Poedit 3.4.2\\n"
"X-Transync-Task: 7\\n"
"X-Poedit-SourceCharset: UTF-8\\n"
"X-Poedit-Basepath: .\\n"

#. state: claimed
msgctxt "2024/istanbul"
msgid ""
"We walked to the Galata Bridge early and watched the fishermen for a long "
"time, until the sun was high."
msgstr ""
"Sabah erkenden Galata Köprüsü'ne yürüdük ve güneş yükselene kadar "
"balıkçıları izledik."

msgctxt "2024/istanbul"
msgid "A day in Istanbul"
msgstr "İstanbul'da bir gün"

#~ msgctxt "2024/istanbul"
#~ msgid "An old paragraph"
#~ msgstr "Eski bir paragraf"
"""


def write(tmp_path: Path, name: str, data: bytes) -> bytes:
    """Save the upload as a file, as a user would have it, and read it back."""
    path = tmp_path / name
    path.write_bytes(data)
    return path.read_bytes()


def test_read_po_accepts_poedit_files_with_bom_and_crlf(tmp_path: Path) -> None:
    data = write(tmp_path, "task.po", codecs.BOM_UTF8 + TASK_PO.replace("\n", "\r\n").encode())
    catalog = read_po(data, name="task.po", max_bytes=LIMIT)
    assert catalog.metadata["Language"] == "tr"
    assert catalog.metadata["X-Transync-Task"] == "7"
    assert catalog.metadata["X-Poedit-Basepath"] == "."
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in catalog] == [
        (
            "2024/istanbul",
            "We walked to the Galata Bridge early and watched the fishermen for a long time, "
            "until the sun was high.",
            "Sabah erkenden Galata Köprüsü'ne yürüdük ve güneş yükselene kadar balıkçıları "
            "izledik.",
        ),
        ("2024/istanbul", "A day in Istanbul", "İstanbul'da bir gün"),
    ]
    assert catalog[1].linenum == 28


def test_read_po_accepts_our_own_file_rewrapped_and_reordered(tmp_path: Path) -> None:
    ours = read_po(render_po(sample_catalog()), name="tr.po", max_bytes=LIMIT)
    source = tmp_path / "tr.po"
    source.write_bytes(render_po(sample_catalog()))
    rewrapped = run_tool("msgcat", "--width=30", "--sort-output", str(source))
    assert rewrapped.returncode == 0, rewrapped.stderr
    theirs = read_po(rewrapped.stdout.encode(), name="tr.po", max_bytes=LIMIT)
    assert len(rewrapped.stdout.splitlines()) > len(render_po(sample_catalog()).splitlines())
    assert {(e.msgctxt, e.msgid, e.msgstr, e.fuzzy) for e in theirs} == {
        (e.msgctxt, e.msgid, e.msgstr, e.fuzzy) for e in ours
    }


def test_read_po_drops_obsolete_entries(tmp_path: Path) -> None:
    catalog = read_po(write(tmp_path, "t.po", TASK_PO.encode()), name="t.po", max_bytes=LIMIT)
    assert all(not e.obsolete for e in catalog)
    assert "An old paragraph" not in {e.msgid for e in catalog}


def test_read_po_decodes_the_declared_charset(tmp_path: Path) -> None:
    text = TASK_PO.replace("charset=UTF-8", "charset=ISO-8859-9")
    text = text.replace("Ayşe Yılmaz", "Ayse Yilmaz")
    catalog = read_po(
        write(tmp_path, "t.po", text.encode("iso-8859-9")), name="t.po", max_bytes=LIMIT
    )
    assert catalog[1].msgstr == "İstanbul'da bir gün"
    with pytest.raises(ValueError, match="charset=ISO-8859-9"):
        render_mo(catalog)  # it would write UTF-8 under a header that says otherwise
    catalog.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    assert b"\xc4\xb0stanbul'da" in render_po(catalog)


def refused(data: bytes, *, max_bytes: int = LIMIT) -> CatalogError:
    with pytest.raises(CatalogError) as info:
        read_po(data, name="upload.po", max_bytes=max_bytes)
    error = info.value
    assert error.path == "upload.po"
    assert str(error).startswith("upload.po")
    return error


def test_read_po_refuses_oversize(tmp_path: Path) -> None:
    error = refused(write(tmp_path, "big.po", TASK_PO.encode()), max_bytes=100)
    assert "100 bytes" in error.message
    assert f"{len(TASK_PO.encode()):,} bytes" in error.message


def test_read_po_refuses_binary(tmp_path: Path) -> None:
    data = TASK_PO.encode()[:200]
    error = refused(write(tmp_path, "b.po", data + b"\x00\x01\x02"))
    assert "binary" in error.message and error.line == data.count(b"\n") + 1
    mo = refused(write(tmp_path, "c.mo", render_mo(sample_catalog())))
    assert "MO file" in mo.message
    utf16 = refused(write(tmp_path, "u.po", TASK_PO.encode("utf-16")))
    assert "UTF-16" in utf16.message


@pytest.mark.parametrize("cut", ["Sabah erkenden Galata", 'msgid "A day in Istanbul"\n'])
def test_read_po_refuses_truncated(tmp_path: Path, cut: str) -> None:
    text = TASK_PO[: TASK_PO.index(cut) + len(cut)]
    error = refused(write(tmp_path, "t.po", text.encode()))
    assert error.line == (25 if cut.startswith("Sabah") else 29)
    assert "truncated" in str(error)


@pytest.mark.parametrize(
    ("escape", "said"),
    [("\\q", "is no escape"), ("\\x41", "gettext's"), ("\\101", "gettext's")],
)
def test_read_po_refuses_escapes_it_cannot_read(tmp_path: Path, escape: str, said: str) -> None:
    """msgfmt refuses \\q; octal and \\x escapes are gettext's, but polib keeps them as a
    backslash and letters, which would reach the post (or fail a check for a reason that
    does not exist): both are refused at their line, with what to write instead."""
    line = next(
        i
        for i, x in enumerate(TASK_PO.split("\n"), 1)
        if x.startswith("msgstr") and x != 'msgstr ""'
    )
    lines = TASK_PO.split("\n")
    lines[line - 1] = lines[line - 1][:-1] + escape + '"'
    error = refused(write(tmp_path, "e.po", "\n".join(lines).encode()))
    assert error.line == line and said in "\n".join(error.problems), error.problems


def test_read_po_takes_the_escapes_polib_reads(tmp_path: Path) -> None:
    text = TASK_PO.replace('msgstr "İstanbul', 'msgstr "\\"İstanbul\\t\\\\', 1)
    assert text != TASK_PO
    read_po(write(tmp_path, "ok.po", text.encode()), name="ok.po", max_bytes=LIMIT)


def test_read_po_refuses_a_file_cut_inside_a_character(tmp_path: Path) -> None:
    data = TASK_PO.encode()
    cut = data.index("Köprüsü".encode()) + 2  # inside the two bytes of "ö"
    error = refused(write(tmp_path, "t.po", data[:cut]))
    assert "truncated" in error.message and error.line == 25


def test_read_po_raises_only_catalog_errors_on_damaged_files() -> None:
    """Every prefix of a valid file, and each with one byte left out, reads or is refused."""
    data = TASK_PO.encode()
    accepted = 0
    for cut in range(len(data)):
        for damaged in (data[:cut], data[:cut] + data[cut + 1 :]):
            try:
                read_po(damaged, name="t.po", max_bytes=LIMIT)
            except CatalogError as error:
                assert error.path == "t.po"
            else:
                accepted += 1
    assert 0 < accepted < len(data)


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("# A post\n\nSome *Markdown* text.\n", 3),
        ('{"msgid": "json"}\n', 1),
        ('msgid "a"\nmsgstr "b" "c"\n', 2),
        ('msgid "a"\nmsgid "b"\nmsgstr ""\n', 1),
        ("", None),
        ("# only a comment\n", None),
        ("/etc/passwd", 1),
    ],
)
def test_read_po_refuses_what_is_not_po(tmp_path: Path, content: str, line: int | None) -> None:
    error = refused(write(tmp_path, "x.po", content.encode()))
    assert error.line == line


def test_read_po_refuses_content_in_another_encoding(tmp_path: Path) -> None:
    data = TASK_PO.encode("utf-8").replace("İstanbul'da".encode(), "İstanbul'da".encode("cp1254"))
    error = refused(write(tmp_path, "t.po", data))
    assert error.line == 30 and error.context["header_line"] == 11
    assert "not valid UTF-8" in error.message and "on line 11" in error.message
    assert "save the file as UTF-8" in error.message


def test_read_po_refuses_an_unknown_charset(tmp_path: Path) -> None:
    error = refused(
        write(tmp_path, "t.po", TASK_PO.replace('UTF-8\\n"\n', 'KLINGON\\n"\n', 1).encode())
    )
    assert "KLINGON" in error.message and error.line == 11


def test_read_po_refuses_duplicate_entries(tmp_path: Path) -> None:
    text = TASK_PO + '\nmsgctxt "2024/istanbul"\nmsgid "A day in Istanbul"\nmsgstr "x"\n'
    error = refused(write(tmp_path, "t.po", text.encode()))
    assert error.line == 36
    assert "line 28" in error.problems[0]


def test_read_po_lists_every_syntax_problem(tmp_path: Path) -> None:
    text = 'msgid "a\nmsgstr "b"\n\nmsgid "c"\nmsgstr "d\n'
    error = refused(write(tmp_path, "t.po", text.encode()))
    assert error.line == 1
    assert [p.split(":")[0] for p in error.problems] == ["line 1", "line 5"]


# -- round trip of arbitrary text ---------------------------------------------

SPECIAL = (
    list("İıIiŞşĞğ")
    + list("ЁёЙй")
    + [
        "e\u0301",
        "\u0308",
        '"',
        "'",
        "«",
        "»",
        "„",
        "“",
        "\\",
        "\\n",
        "\n",
        "\t",
        "\r",
        "\x0b",
        "\x0c",
        "\x85",
        "\u2028",
        "\u2029",
        "\x1c",
        "\x07",
        "\x04",
        " ",
        "\u00a0",
        "%s",
        "#",
        "msgid",
        '"\\',
        "\ufeff",
    ]
)
TEXT = st.lists(
    st.one_of(
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
        ),
        st.sampled_from(SPECIAL),
    ),
    max_size=12,
).map("".join)
WORDS = st.sampled_from(
    [" ", "  ", "a", "kelime", "слово", "x" * 90, '"', "\\", "\t", "\n", "\n\n", "-", "İı"]
)
LONG_TEXT = st.lists(WORDS, min_size=10, max_size=60).map("".join)  # wrapped over lines
NO_EOT = st.one_of(TEXT, LONG_TEXT).map(lambda s: s.replace("\x04", ""))
ENTRY = st.builds(
    CatalogEntry,
    key=NO_EOT.filter(bool),
    msgid=NO_EOT.filter(bool),
    msgstr=NO_EOT,
    fuzzy=st.booleans(),
    previous_msgid=st.none() | NO_EOT,
    comments=st.lists(TEXT, max_size=2).map(tuple),
    occurrences=st.lists(TEXT, max_size=2).map(tuple),
)
ENTRIES = st.lists(ENTRY, max_size=6, unique_by=lambda e: (e.key, e.msgid))


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ENTRIES)
def test_render_po_then_read_po_gives_back_the_text(entries: list[CatalogEntry]) -> None:
    data = render_po(build_catalog("tr", entries, revision_date=None, version="1"))
    catalog = read_po(data, name="tr.po", max_bytes=LIMIT)
    assert [(e.msgctxt, e.msgid, e.msgstr) for e in catalog] == [
        (e.key, e.msgid, e.msgstr) for e in entries
    ]
    assert [e.previous_msgid for e in catalog] == [e.previous_msgid for e in entries]
    assert render_po(catalog) == data
    for line in data.decode().split("\n"):  # longer than 79 only for one long word
        if len(line) > 79 and not line.startswith(("#.", "#:", "# ")):
            content = line[line.index('"') + 1 : -1]
            assert " " not in content.rstrip(" "), line


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(ENTRIES)
def test_msgfmt_accepts_arbitrary_text(entries: list[CatalogEntry]) -> None:
    catalog = build_catalog("ru", entries, revision_date=datetime.now(UTC), version="1")
    counts = count_entries(catalog)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "ru.po"
        path.write_bytes(render_po(catalog))
        assert msgfmt_statistics(path) == (counts.translated, counts.fuzzy, counts.untranslated)
