"""Tasks on real SQLite and PostgreSQL: planning, claims and leases, review, write-back and
refused submissions. Concurrency is real: threads and processes on one database."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.config import Settings
from sync.db.migrate import upgrade
from sync.db.models import Event, Outbox, Post, Task, User, utcnow
from sync.db.session import transaction
from sync.errors import ConflictError, InputError, NotFound, PermissionDenied, SubmissionError
from sync.frontmatter import parse_document, to_datetime
from sync.people import add_user
from sync.planning import plan_tasks
from sync.queue import assign, claim, expire, release, renew
from sync.submission import approve, reject, submit_markdown
from sync.taskview import task_detail
from tests.conftest import EXAMPLES, make_settings
from tests.helpers.processes import ROOT, wait_until
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    cell,
    db_snapshot,
    open_task,
    open_task_counts,
    post_id,
    scan,
    status,
    task,
    task_row,
    tasks,
    transync,
    tree_snapshot,
)

TRANSLATIONS = EXAMPLES / "translations"
GRAIN = "en/posts/grain-corridor.md"
ENERGY = "en/posts/energy-security.md"
FIRST_PLAN = Counter({("grain-corridor", "ru"): 1, ("digital-public-services", "tr"): 1})


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def edit_energy(content: Path) -> None:
    replace_in(
        content / ENERGY,
        "Offshore gas is the region's biggest new asset.",
        "Offshore gas is now the region's biggest asset.",
    )


def take(settings: Settings, name: str, lang: str, **kw: Any) -> dict[str, Any]:
    """Claim as `name` in `lang`; the task must exist."""
    with transaction(settings.database_url) as s:
        got = claim(s, settings, name, lang, **kw)
        assert got is not None, f"nothing to claim in {lang}"
        task_id = got[0].id
    return task(settings, task_id)


def refused(
    settings: Settings, error: type[Exception], action: Callable[[Any], Any], match: str
) -> None:
    """`action(session)` raises `error` (its message containing `match`) and rolls back."""
    with pytest.raises(error, match=match):
        with transaction(settings.database_url) as s:
            action(s)


def submit_file(settings: Settings, task_id: int, name: str, path: Path) -> dict[str, Any]:
    with transaction(settings.database_url) as s:
        return submit_markdown(s, settings, task_id, name, path.name, path.read_bytes())


def task_events(settings: Settings, task_id: int) -> list[dict[str, Any]]:
    with transaction(settings.database_url) as s:
        rows = s.execute(select(Event.actor, Event.kind, Event.details).order_by(Event.id))
        return [
            {"actor": a, "kind": k, **d}
            for a, k, d in rows
            if k in ("task", "review") and d.get("task") == task_id
        ]


def with_front_matter(text: str, **fields: str) -> str:
    """The document with these keys added at the top of its YAML front matter."""
    assert text.startswith("---\n")
    lines = "".join(f"{k}: {v}\n" for k, v in fields.items())
    return "---\n" + lines + text[4:]


# -- planning ----------------------------------------------------------------------------


def test_planning_one_task_per_missing_or_stale_translation(
    settings: Settings, content: Path
) -> None:
    scan(settings, content)
    assert open_task_counts(settings) == FIRST_PLAN
    dps = open_task(settings, "digital-public-services", "tr")
    assert dps is not None
    assert (dps["state"], dps["kind"], dps["source_revision"]) == ("queued", "new", 1)
    assert (dps["priority"], dps["due"]) == (5, "2026-12-15")  # from the source's front matter
    grain = open_task(settings, "grain-corridor", "ru")
    assert grain is not None and (grain["priority"], grain["due"]) == (0, None)

    before = db_snapshot(settings)
    scan(settings, content)
    scan(settings, content)
    assert db_snapshot(settings) == before

    edit_energy(content)
    scan(settings, content)
    scan(settings, content)
    assert open_task_counts(settings) == FIRST_PLAN + Counter(
        {("energy-security", "tr"): 1, ("energy-security", "ru"): 1}
    )
    for lang in ("tr", "ru"):
        t = open_task(settings, "energy-security", lang)
        assert t is not None and (t["kind"], t["source_revision"]) == ("update", 2)

    # planning every post again creates nothing, and logs nothing
    before = db_snapshot(settings)
    with transaction(settings.database_url) as s:
        ids = list(s.execute(select(Post.id)).scalars())
        assert plan_tasks(s, settings, ids) == {
            "created": 0,
            "moved": 0,
            "flagged": 0,
            "cancelled": 0,
            "conflict": 0,
        }
    assert db_snapshot(settings) == before
    with transaction(settings.database_url) as s:
        created = [
            d
            for (d,) in s.execute(select(Event.details).where(Event.kind == "task"))
            if d.get("state") == "queued"
        ]
    assert len(created) == before["counts"]["tasks"] == 4


def test_unique_index_refuses_a_second_open_task(settings: Settings, content: Path) -> None:
    scan(settings, content)
    pid = post_id(settings, "grain-corridor")
    now = utcnow()
    row = {
        "post_id": pid,
        "lang": "ru",
        "kind": "new",
        "source_revision": 1,
        "priority": 0,
        "progress": {},
        "source_changed": False,
        "created_at": now,
        "updated_at": now,
    }
    for state in ("queued", "claimed", "submitted"):
        with pytest.raises(IntegrityError):
            with transaction(settings.database_url) as s:
                s.execute(insert(Task).values(state=state, **row))
    # closed tasks are history: any number of them may sit beside the open one
    with transaction(settings.database_url) as s:
        s.execute(
            insert(Task),
            [{"state": "done", **row}, {"state": "cancelled", **row}, {"state": "done", **row}],
        )
    assert open_task_counts(settings) == FIRST_PLAN


def run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, released together; re-raise the first failure."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a concurrent job hung"
    if errors:
        raise errors[0]
    return results


def test_concurrent_scans_and_plans_create_one_task_each(settings: Settings, content: Path) -> None:
    url = settings.database_url

    def plan_all() -> int:
        with transaction(url) as s:
            ids = list(s.execute(select(Post.id)).scalars())
            return plan_tasks(s, settings, ids)["created"]

    # six scans of one new tree at once: one set of posts, one task per (post, language)
    reports = run_at_once([lambda: scan(settings, content) for _ in range(6)])
    assert sum(r.new_posts for r in reports) == 7
    assert open_task_counts(settings) == FIRST_PLAN

    # every open task gone: eight planners at once must create each task exactly once
    with transaction(url) as s:
        s.execute(update(Task).values(state="cancelled"))
    created = run_at_once([plan_all for _ in range(8)])
    assert sum(created) == 2
    assert open_task_counts(settings) == FIRST_PLAN

    # scans and planners at once, after a source change
    edit_energy(content)
    created = run_at_once(
        [lambda: scan(settings, content) for _ in range(4)] + [plan_all for _ in range(4)]
    )
    assert open_task_counts(settings) == FIRST_PLAN + Counter(
        {("energy-security", "tr"): 1, ("energy-security", "ru"): 1}
    )
    with transaction(url) as s:
        events = [
            d
            for (d,) in s.execute(select(Event.details).where(Event.kind == "task"))
            if d.get("state") == "queued"
        ]
        rows = s.execute(select(Task.id)).scalars().all()
    assert len(events) == len(rows) == 2 + 2 + 2  # no event for an insert that was skipped


# -- source changes while a task is open --------------------------------------------------


def test_queued_task_moves_to_the_new_revision_in_place(settings: Settings, content: Path) -> None:
    scan(settings, content)
    queued = open_task(settings, "grain-corridor", "ru")
    assert queued is not None
    with transaction(settings.database_url) as s:  # as if a worker had pre-filled it
        s.execute(update(Task).where(Task.id == queued["id"]).values(prefilled_revision=1))
        outbox_before = len(s.execute(select(Outbox.id)).all())
    replace_in(content / GRAIN, "Flexibility has a price.", "Flexibility has a steep price.")
    scan(settings, content)

    moved = open_task(settings, "grain-corridor", "ru")
    assert moved is not None and moved["id"] == queued["id"]
    assert (moved["state"], moved["kind"], moved["source_revision"]) == ("queued", "new", 2)
    assert not moved["source_changed"]
    # it keeps the revision its stored suggestions were made for: due a pre-fill again
    assert task_row(settings, queued["id"]).prefilled_revision == 1
    assert len(tasks(settings, post="grain-corridor", lang="ru")) == 1
    assert any(
        e.get("moved_from") == 1 and e.get("source_revision") == 2
        for e in task_events(settings, queued["id"])
    )
    with transaction(settings.database_url) as s:
        new = s.execute(select(Outbox).where(Outbox.id > outbox_before)).scalars().all()
    assert any(queued["id"] in o.args.get("task_ids", []) for o in new), "no new pre-fill"


def test_claimed_task_is_flagged_and_shows_what_changed(settings: Settings, content: Path) -> None:
    scan(settings, content)
    add_people(settings)
    claimed = take(settings, "ivan", "ru")
    old = (
        "Flexibility has a price. Freight rates on the corridor remain higher than before "
        "the war, and every extra day in port raises costs for farmers far inland."
    )
    replace_in(content / GRAIN, "Flexibility has a price.", "Flexibility has a steep price.")
    scan(settings, content)
    scan(settings, content)

    flagged = task(settings, claimed["id"])
    assert (flagged["state"], flagged["assignee"]) == ("claimed", "ivan")
    assert flagged["source_changed"] is True
    assert flagged["source_revision"] == 1  # the translator keeps what they claimed
    assert len(tasks(settings, post="grain-corridor", lang="ru")) == 1
    code, out, err = transync(settings, "task", str(claimed["id"]), "--json")
    assert code == 0, err
    detail = json.loads(out)
    assert detail["source_changed"] is True and detail["claimed_revision"] == 1
    assert detail["changes_since_claim"] == [
        {
            "op": "changed",
            "old": old,
            "new": old.replace("Flexibility has a price.", "Flexibility has a steep price."),
        }
    ]


def test_task_cancelled_when_its_translation_becomes_current(
    settings: Settings, content: Path
) -> None:
    scan(settings, content)
    edit_energy(content)
    scan(settings, content)
    tr = open_task(settings, "energy-security", "tr")
    ru = open_task(settings, "energy-security", "ru")
    assert tr is not None and ru is not None

    code, out, err = transync(settings, "ack", "energy-security", "--lang", "tr", "--as", EDITOR)
    assert code == 0, err
    assert task(settings, tr["id"])["state"] == "cancelled"
    assert task(settings, ru["id"])["state"] == "queued"

    # a translation file that declares the current source hash makes ru current too
    source_hash = next(p for p in status(settings)["posts"] if p["key"] == "energy-security")[
        "source_hash"
    ]
    ru_file = content / "ru/posts/energy-security.md"
    ru_file.write_text(
        with_front_matter(ru_file.read_text(encoding="utf-8"), source_hash=source_hash),
        encoding="utf-8",
    )
    scan(settings, content)
    assert cell(settings, "energy-security", "ru")["state"] == "current"
    assert task(settings, ru["id"])["state"] == "cancelled"
    assert open_task_counts(settings) == FIRST_PLAN


def test_deleting_the_source_cancels_its_open_tasks(settings: Settings, content: Path) -> None:
    scan(settings, content)
    add_people(settings)
    edit_energy(content)
    scan(settings, content)
    claimed = take(settings, "ivan", "ru")  # grain-corridor in ru: missing, now claimed
    assert claimed["post"] == "grain-corridor"
    open_before = {
        (t["post"], t["lang"]): t["id"]
        for t in tasks(settings)
        if t["state"] in ("queued", "claimed")
    }
    assert set(open_before) == {
        ("grain-corridor", "ru"),
        ("digital-public-services", "tr"),
        ("energy-security", "tr"),
        ("energy-security", "ru"),
    }

    for path in (GRAIN, ENERGY, "en/posts/digital-public-services.md"):
        (content / path).unlink()
    scan(settings, content)

    states = {key: task(settings, tid)["state"] for key, tid in open_before.items()}
    assert states == dict.fromkeys(open_before, "cancelled"), (
        "a task whose source was deleted must be cancelled"
    )
    assert open_task_counts(settings) == Counter()


def test_drafts_are_planned_only_with_plan_drafts(db_url: str, tmp_path: Path) -> None:
    tree = tmp_path / "drafts"
    (tree / "en" / "posts").mkdir(parents=True)
    (tree / "en/posts/wip.md").write_text(
        "---\ntitle: Work in progress\ndraft: true\n---\n\nNot ready.\n", encoding="utf-8"
    )
    scan(make_settings(db_url), tree)
    assert open_task_counts(make_settings(db_url)) == Counter()
    with_drafts = make_settings(db_url, plan_drafts=True)
    with transaction(db_url) as s:
        plan_tasks(s, with_drafts, [post_id(with_drafts, "posts/wip")])
    assert open_task_counts(with_drafts) == Counter(
        {("posts/wip", "tr"): 1, ("posts/wip", "ru"): 1}
    )


# -- claims and leases ---------------------------------------------------------------------

ORDER_TREE = {  # key: (priority, due); claimed in the order of this dict
    "high-due": (5, "2027-03-01"),
    "high": (5, None),
    "mid": (2, "2027-06-01"),
    "due-early": (0, "2027-01-01"),
    "due-late": (0, "2027-02-01"),
    "plain-newer-id-but-older": (0, None),
    "plain": (0, None),
}


def test_claim_order_priority_then_due_then_oldest(settings: Settings, tmp_path: Path) -> None:
    tree = tmp_path / "order"
    (tree / "en" / "posts").mkdir(parents=True)
    for key, (priority, due) in reversed(ORDER_TREE.items()):
        extra = (f"priority: {priority}\n" if priority else "") + (f"due: {due}\n" if due else "")
        (tree / "en/posts" / f"{key}.md").write_text(
            f"---\ntitle: {key}\ntranslationKey: {key}\n{extra}---\n\nText of {key}.\n",
            encoding="utf-8",
        )
    scan(settings, tree)
    add_people(settings)
    # ids follow the keys' order, so make the task with the higher id the older one
    with transaction(settings.database_url) as s:
        ids = {
            k: s.execute(
                select(Task.id)
                .join(Post, Post.id == Task.post_id)
                .where(Post.key == k, Task.lang == "tr")
            ).scalar_one()
            for k in ORDER_TREE
        }
        assert ids["plain-newer-id-but-older"] > ids["plain"]
        s.execute(
            update(Task)
            .where(Task.id == ids["plain-newer-id-but-older"])
            .values(created_at=utcnow() - dt.timedelta(days=1))
        )

    assert [t["post"] for t in tasks(settings, lang="tr", states=["queued"])] == list(ORDER_TREE)
    got = [take(settings, "ayse", "tr")["post"] for _ in ORDER_TREE]
    assert got == list(ORDER_TREE)
    with transaction(settings.database_url) as s:
        assert claim(s, settings, "ayse", "tr") is None
    code, out, _ = transync(settings, "claim", "--as", "ayse", "--lang", "tr", "--json")
    assert (code, json.loads(out)) == (3, {"task": None})


def test_refused_claims_and_acts_on_others_claims_change_nothing(
    settings: Settings, content: Path
) -> None:
    scan(settings, content)
    add_people(settings)
    before = db_snapshot(settings)
    refused(settings, NotFound, lambda s: claim(s, settings, "nobody", "ru"), "nobody")
    refused(
        settings,
        PermissionDenied,
        lambda s: claim(s, settings, "ayse", "ru"),
        "does not translate into ru",
    )
    assert db_snapshot(settings) == before

    mine = take(settings, "ivan", "ru")
    dps = open_task(settings, "digital-public-services", "tr")
    assert dps is not None
    translation = TRANSLATIONS / "grain-corridor.ru.md"
    files = tree_snapshot(content)
    before = db_snapshot(settings)
    tid = mine["id"]
    refused(settings, PermissionDenied, lambda s: release(s, tid, "nadia"), "claimed by ivan")
    refused(
        settings, PermissionDenied, lambda s: renew(s, settings, tid, "nadia"), "claimed by ivan"
    )
    refused(
        settings,
        PermissionDenied,
        lambda s: submit_markdown(
            s, settings, tid, "nadia", translation.name, translation.read_bytes()
        ),
        "ivan",
    )
    refused(
        settings,
        PermissionDenied,
        lambda s: submit_markdown(
            s, settings, tid, "ayse", translation.name, translation.read_bytes()
        ),
        "ru",
    )
    refused(settings, NotFound, lambda s: release(s, tid, "nobody"), "nobody")
    refused(settings, NotFound, lambda s: renew(s, settings, tid, "nobody"), "nobody")
    refused(settings, ConflictError, lambda s: release(s, dps["id"], "ayse"), "queued")
    refused(
        settings,
        ConflictError,
        lambda s: submit_markdown(
            s, settings, dps["id"], "ayse", "x.md", b"---\ntitle: X\n---\n\nY.\n"
        ),
        "claim it",
    )
    code, _, err = transync(settings, "release", str(tid), "--as", "nadia")
    assert code != 0 and "claimed by ivan" in err
    assert db_snapshot(settings) == before
    assert tree_snapshot(content) == files

    # the owner can renew and release
    with transaction(settings.database_url) as s:
        renew(s, settings, tid, "ivan", dt.timedelta(hours=2))
    lease = dt.datetime.fromisoformat(task(settings, tid)["lease_expires_at"])
    assert abs(lease - (utcnow() + dt.timedelta(hours=2))) < dt.timedelta(minutes=1)
    with transaction(settings.database_url) as s:
        release(s, tid, "ivan")
    after = task(settings, tid)
    assert (after["state"], after["assignee"], after["lease_expires_at"]) == ("queued", None, None)


def test_leases_expire(settings: Settings, content: Path) -> None:
    scan(settings, content)
    add_people(settings)
    start = utcnow()
    mine = take(settings, "ivan", "ru", lease=dt.timedelta(hours=1))
    lease = dt.datetime.fromisoformat(mine["lease_expires_at"])
    assert abs(lease - (start + dt.timedelta(hours=1))) < dt.timedelta(minutes=1)

    with transaction(settings.database_url) as s:
        assert expire(s, now=start + dt.timedelta(minutes=30)) == []
    assert task(settings, mine["id"])["state"] == "claimed"
    with transaction(settings.database_url) as s:
        assert expire(s, now=start + dt.timedelta(minutes=61)) == [mine["id"]]
    back = task(settings, mine["id"])
    assert (back["state"], back["assignee"], back["lease_expires_at"]) == ("queued", None, None)
    assert any(e.get("reason") == "lease expired" for e in task_events(settings, mine["id"]))
    assert take(settings, "nadia", "ru")["id"] == mine["id"]

    # `transync expire` returns a lease that has ended to the queue
    with transaction(settings.database_url) as s:
        s.execute(
            update(Task)
            .where(Task.id == mine["id"])
            .values(lease_expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    code, out, err = transync(settings, "expire", "--json")
    assert (code, json.loads(out)) == (0, {"expired": [mine["id"]]}), err
    assert task(settings, mine["id"])["state"] == "queued"
    code, out, _ = transync(settings, "expire", "--json")
    assert json.loads(out) == {"expired": []}


@pytest.mark.parametrize("how", ["expire", "release"])
def test_flagged_claim_back_in_the_queue_is_at_the_current_revision(
    settings: Settings, content: Path, how: str
) -> None:
    """A claimed task whose source changed, once back in the queue, is a queued task like
    any other: it must be at the source's current revision, not the one first claimed."""
    scan(settings, content)
    add_people(settings)
    mine = take(settings, "ivan", "ru")
    replace_in(content / GRAIN, "Flexibility has a price.", "Flexibility has a steep price.")
    scan(settings, content)
    assert task(settings, mine["id"])["source_changed"] is True
    with transaction(settings.database_url) as s:
        if how == "expire":
            assert expire(s, now=utcnow() + dt.timedelta(days=30)) == [mine["id"]]
        else:
            release(s, mine["id"], "ivan")

    back = task(settings, mine["id"])
    assert back["state"] == "queued"
    assert back["source_revision"] == 2, (
        f"after {how}, the queued task still translates r{back['source_revision']} "
        "of a source now at r2"
    )
    again = take(settings, "nadia", "ru")
    assert (again["id"], again["source_revision"]) == (mine["id"], 2)


