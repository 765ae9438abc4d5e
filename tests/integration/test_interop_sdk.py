"""Interop with the official Python SDK server (mcp 2.3.0): both eras, stdio and Streamable HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import trio

from mcpctl.errors import RequestTimeout
from mcpctl.mcp.client import Client, HttpTarget, ServerTarget, StdioTarget, open_client
from mcpctl.mcp.results import Progress
from testing.paths import PYTHON

pytestmark = pytest.mark.interop

SDK_STDIO = (PYTHON, "-m", "testing.servers.sdk_echo")
TOOLS = {"echo", "add", "progress", "slow", "poll", "list_changed"}

# (transport, answer mode, pinned protocol) -> the era and revision we expect to land on
CASES = {
    "stdio-auto": ("modern", "2026-07-28"),
    "stdio-handshake": ("handshake", "2025-11-25"),
    "http-sse-auto": ("modern", "2026-07-28"),
    "http-json-auto": ("modern", "2026-07-28"),
    "http-sse-handshake": ("handshake", "2025-11-25"),
    "http-json-handshake-2025-06-18": ("handshake", "2025-06-18"),
    "http-lean-auto": ("modern", "2026-07-28"),
    "http-lean-handshake": ("handshake", "2025-11-25"),
}


@pytest.fixture(params=list(CASES))
async def case(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, ServerTarget, str]]:
    name: str = request.param
    protocol = (
        "auto" if name.endswith("auto") else ("2025-06-18" if name.endswith("2025-06-18") else "2025-11-25")
    )
    if name.startswith("stdio"):
        yield name, StdioTarget(command=SDK_STDIO), protocol
        return
    url: str = request.getfixturevalue("sdk_json_server" if "json" in name else "sdk_http_server")
    yield name, HttpTarget(url=url, backend="lean" if "lean" in name else "httpx"), protocol


@pytest.fixture
async def client(case: tuple[str, ServerTarget, str]) -> AsyncIterator[Client]:
    _, target, protocol = case
    async with open_client(target, protocol=protocol) as c:
        yield c


async def test_negotiated_era(case: tuple[str, ServerTarget, str], client: Client) -> None:
    assert (client.negotiated.era, client.negotiated.protocol_version) == CASES[case[0]]
    assert client.negotiated.server_info["name"] == "mcpctl-sdk-echo"
    assert "tools" in client.negotiated.capabilities
    assert await client.ping() > 0


async def test_everything_offered_is_listed(client: Client) -> None:
    assert {t["name"] for t in await client.list_tools()} == TOOLS
    assert [r["uri"] for r in await client.list_resources()] == ["echo://readme"]
    assert [t["uriTemplate"] for t in await client.list_resource_templates()] == ["echo://items/{item_id}"]
    assert [p["name"] for p in await client.list_prompts()] == ["greet"]


async def test_echo_and_add(client: Client) -> None:
    echo = await client.call_tool("echo", {"text": "héllo ✓"})
    assert (echo.text, echo.is_error) == ("héllo ✓", False)
    total = await client.call_tool("add", {"a": 2, "b": 40})
    assert total.text == "42.0"
    assert total.structured_content == {"result": 42.0}


async def test_read_resources_and_get_a_prompt(client: Client) -> None:
    readme = await client.read_resource("echo://readme")
    assert readme["contents"][0]["text"] == "mcpctl sdk echo server"
    item = await client.read_resource("echo://items/7")
    assert item["contents"][0]["text"] == '{"id": "7"}'
    prompt = await client.get_prompt("greet", {"name": "Bob"})
    assert prompt["messages"][0]["content"]["text"] == "Say hello to Bob."


async def test_progress_notifications_arrive(case: tuple[str, ServerTarget, str], client: Client) -> None:
    seen: list[Progress] = []
    result = await client.call_tool("progress", {"steps": 3}, on_progress=seen.append)
    assert result.text == "done 3"
    expected = [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    if "json" in case[0]:
        # JSON answer mode: one JSON body per request, and the SDK server sends a request's
        # notifications only on that request's stream, so it drops them
        expected = []
    assert [(p.progress, p.total, p.message) for p in seen] == expected


async def test_a_timed_out_call_is_cancelled_and_the_session_goes_on(client: Client) -> None:
    with pytest.raises(RequestTimeout, match=r"no answer within 0\.3s"):
        await client.call_tool("slow", {"seconds": 30}, timeout=0.3)
    with trio.fail_after(10):
        assert (await client.call_tool("echo", {"text": "still here"})).text == "still here"


@pytest.mark.parametrize("protocol", ["2024-11-05", "auto"])
async def test_legacy_http_sse_server(sdk_sse_server: str, protocol: str) -> None:
    async with open_client(HttpTarget(url=sdk_sse_server, transport="sse"), protocol=protocol) as client:
        # the SDK's legacy SSE server also answers server/discover, so auto lands on 2026-07-28
        expected = "2024-11-05" if protocol != "auto" else "2026-07-28"
        assert client.negotiated.protocol_version == expected
        assert {t["name"] for t in await client.list_tools()} == TOOLS
        assert (await client.call_tool("echo", {"text": "over sse"})).text == "over sse"
        seen: list[Progress] = []
        await client.call_tool("progress", {"steps": 2}, on_progress=seen.append)
        assert [p.progress for p in seen] == [1, 2]


async def test_legacy_sse_server_everything(everything_sse_server: str) -> None:
    async with open_client(HttpTarget(url=everything_sse_server, transport="sse")) as client:
        assert client.negotiated.server_info["name"] == "mcp-servers/everything"
        assert (await client.call_tool("echo", {"message": "x"})).text == "Echo: x"
