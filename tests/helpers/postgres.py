"""A private PostgreSQL server for tests that stop, restart, kill or flood the database.

Such a test must never touch the machine's shared cluster (127.0.0.1:5432), which other
test sessions and people use at the same time. `PrivatePostgres` runs `initdb` into a
temporary folder (trust auth, fsync off, UTF-8 with the C.UTF-8 locale like the shared
cluster) and `postgres` itself as a subprocess on a free port of 127.0.0.1, with its unix
socket in that folder. Commits stay synchronous, so a killed server keeps what was
committed. It starts in about a second and is stopped and removed at the end whatever the
test did.

PostgreSQL refuses to run as root; when the tests run as root the server runs as the
`postgres` system user (or `nobody`; `TRANSYNC_TEST_PG_USER` chooses), which owns the folder.
The binaries are found through `TRANSYNC_TEST_PG_BIN`, then `initdb` on PATH, then the newest
`/usr/lib/postgresql/*/bin` (Debian, Ubuntu).

Fixtures (registered by tests/conftest.py):

- `private_pg`: a running `PrivatePostgres`; `.url(db)` for transync, `.restart()`,
  `.stop(mode)`, `.start()`, `.kill()`, `.start_time()`, `.create_database(name, migrate=True)`;
- `private_pg_url`: the URL of a migrated, empty transync database on it;
- `private_pg_template` (session): the one initdb the servers of a session are copied from.

Outside CI a missing PostgreSQL installation skips the test; with CI=true it fails.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SUPERUSER = "postgres"
PREFIX = "transync-pg-"
# what a shutdown mode sends to the postmaster (as `pg_ctl stop -m MODE` does)
SHUTDOWN_SIGNALS = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}
# fsync off: only an operating-system crash could lose data, never a killed server. Not
# synchronous_commit off: a killed server would lose its last commits, which a crash test
# would then take for a transync bug.
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "32MB",
    "max_wal_size": "256MB",
    "logging_collector": "off",
    "log_line_prefix": "'%m [%p] '",
}


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_bindir() -> Path:
    """The directory holding `initdb` and `postgres`."""
    candidates: list[Path] = []
    if os.environ.get("TRANSYNC_TEST_PG_BIN"):
        candidates.append(Path(os.environ["TRANSYNC_TEST_PG_BIN"]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)

    def version(p: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", p.parent.name)) or (0,)

    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=version, reverse=True)
    candidates += [Path("/usr/local/pgsql/bin")]
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "postgres").is_file():
            return directory
    raise PostgresMissing(
        "no PostgreSQL server binaries (initdb, postgres) found; install "
        "postgresql or set TRANSYNC_TEST_PG_BIN"
    )


def _run_as() -> pwd.struct_passwd | None:
    """The user to run the server as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    names = (
        [os.environ["TRANSYNC_TEST_PG_USER"]]
        if os.environ.get("TRANSYNC_TEST_PG_USER")
        else ["postgres", "nobody"]
    )
    for name in names:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise PostgresMissing(
        f"running as root and there is no user to run PostgreSQL as "
        f"(tried {', '.join(names)}; set TRANSYNC_TEST_PG_USER)"
    )


