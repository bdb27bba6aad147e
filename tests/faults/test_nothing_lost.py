"""Nothing lost: one bad input never stops a scan, never hangs it, never half-applies.

Reproduced on SQLite and PostgreSQL through the `transync` command, comparing the database
and the content tree before and after: dates that are no dates, priorities that are no
whole numbers, NUL bytes and NUL escapes, a file name that is not UTF-8 (each next to a
legitimate edit that must be recorded); FIFOs and symlinks to FIFOs (the command runs with a
timeout, and inotify tells whether the FIFO was opened); two WXR exports holding the same
post; two `transync init` at once; every command on a database with no schema; and a scan
SIGKILLed while its parser processes run.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.config import Settings
from sync.db.models import Post, Revision, Version
from sync.db.session import dispose_all, transaction
from tests.conftest import DATA, EXAMPLES, _pg_admin, _pg_url, make_settings, service_missing
from tests.helpers.processes import ROOT, free_port, settings_env
from tests.helpers.tracking import (
    EDITOR,
    add_people,
    cell,
    db_snapshot,
    open_task,
    scan,
    status,
    transync,
    tree_snapshot,
)

pytestmark = pytest.mark.faults

BAD_SCAN = DATA / "bad" / "scan" / "en" / "posts"
TRANSYNC = Path(sys.executable).parent / "transync"
GRAIN_EN = "en/posts/grain-corridor.md"
NOT_UTF8 = "not-utf8-name"

#: a bad file (in tests/data/bad/scan/en/posts, or made at run time) -> (line, reason)
CASES: dict[str, tuple[int | None, str]] = {
    "date-feb-30.md": (3, "date '2024-02-30' is not a date"),
    "date-month-29.md": (3, "date '2019-29-11' is not a date"),
    "date-toml.md": (3, "not valid TOML"),
    "priority-inf.md": (4, "priority must be a whole number"),
    "priority-25-digits.md": (4, "priority must be a whole number"),
    "priority-toml-inf.md": (4, "priority must be a whole number"),
    "nul-in-body.md": (8, "NUL byte"),
    "nul-escaped-title.md": (2, "NUL character"),
    "nul-toml-description.md": (4, "NUL character"),
    NOT_UTF8: (None, "not UTF-8"),
}
NOT_UTF8_SHOWN = "en/posts/caf\\xe9.md"  # how the name b"caf\xe9.md" is reported


# -- helpers ------------------------------------------------------------------------------


def unchanged(settings: Settings, tree: Path, act: Callable[[], Any]) -> Any:
    """`act()` changes neither the database nor the tree."""
    before = (db_snapshot(settings), tree_snapshot(tree))
    result = act()
    after = (db_snapshot(settings), tree_snapshot(tree))
    assert after[0] == before[0], "the database changed"
    assert after[1] == before[1], "the content tree changed"
    return result


def place_bad_file(content: Path, case: str) -> str:
    """Put the bad file in the English folder; its path as a scan reports it."""
    if case == NOT_UTF8:
        path = os.fsencode(content / "en/posts") + b"/caf\xe9.md"
        with open(path, "wb") as f:
            f.write(b"---\ntitle: Caf\xc3\xa9\ntranslationKey: cafe\n---\n\nA fine body.\n")
        return NOT_UTF8_SHOWN
    shutil.copy(BAD_SCAN / case, content / "en/posts" / case)
    return f"en/posts/{case}"


def legitimate_edit(content: Path) -> None:
    path = content / GRAIN_EN
    text = path.read_text(encoding="utf-8")
    assert "Flexibility has a price." in text
    path.write_text(
        text.replace("Flexibility has a price.", "Flexibility has a steep price."), encoding="utf-8"
    )


def rejected_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("rejected ")]


def cli_env(settings: Settings) -> dict[str, str]:
    env = settings_env(settings)
    env.pop("PYTHONPATH", None)
    env["COLUMNS"] = "250"
    return env


def run_cli(settings: Settings, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The real `transync` executable, with a timeout: a hang fails the test, never blocks
    the suite."""
    try:
        return subprocess.run(
            [str(TRANSYNC), *args],
            env=cli_env(settings),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(
            f"transync {' '.join(args)} did not finish in {timeout} s "
            f"(stdout: {exc.stdout!r}, stderr: {exc.stderr!r})"
        ) from None


# -- 1. one bad file never stops the scan ------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_one_bad_file_never_stops_the_scan(settings: Settings, content: Path, case: str) -> None:
    scan(settings, content)
    shown = place_bad_file(content, case)
    legitimate_edit(content)
    line, reason = CASES[case]

    code, out, err = transync(settings, "scan", str(content))
    assert code == 2, (code, out, err)
    assert "Traceback" not in out + err
    where = f"{shown}:{line}" if line else shown
    (rejected,) = rejected_lines(err)  # this file alone
    assert rejected.startswith(f"rejected {shown}") and reason in rejected, rejected
    # the legitimate edit in the same scan is recorded, and planned
    assert cell(settings, "grain-corridor", "en")["revision"] == 2
    assert cell(settings, "grain-corridor", "tr")["state"] == "stale"
    assert open_task(settings, "grain-corridor", "tr") is not None
    assert all(
        p["key"] not in ("cafe", case.removesuffix(".md")) for p in status(settings)["posts"]
    )

    # a rescan changes nothing, and reports the same file the same way
    code, out, _ = unchanged(
        settings, content, lambda: transync(settings, "scan", "--json", str(content))
    )
    assert code == 2
    (error,) = json.loads(out)["errors"]
    assert error["origin"] == shown and reason in error["reason"], error
    # the line of the offending value, where there is one
    assert rejected.startswith(f"rejected {where}: "), f"no line {line}: {rejected}"
    assert error["line"] == line, error


def test_every_bad_file_at_once_in_a_first_scan(settings: Settings, content: Path) -> None:
    """All the bad files in the very first scan of an empty database: each rejected once
    with its line, the whole demo tree recorded as if they were not there."""
    shown = {case: place_bad_file(content, case) for case in CASES}
    proc = run_cli(settings, "scan", str(content))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    rejected = rejected_lines(proc.stderr)
    assert len(rejected) == len(CASES), rejected
    for case, (_, reason) in CASES.items():
        mine = [
            r
            for r in rejected
            if r.startswith(f"rejected {shown[case]}:") or r.startswith(f"rejected {shown[case]} ")
        ]
        assert len(mine) == 1 and reason in mine[0], (case, rejected)
    doc = status(settings)
    assert len(doc["posts"]) == 7
    assert (
        sum(1 for p in doc["posts"] for v in p["versions"].values() if v["state"] != "missing")
        == 19
    )
    unchanged(settings, content, lambda: run_cli(settings, "scan", str(content)))
    no_line = [
        case
        for case, (line, _) in CASES.items()
        if line and not any(r.startswith(f"rejected {shown[case]}:{line}: ") for r in rejected)
    ]
    assert not no_line, f"rejected without their line: {no_line}"


@pytest.mark.parametrize("case", [c for c in CASES if c != NOT_UTF8])
def test_a_recorded_file_that_turns_bad_keeps_its_version(
    settings: Settings, content: Path, case: str
) -> None:
    """The Turkish energy-security, recorded, is replaced by a bad file: it is rejected, and
    the recorded version is kept as it was (not deleted, not missing), its task unchanged."""
    scan(settings, content)
    target = content / "tr/posts/energy-security.md"
    state = cell(settings, "energy-security", "tr")
    bad = (
        (BAD_SCAN / case)
        .read_bytes()
        .replace(
            f"translationKey: {case.removesuffix('.md')}".encode(),
            b"translationKey: energy-security",
        )
        .replace(
            f'translationKey = "{case.removesuffix(".md")}"'.encode(),
            b'translationKey = "energy-security"',
        )
    )
    assert b"energy-security" in bad
    before = db_snapshot(settings)
    target.write_bytes(bad)
    code, _, err = transync(settings, "scan", str(content))
    assert code == 2 and "Traceback" not in err
    assert [r.split(":")[0] for r in rejected_lines(err)] == [
        "rejected tr/posts/energy-security.md"
    ]
    assert db_snapshot(settings) == before
    assert cell(settings, "energy-security", "tr") == state


# -- 2. FIFOs ------------------------------------------------------------------------------


class OpenWatch:
    """inotify IN_OPEN on some paths: did anyone open them? (Linux.)"""

    IN_OPEN, IN_NONBLOCK = 0x20, 0o4000

    def __init__(self, paths: list[Path]) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(self.IN_NONBLOCK)
        if self.fd < 0:
            pytest.skip("inotify is not available")
        self.paths = {}
        for path in paths:
            wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), self.IN_OPEN)
            assert wd >= 0, os.strerror(ctypes.get_errno())
            self.paths[wd] = path

    def opened(self) -> list[Path]:
        found = []
        with contextlib.suppress(BlockingIOError):
            data = os.read(self.fd, 65536)
            offset = 0
            while offset < len(data):
                wd, mask, _, size = struct.unpack_from("iIII", data, offset)
                if mask & self.IN_OPEN:
                    found.append(self.paths[wd])
                offset += 16 + size
        return found

    def close(self) -> None:
        os.close(self.fd)


