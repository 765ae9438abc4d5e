"""Where each MCP client keeps its server config, shared by ``import:`` (reading) and ``deploy`` (writing).

::

    client           file (first existing candidate wins)                         key          format
    claude-desktop   ~/.config/Claude/, ~/Library/Application Support/Claude/,   mcpServers   JSON
                     %APPDATA%\\Claude\\  claude_desktop_config.json
    cursor           <project>/.cursor/mcp.json, ~/.cursor/mcp.json               mcpServers   JSON
    vscode           <project>/.vscode/mcp.json                                   servers      JSONC
    claude-code      <project>/.mcp.json                                          mcpServers   JSON

When no candidate exists, ``default`` is where a new file is created: the per-OS Claude Desktop
directory of ``platform``, and the project file for the others.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Client = Literal["claude-desktop", "cursor", "vscode", "claude-code"]
PRODUCTS: tuple[Client, ...] = ("claude-desktop", "cursor", "vscode", "claude-code")
DESKTOP_FILE = "claude_desktop_config.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientFile:
    """The config file of one client: where to look for it, where to create it, how it is written."""

    client: Client
    candidates: tuple[str, ...]
    """Paths looked at in order; the first that exists is the client's config."""
    default: str
    """Where a new config is created when no candidate exists."""
    container: str
    """The top-level key holding the servers by name."""
    jsonc: bool
    """The client reads comments and trailing commas (VS Code); the others read plain JSON."""

    def existing(self) -> str | None:
        """The first candidate that is a file, normalised; ``None`` when there is none."""
        return next((os.path.normpath(c) for c in self.candidates if os.path.isfile(c)), None)


def client_file(
    client: Client, *, base_dir: str, home: str, environ: Mapping[str, str], platform: str = sys.platform
) -> ClientFile:
    """The config file of ``client`` for a project in ``base_dir`` and a user whose home is ``home``."""
    if client == "claude-desktop":
        linux = os.path.join(home, ".config", "Claude", DESKTOP_FILE)
        mac = os.path.join(home, "Library", "Application Support", "Claude", DESKTOP_FILE)
        appdata = environ.get("APPDATA")
        windows = os.path.join(appdata or os.path.join(home, "AppData", "Roaming"), "Claude", DESKTOP_FILE)
        default = mac if platform == "darwin" else windows if platform == "win32" else linux
        candidates = (linux, mac, windows) if appdata else (linux, mac)
        return ClientFile(
            client=client, candidates=candidates, default=default, container="mcpServers", jsonc=False
        )
    if client == "cursor":
        project = os.path.join(base_dir, ".cursor", "mcp.json")
        candidates = (project, os.path.join(home, ".cursor", "mcp.json"))
        return ClientFile(
            client=client, candidates=candidates, default=project, container="mcpServers", jsonc=False
        )
    if client == "vscode":
        project = os.path.join(base_dir, ".vscode", "mcp.json")
        return ClientFile(
            client=client, candidates=(project,), default=project, container="servers", jsonc=True
        )
    project = os.path.join(base_dir, ".mcp.json")
    return ClientFile(
        client=client, candidates=(project,), default=project, container="mcpServers", jsonc=False
    )
