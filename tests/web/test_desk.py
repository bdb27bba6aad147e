"""The editor's desk through the pages: the review screen and its queue, the stale post page
side by side, live stale ages, sorting and task links in the matrix, readable history, and
translation-memory suggestions that show how they differ."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from sync.db.models import Post, Suggestion, Task
from sync.db.session import transaction
from sync.queue import claim, get_task, list_tasks
from sync.scanning import run_scan
from sync.taskview import task_detail
from tests.web.site import Site, change_energy_source, csrf, shown_submission, submit_update_as


def rows(page: str) -> list[str]:
    return re.findall(r'<span class="key">([^<]+)</span>', page)


def submit_update(site: Site, edit: dict[str, str] | None = None) -> int:
    """The energy-security source changes; ayse claims the Turkish update and submits it
    with its two changed paragraphs translated anew (and `edit`: old → new text)."""
    from sync.pofiles import submit_segments

    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    with transaction(site.settings.database_url) as session:
        ((task, _key),) = list_tasks(session, post="energy-security", lang="tr")
        task_id = task.id
        task.priority = 100
    with transaction(site.settings.database_url) as session:
        got = claim(session, site.settings, "ayse", "tr")
        assert got is not None and got[0].id == task_id
        segments = task_detail(session, site.settings, task_id)["segments"]
        texts = {s["position"]: s["translation"] for s in segments}
        for pos, text in texts.items():
            texts[pos] = text.replace("Açık deniz gazı,", "Açık deniz gazı, açık ara,").replace(
                "Hiçbir devlet", "Hiçbir hükümet"
            )
            for old, new in (edit or {}).items():
                texts[pos] = texts[pos].replace(old, new)
        submit_segments(session, site.settings, task_id, "ayse", texts, partial=False)
    return task_id


def test_review_screen_shows_what_the_submission_changes(review_site: Site) -> None:
    site = review_site
    task_id = submit_update(site)
    with transaction(site.settings.database_url) as session:
        task, _ = get_task(session, task_id)
        assert task.state == "submitted"
        # a submission made before a check existed: the review shows what it says now
        progress = dict(task.progress)
        pos = next(k for k, v in progress.items() if "2020" in v)
        progress[pos] = progress[pos].replace("2020", "2021")
        task.progress = progress
    ed = site.login("ed")
    page = ed.get(f"/tasks/{task_id}").text
    assert 'id="review"' in page and 'id="editor-form"' not in page
    changed = re.findall(r'<div class="seg rv-seg[^"]*ch-changed".*?\n  </div>\n', page, re.S)
    assert len(changed) == 2
    first = changed[0]
    # the source: old with what went, new with what came
    assert "<ins>, by far,</ins>" in first
    assert re.search(r'class="was">.*?<span class="text"[^>]*>Offshore gas is the', first, re.S)
    # the previous translation beside the submitted one, highlighted against it
    assert "Açık deniz gazı, bölgenin" in first  # the previous translation
    assert "<ins>, açık ara</ins>" in first
    assert "2021" in first and 'class="seg-problems"' in first  # the check's warning
    assert "2020" in re.search(r'<div class="rv-prev">.*?</div>', first, re.S).group(0)
    # what neither the source nor the translator changed is folded away
    assert '<details class="rv-same">' in page
    assert re.search(r"\d+ segments unchanged in source and translation", page)
    assert "2 warnings" in page  # 2020 is missing, 2021 is extra
    # approve and reject are on the page
    assert f'action="/review/{task_id}/approve"' in page
    assert re.search(r'<textarea name="reason"[^>]*required', page)


def test_a_new_translation_in_review_and_markdown_submissions(review_site: Site) -> None:
    site = review_site
    ayse = site.login("ayse")
    r = ayse.post("/my/claim", data={"lang": "tr", "csrf_token": csrf(ayse, "/my")})
    task_id = int(r.headers["location"].rsplit("/", 1)[1])
    md = "---\ntitle: Dijital Kamu Hizmetleri\n---\n\nMetin <script>x()</script>.\n"
    site.api("ayse").post(f"/api/v1/tasks/{task_id}/submit", files={"file": ("t.md", md)})
    ed = site.login("ed")
    page = ed.get(f"/tasks/{task_id}").text
    assert 'id="review"' in page and "Dijital Kamu Hizmetleri" in page
    assert "&lt;script&gt;x()" in page and "<script>x()" not in page
    # a file of another structure: the segments it has no counterpart for are said
    assert "no counterpart in the submission" in page
    # the translator sees the task as before, not the review screen
    assert 'id="review"' not in ayse.get(f"/tasks/{task_id}").text


def test_approve_from_the_task_page(review_site: Site) -> None:
    site = review_site
    task_id = submit_update(site)
    ed = site.login("ed")
    token = csrf(ed, f"/tasks/{task_id}")
    shown = shown_submission(ed.get(f"/tasks/{task_id}").text)
    r = ed.post(
        f"/review/{task_id}/approve",
        data={"csrf_token": token, "back": "/review?lang=tr", "submission_digest": shown},
    )
    assert r.headers["location"] == "/review?lang=tr"
    assert "approved" in ed.get("/review?lang=tr").text
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "done"
    text = (site.content / "tr/posts/energy-security.md").read_text(encoding="utf-8")
    assert "açık ara" in text
    r = ed.post(f"/review/{task_id}/approve", data={"csrf_token": token, "back": "//evil.x"})
    assert r.headers["location"] == f"/tasks/{task_id}"  # not submitted any more: said there


def add_submitted(site: Site, n: int, lang: str = "ru", start: int = 0) -> None:
    """n posts with a submitted task each (rows only: the queue's pages read nothing else)."""
    now = dt.datetime.now(dt.UTC)
    with transaction(site.settings.database_url) as session:
        for i in range(start, start + n):
            post = Post(key=f"bulk-{i:04d}", source_lang="en")
            session.add(post)
            session.flush()
            session.add(
                Task(
                    post_id=post.id,
                    lang=lang,
                    state="submitted",
                    kind="new",
                    source_revision=1,
                    assignee="ivan",
                    priority=0,
                    progress={},
                    source_changed=False,
                    created_at=now,
                    updated_at=now,
                    submission={
                        "format": "markdown",
                        "title": "T",
                        "body": "x" * 3000,
                        "submitted_by": "ivan",
                    },
                )
            )


def test_review_queue_has_tabs_counts_and_pages(review_site: Site) -> None:
    """1,000 submissions (3 KB each) make pages of 25, not one page of megabytes."""
    site = review_site
    add_submitted(site, 1000)
    add_submitted(site, 3, lang="tr", start=1000)
    ed = site.login("ed")
    page = ed.get("/review").text
    assert re.search(r'All languages <span class="count">1003</span>', page)
    assert re.search(r'Russian <span class="count">1000</span>', page)
    assert re.search(r'Turkish <span class="count">3</span>', page)
    assert "1003 submissions wait for review." in page
    assert page.count('id="review-') == 25 and len(page) < 60_000  # no bodies on the list
    assert 'aria-current="page">1<' in page and ">41</a>" in page
    last = ed.get("/review?lang=ru&page=40").text
    assert last.count('id="review-') == 25 and 'aria-current="page">40<' in last
    assert "lang=ru" in re.search(r'<a href="([^"]+)"[^>]*rel="prev"', last).group(1)
    assert ed.get("/review?lang=ru&page=41").text.count('aria-current="page">40<') == 1
    turkish = ed.get("/review?lang=tr").text
    assert turkish.count('id="review-') == 3 and "3 submissions wait" in turkish
    assert "Nothing waits for review." in ed.get("/review?lang=en").text


def test_matrix_sorts(site: Site) -> None:
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.login("ed")
    by_key = rows(ed.get("/").text)
    assert by_key == sorted(by_key)
    assert rows(ed.get("/?sort=-key").text) == by_key[::-1]
    page = ed.get("/?sort=title").text
    titles = re.findall(r'class="title">([^<]+)</a>', page)
    assert titles == sorted(titles, key=str.casefold) and len(titles) == 7
    assert rows(ed.get("/?sort=stale").text)[0] == "energy-security"
    assert rows(ed.get("/?sort=stale&lang=ru&state=stale").text) == ["energy-security"]
    # the order survives paging and filtering: the links carry it
    page = ed.get("/?sort=title&per_page=3").text
    assert 'href="?per_page=3&amp;sort=title&amp;page=2"' in page
    assert 'name="sort"' in page and '<option value="title" selected>' in page
    assert ed.get("/?sort=nonsense").status_code == 422


def test_stale_ages_are_counted_at_request_time(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.web import render

    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.login("ed")

    def ages(page: str) -> list[str]:
        return re.findall(
            r'<time class="since" datetime="[^"]+" title="[^"]+">([^<]+)</time>', page
        )

    first = ages(ed.get("/").text)
    assert len(first) == 2 and all("second" in a or "minute" in a for a in first), first
    real = render.now()
    monkeypatch.setattr(render, "now", lambda: real + dt.timedelta(days=3, hours=1))
    # the same snapshot (no event since), the same memoized table: the age moves all the same
    assert ages(ed.get("/").text) == ["for 3 days", "for 3 days"]
    ru = site.login("ed", headers={"Accept-Language": "ru"})
    assert ages(ru.get("/").text) != ["for 3 days", "for 3 days"]  # and speaks the UI's language


def test_task_badges_link_for_editors_only(site: Site) -> None:
    ed = site.login("ed")
    page = ed.get("/").text
    links = re.findall(r'<a class="task-flag tf-queued" href="/tasks/(\d+)"', page)
    assert len(links) == 2
    ayse = site.login("ayse")
    assert 'class="task-flag' in ayse.get("/").text
    assert '<a class="task-flag' not in ayse.get("/").text


def test_history_and_revisions_are_readable(site: Site) -> None:
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    ed = site.login("ed")
    ed.post(
        "/posts/energy-security/ack",
        data={"lang": "ru", "confirm": "yes", "csrf_token": csrf(ed, "/posts/energy-security")},
    )
    page = ed.get("/posts/energy-security").text
    history = page.split('class="list compact history"')[1]
    assert "new revision" in history and "acknowledged" in history
    assert "<b>based on</b> r2" in history
    assert "based_on_revision" not in history and "<b>previous</b>" not in history
    assert re.search(r'<b>task</b> <a href="/tasks/\d+">#\d+</a>', history)
    # revisions show their whole hash
    hashes = re.findall(r'<td class="hash"><code title="([0-9a-f]+)">([0-9a-f]+)</code>', page)
    assert hashes and all(len(full) == 64 and full == shown for full, shown in hashes)


def test_memory_suggestions_show_what_differs(site: Site) -> None:
    ayse = site.login("ayse")
    r = ayse.post("/my/claim", data={"lang": "tr", "csrf_token": csrf(ayse, "/my")})
    task_id = int(r.headers["location"].rsplit("/", 1)[1])
    with transaction(site.settings.database_url) as session:
        segments: list[Any] = task_detail(session, site.settings, task_id)["segments"]
        seg = next(s for s in segments if s["kind"] == "paragraph")
        words = seg["source"].split(" ")
        session.add(
            Suggestion(
                task_id=task_id,
                position=seg["position"],
                source_text=" ".join(["Earlier,", *words[1:]]),
                text="Önceki çeviri.",
                score=91.0,
                origin="other-post [tr]",
            )
        )
        session.add(
            Suggestion(
                task_id=task_id,
                position=seg["position"],
                source_text=seg["source"],
                text="Aynı kaynak.",
                score=100.0,
                origin="same [tr]",
            )
        )
    page = ayse.get(f"/tasks/{task_id}").text
    block = page.split(f'id="seg-{seg["position"]}"')[1].split('id="seg-')[0]
    diff = re.findall(r'<span class="sugg-diff"[^>]*>(.*?)</span>\n', block, re.S)
    assert len(diff) == 1  # the exact match has nothing to show
    assert "<del>Earlier,</del>" in diff[0] and f"<ins>{words[0]}</ins>" in diff[0]


def test_the_submitter_cannot_keep_an_unreviewed_submission_on_the_task_page(
    review_site: Site,
) -> None:
    site = review_site
    task_id = submit_update_as(site, "ed")
    site.api("ed").post("/api/v1/posts/energy-security/ack", json={"lang": "tr"})
    written = site.content / "tr/posts/energy-security.md"
    before = written.read_bytes()
    ed = site.login("ed")
    page = ed.get(f"/tasks/{task_id}").text
    # four eyes: the submitter is told, and offered only to keep what is on disk
    assert 'id="keep-disk"' in page and 'id="keep-submitted"' not in page
    assert "another editor" in page
    token = csrf(ed, f"/tasks/{task_id}")
    r = ed.post(
        f"/tasks/{task_id}/resolve",
        data={"csrf_token": token, "keep": "submitted", "confirm": "yes"},
    )
    assert r.headers["location"] == f"/tasks/{task_id}"
    assert "another editor" in ed.get(f"/tasks/{task_id}").text
    assert written.read_bytes() == before
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "conflict"
    root = site.login("root")
    assert 'id="keep-submitted"' in root.get(f"/tasks/{task_id}").text
    r = root.post(
        f"/tasks/{task_id}/resolve",
        data={"csrf_token": csrf(root, f"/tasks/{task_id}"), "keep": "submitted", "confirm": "yes"},
    )
    assert "written back" in root.get(f"/tasks/{task_id}").text
    assert "açık ara" in written.read_text(encoding="utf-8")


def test_approve_from_an_open_page_never_writes_a_newer_submission(review_site: Site) -> None:
    site = review_site
    task_id = submit_update(site)
    ed = site.login("ed")
    page = ed.get(f"/tasks/{task_id}").text
    form = {"csrf_token": csrf(ed, f"/tasks/{task_id}"), "back": "/review?lang=tr"}
    seen = re.search(r'<form method="post" action="/review/\d+/approve".*?</form>', page, re.S)
    assert seen and f'value="{shown_submission(page)}"' in seen.group(0)
    form["submission_digest"] = shown_submission(page)
    # meanwhile the submission is sent back and another one comes
    ayse, root = site.api("ayse"), site.api("root")
    root.post(f"/api/v1/tasks/{task_id}/reject", json={"reason": "Bir daha bakın."})
    segments = ayse.get(f"/api/v1/tasks/{task_id}").json()["segments"]
    texts = {s["position"]: s["translation"].replace("açık ara", "YENİ") for s in segments}
    r = ayse.post(f"/api/v1/tasks/{task_id}/translations", json={"translations": texts})
    assert r.json()["state"] == "submitted"
    written = site.content / "tr/posts/energy-security.md"
    before = written.read_bytes()
    # the page still open shows the first: approving (or rejecting) from it is refused
    r = ed.post(f"/review/{task_id}/approve", data=form)
    assert r.headers["location"] == f"/tasks/{task_id}"
    page = ed.get(f"/tasks/{task_id}").text
    assert "changed since you opened it" in page
    r = ed.post(f"/review/{task_id}/reject", data={**form, "reason": "Başlık?"})
    assert "changed since you opened it" in ed.get(f"/tasks/{task_id}").text
    assert written.read_bytes() == before
    with transaction(site.settings.database_url) as session:
        assert get_task(session, task_id)[0].state == "submitted"
    # reviewed again: the page names the new submission, and approving it writes it
    form["submission_digest"] = shown_submission(page)
    r = ed.post(f"/review/{task_id}/approve", data=form)
    assert r.headers["location"] == "/review?lang=tr"
    assert "YENİ" in written.read_text(encoding="utf-8")