def make_claimable(url: str, count: int, claimers: list[str]) -> set[int]:
    """`count` posts with one queued tr task each, and the claimers as tr translators."""
    now = utcnow()
    with transaction(url) as s:
        post_ids = (
            s.execute(
                insert(Post).returning(Post.id, sort_by_parameter_order=True),
                [
                    {"key": f"bulk-{i:05d}", "source_lang": "en", "created_at": now}
                    for i in range(count)
                ],
            )
            .scalars()
            .all()
        )
        task_ids = (
            s.execute(
                insert(Task).returning(Task.id, sort_by_parameter_order=True),
                [
                    {
                        "post_id": pid,
                        "lang": "tr",
                        "state": "queued",
                        "kind": "new",
                        "source_revision": 1,
                        "priority": i % 3,
                        "progress": {},
                        "source_changed": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i, pid in enumerate(post_ids)
                ],
            )
            .scalars()
            .all()
        )
        s.execute(
            insert(User),
            [
                {"name": n, "role": "translator", "langs": "tr", "active": True, "created_at": now}
                for n in claimers
            ],
        )
    return set(task_ids)


@pytest.mark.parametrize(
    ("backend", "claimers", "count"),
    [
        ("postgresql", 16, 1000),
        ("sqlite", 4, 500),  # enough work that a late starter under load still gets some
        pytest.param("postgresql", 32, 2000, marks=pytest.mark.faults, id="faults-pg-32x2000"),
        pytest.param("sqlite", 4, 2000, marks=pytest.mark.faults, id="faults-sqlite-4x2000"),
    ],
)
def test_concurrent_claimers_never_share_a_task(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, claimers: int, count: int
) -> None:
    # 32 claimers at once flood a server: they get a private PostgreSQL, never the shared one
    fixture = (
        "sqlite_url" if backend == "sqlite" else ("private_pg_url" if claimers > 16 else "pg_url")
    )
    url = request.getfixturevalue(fixture)
    names = [f"claimer{i:02d}" for i in range(claimers)]
    all_ids = make_claimable(url, count, names)
    work = tmp_path / "claimers"
    work.mkdir()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.claimers", url, "tr", str(work), *names],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until(
            lambda: (
                all((work / f"ready-{n}").exists() for n in names) or launcher.poll() is not None
            ),
            60,
            "claimers to connect",
        )
        (work / "go").touch()
        started = time.monotonic()
        out, _ = launcher.communicate(timeout=120)
        elapsed = time.monotonic() - started
    finally:
        with contextlib.suppress(ProcessLookupError):  # the launcher and its forked claimers
            os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
    errors = {p.stem: p.read_text() for p in work.glob("*.err")}
    assert launcher.returncode == 0 and not errors, f"{out}\n{errors}"
    results = {n: json.loads((work / f"{n}.json").read_text()) for n in names}

    claimed = [tid for ids in results.values() for tid in ids]
    twice = [tid for tid, n in Counter(claimed).items() if n > 1]
    assert not twice, f"tasks given to two claimers: {twice[:10]}"
    assert set(claimed) == all_ids, f"{len(all_ids - set(claimed))} tasks never claimed"
    assert sum(1 for ids in results.values() if ids) > 1, "the claimers did not run at once"
    with transaction(url) as s:
        rows = dict(s.execute(select(Task.id, Task.assignee).where(Task.state == "claimed")).all())
    assert rows == {tid: name for name, ids in results.items() for tid in ids}
    print(f"{len(claimed)} claims by {claimers} processes in {elapsed:.2f} s")


