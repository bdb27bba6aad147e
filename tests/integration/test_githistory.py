"""GitHistory on real git repositories built with set dates: which source each translation was
made from, through edits, branches and merges, renames, uncommitted work and shallow clones."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import sync.githistory as githistory
from sync.githistory import Evidence, GitHistory
from tests.helpers.gitrepo import GitRepo, build_site, git_env, moment

SOURCE = "en/docs/x.md"
RU = "ru/docs/x.md"
TR = "tr/docs/x.md"
PAIR = (RU, SOURCE)
V1 = "---\ntitle: Energy\n---\n\nThe grid needs storage.\n\nPorts need rail.\n"
V2 = "---\ntitle: Energy\n---\n\nThe grid needs storage and lines.\n\nPorts need rail.\n"
V3 = "---\ntitle: Energy security\n---\n\nThe grid needs storage and lines.\n\nPorts.\n"
RU1 = "---\ntitle: Энергия\n---\n\nСети нужны накопители.\n\nПортам нужна железная дорога.\n"
RU2 = "---\ntitle: Энергия\n---\n\nСетям нужны накопители.\n\nПортам нужна железная дорога.\n"
RU3 = "---\ntitle: Энергия\n---\n\nСетям нужны хранилища.\n\nПортам нужна железная дорога.\n"
RU4 = "---\ntitle: Энергия\n---\n\nСетям нужны хранилища энергии.\n\nПортам нужны рельсы.\n"


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """GitHistory runs git with the caller's environment: make that free of this machine's
    git configuration, as the helper's repositories are."""
    for name, value in git_env().items():
        if name.startswith("GIT_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("SUDO_UID", raising=False)


def site(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "site")


def evidence(root: Path, pair: tuple[str, str] = PAIR) -> Evidence | None:
    history = GitHistory.open(root)
    assert history is not None, GitHistory.why_not(root)
    return history.baselines([pair]).get(pair)


def committed(repo: GitRepo, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo.path), "show", f"{commit}:{path}"],
        env=git_env(),
        capture_output=True,
        check=True,
    ).stdout


# --- edits on one line of history ------------------------------------------------------------


def test_a_translation_made_before_a_source_edit_was_made_from_the_old_source(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.write(f"content/{RU}", RU1)
    c1 = repo.commit("Russian", when=1)
    repo.write(f"content/{SOURCE}", V2)
    c2 = repo.commit("Edit the English", when=2)

    assert evidence(repo.path / "content") == Evidence(
        uncommitted=False,
        translation_commit=c1,
        translation_time=moment(1),
        source_blob=V1.encode(),
        source_path=SOURCE,
        source_commit=c0,
        next_source_commit=c2,
        next_source_time=moment(2),
        source_dirty=False,
    )


def test_a_translation_made_after_a_source_edit_was_made_from_that_edit(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.commit("English", when=0)
    repo.write(f"content/{SOURCE}", V2)
    c1 = repo.commit("Edit the English", when=1)
    repo.write(f"content/{RU}", RU1)
    c2 = repo.commit("Russian", when=2)

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.translation_time) == (c2, moment(2))
    assert found.source_blob == V2.encode() == repo.read(f"content/{SOURCE}")
    assert (found.source_commit, found.next_source_commit, found.next_source_time) == (
        c1,
        None,
        None,
    )


def test_a_source_and_its_translation_changed_in_one_commit(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(f"content/{RU}", RU1)
    c0 = repo.commit("Both", when=0)
    repo.write(f"content/{SOURCE}", V2)
    c1 = repo.commit("Edit", when=1)

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_commit, found.next_source_commit) == (c0, c0, c1)
    assert found.source_blob == V1.encode()


def test_a_reverted_source_edit_still_counts_as_the_next_change(tmp_path):
    """The source went V1 → V2 → V1 → V3 after the translation: the first change is V2's."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.write(f"content/{RU}", RU1)
    repo.commit("Russian", when=1)
    edits = []
    for day, text in ((2, V2), (3, V1), (4, V3)):
        repo.write(f"content/{SOURCE}", text)
        edits.append(repo.commit(f"Source on day {day}", when=day))

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.source_commit, found.next_source_commit) == (c0, edits[0])


def test_commit_dates_against_the_order_of_history_do_not_mislead(tmp_path):
    """The clock of whoever edited the source on main ran days behind, dating the edit before
    its own parent: history order, not dates, decides what came after what."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.branch("russian")
    repo.write(f"content/{RU}", RU1)
    made = repo.commit("Russian", when=1)
    repo.checkout("main")
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English, clock behind", when=-3)
    repo.merge("russian", when=5)

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_blob) == (made, V1.encode())
    assert (found.source_commit, found.next_source_commit) == (c0, edit)
    assert found.next_source_time == moment(-3)


