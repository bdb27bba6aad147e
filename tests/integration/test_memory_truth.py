"""What translation memory learns is true, and what it offers says what it is: on a content
tree shaped like a real one (boilerplate repeated across posts, a translator's note, a page
left half in English, a translation corrected by hand)."""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import polib
import pytest
from sqlalchemy import select

import sync.memory
from sync.config import Settings
from sync.db.models import Memory, Task
from sync.db.session import transaction
from sync.interchange.memory import import_memory
from sync.interchange.tasks import task_file
from sync.memory import learn, prefill
from sync.pofiles import submit_segments, task_po
from sync.queue import claim
from sync.taskview import task_detail, unchanged_translations
from tests.conftest import make_settings
from tests.helpers.tracking import add_people, open_task, scan, transync

NEWSLETTER = "Subscribe to our newsletter for weekly analysis."
PRICES = "Gas prices rose by 40% in 2022."
REPORT = "Read [the report](/docs/report/) for details."


def write(root: Path, lang: str, key: str, title: str, body: str, extra: str = "") -> Path:
    path = root / lang / "posts" / f"{key}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f'---\ntitle: "{title}"\ntranslationKey: {key}\n{extra}---\n\n'
        f"{textwrap.dedent(body).strip()}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lite(sqlite_url: str) -> Settings:
    sync.memory._MATCHERS.clear()
    return make_settings(sqlite_url)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return build_site(tmp_path / "content")


def build_site(root: Path) -> Path:
    """A post in English, a Turkish page with a translator's note, a Russian one with its
    last paragraph left in English."""
    write(
        root,
        "en",
        "gas",
        "Gas in 2024",
        f"""
        {PRICES}

        {REPORT}

        {NEWSLETTER}
        """,
    )
    # the Turkish page has a translator's note the source does not: one paragraph more
    write(
        root,
        "tr",
        "gas",
        "2024'te gaz",
        """
        Gaz fiyatları 2022'de %40 arttı.

        Çevirmenin notu: bu yazı kısaltılmıştır.

        Ayrıntılar için [raporu](/tr/docs/report/) okuyun.

        Haftalık analiz için bültenimize abone olun.
        """,
    )
    # the Russian page was left with its last paragraph in English
    write(
        root,
        "ru",
        "gas",
        "Газ в 2024 году",
        f"""
        Цены на газ выросли на 40% в 2022 году.

        Подробности читайте в [докладе](/ru/docs/report/).

        {NEWSLETTER}
        """,
    )
    return root


def memory(settings: Settings) -> dict[tuple[str, str], set[str]]:
    """(target language, source text) → the target texts learned for it."""
    found: dict[tuple[str, str], set[str]] = {}
    with transaction(settings.database_url) as s:
        for lang, source, target in s.execute(
            select(Memory.target_lang, Memory.source_text, Memory.target_text)
        ):
            found.setdefault((lang, source), set()).add(target)
    return found


def test_a_paragraph_left_in_the_source_language_is_not_learned(lite: Settings, site: Path) -> None:
    scan(lite, site)
    learned = memory(lite)
    assert learned[("ru", PRICES)] == {"Цены на газ выросли на 40% в 2022 году."}
    assert ("ru", NEWSLETTER) not in learned, "English is no Russian translation of itself"
    with transaction(lite.database_url) as s:
        learn(s, "en", "ru", [(REPORT, REPORT, "elsewhere [ru]")])
    assert ("ru", REPORT) in memory(lite)
    assert memory(lite)[("ru", REPORT)] == {"Подробности читайте в [докладе](/ru/docs/report/)."}


def test_an_extra_paragraph_in_the_translation_teaches_no_guessed_pairs(
    lite: Settings, site: Path
) -> None:
    """Which Turkish paragraph translates which English one is a guess once the Turkish
    page has one more: memory learns none of them, rather than the note as the
    translation of the report paragraph and the report paragraph as the newsletter's."""
    scan(lite, site)
    learned = memory(lite)
    assert learned[("tr", "Gas in 2024")] == {"2024'te gaz"}  # one title each: certain
    assert not {k for k in learned if k[0] == "tr" and k[1] != "Gas in 2024"}, learned


