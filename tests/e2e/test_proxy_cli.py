"""``mcpctl proxy`` as a user runs it: the Streamable HTTP proxy in front of the official SDK server,
faults turned on and off through the control endpoint, every fault on stderr and in the ``--log`` file;
and the command's usage errors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from mcpctl.errors import TransportError
from mcpctl.mcp.client import HttpTarget, open_client
from testing.cli import mcpctl
from testing.paths import PYTHON, ROOT
from tests.integration.conftest import free_port, sdk_server, start_server

FAULTS = """\
apiVersion: mcpctl/v1
kind: FaultScenario
metadata: {name: toggled}
faults:
  - name: boom
    reset: {}
    tools: [echo]
    enabled: false
"""


def _read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _control_port(stderr_path: str) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = Path(stderr_path).read_text(encoding="utf-8")
        found = re.search(r"control endpoint http://127\.0\.0\.1:(\d+)/faults", text)
        if found:
            return int(found.group(1))
        time.sleep(0.05)
    raise AssertionError("the proxy did not print its control endpoint")


async def test_faults_are_toggled_at_run_time_and_logged(tmp_path: Path) -> None:
    spec, log = tmp_path / "faults.yaml", tmp_path / "faults.jsonl"
    spec.write_text(FAULTS, encoding="utf-8")
    port = free_port()
    with sdk_server("--http") as upstream:
        argv = [PYTHON, "-m", "mcpctl", "proxy", "--faults", str(spec), "--log", str(log)]
        argv += ["--listen", f"127.0.0.1:{port}", "--upstream", upstream.url, "--control", "0"]
        with start_server(argv, port=port, path="/mcp") as proxy:
            control = f"http://127.0.0.1:{_control_port(proxy.stderr_path)}"
            async with open_client(HttpTarget(url=proxy.url)) as client:
                assert (await client.call_tool("echo", {"text": "a"})).text == "a"
                async with httpx.AsyncClient() as http:
                    enabled = await http.post(f"{control}/faults/boom/enable")
                    assert enabled.json()["fault"]["enabled"] is True
                    with pytest.raises(TransportError):
                        await client.call_tool("echo", {"text": "b"})
                    await http.post(f"{control}/faults/boom/disable")
                    listed = (await http.get(f"{control}/faults")).json()
                assert listed == {
                    "faults": [
                        {"name": "boom", "kind": "reset", "enabled": False, "matched": 1, "injected": 1}
                    ]
                }
                assert (await client.call_tool("echo", {"text": "c"})).text == "c"
            printed = _read(proxy.stderr_path)
    assert re.search(
        r"mcpctl proxy: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 fault boom \(reset\) tools/call echo id=\d+: "
        r"connection dropped after the server got the request\n",
        printed,
    ), printed
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [(e["event"], e.get("fault"), e.get("enabled")) for e in entries if e["event"] != "call"] == [
        ("launch", None, None),
        ("control", "boom", True),
        ("fault", "boom", None),
        ("lost", "boom", None),
        ("control", "boom", False),
    ]


def test_a_stdio_proxy_relays_a_client_launched_server(tmp_path: Path) -> None:
    # mcpctl's own client launches the proxy as it would any server: `mcpctl call -- mcpctl proxy -- SERVER`
    mock = ROOT / "examples" / "weather.yaml"
    done = mcpctl(
        "call",
        "forecast",
        "city=Oslo",
        "--",
        PYTHON,
        "-m",
        "mcpctl",
        "proxy",
        "--",
        PYTHON,
        "-m",
        "mcpctl",
        "mock",
        "serve",
        str(mock),
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "Oslo: 12°C, cloudy"), done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to proxy: give -- COMMAND ARGS (stdio) or --listen and --upstream (HTTP)"),
        (("--listen", "127.0.0.1:9"), "--listen and --upstream go together (an HTTP proxy needs both)"),
        (
            ("--scenario", "x", "--", "true"),
            "--scenario picks a FaultScenario of --faults: give --faults too",
        ),
        (
            ("--listen", "127.0.0.1:9", "--upstream", "http://127.0.0.1:1/mcp", "--", "true"),
            "give either -- COMMAND (a stdio proxy) or --listen/--upstream (HTTP), not both",
        ),
        (
            ("--listen", "nine", "--upstream", "http://x/mcp"),
            "--listen 'nine': expected [HOST:]PORT, e.g. 127.0.0.1:8080",
        ),
    ],
)
def test_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = mcpctl("proxy", *args, cwd=tmp_path)
    assert (done.returncode, done.stderr) == (2, f"mcpctl: error: {message}\n")


def test_a_faults_file_with_two_scenarios_needs_scenario(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FAULTS + "---\n" + FAULTS.replace("toggled", "other"), encoding="utf-8")
    done = mcpctl("proxy", "--faults", "f.yaml", "--", "true", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "mcpctl: error: --faults must hold one FaultScenario document, found several (toggled, other): "
        "pick one with --scenario\n",
    )
    done = mcpctl("proxy", "--faults", "f.yaml", "--scenario", "nope", "--", "true", cwd=tmp_path)
    assert done.stderr == "mcpctl: error: --scenario 'nope': no such FaultScenario (found: toggled, other)\n"


def test_an_invalid_faults_file_names_the_line_and_nothing_runs(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text(FAULTS.replace("reset: {}", "reset: {when: soon}"), encoding="utf-8")
    marker = tmp_path / "ran"
    done = mcpctl("proxy", "--faults", "f.yaml", "--", "touch", str(marker), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "mcpctl: error: f.yaml:6:19: FaultScenario/toggled: faults[0].reset.when: expected one of: before, after "
        "(got 'soon')\n"
    )
    assert not marker.exists()


def test_no_stray_server_when_the_client_goes_away(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    server = ["sh", "-c", f'echo $$ > {pid_file}; exec "$@"', "sh", PYTHON, "-m", "mcpctl", "mock", "serve"]
    server.append(str(ROOT / "examples" / "weather.yaml"))
    with tempfile.TemporaryFile() as sink:
        proxy = subprocess.Popen(
            [PYTHON, "-m", "mcpctl", "proxy", "--", *server],
            stdin=subprocess.PIPE,
            stdout=sink,
            stderr=sink,
            cwd=tmp_path,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proxy.stdin is not None
        proxy.stdin.close()  # the client is gone
        assert proxy.wait(timeout=10) == 0
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
