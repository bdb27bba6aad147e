"""Real receivers for notification tests: an HTTP server on 127.0.0.1 that checks Standard
Webhooks signatures with the `standardwebhooks` package (not transync's code), and an SMTP
server (aiosmtpd) that keeps every mail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook as Verifier

#: path → (nth request for this webhook-id, 1-based) → (status, seconds to wait first)
Script = Callable[[int], tuple[int, float]]


@dataclass
class Received:
    path: str
    id: str
    timestamp: str
    body: bytes
    headers: dict[str, str]
    verified: bool
    status: int


@dataclass
class Receiver:
    """A webhook receiver: each path answers as its script says."""

    scripts: dict[str, Script] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)  # path → whsec_…
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as transync's client expects

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                msg_id = headers.get("webhook-id", "")
                with receiver.lock:
                    nth = 1 + sum(
                        1 for r in receiver.received if r.path == self.path and r.id == msg_id
                    )
                    script = receiver.scripts.get(self.path, lambda n: (200, 0.0))
                    status, wait = script(nth)
                    entry = Received(
                        self.path,
                        msg_id,
                        headers.get("webhook-timestamp", ""),
                        body,
                        headers,
                        receiver.verify(self.path, body, headers),
                        status,
                    )
                    receiver.received.append(entry)
                if wait:
                    time.sleep(wait)
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def verify(self, path: str, body: bytes, headers: dict[str, str]) -> bool:
        secret = self.secrets.get(path)
        if secret is None:
            return False
        try:
            Verifier(secret).verify(body, headers)
        except Exception:  # noqa: BLE001 - any failure means "not verified"
            return False
        return True

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def events(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.at(path)]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd) that requires a login and keeps each mail."""

    def __init__(self, user: str = "transync", password: str = "s3cret-smtp-pass") -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        from tests.helpers.processes import free_port

        self.user, self.password = user, password
        self.mails: list[EmailMessage] = []
        self.logins: list[str] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                box.mails.append(
                    message_from_bytes(envelope.original_content, policy=policy.default)
                )  # type: ignore[arg-type]
                return "250 OK"

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            ok = (data.login.decode(), data.password.decode()) == (box.user, box.password)
            if ok:
                box.logins.append(data.login.decode())
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            authenticator=authenticate,
            auth_require_tls=False,
        )

    @property
    def url(self) -> str:
        return f"smtp://{self.user}:{self.password}@127.0.0.1:{self.port}"

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mails if address in str(m["To"])]
