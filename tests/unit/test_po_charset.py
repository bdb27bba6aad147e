"""Charset honesty when reading uploaded PO files, and refusals that stay readable.

PO files reach transync through msgcat, Babel, CAT tools and editors that keep an old
header after saving in another encoding. ``read_po`` decodes what the header declares,
refuses a charset that does not fit the bytes (naming the Content-Type line) and never
accepts mojibake. A refusal lists at most 50 problems and says how many there are.
The corpus files are in tests/data/bad/po/.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import polib
import pytest

from sync.catalog import read_po
from sync.config import Settings
from sync.db.session import transaction
from sync.errors import MAX_SHOWN_PROBLEMS, CatalogError, InputError, SubmissionError
from sync.pofiles import submit_po, task_po
from sync.web.errors import error_body
from tests.conftest import DATA, EXAMPLES, make_settings
from tests.helpers.tracking import add_people, db_snapshot, scan, transync

PO = DATA / "bad" / "po"
LIMIT = 5_000_000


def read(data: bytes, name: str = "upload.po") -> polib.POFile:
    return read_po(data, name=name, max_bytes=LIMIT)


def refused(data: bytes, name: str = "upload.po") -> CatalogError:
    with pytest.raises(CatalogError) as info:
        read(data, name)
    error = info.value
    assert error.path == name and str(error).startswith(f"{name}:")
    return error


def po(msgstr: str, *, charset: str | None = "UTF-8", language: str = "ru") -> str:
    """A one-entry PO file as text; the Content-Type header (line 6) names ``charset``."""
    content_type = "text/plain" + (f"; charset={charset}" if charset is not None else "")
    return (
        '# A translator\'s file\nmsgid ""\nmsgstr ""\n'
        f'"Language: {language}\\n"\n"MIME-Version: 1.0\\n"\n'
        f'"Content-Type: {content_type}\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n\n'
        f'msgctxt "grain-corridor"\nmsgid "The Grain Corridor"\nmsgstr "{msgstr}"\n'
    )


HEADER_LINE = 6
TEXT_LINE = 11
RU = "Зерновой коридор; ёмкость складов выросла"
TR = "Tahıl Koridoru: İstanbul'da ağır yük gemileri çıkıyor"


# -- the corpus ------------------------------------------------------------------------------

RU_CORPUS = [
    "Зерновой коридор",
    "Суда выходят из Одессы каждое утро.",
    "Цены упали на пятую часть; ёмкость складов выросла.",
]
TR_CORPUS = [
    "Tahıl Koridoru",
    "Gemiler her sabah Odesa'dan çıkıyor.",
    "Fiyatlar beşte bir düştü; İstanbul'da ağır yük gemileri bekliyor.",
]


@pytest.mark.parametrize(
    ("name", "codec", "msgstrs"),
    [
        ("koi8-r.po", "koi8-r", RU_CORPUS),
        ("cp1254.po", "cp1254", TR_CORPUS),
        ("charset-placeholder.po", "utf-8", RU_CORPUS),
    ],
)
def test_genuine_files_are_decoded(name: str, codec: str, msgstrs: list[str]) -> None:
    data = (PO / name).read_bytes()
    assert not data.isascii()
    catalog = read(data, name)
    assert [e.msgstr for e in catalog] == msgstrs
    assert catalog.encoding == codec


@pytest.mark.parametrize(
    ("name", "line", "needles"),
    [
        # an editor saved UTF-8 and kept the old header: read as KOI8-R it is mojibake
        # (msgconv turns it into "п≈п╣я─п╫п╬п╡п╬п╧"), so it is refused at the header line
        (
            "utf8-under-koi8-r.po",
            10,
            [
                "charset=KOI8-R on line 10",
                "the file is UTF-8",
                "line 16 reads 'Зерновой'",
                "change line 10 to charset=UTF-8",
            ],
        ),
        (
            "utf8-under-cp1254.po",
            10,
            [
                "charset=CP1254 on line 10",
                "the file is UTF-8",
                "'Tahıl' as UTF-8",
                "'TahÄ±l' as CP1254",
            ],
        ),
        (
            "unknown-charset.po",
            10,
            ["charset=rot13 on line 10", "save the file as UTF-8", "charset=UTF-8"],
        ),
        (
            "ascii-header-latin1-bytes.po",
            15,
            [
                "byte 0xe9 on line 15 is not valid ASCII",
                "declares on line 10",
                "save the file as UTF-8",
            ],
        ),
        (
            "wrong-encoding.po",
            13,
            ["byte 0xfc on line 13 is not valid UTF-8", "declares on line 6"],
        ),
    ],
)
def test_lying_files_are_refused(name: str, line: int, needles: list[str]) -> None:
    error = refused((PO / name).read_bytes(), name)
    assert error.line == line
    for needle in needles:
        assert needle in error.message, error.message


# -- charsets that do not fit the bytes ------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "codec", "text"),
    [
        ("KOI8-R", "koi8-r", RU),
        ("CP1251", "cp1251", RU),
        ("windows-1251", "cp1251", RU),
        ("ISO-8859-5", "iso8859-5", RU),
        ("CP866", "cp866", RU),
        ("MacCyrillic", "mac-cyrillic", RU),
        ("KOI8-U", "koi8-u", "Київ і Львів, ґанок"),
        ("CP1254", "cp1254", TR),
        ("ISO-8859-9", "iso8859-9", TR),
        ("ISO-8859-1", "iso8859-1", "Les élèves déjà à l'école, straße, año"),
        ("CP1252", "cp1252", "Les élèves « déjà » à l'école — 5 €"),
        ("ISO-8859-2", "iso8859-2", "Zażółć gęślą jaźń, příliš žluťoučký kůň"),
        ("ISO-8859-7", "iso8859-7", "Ο διάδρομος σιτηρών"),
        ("EUC-JP", "euc_jp", "穀物回廊、毎朝オデッサから"),
        ("Shift_JIS", "shift_jis", "穀物回廊"),
        ("GBK", "gbk", "粮食走廊每天早上"),
        ("EUC-KR", "euc_kr", "곡물 회랑"),
    ],
)
def test_text_really_in_a_legacy_charset_is_accepted_and_utf8_under_its_name_is_not(
    charset: str, codec: str, text: str
) -> None:
    """Letters in a legacy charset are not valid UTF-8, so the UTF-8 check never refuses a
    genuine file; the same text saved as UTF-8 under that header is refused, not misread."""
    genuine = po(text, charset=charset).encode(codec)
    assert read(genuine)[0].msgstr == text
    error = refused(po(text, charset=charset).encode("utf-8"))
    assert error.line == HEADER_LINE and error.context["text_line"] == TEXT_LINE
    assert f"charset={charset} on line {HEADER_LINE}" in error.message
    assert "the file is UTF-8" in error.message
    assert f"change line {HEADER_LINE} to charset=UTF-8" in error.message


def test_utf8_text_under_a_latin1_header_shows_what_it_would_have_read() -> None:
    error = refused(po("Merhaba dünya", charset="ISO-8859-1", language="tr").encode())
    assert "line 11 reads 'dünya\"' as UTF-8" not in error.message  # the quote ends the word
    assert "'dünya' as UTF-8 and 'dÃ¼nya' as ISO-8859-1" in error.message


def test_ascii_only_files_are_accepted_under_any_ascii_compatible_charset() -> None:
    for charset in ("KOI8-R", "CP1254", "ISO-8859-1", "US-ASCII", "ASCII", "UTF-8", "utf8"):
        assert (
            read(po("Zernovoy koridor", charset=charset).encode())[0].msgstr == "Zernovoy koridor"
        )


@pytest.mark.parametrize("charset", ["UTF-8", "utf-8", "UTF8", "utf_8", "utf-8-sig"])
def test_utf8_spellings(charset: str) -> None:
    catalog = read(po(RU, charset=charset).encode())
    assert catalog[0].msgstr == RU and catalog.encoding == "utf-8"


@pytest.mark.parametrize("charset", ["foo", "KLINGON", "UTF-9", "latin-99"])
def test_unknown_charset_is_refused_by_name(charset: str) -> None:
    error = refused(po("x", charset=charset).encode())
    assert error.line == HEADER_LINE
    assert f"charset={charset} on line {HEADER_LINE}" in error.message
    assert "does not know" in error.message and "save the file as UTF-8" in error.message


@pytest.mark.parametrize(
    "charset",
    # Python codecs that are not text encodings, or that do not read ASCII as ASCII
    [
        "rot13",
        "rot_13",
        "base64",
        "hex",
        "zlib",
        "uu",
        "bz2",
        "quopri",
        "UTF-16",
        "UTF-16LE",
        "UTF-32",
        "UTF-7",
        "cp037",
        "cp500",
        "idna",
        "punycode",
        "unicode_escape",
        "raw_unicode_escape",
        "undefined",
    ],
)
def test_codecs_a_po_file_cannot_be_in_are_refused_by_name(charset: str) -> None:
    error = refused(po("Grain", charset=charset).encode())
    assert error.line == HEADER_LINE
    assert f"charset={charset} on line {HEADER_LINE}" in error.message
    assert "cannot be in" in error.message and "save the file as UTF-8" in error.message


def test_bytes_the_declared_charset_cannot_decode_name_the_header_line() -> None:
    # "x ≤ 5" in KOI8-R under a CP1251 header: 0x98 is not a CP1251 character
    error = refused(po("x ≤ 5", charset="CP1251").encode("koi8-r"))
    assert error.line == TEXT_LINE and error.context["header_line"] == HEADER_LINE
    assert error.message.startswith(
        f"byte 0x98 on line {TEXT_LINE} is not valid CP1251, the charset the header declares "
        f"on line {HEADER_LINE}; save the file as UTF-8 and set 'charset=UTF-8'"
    )


# -- the template placeholder, a missing charset, BOM and line endings ----------------------


def test_charset_placeholder_reads_as_utf8() -> None:
    """``charset=CHARSET`` is what a POT file carries until someone sets it; gettext warns
    and reads the bytes as they are. transync reads UTF-8 and refuses anything else."""
    assert read(po(RU, charset="CHARSET").encode())[0].msgstr == RU
    assert read(po("plain", charset="CHARSET").encode())[0].msgstr == "plain"
    error = refused(po(RU, charset="CHARSET").encode("cp1251"))
    assert error.line == TEXT_LINE and error.context["header_line"] == HEADER_LINE
    assert "is not valid UTF-8" in error.message
    assert f"placeholder charset=CHARSET on line {HEADER_LINE}" in error.message
    assert "set 'charset=UTF-8'" in error.message


def test_missing_charset_reads_as_utf8() -> None:
    for text in (
        po(RU, charset=None),
        po(RU).replace('"Content-Type: text/plain; charset=UTF-8\\n"\n', ""),
    ):
        assert read(text.encode())[0].msgstr == RU
    error = refused(po(RU, charset=None).encode("koi8-r"))
    assert error.line == TEXT_LINE and error.context["header_line"] is None
    assert "the header declares no charset, so UTF-8 is read" in error.message


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_bom_and_line_endings(newline: str, bom: bytes) -> None:
    assert read(bom + po(RU).replace("\n", newline).encode())[0].msgstr == RU
    assert read(po(RU, charset="KOI8-R").replace("\n", newline).encode("koi8-r"))[0].msgstr == RU
    error = refused(bom + po(RU, charset="KOI8-R").replace("\n", newline).encode())
    assert error.line == HEADER_LINE  # line numbers count any of these line endings
    assert error.context["text_line"] == TEXT_LINE


def test_only_the_header_entry_declares_the_charset() -> None:
    """A Content-Type line in another entry's msgstr (a post about HTTP) declares nothing."""
    http = '"Content-Type: text/html; charset=KOI8-R\\n"'
    entry = f'\nmsgctxt "http-basics"\nmsgid "The header"\nmsgstr ""\n{http}\n'
    with_header = po(RU) + entry
    assert read(with_header.encode())[1].msgstr == "Content-Type: text/html; charset=KOI8-R\n"
    headerless = f'msgctxt "k"\nmsgid "Grain"\nmsgstr "{RU}"\n' + entry
    assert read(headerless.encode())[0].msgstr == RU
    # a header entry that declares it on the msgstr line itself still counts
    inline = (
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=KOI8-R\\n"\n\n'
        f'msgid "Grain"\nmsgstr "{RU}"\n'
    )
    assert read(inline.encode("koi8-r"))[0].msgstr == RU
    assert refused(inline.encode()).line == 2


