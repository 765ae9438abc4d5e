"""``mcpctl monitor`` and ``mcpctl status`` as a user runs them, over the bundled mocks (examples/monitor)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from testing.cli import mcpctl
from testing.paths import ROOT
from tests.integration.conftest import _wait_for_port, free_port

FLEET = str(ROOT / "examples" / "monitor" / "fleet.yaml")
FAILING = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: failing}
tools:
  - name: echo
    inputSchema: {type: object}
    behaviour: {errorRate: 100%}
    default: {text: ok}
---
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: one}
health: {unhealthy: ["error_rate > 20%"]}
servers:
  - server: {mock: failing.yaml}
    name: failing
    probe: {call: echo}
"""


def test_status_probes_once_and_prints_the_table(tmp_path: Path) -> None:
    done = mcpctl("status", FLEET, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["SERVER", "HEALTH", "P50"]
    assert [line.split()[:2] for line in lines[1:]] == [
        ["weather", "healthy"],
        ["github", "healthy"],
        ["weather-stations", "healthy"],
    ]


def test_status_of_a_failing_server_exits_1_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "failing.yaml").write_text(FAILING.split("---\n")[0], encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(FAILING.split("---\n")[1], encoding="utf-8")
    done = mcpctl("status", "monitor.yaml", "-o", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (server,) = json.loads(done.stdout)["servers"]
    assert (server["name"], server["health"], server["reasons"]) == (
        "failing",
        "unhealthy",
        ["error_rate 100% > 20%"],
    )


ONE = f"""\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {{name: one}}
servers:
  - {{server: {{mock: {ROOT / "examples" / "weather.yaml"}}}, name: weather, interval: 2s, timeout: 1s}}
"""


@pytest.mark.parametrize(
    ("sig", "exit_code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["INT", "TERM"]
)
def test_monitor_serves_its_status_and_stops_on_a_signal(tmp_path: Path, sig: int, exit_code: int) -> None:
    (tmp_path / "one.yaml").write_text(ONE, encoding="utf-8")
    port = free_port()
    log = tmp_path / "stderr"
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcpctl", "monitor", "one.yaml", "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=sink,
            text=True,
            cwd=tmp_path,
            start_new_session=True,
        )
        try:
            _wait_for_port(port, proc, str(log))  # type: ignore[arg-type]
            assert proc.stdout is not None
            change = proc.stdout.readline()
            status = httpx.get(f"http://127.0.0.1:{port}/api/v1/status", trust_env=False).json()
            follow = mcpctl("status", "--connect", f"http://127.0.0.1:{port}", "-o", "json", cwd=tmp_path)
            proc.send_signal(sig)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:  # never leave it running, whatever failed above
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()
    assert code == exit_code, log.read_text(encoding="utf-8")
    assert change.split(" ", 1)[1] == "weather - -> healthy\n"
    assert [(s["name"], s["health"]) for s in status["servers"]] == [("weather", "healthy")]
    assert follow.returncode == 0, follow.stderr
    assert json.loads(follow.stdout)["monitor"] == "one"
    assert log.read_text(encoding="utf-8").startswith(
        f"monitor one: 1 server; serving http://127.0.0.1:{port}/metrics, /api/v1/status and /api/v1/events"
        " (WebSocket)\n"
    )


def test_a_file_without_a_monitor_is_bad_input(tmp_path: Path) -> None:
    done = mcpctl("status", str(ROOT / "examples" / "quickstart.yaml"), cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, "mcpctl: error: expected one Monitor document, found none\n")