# -- submitting, review, write-back ---------------------------------------------------------


def test_review_submit_reject_approve(db_url: str, content: Path) -> None:
    settings = make_settings(db_url, review=True)
    scan(settings, content)
    add_people(settings)
    mine = take(settings, "ivan", "ru")
    translation = TRANSLATIONS / "grain-corridor.ru.md"
    written = content / "ru/posts/grain-corridor.md"
    files = tree_snapshot(content)

    assert submit_file(settings, mine["id"], "ivan", translation) == {
        "task": mine["id"],
        "state": "submitted",
        "applied": False,
    }
    assert task(settings, mine["id"])["state"] == "submitted"
    assert tree_snapshot(content) == files and not written.exists()
    assert cell(settings, "grain-corridor", "ru")["state"] == "missing"

    # only an editor reviews, only with a reason, and only a submitted task
    refused(
        settings,
        PermissionDenied,
        lambda s: approve(s, settings, mine["id"], "ivan"),
        "needs editor",
    )
    refused(
        settings,
        PermissionDenied,
        lambda s: reject(s, settings, mine["id"], "nadia", "no"),
        "needs editor",
    )
    refused(settings, InputError, lambda s: reject(s, settings, mine["id"], EDITOR, "  "), "reason")
    with transaction(settings.database_url) as s:
        result = reject(s, settings, mine["id"], EDITOR, "Keep the FAO link in English.")
    assert result == {"task": mine["id"], "state": "claimed", "applied": False}
    back = task(settings, mine["id"])
    assert (back["state"], back["assignee"]) == ("claimed", "ivan")
    assert dt.datetime.fromisoformat(back["lease_expires_at"]) > utcnow()
    with transaction(settings.database_url) as s:
        assert task_detail(s, settings, mine["id"])["reject_reason"] == (
            "Keep the FAO link in English."
        )
    refused(
        settings,
        ConflictError,
        lambda s: approve(s, settings, mine["id"], EDITOR),
        "only a submitted task",
    )
    assert tree_snapshot(content) == files

    submit_file(settings, mine["id"], "ivan", translation)
    with transaction(settings.database_url) as s:
        assert approve(s, settings, mine["id"], EDITOR) == {
            "task": mine["id"],
            "state": "done",
            "applied": True,
            "translation": "current",
        }
    assert task(settings, mine["id"])["state"] == "done"
    assert written.exists()
    assert cell(settings, "grain-corridor", "ru")["state"] == "current"
    verdicts = [e["verdict"] for e in task_events(settings, mine["id"]) if e["kind"] == "review"]
    assert verdicts == ["rejected", "approved"]


