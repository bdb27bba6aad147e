"""The translation memory as TMX, on SQLite and PostgreSQL: export → import into an empty
database gives the same memory; a CAT tool's TMX is mapped, normalized and merged; broken
or hostile files are refused whole with the unit named; imported pairs reach pre-fill;
translate-toolkit reads the export and its po2tmx output comes in."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import polib
import pytest
from sqlalchemy import func, select

from sync.config import Settings
from sync.db.migrate import upgrade
from sync.db.models import Memory, Suggestion, Task
from sync.db.session import transaction
from sync.errors import InputError
from sync.interchange.memory import export_memory, import_memory
from sync.memory import learn_versions, prefill, seg_hash
from sync.scanning import run_scan
from tests.conftest import DATA, make_settings

TMX = DATA / "tmx"
BIN = Path(sys.executable).parent
TOOLKIT = shutil.which("po2tmx", path=str(BIN))


def pairs(settings: Settings) -> list[tuple[Any, ...]]:
    """The memory as comparable rows (TMX dates have whole seconds)."""
    with transaction(settings.database_url) as s:
        return sorted(
            (sl, tl, src, tgt, origin, changed.replace(microsecond=0))
            for sl, tl, src, tgt, origin, changed in s.execute(
                select(
                    Memory.source_lang,
                    Memory.target_lang,
                    Memory.source_text,
                    Memory.target_text,
                    Memory.origin,
                    Memory.updated_at,
                )
            )
        )


def memory_count(settings: Settings) -> int:
    with transaction(settings.database_url) as s:
        return s.execute(select(func.count()).select_from(Memory)).scalar_one()


def do_import(settings: Settings, data: bytes | Path, name: str = "m.tmx") -> dict[str, int]:
    raw = data.read_bytes() if isinstance(data, Path) else data
    with transaction(settings.database_url) as s:
        return import_memory(s, settings, io.BytesIO(raw), path=name, actor="maria")


@pytest.fixture
def learned(settings: Settings, content: Path) -> Settings:
    """The demo content scanned, its current translations learned."""
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        learn_versions(s, settings, [])
    assert memory_count(settings) > 100
    return settings


@pytest.fixture
def empty(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    return make_settings(url)


def export(settings: Settings, langs: tuple[str, ...] = ()) -> bytes:
    buf = io.BytesIO()
    with transaction(settings.database_url) as s:
        export_memory(s, buf, langs)
    return buf.getvalue()


def test_export_then_import_into_an_empty_database_gives_the_same_memory(
    learned: Settings, empty: Settings
) -> None:
    data = export(learned)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tmx')
    assert b'<prop type="x-context">energy-security</prop>' in data
    counts = do_import(empty, data)
    before = pairs(learned)
    assert counts == {
        "units": len(before),
        "pairs": len(before),
        "added": len(before),
        "merged": 0,
        "skipped": 0,
        "prefill": 0,
        "skipped_variants": {},
        "skipped_units": {},
    }
    assert pairs(empty) == before
    again = do_import(empty, data)  # a second import adds nothing: every pair merges
    assert (again["added"], again["merged"]) == (0, len(before))
    assert pairs(empty) == before


def test_a_hard_line_break_survives_export_and_import(empty: Settings) -> None:
    """A Markdown segment keeps its hard breaks (a backslash and a newline): the TMX of a
    pair that has them merges into its own memory, and in another it adds the same text,
    not one with a stray backslash before a space."""
    from sync.memory import learn

    src, tgt = "Street 12\\\nAnkara", "Cadde 12\\\nAnkara"
    with transaction(empty.database_url) as s:
        learn(s, "en", "tr", [(src, tgt, "posts/contact [tr]")])
    data = export(empty)
    again = do_import(empty, data)
    assert (again["added"], again["merged"]) == (0, 1)
    other = make_settings(f"sqlite:///{Path(empty.database_url[10:]).parent / 'other.db'}")
    upgrade(other.database_url)
    assert do_import(other, data)["added"] == 1
    assert [(p[2], p[3]) for p in pairs(other)] == [(src, tgt)]


def test_export_of_some_languages(learned: Settings) -> None:
    data = export(learned, ("en", "ru"))  # the demo's ru translations of English sources
    assert b'xml:lang="tr"' not in data and b'xml:lang="ru"' in data
    assert b'srclang="en"' in data.split(b"<body>")[0]
    both = export(learned, ("en", "tr"))  # a Turkish source too (regional-rail): *all*
    assert b'srclang="*all*"' in both.split(b"<body>")[0]


def test_a_cat_tools_tmx_is_mapped_normalized_and_merged(learned: Settings) -> None:
    before = memory_count(learned)
    counts = do_import(learned, TMX / "cat-tool.tmx", "agency.tmx")
    # en-US → en, tr-TR → tr, ru-RU → ru; the repeated unit merges; the English-only unit
    # is skipped
    assert counts == {
        "units": 4,
        "pairs": 4,
        "added": 3,
        "merged": 1,
        "skipped": 1,
        "prefill": 0,
        "skipped_variants": {},
        "skipped_units": {},
    }
    assert memory_count(learned) == before + 3
    assert do_import(learned, TMX / "cat-tool.tmx")["merged"] == 4  # all known now
    with transaction(learned.database_url) as s:
        rows = {(r.target_lang, r.source_text): r for r in s.execute(select(Memory)).scalars()}
    link = rows[("tr", "See [the report](/docs/report/) now.")]  # native code kept, spaces
    assert link.target_text == "[Raporu](/docs/report/) şimdi görün."  # normalized
    assert link.origin == "agency.tmx (maria)"
    assert link.updated_at == dt.datetime(2024, 1, 10, 10, 15, tzinfo=dt.UTC)
    assert ("ru", "See [the report](/docs/report/) now.") in rows


def test_bulk_import_escapes_text_and_keeps_the_first_of_a_repeated_pair(
    settings: Settings,
) -> None:
    """What the bulk insert (COPY on PostgreSQL, batches on SQLite) must carry through:
    backslashes, and tabs and line breaks in an origin (texts are normalized); a pair
    repeated in the file, or already in the memory, keeps what came first."""

    def tu(source: str, target: str, when: str, origin: str = "") -> str:
        prop = f'<prop type="x-transync-origin">{origin}</prop>' if origin else ""
        return (
            f'<tu changedate="{when}">{prop}<tuv xml:lang="en"><seg>{source}</seg></tuv>'
            f'<tuv xml:lang="tr"><seg>{target}</seg></tuv></tu>'
        )

    units = [
        tu(
            r"C:\temp\new \n is not a line break",
            r"C:\temp\yeni",
            "20240101T000000Z",
            "agency&#9;tab&#10;line \\ slash",
        ),
        tu("Repeated", "Tekrar", "20240102T000000Z", "first"),
        tu("Repeated", "Tekrar", "20240103T000000Z", "second"),
        tu("  Spaced\tout\n text ", "Boşluklu", "20240104T000000Z"),
    ]
    data = (
        '<tmx version="1.4"><header srclang="en"/><body>' + "".join(units) + "</body></tmx>"
    ).encode()
    assert do_import(settings, data, "bulk.tmx") == {
        "units": 4,
        "pairs": 4,
        "added": 3,
        "merged": 1,
        "skipped": 0,
        "prefill": 0,
        "skipped_variants": {},
        "skipped_units": {},
    }
    got = {src: (tgt, origin, changed) for _, _, src, tgt, origin, changed in pairs(settings)}
    day = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert got == {
        r"C:\temp\new \n is not a line break": (r"C:\temp\yeni", "agency\ttab\nline \\ slash", day),
        "Repeated": ("Tekrar", "first", day + dt.timedelta(days=1)),
        "Spaced out text": ("Boşluklu", "bulk.tmx (maria)", day + dt.timedelta(days=3)),
    }
    again = do_import(settings, data, "bulk.tmx")
    assert (again["added"], again["merged"]) == (0, 4)
    assert len(pairs(settings)) == 3
    with transaction(settings.database_url) as s:  # the hashes the tracker's lookups use
        for row in s.execute(select(Memory)).scalars():
            assert (row.source_hash, row.target_hash) == (
                seg_hash(row.source_text),
                seg_hash(row.target_text),
            )


def test_xml_broken_after_good_units_adds_nothing_and_leaves_the_session_usable(
    settings: Settings,
) -> None:
    """On PostgreSQL the copy into the staging table is ended and the table dropped, so the
    caller's session can go on (here it commits, and nothing was added)."""
    units = "".join(
        f'<tu><tuv xml:lang="en"><seg>a{i}</seg></tuv><tuv xml:lang="tr"><seg>b{i}</seg></tuv></tu>'
        for i in range(3000)
    )
    data = f'<tmx version="1.4"><header srclang="en"/><body>{units}<tu><tuv></body>'.encode()
    with transaction(settings.database_url) as s:
        with pytest.raises(InputError, match="malformed XML"):
            import_memory(s, settings, io.BytesIO(data), path="broken.tmx")
        assert s.execute(select(func.count()).select_from(Memory)).scalar_one() == 0
    assert memory_count(settings) == 0
    assert do_import(settings, data.replace(b"<tu><tuv></body>", b"</body></tmx>"))["added"] == 3000


