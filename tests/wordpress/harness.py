"""A real WordPress for the tests: Debian's ``wordpress`` package served by PHP's built-in
server on 127.0.0.1, on a private MariaDB (its own data folder and socket, no TCP port), with
a fresh database per test session.

The document root is a folder of this session's: WordPress's top-level PHP files copied
(``wp-load.php`` finds ``wp-config.php`` beside itself), ``wp-includes`` and ``wp-admin``
linked from ``/usr/share/wordpress``, a ``wp-config.php`` written here
(``WP_ENVIRONMENT_TYPE=local``, so application passwords work over plain HTTP) and a
``wp-content`` holding the must-use plugin ``mu-plugins/transync-test-languages.php``.
Users, the application password and posts are made through WordPress's own PHP API by
``site.php`` run with php-cli (there is no wp-cli). A small TCP proxy stands in front of the
server, so a test can drop the connection after WordPress has applied a request.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
WORDPRESS = Path(os.environ.get("TRANSYNC_TEST_WORDPRESS", "/usr/share/wordpress"))
MARIADBD = shutil.which("mariadbd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/libexec")
INSTALL_DB = shutil.which("mariadb-install-db")
MARIADB = shutil.which("mariadb")
PHP = shutil.which("php")
#: MariaDB options: small, and no durability (a test database is thrown away).
MARIADB_OPTIONS = (
    "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=8M",
    "--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0",
    "--innodb-flush-method=nosync", "--skip-log-bin", "--skip-name-resolve",
)  # fmt: skip


class Unavailable(Exception):  # noqa: N818 - the reason the WordPress tests cannot run
    """PHP, WordPress or MariaDB is missing or would not start."""


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, so no server outlives a killed run."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing() -> list[str]:
    """What is not installed (Debian package names)."""
    out = []
    if PHP is None:
        out.append("php-cli")
    elif subprocess.run(
        [PHP, "-r", "exit(function_exists('mysqli_connect') ? 0 : 1);"], capture_output=True
    ).returncode:
        out.append("php-mysql")
    if not (WORDPRESS / "wp-settings.php").is_file():
        out.append("wordpress")
    if not (MARIADBD and INSTALL_DB and MARIADB):
        out.append("mariadb-server")
    return out


# -- MariaDB -------------------------------------------------------------------------------


class MariaDB:
    """A private mariadbd: a data folder copied from a template, a socket, no network."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "mysqld.sock"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> MariaDB:
        data = self.folder / "data"
        shutil.copytree(_template(), data, symlinks=True)
        log = self.folder / "mariadbd.log"
        self.process = subprocess.Popen(
            [
                str(MARIADBD),
                "--no-defaults",
                *_as_root(),
                f"--datadir={data}",
                f"--socket={self.socket}",
                "--skip-networking",
                f"--pid-file={self.folder}/pid",
                f"--log-error={log}",
                *MARIADB_OPTIONS,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 30
        while True:
            done = self.sql(
                "CREATE DATABASE IF NOT EXISTS wordpress CHARACTER SET utf8mb4", check=False
            )
            if done.returncode == 0:
                return self
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise Unavailable(f"mariadbd did not start: {_tail(log)}")
            time.sleep(0.05)

    def sql(self, statement: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(MARIADB), "--no-defaults", f"--socket={self.socket}", "-uroot", "-e", statement],
            capture_output=True,
            text=True,
            check=check,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _template() -> Path:
    """MariaDB's system tables, made once per machine and MariaDB version by
    mariadb-install-db (4 to 5 s), then copied for each session (a few ms)."""
    version = subprocess.run(
        [str(MARIADBD), "--version"], capture_output=True, text=True
    ).stdout.strip()
    tag = hashlib.sha256(f"{version} {MARIADB_OPTIONS}".encode()).hexdigest()[:12]
    template = Path(tempfile.gettempdir()) / f"transync-mariadb-template-{os.getuid()}-{tag}"
    if (template / "mysql").is_dir():
        return template
    building = Path(tempfile.mkdtemp(prefix=template.name + ".", dir=template.parent))
    done = subprocess.run(
        [
            str(INSTALL_DB),
            "--no-defaults",
            *_as_root(),
            f"--datadir={building}/data",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *MARIADB_OPTIONS,
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        shutil.rmtree(building, ignore_errors=True)
        raise Unavailable(f"mariadb-install-db failed: {done.stderr.strip()[-500:]}")
    try:
        os.rename(building / "data", template)  # another session may have won the race
    except OSError:
        pass
    shutil.rmtree(building, ignore_errors=True)
    return template


def _as_root() -> list[str]:
    """mariadbd refuses to run as root unless told to; as anyone else it runs as itself."""
    return ["--user=root"] if os.geteuid() == 0 else []


def _tail(path: Path, n: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-n:])
    except OSError:
        return "(no log)"


# -- WordPress -----------------------------------------------------------------------------


class WordPress:
    """A running WordPress: ``url`` (through the proxy), the editor's application password,
    ``php(...)`` to act through WordPress's PHP API, ``proxy`` to drop a connection."""

    user = "editor"
    password = ""  # the application password, set by install

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.docroot = folder / "docroot"
        self.db = MariaDB(folder)
        self.proxy = Proxy()
        self.url = f"http://127.0.0.1:{self.proxy.port}"
        self.server: subprocess.Popen[bytes] | None = None
        self.timings: dict[str, float] = {}

    @classmethod
    def start(cls, folder: Path) -> WordPress:
        if gone := missing():
            raise Unavailable(f"not installed: {', '.join(gone)} (make system-deps)")
        site = cls(folder)
        try:
            site._start()
        except BaseException:
            site.stop()
            raise
        return site

    def _start(self) -> None:
        began = time.monotonic()
        self.db.start()
        self.timings["mariadb"] = time.monotonic() - began
        self._docroot()
        began = time.monotonic()
        (installed,) = self.php({"op": "install", "password": secrets.token_urlsafe(16)})
        self.password = installed["app_password"]
        self.timings["install"] = time.monotonic() - began
        began = time.monotonic()
        port = free_port()
        log = open(self.folder / "php-server.log", "wb")  # noqa: SIM115 - closed with the server
        env = {**os.environ, "PHP_CLI_SERVER_WORKERS": "2"}
        self.server = subprocess.Popen(
            [
                str(PHP),
                *self.php_options(),
                "-S",
                f"127.0.0.1:{port}",
                "-t",
                str(self.docroot),
                str(HERE / "router.php"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.proxy.start(port)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/wp-json/", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                raise Unavailable(
                    f"WordPress did not answer at {self.url}: "
                    f"{_tail(self.folder / 'php-server.log')}"
                )
            time.sleep(0.05)
        self.timings["server"] = time.monotonic() - began

    def _docroot(self) -> None:
        root = self.docroot
        root.mkdir()
        for entry in WORDPRESS.iterdir():
            if entry.name in ("wp-config.php", "wp-content") or entry.name.startswith("."):
                continue
            if entry.is_dir():
                (root / entry.name).symlink_to(entry)
            else:
                shutil.copy(entry, root / entry.name)  # __DIR__ must be the docroot
        content = root / "wp-content"
        for folder in ("mu-plugins", "plugins", "themes", "uploads"):
            (content / folder).mkdir(parents=True)
        plugin = "transync-test-languages.php"
        (content / "mu-plugins" / plugin).symlink_to(HERE / "mu-plugins" / plugin)
        salts = "\n".join(
            f"define('{name}', '{secrets.token_hex(24)}');"
            for name in (
                "AUTH_KEY",
                "SECURE_AUTH_KEY",
                "LOGGED_IN_KEY",
                "NONCE_KEY",
                "AUTH_SALT",
                "SECURE_AUTH_SALT",
                "LOGGED_IN_SALT",
                "NONCE_SALT",
            )
        )
        (root / "wp-config.php").write_text(f"""<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', 'localhost:{self.db.socket}');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
{salts}
$table_prefix = 'wp_';
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HOME', '{self.url}');
define('WP_SITEURL', '{self.url}');
define('WP_CONTENT_DIR', __DIR__ . '/wp-content');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
""")

    def php_options(self) -> list[str]:
        """OPcache on, with a file cache: each php-cli run compiles WordPress once, not
        every time (0.5 s a run otherwise)."""
        cache = self.folder / "opcache"
        cache.mkdir(exist_ok=True)
        return [
            "-d",
            "opcache.enable_cli=1",
            "-d",
            f"opcache.file_cache={cache}",
            "-d",
            "display_errors=stderr",
            "-d",
            "memory_limit=256M",
        ]

    def php(self, *ops: dict[str, Any]) -> list[Any]:
        """Run ops through site.php (WordPress's PHP API); their results."""
        done = subprocess.run(
            [str(PHP), *self.php_options(), str(HERE / "site.php"), str(self.docroot)],
            input=json.dumps(ops),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode or "@@transync@@" not in done.stdout:
            raise RuntimeError(
                f"site.php {[op['op'] for op in ops]} failed "
                f"({done.returncode}): {done.stderr.strip()[-2000:]}"
                f"{done.stdout.strip()[-500:]}"
            )
        return list(json.loads(done.stdout.rsplit("@@transync@@", 1)[1]))

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGTERM)  # the server and its workers
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()
        self.server = None
        self.proxy.stop()
        self.db.stop()


# -- the proxy -----------------------------------------------------------------------------


class Proxy:
    """Passes connections through to WordPress and notes each request line (WordPress's
    built-in server answers one request per connection); ``drop_next("POST")`` lets the next
    such request reach WordPress and be applied, then resets the connection instead of
    answering."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.upstream = 0
        self.drops: list[str] = []
        self.dropped = 0
        self.requests: list[tuple[str, str]] = []  # (method, path?query) of every request
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self, upstream: int) -> None:
        self.upstream = upstream
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def drop_next(self, method: str) -> None:
        with self.lock:
            self.drops.append(method.upper())

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:
            client.close()
            return
        head = b""
        with contextlib.suppress(OSError):
            head = client.recv(65536)
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        method = method.upper()
        with self.lock:
            self.requests.append((method, rest.rsplit(" ", 1)[0]))
            drop = method in self.drops
            if drop:
                self.drops.remove(method)
                self.dropped += 1
        with contextlib.suppress(OSError):
            upstream.sendall(head)
        up = threading.Thread(target=_pump, args=(client, upstream, False), daemon=True)
        up.start()
        if drop:  # WordPress answers in full; the client gets a reset instead
            _read_response(upstream)
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RD)  # wakes the other thread's recv
            up.join(5)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            _pump(upstream, client, False)
        client.close()
        upstream.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.close()


def _pump(src: socket.socket, dst: socket.socket, discard: bool) -> None:
    try:
        while chunk := src.recv(65536):
            if not discard:
                dst.sendall(chunk)
    except OSError:
        pass
    if not discard:
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


def _read_response(upstream: socket.socket) -> None:
    """Read one HTTP response whole (PHP's server keeps the connection open after it)."""
    data = b""
    with contextlib.suppress(OSError):
        upstream.settimeout(30)
        while chunk := upstream.recv(65536):
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if not sep:
                continue
            headers = head.decode("latin-1").lower()
            length = re.search(r"^content-length:\s*(\d+)", headers, re.M)
            if length and len(body) >= int(length.group(1)):
                return
            if "transfer-encoding: chunked" in headers and body.endswith(b"0\r\n\r\n"):
                return


@contextlib.contextmanager
def running(folder: Path) -> Iterator[WordPress]:
    site = WordPress.start(folder)
    try:
        yield site
    finally:
        site.stop()
