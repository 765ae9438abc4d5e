"""The official MCP conformance suite's server scenarios against `mcpctl mock serve` of
specs/conformance-mock.yaml (issue 5, acceptance 2; docs/conformance-server-scenarios.md)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing.paths import CONFORMANCE_JS, NODE22, PYTHON, ROOT
from tests.integration.conftest import free_port, start_server

SPEC = ROOT / "specs" / "conformance-mock.yaml"
# Every server scenario of @modelcontextprotocol/conformance 0.1.16 passes: the active suite (30) and
# the pending ones (json-schema-2020-12, server-sse-polling). Keep this list in step with
# `scripts/conformance.sh --server --list` when the package is upgraded.
SCENARIOS = [
    "server-initialize",
    "logging-set-level",
    "ping",
    "completion-complete",
    "tools-list",
    "tools-call-simple-text",
    "tools-call-image",
    "tools-call-audio",
    "tools-call-embedded-resource",
    "tools-call-mixed-content",
    "tools-call-with-logging",
    "tools-call-error",
    "tools-call-with-progress",
    "tools-call-sampling",
    "tools-call-elicitation",
    "json-schema-2020-12",
    "elicitation-sep1034-defaults",
    "server-sse-polling",
    "server-sse-multiple-streams",
    "elicitation-sep1330-enums",
    "resources-list",
    "resources-read-text",
    "resources-read-binary",
    "resources-templates-read",
    "resources-subscribe",
    "resources-unsubscribe",
    "prompts-list",
    "prompts-get-simple",
    "prompts-get-with-args",
    "prompts-get-embedded-resource",
    "prompts-get-with-image",
    "dns-rebinding-protection",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(120),
    pytest.mark.skipif(
        not NODE22.exists() or not CONFORMANCE_JS.exists(),
        reason="node 22 or @modelcontextprotocol/conformance missing in .cache/node (run scripts/setup.sh)",
    ),
]


def verdicts(results: Path) -> dict[str, list[str]]:
    """Each scenario's checks that are not a success or mere information: ``name: STATUS: why``."""
    found: dict[str, list[str]] = {}
    for checks_file in sorted(results.glob("server-*/checks.json")):
        scenario = checks_file.parent.name.removeprefix("server-").rsplit("-", 6)[0]
        checks = json.loads(checks_file.read_text(encoding="utf-8"))
        found[scenario] = [
            f"{c['id']}: {c['status']}: {c.get('errorMessage', '')}"
            for c in checks
            if c["status"] not in ("SUCCESS", "INFO")
        ]
    return found


def test_every_server_scenario_passes_against_the_mock(tmp_path: Path) -> None:
    port = free_port()
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", str(SPEC), "--http", f"127.0.0.1:{port}"]
    with start_server(argv, port=port, path="/mcp") as server:
        # one runner for all of them ("all": the active suite and the pending scenarios), ~5 s
        done = subprocess.run(
            [
                str(NODE22),
                str(CONFORMANCE_JS),
                "server",
                "--url",
                server.url,
                "--suite",
                "all",
                "-o",
                str(tmp_path),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=100,
            check=False,
        )
    found = verdicts(tmp_path)
    assert sorted(found) == sorted(SCENARIOS), done.stdout[-3000:]
    failing = {name: problems for name, problems in found.items() if problems}
    assert failing == {}, done.stdout[-3000:]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"Running all suite ({len(SCENARIOS)} scenarios)" in done.stdout
