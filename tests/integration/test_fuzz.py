"""`mcpctl fuzz` end to end: the planted bugs are found and reproduced, the correct mock yields
nothing, only allowed tools are called, and real servers (the official SDK's, server-everything)
are fuzzed to the end without mcpctl failing."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from mcpctl.cli.fuzz import run_fuzz
from testing.paths import EVERYTHING_JS, PYTHON, ROOT, everything_stdio, scenario

PLANTED = str(ROOT / "examples" / "fuzz" / "planted-bug.yaml")
CORRECT = str(ROOT / "examples" / "fuzz" / "correct.yaml")


def conn(command: list[str], *, timeout: float = 10.0) -> dict[str, object]:
    return {
        "server": None,
        "command": command,
        "headers": [],
        "timeout": timeout,
        "protocol": "auto",
        "transport": "auto",
        "servers_file": None,
        "trace": False,
        "env": [],
    }


def mock(spec: str) -> list[str]:
    return [PYTHON, "-m", "mcpctl", "mock", "serve", spec]


def fuzz_json(capsys: pytest.CaptureFixture[str], command: list[str], **options: object) -> tuple[int, dict]:
    settings: dict[str, object] = {
        "budget": None,
        "duration": None,
        "seed": 0,
        "tools": [],
        "allow": "read-only",
        "protocol": True,
    }
    settings.update(options)
    timeout = float(settings.pop("timeout", 10.0))  # type: ignore[arg-type]
    code = run_fuzz(conn(command, timeout=timeout), output="json", **settings)  # type: ignore[arg-type]
    return code, json.loads(capsys.readouterr().out)


def test_the_planted_crash_and_leaked_trace_are_found(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = fuzz_json(capsys, mock(PLANTED))
    assert code == 1
    found = {(f["kind"], f["target"]): f for f in report["findings"]}
    assert set(found) == {("crash", "lookup"), ("stack-trace", "page")}
    crash = found[("crash", "lookup")]
    assert crash["arguments"] == {"query": ""}
    assert crash["detail"].startswith(
        "server closed its stdout (exit code 1); stderr: RuntimeError: tool 'lookup'"
    )
    assert found[("stack-trace", "page")]["arguments"] == {"number": 100}
    assert report["calls"] <= 500
    assert report["protocol_checks"] == 6
    # the reproducer crashes the server again: mcpctl call reports it could not keep talking (exit 3)
    words = shlex.split(crash["reproducer"])
    assert words[:2] == ["mcpctl", "call"]
    again = subprocess.run([PYTHON, "-m", *words], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert again.returncode == 3
    assert "exit code 1" in again.stderr
    assert "RuntimeError: tool 'lookup' crashed (the mock's crash: true)" in again.stderr


def test_the_correct_mock_yields_no_findings(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_fuzz(
        conn(mock(CORRECT)),
        budget=None,
        duration=None,
        seed=0,
        tools=[],
        allow="read-only",
        protocol=True,
        output="text",
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0].startswith("fuzzed correct-mock: ")
    assert out.splitlines()[-1] == "no findings"


def test_the_same_seed_gives_the_same_run(capsys: pytest.CaptureFixture[str]) -> None:
    runs = [fuzz_json(capsys, mock(PLANTED), budget=40, protocol=False, seed=3)[1] for _ in range(2)]
    assert runs[0] == runs[1]
    assert runs[0]["calls"] == 40


def test_a_duration_bounds_the_calls(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = fuzz_json(capsys, mock(PLANTED), duration=0.3, protocol=False)
    assert (code, report["stopped"], report["budget"], report["duration"]) == (1, "duration", None, 0.3)


@pytest.mark.parametrize(
    ("behaviour", "kind", "detail"),
    [
        ("bad_json", "non-json-rpc", "server sent invalid JSON"),
        ("exit_mid_call", "crash", "server closed its stdout (exit code 7)"),
        ("hang", "hang", "tools/call: no answer within 1s (request cancelled)"),
    ],
)
def test_misbehaving_servers_are_caught(
    capsys: pytest.CaptureFixture[str], behaviour: str, kind: str, detail: str
) -> None:
    code, report = fuzz_json(
        capsys, scenario(behaviour), tools=["echo"], budget=3, protocol=False, timeout=1.0
    )
    assert code == 1
    [finding] = report["findings"]
    assert (finding["kind"], finding["target"], finding["case"]) == (
        kind,
        "echo",
        "minimal (required fields only)",
    )
    assert finding["detail"].startswith(detail)
    assert report["calls"] == (2 if behaviour == "hang" else 3)  # a tool is left alone after two hangs


DESTRUCTIVE = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: annotated}
tools:
  - {name: reader, annotations: {readOnlyHint: true}}
  - {name: writer}
  - {name: wiper, annotations: {destructiveHint: true}}
"""


@pytest.mark.parametrize(
    ("allow", "called", "skipped"),
    [
        ("read-only", ["reader"], ["writer", "wiper"]),
        ("non-destructive", ["reader", "writer"], ["wiper"]),
        ("all", ["reader", "writer", "wiper"], []),
    ],
)
def test_only_allowed_tools_are_called(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, allow: str, called: list[str], skipped: list[str]
) -> None:
    spec = tmp_path / "annotated.yaml"
    spec.write_text(DESTRUCTIVE, encoding="utf-8")
    code, report = fuzz_json(capsys, mock(str(spec)), budget=30, protocol=False, allow=allow)
    assert code == 0
    assert [s["tool"] for s in report["stats"] if s["calls"]] == called
    assert [s["tool"] for s in report["skipped"]] == skipped


def test_the_official_sdk_server_is_fuzzed_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = fuzz_json(
        capsys, [PYTHON, "-m", "testing.servers.sdk_echo"], tools=["echo", "add"], budget=80, timeout=5.0
    )
    assert code in (0, 1)
    assert report["server"] == "mcpctl-sdk-echo"
    assert [s["tool"] for s in report["stats"]] == ["echo", "add"]
    assert report["calls"] <= 80
    assert report["protocol_checks"] == 6
    assert all(f["reproducer"] for f in report["findings"])


@pytest.mark.interop
@pytest.mark.skipif(not EVERYTHING_JS.exists(), reason="server-everything not installed (scripts/setup.sh)")
def test_server_everything_is_fuzzed_to_the_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = fuzz_json(capsys, everything_stdio(), tools=["echo", "get-sum"], budget=80, timeout=5.0)
    assert code in (0, 1)
    assert report["server"] == "mcp-servers/everything"
    assert {s["tool"] for s in report["stats"]} == {"echo", "get-sum"}
    assert report["protocol_checks"] == 6
