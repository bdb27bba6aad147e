"""Property tests of the task lifecycle: no sequence of operations reaches a state the
lifecycle forbids, and no task is ever open twice for one post and language."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import select

from sync.db.migrate import upgrade
from sync.db.models import OPEN_TASK_STATES, Post, Task
from sync.db.session import dispose, transaction
from sync.errors import TransyncError
from sync.history import acknowledge
from sync.people import add_user
from sync.queue import cancel, claim, expire, release, renew
from sync.scanning import run_scan
from sync.submission import approve, reject, submit_markdown
from tests.conftest import EXAMPLES, make_settings

pytestmark = pytest.mark.faults

ALLOWED = {
    ("queued", "claimed"),
    ("claimed", "queued"),
    ("claimed", "submitted"),
    ("submitted", "claimed"),
    ("claimed", "done"),
    ("submitted", "done"),
    ("queued", "cancelled"),
    ("claimed", "cancelled"),
    ("submitted", "cancelled"),
}
PEOPLE = {"ayse": ["tr"], "ivan": ["ru"], "olga": ["tr", "ru"]}
SOURCES = ["energy-security", "grain-corridor", "urban-heat", "labour-migration"]
TRANSLATION = b"---\ntitle: Bir ba\xc5\x9fl\xc4\xb1k\n---\n\nBir paragraf.\n"

_TEMPLATE: dict[str, Path] = {}


def template() -> Path:
    """The demo content scanned into SQLite once, with translators and an editor."""
    if "db" not in _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="transync-lifecycle-"))
        shutil.copytree(EXAMPLES / "content", base / "content")
        url = f"sqlite:///{base / 'template.db'}"
        upgrade(url)
        s = make_settings(url, review=True)
        run_scan(s, [str(base / "content")])
        with transaction(url) as session:
            for name, langs in PEOPLE.items():
                add_user(session, s, name, role="translator", langs=langs)
            add_user(session, s, "ed", role="editor")
        dispose(url)
        _TEMPLATE.update(db=base / "template.db", content=base / "content")
    return _TEMPLATE["db"]


class Lifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        db = template()
        self.work = Path(tempfile.mkdtemp(prefix="transync-lifecycle-case-"))
        shutil.copyfile(db, self.work / "t.db")
        shutil.copytree(_TEMPLATE["content"], self.work / "content")
        self.url = f"sqlite:///{self.work / 't.db'}"
        self.review = True
        self.settings = make_settings(self.url, review=True)
        self.seen: dict[int, str] = {}
        self.now = dt.datetime.now(dt.UTC)
        self.snapshot()

    def teardown(self) -> None:
        dispose(self.url)
        shutil.rmtree(self.work, ignore_errors=True)

    def act(self, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            with transaction(self.url) as session:
                fn(session)
        except TransyncError:
            pass  # refused: nothing changed (the invariants check that too)
        self.snapshot()

    def snapshot(self) -> None:
        with transaction(self.url) as session:
            rows = session.execute(select(Task.id, Task.state)).all()
        for task_id, state in rows:
            before = self.seen.get(task_id)
            if before is not None and before != state:
                assert (before, state) in ALLOWED, f"task {task_id}: {before} → {state}"
            self.seen[task_id] = state

    def task_ids(self) -> list[int]:
        return sorted(self.seen)

    @rule(name=st.sampled_from(sorted(PEOPLE)), lang=st.sampled_from(["tr", "ru"]))
    def claim(self, name: str, lang: str) -> None:
        self.act(lambda s: claim(s, self.settings, name, lang))

    @rule(name=st.sampled_from(sorted(PEOPLE)), pick=st.integers(0, 50))
    def release(self, name: str, pick: int) -> None:
        ids = self.task_ids()
        if ids:
            self.act(lambda s: release(s, ids[pick % len(ids)], name))

    @rule(name=st.sampled_from(sorted(PEOPLE)), pick=st.integers(0, 50))
    def renew(self, name: str, pick: int) -> None:
        ids = self.task_ids()
        if ids:
            self.act(lambda s: renew(s, self.settings, ids[pick % len(ids)], name))

    @rule(hours=st.integers(0, 200))
    def expire(self, hours: int) -> None:
        self.act(lambda s: expire(s, self.now + dt.timedelta(hours=hours)))

    @rule(name=st.sampled_from(sorted(PEOPLE)), pick=st.integers(0, 50))
    def submit(self, name: str, pick: int) -> None:
        ids = self.task_ids()
        if ids:
            self.act(
                lambda s: submit_markdown(
                    s, self.settings, ids[pick % len(ids)], name, "t.md", TRANSLATION
                )
            )

    @rule(pick=st.integers(0, 50), ok=st.booleans())
    def review(self, pick: int, ok: bool) -> None:
        ids = self.task_ids()
        if not ids:
            return
        task_id = ids[pick % len(ids)]
        if ok:
            self.act(lambda s: approve(s, self.settings, task_id, "ed"))
        else:
            self.act(lambda s: reject(s, self.settings, task_id, "ed", "please check"))

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        ids = self.task_ids()
        if ids:
            self.act(lambda s: cancel(s, ids[pick % len(ids)], "ed", "not needed"))

    @rule(
        key=st.sampled_from(SOURCES),
        words=st.text(alphabet="abcçdefgğhıijklmnoöprsştuüvyzабвгде ", min_size=3, max_size=30),
    )
    def edit_source_and_scan(self, key: str, words: str) -> None:
        path = self.work / "content/en/posts" / f"{key}.md"
        path.write_text(
            path.read_text(encoding="utf-8") + f"\n{words.strip() or 'x'}.\n", encoding="utf-8"
        )
        run_scan(self.settings, [str(self.work / "content")])
        self.snapshot()

    @rule(key=st.sampled_from(SOURCES), lang=st.sampled_from(["tr", "ru"]))
    def ack(self, key: str, lang: str) -> None:
        def run(s):  # type: ignore[no-untyped-def]
            acknowledge(s, self.settings, key, lang, "ed")
            from sync.planning import plan_tasks

            plan_tasks(
                s, self.settings, [s.execute(select(Post.id).where(Post.key == key)).scalar_one()]
            )

        self.act(run)

    @invariant()
    def at_most_one_open_task_per_post_and_language(self) -> None:
        with transaction(self.url) as session:
            rows = session.execute(
                select(Task.post_id, Task.lang).where(Task.state.in_(OPEN_TASK_STATES))
            ).all()
        twice = [k for k, n in Counter(rows).items() if n > 1]
        assert not twice, twice

    @invariant()
    def claimed_tasks_have_an_assignee_and_a_lease(self) -> None:
        with transaction(self.url) as session:
            bad = session.execute(
                select(Task.id).where(
                    Task.state == "claimed",
                    (Task.assignee.is_(None)) | (Task.lease_expires_at.is_(None)),
                )
            ).all()
        assert not bad, bad


TestLifecycle = Lifecycle.TestCase
TestLifecycle.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