def test_fifos_never_hang_the_scan_and_are_never_opened(
    settings: Settings, content: Path, tmp_path: Path
) -> None:
    scan(settings, content)
    posts = content / "en/posts"
    os.mkfifo(posts / "x.md")  # a FIFO with a content file's name
    os.mkfifo(posts / "pipe")  # not a content file itself...
    os.symlink("pipe", posts / "through-link.md")  # ...but a symlink to it is
    os.mkfifo(tmp_path / "outside-pipe")
    os.symlink(tmp_path / "outside-pipe", content / "tr/posts/outside-link.md")
    legitimate_edit(content)
    fifos = [posts / "x.md", posts / "pipe", tmp_path / "outside-pipe"]
    watch = OpenWatch(fifos)
    try:
        proc = run_cli(settings, "scan", str(content), timeout=60)
        opened = watch.opened()
    finally:
        watch.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    rejected = rejected_lines(proc.stderr)
    for name in ("en/posts/x.md", "en/posts/through-link.md", "tr/posts/outside-link.md"):
        assert any(r.startswith(f"rejected {name}: ") for r in rejected), (name, rejected)
    assert len(rejected) == 3, rejected
    assert cell(settings, "grain-corridor", "en")["revision"] == 2
    # a second scan, while something writes into the FIFOs, changes nothing and still ends
    writers = [os.open(fifo, os.O_RDWR | os.O_NONBLOCK) for fifo in fifos]  # held open
    try:
        for fd in writers:
            os.write(fd, b"---\ntitle: From a pipe\n---\n\nStreamed.\n")
        proc = unchanged(settings, content, lambda: run_cli(settings, "scan", str(content)))
        assert proc.returncode == 2 and len(rejected_lines(proc.stderr)) == 3
    finally:
        for fd in writers:
            os.close(fd)
    assert opened == [], f"the scan opened {[str(p) for p in opened]}"


