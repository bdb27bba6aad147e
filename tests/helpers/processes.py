"""Service processes for integration tests: a private redis-server, Celery workers and beat.

Every process runs in its own process group, logs to a file, and is stopped (or killed
with SIGKILL) by the fixture that started it, whatever the test did.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.config import FIELDS, Settings, env_name

ROOT = Path(__file__).resolve().parents[2]
TRANSYNC = ROOT / ".venv" / "bin" / "transync"


def wait_until(
    predicate: Callable[[], Any],
    timeout: float,
    what: str,
    interval: float = 0.1,
    alive: tuple[Service, ...] = (),
) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds,
    or at once when one of the `alive` services has died (with the end of its log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for service in alive:
            if service.proc.poll() is not None:
                raise AssertionError(
                    f"{service.name} exited ({service.proc.returncode}) "
                    f"while waiting for {what}:\n{service.tail()}"
                )
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {s.name}\n{s.tail()}" for s in alive)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settings_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a subprocess exactly these settings (and no others)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRANSYNC_")}
    env["TRANSYNC_CONFIG"] = "/nonexistent/transync.toml"
    for f in FIELDS.values():
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[env_name(f.name)] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


class Service:
    """One subprocess in its own process group, with its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.log_path = log
        self._log = open(log, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    def wait_for_log(self, pattern: str, timeout: float = 30.0) -> None:
        rx = re.compile(pattern)
        wait_until(
            lambda: rx.search(self.log()), timeout, f"{self.name} to log {pattern!r}", alive=(self,)
        )

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash or the OOM killer would."""
        self._signal(signal.SIGKILL)
        self._reap(10)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL if it does not end in time."""
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            if not self._reap(timeout):
                self._signal(signal.SIGKILL)
                self._reap(10)
        else:
            self._signal(signal.SIGKILL)  # children left behind by a dead parent
        self._log.close()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def _reap(self, timeout: float) -> bool:
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False


class Services:
    """Starts services for one test and stops every one of them at the end."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[Service] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Service:
        service = Service(name, argv, env, self.tmp / f"{name}.log")
        self.started.append(service)
        return service

    def redis(self) -> tuple[Service, str]:
        """A private redis-server (no persistence) on a free port; returns it and its URL."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise FileNotFoundError("redis-server is not installed")
        port = free_port()
        server = self.start(
            "redis",
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        server.wait_for_log(r"Ready to accept connections", timeout=10)
        return server, f"redis://127.0.0.1:{port}/0"

    def worker(
        self,
        name: str,
        settings: Settings,
        *,
        probe: bool = False,
        pool: str = "solo",
        concurrency: int | None = None,
        ready: bool = True,
        **env: str,
    ) -> Service:
        """`transync worker` (or the same under tests.helpers.probe), waited for until ready."""
        argv = [sys.executable, "-m", "tests.helpers.probe"] if probe else [str(TRANSYNC)]
        argv += ["worker", "--pool", pool, "-l", "info", "--hostname", f"{name}@%h"]
        if concurrency:
            argv += ["--concurrency", str(concurrency)]
        service = self.start(name, argv, settings_env(settings, **env))
        if ready:
            service.wait_for_log(r"celery@\S+ ready|\S+@\S+ ready", timeout=60)
        return service

    def beat(self, name: str, settings: Settings, **env: str) -> Service:
        argv = [
            str(TRANSYNC),
            "beat",
            "-l",
            "info",
            "--schedule-file",
            str(self.tmp / f"{name}-schedule"),
        ]
        return self.start(name, argv, settings_env(settings, **env))

    def stop_all(self) -> None:
        errors = []
        for service in reversed(self.started):
            try:
                service.stop()
            except Exception as exc:  # noqa: BLE001 - stop the rest whatever happens
                errors.append(exc)
        self.started.clear()
        if errors:
            raise errors[0]
