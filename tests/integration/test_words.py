"""Words and the forecast on real SQLite and PostgreSQL (issue 19): scans count and store
words; `words` and `words_pending` agree between the CLI, the API and the catalogs'
untranslated and fuzzy entries; tasks carry their words as the source moves; migration
0006 fills an upgraded database with what a scan would have written; the forecast and
at_risk from a history in the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polib
from sqlalchemy import select, text

from sync.config import Settings
from sync.db.models import Event, Revision, Segment, Task, Version
from sync.db.session import dispose_all, transaction
from sync.export import export_catalogs
from sync.queue import claim
from sync.submission import submit_markdown
from sync.words import count_words
from sync.workload import forecast_document
from tests.conftest import EXAMPLES, make_settings
from tests.helpers.tracking import add_people, cell, scan, status, task, tasks, transync
from tests.helpers.workhistory import add_done

ENERGY = "en/posts/energy-security.md"
EDIT = (EXAMPLES / "demo-edit.txt").read_text(encoding="utf-8").strip()


def settings_for(db_url: str, tmp_path: Path, **kw: object) -> Settings:
    return make_settings(db_url, locales_dir=str(tmp_path / "locales"), **kw)


def edit_energy(content: Path) -> None:
    """The demo's edit: one paragraph of energy-security's English source is rewritten."""
    path = content / ENERGY
    paras = path.read_text(encoding="utf-8").split("\n\n")
    i = next(i for i, p in enumerate(paras) if p.startswith("Offshore gas"))
    paras[i] = EDIT
    path.write_text("\n\n".join(paras), encoding="utf-8")


def test_a_scan_stores_words_and_a_stale_translation_its_changed_words(
    db_url: str, content: Path, tmp_path: Path
) -> None:
    settings = settings_for(db_url, tmp_path)
    scan(settings, content)
    with transaction(settings.database_url) as s:
        assert s.execute(select(Segment.id).where(Segment.words.is_(None))).first() is None
        for segs_words, version_words in s.execute(
            text(
                "SELECT (SELECT SUM(s.words) FROM segments s JOIN revisions r ON "
                "r.id = s.revision_id WHERE r.version_id = v.id AND r.number = v.revision), "
                "v.words FROM versions v"
            )
        ):
            assert segs_words == version_words
        texts = s.execute(select(Segment.text, Segment.words)).all()
    assert all(count_words(t) == n for t, n in texts)
    assert cell(settings, "energy-security", "en")["words"] == 284
    assert cell(settings, "digital-public-services", "tr") == {
        **cell(settings, "digital-public-services", "tr"),
        "state": "missing",
        "words": 185,
    }
    edit_energy(content)
    scan(settings, content)
    tr = cell(settings, "energy-security", "tr")
    assert tr["state"] == "stale" and tr["changed_segments"] == 1
    assert tr["words"] == count_words(EDIT) == 73  # the changed paragraph's new words
    assert cell(settings, "energy-security", "en")["words"] == 298
    summary = status(settings)["summary"]
    assert summary["tr"]["words_pending"] == 185 + 73
    assert summary["ru"]["words_pending"] == 190 + 73
    assert summary["en"]["words_pending"] == 0
    assert "currency" not in status(settings)


def catalog_words(path: Path) -> int:
    """The words of the entries a translator still has to do: untranslated and fuzzy."""
    po = polib.pofile(str(path))
    return sum(
        count_words(e.msgid) for e in po if not e.obsolete and (not e.msgstr or "fuzzy" in e.flags)
    )


def test_words_agree_between_the_cli_the_api_and_the_catalogs(
    db_url: str, content: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from sync.people import add_user
    from sync.web import create_app

    settings = settings_for(
        db_url, tmp_path, word_rate="tr=0.08,ru=0.07", currency="EUR", secret_key="x" * 40
    )
    scan(settings, content)
    edit_energy(content)
    scan(settings, content)
    code, out, err = transync(settings, "status", "--json")
    assert code == 0, err
    cli = json.loads(out)
    with transaction(settings.database_url) as s:
        _user, token = add_user(s, settings, "edith", role="editor", with_token=True)
    api = (
        TestClient(create_app(settings))
        .get("/api/v1/status", headers={"Authorization": f"Bearer {token}"})
        .json()
    )
    export_catalogs(settings)
    for lang in ("en", "tr", "ru"):
        pending = cli["summary"][lang]["words_pending"]
        assert api["summary"][lang]["words_pending"] == pending
        assert (
            sum(
                p["versions"][lang]["words"]
                for p in cli["posts"]
                if p["versions"][lang]["state"] in ("missing", "stale")
            )
            == pending
        )
        po = tmp_path / "locales" / lang / "LC_MESSAGES" / "posts.po"
        assert catalog_words(po) == pending, lang
    assert cli["summary"]["tr"]["cost_pending"] == api["summary"]["tr"]["cost_pending"] == 20.64
    assert cli["currency"] == api["currency"] == "EUR"
    assert "cost_pending" not in cli["summary"]["en"]
    assert [p["versions"] for p in cli["posts"]] == [p["versions"] for p in api["posts"]]


def test_tasks_carry_the_words_of_their_work(db_url: str, content: Path, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path)
    add_people(settings)
    scan(settings, content)
    words = {(t["post"], t["lang"]): t["words"] for t in tasks(settings)}
    assert words == {("digital-public-services", "tr"): 185, ("grain-corridor", "ru"): 190}
    edit_energy(content)
    scan(settings, content)
    by_key = {(t["post"], t["lang"]): t for t in tasks(settings)}
    assert by_key[("energy-security", "ru")]["words"] == 73
    with transaction(settings.database_url) as s:
        claimed, _key = claim(s, settings, "ayse", "tr")  # digital-public-services first
        claimed_id = claimed.id
        energy_tr = by_key[("energy-security", "tr")]["id"]
    # the source changes again: the queued task moves (its words with it), the claimed one
    # is flagged and keeps the words of the revision its translator took
    path = content / ENERGY
    path.write_text(
        path.read_text(encoding="utf-8") + "\n\nOne more closing line.\n", encoding="utf-8"
    )
    (content / "en/posts/digital-public-services.md").write_text(
        (content / "en/posts/digital-public-services.md").read_text(encoding="utf-8")
        + "\n\nA postscript of seven words here.\n",
        encoding="utf-8",
    )
    scan(settings, content)
    assert task(settings, energy_tr)["words"] == 73 + 4
    assert task(settings, claimed_id)["words"] == 185
    assert task(settings, claimed_id)["source_changed"] is True
    # done, the task keeps its words: the throughput reads them
    with transaction(settings.database_url) as s:
        submit_markdown(
            s,
            settings,
            claimed_id,
            "ayse",
            "t.md",
            (EXAMPLES / "translations/digital-public-services.tr.md").read_bytes(),
        )
    assert task(settings, claimed_id)["state"] == "done"
    assert task(settings, claimed_id)["words"] == 185
    code, out, _err = transync(settings, "tasks", "--json", "--sort", "words", "--lang", "ru")
    listed = json.loads(out)["tasks"]
    assert [t["words"] for t in listed] == sorted((t["words"] for t in listed), reverse=True)


def test_migration_0006_fills_what_a_scan_writes(
    db_url: str, content: Path, tmp_path: Path
) -> None:
    """Scan, edit, rescan, finish a task; take the schema back to 0005 (the word columns go,
    the rows stay) and up again: the upgrade counts the same words the code did."""
    from alembic import command

    from sync.db.migrate import alembic_config, upgrade
    from sync.db.session import get_engine

    settings = settings_for(db_url, tmp_path)
    add_people(settings)
    scan(settings, content)
    edit_energy(content)
    scan(settings, content)
    with transaction(settings.database_url) as s:
        done, _key = claim(s, settings, "ivan", "ru")
        submit_markdown(
            s,
            settings,
            done.id,
            "ivan",
            "g.md",
            (EXAMPLES / "translations/grain-corridor.ru.md").read_bytes(),
        )

    def words() -> tuple[list, list, list]:
        with transaction(settings.database_url) as s:
            return (
                s.execute(select(Segment.id, Segment.words).order_by(Segment.id)).all(),
                s.execute(
                    select(Version.id, Version.words, Version.stale_words).order_by(Version.id)
                ).all(),
                s.execute(select(Task.id, Task.state, Task.words).order_by(Task.id)).all(),
            )

    before = words()
    assert any(stale for _id, _w, stale in before[1])
    assert {state for _id, state, _w in before[2]} == {"queued", "done"}
    dispose_all()
    with get_engine(settings.database_url).begin() as conn:
        cfg = alembic_config(settings.database_url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005")
        columns = {
            c["name"] for c in __import__("sqlalchemy").inspect(conn).get_columns("versions")
        }
        assert "words" not in columns
    dispose_all()
    assert upgrade(settings.database_url)[0] == "0005"
    assert words() == before
    with transaction(settings.database_url) as s:
        assert s.execute(select(Revision.id)).first() is not None


def test_forecast_and_at_risk_from_the_database(db_url: str, content: Path, tmp_path: Path) -> None:
    settings = settings_for(db_url, tmp_path, word_rate="0.1")
    add_people(settings)
    scan(settings, content)
    today = dt.datetime.now(dt.UTC).date()
    with transaction(settings.database_url) as s:
        for n in range(14):  # ayse: 100 words on each of the last 14 days, at midnight
            add_done(
                s,
                key="urban-heat",
                lang="tr",
                words=100,
                day=today - dt.timedelta(days=n),
                assignee="ayse",
                hour=0,
                wait_hours=0,
                work_hours=0,
            )
        s.execute(
            text("UPDATE tasks SET due = :d WHERE state = 'queued' AND lang = 'tr'"),
            {"d": today + dt.timedelta(days=1)},
        )
    with transaction(settings.database_url) as s:
        doc = forecast_document(s, settings)
    tr, ru = doc["languages"]["tr"], doc["languages"]["ru"]
    assert tr["words_per_day"] == 100.0 and tr["history_days"] == 14
    # 185 words at 100 a day: done on the second day from now, a day after the due date
    assert tr["clear"] == (today + dt.timedelta(days=2)).isoformat()
    assert tr["spread"] == 0.0 and tr["early"] == tr["late"] == tr["clear"]
    assert tr["tasks"][0]["at_risk"] is True and tr["tasks"][0]["cost"] == 18.5
    assert tr["cost_pending"] == 18.5 and doc["currency"] == "EUR"
    assert ru["reason"] == "no_history" and ru["clear"] is None
    assert tr["durations"]["tasks"] == 14
    code, out, err = transync(settings, "tasks", "--json", "--lang", "tr")
    assert code == 0, err
    (queued,) = [t for t in json.loads(out)["tasks"] if t["state"] == "queued"]
    assert queued["at_risk"] is True and queued["words"] == 185 and queued["cost"] == 18.5
    code, out, err = transync(settings, "forecast", "--json", "--lang", "tr")
    assert code == 0, err
    assert json.loads(out)["languages"]["tr"]["clear"] == tr["clear"]
    code, out, err = transync(settings, "forecast")
    assert code == 0, err
    assert "no forecast" in out and "AT RISK" in out
    code, _out, err = transync(settings, "forecast", "--lang", "xx")
    assert code != 0 and "not configured" in err


def test_work_submitted_before_the_window_is_not_counted_on_its_approval_day(
    db_url: str, content: Path, tmp_path: Path
) -> None:
    """The translator's day is the day of the submission, however late the approval: a task
    submitted before the window and approved inside it is no work of the window."""
    settings = settings_for(db_url, tmp_path, forecast_days=7)
    add_people(settings)
    scan(settings, content)
    today = dt.datetime.now(dt.UTC).date()
    with transaction(settings.database_url) as s:
        add_done(s, key="urban-heat", lang="tr", words=100, day=today, assignee="ayse", hour=0)
        late = add_done(
            s,
            key="urban-heat",
            lang="tr",
            words=900,
            day=today - dt.timedelta(days=3),
            assignee="ayse",
            hour=0,
            work_hours=24 * 8,  # claimed 11 days ago, approved 3 days ago
        )
        submitted = dt.datetime.combine(today - dt.timedelta(days=9), dt.time(15), dt.UTC)
        s.add(
            Event(
                at=submitted,
                actor="ayse",
                kind="task",
                post_id=late.post_id,
                lang="tr",
                details={"task": late.id, "state": "submitted"},
            )
        )
    with transaction(settings.database_url) as s:
        doc = forecast_document(s, settings)
    tr = doc["languages"]["tr"]
    assert tr["words_done"] == 100
    (ayse,) = doc["translators"]
    assert ayse["words"] == 100 and ayse["days_worked"] == 1
