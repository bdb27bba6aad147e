"""Celery workers for real: a private redis-server, `transync worker` and `transync beat`
subprocesses, PostgreSQL. Pre-fill after a scan, a worker killed mid-way, a flushed Redis,
two beat processes, and a pre-fill racing a source change."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select, update

import sync.memory
from sync.config import Settings
from sync.db.models import Memory, Outbox, SourceState, Suggestion, Task, utcnow
from sync.db.session import get_sessionmaker, transaction
from sync.frontmatter import parse_document
from sync.memory import learn, prefill
from sync.outbox import dispatch, sweep
from tests.conftest import make_settings, service_missing
from tests.helpers.probe import read_events
from tests.helpers.processes import Services, wait_until
from tests.helpers.tracking import open_task, scan, suggestion_rows, tasks, transync

DIGEST = "energy-digest"
INSERTED = "A new opening paragraph, written after the first round of pre-fill."


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    """Processes started by the test; every one is stopped (or killed) at the end."""
    started = Services(tmp_path)
    try:
        yield started
    finally:
        started.stop_all()


@pytest.fixture
def redis_url(services: Services) -> str:
    """A redis-server of the test's own, so FLUSHALL and SIGKILL harm nothing else."""
    try:
        _, url = services.redis()
    except (OSError, AssertionError) as exc:
        service_missing("redis-server", exc)
    return url


@pytest.fixture
def wsettings(pg_url: str, redis_url: str, tmp_path: Path) -> Settings:
    return make_settings(pg_url, broker_url=redis_url, locales_dir=str(tmp_path / "locales"))


def energy_segments(content: Path) -> list[str]:
    _, body, _ = parse_document(
        (content / "en/posts/energy-security.md").read_bytes(), origin="energy-security"
    )
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def add_digest(content: Path) -> dict[str, str]:
    """A new English post built from energy-security: one paragraph and one heading as they
    are (exact matches), one paragraph with a year changed (a fuzzy match), one new."""
    paras = energy_segments(content)
    same, edited, heading = paras[0], paras[1], "## What governments should do"
    assert heading in paras and "2027" in edited
    new = "A paragraph nobody has translated yet, about tariffs on winter heating."
    body = "\n\n".join([same, edited.replace("2027", "2029"), heading, new])
    (content / "en/posts" / f"{DIGEST}.md").write_text(
        f"---\ntitle: Energy digest\ntranslationKey: {DIGEST}\n---\n\n{body}\n", encoding="utf-8"
    )
    return {
        "same": same,
        "edited": edited.replace("2027", "2029"),
        "heading": heading.lstrip("# "),
        "new": new,
    }


def insert_opening(content: Path) -> None:
    """A source change that moves every segment of the digest one position down."""
    path = content / "en/posts" / f"{DIGEST}.md"
    head, body = path.read_text(encoding="utf-8").split("---\n\n", 1)
    path.write_text(f"{head}---\n\n{INSERTED}\n\n{body}", encoding="utf-8")


def pending(settings: Settings) -> list[int]:
    with transaction(settings.database_url) as s:
        return list(
            s.execute(
                select(Outbox.id).where(Outbox.done_at.is_(None)).order_by(Outbox.id)
            ).scalars()
        )


def outbox_ids(settings: Settings) -> list[int]:
    with transaction(settings.database_url) as s:
        return list(s.execute(select(Outbox.id).order_by(Outbox.id)).scalars())


def open_ids(settings: Settings) -> list[int]:
    return [t["id"] for t in tasks(settings) if t["state"] in ("queued", "claimed")]


def recomputed(settings: Settings, task_id: int) -> list[tuple[Any, ...]]:
    """The suggestions a fresh pre-fill of the task would store now (rolled back)."""
    sync.memory._MATCHERS.clear()  # fresh: not this process's cached view of the memory
    session = get_sessionmaker(settings.database_url)()
    try:
        with session.begin():
            session.execute(
                update(Task).where(Task.id == task_id).values(prefilled_revision=-1)
            )  # stale: redo and replace
            prefill(session, settings, [task_id])
            rows = [
                tuple(r)
                for r in session.execute(
                    select(
                        Suggestion.position, Suggestion.text, Suggestion.score, Suggestion.origin
                    )
                    .where(Suggestion.task_id == task_id)
                    .order_by(Suggestion.position, Suggestion.text)
                )
            ]
            session.rollback()
        return rows
    finally:
        session.close()


