"""Interop with @modelcontextprotocol/server-everything (TypeScript SDK 1.x, handshake era)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from mcpctl.errors import RequestTimeout
from mcpctl.mcp.client import Client, ServerTarget, StdioTarget, open_client
from mcpctl.mcp.results import Progress
from mcpctl.mcp.session import ClientOptions
from testing.paths import everything_stdio

pytestmark = pytest.mark.interop

TOOLS = {
    "echo",
    "get-annotated-message",
    "get-env",
    "get-resource-links",
    "get-resource-reference",
    "get-structured-content",
    "get-sum",
    "get-tiny-image",
    "gzip-file-as-resource",
    "toggle-simulated-logging",
    "toggle-subscriber-updates",
    "trigger-long-running-operation",
    "simulate-research-query",
}
CLIENT_FEATURE_TOOLS = {"trigger-sampling-request", "trigger-elicitation-request"}
DOCS = {"architecture", "extension", "features", "how-it-works", "instructions", "startup", "structure"}
PROMPTS = {"simple-prompt", "args-prompt", "completable-prompt", "resource-prompt"}

OPTIONS = ClientOptions(
    sampling_reply={
        "role": "assistant",
        "content": {"type": "text", "text": "canned sample"},
        "model": "mcpctl-canned",
    },
    elicitation_reply={"action": "accept", "content": {"name": "mcpctl"}},
)


@pytest.fixture(params=["stdio", "http"])
async def everything(request: pytest.FixtureRequest) -> AsyncIterator[ServerTarget]:
    if request.param == "stdio":
        yield StdioTarget(command=tuple(everything_stdio()))
    else:
        target: ServerTarget = request.getfixturevalue("everything_http_target")
        yield target


@pytest.fixture
async def client(everything: ServerTarget) -> AsyncIterator[Client]:
    async with open_client(everything, options=OPTIONS) as c:
        yield c


async def test_negotiates_the_handshake_after_discover_is_refused(client: Client) -> None:
    n = client.negotiated
    assert (n.era, n.protocol_version) == ("handshake", "2025-11-25")
    assert n.probe.startswith("server/discover → ")
    assert n.server_info["name"] == "mcp-servers/everything"
    assert {"tools", "prompts", "resources", "logging", "completions"} <= set(n.capabilities)


async def test_everything_offered_is_listed(client: Client) -> None:
    tools = {t["name"] for t in await client.list_tools()}
    assert tools >= TOOLS | CLIENT_FEATURE_TOOLS
    resources = await client.list_resources()
    assert {r["uri"] for r in resources} == {f"demo://resource/static/document/{d}.md" for d in DOCS}
    templates = {t["uriTemplate"] for t in await client.list_resource_templates()}
    assert templates == {
        "demo://resource/dynamic/text/{resourceId}",
        "demo://resource/dynamic/blob/{resourceId}",
    }
    assert {p["name"] for p in await client.list_prompts()} == PROMPTS


async def test_echo_and_sum(client: Client) -> None:
    echo = await client.call_tool("echo", {"message": "héllo ✓"})
    assert (echo.text, echo.is_error) == ("Echo: héllo ✓", False)
    total = await client.call_tool("get-sum", {"a": 2, "b": 40})
    assert "42" in total.text


async def test_structured_content(client: Client) -> None:
    result = await client.call_tool("get-structured-content", {"location": "New York"})
    assert isinstance(result.structured_content, dict)
    assert "temperature" in result.structured_content


async def test_invalid_arguments_are_a_tool_error(client: Client) -> None:
    result = await client.call_tool("get-sum", {"a": "x"})
    assert result.is_error
    assert "Input validation error" in result.text


async def test_read_a_resource_and_a_template(client: Client) -> None:
    doc = await client.read_resource("demo://resource/static/document/features.md")
    (content,) = doc["contents"]
    assert content["uri"] == "demo://resource/static/document/features.md"
    assert len(content["text"]) > 100
    dynamic = await client.read_resource("demo://resource/dynamic/text/7")
    assert dynamic["contents"][0]["uri"] == "demo://resource/dynamic/text/7"


async def test_get_prompts_and_complete(client: Client) -> None:
    simple = await client.get_prompt("simple-prompt")
    assert simple["messages"][0]["role"] == "user"
    weather = await client.get_prompt("args-prompt", {"city": "Paris", "state": "IDF"})
    assert "Paris" in weather["messages"][0]["content"]["text"]
    completion = await client.complete(
        {"type": "ref/prompt", "name": "completable-prompt"}, {"name": "department", "value": "E"}
    )
    assert "Engineering" in completion["completion"]["values"]


async def test_progress_notifications_arrive(client: Client) -> None:
    seen: list[Progress] = []
    result = await client.call_tool(
        "trigger-long-running-operation", {"duration": 0.6, "steps": 3}, on_progress=seen.append
    )
    assert not result.is_error
    assert [p.progress for p in seen] == [1, 2, 3]
    assert all(p.total == 3 for p in seen)


async def test_a_timed_out_call_is_cancelled_and_the_session_goes_on(client: Client) -> None:
    with pytest.raises(RequestTimeout):
        await client.call_tool("trigger-long-running-operation", {"duration": 30, "steps": 30}, timeout=0.5)
    with trio.fail_after(5):
        assert (await client.call_tool("echo", {"message": "still here"})).text == "Echo: still here"


async def test_server_initiated_requests_are_answered(client: Client) -> None:
    sample = await client.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 10})
    assert "canned sample" in sample.text
    elicited = await client.call_tool("trigger-elicitation-request", {})
    assert "accept" in elicited.text


async def test_sampling_is_refused_without_a_canned_reply(everything: ServerTarget) -> None:
    async with open_client(everything) as plain:
        tools = {t["name"] for t in await plain.list_tools()}
    # not declaring sampling/elicitation hides the tools that would need them
    assert "trigger-sampling-request" not in tools
    assert "trigger-elicitation-request" not in tools


async def test_roots_are_answered(everything: ServerTarget) -> None:
    # (server-everything keeps running after stdin closes once it has asked for roots, so this
    # session's close takes the 2 s grace before SIGTERM: one test only)
    options = ClientOptions(roots=({"uri": "file:///work/project", "name": "project"},))
    async with open_client(everything, options=options) as client:
        roots = await client.call_tool("get-roots-list", {})
    assert "file:///work/project" in roots.text


@pytest.mark.parametrize("backend", ["httpx", "lean"])
async def test_a_batch_over_http(everything_http_server: str, backend: str) -> None:
    from mcpctl.mcp.client import HttpTarget

    target = HttpTarget(url=everything_http_server, backend=backend)  # type: ignore[arg-type]
    async with open_client(target, protocol="2025-03-26") as client:
        replies = await client.session.request_batch(
            [
                ("tools/call", {"name": "echo", "arguments": {"message": "one"}}),
                ("tools/call", {"name": "get-sum", "arguments": {"a": 1, "b": 2}}),
            ]
        )
    assert replies[0].unwrap()["content"][0]["text"] == "Echo: one"
    assert "3" in replies[1].unwrap()["content"][0]["text"]