def test_variants_in_languages_not_configured_are_skipped_and_counted(
    learned: Settings,
) -> None:
    """A memoQ or Trados export holds more languages than the site: a German <tuv> beside
    the English and Turkish ones is skipped (counted by its code), the rest comes in; a unit
    whose source language is German is skipped whole."""
    from tests.helpers.tracking import transync

    before = memory_count(learned)
    counts = do_import(learned, TMX / "multilingual.tmx", "agency.tmx")
    # 3 German variants, 1 unit left in English only, 1 unit from German
    assert {k: v for k, v in counts.items() if k != "warnings"} == {
        "units": 4,
        "pairs": 3,
        "added": 3,
        "merged": 0,
        "skipped": 5,
        "prefill": 0,
        "skipped_variants": {"de-de": 3},
        "skipped_units": {"de-de": 1},
    }
    assert counts["warnings"] == [
        "skipped 3 variants in languages that are not configured (TRANSYNC_LANGUAGES=en,tr,ru)"
        ": de-de; to import them, add their language to TRANSYNC_LANGUAGES or map it in "
        "TRANSYNC_WP_LOCALE_MAP",
        "skipped 1 unit whose source language is not configured: de-de",
    ]
    assert memory_count(learned) == before + 3
    with transaction(learned.database_url) as s:
        got = {
            (r.source_lang, r.target_lang, r.source_text, r.target_text)
            for r in s.execute(
                select(Memory).where(Memory.origin == "agency.tmx (maria)")
            ).scalars()
        }
    assert got == {
        ("en", "tr", "Good morning", "Günaydın"),
        ("en", "tr", "Good night", "İyi geceler"),
        ("en", "ru", "Good night", "Спокойной ночи"),
    }
    code, text, err = transync(learned, "memory", "import", str(TMX / "multilingual.tmx"))
    assert code == 0, err
    assert "3 pairs: 0 added, 3 merged, 5 skipped" in text
    assert "skipped 3 variants in languages that are not configured" in text


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "bad-date.tmx",
            "<tu> 2 (tuid 'bad-date'): changedate '2024-02-11 08:00' is not a TMX date",
        ),
        (
            "bad-language-tag.tmx",
            "<tu> 2 (tuid 'bad-tag'): xml:lang 'de DE' (line 6) is not a language tag",
        ),
        ("missing-segment.tmx", "<tu> 2 (tuid 'no-seg'): the <tuv> 'tr' at line 6 has no <seg>"),
        ("bomb.tmx", "the DOCTYPE declares the entity 'a': entities are refused"),
        ("external-entity.tmx", "the DOCTYPE declares the entity 'secret'"),
    ],
)
def test_broken_or_hostile_tmx_is_refused_and_adds_nothing(
    learned: Settings, name: str, message: str
) -> None:
    before = pairs(learned)
    with pytest.raises(InputError) as info:
        do_import(learned, TMX / name, name)
    text = "\n".join([info.value.message, *info.value.problems])
    assert message in text, text
    assert pairs(learned) == before  # the good unit before the bad one was not added