def test_resolve_keeps_an_unreviewed_submission_only_for_another_editor(
    db_url: str, content: Path
) -> None:
    """Four eyes: an editor's own submission, in conflict before anyone approved it (the
    translation appeared on disk while it waited), is not theirs to keep; another editor's."""
    settings = make_settings(db_url, review=True)
    scan(settings, content)
    add_people(settings)
    with transaction(settings.database_url) as s:
        add_user(s, settings, "olga", role="editor")
    mine = take(settings, EDITOR, "ru")
    submit_file(settings, mine["id"], EDITOR, TRANSLATIONS / "grain-corridor.ru.md")
    target = content / "ru/posts/grain-corridor.md"
    appeared = (
        "---\ntitle: Зерновой коридор\ntranslationKey: grain-corridor\n---\n\n"
        "Другой перевод, сделанный вне transync.\n"
    )
    target.write_text(appeared, encoding="utf-8")
    scan(settings, content)
    assert task(settings, mine["id"])["state"] == "conflict"

    code, out, err = transync(
        settings, "resolve", str(mine["id"]), "--keep", "submitted", "--as", EDITOR
    )
    assert code == 1 and "Traceback" not in out + err, (code, out, err)
    assert "another editor" in err and EDITOR in err, err
    assert target.read_text(encoding="utf-8") == appeared
    assert task(settings, mine["id"])["state"] == "conflict"
    assert [e for e in task_events(settings, mine["id"]) if e["kind"] == "review"] == []

    code, out, err = transync(
        settings, "resolve", str(mine["id"]), "--keep", "submitted", "--as", "olga"
    )
    assert code == 0 and "done" in out, (code, out, err)
    assert "Чтобы зерно не останавливалось" in target.read_text(encoding="utf-8")