def assert_prefilled_once_and_right(settings: Settings) -> None:
    """Every open task is pre-filled for its current revision, exactly as a fresh pre-fill
    would do it now: nothing missing, nothing doubled, nothing left from an older revision."""
    with transaction(settings.database_url) as s:
        rows = s.execute(
            select(Task.id, Task.source_revision, Task.prefilled_revision).where(
                Task.state.in_(("queued", "claimed"))
            )
        ).all()
        per_position = Counter(s.execute(select(Suggestion.task_id, Suggestion.position)).all())
    assert rows, "no open task"
    for task_id, revision, prefilled in rows:
        assert prefilled == revision, f"task {task_id} pre-filled for r{prefilled}, is r{revision}"
        assert suggestion_rows(settings, task_id) == recomputed(settings, task_id), task_id
    assert max(per_position.values()) <= 3


def committed_computations(probe: Path) -> Counter[int]:
    """Task id → how many pre-fills computed it and committed."""
    return Counter(
        tid
        for e in read_events(probe)
        if e["event"] == "prefill-committed"
        for tid in e["computing"]
    )


# -- pre-fill --------------------------------------------------------------------------------


def test_prefill_after_a_scan_exact_and_fuzzy(
    wsettings: Settings, content: Path, services: Services
) -> None:
    texts = add_digest(content)
    worker = services.worker("worker", wsettings)
    scan(wsettings, content)
    rows = outbox_ids(wsettings)
    assert len(rows) == 2, "pre-fill is batched: one message per language"
    assert dispatch(wsettings) == 2
    wait_until(lambda: not pending(wsettings), 30, "the outbox to be done", alive=(worker,))

    with transaction(wsettings.database_url) as s:
        memory = {
            (m.target_lang, m.source_text): m.target_text
            for m in s.execute(select(Memory)).scalars()
        }
    for lang in ("tr", "ru"):
        t = open_task(wsettings, DIGEST, lang)
        assert t is not None
        by_position: dict[int, list[tuple[str, float, str]]] = {}
        for position, text, score, origin in suggestion_rows(wsettings, t["id"]):
            by_position.setdefault(position, []).append((text, score, origin))
        # positions: 0 title, 1 same, 2 edited, 3 heading, 4 new
        assert by_position[1] == [
            (memory[(lang, texts["same"])], 100.0, f"energy-security [{lang}]")
        ]
        assert by_position[3] == [
            (memory[(lang, texts["heading"])], 100.0, f"energy-security [{lang}]")
        ]
        ((fuzzy_text, fuzzy_score, _),) = by_position[2]
        original = texts["edited"].replace("2029", "2027")
        assert fuzzy_text == memory[(lang, original)] and 75 <= fuzzy_score < 100
        assert 4 not in by_position and 0 not in by_position

    # the translator sees them in `transync task ID --json`
    t = open_task(wsettings, DIGEST, "tr")
    code, out, err = transync(wsettings, "task", str(t["id"]), "--json")  # type: ignore[index]
    assert code == 0, err
    segments = json.loads(out)["segments"]
    assert [len(seg["suggestions"]) for seg in segments] == [0, 1, 1, 1, 0]
    assert segments[1]["suggestions"][0]["score"] == 100.0
    assert_prefilled_once_and_right(wsettings)
    assert "transync.prefill" in worker.log() and "succeeded" in worker.log()


def test_prefill_by_a_worker_offers_only_what_memory_truly_learned(
    wsettings: Settings, tmp_path: Path, services: Services
) -> None:
    """A site as sites are: the Russian page left its newsletter line in English, the
    Turkish one has a translator's note (one paragraph more). A new English post repeats
    the boilerplate: the worker's pre-fill offers the Russian title's and paragraph's true
    translations, never English as Russian nor the note as a Turkish paragraph."""
    from tests.integration.test_memory_truth import NEWSLETTER, PRICES, REPORT, build_site, write

    root = build_site(tmp_path / "content")
    worker = services.worker("worker", wsettings)
    scan(wsettings, root)
    write(root, "en", "oil", "Gas in 2024", f"{PRICES}\n\n{REPORT}\n\n{NEWSLETTER}")
    scan(wsettings, root)
    dispatch(wsettings)
    wait_until(lambda: not pending(wsettings), 30, "the outbox to be done", alive=(worker,))
    offered = {}
    for lang in ("tr", "ru"):
        t = open_task(wsettings, "oil", lang)
        assert t is not None
        offered[lang] = {(pos, text) for pos, text, _, _ in suggestion_rows(wsettings, t["id"])}
    assert offered["ru"] == {
        (0, "Газ в 2024 году"),
        (1, "Цены на газ выросли на 40% в 2022 году."),
        (2, "Подробности читайте в [докладе](/ru/docs/report/)."),
    }
    assert offered["tr"] == {(0, "2024'te gaz")}
    assert_prefilled_once_and_right(wsettings)