# -- a refusal lists 50 problems and the total -----------------------------------------------


def problem_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("  - ")]


def test_input_error_lists_the_first_50_problems_and_the_total() -> None:
    problems = [f"line {n}: not an entry of task #7" for n in range(1, 90_001)]
    error = SubmissionError(
        "the PO file was refused; nothing was applied", path="big.po", problems=problems
    )
    text = str(error)
    assert problem_lines(text) == [f"  - {p}" for p in problems[:MAX_SHOWN_PROBLEMS]]
    assert text.splitlines()[-1] == (
        "  … and 89,950 more problems (90,000 in all); fix these and try again to see the rest"
    )
    assert len(text.splitlines()) == 1 + MAX_SHOWN_PROBLEMS + 1
    assert error.problems == problems and error.problem_count == 90_000
    assert error.problem_lines()[-1].startswith("… and 89,950 more problems")


def test_input_error_with_few_problems_lists_them_all() -> None:
    for count in (0, 1, MAX_SHOWN_PROBLEMS):
        error = InputError("refused", path="f.po", line=3, problems=[f"p{n}" for n in range(count)])
        assert len(problem_lines(str(error))) == count
        assert "more problem" not in str(error) and error.more_problems is None
    one_more = InputError("refused", problems=[f"p{n}" for n in range(MAX_SHOWN_PROBLEMS + 1)])
    assert str(one_more).endswith(
        "… and 1 more problem (51 in all); fix these and try again to see the rest"
    )


