"""Real peers for alert delivery tests: a webhook collector, an SMTP server and a real Alertmanager.

Each is a context manager that starts the peer on a free 127.0.0.1 port and always stops it: the
collector serves from a thread (so a test's trio loop never serves it), the SMTP server is aiosmtpd's
``Controller`` in its own thread, Alertmanager is a child process in its own process group, killed in
``finally``.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trio
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
HANG_LIMIT = 30.0  # a hanging handler answers after this long at most, or when the collector closes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until(check: Callable[[], object], *, timeout: float = 5.0, what: str = "condition") -> None:
    """Poll ``check`` from a trio test until it holds; fail after ``timeout`` seconds."""
    with trio.move_on_after(timeout):
        # polling: the peers record from their own threads, which cannot set a trio.Event
        while not check():  # noqa: ASYNC110
            await trio.sleep(0.01)
        return
    raise AssertionError(f"{what} did not happen within {timeout}s")


# --- webhook collector ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    at: float
    """``time.monotonic()`` when the request arrived."""
    path: str
    headers: dict[str, str]
    body: object
    status: int
    """What the collector answered."""


@dataclass
class WebhookCollector:
    url: str
    """``http://127.0.0.1:PORT`` (append any path)."""
    received: list[Received] = field(default_factory=list)
    _failures: dict[str, list[int]] = field(default_factory=dict)
    _hanging: set[str] = field(default_factory=set)
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, path: str, *, status: int, times: int) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        with self._lock:
            self._failures.setdefault(path, []).extend([status] * times)

    def hang(self, path: str) -> None:
        """Never answer requests to ``path`` (until the collector closes)."""
        self._hanging.add(path)

    def at(self, path: str) -> list[Received]:
        """The requests received on ``path``, in order."""
        with self._lock:
            return [r for r in self.received if r.path == path]

    def _answer(self, path: str) -> int:
        with self._lock:
            pending = self._failures.get(path)
            return pending.pop(0) if pending else 200


def _handler(collector: WebhookCollector) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = collector._answer(self.path)
            try:
                body: object = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
            headers = {k.lower(): v for k, v in self.headers.items()}
            with collector._lock:
                collector.received.append(Received(time.monotonic(), self.path, headers, body, status))
            if self.path in collector._hanging:
                collector._release.wait(HANG_LIMIT)
            # a failure echoes the path, as real servers echo what they got: secrets in URLs leak this way
            answer = {"status": "ok"} if status < 300 else {"error": f"told to fail at {self.path}"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


@contextmanager
def webhook_collector() -> Iterator[WebhookCollector]:
    """An HTTP server recording every POST (time, path, headers, JSON body); told per path to fail or hang."""
    port = free_port()
    collector = WebhookCollector(url=f"http://127.0.0.1:{port}")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(collector))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield collector
    finally:
        collector._release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


# --- TLS ----------------------------------------------------------------------------------------------


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (a CA of itself): (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mcpctl test peer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


# --- SMTP ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    """Whether the session had been upgraded with STARTTLS."""
    login: str | None


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Mail] = field(default_factory=list)

    @property
    def smarthost(self) -> str:
        return f"{self.host}:{self.port}"


class _Recorder:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        content = envelope.original_content or b""
        tos = tuple(envelope.rcpt_tos)
        mail = Mail(envelope.mail_from or "", tos, content, session.ssl is not None, login)
        self.server.messages.append(mail)
        return "250 OK"


def _authenticator(username: str, password: str) -> Callable[..., AuthResult]:
    def check(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        good = isinstance(data, LoginPassword) and (data.login, data.password) == (
            username.encode(),
            password.encode(),
        )
        return AuthResult(success=good, handled=False, auth_data=data)

    return check


@contextmanager
def smtp_server(
    *, tls_cert: tuple[Path, Path] | None = None, auth: tuple[str, str] | None = None
) -> Iterator[SmtpServer]:
    """aiosmtpd on a free port recording every message; ``tls_cert`` offers STARTTLS with that
    certificate, ``auth`` (user, password) requires AUTH (over TLS, so it needs ``tls_cert``)."""
    port = free_port()
    server = SmtpServer(host="127.0.0.1", port=port)
    options: dict[str, Any] = {}
    if tls_cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls_cert)
        options["tls_context"] = context
    if auth is not None:
        options |= {"auth_required": True, "authenticator": _authenticator(*auth)}
    controller = Controller(_Recorder(server), hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- Alertmanager -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunningAlertmanager:
    url: str
    process: subprocess.Popen[bytes]

    def alerts(self) -> list[dict[str, object]]:
        """``GET /api/v2/alerts``."""
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts", timeout=5) as response:
            found: list[dict[str, object]] = json.loads(response.read())
            return found


def _alertmanager_config(webhook_url: str) -> str:
    return json.dumps(  # JSON is YAML
        {
            "route": {
                "receiver": "collector",
                "group_by": ["alertname"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {"name": "collector", "webhook_configs": [{"url": webhook_url, "send_resolved": True}]}
            ],
        }
    )


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"alertmanager exited with {process.returncode}: {log.read_text()[-2000:]}")
        with suppress(OSError), urllib.request.urlopen(f"{url}/-/ready", timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"alertmanager not ready within {timeout}s: {log.read_text()[-2000:]}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(5)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def alertmanager(webhook_url: str) -> Iterator[RunningAlertmanager]:
    """A real Alertmanager (no clustering) whose one receiver is a webhook to ``webhook_url``."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mcpctl-am-") as tmp:
        config, log = Path(tmp) / "alertmanager.yml", Path(tmp) / "stderr.log"
        config.write_text(_alertmanager_config(webhook_url))
        argv = [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp}/data",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ]
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
            try:
                _wait_ready(url, process, log)
                yield RunningAlertmanager(url=url, process=process)
            finally:
                _kill_group(process)