def test_a_translation_corrected_by_hand_is_suggested_before_what_it_replaced(
    lite: Settings, site: Path
) -> None:
    scan(lite, site)
    ru = site / "ru" / "posts" / "gas.md"
    text = ru.read_text(encoding="utf-8")
    ru.write_text(text.replace("Цены на газ", "Цены на природный газ"), encoding="utf-8")
    scan(lite, site)
    write(site, "en", "oil", "Oil", f"Oil is here.\n\n{PRICES}")
    scan(lite, site)
    task = open_task(lite, "oil", "ru")
    assert task is not None
    with transaction(lite.database_url) as s:
        prefill(s, lite, [task["id"]])
        segments = task_detail(s, lite, task["id"])["segments"]
    best = segments[2]["suggestions"]
    assert [s["text"] for s in best] == [
        "Цены на природный газ выросли на 40% в 2022 году.",
        "Цены на газ выросли на 40% в 2022 году.",
    ]


def test_a_write_back_that_keeps_the_translations_own_field_teaches_true_pairs(
    lite: Settings, tmp_path: Path
) -> None:
    """The Turkish page has a `summary` the English one has not: written back, it keeps
    it, one segment more before the body. Memory learns each paragraph's translation, not
    the summary as the first paragraph's and the first paragraph as the second's."""
    root = tmp_path / "content"
    write(root, "en", "gas", "Gas", f"{PRICES}\n\n{NEWSLETTER}")
    summary = 'summary: "Gaz hakkında kısa bir özet."\n'
    body = "Gaz fiyatları 2022'de %40 arttı.\n\nBültene abone olun."
    write(root, "tr", "gas", "Gaz", body, summary)
    scan(lite, root)
    en = root / "en" / "posts" / "gas.md"
    en.write_text(en.read_text(encoding="utf-8").replace("40%", "45%"), encoding="utf-8")
    scan(lite, root)
    add_people(lite)
    with transaction(lite.database_url) as s:
        claimed = claim(s, lite, "ayse", "tr")
        assert claimed is not None
        task_id = claimed[0].id
    new = "Gaz fiyatları 2022'de %45 arttı."
    with transaction(lite.database_url) as s:
        done = submit_segments(
            s, lite, task_id, "ayse", {0: "Gaz", 1: new, 2: "Bültene abone olun."}, partial=False
        )
    assert done["state"] == "done"
    assert "Gaz hakkında kısa bir özet." in (root / "tr" / "posts" / "gas.md").read_text()
    learned = memory(lite)
    assert learned[("tr", PRICES.replace("40%", "45%"))] == {new}
    assert learned[("tr", NEWSLETTER)] == {"Bültene abone olun."}


def test_an_update_task_never_gives_a_guessed_paragraph_as_translated(
    lite: Settings, site: Path
) -> None:
    """The source's first paragraph changes; the Turkish page (one paragraph more, the
    translator's note) is stale. Which of its paragraphs translates the unchanged report
    and newsletter paragraphs is a guess: the PO file and the XLIFF give that text to
    check (fuzzy, for review), never as a translation already done that a file leaving
    the entry out keeps."""
    scan(lite, site)
    en = site / "en" / "posts" / "gas.md"
    en.write_text(en.read_text(encoding="utf-8").replace("40%", "45%"), encoding="utf-8")
    scan(lite, site)
    task = open_task(lite, "gas", "tr")
    assert task is not None and task["kind"] == "update"
    with transaction(lite.database_url) as s:
        catalog = polib.pofile(task_po(s, lite, task["id"]).decode("utf-8"))
        xliff = task_file(s, lite, task["id"])
        row = s.get(Task, task["id"])
        assert row is not None
        kept = unchanged_translations(s, row)
    entries = {e.msgid: e for e in catalog if e.msgid}
    title = entries["Gas in 2024"]
    assert title.msgstr == "2024'te gaz" and "fuzzy" not in title.flags
    for msgid in (REPORT, NEWSLETTER):
        assert entries[msgid].msgstr and "fuzzy" in entries[msgid].flags, entries[msgid]
    assert kept == {0: "2024'te gaz"}
    review = {u.source_text: u.review for u in xliff.units}
    assert review == {"Gas in 2024": False, PRICES.replace("40", "45"): True} | {
        REPORT: True,
        NEWSLETTER: True,
    }