def test_a_producer_that_stopped_collecting_gives_the_total() -> None:
    error = InputError("refused", problems=["a", "b"], problem_count=300)
    assert error.problem_count == 300 and error.problems == ["a", "b"]
    assert "… and 298 more problems (300 in all)" in str(error)


def test_api_error_body_carries_the_first_50_problems_and_the_count() -> None:
    error = SubmissionError(
        "refused", path="big.po", line=12, problems=[f"p{n}" for n in range(90_000)]
    )
    body = error_body(error)
    assert body == {
        "detail": "refused",
        "problems": [f"p{n}" for n in range(50)],
        "problem_count": 90_000,
        "file": "big.po",
        "line": 12,
    }
    assert json.dumps(body)
    assert error_body(InputError("no")) == {"detail": "no", "problems": [], "problem_count": 0}


def test_a_file_of_garbage_gives_the_total_of_its_syntax_problems() -> None:
    data = ('msgid "a"\nmsgstr "b"\n' + "this is not PO\n" * 10_000).encode()
    error = refused(data)
    assert error.line == 3 and error.problem_count == 10_000
    assert "10,000 problems" in error.message
    assert len(error.problems) == MAX_SHOWN_PROBLEMS
    assert "… and 9,950 more problems (10,000 in all)" in str(error)


