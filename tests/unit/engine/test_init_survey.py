"""The survey ``mcpctl init`` makes, against a fake server: only what the capabilities announce is
listed, only what the safety rule allows is called, and each kind of answer is recorded as it came."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
import trio

from mcpctl.engine.init.survey import READ_LIMIT, survey
from mcpctl.engine.safety import DESTRUCTIVE, NOT_READ_ONLY, Skipped
from mcpctl.errors import RpcError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.results import CallResult

READ = {"readOnlyHint": True}
NUMBER = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}}, "required": ["n"]}
TOOLS: list[Message] = [
    {"name": "ok", "inputSchema": NUMBER, "outputSchema": {"type": "object"}, "annotations": READ},
    {"name": "refuses", "inputSchema": {"type": "object"}, "annotations": READ},
    {"name": "invalid", "inputSchema": {"type": "object"}, "annotations": READ},
    {"name": "hangs", "inputSchema": {"type": "object"}, "annotations": READ},
    {"name": "write", "inputSchema": {"type": "object"}},
    {"name": "wipe", "inputSchema": {"type": "object"}, "annotations": {"destructiveHint": True}},
]
CAPS = {"tools": {}, "resources": {}, "prompts": {}, "completions": {}}


class FakeServer:
    def __init__(self, resources: int = 2) -> None:
        self.calls: list[tuple[str, object]] = []
        self.resources = resources

    async def list_tools(self) -> list[Message]:
        return TOOLS

    async def list_resources(self) -> list[Message]:
        return [{"uri": f"doc://{n}", "name": f"d{n}"} for n in range(self.resources)]

    async def list_resource_templates(self) -> list[Message]:
        raise RpcError(code=-32601, message="Method not found")

    async def list_prompts(self) -> list[Message]:
        return [
            {"name": "kind", "arguments": [{"name": "kind", "required": True}]},
            {"name": "count", "arguments": [{"name": "count", "required": True}]},
        ]

    async def call_tool(self, name: str, arguments: Mapping[str, JSONValue] | None = None) -> CallResult:
        self.calls.append((name, dict(arguments or {})))
        if name == "hangs":
            await trio.sleep_forever()
        if name == "invalid":
            raise RpcError(code=-32602, message="Invalid params")
        if name == "refuses":
            return CallResult.from_result(
                {"content": [{"type": "text", "text": "nope\nmore"}], "isError": True}, elapsed_ms=1
            )
        return CallResult.from_result({"content": [], "structuredContent": {"n": 3}}, elapsed_ms=1)

    async def read_resource(self, uri: str) -> Message:
        self.calls.append(("read", uri))
        if uri == "doc://1":
            raise RpcError(code=-32002, message="Resource not found", method="resources/read")
        return {"contents": [{"uri": uri, "mimeType": "text/plain", "text": "x"}]}

    async def get_prompt(self, name: str, arguments: Mapping[str, str] | None = None) -> Message:
        self.calls.append((f"prompt {name}", dict(arguments or {})))
        if name == "count" and (arguments or {}).get("count") != "1":
            raise RpcError(code=-32602, message="count must be a number")
        if name == "kind" and (arguments or {}).get("kind") != "Text":
            raise RpcError(code=-32602, message="kind must be Text or Blob")
        return {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}]}

    async def complete(
        self, ref: Message, argument: Mapping[str, str], *, context: Message | None = None
    ) -> Message:
        if argument["name"] == "kind":
            return {"completion": {"values": ["Text", "Blob"]}}
        raise RpcError(code=-32602, message="no completions")


async def run(server: FakeServer, *, allow: str = "read-only", caps: Mapping[str, object] = CAPS):
    return await survey(
        server,
        capabilities=caps,
        server_info={"name": "fake"},
        protocol="2025-11-25",
        allow=allow,  # type: ignore[arg-type]
        call_timeout=5.0,
    )


async def test_each_answer_is_recorded_as_it_came(autojump_clock: trio.abc.Clock) -> None:
    server = FakeServer()
    found = await run(server)
    probes = {p.name: p for p in found.called}
    assert list(probes) == ["ok", "refuses", "invalid", "hangs"]
    assert (probes["ok"].outcome, probes["ok"].arguments, probes["ok"].structured) == (
        "answered",
        {"n": 3},
        True,
    )
    assert (probes["refuses"].outcome, probes["refuses"].problem) == (
        "tool-error",
        "it answered isError: true: nope",
    )
    assert (probes["invalid"].outcome, probes["invalid"].code) == ("rpc-error", -32602)
    assert probes["invalid"].problem == "it answered error -32602: Invalid params"
    assert (probes["hangs"].outcome, probes["hangs"].problem) == ("failed", "no answer within 5s")
    assert found.skipped == (
        Skipped(tool="write", reason=NOT_READ_ONLY),
        Skipped(tool="wipe", reason=DESTRUCTIVE),
    )
    assert {name for name, _ in server.calls} & {"write", "wipe"} == set()
    assert [(r.uri, r.mime_type, r.text, r.problem) for r in found.resources] == [
        ("doc://0", "text/plain", True, None),
        ("doc://1", None, False, "the read failed: resources/read: server error -32002: Resource not found"),
    ]
    assert found.templates == ()


async def test_prompt_arguments_come_from_completions_then_a_number(autojump_clock: trio.abc.Clock) -> None:
    found = await run(FakeServer())
    assert [(p.name, p.arguments, p.messages, p.problem) for p in found.prompts] == [
        ("kind", {"kind": "Text"}, 1, None),
        ("count", {"count": "1"}, 1, None),
    ]


async def test_wider_levels_call_more(autojump_clock: trio.abc.Clock) -> None:
    server = FakeServer()
    found = await run(server, allow="non-destructive")
    assert [p.name for p in found.called if p.name in ("write", "wipe")] == ["write"]
    found = await run(FakeServer(), allow="all")
    assert found.skipped == ()


async def test_only_announced_capabilities_are_listed(autojump_clock: trio.abc.Clock) -> None:
    server = FakeServer()
    found = await run(server, caps={"prompts": {}})
    assert (found.tools, found.called, found.resources) == ((), (), ())
    assert [p.name for p in found.prompts] == ["kind", "count"]


async def test_resources_beyond_the_limit_are_named_not_read(autojump_clock: trio.abc.Clock) -> None:
    server = FakeServer(resources=READ_LIMIT + 3)
    found = await run(server)
    assert len(found.resources) == READ_LIMIT
    assert found.unread == tuple(f"doc://{n}" for n in range(READ_LIMIT, READ_LIMIT + 3))
    assert sum(1 for name, _ in server.calls if name == "read") == READ_LIMIT


@pytest.mark.parametrize("level", ["read-only", "non-destructive"])
async def test_a_destructive_tool_is_never_called_below_all(
    level: str, autojump_clock: trio.abc.Clock
) -> None:
    server = FakeServer()
    await run(server, allow=level)
    assert "wipe" not in {name for name, _ in server.calls}