def test_problems_name_every_bad_unit_and_count_them(empty: Settings) -> None:
    units = "".join(
        f'<tu tuid="u{i}" changedate="yesterday"><tuv xml:lang="en"><seg>a{i}</seg></tuv>'
        f'<tuv xml:lang="tr"><note>b{i}</note></tuv></tu>'
        for i in range(300)
    )
    data = f'<tmx version="1.4"><header srclang="en"/><body>{units}</body></tmx>'.encode()
    with pytest.raises(InputError) as info:
        do_import(empty, data)
    assert info.value.problem_count == 600 and "600 problems in 300 units" in info.value.message
    assert info.value.problems[0].startswith("line 1: <tu> 1 (tuid 'u0'): changedate")
    assert memory_count(empty) == 0


def test_imported_pairs_feed_prefill(settings: Settings, content: Path) -> None:
    """A queued task pre-filled before the import is pre-filled again from the new pairs."""
    run_scan(settings, [str(content)])
    with transaction(settings.database_url) as s:
        task = s.execute(select(Task).where(Task.lang == "tr")).scalars().first()
        assert task is not None
        prefill(s, settings, [task.id])
        from sync.taskview import task_detail

        segments = task_detail(s, settings, task.id)["segments"]
        assert not any(seg["suggestions"] for seg in segments)
    source = segments[1]["source"]
    data = (
        f'<tmx version="1.4"><header srclang="en-GB"/><body><tu>'
        f'<tuv xml:lang="en-GB"><seg>{source}</seg></tuv>'
        f'<tuv xml:lang="tr-TR"><seg>Hazır çeviri.</seg></tuv></tu></body></tmx>'
    ).encode()
    counts = do_import(settings, data, "agency.tmx")
    assert counts["added"] == 1 and counts["prefill"] == 1
    with transaction(settings.database_url) as s:
        refreshed = s.get(Task, task.id)
        assert refreshed is not None and refreshed.prefilled_revision == 0  # queued again
        prefill(s, settings, [task.id])  # what the worker does with the outbox message
        got = s.execute(
            select(Suggestion.text, Suggestion.score).where(
                Suggestion.task_id == task.id, Suggestion.position == 1
            )
        ).all()
    assert ("Hazır çeviri.", 100.0) in got


