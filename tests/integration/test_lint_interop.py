"""``mcpctl lint`` of a real client config: server-everything (npm) and the official Python SDK's
server, both started over stdio as Claude Desktop would start them. Both offer ``echo``: lint finds the
collision (and no other error in either catalogue)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpctl.cli.app import app
from testing.paths import PYTHON, ROOT, everything_stdio

pytestmark = pytest.mark.interop


def test_two_real_servers_of_one_client_config(tmp_path: Path) -> None:
    node, *args = everything_stdio()
    config = {
        "mcpServers": {
            "everything": {"command": node, "args": args},
            "sdk": {
                "command": PYTHON,
                "args": ["-m", "testing.servers.sdk_echo"],
                "env": {"PYTHONPATH": str(ROOT)},
            },
        }
    }
    path = tmp_path / "claude_desktop_config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    result = CliRunner().invoke(app, ["lint", str(path), "-o", "json", "--timeout", "60"])
    assert result.exit_code == 1, result.output
    found = json.loads(result.stdout)
    errors = [(f["rule"], f["server"], f["tool"]) for f in found["findings"] if f["severity"] == "error"]
    assert errors == [("MCP008", "everything", "echo"), ("MCP008", "sdk", "echo")]
    assert found["summary"]["servers"] == 2
