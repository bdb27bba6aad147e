"""WXR exports scanned into the tracker, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polib
import pytest
from sqlalchemy import func, select, text

from sync.config import Settings
from sync.db.migrate import upgrade
from sync.db.models import Post, Revision
from sync.db.session import transaction
from sync.export import export_catalogs
from sync.scanning import run_scan
from tests.conftest import DATA, make_settings
from tests.helpers.tracking import transync
from tests.integration.test_tracker import status

WXR = DATA / "wxr"
ISTANBUL = "pll_65e1a3c2b7d4e"


def test_polylang_export_tracked_and_exported(settings: Settings, tmp_path: Path) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert not report.problems and report.new_posts >= 2
    # the trashed post, the attachment and the menu item are counted, not dropped unsaid
    assert {k: n for k, n in report.skipped.items() if n} == {"not_content": 2, "trashed": 1}
    doc = status(settings)
    assert all(p["source_lang"] for p in doc["posts"])
    states = {
        (p["key"], lang): v["state"] for p in doc["posts"] for lang, v in p["versions"].items()
    }
    assert "current" in states.values() and "missing" in states.values()
    # a rescan of the same file changes nothing
    again = run_scan(settings, [f"wxr:{WXR / 'polylang.xml'}"])
    assert again.new_revisions == 0 and again.deleted == 0
    export_catalogs(settings, directory=tmp_path)
    tr = polib.pofile(str(tmp_path / "tr/LC_MESSAGES/posts.po"))
    assert any("https://" in o for e in tr for o, _ in e.occurrences)


def test_wpml_export(settings: Settings) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'wpml.xml'}"])
    assert not report.problems
    assert any(p["key"].startswith("wpml-") for p in status(settings)["posts"])


def test_truncated_wxr_applies_nothing(settings: Settings) -> None:
    report = run_scan(settings, [f"wxr:{DATA / 'bad/wxr/truncated.xml'}"])
    assert len(report.problems) == 1 and report.problems[0].fatal
    assert "malformed WXR" in report.problems[0].reason and report.problems[0].line
    with transaction(settings.database_url) as s:
        assert s.execute(select(func.count()).select_from(Post)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(Revision)).scalar_one() == 0


def test_broken_maps_and_languages_reported_rest_scanned(settings: Settings) -> None:
    report = run_scan(settings, [f"wxr:{WXR / 'bad-serialized.xml'}"])
    assert any("serialized" in p.reason for p in report.problems), report.problems
    assert report.files == 5  # every other item was read
    # a language the site has and transync does not track is skipped and counted, as a
    # content tree's folder is: no error on every scan
    # (another export of the same site: its posts are refused as read from the first one)
    report = run_scan(settings, [f"wxr:{WXR / 'unknown-lang.xml'}"])
    assert not any("'de'" in p.reason for p in report.problems), report.problems
    assert report.files == 2 and report.skipped["unconfigured_language"] == 1
    report = run_scan(settings, [f"wxr:{WXR / 'no-group.xml'}"])
    assert any(p["key"].startswith("wp-") for p in status(settings)["posts"])


# -- a rejected item keeps what was recorded; a rejected file changes nothing -------------

TR_ISTANBUL = "https://example.org/tr/istanbulda-bir-gun/"  # post 14's link: its origin
#: Every table a scan or its planning writes.
TABLES = ("posts", "versions", "revisions", "segments", "events", "tasks", "outbox")


def snapshot(settings: Settings) -> dict[str, Any]:
    """Every row a scan could touch, and every post's states."""
    with transaction(settings.database_url) as s:
        rows = {
            t: sorted((tuple(r) for r in s.execute(text(f"SELECT * FROM {t}"))), key=repr)
            for t in TABLES
        }
    states = {
        (p["key"], lang): v["state"]
        for p in status(settings)["posts"]
        for lang, v in p["versions"].items()
    }
    return {"rows": rows, "states": states}


