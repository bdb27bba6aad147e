"""Write-back keeps what the translation file has and the task did not change: its own
front-matter keys (a localized slug, aliases, comments), and its own layout. On SQLite and
PostgreSQL, through the `transync` command."""

from __future__ import annotations

from pathlib import Path

from sync.config import Settings
from tests.helpers.tracking import (
    add_people,
    assigned,
    scan,
    task_po,
    task_row,
    translate_fuzzy,
    transync,
)

SOURCE = "---\ntitle: Water\n---\n\nOne paragraph.\n\nTwo paragraphs.\n"


def update_po(
    settings: Settings,
    tmp_path: Path,
    translation: bytes,
    source: str = SOURCE,
    edit: dict[str, str] | None = None,
) -> tuple[Path, int, Path]:
    """Source and translation (path-paired by suffix) scanned, the source's "Two paragraphs."
    edited (and each other ``edit``: old → new) and scanned again, the Turkish update task's PO
    with that paragraph translated: the translation's path, the task and the PO's path."""
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    en, tr = content / "posts/w.md", content / "posts/w.tr.md"
    en.write_text(source, encoding="utf-8")
    tr.write_bytes(translation)
    add_people(settings)
    assert not scan(settings, content).problems
    for old, new in {"Two paragraphs.": "Two short paragraphs.", **(edit or {})}.items():
        source = source.replace(old, new)
    en.write_text(source, encoding="utf-8")
    assert not scan(settings, content).problems
    task_id = assigned(settings, "posts/w", "tr", "ayse")
    path = tmp_path / "w.po"
    po = task_po(settings, task_id, path)
    translate_fuzzy(po, "İki kısa paragraf.")
    po.save(str(path))
    return tr, task_id, path


def submit(settings: Settings, task_id: int, po: Path, code: int = 0) -> str:
    got, out, err = transync(settings, "submit", str(task_id), "--as", "ayse", str(po))
    assert got == code, (got, out, err)
    return out + err


def test_front_matter_it_cannot_edit_is_never_replaced_by_the_sources(
    settings: Settings, tmp_path: Path
) -> None:
    # PyYAML reads a tab before a comment; the round-trip editor does not. The write-back
    # used to fall back to the source's front matter: slug and aliases gone, unannounced.
    translation = (
        "---\ntitle: Su\t# başlık\nslug: su-meselesi\naliases: [/tr/eski-su/]\n---\n\n"
        "Bir paragraf.\n\nİki paragraf.\n"
    ).encode()
    tr, task_id, po = update_po(settings, tmp_path, translation)
    out = submit(settings, task_id, po, code=1)
    assert "posts/w.tr.md" in out and "cannot be edited in place" in out, out
    assert tr.read_bytes() == translation  # not a byte written
    assert task_row(settings, task_id).state == "claimed"


#: A translation laid out by hand: CRLF, wrapped lines, `*` bullets, a tab, a two-space
#: break. The source lays its text out otherwise.
LAID_OUT = (
    "---\r\ntitle: Su # başlık\r\nslug: su-meselesi\r\n---\r\n\r\n"
    "Bir\r\nparagraf  \r\niki satır.\r\n\r\n* İki paragraf.\r\n\r\nSon\tsöz.\r\n"
)
LAID_OUT_SOURCE = (
    "---\ntitle: Water\n---\n\nOne paragraph  \non two lines.\n\n- Two paragraphs.\n\nLast word.\n"
)


def test_an_update_rewrites_only_the_segments_that_changed(
    settings: Settings, tmp_path: Path
) -> None:
    tr, task_id, po = update_po(settings, tmp_path, LAID_OUT.encode(), LAID_OUT_SOURCE)
    submit(settings, task_id, po)
    written = tr.read_bytes().decode()
    (hash_line,) = [line for line in written.split("\r\n") if line.startswith("source_hash: ")]
    assert written == LAID_OUT.replace(
        "slug: su-meselesi\r\n", f"slug: su-meselesi\r\n{hash_line}\r\n"
    ).replace("* İki paragraf.", "* İki kısa paragraf.")


def test_an_update_that_changes_no_segment_keeps_the_body_byte_for_byte(
    settings: Settings, tmp_path: Path
) -> None:
    laid_out = LAID_OUT.removesuffix("\r\n")  # and no final newline
    tr, task_id, po = update_po(settings, tmp_path, laid_out.encode(), LAID_OUT_SOURCE)
    translated = po.read_text(encoding="utf-8").replace(
        'msgstr "İki kısa paragraf."', 'msgstr "İki paragraf."'
    )
    po.write_text(translated, encoding="utf-8")  # the old translation still says it
    submit(settings, task_id, po)
    written = tr.read_bytes().decode()
    (hash_line,) = [line for line in written.split("\r\n") if line.startswith("source_hash: ")]
    assert written == laid_out.replace(
        "slug: su-meselesi\r\n", f"slug: su-meselesi\r\n{hash_line}\r\n"
    )


