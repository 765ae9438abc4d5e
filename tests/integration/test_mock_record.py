"""Acceptance 4 of issue 5: record a real server-everything (stdio) with ``mcpctl mock record``,
replay the recording with ``mcpctl mock serve``, and one TestSuite passes against both."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import trio

from mcpctl.engine.results import RunResult
from mcpctl.engine.runner import run_suites
from mcpctl.spec.build import load_specs
from testing.paths import EVERYTHING_JS, NODE, PYTHON, ROOT

pytestmark = pytest.mark.interop

SERVERS = f"""
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: peers}}
servers:
  everything:
    command: {NODE}
    args: [{EVERYTHING_JS}, stdio]
  replay:
    mock: recording.yaml
"""

SUITE = """
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: against-SERVER}
server: SERVER
tests:
  - name: lists what server-everything offers
    expect:
      tools: {include: [echo, get-sum, get-structured-content], exclude: [nope], uniqueNames: true, schemaValid: true}
      resources: {include: [demo://resource/static/document/features.md]}
      prompts: {include: [simple-prompt, args-prompt]}
  - name: echo
    call: echo
    with: {message: hello mcpctl}
    expect: {isError: false, text: "Echo: hello mcpctl"}
  - name: get-sum
    call: get-sum
    with: {a: 2, b: 40}
    expect: {text: {contains: "is 42"}}
  - name: structured content
    call: get-structured-content
    with: {location: Chicago}
    expect:
      outputSchema: true
      structuredContent:
        - {pointer: /conditions, matches: "\\\\w"}
        - {pointer: /temperature, schema: {type: number}}
  - name: a resource
    read: demo://resource/static/document/features.md
    expect: {mimeType: text/markdown, text: {contains: "# Everything Server - Features"}}
  - name: a prompt
    prompt: args-prompt
    with: {city: Paris}
    expect: {messages: 1, text: "What's weather in Paris?"}
  - name: a prompt without arguments
    prompt: simple-prompt
    expect: {messages: 1}
  - name: templated arguments are not recorded
    call: echo
    with: {message: "{{ vars.word }}"}
    expect: {text: {contains: Echo}}
    skip: a recording holds exact arguments only
vars: {word: hi}
"""


RECORD = [PYTHON, "-m", "mcpctl", "mock", "record", "everything", "--servers", "servers.yaml"]


def suite(server: str) -> str:
    return SUITE.replace("SERVER", server)


def passed(run: RunResult) -> list[tuple[str, str, str]]:
    return [(case.name, case.status, case.message) for s in run.suites for case in s.cases]


async def run(paths: list[str], servers: str) -> RunResult:
    specs = load_specs(paths, servers_files=[servers])
    return await run_suites(specs.suites, servers=specs.servers, run_id="r", command="test")


async def test_a_recording_of_server_everything_passes_the_same_suite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MCPCTL_STATE_DIR", str(tmp_path / "state"))  # the replayed mock's history
    (tmp_path / "servers.yaml").write_text(SERVERS)
    (tmp_path / "everything.yaml").write_text(suite("everything"))
    (tmp_path / "replay.yaml").write_text(suite("replay"))
    (tmp_path / "recording.yaml").write_text("apiVersion: mcpctl/v1\nkind: MockServer\nmetadata: {name: x}\n")
    recorded = await trio.to_thread.run_sync(
        lambda: subprocess.run(
            [*RECORD, "--suite", "everything.yaml", "--out", "recording.yaml"],
            cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    )
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stderr.splitlines() == [
        "mcpctl: note: everything.yaml:38:5: against-everything/templated arguments are not "
        "recorded: call echo uses templates (not rendered when recording)",
        "mcpctl: note: everything.yaml:31:5: prompt args-prompt: recorded for these arguments only "
        "(prompts have no rules)",
        "mcpctl: recorded 13 tools (3 calls recorded as 3 responses), 7 resources, 2 resource templates, "
        "4 prompts (2 recorded) to recording.yaml",
    ]
    text = (tmp_path / "recording.yaml").read_text()
    assert text.startswith("# Recorded by mcpctl mock record at ")
    (mock,) = load_specs([str(tmp_path / "recording.yaml")]).mocks
    assert mock.metadata.name == "mcp-servers-everything"
    assert mock.server_name == "mcp-servers/everything"

    original = await run([str(tmp_path / "everything.yaml")], str(tmp_path / "servers.yaml"))
    replayed = await run([str(tmp_path / "replay.yaml")], str(tmp_path / "servers.yaml"))
    expected = [
        ("lists what server-everything offers", "passed", ""),
        ("echo", "passed", ""),
        ("get-sum", "passed", ""),
        ("structured content", "passed", ""),
        ("a resource", "passed", ""),
        ("a prompt", "passed", ""),
        ("a prompt without arguments", "passed", ""),
        ("templated arguments are not recorded", "skipped", "a recording holds exact arguments only"),
    ]
    assert passed(original) == expected
    assert passed(replayed) == expected
    assert replayed.suites[0].server_info["name"] == "mcp-servers/everything"