def break_item(text_: str, post_id: int, old: str, new: str) -> str:
    """The export with ``old`` replaced by ``new`` inside one item only."""
    at = text_.index(f"<wp:post_id>{post_id}</wp:post_id>")
    start = text_.rindex("<item>", 0, at)
    end = text_.index("</item>", at)
    block = text_[start:end]
    assert old in block, old
    return text_[:start] + block.replace(old, new, 1) + text_[end:]


ENTITY_DOCTYPE = '<!DOCTYPE rss [<!ENTITY ext SYSTEM "file:///etc/hostname">]>\n<rss '
#: name -> (what changes in item 14, what its problem says)
BREAKS: dict[str, tuple[Callable[[str], str], str]] = {
    "bad post key": (
        lambda t: break_item(t, 14, 'nicename="pll_65e1a3c2b7d4e"', 'nicename="../x"'),
        "post key '../x'",
    ),
    "too large": (
        lambda t: break_item(
            t,
            14,
            "<content:encoded><![CDATA[",
            "<content:encoded><![CDATA[<p>" + "çay " * 8000 + "</p>",
        ),
        "over the 20,000 of TRANSYNC_MAX_DOCUMENT_BYTES",
    ),
    "exception": (
        lambda t: break_item(
            t,
            14,
            "2024-03-01 09:30:00]]></wp:post_date_gmt>",
            "2024-03-01 09:30:01]]></wp:post_date_gmt>",
        ),
        "could not be read (RuntimeError: boom)",
    ),
    "external entity": (
        lambda t: break_item(
            t.replace("<rss ", ENTITY_DOCTYPE, 1),
            14,
            "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
            "<title>İstanbul’da Bir Gün &ext;</title>",
        ),
        "external entity &ext;",
    ),
    "markup in the title": (
        lambda t: break_item(
            t,
            14,
            "<title><![CDATA[İstanbul’da Bir Gün]]></title>",
            "<title>İstanbul’da <b>Bir</b> Gün</title>",
        ),
        "holds the element <b>",
    ),
}


def boom_on_one_date(real: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text_: str) -> Any:
        if text_ == "2024-03-01 09:30:01":
            raise RuntimeError("boom")
        return real(text_)

    return parse