def _free_port() -> int:
    from tests.helpers.processes import free_port

    return free_port()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_orphans(base: Path) -> None:
    """Stop and remove private servers left behind by test sessions that died (SIGKILL, OOM):
    only a folder whose owner process is gone, and only the postmaster of that folder."""
    for folder in base.glob(PREFIX + "*"):
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        data = folder / "data"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int((data / "postmaster.pid").read_text().splitlines()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if str(data).encode() in cmdline:
                os.kill(pid, signal.SIGQUIT)
                for _ in range(50):
                    if not _alive(pid):
                        break
                    time.sleep(0.1)
        shutil.rmtree(folder, ignore_errors=True)


class PrivatePostgres:
    """One throw-away PostgreSQL server: `init()` once, then `start()`, `stop()`, `restart()`,
    `kill()` as often as the test likes, and `destroy()` at the end."""

    def __init__(self, base: Path | None = None) -> None:
        self.bindir = find_bindir()
        self.user = _run_as()
        # a short path: the unix socket's path must stay under 107 bytes
        base = base or Path("/tmp" if len(tempfile.gettempdir()) > 40 else tempfile.gettempdir())
        sweep_orphans(base)
        self.dir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
        (self.dir / "owner.pid").write_text(str(os.getpid()))
        self.data_dir = self.dir / "data"
        self.socket_dir = self.dir
        self.log_path = self.dir / "postgres.log"
        self.port = 0
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        if self.user is not None:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
        os.chmod(self.dir, 0o700)

    # -- processes -----------------------------------------------------------------------

    def _popen(self, argv: list[str], log: Any) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C.UTF-8", HOME=str(self.dir))
        kwargs: dict[str, Any] = {}
        if self.user is not None:
            kwargs.update(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
        return subprocess.Popen(
            argv,
            env=env,
            cwd=self.dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )

    def init(self, template: Path | None = None) -> PrivatePostgres:
        """initdb: trust authentication, superuser `postgres`, UTF-8, no fsync; or a copy of
        `template`, the data folder of a server that was initialized and never started
        (`cp -a`, faster than initdb)."""
        log_path = self.dir / "initdb.log"
        if template is not None:
            with open(log_path, "wb") as log:
                code = self._popen(["cp", "-a", str(template), str(self.data_dir)], log).wait(120)
            if code != 0:
                raise RuntimeError(
                    f"copying {template} failed ({code}):\n{log_path.read_text(errors='replace')}"
                )
        else:
            self._initdb(log_path)
        self._configure()
        return self

    def _initdb(self, log_path: Path) -> None:
        for locale in (["--locale=C.UTF-8"], ["--no-locale"]):
            with open(log_path, "wb") as log:
                proc = self._popen(
                    [
                        str(self.bindir / "initdb"),
                        "-D",
                        str(self.data_dir),
                        "-A",
                        "trust",
                        "-U",
                        SUPERUSER,
                        "-E",
                        "UTF8",
                        "--no-sync",
                        *locale,
                    ],
                    log,
                )
                code = proc.wait(120)
            if code == 0:
                return
            shutil.rmtree(self.data_dir, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({code}):\n{log_path.read_text(errors='replace')}")

    def _configure(self) -> None:
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write("\n# transync tests: a private, disposable server\n")
            conf.write(f"unix_socket_directories = '{self.socket_dir}'\n")
            for key, value in SETTINGS.items():
                conf.write(f"{key} = {value}\n")

    def start(self, timeout: float = 30.0) -> PrivatePostgres:
        """Start the server (on a new free port the first time, on the same port after) and
        wait until it accepts connections."""
        if self.running:
            return self
        first = self.port == 0
        for _attempt in range(5 if first else 1):
            if first:
                self.port = _free_port()
            log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps its own copy
            try:
                self.proc = self._popen(
                    [str(self.bindir / "postgres"), "-D", str(self.data_dir), "-p", str(self.port)],
                    log,
                )
            finally:
                log.close()
            if self._wait_ready(timeout):
                self.starts += 1
                return self
            if not (first and "could not bind" in self.tail()):
                break
        raise RuntimeError(f"the private PostgreSQL did not start:\n{self.tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                return False
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return True
            except psycopg.OperationalError:
                time.sleep(0.05)
        self._signal(signal.SIGKILL)
        return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """Shut down like `pg_ctl stop -m MODE`: smart (waits for clients), fast (disconnects
        them, the default), immediate (no checkpoint: crash recovery at the next start). If it
        has not stopped in time, SIGKILL."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(SHUTDOWN_SIGNALS[mode])
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(10)
        self._signal(signal.SIGKILL)  # children a dead postmaster may have left behind
        self.proc = None

    def restart(self, mode: str = "fast", timeout: float = 60.0) -> None:
        """`pg_ctl restart -m MODE`: stop, then start again on the same port."""
        self.stop(mode, timeout)
        self.start(timeout)

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend, as a crash or the OOM killer would; the
        next `start()` runs crash recovery."""
        if self.proc is not None:
            self._signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def _signal(self, sig: int) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)

    def destroy(self) -> None:
        """Stop the server (fast, or harder) and remove its folder."""
        try:
            self.stop("fast", timeout=20)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients -------------------------------------------------------------------------

    def url(self, dbname: str = "postgres") -> str:
        """A database URL for transync (SQLAlchemy with psycopg 3)."""
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """The same for libpq and psycopg."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres") -> Any:
        """An autocommit psycopg connection (a context manager)."""
        import psycopg

        return psycopg.connect(self.dsn(dbname), autocommit=True, connect_timeout=5)

    def start_time(self) -> str:
        """pg_postmaster_start_time(): changes with every (re)start."""
        with self.connect() as conn:
            return str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])

    def create_database(self, name: str, migrate: bool = False) -> str:
        """CREATE DATABASE (and transync's schema with `migrate`); returns its URL."""
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = self.url(name)
        if migrate:
            from sync.db.migrate import upgrade
            from sync.db.session import dispose_all

            upgrade(url)
            dispose_all()
        return url

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


@contextlib.contextmanager
def private_postgres(
    base: Path | None = None, template: Path | None = None
) -> Iterator[PrivatePostgres]:
    """A started private server, destroyed on the way out."""
    server = PrivatePostgres(base)
    try:
        yield server.init(template).start()
    finally:
        server.destroy()


def _require_postgres() -> bool:
    """Whether a private server can run here; outside CI the test is skipped if not."""
    from tests.conftest import IN_CI

    try:
        find_bindir()
        _run_as()
    except PostgresMissing as exc:  # CI fails, elsewhere the test is skipped
        (pytest.fail if IN_CI else pytest.skip)(f"a private PostgreSQL is needed: {exc}")
    return True


@pytest.fixture(scope="session")
def private_pg_template() -> Iterator[Path]:
    """One initdb per session: the data folder each `private_pg` starts from a copy of."""
    _require_postgres()
    template = PrivatePostgres()
    try:
        template._initdb(template.dir / "initdb.log")
        yield template.data_dir
    finally:
        template.destroy()


@pytest.fixture
def private_pg(private_pg_template: Path) -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server of this test's own, to restart, stop or kill at will."""
    from sync.db.session import dispose_all

    with private_postgres(template=private_pg_template) as server:
        try:
            yield server
        finally:
            dispose_all()  # pooled connections to it go before it does


@pytest.fixture
def private_pg_url(private_pg: PrivatePostgres) -> str:
    """A migrated, empty transync database on the test's private PostgreSQL server."""
    return private_pg.create_database("transync", migrate=True)
