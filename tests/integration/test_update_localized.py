"""An update task's PO comes pre-filled with the current translation of every segment the
source did not change; given back as it was, that text is not checked as the translator's
new work: a translation's own forms (a localized image, a link to the Turkish page) were
refused there, though nobody had touched them. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import (
    add_people,
    assigned,
    cell,
    scan,
    task_po,
    translate_fuzzy,
    transync,
)

SOURCE = "---\ntitle: Prices\n---\n\n![Chart](/img/chart.png)\n\nPrices rise.\n"
TRANSLATION = "---\ntitle: Fiyatlar\n---\n\n![Grafik](/img/chart-tr.png)\n\nFiyatlar artıyor.\n"


def test_the_current_translation_given_back_is_not_refused(
    settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    en = content / "posts/prices.md"
    en.write_text(SOURCE, encoding="utf-8")
    (content / "posts/prices.tr.md").write_text(TRANSLATION, encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    en.write_text(SOURCE.replace("Prices rise.", "Prices rise fast."), encoding="utf-8")
    scan(settings, content)
    task_id = assigned(settings, "posts/prices", "tr", "ayse")
    path = tmp_path / "prices.po"
    po = task_po(settings, task_id, path)
    image = next(e for e in po if e.msgid == "![Chart](/img/chart.png)")
    assert image.msgstr == "![Grafik](/img/chart-tr.png)" and "fuzzy" not in image.flags
    translate_fuzzy(po, "Fiyatlar hızla artıyor.")
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code == 0, out + err
    written = (content / "posts/prices.tr.md").read_text(encoding="utf-8")
    assert "![Grafik](/img/chart-tr.png)" in written and "Fiyatlar hızla artıyor." in written
    assert cell(settings, "posts/prices", "tr")["state"] == "current"


FIGURE = (
    '---\ntitle: Prices\n---\n\n{{< figure src="/img/chart.png" caption="Chart" >}}\n\n'
    "Prices rise.\n"
)
FIGURE_TR = (
    '---\ntitle: Fiyatlar\n---\n\n{{< figure src="/img/chart-tr.png" caption="Grafik" >}}\n\n'
    "Fiyatlar artıyor.\n"
)


def _figure_task(settings: Settings, tmp_path: Path) -> tuple[Path, int]:
    """A published Turkish page whose figure shortcode shows a Turkish chart (a parameter
    the checks allow no translator to change), then an English edit in another paragraph:
    an update task, claimed."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    en = content / "posts/prices.md"
    en.write_text(FIGURE, encoding="utf-8")
    (content / "posts/prices.tr.md").write_text(FIGURE_TR, encoding="utf-8")
    add_people(settings)
    scan(settings, content)
    en.write_text(FIGURE.replace("Prices rise.", "Prices rise fast."), encoding="utf-8")
    scan(settings, content)
    return content / "posts/prices.tr.md", assigned(settings, "posts/prices", "tr", "ayse")


def test_a_localized_shortcode_nobody_touched_is_not_refused(
    settings: Settings, tmp_path: Path
) -> None:
    """The whole-body shortcode check at write-back compared the figure's ``src`` with the
    source's and refused the task: the translator could not submit at all."""
    page, task_id = _figure_task(settings, tmp_path)
    path = tmp_path / "prices.po"
    po = task_po(settings, task_id, path)
    translate_fuzzy(po, "Fiyatlar hızla artıyor.")
    po.save(str(path))
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code == 0, out + err
    written = page.read_text(encoding="utf-8")
    assert 'src="/img/chart-tr.png" caption="Grafik"' in written
    assert "Fiyatlar hızla artıyor." in written
    assert cell(settings, "posts/prices", "tr")["state"] == "current"


def test_a_markdown_file_keeping_the_localized_shortcode_is_taken(
    settings: Settings, tmp_path: Path
) -> None:
    page, task_id = _figure_task(settings, tmp_path)
    path = tmp_path / "prices.tr.md"
    path.write_text(FIGURE_TR.replace("artıyor.", "hızla artıyor."), encoding="utf-8")
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code == 0, out + err
    written = page.read_text(encoding="utf-8")
    assert 'src="/img/chart-tr.png"' in written and "Fiyatlar hızla artıyor." in written


def test_a_shortcode_parameter_the_translation_did_not_have_is_still_refused(
    settings: Settings, tmp_path: Path
) -> None:
    page, task_id = _figure_task(settings, tmp_path)
    path = tmp_path / "prices.tr.md"
    path.write_text(
        FIGURE_TR.replace("chart-tr.png", "other.png").replace("artıyor.", "hızla artıyor."),
        encoding="utf-8",
    )
    code, out, err = transync(settings, "submit", str(task_id), str(path), "--as", "ayse")
    assert code == 1, out + err
    assert 'parameter src changed from "/img/chart.png" to "/img/other.png"' in out + err
    assert page.read_text(encoding="utf-8") == FIGURE_TR