def test_a_fifo_in_place_of_the_translation_is_a_conflict(
    settings: Settings, content: Path
) -> None:
    """Write-back finds a FIFO where the Russian translation goes: it is neither opened nor
    written through; the task is in conflict, and an editor's resolve puts a file there."""
    scan(settings, content)
    add_people(settings)
    code, out, err = transync(
        settings, "tasks", "--json", "--post", "grain-corridor", "--lang", "ru"
    )
    (task,) = json.loads(out)["tasks"]
    task_id = str(task["id"])
    assert transync(settings, "assign", task_id, "--to", "ivan", "--as", EDITOR)[0] == 0
    target = content / "ru/posts/grain-corridor.md"
    os.mkfifo(target)
    watch = OpenWatch([target])
    try:
        proc = run_cli(
            settings,
            "submit",
            task_id,
            "--as",
            "ivan",
            str(EXAMPLES / "translations/grain-corridor.ru.md"),
        )
        opened = watch.opened()
    finally:
        watch.close()
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "conflict" in proc.stdout and "not a regular file" in proc.stdout, proc.stdout
    assert opened == []
    assert target.is_fifo()
    proc = run_cli(settings, "resolve", task_id, "--keep", "submitted", "--as", EDITOR)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert target.is_file() and "Чтобы зерно" in target.read_text(encoding="utf-8")


# -- 6. two WXR exports holding the same post and language --------------------------------