def test_transync_scan_nudges_the_workers(
    wsettings: Settings, content: Path, services: Services
) -> None:
    """`transync scan` commits pre-fill messages to the outbox; like `submit` it must publish
    them after commit, so that a running worker pre-fills without waiting for a sweep."""
    add_digest(content)
    worker = services.worker("worker", wsettings)
    code, _, err = transync(wsettings, "scan", str(content))
    assert code == 0, err
    assert outbox_ids(wsettings)
    wait_until(
        lambda: not pending(wsettings),
        10,
        "the worker to pre-fill after `transync scan` (no sweeper running)",
        alive=(worker,),
    )
    assert_prefilled_once_and_right(wsettings)


@pytest.mark.faults
def test_worker_killed_mid_prefill_leaves_work_done_once(
    wsettings: Settings, content: Path, services: Services, tmp_path: Path
) -> None:
    add_digest(content)
    probe, gate = tmp_path / "probe.jsonl", tmp_path / "gate"
    doomed = services.worker(
        "doomed",
        wsettings,
        probe=True,
        TRANSYNC_TEST_PROBE=str(probe),
        TRANSYNC_TEST_GATE=str(gate),
    )
    scan(wsettings, content)
    rows = outbox_ids(wsettings)
    assert dispatch(wsettings) == len(rows) == 2
    wait_until(
        lambda: any(e["event"] == "gate-wait" for e in read_events(probe)),
        30,
        "the worker to be mid-way through a pre-fill",
        alive=(doomed,),
    )
    started = next(e for e in read_events(probe) if e["event"] == "prefill-start")
    assert started["computing"], "the interrupted pre-fill had work to do"
    doomed.kill()

    # nothing of the interrupted pre-fill was applied
    assert pending(wsettings) == rows
    with transaction(wsettings.database_url) as s:
        assert not s.execute(
            select(Suggestion.id).where(Suggestion.task_id.in_(started["computing"]))
        ).first()

    # a new worker does the message still queued; the one held by the dead worker stays
    # un-acknowledged in Redis (until the 1 h visibility timeout), so its row stays pending
    fresh = services.worker("fresh", wsettings, probe=True, TRANSYNC_TEST_PROBE=str(probe))
    wait_until(
        lambda: len(pending(wsettings)) == 1, 30, "the queued message to be done", alive=(fresh,)
    )
    time.sleep(1.0)
    assert len(pending(wsettings)) == 1

    # the sweeper republishes it; the new worker completes it
    assert sweep(wsettings, older_than=dt.timedelta(0)) == 1
    wait_until(lambda: not pending(wsettings), 30, "the swept message to be done", alive=(fresh,))
    computed = committed_computations(probe)
    assert set(computed) == set(open_ids(wsettings))
    assert all(n == 1 for n in computed.values()), f"pre-filled more than once: {computed}"
    assert_prefilled_once_and_right(wsettings)

    # a late duplicate (the dead worker's message coming back) changes nothing
    before = {tid: suggestion_rows(wsettings, tid) for tid in open_ids(wsettings)}
    with transaction(wsettings.database_url) as s:
        s.execute(update(Outbox).values(done_at=None))
    assert sweep(wsettings, older_than=dt.timedelta(0)) == 2
    wait_until(lambda: not pending(wsettings), 30, "the duplicates to be done", alive=(fresh,))
    assert {tid: suggestion_rows(wsettings, tid) for tid in open_ids(wsettings)} == before
    assert committed_computations(probe) == computed


@pytest.mark.faults
def test_flushall_then_the_sweeper_gets_every_job_done(
    wsettings: Settings, content: Path, services: Services, redis_url: str
) -> None:
    add_digest(content)
    scan(wsettings, content)
    rows = outbox_ids(wsettings)
    assert dispatch(wsettings) == len(rows) == 2
    broker = redis.Redis.from_url(redis_url)
    assert sum(broker.llen(q) for q in ("prefill.tr", "prefill.ru")) == 2
    broker.flushall()
    assert broker.dbsize() == 0

    worker = services.worker("worker", wsettings)
    time.sleep(1.5)
    assert pending(wsettings) == rows, "a flushed message was done anyway?"
    # a minute later the sweeper republishes whatever is not done
    sweep_and_finish(wsettings, worker, timeout=30)
    with transaction(wsettings.database_url) as s:
        attempts = s.execute(select(Outbox.attempts)).scalars().all()
    assert attempts == [2, 2]


