"""The scan spill: pickles in memory up to a byte budget, then in a temporary file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.segments import Segment
from sync.spill import Spill


def content(i: int) -> tuple[tuple[Segment, ...], str, None]:
    return (Segment(kind="paragraph", text=f"text {i} " * 50),), f"<p>body {i}</p>" * 20, None


def test_small_content_stays_in_memory() -> None:
    spill = Spill()
    slots = [spill.put(content(i)) for i in range(10)]
    assert slots == list(range(10))
    assert spill.fd is None
    assert [spill.get(s) for s in slots] == [content(i) for i in range(10)]
    assert all(spill.size(s) > 100 for s in slots)
    spill.close()


def test_content_over_the_budget_goes_to_a_file_and_comes_back() -> None:
    spill = Spill(limit=2000)
    slots = [spill.put(content(i)) for i in range(50)]
    assert spill.fd is not None and os.fstat(spill.fd).st_size > 0
    assert spill.buffered <= 2000 + max(spill.size(s) for s in slots)
    assert [spill.get(s) for s in slots] == [content(i) for i in range(50)]
    spill.close()
    assert spill.fd is None


def test_a_scan_killed_while_it_spills_leaves_no_file(tmp_path: Path) -> None:
    """SIGKILL runs no clean-up: the spill's file has no name to leave behind."""
    code = (
        "import sys; from sync.spill import Spill; s = Spill(limit=0); "
        "[s.put(b'x' * 10_000) for _ in range(100)]; print('spilled', flush=True); "
        "sys.stdin.read()"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
    ) as child:
        assert child.stdout is not None and child.stdout.readline() == b"spilled\n"
        child.kill()
    assert list(tmp_path.iterdir()) == []


def test_a_value_set_in_memory_wins() -> None:
    spill = Spill(limit=0)
    slot = spill.put(content(1))
    spill.memory[slot] = ("replaced",)
    assert spill.get(slot) == ("replaced",)
    with pytest.raises(KeyError):
        spill.get(slot + 1)
    spill.close()
