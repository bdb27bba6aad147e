"""Scan problems are messages (sync.i18n.Text): the English the command line prints, and a
message id free of paths and values, so the web can say them in the reader's language."""

from __future__ import annotations

import pickle
from pathlib import Path

from sync.config import Settings
from sync.i18n import Text, localize
from sync.sources import open_source
from sync.sources.base import Problem


def scan_problems(root: Path) -> dict[str, Problem]:
    tree = open_source(f"fs:{root}", Settings(languages=("en", "tr", "ru"), source_lang="en"))
    return {item.origin: item for item in tree.read({}) if isinstance(item, Problem)}


def write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_scan_problem_reasons_are_texts(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root, "en/posts/fine.md", b"---\ntitle: Fine\n---\nText.\n")
    write(root, "en/posts/bad-date.md", b"---\ntitle: Bad\ndate: 2024-02-30\n---\nText.\n")
    write(root, "en/posts/mixed.tr.md", b"---\ntitle: Mixed\n---\nText.\n")
    write(root, "en/posts/nul.md", b"---\ntitle: Nul\n---\nA \x00 byte.\n")
    write(root, "en/posts/key.md", b"---\ntitle: Key\ntranslationKey: ../up\n---\nText.\n")
    write(root, "en/posts/yaml.md", b"---\ntitle: [open\n---\nText.\n")

    problems = scan_problems(root)

    assert set(problems) == {
        "en/posts/bad-date.md",
        "en/posts/mixed.tr.md",
        "en/posts/nul.md",
        "en/posts/key.md",
        "en/posts/yaml.md",
    }
    english = {
        "en/posts/bad-date.md": (
            "date '2024-02-30' is not a date: write it as 2024-03-01 or 2024-03-01T10:00:00Z"
        ),
        "en/posts/mixed.tr.md": (
            "the folder says language 'en' but the name says 'tr'; rename the file or move it"
        ),
        "en/posts/nul.md": "contains a NUL byte, which no database stores as text; remove it",
        "en/posts/key.md": (
            "translationKey '../up': a post key may not be an absolute path or contain "
            "'.' or '..' parts"
        ),
    }
    for origin, problem in problems.items():
        reason = problem.reason
        assert isinstance(reason, Text), (origin, reason)
        # the message id names no file, folder, language or value: those are parameters
        for data in (origin, str(root), str(tmp_path), "2024-02-30", "'tr'", "../up"):
            assert data not in reason.msgid, (origin, reason.msgid)
        if origin in english:
            assert reason == english[origin]
    assert problems["en/posts/bad-date.md"].line == 3
    assert problems["en/posts/nul.md"].line == 4
    # a message inside a message stays one: the web localizes both
    why = problems["en/posts/key.md"].reason.params["why"]  # type: ignore[attr-defined]
    assert isinstance(why, Text)
    assert problems["en/posts/yaml.md"].reason.startswith("front matter is not valid YAML: ")


def test_a_problem_keeps_its_text_through_a_worker_process(tmp_path: Path) -> None:
    """Many changed files are parsed in worker processes: a Problem comes back pickled."""
    root = tmp_path / "site"
    write(root, "en/posts/due.md", b"---\ntitle: Due\ndue: someday\npriority: high\n---\n")
    problem = pickle.loads(pickle.dumps(scan_problems(root)["en/posts/due.md"]))
    assert isinstance(problem.reason, Text)
    assert problem.reason == (
        "priority must be a whole number from -1000000 to 1000000, found 'high'"
    )
    assert problem.reason.params == {"low": -1_000_000, "high": 1_000_000, "value": "'high'"}


def test_the_web_says_a_problem_in_the_readers_language(tmp_path: Path) -> None:
    root = tmp_path / "site"
    write(root, "en/posts/mixed.tr.md", b"---\ntitle: Mixed\n---\nText.\n")
    reason = scan_problems(root)["en/posts/mixed.tr.md"].reason
    catalog = {
        reason.msgid: "klasör dili %(folder)s, ad dili %(name)s diyor"  # type: ignore[attr-defined]
    }
    assert localize(reason, catalog.get, None) == "klasör dili 'en', ad dili 'tr' diyor"


def test_a_translation_key_that_is_a_list_is_refused_at_its_line(tmp_path: Path) -> None:
    """YAML reads `translationKey: [a, b]` as a list: a key made of its repr ("['a', 'b']")
    would pair nothing; the file is refused at the field's line, the rest read."""
    root = tmp_path / "site"
    write(root, "en/posts/fine.md", b"---\ntitle: Fine\n---\nText.\n")
    write(root, "en/posts/list.md", b"---\ntitle: List\ntranslationKey: [a, b]\n---\nText.\n")
    problems = scan_problems(root)
    assert set(problems) == {"en/posts/list.md"}
    problem = problems["en/posts/list.md"]
    assert problem.line == 3 and "is not one value" in problem.reason, problem