def wxr_pair(tmp_path: Path) -> tuple[Path, Path]:
    """a.xml is the Polylang fixture; b.xml holds the same items, one of them edited."""
    text = (DATA / "wxr/polylang.xml").read_text(encoding="utf-8")
    a, b = tmp_path / "a.xml", tmp_path / "b.xml"
    a.write_text(text, encoding="utf-8")
    assert "İstanbul’da Bir Gün" in text
    b.write_text(text.replace("İstanbul’da Bir Gün", "İstanbul’da Başka Bir Gün"), encoding="utf-8")
    return a, b


def content_rows(settings: Settings) -> dict[str, Any]:
    """Posts, versions and revisions: what a scan records (not its bookkeeping)."""
    with transaction(settings.database_url) as s:
        return {
            "posts": s.execute(select(Post.key).order_by(Post.key)).scalars().all(),
            "versions": [
                tuple(r)
                for r in s.execute(
                    select(
                        Version.id,
                        Version.source,
                        Version.origin,
                        Version.revision,
                        Version.title,
                        Version.deleted,
                        Version.raw_hash,
                    ).order_by(Version.id)
                )
            ],
            "revisions": s.execute(select(func.count()).select_from(Revision)).scalar_one(),
        }


def test_two_exports_of_one_post(settings: Settings, tmp_path: Path) -> None:
    a, b = wxr_pair(tmp_path)
    code, _, err = transync(settings, "scan", f"wxr:{a}")
    assert code == 0, err
    first = content_rows(settings)
    assert first["revisions"] >= 6

    code, out, err = transync(settings, "scan", f"wxr:{b}")
    assert code == 2 and "Traceback" not in out + err, (code, out, err)
    rejected = rejected_lines(err)
    assert len(rejected) == len(first["versions"]), rejected  # every item of b
    assert content_rows(settings) == first  # nothing of b applied, not even the edit
    assert all("Başka" not in v[4] for v in first["versions"])
    for line in rejected:
        assert str(a) in line, f"does not name the recorded origin: {line}"
        assert str(b) in line, f"does not name the export it rejects: {line}"

    code, out, err = transync(settings, "scan", "--json", f"wxr:{a}")
    assert code == 0, err
    assert json.loads(out)["new_revisions"] == 0
    assert content_rows(settings) == first


def test_two_exports_of_one_post_in_one_scan(settings: Settings, tmp_path: Path) -> None:
    """Both exports in one command: the same post from two files is never applied twice or
    alternately; each rejection says which file it rejects, since both have the same URLs."""
    a, b = wxr_pair(tmp_path)
    code, out, err = transync(settings, "scan", f"wxr:{a}", f"wxr:{b}")
    assert code == 2 and "Traceback" not in out + err, (code, out, err)
    first = content_rows(settings)
    for _ in range(2):  # again and again: nothing flips between the two exports
        code, _, _ = transync(settings, "scan", f"wxr:{a}", f"wxr:{b}")
        assert code == 2 and content_rows(settings) == first
    versions = first["versions"]
    assert {v[1] for v in versions} == {f"wxr:{a}"}, "versions from both exports"
    for line in rejected_lines(err):
        assert str(b) in line, f"a rejection that does not say which export it is from: {line}"


# -- 7. init twice at once; every command on a database with no schema --------------------


@pytest.fixture
def empty_pg() -> Iterator[str]:
    """A new, empty database (no schema) on the shared PostgreSQL server."""
    try:
        admin = _pg_admin()
    except Exception as exc:  # noqa: BLE001
        service_missing("PostgreSQL at 127.0.0.1:5432", exc)
    name = f"transync_empty_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _pg_url(name)
    finally:
        dispose_all()
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migration_waiters(url: str) -> int:
    """How many sessions wait for transync's migration lock in this database."""
    from sync.db.migrate import MIGRATION_LOCK

    dbname = url.rsplit("/", 1)[1]
    with _pg_admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
            "WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = %s "
            "AND l.objid = %s",
            (dbname, MIGRATION_LOCK & 0xFFFFFFFF),
        ).fetchone()
    return int(row[0])