def sweep_and_finish(wsettings: Settings, worker: Any, *, timeout: float) -> None:
    """Age the two pending outbox rows past the sweep delay, sweep, and see them done once."""
    with transaction(wsettings.database_url) as s:
        s.execute(update(Outbox).values(published_at=utcnow() - dt.timedelta(minutes=2)))
    code, out, err = transync(wsettings, "dispatch", "--sweep")
    assert code == 0 and "2 messages published" in out, (out, err)
    wait_until(
        lambda: not pending(wsettings), timeout, "the swept messages to be done", alive=(worker,)
    )
    assert_prefilled_once_and_right(wsettings)


@pytest.mark.faults
def test_redis_restarted_with_jobs_pending(
    wsettings: Settings, content: Path, services: Services, redis_url: str
) -> None:
    """Redis dies with the messages in it and comes back empty on the same port while a
    worker is running: the worker reconnects and the sweeper gets every job done."""
    add_digest(content)
    scan(wsettings, content)
    rows = outbox_ids(wsettings)
    assert dispatch(wsettings) == len(rows) == 2
    server = next(s for s in services.started if s.name == "redis")
    port = redis_url.rsplit(":", 1)[1].split("/")[0]
    server.kill()  # the queued messages die with it (no persistence)
    worker = services.worker("worker", wsettings, ready=False)
    time.sleep(2.0)  # the worker is up, retrying its connection
    again = services.start(
        "redis-again",
        [server.argv[0], "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        dict(os.environ),
    )
    again.wait_for_log(r"Ready to accept connections", timeout=10)
    worker.wait_for_log(r"ready", timeout=60)
    assert pending(wsettings) == rows
    sweep_and_finish(wsettings, worker, timeout=60)


def test_prefill_racing_a_source_change_keeps_current_suggestions(
    wsettings: Settings, content: Path, services: Services, tmp_path: Path
) -> None:
    """A pre-fill that read its tasks before a source change moved them must not overwrite
    the suggestions another worker made for the new revision."""
    add_digest(content)
    probe, gate = tmp_path / "probe.jsonl", tmp_path / "gate"
    slow = services.worker(
        "slow", wsettings, probe=True, TRANSYNC_TEST_PROBE=str(probe), TRANSYNC_TEST_GATE=str(gate)
    )
    scan(wsettings, content)
    first_round = outbox_ids(wsettings)
    dispatch(wsettings)
    wait_until(
        lambda: any(e["event"] == "gate-wait" for e in read_events(probe)),
        30,
        "the slow worker to be mid-way through a pre-fill",
        alive=(slow,),
    )
    quick = services.worker("quick", wsettings, probe=True, TRANSYNC_TEST_PROBE=str(probe))

    insert_opening(content)
    rescan = threading.Thread(target=lambda: (scan(wsettings, content), dispatch(wsettings)))
    rescan.start()
    rescan.join(timeout=3)
    if not rescan.is_alive():  # nothing held the scan back: the quick worker goes first
        wait_until(
            lambda: len(pending(wsettings)) == 1 and pending(wsettings)[0] in first_round,
            30,
            "the quick worker to pre-fill the new revision",
            alive=(quick,),
        )
    gate.touch()
    rescan.join(timeout=60)
    assert not rescan.is_alive(), "the scan never finished"
    dispatch(wsettings)
    wait_until(lambda: not pending(wsettings), 30, "every pre-fill to be done", alive=(slow, quick))
    digest = open_task(wsettings, DIGEST, "tr")
    assert digest is not None and digest["source_revision"] == 2
    assert_prefilled_once_and_right(wsettings)


def add_post(content: Path, key: str, *paragraphs: str) -> None:
    body = "\n\n".join(paragraphs)
    (content / "en/posts" / f"{key}.md").write_text(
        f"---\ntitle: {key}\ntranslationKey: {key}\n---\n\n{body}\n", encoding="utf-8"
    )


def test_prefill_sees_memory_committed_out_of_id_order(
    wsettings: Settings, content: Path, services: Services
) -> None:
    """Memory rows are numbered when inserted but become visible when committed: a row that
    a longer transaction (a submission, a scan) committed after a newer one must still reach
    a worker that has pre-filled in between."""
    url = wsettings.database_url
    scan(wsettings, content)
    worker = services.worker("worker", wsettings)
    dispatch(wsettings)
    wait_until(lambda: not pending(wsettings), 30, "the first pre-fill", alive=(worker,))

    late = "Port authorities along the coast will publish a shared schedule of repairs."
    late_tr = "Kıyıdaki liman idareleri ortak bir onarım takvimi yayımlayacak."
    slow = get_sessionmaker(url)()
    try:
        with slow.begin():
            learn(slow, "en", "tr", [(late, late_tr, "manual [tr]")])
            slow.flush()  # numbered, not yet committed
            with transaction(url) as s:
                learn(
                    s,
                    "en",
                    "tr",
                    [
                        (
                            "A sentence learned a moment later, and committed.",
                            "Biraz sonra öğrenilen ve kaydedilen bir cümle.",
                            "manual [tr]",
                        )
                    ],
                )
            add_post(content, "first-news", "Nothing in this post is in the memory yet.")
            scan(wsettings, content)
            dispatch(wsettings)
            wait_until(lambda: not pending(wsettings), 30, "a pre-fill in between", alive=(worker,))
    finally:
        slow.close()

    add_post(content, "late-news", late)
    scan(wsettings, content)
    dispatch(wsettings)
    wait_until(lambda: not pending(wsettings), 30, "the last pre-fill", alive=(worker,))
    t = open_task(wsettings, "late-news", "tr")
    assert t is not None
    assert (1, late_tr, 100.0, "manual [tr]") in suggestion_rows(wsettings, t["id"]), (
        "the worker never saw the memory row committed after a newer one"
    )
    assert_prefilled_once_and_right(wsettings)


# -- beat ------------------------------------------------------------------------------------


def test_two_beats_never_scan_one_source_at_once(
    pg_url: str, redis_url: str, content: Path, services: Services, tmp_path: Path
) -> None:
    interval = 2
    settings = make_settings(
        pg_url,
        broker_url=redis_url,
        sources=f"fs:{content}",
        scan_interval=interval,
        locales_dir=str(tmp_path / "locales"),
    )
    probe = tmp_path / "probe.jsonl"
    watch = {"TRANSYNC_TEST_PROBE": str(probe), "TRANSYNC_TEST_SCAN_HOLD": "0.5"}
    workers = [services.worker(f"w{i}", settings, probe=True, **watch) for i in (1, 2)]
    started = time.time()
    beats = [services.beat(f"beat{i}", settings) for i in (1, 2)]

    def scans_run() -> int:
        return sum(1 for e in read_events(probe) if e["event"] == "run-scan" and e["ran"])

    wait_until(lambda: scans_run() >= 3, 40, "three scheduled scans", alive=(*workers, *beats))
    for beat in beats:
        beat.stop()

    def balanced() -> bool:  # every scan that started has ended
        kinds = Counter(e["event"] for e in read_events(probe))
        return kinds["scan-start"] == kinds["scan-end"]

    time.sleep(0.5)
    wait_until(balanced, 15, "the last scan to end", alive=tuple(workers))
    for worker in workers:
        worker.stop()
    elapsed = time.time() - started

    for beat in beats:
        assert "Sending due task scan-sources (transync.scan)" in beat.log(), beat.tail()
    events = read_events(probe)
    calls = [e for e in events if e["event"] == "run-scan"]
    assert all(e["scheduled"] for e in calls)
    ran = [e for e in calls if e["ran"]]
    skipped = [e for e in calls if not e["ran"]]

    # never two scans of the source at once
    spans = []
    for pid in {e["pid"] for e in events}:
        mine = [e for e in events if e["pid"] == pid and e["event"] in ("scan-start", "scan-end")]
        assert [e["event"] for e in mine] == ["scan-start", "scan-end"] * (len(mine) // 2)
        spans += [(a["t"], b["t"]) for a, b in zip(mine[::2], mine[1::2], strict=True)]
    spans.sort()
    overlaps = [(a, b) for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1]]
    assert not overlaps, f"two scans of one source at once: {overlaps}"
    assert skipped, "the second beat's scans never arrived, or were never refused"

    # one scan per interval: scans at least half an interval apart, no more than the beats'
    # ticks, and the count the database keeps agrees with what ran
    starts = [s for s, _ in spans]
    assert all(b - a >= interval / 2 for a, b in zip(starts, starts[1:], strict=False)), starts
    assert len(ran) == len(spans) <= elapsed / interval + 1
    with transaction(settings.database_url) as s:
        recorded = s.execute(
            select(SourceState.scans).where(SourceState.source == f"fs:{content}")
        ).scalar_one()
    assert recorded == len(ran)