# -- a 90,000-entry PO that fails: through submit_po and `transync submit` --------------------


@pytest.fixture
def claimed(sqlite_url: str, tmp_path: Path) -> tuple[Settings, int]:
    """The demo content on SQLite, the translators, a Russian task claimed by ivan."""
    settings = make_settings(sqlite_url, max_upload_bytes=20_000_000)
    content = tmp_path / "content"
    import shutil

    shutil.copytree(EXAMPLES / "content", content)
    scan(settings, content)
    add_people(settings)
    code, out, err = transync(settings, "claim", "--as", "ivan", "--lang", "ru", "--json")
    assert code == 0, err
    return settings, json.loads(out)["id"]


def test_a_90000_entry_po_that_fails_prints_50_problems_and_the_total(
    claimed: tuple[Settings, int], tmp_path: Path
) -> None:
    """The whole ru catalog (every post) uploaded for one task: each foreign entry is a
    problem; the error shows 50 of them and the total, and nothing is applied."""
    settings, task_id = claimed
    with transaction(settings.database_url) as s:
        own = task_po(s, settings, task_id).decode("utf-8")
    foreign = "".join(
        f'\nmsgctxt "post-{n}"\nmsgid "Paragraph {n}."\nmsgstr "Абзац {n}."\n'
        for n in range(90_000)
    )
    path = tmp_path / "posts.po"
    path.write_bytes((own + foreign).encode("utf-8"))
    before = db_snapshot(settings)

    with pytest.raises(SubmissionError) as info, transaction(settings.database_url) as s:
        submit_po(s, settings, task_id, "ivan", path.name, path.read_bytes())
    error = info.value
    assert error.problem_count == len(error.problems) == 90_000
    assert "not an entry of task" in error.problems[-1]
    text = str(error)
    assert len(problem_lines(text)) == MAX_SHOWN_PROBLEMS
    assert "… and 89,950 more problems (90,000 in all)" in text
    assert len(error_body(error)["problems"]) == MAX_SHOWN_PROBLEMS

    code, out, err = transync(settings, "submit", str(task_id), "--as", "ivan", str(path))
    assert code == 1, (out, err)
    assert len(err.splitlines()) <= MAX_SHOWN_PROBLEMS + 5, err[:2000]
    assert (
        len([line for line in err.splitlines() if line.lstrip().startswith("- ")])
        == MAX_SHOWN_PROBLEMS
    )
    assert "posts.po" in err and "nothing was applied" in err
    assert "89,950 more problems (90,000 in all)" in err
    assert db_snapshot(settings) == before