def test_the_users_git_configuration_does_not_change_the_answers(tmp_path, monkeypatch):
    config = tmp_path / "gitconfig"
    config.write_text(
        "[diff]\n\trenames = false\n\tnoprefix = true\n"
        "[color]\n\tui = always\n[log]\n\tshowRoot = false\n"
        "\tshowSignature = true\n[core]\n\tquotepath = true\n"
        "[status]\n\tshowUntrackedFiles = no\n\trenames = true\n"
    )
    source, translation = "posts/моя статья.md", "posts/моя статья.ru.md"
    repo = site(tmp_path)
    repo.write(f"content/{source}", V1)
    repo.write(f"content/{translation}", RU1)
    c0 = repo.commit("Both", when=0)
    repo.move(f"content/{source}", "content/posts/энергия.md")
    repo.commit("Rename the English", when=1)
    repo.write("content/posts/энергия.tr.md", "---\ntitle: Enerji\n---\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))

    history = GitHistory.open(repo.path / "content")
    assert history is not None
    found = history.baselines(
        [(translation, "posts/энергия.md"), ("posts/энергия.tr.md", "posts/энергия.md")]
    )
    russian = found[(translation, "posts/энергия.md")]
    assert (russian.translation_commit, russian.source_commit) == (c0, c0)
    assert (russian.source_path, russian.source_blob) == (source, V1.encode())
    assert found[("posts/энергия.tr.md", "posts/энергия.md")].uncommitted


# --- branches and merges -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("translated", "edited"), [(1, 2), (2, 1)], ids=["translated-first", "source-edited-first"]
)
def test_a_translation_merged_late_from_a_branch_was_made_from_the_branch_source(
    tmp_path, translated, edited
):
    """The merge commit shows the translation arriving, but it was made on the branch, from
    the source the branch had; the source edit on main is what it misses."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.branch("russian")
    repo.write(f"content/{RU}", RU1)
    made = repo.commit("Russian", when=translated)
    repo.checkout("main")
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=edited)
    merge = repo.merge("russian", when=10)

    found = evidence(repo.path / "content")
    assert found is not None
    assert found.translation_commit == made != merge
    assert found.translation_time == moment(translated)
    assert found.source_blob == V1.encode() != committed(repo, merge, f"content/{SOURCE}")
    assert (found.source_commit, found.next_source_commit) == (c0, edit)
    assert found.next_source_time == moment(edited)


def test_a_merge_identical_to_its_branch_parent_follows_the_branch(tmp_path):
    """The branch took main's source edit in before main merged it back: the final merge is
    TREESAME to the branch, so git's simplified history follows the branch only."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.branch("russian")
    repo.write(f"content/{RU}", RU1)
    made = repo.commit("Russian", when=1)
    repo.checkout("main")
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=2)
    repo.checkout("russian")
    repo.merge("main", when=3)
    repo.checkout("main")
    final = repo.merge("russian", when=4)
    same = subprocess.run(
        ["git", "-C", str(repo.path), "diff", "--quiet", f"{final}^2", final, "--", "content"],
        env=git_env(),
    )
    assert same.returncode == 0  # TREESAME to the second parent

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_blob) == (made, V1.encode())
    assert (found.source_commit, found.next_source_commit) == (c0, edit)


