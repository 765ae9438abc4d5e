"""The CLI as a user runs it: a real process, real servers, exact exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testing.paths import ROOT, everything_stdio, scenario

ECHO = scenario("echo")


def mcpctl(
    *args: str, server: list[str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "mcpctl", *args]
    if server is not None:
        cmd += ["--", *server]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mcpctl: error: ")
    return lines[0].removeprefix("mcpctl: error: ")


def test_version_and_help() -> None:
    from mcpctl import __version__

    assert mcpctl("--version").stdout == f"mcpctl {__version__}\n"
    help_text = mcpctl("--help").stdout
    for verb in ("tools", "resources", "prompts", "call", "ping"):
        assert f"  {verb} " in help_text


def test_tools_table_and_json() -> None:
    table = mcpctl("tools", server=ECHO)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[0].split() == ["TOOL", "ARGUMENTS", "DESCRIPTION"]
    assert "echo    message" in table.stdout
    listed = json.loads(mcpctl("tools", "--output", "json", server=ECHO).stdout)
    assert [t["name"] for t in listed["tools"]] == ["echo", "add", "slow"]
    assert listed["server"] == {
        "serverInfo": {"name": "scenario-echo", "version": "1.0"},
        "protocolVersion": "2025-11-25",
        "era": "handshake",
    }


def test_call_types_arguments_by_the_tool_schema() -> None:
    # "007" stays a string for a string property; numbers become numbers for number properties
    assert mcpctl("call", "echo", "message=007", server=ECHO).stdout == "007\n"
    result = json.loads(mcpctl("call", "add", "a=2", "b=40.5", "-o", "json", server=ECHO).stdout)
    assert result["structuredContent"] == {"sum": 42.5}
    merged = mcpctl("call", "echo", "--json-args", '{"message": "from json"}', server=ECHO)
    assert merged.stdout == "from json\n"


def test_tool_error_exits_1() -> None:
    proc = mcpctl("call", "nope", "--json-args", "{}", server=ECHO)
    assert proc.returncode == 1
    assert proc.stdout == "unknown tool nope\n"
    assert proc.stderr == "mcpctl: tool 'nope' reported an error (isError)\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tools"], "no server given: pass a URL, a Servers name, or a command after --"),
        (
            ["tools", "local"],
            "SERVER 'local' is not a URL: give an http(s):// URL, a command after --, or a Servers spec with --servers FILE",
        ),
        (["tools", "http://x", "-H", "novalue"], "--header 'novalue': expected 'Name: value'"),
        (["call", "http://x"], "no tool given: mcpctl call [SERVER] TOOL [key=value ...]"),
        (["call", "http://x", "t", "--json-args", "[1]"], "--json-args: expected a JSON object"),
        (
            ["tools", "http://x", "--protocol", "2023-01-01"],
            "unknown protocol revision '2023-01-01' (known: auto, 2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)",
        ),
        (["tools", "http://x", "--output", "yaml"], "--output 'yaml': expected text or json"),
        (["tools", "http://x", "--transport", "ws"], "--transport 'ws': expected auto, streamable or sse"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    proc = mcpctl(*args)
    assert proc.returncode == 2, proc.stderr
    assert one_error_line(proc) == message


def test_unknown_tool_with_arguments_names_the_offered_tools() -> None:
    proc = mcpctl("call", "ech", "message=x", server=ECHO)
    assert proc.returncode == 2
    assert one_error_line(proc) == "unknown tool 'ech' (the server offers: add, echo, slow)"


def test_argument_type_mismatch_is_bad_input() -> None:
    proc = mcpctl("call", "add", "a=two", "b=1", server=ECHO)
    assert proc.returncode == 2
    assert one_error_line(proc) == "argument a='two': the tool expects number, not a string"


def test_unreachable_server_exits_3() -> None:
    proc = mcpctl("ping", "http://127.0.0.1:9/mcp", "--timeout", "5")
    assert proc.returncode == 3, proc.stderr
    assert "127.0.0.1:9" in one_error_line(proc)


def test_server_that_cannot_start_exits_3() -> None:
    proc = mcpctl("tools", server=["/nonexistent/server"])
    assert proc.returncode == 3
    assert one_error_line(proc).startswith("cannot start '/nonexistent/server'")


def test_servers_spec_lookup(tmp_path: Path) -> None:
    spec = tmp_path / "servers.yaml"
    spec.write_text(
        "apiVersion: mcpctl/v1\nkind: Servers\nmetadata: {name: local}\nservers:\n"
        f"  echo: {{command: {sys.executable}, args: [-m, testing.servers.scenarios, echo]}}\n"
        "  remote: {url: 'http://127.0.0.1:9/mcp'}\n"
    )
    ok = mcpctl("call", "echo", "echo", "message=by name", "--servers", str(spec))
    assert (ok.returncode, ok.stdout) == (0, "by name\n")
    missing = mcpctl("tools", "nope", "--servers", str(spec))
    assert missing.returncode == 2
    assert one_error_line(missing) == f"{spec}: no server named 'nope' (known: echo, remote)"


def test_bad_servers_spec_points_at_the_line(tmp_path: Path) -> None:
    spec = tmp_path / "servers.yaml"
    spec.write_text("kind: Servers\nservers:\n  a: [unclosed\n")
    proc = mcpctl("tools", "a", "--servers", str(spec))
    assert proc.returncode == 2
    assert one_error_line(proc).startswith(f"{spec}:4:1: invalid YAML")


def test_trace_prints_every_frame() -> None:
    proc = mcpctl("ping", "--trace", server=ECHO)
    assert proc.returncode == 0
    sent = [line for line in proc.stderr.splitlines() if line.startswith(">> ")]
    received = [line for line in proc.stderr.splitlines() if line.startswith("<< ")]
    assert json.loads(sent[0][3:])["method"] == "server/discover"
    assert json.loads(sent[1][3:])["method"] == "initialize"
    assert json.loads(received[0][3:])["error"]["code"] == -32601


def test_ping_resources_and_prompts_against_server_everything() -> None:
    ping = mcpctl("ping", "-c", "2", server=everything_stdio())
    assert ping.stdout.startswith(
        "connected to mcp-servers/everything 2.0.0 (protocol 2025-11-25, handshake era)\n"
    )
    assert ping.stdout.count("ping ") == 2
    doc = mcpctl(
        "resources", "--read", "demo://resource/static/document/features.md", server=everything_stdio()
    )
    assert doc.returncode == 0
    assert len(doc.stdout) > 100
    prompt = mcpctl("prompts", "--get", "args-prompt", "--arg", "city=Paris", server=everything_stdio())
    assert prompt.stdout == "[user]\nWhat's weather in Paris?\n"


def test_call_answers_server_initiated_requests_from_options() -> None:
    roots = mcpctl("call", "get-roots-list", "--root", "file:///srv/project", server=everything_stdio())
    assert "URI: file:///srv/project" in roots.stdout
    canned = '{"role": "assistant", "content": {"type": "text", "text": "canned!"}, "model": "m"}'
    sample = mcpctl(
        "call",
        "trigger-sampling-request",
        "prompt=hi",
        "maxTokens=5",
        "--sampling-reply",
        canned,
        server=everything_stdio(),
    )
    assert '"text": "canned!"' in sample.stdout
    elicited = mcpctl(
        "call", "trigger-elicitation-request", "--elicitation", "defaults", server=everything_stdio()
    )
    assert elicited.stdout.startswith("✅ User provided the requested information!")


def test_bad_canned_reply_is_bad_input() -> None:
    proc = mcpctl("call", "x", "--sampling-reply", "[1]", server=ECHO)
    assert proc.returncode == 2
    assert one_error_line(proc) == "--sampling-reply: expected a JSON object"