@pytest.mark.parametrize("race", ["at_once", "released_together"])
def test_two_inits_at_once_on_an_empty_postgres(empty_pg: str, tmp_path: Path, race: str) -> None:
    """Two `transync init` on an empty database: both exit 0 and the schema is at head.
    `released_together` holds the migration lock until both wait on it, so their race is
    certain, not left to timing."""
    import psycopg

    from sync.db.migrate import MIGRATION_LOCK, head, schema_problem

    settings = make_settings(empty_pg)
    env = cli_env(settings)
    holder = None
    if race == "released_together":
        holder = psycopg.connect(
            empty_pg.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    procs = [
        subprocess.Popen(
            [str(TRANSYNC), "init"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        if holder is not None:
            deadline = time.monotonic() + 60
            while migration_waiters(empty_pg) < 2:
                assert time.monotonic() < deadline, "the two inits never both waited"
                assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
                time.sleep(0.05)
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        if holder is not None:
            holder.close()
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, f"exit {p.returncode}\n{out}\n{err}"
        assert "Traceback" not in out + err
    outputs = sorted(out for out, _ in results)
    assert "up to date" in outputs[1] or "→" in outputs[1], outputs
    assert schema_problem(empty_pg) is None
    import sqlalchemy

    from sync.db.session import get_engine

    with get_engine(empty_pg).connect() as conn:
        assert conn.execute(
            sqlalchemy.text("SELECT version_num FROM alembic_version")
        ).scalars().all() == [head()]


@pytest.fixture(params=["sqlite_missing", "sqlite_empty_file", "postgresql_empty"])
def no_schema(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings for a database with no transync schema: a SQLite file that is not there, an
    empty SQLite file, an empty PostgreSQL database."""
    if request.param == "postgresql_empty":
        yield make_settings(
            request.getfixturevalue("empty_pg"), locales_dir=str(tmp_path / "locales")
        )
        return
    path = tmp_path / "nothing.db"
    if request.param == "sqlite_empty_file":
        path.touch()
    yield make_settings(f"sqlite:///{path}", locales_dir=str(tmp_path / "locales"))
    dispose_all()


def commands(tmp_path: Path) -> list[tuple[str, ...]]:
    tree = tmp_path / "content"
    if not tree.exists():
        shutil.copytree(EXAMPLES / "content", tree)
    md = EXAMPLES / "translations/grain-corridor.ru.md"
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Language: tr\\n"\n"X-Transync-Task: 1\\n"\n\n'
        'msgctxt "energy-security"\nmsgid "Energy"\nmsgstr "Enerji"\n',
        encoding="utf-8",
    )
    return [
        ("scan", str(tree)),
        ("scan", "--json", str(tree)),
        ("status",),
        ("status", "--json"),
        ("diff", "energy-security", "tr"),
        ("ack", "energy-security", "--as", EDITOR),
        ("log",),
        ("log", "energy-security"),
        ("translators", "add", "ayse", "--langs", "tr"),
        ("translators", "list"),
        ("tasks",),
        ("tasks", "--state", "conflict", "--json"),
        ("task", "1"),
        ("claim", "--as", "ayse", "--lang", "tr"),
        ("release", "1", "--as", "ayse"),
        ("renew", "1", "--as", "ayse"),
        ("expire",),
        ("submit", "1", "--as", "ayse", str(md)),
        ("approve", "1", "--as", EDITOR),
        ("reject", "1", "--as", EDITOR, "--reason", "no"),
        ("resolve", "1", "--keep", "disk", "--as", EDITOR),
        ("assign", "1", "--to", "ayse", "--as", EDITOR),
        ("dispatch",),
        ("export",),
        ("export", "--check"),
        ("po", "1", "-o", str(tmp_path / "out.po")),
        ("import", str(po), "--as", "ayse"),
        ("users", "add", "maria", "--role", "editor"),
        ("users", "list"),
    ]


def test_every_command_on_a_database_with_no_schema_says_init(
    no_schema: Settings, tmp_path: Path
) -> None:
    failures = []
    for args in commands(tmp_path):
        code, out, err = transync(no_schema, *args)
        said = out + err
        if code != 1 or "transync init" not in said or "Traceback" in said:
            failures.append(f"transync {' '.join(args)}: exit {code}: {said.strip()[:300]}")
    assert not failures, "\n".join(failures)
    if no_schema.database_url.startswith("sqlite"):
        from sync.db.migrate import schema_problem

        assert schema_problem(no_schema.database_url) is not None  # still no schema


SERVER_PATIENCE = 20  # seconds: a worker is ready in about five on this machine


def test_servers_refuse_a_database_with_no_schema(no_schema: Settings, tmp_path: Path) -> None:
    """`serve`, `worker` and `beat` on a database with no schema stop at once and say to run
    `transync init`, rather than serve errors (or a healthy /healthz) and run jobs that
    cannot work."""
    env = cli_env(no_schema)
    port = free_port()
    argvs = {
        "serve": ["serve", "--port", str(port)],
        "worker": ["worker", "--pool", "solo"],
        "beat": ["beat", "--schedule-file", str(tmp_path / "beat-schedule")],
    }
    procs = {
        name: subprocess.Popen(
            [str(TRANSYNC), *argv],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for name, argv in argvs.items()
    }
    failures = []
    health = None
    try:
        deadline = time.monotonic() + SERVER_PATIENCE
        while time.monotonic() < deadline and any(p.poll() is None for p in procs.values()):
            time.sleep(0.2)
        if procs["serve"].poll() is None:
            with contextlib.suppress(Exception):
                import urllib.request

                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=5
                ) as response:
                    health = response.read().decode()
    finally:
        for p in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
    for name, p in procs.items():
        out = p.stdout.read() if p.stdout else ""
        if p.returncode != 1 or "transync init" not in out or "Traceback" in out:
            still = (
                f" (still running after {SERVER_PATIENCE} s; killed)" if p.returncode == -9 else ""
            )
            failures.append(f"transync {name}: exit {p.returncode}{still}: {out.strip()[-300:]}")
    if health is not None:
        failures.append(f"GET /healthz on a database with no schema: {health}")
    assert not failures, "\n".join(failures)


# -- 9. a killed scan leaves no parser process behind ----------------------------------------


def processes() -> dict[int, tuple[int, int, str]]:
    """pid -> (parent pid, process group, command) of every process, from /proc."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name_end = stat.rindex(")")
        fields = stat[name_end + 2 :].split()
        found[int(entry)] = (int(fields[1]), int(fields[2]), stat[stat.index("(") + 1 : name_end])
    return found


def big_tree(root: Path, posts: int) -> None:
    paragraph = (
        "Regional grids, ports and pipelines need a shared plan for the next decade, "
        "and every government on the coast has a part to play in it. "
    ) * 3
    for i in range(posts):
        body = "\n\n".join(f"{paragraph} Section {i}.{j}." for j in range(25))
        (root / "en/posts").mkdir(parents=True, exist_ok=True)
        (root / f"en/posts/post-{i:05d}.md").write_text(
            f"---\ntitle: Post {i}\ntranslationKey: post-{i:05d}\n---\n\n{body}\n", encoding="utf-8"
        )


def test_killed_scan_leaves_no_parser_process(settings: Settings, tmp_path: Path) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("a scan parses in parallel only with two or more cores")
    tree = tmp_path / "big"
    big_tree(tree, 1500)
    scan_proc = subprocess.Popen(
        [str(TRANSYNC), "scan", str(tree)],
        env=cli_env(settings),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    pid = scan_proc.pid
    seen: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while len(seen) < 2:  # the pool's parser processes are running
            assert scan_proc.poll() is None, "the scan ended before its pool was seen"
            assert time.monotonic() < deadline, "no parser process appeared"
            seen |= {p for p, (ppid, _, _) in processes().items() if ppid == pid}
            time.sleep(0.01)
        time.sleep(0.3)  # mid-way through parsing
        assert scan_proc.poll() is None, "the scan finished before it could be killed"
        os.kill(pid, signal.SIGKILL)  # the scan only: its children must follow by themselves
        scan_proc.wait(10)

        def leftovers() -> dict[int, tuple[int, int, str]]:
            return {
                p: info
                for p, info in processes().items()
                if p != pid and (info[0] == pid or info[1] == pid or p in seen)
            }

        deadline = time.monotonic() + 5
        while leftovers() and time.monotonic() < deadline:
            time.sleep(0.1)
        left = leftovers()
        assert not left, f"alive after the scan was killed: {left}"
    finally:
        for child in {
            p for p, info in processes().items() if info[1] == pid or p in seen
        }:  # our own processes only
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)
        if scan_proc.poll() is None:
            scan_proc.kill()
            scan_proc.wait()
    # and nothing of the killed scan was committed: a full scan afterwards records it all
    with transaction(settings.database_url) as s:
        assert s.execute(select(func.count()).select_from(Post)).scalar_one() == 0
