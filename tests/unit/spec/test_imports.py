"""Importing servers from existing client configs (hermetic: tmp_path is both home and project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpctl.spec.env import Secrets
from mcpctl.spec.imports import ImportProblem, import_servers
from mcpctl.spec.model import HttpServer, Source, StdioServer


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    return path


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(ref: str, project: Path, home: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    return import_servers(
        ref, base_dir=str(project), environ=environ or {}, secrets=Secrets(), home=str(home)
    )


def problem(ref: str, project: Path, home: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ImportProblem) as info:
        run(ref, project, home, environ)
    return str(info.value)


CLAUDE_DESKTOP = """{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "github": {
      "command": "docker",
      "args": ["run", "-i", "--rm", "-e", "GITHUB_PERSONAL_ACCESS_TOKEN", "ghcr.io/github/github-mcp-server"],
      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"}
    },
    "old": {"command": "old-server", "disabled": true}
  },
  "globalShortcut": "Ctrl+Space"
}
"""


def test_claude_desktop_linux_path_literal_values(project: Path, home: Path) -> None:
    path = write(home / ".config" / "Claude" / "claude_desktop_config.json", CLAUDE_DESKTOP)
    servers = run("claude-desktop", project, home, {"GITHUB_TOKEN": "t0k"})
    assert servers == {
        "filesystem": StdioServer(
            name="filesystem",
            command=("npx", "-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"),
            source=Source(path=path, line=3, column=5),
        ),
        "github": StdioServer(
            name="github",
            command=(
                "docker",
                *(
                    "run",
                    "-i",
                    "--rm",
                    "-e",
                    "GITHUB_PERSONAL_ACCESS_TOKEN",
                    "ghcr.io/github/github-mcp-server",
                ),
            ),
            # Claude Desktop expands no variables, so neither does the import
            env={"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"},
            source=Source(path=path, line=7, column=5),
        ),
    }


def test_claude_desktop_looks_on_macos_then_windows_paths(project: Path, home: Path, tmp_path: Path) -> None:
    appdata = tmp_path / "AppData"
    windows = write(
        appdata / "Claude" / "claude_desktop_config.json", '{"mcpServers": {"w": {"command": "w"}}}'
    )
    assert run("claude-desktop", project, home, {"APPDATA": str(appdata)})["w"].source.path == windows
    mac = write(
        home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json",
        '{"mcpServers": {"m": {"command": "m"}}}',
    )
    assert list(run("claude-desktop", project, home, {"APPDATA": str(appdata)})) == ["m"]
    assert run("claude-desktop", project, home)["m"].source.path == mac


def test_claude_desktop_missing(project: Path, home: Path) -> None:
    assert problem("claude-desktop", project, home) == (
        f"claude-desktop: no config found (looked in {home}/.config/Claude/claude_desktop_config.json, "
        f"{home}/Library/Application Support/Claude/claude_desktop_config.json)"
    )


def test_claude_code_variables_and_remote_types(project: Path, home: Path) -> None:
    path = write(
        project / ".mcp.json",
        json.dumps(
            {
                "mcpServers": {
                    "api": {
                        "type": "sse",
                        "url": "${API_BASE_URL:-https://api.example.com}/sse",
                        "headers": {"Authorization": "Bearer ${API_KEY}"},
                    },
                    "remote": {"type": "http", "url": "https://mcp.example.com/mcp"},
                    "local": {
                        "type": "stdio",
                        "command": "${TOOLS}/server",
                        "args": ["--mode", "${MODE:-dev}", "${not a var}"],
                        "env": {"DB_URL": "${DB_URL}"},
                    },
                }
            }
        ),
    )
    secrets = Secrets()
    environ = {"API_KEY": "sk-123", "TOOLS": "/opt/tools", "DB_URL": "postgres://u:pw@db/x"}
    servers = import_servers(
        "claude-code", base_dir=str(project), environ=environ, secrets=secrets, home=str(home)
    )
    api, remote, local = servers["api"], servers["remote"], servers["local"]
    assert api == HttpServer(
        name="api",
        url="https://api.example.com/sse",
        headers={"Authorization": "Bearer sk-123"},
        transport="sse",
        source=Source(path=path, line=1, column=17),
    )
    assert isinstance(remote, HttpServer)
    assert (remote.url, remote.transport) == ("https://mcp.example.com/mcp", "streamable")
    assert local == StdioServer(
        name="local",
        command=("/opt/tools/server", "--mode", "dev", "${not a var}"),
        env={"DB_URL": "postgres://u:pw@db/x"},
        source=local.source,
    )
    assert (local.source.path, local.source.line) == (path, 1)  # json.dumps wrote one line
    assert secrets.redact("sk-123 /opt/tools postgres://u:pw@db/x dev") == "*** *** *** dev"


def test_claude_code_unset_variable(project: Path, home: Path) -> None:
    path = write(project / ".mcp.json", '{"mcpServers": {"api": {"url": "https://x/${TENANT}/mcp"}}}')
    assert problem("claude-code", project, home) == (
        f"{path}: mcpServers.api.url: environment variable TENANT is not set (needed by ${{TENANT}})"
    )


VSCODE = """// Workspace MCP servers (JSONC: comments and trailing commas)
{
  "inputs": [
    {"type": "promptString", "id": "gh-token", "description": "GitHub token", "password": true},
  ],
  "servers": {
    /* a local server */
    "memory": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-memory", "${workspaceFolder}/memory.json"],
      "env": {"API_KEY": "${env:MEMORY_KEY}", "HOME_DIR": "${userHome}"},
      "envFile": "${workspaceFolder}/.env",
      "cwd": "tools", // relative to .vscode/
    },
    "docs": {"type": "http", "url": "https://docs.example.com/mcp", "headers": {"X-Team": "core",},},
    "legacy": {"type": "sse", "url": "http://localhost:3001/sse"},
  },
}
"""


def test_vscode_jsonc_variables_env_file_and_cwd(project: Path, home: Path) -> None:
    path = write(project / ".vscode" / "mcp.json", VSCODE)
    write(project / ".env", "# secrets\nexport DB_PASSWORD='hunter2'\nAPI_KEY=from-file\n")
    secrets = Secrets()
    environ = {"MEMORY_KEY": "mem-secret"}
    servers = import_servers(
        "vscode", base_dir=str(project), environ=environ, secrets=secrets, home=str(home)
    )
    assert servers["memory"] == StdioServer(
        name="memory",
        command=("npx", "-y", "@modelcontextprotocol/server-memory", f"{project}/memory.json"),
        env={"DB_PASSWORD": "hunter2", "API_KEY": "mem-secret", "HOME_DIR": str(home)},
        cwd=f"{project}/.vscode/tools",
        source=Source(path=path, line=8, column=5),
    )
    assert servers["docs"] == HttpServer(
        name="docs",
        url="https://docs.example.com/mcp",
        headers={"X-Team": "core"},
        source=Source(path=path, line=16, column=5),
    )
    assert servers["legacy"].transport == "sse"  # type: ignore[union-attr]
    assert secrets.redact("hunter2 from-file mem-secret") == "*** *** ***"


def test_vscode_input_variable_is_refused(project: Path, home: Path) -> None:
    path = write(
        project / ".vscode" / "mcp.json",
        '{"servers": {"github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/",'
        ' "headers": {"Authorization": "Bearer ${input:gh-token}"}}}}',
    )
    assert problem("vscode", project, home) == (
        f"{path}: servers.github.headers.Authorization: ${{input:gh-token}} needs an interactive prompt; "
        "give the value with ${env:NAME} instead"
    )


def test_vscode_other_variables_are_refused(project: Path, home: Path) -> None:
    path = write(project / ".vscode" / "mcp.json", '{"servers": {"a": {"command": "${config:python.path}"}}}')
    assert problem("vscode", project, home) == (
        f"{path}: servers.a.command: unsupported variable ${{config:python.path}} "
        "(mcpctl expands ${env:NAME}, ${userHome}, ${workspaceFolder})"
    )


def test_vscode_missing_and_malformed(project: Path, home: Path) -> None:
    assert (
        problem("vscode", project, home) == f"vscode: no config found (looked in {project}/.vscode/mcp.json)"
    )
    path = write(
        project / ".vscode" / "mcp.json", '{\n  "servers": {\n    "a": {"command": "x"}\n    "b": {}\n}'
    )
    assert problem("vscode", project, home) == f"{path}:4:5: invalid JSON: Expecting ',' delimiter"


def test_cursor_project_then_global(project: Path, home: Path) -> None:
    global_path = write(
        home / ".cursor" / "mcp.json",
        '{"mcpServers": {"linear": {"url": "https://mcp.linear.app/sse", "type": "sse"},'
        ' "notes": {"command": "node", "args": ["${userHome}/notes/index.js"],'
        ' "env": {"TOKEN": "${env:NOTES_TOKEN}"}}}}',
    )
    servers = run("cursor", project, home, {"NOTES_TOKEN": "n"})
    assert servers["notes"].source.path == global_path
    assert servers["notes"] == StdioServer(
        name="notes",
        command=("node", f"{home}/notes/index.js"),
        env={"TOKEN": "n"},
        source=servers["notes"].source,
    )
    assert isinstance(servers["linear"], HttpServer)
    assert servers["linear"].transport == "sse"
    write(project / ".cursor" / "mcp.json", '{"mcpServers": {"here": {"url": "http://127.0.0.1:9/mcp"}}}')
    assert list(run("cursor", project, home)) == ["here"]


def test_cursor_does_not_expand_claude_code_syntax(project: Path, home: Path) -> None:
    path = write(
        project / ".cursor" / "mcp.json", '{"mcpServers": {"a": {"command": "x", "args": ["${TOKEN}"]}}}'
    )
    assert problem("cursor", project, home, {"TOKEN": "t"}) == (
        f"{path}: mcpServers.a.args[0]: unsupported variable ${{TOKEN}} "
        "(mcpctl expands ${env:NAME}, ${userHome}, ${workspaceFolder})"
    )


def test_a_path_with_servers_or_mcp_servers(project: Path, home: Path) -> None:
    write(
        project / "configs" / "team.json",
        '{"servers": {"a": {"command": "a", "args": ["${env:X}", "${Y:-y}"]}}}',
    )
    servers = run("configs/team.json", project, home, {"X": "x"})
    assert servers["a"].command == ("a", "x", "y")
    path = write(project / "empty.json", '{"other": {}}')
    assert problem("empty.json", project, home) == (
        f"{path}: expected a JSON object with 'mcpServers' or 'servers' (an object of servers by name)"
    )


def test_missing_path_and_unknown_product(project: Path, home: Path) -> None:
    assert problem("configs/none.json", project, home) == f"{project}/configs/none.json: no such file"
    assert problem("cusor", project, home) == (
        "unknown import 'cusor': expected claude-desktop, cursor, vscode, claude-code "
        "or the path of a JSON config file"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"type": "websocket", "url": "ws://x"},
            "a.type: unknown type 'websocket' (expected stdio, http, streamable-http or sse)",
        ),
        ({"args": ["x"]}, "a: expected 'command' (stdio) or 'url' (HTTP)"),
        ("npx server", "a: expected an object with 'command' (stdio) or 'url' (HTTP)"),
        ({"command": "x", "args": "--flag"}, "a.args: expected a list of strings"),
        ({"command": "x", "env": {"A": ["b"]}}, "a.env: expected an object of names to strings"),
        ({"type": "http"}, "a.url: expected a non-empty string"),
        ({"command": "x", "envFile": ".env"}, "a.envFile: cannot read {dir}/.env: No such file or directory"),
    ],
)
def test_bad_entries(project: Path, home: Path, entry: object, message: str) -> None:
    path = write(project / ".mcp.json", json.dumps({"mcpServers": {"a": entry}}))
    assert problem("claude-code", project, home) == f"{path}: mcpServers.{message.format(dir=project)}"


def test_disabled_entries_are_skipped(project: Path, home: Path) -> None:
    write(
        project / ".mcp.json",
        '{"mcpServers": {"off": {"command": "x", "disabled": true}, "on": {"command": "y", "disabled": false}}}',
    )
    assert list(run("claude-code", project, home)) == ["on"]


def test_jsonc_keeps_slashes_in_strings(project: Path, home: Path) -> None:
    write(
        project / ".vscode" / "mcp.json",
        '{"servers": {"a": {"url": "http://h/mcp", // the "docs" server\n'
        ' "headers": {"X-Glob": "/* not a comment */", "X-Q": "say \\"hi,\\" // too"},},}}',
    )
    server = run("vscode", project, home)["a"]
    assert isinstance(server, HttpServer)
    assert server.headers == {"X-Glob": "/* not a comment */", "X-Q": 'say "hi," // too'}
