"""Mocks the monitoring tests share: one whose every call fails, and one served over HTTP that the tests
switch between behaviours and answers by rewriting its file (``mcpctl mock serve --watch`` reloads it); and
the alert rules the dashboard's alert tests watch them with."""

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
    default: DEFAULT
"""
ERROR_RULES = """\
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: prod-alerts}
evaluationInterval: 100ms
rules:
  - alert: Errors
    expr: "error_rate > 50%"
    severity: critical
    annotations: {summary: "{{ server }} fails"}
route: {groupBy: [alertname, server], groupWait: 0s, groupInterval: 300ms, repeatInterval: 600ms}
"""
"""AlertRules ``prod-alerts``: ``Errors`` (critical) fires while a server's error rate is over 50%."""


def set_switch(path: Path, behaviour: str = "{}", *, default: str = "{text: done}") -> None:
    """Write the switch mock with ``behaviour`` (``{}``, ``{latency: 250ms}``, ``{errorRate: 100%}``) and
    its tool's ``default`` answer (a result mapping in YAML)."""
    path.write_text(SWITCH.replace("BEHAVIOUR", behaviour).replace("DEFAULT", default), encoding="utf-8")


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