def test_a_fuzzy_match_never_shows_as_100_percent(lite: Settings, tmp_path: Path) -> None:
    """One figure changed in a long paragraph scores 99.7: shown rounded it said 100%, an
    exact match to anyone reading the PO file, the browser or the CLI."""
    long = (
        "Gas prices rose by 40% in 2022 across the region, according to the latest figures "
        "published by the national energy regulators of every country on the coast of the "
        "Black Sea, and the increase was passed on to households and industry alike within "
        "a few months, with the poorest regions and the smallest businesses hit hardest by "
        "bills that doubled over one winter while wages stayed where they were."
    )
    with transaction(lite.database_url) as s:
        learn(s, "en", "tr", [(long, "[tr] " + long, "elsewhere [tr]")])
    root = tmp_path / "content"
    write(root, "en", "prices", "Prices", long.replace("40%", "45%"))
    scan(lite, root)
    task = open_task(lite, "prices", "tr")
    assert task is not None
    with transaction(lite.database_url) as s:
        prefill(s, lite, [task["id"]])
        ((suggestion,),) = [
            seg["suggestions"] for seg in task_detail(s, lite, task["id"])["segments"][1:]
        ]
        po = task_po(s, lite, task["id"]).decode("utf-8")
    assert 90 < suggestion["score"] < 100 and f"{suggestion['score']:.0f}" != "100"
    assert "translation memory: 99% from elsewhere [tr]" in po


CAT_TMX = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4">
  <header creationtool="SDL Language Platform" creationtoolversion="8.0" o-tmf="SDL TM8"
    datatype="xml" segtype="sentence" adminlang="en-US" srclang="en-US"/>
  <body>
    <tu creationdate="20230105T101010Z">
      <tuv xml:lang="en-US"><seg>Subscribe to our <bpt i="1">&lt;b&gt;</bpt>newsletter<ept
        i="1">&lt;/b&gt;</ept>.</seg></tuv>
      <tuv xml:lang="tr-TR"><seg><bpt i="1">&lt;b&gt;</bpt>Bültenimize<ept
        i="1">&lt;/b&gt;</ept> abone olun.</seg></tuv>
    </tu>
    <tu creationdate="20230105T101010Z">
      <tuv xml:lang="en-US"><seg>Read the report.</seg></tuv>
      <tuv xml:lang="tr-TR"><seg>Read the report.</seg></tuv>
      <tuv xml:lang="ru-RU"><seg>Читайте доклад.</seg></tuv>
    </tu>
  </body>
</tmx>
"""


def test_a_cat_tools_copy_of_the_source_is_not_imported_as_a_translation(
    lite: Settings,
) -> None:
    """CAT tools copy the source into a target nobody translated yet: such a pair is
    skipped and counted, never offered at 100% as the Turkish of an English sentence."""
    with transaction(lite.database_url) as s:
        counts = import_memory(s, lite, io.BytesIO(CAT_TMX.encode()), path="agency.tmx")
    assert (counts["pairs"], counts["added"], counts["skipped"]) == (2, 2, 1)
    assert memory(lite) == {
        ("tr", "Subscribe to our <b>newsletter</b>."): {"<b>Bültenimize</b> abone olun."},
        ("ru", "Read the report."): {"Читайте доклад."},
    }


def test_a_suggestion_whose_figures_or_links_differ_says_it_does_not_fit(
    lite: Settings, tmp_path: Path
) -> None:
    """A fuzzy match with last year's figure, and a 100% match learned from a translation
    made from an older text (a first scan can only assume it current): each is offered
    saying what does not fit, in the PO file, the task's JSON and `transync task`."""
    new = "Gas prices rose by 45% in 2023."
    link = "Read [the report](/docs/report-2023/) for details."
    with transaction(lite.database_url) as s:
        learn(
            s,
            "en",
            "tr",
            [
                ("Gas prices rose by 45% in 2022.", "Gaz fiyatları 2022'de %45 arttı.", "a [tr]"),
                (link, "Ayrıntılar için [raporu](/docs/report-2022/) okuyun.", "b [tr]"),
            ],
        )
    root = tmp_path / "content"
    write(root, "en", "prices", "Prices", f"{new}\n\n{link}")
    scan(lite, root)
    task = open_task(lite, "prices", "tr")
    assert task is not None
    with transaction(lite.database_url) as s:
        prefill(s, lite, [task["id"]])
        segments = task_detail(s, lite, task["id"])["segments"]
        po = task_po(s, lite, task["id"]).decode("utf-8")
    (fuzzy,), (exact,) = segments[1]["suggestions"], segments[2]["suggestions"]
    assert fuzzy["score"] < 100 and exact["score"] == 100
    assert [str(p) for p in fuzzy["problems"]] == ["number 2023 is missing", "extra number 2022"]
    assert [str(p) for p in exact["problems"]] == [
        "URL /docs/report-2023/ is missing",
        "extra URL /docs/report-2022/",
    ]
    assert "#. does not fit this segment: number 2023 is missing; extra number 2022\n" in po
    assert "#. does not fit this segment: URL /docs/report-2023/ is missing;" in po
    code, text, _ = transync(lite, "task", str(task["id"]))
    assert code == 0 and "does not fit: extra URL /docs/report-2022/" in text