def front(path: Path) -> dict[str, Any]:
    meta, _, _ = parse_document(path.read_bytes(), origin=str(path))
    return meta


def fresh_database(tmp_path: Path) -> Settings:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    return make_settings(url)


def assert_written_back_and_current(
    settings: Settings, tmp_path: Path, tree: Path, done: dict[tuple[str, str], Path]
) -> None:
    """The next scan sees every written file unchanged and current, plans nothing; a fresh
    database reading the tree agrees; a cosmetic edit makes no new revision."""
    before = db_snapshot(settings)
    report = scan(settings, tree)
    assert (report.unchanged, report.new_revisions, report.state_changes) == (report.files, 0, 0)
    assert db_snapshot(settings) == before
    for key, lang in done:
        assert cell(settings, key, lang)["state"] == "current"
        assert open_task(settings, key, lang) is None

    fresh = fresh_database(tmp_path)
    assert not scan(fresh, tree).problems
    for key, lang in done:
        assert cell(fresh, key, lang)["state"] == "current", f"{key} [{lang}] in a fresh db"
        assert open_task(fresh, key, lang) is None

    for path in done.values():
        path.write_bytes(path.read_bytes() + b"\n\n")
    report = scan(settings, tree)
    assert report.new_revisions == 0 and report.unchanged == report.files - len(done)
    assert all(cell(settings, k, lang)["state"] == "current" for k, lang in done)
    assert db_snapshot(settings)["tasks"] == before["tasks"]


