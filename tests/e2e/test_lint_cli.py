"""``mcpctl lint`` as a user runs it (in process through typer's CliRunner): exit codes, --fail-on,
ignore comments in a Servers spec, the table, JSON and GitHub annotation output, and a client config
whose two (real, stdio) servers offer a tool of the same name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpctl.cli.app import app
from mcpctl.cli.lint import run_lint
from testing.paths import PYTHON


def lint(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["lint", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


DESTRUCTIVE = {"name": "purge_cache", "description": "Empty the cache.", "inputSchema": {"type": "object"}}
CLEAN = {
    "name": "get_time",
    "description": "The current time.",
    "inputSchema": {"type": "object", "properties": {}},
    "annotations": {"readOnlyHint": True},
}


@pytest.fixture
def tools_json(tmp_path: Path) -> Path:
    path = tmp_path / "tools.json"
    path.write_text(json.dumps({"tools": [CLEAN, DESTRUCTIVE]}), encoding="utf-8")
    return path


def test_the_poisoned_mock_fails_with_a_table() -> None:
    code, out, _ = lint("builtin:poisoned")
    assert code == 1
    assert out.splitlines()[0].split() == ["severity", "rule", "server", "tool", "message"]
    assert [line.split()[:4] for line in out.splitlines()[1:5]] == [
        ["error", rule, "poisoned", "get_forecast"] for rule in ("MCP001", "MCP002", "MCP003", "MCP005")
    ]
    assert out.splitlines()[-1] == "4 errors, 0 warnings, 0 notes in 6 tools of 1 server"


def test_a_clean_mock_passes() -> None:
    assert lint("builtin:filesystem") == (0, "0 errors, 0 warnings, 0 notes in 11 tools of 1 server\n", "")


def test_fail_on_warning(tools_json: Path) -> None:
    code, out, _ = lint(str(tools_json))
    assert code == 0
    assert out == (
        "severity    rule    server    tool         message\n"
        "warning     MCP021  tools     purge_cache  sounds destructive ('purge') but has no readOnlyHint or destructiveHint\n"
        "0 errors, 1 warning, 0 notes in 2 tools of 1 server\n"
    )
    assert lint(str(tools_json), "--fail-on", "warning")[0] == 1
    assert lint(str(tools_json), "--fail-on", "warning", "-o", "json")[0] == 1


def test_json_output(tools_json: Path) -> None:
    code, out, _ = lint(str(tools_json), "-o", "json")
    assert code == 0
    assert json.loads(out) == {
        "findings": [
            {
                "rule": "MCP021",
                "severity": "warning",
                "server": "tools",
                "tool": "purge_cache",
                "message": "sounds destructive ('purge') but has no readOnlyHint or destructiveHint",
                "fix": 'Annotate it: "annotations": {"readOnlyHint": false, "destructiveHint": true}.',
                "file": str(tools_json),
                "line": 1,
            }
        ],
        "summary": {"servers": 1, "tools": 2, "error": 0, "warning": 1, "note": 0},
    }


SERVERS = """\
# mcpctl-lint: ignore-file MCP005
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  # mcpctl-lint: ignore MCP001, MCP002
  weather:
    mock: builtin:poisoned
  reviewed:  # mcpctl-lint: ignore MCP001 MCP002 MCP003
    mock: builtin:poisoned