def test_a_branch_discarded_by_its_merge_is_no_evidence(tmp_path):
    """`merge -s ours` keeps main's translation: the branch's rewrite is not where it came from."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(f"content/{RU}", RU1)
    c0 = repo.commit("Both", when=0)
    repo.branch("rewrite")
    repo.write(f"content/{RU}", RU2)
    repo.commit("Rewrite", when=1)
    repo.checkout("main")
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=2)
    repo.merge("rewrite", when=3, strategy="ours")

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_blob) == (c0, V1.encode())
    assert found.next_source_commit == edit


def test_a_translation_resolved_in_a_merge_was_made_in_the_merge(tmp_path):
    """Both sides changed the translation; the merge wrote a third text, from the merged source."""
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(f"content/{RU}", RU1)
    repo.commit("Both", when=0)
    repo.branch("russian")
    repo.write(f"content/{RU}", RU2)
    repo.commit("Russian on the branch", when=1)
    repo.checkout("main")
    repo.write(f"content/{RU}", RU3)
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Russian and English on main", when=2)
    merge = repo.merge("russian", when=3, resolve={f"content/{RU}": RU4})

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.translation_time) == (merge, moment(3))
    assert (found.source_blob, found.source_commit) == (V2.encode(), edit)
    assert found.next_source_commit is None


# --- renames -------------------------------------------------------------------------------


def test_a_renamed_translation_is_followed_to_its_last_content_change(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.commit("English", when=0)
    repo.write("content/ru/drafts/energy.md", RU1)
    made = repo.commit("Russian draft", when=1)
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=2)
    repo.move("content/ru/drafts/energy.md", f"content/{RU}")
    repo.commit("Publish the Russian", when=3)

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_blob) == (made, V1.encode())
    assert found.next_source_commit == edit


def test_a_translation_renamed_with_an_edit_changed_in_the_rename(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write("content/ru/drafts/energy.md", RU1)
    repo.commit("Both", when=0)
    repo.write(f"content/{SOURCE}", V2)
    repo.commit("Edit the English", when=1)
    repo.move("content/ru/drafts/energy.md", f"content/{RU}")
    repo.write(f"content/{RU}", RU2)
    moved = repo.commit("Publish the Russian, updated", when=2)
    status = repo.git("show", "--format=", "-M", "--name-status", moved)
    assert status.startswith("R") and not status.startswith("R100")

    found = evidence(repo.path / "content")
    assert found is not None
    assert (found.translation_commit, found.source_blob) == (moved, V2.encode())


def test_a_source_renamed_later_is_read_under_its_old_name(tmp_path):
    repo = site(tmp_path)
    repo.write("content/en/docs/energy.md", V1)
    c0 = repo.commit("English", when=0)
    repo.write(f"content/{RU}", RU1)
    made = repo.commit("Russian", when=1)
    repo.move("content/en/docs/energy.md", f"content/{SOURCE}")
    repo.commit("Rename the English", when=2)
    repo.write(f"content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=3)

    assert evidence(repo.path / "content") == Evidence(
        uncommitted=False,
        translation_commit=made,
        translation_time=moment(1),
        source_blob=V1.encode(),
        source_path="en/docs/energy.md",
        source_commit=c0,
        next_source_commit=edit,
        next_source_time=moment(3),
        source_dirty=False,
    )


# --- the work tree now -----------------------------------------------------------------------


def test_an_uncommitted_translation_counts_as_made_now(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(f"content/{RU}", RU1)
    repo.write(f"content/{TR}", "---\ntitle: Enerji\n---\n\nŞebeke.\n")
    repo.commit("All", when=0)
    repo.write(f"content/{RU}", RU2)  # changed, not staged
    repo.write(f"content/{TR}", "---\ntitle: Enerji\n---\n\nŞebeke depolama.\n")
    repo.git("add", f"content/{TR}")  # staged, not committed
    now = Evidence(
        uncommitted=True,
        translation_commit=None,
        translation_time=None,
        source_blob=None,
        source_commit=None,
        next_source_commit=None,
        next_source_time=None,
        source_dirty=False,
    )

    history = GitHistory.open(repo.path / "content")
    assert history is not None
    assert history.baselines([PAIR, (TR, SOURCE)]) == {PAIR: now, (TR, SOURCE): now}


def test_an_untracked_translation_counts_as_made_now_and_an_ignored_one_says_nothing(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(".gitignore", "content/tr/\n")
    repo.commit("English", when=0)
    repo.write(f"content/{RU}", RU1)
    repo.write(f"content/{TR}", "---\ntitle: Enerji\n---\n")

    history = GitHistory.open(repo.path / "content")
    assert history is not None
    found = history.baselines([PAIR, (TR, SOURCE)])
    assert list(found) == [PAIR]
    assert found[PAIR].uncommitted and found[PAIR].translation_commit is None


def test_untracked_files_in_a_tree_never_committed_are_no_evidence(tmp_path):
    repo = site(tmp_path)
    repo.write("README.md", "The site.\n")
    repo.commit("Readme", when=0)
    repo.write(f"content/{SOURCE}", V1)
    repo.write(f"content/{RU}", RU1)

    history = GitHistory.open(repo.path / "content")
    assert history is not None
    assert history.baselines([PAIR]) == {}


def test_a_dirty_source_is_flagged_and_read_as_committed(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.commit("English", when=0)
    repo.write(f"content/{RU}", RU1)
    made = repo.commit("Russian", when=1)
    repo.write(f"content/{SOURCE}", V2)

    found = evidence(repo.path / "content")
    assert found is not None
    assert found.source_dirty and not found.uncommitted
    assert (found.translation_commit, found.source_blob) == (made, V1.encode())
    assert found.next_source_commit is None


# --- where the tree is and what its files are called ------------------------------------------


def test_a_tree_in_a_subfolder_of_the_repository(tmp_path):
    repo = site(tmp_path)
    repo.write("README.md", "The site.\n")
    repo.write(f"web/content/{SOURCE}", V1)
    c0 = repo.commit("English", when=0)
    repo.write(f"web/content/{RU}", RU1)
    made = repo.commit("Russian", when=1)
    repo.write("README.md", "The site, with a readme.\n")
    repo.write("web/config.toml", "baseURL = '/'\n")
    repo.commit("Outside the tree", when=2)
    repo.write(f"web/content/{SOURCE}", V2)
    edit = repo.commit("Edit the English", when=3)

    assert evidence(repo.path / "web" / "content") == Evidence(
        uncommitted=False,
        translation_commit=made,
        translation_time=moment(1),
        source_blob=V1.encode(),
        source_path=SOURCE,
        source_commit=c0,
        next_source_commit=edit,
        next_source_time=moment(3),
        source_dirty=False,
    )


def test_file_names_with_spaces_and_cyrillic(tmp_path):
    source, translation = "posts/моя статья.md", "posts/моя статья.ru.md"
    renamed = "posts/энергия и сети.md"
    repo = site(tmp_path)
    repo.write(f"content/{source}", V1)
    c0 = repo.commit("English", when=0)
    repo.write(f"content/{translation}", RU1)
    made = repo.commit("Russian", when=1)
    repo.move(f"content/{source}", f"content/{renamed}")
    repo.write(f"content/{renamed}", V2)
    edit = repo.commit("Rename and edit the English", when=2)
    repo.write(f"content/{renamed}", V3)

    assert evidence(repo.path / "content", (translation, renamed)) == Evidence(
        uncommitted=False,
        translation_commit=made,
        translation_time=moment(1),
        source_blob=V1.encode(),
        source_path=source,
        source_commit=c0,
        next_source_commit=edit,
        next_source_time=moment(2),
        source_dirty=True,
    )


# --- when git has nothing to say ---------------------------------------------------------------


def test_a_folder_outside_any_repository_has_no_history(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "content").mkdir()
    assert GitHistory.open(tmp_path / "content") is None
    assert "not inside a git work tree" in (GitHistory.why_not(tmp_path / "content") or "")


def test_without_git_there_is_no_history(tmp_path, monkeypatch):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.commit("English", when=0)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert GitHistory.open(repo.path / "content") is None
    assert "git is not available" in (GitHistory.why_not(repo.path / "content") or "")


def test_a_repository_without_commits_has_no_history(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    assert GitHistory.open(repo.path / "content") is None
    assert "no commits yet" in (GitHistory.why_not(repo.path / "content") or "")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="giving the repository to another user takes root",
)
def test_a_repository_git_refuses_has_no_history(tmp_path):
    repo = site(tmp_path)
    repo.write(f"content/{SOURCE}", V1)
    repo.commit("English", when=0)
    subprocess.run(["chown", "-R", "65534:65534", str(repo.path)], check=True)
    assert GitHistory.open(repo.path / "content") is None
    assert "dubious ownership" in (GitHistory.why_not(repo.path / "content") or "")


def test_a_shallow_clone_gives_evidence_only_above_its_boundary(tmp_path):
    origin = site(tmp_path)
    origin.write(f"content/{SOURCE}", V1)
    origin.write(f"content/{RU}", RU1)
    origin.write(f"content/{TR}", "---\ntitle: Enerji\n---\n\nŞebeke.\n")
    origin.commit("All three", when=0)
    origin.write(f"content/{SOURCE}", V2)
    origin.commit("Edit the English", when=1)
    origin.write(f"content/{TR}", "---\ntitle: Enerji\n---\n\nŞebeke depolama.\n")
    made = origin.commit("Turkish again", when=2)
    pairs = [PAIR, (TR, SOURCE)]

    deep = GitHistory.open(origin.path / "content")
    assert deep is not None and set(deep.baselines(pairs)) == set(pairs)

    one = origin.clone(tmp_path / "one", depth=1)
    history = GitHistory.open(one.path / "content")
    assert history is not None and history.shallow
    assert history.baselines(pairs) == {}

    two = origin.clone(tmp_path / "two", depth=2)
    history = GitHistory.open(two.path / "content")
    assert history is not None
    found = history.baselines(pairs)
    assert list(found) == [(TR, SOURCE)]
    turkish = found[(TR, SOURCE)]
    assert (turkish.translation_commit, turkish.source_blob) == (made, V2.encode())
    assert turkish.source_commit is None  # the English edit is the boundary: not evidence


# --- in bulk ---------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["dirs", "suffix"])
def test_a_generated_site_agrees_with_git_log_file_by_file(tmp_path, layout):
    generated = build_site(tmp_path / "site", posts=30, commits=6, seed=7, layout=layout, share=0.2)
    history = GitHistory.open(generated.root)
    assert history is not None
    found = history.baselines(generated.pairs)

    assert set(found) == set(generated.pairs)
    for translation, source in generated.pairs:
        ev = found[(translation, source)]
        last = generated.repo.git(
            "log", "-1", "--format=%H", "--", f"content/{translation}"
        ).strip()
        assert ev.translation_commit == last == generated.made_in[translation]
        assert ev.source_blob == committed(generated.repo, last, f"content/{source}")


def test_one_git_process_per_kind_of_question_whatever_the_number_of_files(tmp_path, monkeypatch):
    generated = build_site(tmp_path / "site", posts=40, commits=3, seed=3, share=0.2)
    history = GitHistory.open(generated.root)
    assert history is not None
    commands: list[str] = []
    real_run = githistory.subprocess.run

    def counting(argv, *args, **kwargs):  # type: ignore[no-untyped-def]
        commands.append(
            next(
                a
                for a in argv[1:]
                if not a.startswith("-") and "=" not in a and a != str(generated.root)
            )
        )
        return real_run(argv, *args, **kwargs)

    monkeypatch.setattr(githistory.subprocess, "run", counting)
    found = history.baselines(generated.pairs)
    assert len(found) == len(generated.pairs) == 80
    assert sorted(commands) == ["cat-file", "log", "ls-tree", "status"]
