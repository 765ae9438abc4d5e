"""A misbehaving server yields a typed error and a clean exit code, never a traceback or a hang."""

from __future__ import annotations

import subprocess
import sys

import pytest
import trio

from mcpctl.errors import (
    FrameTooLarge,
    ProtocolError,
    RequestTimeout,
    RpcError,
    ServerExited,
    ServerStartError,
)
from mcpctl.mcp.client import StdioTarget, open_client
from testing.paths import ROOT, scenario


def target(behaviour: str) -> StdioTarget:
    return StdioTarget(command=tuple(scenario(behaviour)))


async def test_invalid_json_answer_fails_the_call_and_the_session_survives() -> None:
    async with open_client(target("bad_json")) as client:
        with trio.fail_after(10), pytest.raises(ProtocolError, match="server sent invalid JSON"):
            await client.call_tool("echo", {"message": "x"})
        assert await client.ping() > 0  # the connection is still usable


async def test_wrong_id_fails_the_pending_call_instead_of_hanging() -> None:
    async with open_client(target("wrong_id")) as client:
        with trio.fail_after(10), pytest.raises(ProtocolError, match="unknown request id 1003"):
            await client.call_tool("echo", {"message": "x"})


async def test_truncated_frame_then_exit() -> None:
    async with open_client(target("truncated")) as client:
        with trio.fail_after(10), pytest.raises(ProtocolError, match="truncated frame: 20 bytes"):
            await client.call_tool("echo", {"message": "x"})
        with pytest.raises(ServerExited, match="server closed its std"):
            await client.ping()


async def test_exit_mid_call_reports_exit_code_and_stderr() -> None:
    async with open_client(target("exit_mid_call")) as client:
        with trio.fail_after(10), pytest.raises(ServerExited) as info:
            await client.call_tool("echo", {"message": "x"})
    assert info.value.returncode == 7
    assert "simulated crash in tools/call" in str(info.value)


async def test_50mb_frame_is_refused_and_the_next_answer_still_arrives() -> None:
    async with open_client(target("huge_frame"), max_frame=1024 * 1024) as client:
        with trio.fail_after(30), pytest.raises(FrameTooLarge) as info:
            await client.call_tool("echo", {"message": "x"})
        assert info.value.limit == 1024 * 1024
        result = await client.call_tool("echo", {"message": "after"})
    assert result.text == "after"


async def test_50mb_frame_within_a_raised_limit_is_delivered() -> None:
    async with open_client(target("huge_frame"), max_frame=64 * 1024 * 1024) as client:
        with trio.fail_after(60):
            result = await client.call_tool("echo", {"message": "x"})
    assert len(result.text) == 50 * 1024 * 1024


async def test_timeout_cancels_the_request_on_the_server() -> None:
    async with open_client(target("echo")) as client:
        with pytest.raises(RequestTimeout, match=r"tools/call: no answer within 0.3s"):
            await client.call_tool("slow", {"seconds": 5, "steps": 50}, timeout=0.3)
        assert await client.ping() > 0
        await trio.sleep(0.2)
        # the scenario server logs each notifications/cancelled it receives to stderr;
        # ids: 1 server/discover, 2 initialize, 3 the call
        assert "cancelled 3" in client.session.transport.diagnostics()


async def test_non_json_stdout_lines_fail_pending_calls() -> None:
    async with open_client(target("noisy")) as client:
        with trio.fail_after(10), pytest.raises(ProtocolError, match="invalid JSON"):
            await client.call_tool("echo", {"message": "x"})


async def test_a_command_that_does_not_exist() -> None:
    with pytest.raises(ServerStartError, match="cannot start 'no-such-server-binary'"):
        async with open_client(StdioTarget(command=("no-such-server-binary",))):
            pass


async def test_a_server_that_exits_at_once() -> None:
    cmd = (sys.executable, "-c", "import sys; sys.stderr.write('boom: missing config\\n'); sys.exit(4)")
    with pytest.raises(ServerExited, match=r"exit code 4.*boom: missing config"):
        async with open_client(StdioTarget(command=cmd)):
            pass


@pytest.mark.parametrize(
    ("behaviour", "code", "message"),
    [
        ("bad_json", 3, "server sent invalid JSON"),
        ("wrong_id", 3, "unknown request id"),
        ("truncated", 3, "truncated frame"),
        ("exit_mid_call", 3, "exit code 7"),
        ("huge_frame", 3, "exceeds the limit"),
    ],
)
def test_cli_exit_code_and_one_line_error(behaviour: str, code: int, message: str) -> None:
    cmd = [sys.executable, "-m", "mcpctl", "call", "echo", "--json-args", '{"message": "x"}', "--"]
    proc = subprocess.run(
        [*cmd, *scenario(behaviour)], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )
    assert proc.returncode == code, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("mcpctl: error: ")
    assert message in lines[0]
    assert "Traceback" not in proc.stderr


async def test_batch_over_stdio() -> None:
    async with open_client(target("echo"), protocol="2025-03-26") as client:
        replies = await client.session.request_batch(
            [
                ("ping", None),
                ("tools/call", {"name": "echo", "arguments": {"message": "b"}}),
                ("no/such", None),
            ]
        )
    assert replies[0].result == {}
    assert replies[1].unwrap()["content"][0]["text"] == "b"
    assert isinstance(replies[2].error, RpcError)
    assert replies[2].error.code == -32601