def test_write_back_folder_layout(settings: Settings, content: Path, tmp_path: Path) -> None:
    scan(settings, content)
    add_people(settings)
    source_hashes = {p["key"]: p["source_hash"] for p in status(settings)["posts"]}
    done = {}
    for who, lang, key in (
        ("ivan", "ru", "grain-corridor"),
        ("ayse", "tr", "digital-public-services"),
    ):
        mine = take(settings, who, lang)
        assert mine["post"] == key
        result = submit_file(settings, mine["id"], who, TRANSLATIONS / f"{key}.{lang}.md")
        assert result == {
            "task": mine["id"],
            "state": "done",
            "applied": True,
            "translation": "current",
        }
        path = content / lang / "posts" / f"{key}.md"
        assert path.exists(), f"nothing written at {path}"
        done[(key, lang)] = path
        meta, source = front(path), front(content / "en/posts" / f"{key}.md")
        assert meta["title"] == front(TRANSLATIONS / f"{key}.{lang}.md")["title"]
        assert meta["source_hash"] == source_hashes[key]
        for field in ("translationKey", "tags", "author", "draft"):
            assert meta[field] == source[field], field
        assert to_datetime(meta["date"]) == to_datetime(source["date"])
    assert_written_back_and_current(settings, tmp_path, content, done)


