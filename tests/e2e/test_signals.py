"""Long-running servers stop cleanly on SIGTERM (exit 143, quietly: their client or systemd stopping them is
the normal end) and SIGINT (exit 130, saying so) with handlers of their own: an HTTP mock and an HTTP fault
proxy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from testing.paths import ROOT
from tests.integration.conftest import _wait_for_port, free_port

WEATHER = str(ROOT / "examples" / "weather.yaml")


def _stop(argv: list[str], port: int, tmp_path: Path, signum: int) -> tuple[int, str]:
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            env={**os.environ, "MCPCTL_STATE_DIR": str(tmp_path / "state")},
        )
        try:
            _wait_for_port(port, process, str(log))
            process.send_signal(signum)
            code = process.wait(timeout=20)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(5)
    return code, log.read_text(encoding="utf-8")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_http_mock_stops_on_a_signal(tmp_path: Path, signum: int, code: int) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "mcpctl", "mock", "serve", WEATHER, "--http", f"127.0.0.1:{port}"]
    returncode, stderr = _stop(argv, port, tmp_path, signum)
    assert returncode == code, stderr
    assert stderr.endswith("mcpctl: interrupted\n") == (signum == signal.SIGINT)


def test_an_http_fault_proxy_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "mcpctl",
        "proxy",
        "--listen",
        f"127.0.0.1:{port}",
        "--upstream",
        "http://127.0.0.1:9/mcp",
    ]
    returncode, stderr = _stop(argv, port, tmp_path, signal.SIGTERM)
    assert returncode == 143, stderr
    assert "interrupted" not in stderr