def test_a_new_translation_takes_its_sources_file_mode(settings: Settings, tmp_path: Path) -> None:
    content = tmp_path / "content"
    (content / "en/posts").mkdir(parents=True)
    en = content / "en/posts/w.md"
    en.write_text(SOURCE, encoding="utf-8")
    en.chmod(0o640)  # kept from other users: not world-readable once translated either
    add_people(settings)
    assert not scan(settings, content).problems
    task_id = assigned(settings, "posts/w", "tr", "ayse")
    po = task_po(settings, task_id, tmp_path / "w.po")
    for entry, text in zip(po, ["Su", "Bir paragraf.", "İki paragraf."], strict=True):
        entry.msgstr = text
    po.save(str(tmp_path / "w.po"))
    submit(settings, task_id, tmp_path / "w.po")
    tr = content / "tr/posts/w.md"  # in a folder that did not exist
    assert "İki paragraf." in tr.read_text(encoding="utf-8")
    assert tr.stat().st_mode & 0o777 == 0o640


def test_a_localized_link_and_code_the_source_kept_stay_localized(
    settings: Settings, tmp_path: Path
) -> None:
    # the update task changes a paragraph; the link definition and the code block are the
    # source's as they were, translated in the file's own form: a translator keeps them so
    source = (
        "---\ntitle: Water\n---\n\nOne [report][r].\n\nTwo paragraphs.\n\n"
        "```sh\n# run it\nmake\n```\n\n[r]: https://example.org/en/report\n"
    )
    translation = (
        "---\ntitle: Su\n---\n\nBir [rapor][r].\n\nİki paragraf.\n\n"
        "```sh\n# çalıştır\nmake\n```\n\n[r]: https://example.org/tr/rapor\n"
    )
    tr, task_id, po = update_po(settings, tmp_path, translation.encode(), source)
    submit(settings, task_id, po)
    written = tr.read_text(encoding="utf-8")
    (hash_line,) = [line for line in written.split("\n") if line.startswith("source_hash: ")]
    assert written == translation.replace("title: Su\n", f"title: Su\n{hash_line}\n").replace(
        "İki paragraf.", "İki kısa paragraf."
    )


def test_a_block_the_source_changed_too_is_still_a_conflict(
    settings: Settings, tmp_path: Path
) -> None:
    source = "---\ntitle: Water\n---\n\nOne.\n\nTwo paragraphs.\n\n[r]: https://example.org/en/a\n"
    translation = "---\ntitle: Su\n---\n\nBir.\n\nİki paragraf.\n\n[r]: https://example.org/tr/a\n"
    tr, task_id, po = update_po(
        settings, tmp_path, translation.encode(), source, edit={"/en/a": "/en/b"}
    )
    out = submit(settings, task_id, po, code=2)
    assert "conflict" in out and "[r]: https://example.org/tr/a" in out, out
    assert tr.read_text(encoding="utf-8") == translation


def test_a_stubs_text_is_offered_for_review_never_as_a_translation(
    settings: Settings, tmp_path: Path
) -> None:
    # the stub keeps the page in the menu: its English title and its placeholder are no
    # translation; a PO giving them as done would publish them as one, marked current
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts/w.md").write_text(SOURCE, encoding="utf-8")
    stub = "---\ntitle: Water\nuntranslated: true\n---\n\nBu sayfa henüz çevrilmedi.\n"
    (content / "posts/w.tr.md").write_text(stub, encoding="utf-8")
    add_people(settings)
    assert not scan(settings, content).problems
    task_id = assigned(settings, "posts/w", "tr", "ayse")
    po = task_po(settings, task_id, tmp_path / "w.po")
    given = [e for e in po if e.msgstr]
    assert [e.msgstr for e in given] == ["Water", "Bu sayfa henüz çevrilmedi."]
    assert all(e.fuzzy and "keep-source" not in e.flags for e in given)
    (empty,) = [e for e in po if not e.msgstr]
    empty.msgstr = "Bir çeviri."
    po.save(str(tmp_path / "w.po"))
    out = submit(settings, task_id, tmp_path / "w.po", code=1)
    assert "2 of 3 segments are still untranslated" in out, out
    assert (content / "posts/w.tr.md").read_text(encoding="utf-8") == stub