@pytest.mark.parametrize("how", BREAKS)
def test_a_rejected_item_keeps_its_recorded_version(
    db_url: str, tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(db_url, max_document_bytes=20_000)
    path = tmp_path / "export.xml"
    good = (WXR / "polylang.xml").read_text(encoding="utf-8")
    path.write_text(good, encoding="utf-8")
    assert transync(settings, "scan", f"wxr:{path}")[0] == 0  # the CLI: it nudges the outbox
    before = snapshot(settings)
    assert before["states"][(ISTANBUL, "tr")] == "current"
    assert any(r for r in before["rows"]["tasks"])  # planning ran: TEA's ru is missing

    change, says = BREAKS[how]
    path.write_text(change(good), encoding="utf-8")
    import sync.sources.wxr.items as wxr_items

    monkeypatch.setattr(wxr_items, "_gmt_datetime", boom_on_one_date(wxr_items._gmt_datetime))
    code, out, err = transync(settings, "scan", "--json", f"wxr:{path}")
    assert code == 2, (out, err)  # finished, some input rejected
    again = json.loads(out)
    [problem] = again["errors"]
    assert problem["origin"] == TR_ISTANBUL
    broken = change(good)
    item_at = broken.rindex("<item>", 0, broken.index("<wp:post_id>14<"))
    assert problem["line"] == broken.count("\n", 0, item_at) + 1  # its <item> line
    assert f"item 3 at line {problem['line']} of {path} (wp:post_id 14)" in problem["reason"]
    assert says in problem["reason"]
    assert again["deleted"] == 0 and again["new_revisions"] == 0
    assert snapshot(settings) == before  # versions, states, tasks, events: as they were

    path.write_text(good, encoding="utf-8")  # mended: read again, still nothing changes
    assert transync(settings, "scan", f"wxr:{path}")[0] == 0
    assert snapshot(settings) == before


#: name -> what turns the export into one that cannot be read as a whole
UNREADABLE: dict[str, Callable[[str], str]] = {
    "truncated": lambda t: t[: t.index("<wp:post_id>20</wp:post_id>")],
    "unknown namespace": lambda t: t.replace(
        "http://wordpress.org/export/1.2/", "http://wordpress.org/export/1.3/"
    ),
    "not rss": lambda t: t.replace("<rss ", "<feed ", 1).replace("</rss>", "</feed>"),
    "external DTD": lambda t: t.replace("<rss ", '<!DOCTYPE rss SYSTEM "rss.dtd">\n<rss ', 1),
    "attachments only": lambda t: t.replace(
        "<wp:post_type><![CDATA[post]]>", "<wp:post_type><![CDATA[attachment]]>"
    ).replace("<wp:post_type><![CDATA[page]]>", "<wp:post_type><![CDATA[attachment]]>"),
    "control character": lambda t: t.replace("<p>", "<p>\x0b", 1),
}


def rescanned(
    db_url: str, tmp_path: Path, changed: Callable[[str], bytes]
) -> tuple[Settings, Path, Any, Any]:
    """polylang.xml scanned, then rescanned as `changed` makes it of the file's text:
    (settings, the export's path, the database before the rescan, the rescan's report)."""
    settings = make_settings(db_url)
    path = tmp_path / "export.xml"
    good = (WXR / "polylang.xml").read_text(encoding="utf-8")
    path.write_text(good, encoding="utf-8")
    run_scan(settings, [f"wxr:{path}"])
    before = snapshot(settings)
    path.write_bytes(changed(good))
    again = run_scan(settings, [f"wxr:{path}"])
    assert again is not None
    return settings, path, before, again


@pytest.mark.parametrize("how", UNREADABLE)
def test_an_unreadable_export_changes_nothing(db_url: str, tmp_path: Path, how: str) -> None:
    settings, path, before, again = rescanned(
        db_url, tmp_path, lambda good: UNREADABLE[how](good).encode("utf-8")
    )
    [problem] = again.problems
    assert problem.fatal and problem.origin == str(path), problem
    assert again.deleted == 0
    assert snapshot(settings) == before


def test_an_export_as_a_latin1_site_writes_it_changes_nothing(db_url: str, tmp_path: Path) -> None:
    """Blank lines before the declaration (a plugin's) and ISO-8859-1 declared over UTF-8
    text (wxr_cdata() writes UTF-8 whatever blog_charset is): the same posts, the same text."""
    settings, _path, before, again = rescanned(
        db_url,
        tmp_path,
        lambda good: ("\n\n" + good.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"', 1)).encode(
            "utf-8"
        ),
    )
    assert not again.problems
    assert again.new_revisions == 0 and again.deleted == 0
    assert snapshot(settings) == before


def test_an_export_with_no_post_of_a_site_held_deletes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    """A new export of the site that holds no item (an export of another kind, a download
    cut before the first item) deleted every version read from the file before, with no
    error and exit 0."""
    site = tmp_path / "site.xml"
    full = (WXR / "polylang.xml").read_text(encoding="utf-8")
    site.write_text(full, encoding="utf-8")
    run_scan(settings, [f"wxr:{site}"])
    before = snapshot(settings)
    site.write_text(re.sub(r"<item>.*?</item>\s*", "", full, flags=re.S), encoding="utf-8")
    report = run_scan(settings, [f"wxr:{site}"])
    assert len(report.problems) == 1 and report.problems[0].fatal
    assert report.problems[0].reason.startswith("holds no post, and transync holds 6 versions")
    assert report.deleted == 0
    assert snapshot(settings)["states"] == before["states"]
    # a first scan of such a file has nothing to delete: it is read, as empty as it is
    other = make_settings(f"sqlite:///{tmp_path / 'other.db'}", languages=settings.languages)
    upgrade(other.database_url)
    assert not run_scan(other, [f"wxr:{site}"]).problems
