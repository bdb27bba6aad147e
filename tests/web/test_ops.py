"""/healthz and /metrics: real checks of the database and the broker, and Prometheus text
that a parser accepts, with numbers that match the tracker."""

from __future__ import annotations

import re

from sync.db.session import transaction
from sync.queue import claim
from sync.submission import submit_markdown
from tests.web.site import Pristine, Site

SAMPLE = re.compile(
    r'^([a-z_:][a-z0-9_:]*)(\{([a-z_]+="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf)$'
)


def metrics(site: Site) -> dict[str, float]:
    text = site.client().get("/metrics").text
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ .+$", line), line
            continue
        m = SAMPLE.match(line)
        assert m, f"not an exposition line: {line!r}"
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_healthz_ok(site: Site) -> None:
    r = site.client().get("/healthz")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.json()["database"] == {"ok": True}
    assert r.json()["broker"] == {"ok": True, "transport": "memory"}


def test_healthz_broker_down_is_degraded(pristine: Pristine, fast_hashes: None) -> None:
    site = pristine.restore(broker_url="redis://127.0.0.1:1/0")
    r = site.client().get("/healthz")
    assert r.status_code == 200  # the outbox keeps the work; the web still serves
    body = r.json()
    assert body["status"] == "degraded" and body["broker"]["ok"] is False
    assert body["broker"]["transport"] == "redis" and body["broker"]["error"]


def test_healthz_database_down_is_503(pristine: Pristine, fast_hashes: None) -> None:
    site = pristine.restore(database_url="sqlite:////proc/no/such/dir/transync.db")
    r = site.client().get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "down" and r.json()["database"]["ok"] is False


def test_metrics(site: Site) -> None:
    m = metrics(site)
    assert m['transync_posts{lang="tr",state="missing"}'] == 1
    assert m['transync_posts{lang="tr",state="current"}'] == 5
    assert m['transync_posts{lang="en",state="source"}'] == 6
    assert m['transync_tasks{lang="tr",state="queued"}'] == 1
    assert m['transync_tasks{lang="ru",state="queued"}'] == 1
    assert m['transync_task_duration_seconds_count{lang="tr"}'] == 0
    with transaction(site.settings.database_url) as session:
        task, _key = claim(session, site.settings, "ayse", "tr") or (None, None)
        assert task is not None
        submit_markdown(
            session, site.settings, task.id, "ayse", "t.md", b"---\ntitle: Dijital\n---\n\nMetin.\n"
        )
    m = metrics(site)
    assert m['transync_tasks{lang="tr",state="done"}'] == 1
    assert m['transync_tasks{lang="tr",state="queued"}'] == 0
    assert m['transync_task_duration_seconds_count{lang="tr"}'] == 1
    assert m['transync_task_duration_seconds_bucket{lang="tr",le="600"}'] == 1
    assert m['transync_task_duration_seconds_bucket{lang="tr",le="+Inf"}'] == 1
    assert m['transync_posts{lang="tr",state="current"}'] == 6
    r = site.client().get("/metrics")
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
