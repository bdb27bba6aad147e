"""Every word the web shows is in the reader's language (issue 17, item 7): each page, with
check problems, refusals and errors from the core, rendered in Turkish and Russian, looks up
no message its catalog lacks, says no English sentence where the core speaks, and no page
tells a person to run a command."""

from __future__ import annotations

import dataclasses
import gettext
import re
from collections.abc import Iterator

import polib
import pytest
from fastapi.testclient import TestClient

from sync.db.session import transaction
from sync.pofiles import submit_segments
from sync.queue import claim, list_tasks
from sync.scanning import run_scan
from sync.taskview import task_detail
from tests.web.site import Site, change_energy_source, csrf

LANGS = ("tr", "ru")
#: A shell command a page must never ask for (the API documentation may name them).
COMMAND = re.compile(
    r"`transync [a-z]|\btransync (po|submit|scan|init|resolve|users|tasks|"
    r"status|claim|import|ack|translators)\b|--partial\b|command line"
)


@pytest.fixture
def misses(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Every msgid a Turkish or Russian page asked its catalog for and did not find."""
    found: set[str] = set()
    plain, plural = gettext.GNUTranslations.gettext, gettext.GNUTranslations.ngettext

    def lookup(self, message):  # type: ignore[no-untyped-def]
        if message not in self._catalog:
            found.add(message)
        return plain(self, message)

    def lookup_n(self, singular, plural_, n):  # type: ignore[no-untyped-def]
        if (singular, 0) not in self._catalog:
            found.add(singular)
        return plural(self, singular, plural_, n)

    monkeypatch.setattr(gettext.GNUTranslations, "gettext", lookup)
    monkeypatch.setattr(gettext.GNUTranslations, "ngettext", lookup_n)
    yield found


def upload(client: TestClient, task_id: int, name: str, data: bytes) -> str:
    """A file sent from the task page's upload form; the page that follows."""
    return client.post(
        f"/tasks/{task_id}/po",
        files={"file": (name, data)},
        data={"csrf_token": csrf(client, f"/tasks/{task_id}")},
        follow_redirects=True,
    ).text


def act(client: TestClient, path: str, page: str = "/my", **form: str) -> str:
    """A form posted from `page`; the page it leads to (where a refusal is flashed)."""
    return client.post(
        path, data={"csrf_token": csrf(client, page), **form}, follow_redirects=True
    ).text


def po_with_problems(po: bytes) -> bytes:
    """The task's own PO file, with one translation's markup broken and an entry of
    another post added."""
    catalog = polib.pofile(po.decode("utf-8"))
    entry = next(e for e in catalog if e.msgstr)
    entry.msgstr, entry.flags = "<b>Kalın", []
    catalog.append(polib.POEntry(msgctxt="another-post", msgid="Elsewhere", msgstr="Başka"))
    return str(catalog).encode("utf-8")


def relabelled(po: bytes, language: str) -> bytes:
    catalog = polib.pofile(po.decode("utf-8"))
    catalog.metadata["Language"] = language
    return str(catalog).encode("utf-8")


def submit_all(site: Site, task_id: int, name: str) -> str:
    """Every segment of a claimed task submitted as the task page shows it (the core's
    submission, as a browser's); the task's state after."""
    with transaction(site.settings.database_url) as session:
        segments = task_detail(session, site.settings, task_id)["segments"]
        texts = {s["position"]: s["translation"] for s in segments}
        assert all(texts.values()), "a segment has no translation to submit"
        return str(
            submit_segments(session, site.settings, task_id, name, texts, partial=False)["state"]
        )


def task_of(site: Site, lang: str, state: str, post: str | None = None) -> int:
    with transaction(site.settings.database_url) as session:
        found = list_tasks(session, lang=lang, states=[state], post=post)
    assert found, f"no {state} task in {lang}"
    return found[0][0].id


def pages(site: Site, lang: str) -> dict[str, str]:
    """The pages of a site with work in every state, as an editor and translators see
    them, with every kind of refusal the core and the web say: a refused browser submission,
    refused PO and Markdown uploads, refused acts (release, renew, approve, reject, assign,
    acknowledge), the users and account forms' errors, a task in conflict, and the review
    screen."""
    change_energy_source(site.content)
    run_scan(site.settings, [f"fs:{site.content}"])
    with transaction(site.settings.database_url) as session:
        for lang_ in ("tr", "ru"):  # the stale updates first: they have translations to carry
            ((update, _key),) = list_tasks(session, post="energy-security", lang=lang_)
            update.priority = 100
    with transaction(site.settings.database_url) as session:
        got = claim(session, site.settings, "ayse", "tr")
        assert got is not None
        task = got[0].id
    headers = {"Accept-Language": lang}
    root = site.login("root", headers=headers)
    ayse = site.login("ayse", headers=headers)
    ivan = site.login("ivan", headers=headers)
    seen: dict[str, str] = {}
    for path in (
        "/",
        "/?baseline=assumed",
        "/?sort=-stale",
        "/posts/energy-security",
        "/tasks?lang=tr",
        "/review",
        "/my",
        "/account",
        "/users",
        "/users/ayse",
        f"/tasks/{task}",
        "/no/such/page",
        "/?state=nothing",
        "/?lang=xx",
        "/?baseline=nothing",
        "/tasks?state=nothing",
        "/tasks/999",
        "/users/nobody",
        "/api/docs",
    ):
        seen[f"root {path}"] = root.get(path).text
    for path in ("/my", f"/tasks/{task}", "/account", "/review", "/users"):
        seen[f"ayse {path}"] = ayse.get(path).text
    seen["ivan someone else's task"] = ivan.get(f"/tasks/{task}").text

    # a refused browser submission: the source text unchanged, a dropped number, broken markup
    page = ayse.get(f"/tasks/{task}").text
    sources = re.findall(r'<div class="text" lang="en">(.*?)</div>', page, re.DOTALL)
    data = {"csrf_token": csrf(ayse, f"/tasks/{task}"), "action": "submit"}
    for i, source in enumerate(sources):
        data[f"t{i}"] = source.replace("&#39;", "'").replace("&amp;", "&")
    data["t1"] = "<b>Kalın"  # unclosed tag, numbers gone
    seen["ayse refused"] = ayse.post(f"/tasks/{task}/translations", data=data).text
    # and one with segments left empty
    data = {"csrf_token": csrf(ayse, f"/tasks/{task}"), "action": "submit", "t0": ""}
    seen["ayse untranslated"] = ayse.post(f"/tasks/{task}/translations", data=data).text

    # refused uploads: PO problems by entry, a PO of another language, a file that is no PO,
    # Markdown whose front matter is broken, Markdown with no title, body or right language
    po = ayse.get(f"/tasks/{task}/po").content
    seen["ayse PO with problems"] = upload(ayse, task, "energy.tr.po", po_with_problems(po))
    seen["ayse PO in Russian"] = upload(ayse, task, "energy.tr.po", relabelled(po, "ru"))
    seen["ayse PO broken"] = upload(
        ayse, task, "energy.tr.po", b'msgid "Energy\nmsgstr "Enerji"\nmsgid "x"\n'
    )
    seen["ayse PO empty"] = upload(ayse, task, "energy.tr.po", b"\n")
    seen["ayse Markdown front matter"] = upload(
        ayse, task, "energy.tr.md", b"---\ntitle: a: b\n---\n\nMetin.\n"
    )
    seen["ayse Markdown problems"] = upload(ayse, task, "energy.ru.md", b"---\nlang: ru\n---\n")

    # refused acts, each flashed on the page that follows
    seen["ayse release, no such task"] = act(ayse, "/tasks/999/release", confirm="yes")
    seen["ivan renew, not his"] = act(ivan, f"/tasks/{task}/renew")
    queued = task_of(site, "ru", "queued")
    seen["root renew, not claimed"] = act(root, f"/tasks/{queued}/renew", "/")
    seen["root approve, not submitted"] = act(root, f"/review/{task}/approve", "/")
    seen["root reject, not submitted"] = act(root, f"/review/{task}/reject", "/", reason="x")
    seen["root assign, wrong language"] = act(root, f"/tasks/{task}/assign", "/", to="ivan")
    seen["root assign, nobody"] = act(root, f"/tasks/{task}/assign", "/", to="nobody")
    seen["root ack, the source"] = act(
        root, "/posts/energy-security/ack", "/", lang="en", confirm="yes"
    )
    seen["ayse claim, not hers"] = act(ayse, "/my/claim", lang="ru")

    # the users and account forms' errors
    for name, form in {
        "a bad name": {"name": "no good!", "role": "translator"},
        "a short password": {"name": "newbie", "role": "translator", "password": "short"},
        "a name that exists": {"name": "ayse", "role": "translator"},
    }.items():
        seen[f"root users, {name}"] = root.post(
            "/users", data={"csrf_token": csrf(root, "/users"), **form}
        ).text
    seen["root users, the last admin"] = root.post(
        "/users/root",
        data={"csrf_token": csrf(root, "/users/root"), "role": "translator", "active": "on"},
    ).text
    seen["root users, no role"] = root.post(
        "/users/ayse",
        data={"csrf_token": csrf(root, "/users/ayse"), "role": "boss", "active": "on"},
    ).text
    seen["ayse account, passwords differ"] = ayse.post(
        "/account/password",
        data={
            "csrf_token": csrf(ayse, "/account"),
            "current": "x",
            "new": "a" * 12,
            "again": "b" * 12,
        },
    ).text
    seen["ayse account, wrong password"] = ayse.post(
        "/account/password",
        data={
            "csrf_token": csrf(ayse, "/account"),
            "current": "wrong horse",
            "new": "a" * 12,
            "again": "a" * 12,
        },
    ).text

    # a task in conflict: the Turkish file was edited by hand while the task was open
    target = site.content / "tr/posts/energy-security.md"
    target.write_text(
        target.read_text(encoding="utf-8") + "\nElle eklenen paragraf.\n", encoding="utf-8"
    )
    assert submit_all(site, task, "ayse") == "conflict"
    seen["root conflict"] = root.get(f"/tasks/{task}").text
    seen["ayse conflict"] = ayse.get(f"/tasks/{task}").text
    seen["root approve, in conflict"] = act(root, f"/review/{task}/approve", "/")
    seen["root resolve, unconfirmed"] = act(root, f"/tasks/{task}/resolve", "/", keep="disk")

    # the review screen: with review on, Ivan's Russian update waits for an editor
    site.settings = dataclasses.replace(site.settings, review=True)
    site.app = None
    site.make_app()  # the shared app (and every client of it) now reviews
    with transaction(site.settings.database_url) as session:
        got = claim(session, site.settings, "ivan", "ru")
        assert got is not None
        ru_task = got[0].id
    assert submit_all(site, ru_task, "ivan") == "submitted"
    for path in ("/review", "/review?lang=ru", f"/tasks/{ru_task}", "/tasks?state=submitted"):
        seen[f"root {path} in review"] = root.get(path).text
    seen["ivan his submission"] = ivan.get(f"/tasks/{ru_task}").text
    seen["root reject, no reason"] = act(root, f"/review/{ru_task}/reject", "/", reason=" ")
    act(root, f"/tasks/{queued}/cancel", "/", confirm="yes")
    seen["root cancel, cancelled"] = act(root, f"/tasks/{queued}/cancel", "/", confirm="yes")
    seen["anonymous /login"] = site.client(headers=headers).get("/login").text

    # a scan from the dashboard that rejects files: its problems are flashed
    posts = site.content / "en" / "posts"
    (posts / "bad-date.md").write_text(
        "---\ntitle: Bad date\ndate: 2024-02-30\n---\n\nText.\n", encoding="utf-8"
    )
    (posts / "nul.md").write_text("---\ntitle: NUL\n---\n\nA\x00B.\n", encoding="utf-8")
    (site.content / "tr" / "posts" / "mismatch.ru.md").write_text(
        "---\ntitle: Karışık\n---\n\nMetin.\n", encoding="utf-8"
    )
    seen["root scan with problems"] = act(root, "/actions/scan", "/")
    return seen


#: What the core says on a page: flashes, refusals, problems, error messages.
SAYS = re.compile(
    r'<div class="flash[^"]*"[^>]*>(.*?)</div>|<ul class="(?:seg-)?problems"'
    r'[^>]*>(.*?)</ul>|<p class="message">(.*?)</p>',
    re.DOTALL,
)
#: English a Turkish or Russian sentence never holds.
ENGLISH = re.compile(
    r"\b(?:the|is|are|was|not|no|of|to|and|with|this|that|run|lists?|"
    r"only|must|may|missing|extra|found|expected|line|segment|task|file)\b"
)
#: What may stay as it is inside a sentence: quoted text (a post's, a file's), tags, links.
QUOTED = re.compile(
    r'"[^"]*"|«[^»]*»|<[^>]*>|https?://\S+|`[^`]*`|(?<!\w)\'[^\']*\'(?!\w)|'
    r"&#39;[^&]*&#39;"
)
#: Pages that must show a refusal, and what shows it.
REFUSED = {
    "ayse refused": "seg-problems",
    "ayse untranslated": "flash-error",
    "ayse PO with problems": 'class="problems"',
    "ayse PO in Russian": 'class="problems"',
    "ayse PO broken": 'class="problems"',
    "ayse PO empty": "flash-error",
    "ayse Markdown front matter": "flash-error",
    "ayse Markdown problems": 'class="problems"',
    "ayse release, no such task": "flash-error",
    "ivan renew, not his": "flash-error",
    "root renew, not claimed": "flash-error",
    "root approve, not submitted": "flash-error",
    "root reject, not submitted": "flash-error",
    "root assign, wrong language": "flash-error",
    "root assign, nobody": "flash-error",
    "root ack, the source": "flash-error",
    "ayse claim, not hers": "flash-error",
    "root users, a bad name": "flash-error",
    "root users, a short password": "flash-error",
    "root users, a name that exists": "flash-error",
    "root users, the last admin": "flash-error",
    "root users, no role": "flash-error",
    "ayse account, passwords differ": "flash-error",
    "ayse account, wrong password": "flash-error",
    "root conflict": "conflict",
    "root approve, in conflict": "flash-error",
    "root reject, no reason": "flash-error",
    "root cancel, cancelled": "flash-error",
    "root /tasks/999": 'class="message"',
    "root /?lang=xx": 'class="message"',
    "ayse /review": 'class="message"',
    "root scan with problems": "flash-error",
}


@pytest.mark.parametrize("lang", LANGS)
def test_every_word_is_in_the_readers_language(lang: str, site: Site, misses: set[str]) -> None:
    seen = pages(site, lang)
    assert [name for name, mark in REFUSED.items() if mark not in seen[name]] == []
    assert sorted(misses) == [], f"{lang}: messages missing from the catalog"
    english = []
    for name, text in seen.items():
        for m in SAYS.finditer(text):
            said = next(g for g in m.groups() if g is not None)
            said = QUOTED.sub(" ", said)
            if ENGLISH.search(said):
                english.append((name, " ".join(said.split())[:200]))
    assert english == [], f"{lang}: English where the reader's language belongs"


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_tells_a_person_to_run_a_command(lang: str, site: Site) -> None:
    for name, text in pages(site, lang).items():
        if "/api/docs" in name:
            continue  # the API's documentation names the commands the API mirrors
        found = COMMAND.search(text)
        assert found is None, (name, text[max(0, found.start() - 200) : found.end() + 100])
