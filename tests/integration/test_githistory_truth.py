"""Git history says the same thing to a database that scanned once (fresh) and to one that
scanned after every commit (followed), and what a careful editor reading `git log` would
say: a translation is current only when its text changed after the source's did."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.db.migrate import upgrade
from sync.db.session import dispose_all, transaction
from sync.scanning import run_scan
from sync.status import load_rows, status_document
from tests.conftest import make_settings
from tests.helpers.gitrepo import GitRepo, git_env

SRC = "content/posts/a.md"
TR = "content/posts/a.tr.md"
SRC_A = "---\ntitle: Grain\n---\n\nShips sail along the coast.\n\nPorts need rail.\n"
SRC_B = "---\ntitle: Grain\n---\n\nShips sail along the coast under escort.\n\nPorts need rail.\n"
TR_A = "---\ntitle: Tahıl\n---\n\nGemiler kıyı boyunca seyreder.\n\nLimanlar demiryolu ister.\n"
TR_B = (
    "---\ntitle: Tahıl\n---\n\nGemiler kıyı boyunca eskortla seyreder.\n\n"
    "Limanlar demiryolu ister.\n"
)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in git_env().items():
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)


class Story:
    """A repository built commit by commit, with a database that scans after each commit."""

    def __init__(self, tmp_path: Path, tree: str = "content") -> None:
        self.tmp = tmp_path
        self.repo = GitRepo.init(tmp_path / "site")
        self.tree = tree
        self.day = 0
        self.followed = self.database("followed")

    def database(self, name: str) -> str:
        url = f"sqlite:///{self.tmp / name}.db"
        upgrade(url)
        return url

    def commit(
        self, message: str, files: dict[str, str] | None = None, *, scan: bool = True
    ) -> str:
        for rel, text in (files or {}).items():
            self.repo.write(rel, text)
        self.day += 1
        commit = self.repo.commit(message, when=self.day)
        if scan:
            self.scan(self.followed)
        return commit

    def scan(self, url: str) -> None:
        report = run_scan(make_settings(url), [f"fs:{self.repo.path / self.tree}"])
        assert report is not None and not report.problems, report and report.problems

    def state(self, url: str, key: str = "posts/a", lang: str = "tr") -> str:
        settings = make_settings(url)
        with transaction(url) as s:
            doc = status_document(load_rows(s, settings), settings)
        post = next(p for p in doc["posts"] if p["key"] == key)
        return post["versions"][lang]["state"]

    def fresh(self, key: str = "posts/a", lang: str = "tr") -> str:
        url = self.database(f"fresh{self.day}")
        self.scan(url)
        return self.state(url, key, lang)

    def both(self, key: str = "posts/a", lang: str = "tr") -> tuple[str, str]:
        """(fresh, followed) states; fresh first, so the followed scan sees the same tree."""
        fresh = self.fresh(key, lang)
        self.scan(self.followed)
        state = self.state(self.followed, key, lang)
        dispose_all()
        return fresh, state


def started(tmp_path: Path) -> Story:
    """A source and its translation made from it, then the source's first paragraph rewritten."""
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.commit("the source rewritten", {SRC: SRC_B})
    return story


# --- F1: moves git does not pair within the scanned tree ---------------------------------------


def test_a_tree_moved_into_a_folder_keeps_its_translations_history(tmp_path: Path) -> None:
    story = started(tmp_path)
    story.repo.move("content", "site/content")
    story.commit("the site moves into a folder", scan=False)
    story.tree = "site/content"
    assert story.fresh() == "stale"


def test_a_post_turned_into_a_bundle_with_new_front_matter_stays_stale(tmp_path: Path) -> None:
    story = started(tmp_path)
    story.repo.git("rm", "-q", SRC, TR)
    front = (
        "date: 2024-01-01\ndraft: false\nweight: 10\nslug: grain\ncategories: [food]\n"
        "tags: [ships, ports]\nauthor: Editor\nlayout: wide\nimages: [grain.jpg]\n"
    )
    story.commit(
        "a bundle",
        {
            "content/posts/a/index.md": SRC_B.replace("---\n", "---\n" + front, 1),
            "content/posts/a/index.tr.md": TR_A.replace("---\n", "---\n" + front, 1),
        },
    )
    assert story.both() == ("stale", "stale")


def test_a_source_moved_into_a_bundle_and_rewritten_leaves_the_translation_stale(
    tmp_path: Path,
) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.repo.git("rm", "-q", SRC)
    story.repo.move(TR, "content/posts/a/index.tr.md")
    story.commit(
        "a bundle, the source rewritten",
        {"content/posts/a/index.md": "---\ntitle: Grain\n---\n\nAll new words here.\n"},
    )
    assert story.both() == ("stale", "stale")


# --- F2: layout is not a change ---------------------------------------------------------------


def test_a_reflowed_translation_stays_stale(tmp_path: Path) -> None:
    story = started(tmp_path)
    reflowed = TR_A.replace("kıyı boyunca", "kıyı  boyunca").replace(
        "Limanlar demiryolu", "Limanlar\ndemiryolu"
    )
    story.commit("reflow", {TR: reflowed})
    assert story.both() == ("stale", "stale")


# --- F3: uncommitted edits that are not text changes ------------------------------------------


