"""Mocks the monitoring tests share: one whose every call fails, and one served over HTTP that the tests
switch between behaviours by rewriting its file (``mcpctl mock serve --watch`` reloads it)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.integration.conftest import RunningServer, start_server

FLAKY = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: flaky}
tools:
  - name: work
    inputSchema: {type: object}
    behaviour: {errorRate: 100%}
    default: {text: done}
"""
SWITCH = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: switch}
tools:
  - name: work
    inputSchema: {type: object}
    behaviour: BEHAVIOUR
    default: {text: done}
"""


def set_switch(path: Path, behaviour: str) -> None:
    """Write the switch mock with ``behaviour`` (``{}``, ``{latency: 250ms}``, ``{errorRate: 100%}``)."""
    path.write_text(SWITCH.replace("BEHAVIOUR", behaviour), encoding="utf-8")


@contextmanager
def switch_server(path: Path, port: int) -> Iterator[RunningServer]:
    """Serve the mock at ``path`` over HTTP on ``port``, reloading it when the file changes."""
    argv = [
        sys.executable,
        "-m",
        "mcpctl",
        "mock",
        "serve",
        str(path),
        "--http",
        f"127.0.0.1:{port}",
        "--watch",
    ]
    with start_server(argv, port=port, path="/mcp") as server:
        yield server