"""


def test_ignores_in_a_servers_spec_and_github_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "servers.yaml").write_text(SERVERS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = lint("reviewed", "--servers", "servers.yaml", "-o", "github")
    assert (code, out) == (0, "")
    code, out, _ = lint("weather", "--servers", "servers.yaml", "-o", "github")
    assert code == 1
    assert out == (
        "::error file=servers.yaml,line=8,title=MCP003 weather/get_forecast::"
        "description: 1 invisible character(s): U+200B ZERO WIDTH SPACE\n"
    )


def test_github_annotations_are_escaped(tmp_path: Path) -> None:
    tool = {**DESTRUCTIVE, "name": "purge,all", "description": "Purge it, see https://x.example/a%20b"}
    path = tmp_path / "t.json"
    path.write_text(json.dumps([tool]), encoding="utf-8")
    code, out, _ = lint(str(path), "-o", "github")
    assert code == 1  # the name breaks MCP023 (an error)
    assert f"::error file={path},line=1,title=MCP023 t/purge%2Call::name 'purge,all' does not match" in out
    assert (
        f"::warning file={path},line=1,title=MCP004 t/purge%2Call::description: URL 'https://x.example/a%2520b'"
        in out
    )


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert lint("builtin:poisoned", "-o", "xml") == (
        2,
        "",
        "mcpctl: error: --output 'xml': expected text, json, sarif, github\n",
    )
    assert lint("builtin:poisoned", "--fail-on", "note")[0] == 2
    assert lint("nothing-here") == (
        2,
        "",
        "mcpctl: error: 'nothing-here' is not a URL, builtin:NAME, file or client "
        "(claude-desktop, cursor, vscode, claude-code), nor a server of --servers\n",
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    code, _, err = lint(str(broken))
    assert code == 2
    assert err.startswith(f"mcpctl: error: {broken}: invalid JSON: ")


def test_an_unreachable_server_exits_3() -> None:
    code, out, err = lint("http://127.0.0.1:9/mcp", "--timeout", "5")
    assert (code, out) == (3, "")
    assert err.startswith("mcpctl: error: ")


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_lint(
        [], output="text", fail_on="error", list_rules=True, budget=1000, servers_files=[], timeout=1.0
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split()[:4] == ["rule", "severity", "name", "title"]
    assert len(lines) == 26
    assert lines[1].split()[:3] == ["MCP001", "error", "hidden-instruction"]
    assert lines[1].endswith("docs/lint/MCP001.md")


MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: {name}}}
tools:
  - name: search
    description: Search {name}.
    inputSchema: {{type: object, properties: {{q: {{type: string, description: Text}}}}, required: [q]}}
    annotations: {{readOnlyHint: true}}
"""


def test_a_client_config_with_two_servers_offering_the_same_tool(tmp_path: Path) -> None:
    servers = {}
    for name in ("notes", "wiki"):
        (tmp_path / f"{name}.yaml").write_text(MOCK.format(name=name), encoding="utf-8")
        servers[name] = {
            "command": PYTHON,
            "args": ["-m", "mcpctl", "mock", "serve", str(tmp_path / f"{name}.yaml")],
        }
    config = tmp_path / "claude_desktop_config.json"
    config.write_text(json.dumps({"mcpServers": servers}, indent=2), encoding="utf-8")
    code, out, _ = lint(str(config), "-o", "json")
    assert code == 1
    found = json.loads(out)
    assert [(f["rule"], f["server"], f["tool"], f["message"], f["line"]) for f in found["findings"]] == [
        ("MCP008", "notes", "search", "tool 'search' is also offered by wiki", 3),
        ("MCP008", "wiki", "search", "tool 'search' is also offered by notes", 13),
    ]
    assert found["summary"] == {"servers": 2, "tools": 2, "error": 2, "warning": 0, "note": 0}


def test_a_mock_file_points_at_the_tool_line(tmp_path: Path) -> None:
    spec = tmp_path / "notes.yaml"
    spec.write_text(
        MOCK.format(name="notes").replace("Search notes.", "Search notes at https://notes.example")
    )
    code, out, _ = lint(str(spec), "-o", "github")
    assert code == 0
    assert (
        out
        == f"::warning file={spec},line=5,title=MCP004 notes/search::description: URL 'https://notes.example'\n"
    )


def test_a_server_by_url_without_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.integration.conftest import free_port, start_server

    monkeypatch.setenv("HOME", str(tmp_path))  # no stored mcpctl auth login
    monkeypatch.delenv("MCPCTL_BEARER_TOKEN", raising=False)
    port = free_port()
    serve = [PYTHON, "-m", "mcpctl", "mock", "serve", "builtin:slack", "--http", f"127.0.0.1:{port}"]
    with start_server(serve, port=port, path="/mcp") as server:
        code, out, _ = lint(server.url, "--fail-on", "warning", "-o", "json")
        assert code == 1
        found = json.loads(out)["findings"]
        # loopback: plain http is fine (no MCP024); nothing authenticated the request (MCP025)
        assert [(f["rule"], f["server"], f["tool"]) for f in found if f["severity"] != "note"] == [
            ("MCP025", server.url, None)
        ]
        monkeypatch.setenv("MCPCTL_BEARER_TOKEN", "t0ken")
        code, out, _ = lint(server.url, "--fail-on", "warning", "-o", "json")
        assert code == 0
        assert [f for f in json.loads(out)["findings"] if f["severity"] != "note"] == []


def test_budget_sets_the_token_budget(tools_json: Path) -> None:
    code, out, _ = lint(str(tools_json), "--budget", "10", "-o", "json")
    assert code == 0
    budget = [f["message"] for f in json.loads(out)["findings"] if f["rule"] == "MCP017"]
    # get_time: 17 characters of description + 33 of inputSchema JSON = 50 characters: 13 tokens;
    # purge_cache: 16 + 17 = 33 characters: 9 tokens, within the budget
    assert budget == ["~13 tokens of description and inputSchema (budget 10)"]
