"""Local receivers for notification tests: an SMTP server (aiosmtpd) and a webhook server (http.server),
both on 127.0.0.1. Helpers only; the tests are in test_notify.py and test_escalate.py."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Hook:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class _SMTPHandler:
    """Accepts everything except addresses starting with ``nobody@`` (refused with 550)."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


@dataclass
class LocalSMTP:
    port: int
    handler: _SMTPHandler
    logins: list[tuple[str, str]] = field(default_factory=list)

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[LocalSMTP]:
    handler = _SMTPHandler()
    server = LocalSMTP(free_port(), handler)

    def authenticate(smtp, session, envelope, mechanism, auth_data):
        server.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=server.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass
class LocalWebhook:
    """Paths decide the answer: ``/status/<code>`` always answers <code>, ``/flaky/...`` answers 503
    to its first request and 200 afterwards, anything else 200."""

    port: int
    hooks: list[Hook] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def paths(self) -> list[str]:
        return [hook.path for hook in self.hooks]


@contextmanager
def webhook_server() -> Iterator[LocalWebhook]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                seen = self.path in receiver.paths()
                receiver.hooks.append(Hook(self.path, dict(self.headers), body))
            if self.path.startswith("/status/"):
                code = int(self.path.split("/")[2])
            else:
                code = 503 if self.path.startswith("/flaky/") and not seen else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = LocalWebhook(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@contextmanager
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