def test_write_back_suffix_layout(settings: Settings, tmp_path: Path) -> None:
    tree = tmp_path / "site"
    (tree / "posts").mkdir(parents=True)
    (tree / "posts/heat.en.md").write_text(
        "---\ntitle: Urban Heat\ntranslationKey: heat\nseries: climate\n---\n\n"
        "Summer heat is the deadliest hazard.\n\n## What cities can do\n\nPlant trees.\n",
        encoding="utf-8",
    )
    (tree / "posts/heat.tr.md").write_text(
        "---\ntitle: Kent Sıcağı\ntranslationKey: heat\n---\n\nYaz sıcağı en ölümcül tehlike."
        "\n\n## Kentler ne yapabilir\n\nAğaç dikin.\n",
        encoding="utf-8",
    )
    (tree / "posts/rail.md").write_text(  # no suffix: the default language, key from path
        "---\ntitle: Regional Rail\n---\n\nNew trains are running.\n\n- Faster\n- Cheaper\n",
        encoding="utf-8",
    )
    scan(settings, tree)
    add_people(settings)
    assert open_task_counts(settings) == Counter(
        {("heat", "ru"): 1, ("posts/rail", "tr"): 1, ("posts/rail", "ru"): 1}
    )
    submissions = {
        ("heat", "ru", "ivan"): "---\ntitle: Городская жара\n---\n\nЛетняя жара опаснее всего."
        "\n\n## Что могут сделать города\n\nСажать деревья.\n",
        ("posts/rail", "tr", "ayse"): "---\ntitle: Bölgesel Demiryolu\n---\n\nYeni trenler "
        "çalışıyor.\n\n- Daha hızlı\n- Daha ucuz\n",
    }
    done = {}
    for (key, lang, who), text in submissions.items():
        upload = tmp_path / f"upload.{lang}.md"
        upload.write_text(text, encoding="utf-8")
        task_id = open_task(settings, key, lang)["id"]  # type: ignore[index]
        with transaction(settings.database_url) as s:
            assign(s, settings, task_id, EDITOR, who)
        assert submit_file(settings, task_id, who, upload)["state"] == "done"
        done[(key, lang)] = tree / "posts" / f"{key.rsplit('/', 1)[-1]}.{lang}.md"
    assert sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*.md")) == [
        "posts/heat.en.md",
        "posts/heat.ru.md",
        "posts/heat.tr.md",
        "posts/rail.md",
        "posts/rail.tr.md",
    ]
    assert front(done[("heat", "ru")])["series"] == "climate"
    assert front(done[("heat", "ru")])["translationKey"] == "heat"
    assert_written_back_and_current(settings, tmp_path, tree, done)
    assert open_task_counts(settings) == Counter({("posts/rail", "ru"): 1})


