"""Issue 5, acceptance 1: the official Python SDK client, the TypeScript SDK client and mcpctl's own
client each list, call, read and get against `mcpctl mock serve` over stdio and Streamable HTTP."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget, open_client
from testing.paths import NODE, PYTHON, ROOT
from tests.integration.conftest import free_port, start_server

pytestmark = pytest.mark.interop

DEMO = str(ROOT / "tests" / "data" / "mocks" / "demo.yaml")
SERVE = [PYTHON, "-m", "mcpctl", "mock", "serve", DEMO]
TS_CLIENT = str(ROOT / "testing" / "clients" / "ts_client.cjs")
ASK = {
    "TOOL": "weather",
    "TOOL_ARGS": json.dumps({"city": "Paris"}),
    "RESOURCE": "city://Lyon",
    "PROMPT": "forecast",
    "PROMPT_ARGS": json.dumps({"city": "Oslo"}),
}
SUNNY = {
    "content": [{"type": "text", "text": "Sunny in Paris"}],
    "structuredContent": {"temp": 21, "sky": "sunny"},
}


@pytest.fixture(scope="module", params=["json", "sse"])
def mock_http(request: pytest.FixtureRequest) -> Iterator[str]:
    port = free_port()
    flags = ["--json-response"] if request.param == "json" else []
    with start_server([*SERVE, "--http", f"127.0.0.1:{port}", *flags], port=port, path="/mcp") as server:
        yield server.url


def foreign(argv: list[str]) -> dict:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **ASK},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(seen: dict) -> None:
    assert seen["server"]["name"] == "demo-mock"
    assert seen["tools"] == ["weather"]
    call = seen["call"]
    assert call["content"] == SUNNY["content"]
    assert call["structuredContent"] == SUNNY["structuredContent"]
    assert not call.get("isError", False)
    assert seen["resources"] == ["file:///readme.txt"]
    assert seen["read"]["contents"][0]["text"] == '{"city": "Lyon"}'
    assert seen["prompts"] == ["forecast"]
    assert seen["prompt"]["messages"][0]["content"]["text"] == "What is the forecast for Oslo?"


@pytest.mark.parametrize("client", ["python-sdk", "typescript-sdk"])
def test_sdk_clients_over_stdio(client: str) -> None:
    runner = [PYTHON, "-m", "testing.clients.sdk_client"] if client == "python-sdk" else [NODE, TS_CLIENT]
    check(foreign([*runner, "stdio", *SERVE]))


@pytest.mark.parametrize("client", ["python-sdk", "typescript-sdk"])
def test_sdk_clients_over_http(client: str, mock_http: str) -> None:
    runner = [PYTHON, "-m", "testing.clients.sdk_client"] if client == "python-sdk" else [NODE, TS_CLIENT]
    check(foreign([*runner, "http", mock_http]))


async def _mcpctl(target: ServerTarget) -> dict:
    async with open_client(target) as client:
        call = await client.call_tool("weather", {"city": "Paris"})
        return {
            "server": client.negotiated.server_info,
            "tools": [tool["name"] for tool in await client.list_tools()],
            "call": call.raw,
            "resources": [r["uri"] for r in await client.list_resources()],
            "read": await client.read_resource("city://Lyon"),
            "prompts": [p["name"] for p in await client.list_prompts()],
            "prompt": await client.get_prompt("forecast", {"city": "Oslo"}),
        }


async def test_mcpctl_client_over_stdio() -> None:
    check(await _mcpctl(StdioTarget(command=tuple(SERVE))))


@pytest.mark.parametrize("backend", ["httpx", "lean"])
async def test_mcpctl_client_over_http(mock_http: str, backend: str) -> None:
    check(await _mcpctl(HttpTarget(url=mock_http, backend=backend)))