@pytest.mark.skipif(
    TOOLKIT is None, reason="translate-toolkit is not installed (pip install translate-toolkit)"
)
def test_translate_toolkit_reads_the_export_and_its_po2tmx_comes_in(
    learned: Settings, empty: Settings, tmp_path: Path
) -> None:
    from translate.storage import po as ttk_po
    from translate.storage import tmx as ttk_tmx

    data = export(learned, ("en", "ru"))
    store = ttk_tmx.tmxfile.parsestring(data)
    units = [u for u in store.units if u.source]
    english_russian = [p for p in pairs(learned) if (p[0], p[1]) == ("en", "ru")]
    assert len(units) == len(english_russian)
    # translate-toolkit has no tmx2po; this is its TMX → PO: the post key is the msgctxt
    out = ttk_po.pofile()
    for u in units:
        new = out.addsourceunit(u.source)
        new.target = u.target
        new.setcontext(u.getcontext())
    po_path = tmp_path / "memory.po"
    po_path.write_bytes(bytes(out))
    catalog = polib.pofile(str(po_path))
    assert any(e.msgctxt == "energy-security" and e.msgstr for e in catalog)
    run = subprocess.run(
        [str(BIN / "pofilter"), "-t", "untranslated", str(po_path), str(tmp_path / "failures.po")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and not (tmp_path / "failures.po").exists(), run.stderr
    # and back: po2tmx of that PO, imported into an empty database
    subprocess.run(
        [str(BIN / "po2tmx"), "-l", "ru", str(po_path), str(tmp_path / "m.tmx")],
        check=True,
        capture_output=True,
    )
    made = (tmp_path / "m.tmx").read_bytes()
    assert b'<prop type="x-context">energy-security</prop>' in made
    counts = do_import(empty, made, "m.tmx")
    assert counts["added"] == len(units)
    assert {p[:5] for p in pairs(empty)} == {p[:5] for p in english_russian}  # key kept


def test_cli_memory_export_and_import(learned: Settings, empty: Settings, tmp_path: Path) -> None:
    from tests.helpers.tracking import transync

    out = tmp_path / "memory.tmx"
    code, _, err = transync(learned, "memory", "export", "-o", str(out), "--langs", "en,ru")
    assert code == 0, err
    code, text, err = transync(empty, "memory", "import", str(out), "--as", "maria", "--json")
    assert code == 0, err
    assert '"added"' in text and memory_count(empty) == len(
        [p for p in pairs(learned) if {p[0], p[1]} <= {"en", "ru"}]
    )
    code, _, err = transync(empty, "memory", "import", str(TMX / "bomb.tmx"))
    assert code == 1 and "entities are refused" in err