@pytest.mark.parametrize("layout", ["split", "one string"])
def test_a_charset_found_however_the_header_is_wrapped(layout: str) -> None:
    """msgcat --width=30 splits Content-Type before charset=; some tools write the whole
    header as one string. gettext reads the charset either way, and so does transync."""
    text = po(RU, charset="KOI8-R")
    if layout == "split":
        text = text.replace(
            '"Content-Type: text/plain; charset=KOI8-R\\n"',
            '"Content-Type: text/plain; "\n"charset=KOI8-R\\n"',
        )
    else:
        text = text.replace(
            'msgstr ""\n"Language: ru\\n"\n"MIME-Version: 1.0\\n"\n'
            '"Content-Type: text/plain; charset=KOI8-R\\n"\n"Content-Transfer-Encoding: 8bit\\n"',
            'msgstr "Language: ru\\nMIME-Version: 1.0\\nContent-Type: text/plain; '
            'charset=KOI8-R\\nContent-Transfer-Encoding: 8bit\\n"',
        )
    assert "charset=KOI8-R" in text and text != po(RU, charset="KOI8-R")
    assert read(text.encode("koi8-r"))[0].msgstr == RU


def test_a_charset_in_another_entry_declares_nothing() -> None:
    text = po("Content-Type: text/plain; charset=KOI8-R", charset=None)
    with pytest.raises(CatalogError):
        read(text.replace("The Grain Corridor", RU).encode("koi8-r"))


def test_a_regional_language_is_the_same_language() -> None:
    """A task in pt-br takes the PO transync gives (Language: pt-br) and the one Poedit
    saves (pt_BR); tr_TR is tr; another region or language is not."""
    import doctest

    from sync import pofiles
    from sync.pofiles import same_language

    assert doctest.testmod(pofiles, verbose=False).failed == 0
    assert same_language("pt-br", "pt-br") and same_language("pt_BR", "pt-br")
    assert same_language("tr_TR", "tr") and same_language("TR", "tr")
    assert not same_language("pt_PT", "pt-br") and not same_language("ru", "tr")
