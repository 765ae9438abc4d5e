"""Real MCP servers on 127.0.0.1 free ports, one process group each, always killed afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import pytest

from mcpctl.mcp.client import HttpTarget
from testing.paths import EVERYTHING_JS, NODE, PYTHON, ROOT

LOOPBACK_CJS = ROOT / "testing" / "servers" / "loopback.cjs"
START_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class RunningServer:
    url: str
    process: subprocess.Popen[bytes]
    stderr_path: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], stderr_path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                raise RuntimeError(f"server exited with {process.returncode}: {f.read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on port {port} within {START_TIMEOUT}s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(grace)
            break
        except subprocess.TimeoutExpired:
            continue
    with suppress(ProcessLookupError):  # grandchildren outliving the leader
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def start_server(
    argv: list[str], *, port: int, path: str, env: dict[str, str] | None = None
) -> Iterator[RunningServer]:
    """Start ``argv`` in its own process group, wait for ``port``, yield its URL, kill the group."""
    stderr = tempfile.NamedTemporaryFile(prefix="mcpctl-server-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # server-everything logs every request to stdout
        stderr=stderr,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process, stderr.name)
        yield RunningServer(url=f"http://127.0.0.1:{port}{path}", process=process, stderr_path=stderr.name)
    finally:
        _stop(process)
        stderr.close()
        os.unlink(stderr.name)


@contextmanager
def sdk_server(*flags: str, path: str = "/mcp") -> Iterator[RunningServer]:
    port = free_port()
    argv = [PYTHON, "-m", "testing.servers.sdk_echo", *flags, "--port", str(port)]
    with start_server(argv, port=port, path=path) as server:
        yield server


@contextmanager
def everything_server(mode: str, path: str) -> Iterator[RunningServer]:
    port = free_port()
    argv = [NODE, "--require", str(LOOPBACK_CJS), str(EVERYTHING_JS), mode]
    with start_server(argv, port=port, path=path, env={"PORT": str(port)}) as server:
        yield server


@pytest.fixture(scope="module")
def sdk_http_server() -> Iterator[str]:
    """The SDK server (testing/servers/sdk_echo.py) answering POSTs with SSE streams."""
    with sdk_server("--http") as server:
        yield server.url


@pytest.fixture(scope="module")
def sdk_json_server() -> Iterator[str]:
    """The SDK server answering POSTs with ``application/json``."""
    with sdk_server("--http", "--json-response") as server:
        yield server.url


@pytest.fixture(scope="module")
def sdk_resumable_server() -> Iterator[str]:
    """The SDK server with an event store: SSE streams carry ids and can be resumed."""
    with sdk_server("--http", "--resumable") as server:
        yield server.url


@pytest.fixture(scope="module")
def sdk_sse_server() -> Iterator[str]:
    """The SDK server on the legacy HTTP+SSE transport (the SSE URL)."""
    with sdk_server("--sse", path="/sse") as server:
        yield server.url


@pytest.fixture(scope="module")
def everything_http_server() -> Iterator[str]:
    """server-everything over Streamable HTTP (``/mcp``)."""
    with everything_server("streamableHttp", "/mcp") as server:
        yield server.url


@pytest.fixture(scope="module")
def everything_sse_server() -> Iterator[str]:
    """server-everything over legacy HTTP+SSE (the SSE URL, ``/sse``)."""
    with everything_server("sse", "/sse") as server:
        yield server.url


@pytest.fixture
def everything_http_target(everything_http_server: str) -> HttpTarget:
    return HttpTarget(url=everything_http_server)