JSON_SOURCE = """\
{
    "title": "Urban Heat",
    "translationKey": "heat",
    "draft": false,
    "weight": 7
}

Summer heat is the deadliest hazard.

{{< highlight python >}}
def shade(trees):
    return trees * 2
{{< /highlight >}}
"""


def test_write_back_keeps_json_front_matter_and_code_shortcodes(
    settings: Settings, tmp_path: Path
) -> None:
    tree = tmp_path / "site"
    (tree / "posts").mkdir(parents=True)
    (tree / "posts/heat.en.md").write_text(JSON_SOURCE, encoding="utf-8")
    assert not scan(settings, tree).problems
    add_people(settings)
    source = next(p for p in status(settings)["posts"] if p["key"] == "heat")
    assert source["title"] == "Urban Heat"
    assert cell(settings, "heat", "en")["words"] == 8  # title and paragraph: the code counts none
    upload = tmp_path / "upload.tr.md"
    upload.write_text(
        "---\ntitle: Kent Sıcağı\n---\n\nYaz sıcağı en ölümcül tehlike.\n\n"
        "{{< highlight python >}}\ndef shade(trees):\n    return trees * 2\n{{< /highlight >}}\n",
        encoding="utf-8",
    )
    task_id = open_task(settings, "heat", "tr")["id"]  # type: ignore[index]
    with transaction(settings.database_url) as s:
        assign(s, settings, task_id, EDITOR, "ayse")
    assert submit_file(settings, task_id, "ayse", upload)["state"] == "done"
    written = (tree / "posts/heat.tr.md").read_text(encoding="utf-8")
    assert written == (
        '{\n    "title": "Kent Sıcağı",\n    "translationKey": "heat",\n    "draft": false,\n'
        f'    "weight": 7,\n    "source_hash": "{source["source_hash"]}"\n}}\n\n'
        "Yaz sıcağı en ölümcül tehlike.\n\n"
        "{{< highlight python >}}\ndef shade(trees):\n    return trees * 2\n{{< /highlight >}}\n"
    )
    assert_written_back_and_current(
        settings, tmp_path, tree, {("heat", "tr"): tree / "posts/heat.tr.md"}
    )


BAD_SUBMISSIONS = {
    "no-title": ("translation.md", b"---\ndate: 2026-10-16\n---\n\nText.\n", "no title"),
    "no-front-matter": ("translation.md", b"Just the text.\n", "no title"),
    "empty-body": ("translation.md", b"---\ntitle: Zerno\n---\n\n  \n\n", "body is empty"),
    "invalid-front-matter": (
        "translation.md",
        b"---\ntitle: [unclosed\n---\n\nText.\n",
        "not valid YAML",
    ),
    "declares-another-language": (
        "translation.md",
        b"---\ntitle: Zerno\nlang: tr\n---\n\nText.\n",
        "says language 'tr'",
    ),
    "file-named-for-another-language": (
        "grain-corridor.tr.md",
        b"---\ntitle: Zerno\n---\n\nText.\n",
        "file name says language 'tr'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_SUBMISSIONS))
def test_refused_submission_changes_nothing(
    settings: Settings, content: Path, tmp_path: Path, case: str
) -> None:
    name, data, reason = BAD_SUBMISSIONS[case]
    scan(settings, content)
    add_people(settings)
    mine = take(settings, "ivan", "ru")
    upload = tmp_path / "uploads" / name
    upload.parent.mkdir()
    upload.write_bytes(data)
    files, before = tree_snapshot(content), db_snapshot(settings)

    refused(
        settings,
        InputError,
        lambda s: submit_markdown(s, settings, mine["id"], "ivan", upload.name, data),
        reason,
    )
    code, out, err = transync(settings, "submit", str(mine["id"]), str(upload), "--as", "ivan")
    assert code != 0 and reason in err, (code, out, err)
    assert db_snapshot(settings) == before
    assert tree_snapshot(content) == files

    # the claim is intact: a good file still goes through
    assert (
        submit_file(settings, mine["id"], "ivan", TRANSLATIONS / "grain-corridor.ru.md")["state"]
        == "done"
    )


def test_submission_error_lists_every_problem(settings: Settings, content: Path) -> None:
    scan(settings, content)
    add_people(settings)
    mine = take(settings, "ivan", "ru")
    with pytest.raises(SubmissionError) as caught:
        with transaction(settings.database_url) as s:
            submit_markdown(s, settings, mine["id"], "ivan", "x.tr.md", b"---\nlang: tr\n---\n\n")
    text = str(caught.value)
    for reason in ("no title", "body is empty", "says language 'tr'", "file name says"):
        assert reason in text