@pytest.mark.parametrize("edit", ["front matter", "line endings"])
def test_an_uncommitted_touch_of_a_stale_translation_keeps_it_stale(
    tmp_path: Path, edit: str
) -> None:
    story = started(tmp_path)
    touched = (
        TR_A.replace("---\n", "---\nweight: 5\n", 1)
        if edit == "front matter"
        else TR_A.replace("\n", "\r\n")
    )
    (story.repo.path / TR).write_bytes(touched.encode())
    assert story.both() == ("stale", "stale")


# --- a translation updated after the source, on a followed database ----------------------------


def test_a_stale_translation_updated_by_hand_is_current(tmp_path: Path) -> None:
    story = started(tmp_path)
    story.commit("retranslated", {TR: TR_B})
    assert story.both() == ("current", "current")


def test_a_translation_touched_without_a_text_change_stays_stale(tmp_path: Path) -> None:
    story = started(tmp_path)
    story.commit("a key", {TR: TR_A.replace("---\n", "---\nweight: 5\n", 1)})
    assert story.both() == ("stale", "stale")


def test_an_uncommitted_retranslation_is_current(tmp_path: Path) -> None:
    story = started(tmp_path)
    story.repo.write(TR, TR_B)
    assert story.both() == ("current", "current")


# --- F7: a deletion before the translation existed --------------------------------------------


def test_a_deletion_before_the_page_existed_does_not_make_an_orphan(tmp_path: Path) -> None:
    story = Story(tmp_path)
    old = {"content/posts/x.md": "---\ntitle: Old\n---\n\nOld words.\n"}
    story.commit("unrelated", {**old, "content/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    story.repo.git("rm", "-q", "content/posts/x.md")
    story.commit("gone")
    story.commit(
        "russian", {"content/posts/x.ru.md": "---\ntitle: Новое\n---\n\nСлова.\n"}, scan=False
    )
    # a database that followed knew the English page as this post's source: not judged here
    assert story.fresh("posts/x", "ru") == "source"


def test_a_deletion_after_the_page_existed_makes_an_orphan(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("english", {"content/posts/x.md": "---\ntitle: Old\n---\n\nOld words.\n"})
    story.commit("russian", {"content/posts/x.ru.md": "---\ntitle: Старое\n---\n\nСлова.\n"})
    story.repo.git("rm", "-q", "content/posts/x.md")
    story.commit("gone", scan=False)
    assert story.fresh("posts/x", "ru") == "orphaned"


# --- F4: an old translation brought back -------------------------------------------------------


def test_a_reverted_translation_translates_the_older_source(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.commit("the source rewritten", {SRC: SRC_B})
    story.commit("retranslated", {TR: TR_B})
    story.repo.git("revert", "--no-edit", "HEAD", when=story.day + 1)
    story.day += 1
    story.scan(story.followed)
    assert story.both() == ("stale", "stale")


def test_a_translation_checked_out_from_an_old_commit_is_stale(tmp_path: Path) -> None:
    story = Story(tmp_path)
    old = story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.commit("the source rewritten", {SRC: SRC_B})
    story.commit("retranslated", {TR: TR_B})
    story.repo.git("checkout", old, "--", TR)
    story.commit("the old translation back")
    assert story.both() == ("stale", "stale")


# --- F5: a clean merge is not a retranslation --------------------------------------------------


def test_a_clean_merge_of_two_translation_edits_is_no_retranslation(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.repo.branch("side")
    story.commit("second paragraph", {TR: TR_A.replace("demiryolu ister", "demiryolu ister!")})
    story.repo.checkout("main")
    story.commit("title", {TR: TR_A.replace("Tahıl", "Tahıl yolu")})
    story.commit("the source rewritten", {SRC: SRC_B})
    story.day += 1
    story.repo.merge("side", when=story.day)
    story.scan(story.followed)
    assert story.both() == ("stale", "stale")


def test_a_merge_that_resolves_a_conflict_is_a_retranslation(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.repo.branch("side")
    story.commit("one way", {TR: TR_A.replace("Tahıl", "Buğday")})
    story.repo.checkout("main")
    story.commit("another way", {TR: TR_A.replace("Tahıl", "Arpa")})
    story.commit("the source rewritten", {SRC: SRC_B})
    story.day += 1
    story.repo.merge("side", when=story.day, resolve={TR: TR_B})
    story.scan(story.followed)
    assert story.fresh() == "current"


# --- F8: what a shallow clone holds ------------------------------------------------------------


def test_a_shallow_clone_sees_a_source_change_after_its_boundary(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.commit("a note", {"content/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    story.commit("the source rewritten", {SRC: SRC_B})
    clone = story.repo.clone(tmp_path / "clone", depth=2)  # the note's commit is the boundary
    story.repo = clone
    assert story.fresh() == "stale"


def test_a_shallow_clone_without_a_later_source_change_says_nothing(tmp_path: Path) -> None:
    story = Story(tmp_path)
    story.commit("grain", {SRC: SRC_A, TR: TR_A})
    story.commit("the source rewritten", {SRC: SRC_B})
    story.commit("a note", {"content/about.md": "---\ntitle: About\n---\n\nUs.\n"})
    story.repo = story.repo.clone(tmp_path / "clone", depth=2)
    assert story.fresh() == "current"  # assumed: the boundary hides when it was made
