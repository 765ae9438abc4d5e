"""serve_http against real clients: mcpctl's own (both HTTP backends, Streamable and legacy SSE) and the
official Python SDK's (anyio, run here under trio), in this test's trio run."""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import trio
from mcp import ClientSession
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from mcpctl.mcp.client import HttpTarget, open_client
from mcpctl.mcp.results import Progress
from mcpctl.mock.http import serve_http
from tests.unit.mock.http_fakes import TOOLS, FakeApp

NAMES = [t["name"] for t in TOOLS]
# The SDK client stops reading a POST's event stream at the answer and leaves httpx2's async
# generators to the garbage collector: silent under asyncio, a ResourceWarning under trio.
SDK_UNDER_TRIO = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <async_generator object (EventSource|PoolByteStream|Response)\."
    r":pytest.PytestUnraisableExceptionWarning"
)


@pytest.fixture(params=["sse", "json"])
async def served(request: pytest.FixtureRequest, nursery: trio.Nursery) -> tuple[FakeApp, str, bool]:
    """The fake app served with SSE or JSON answers (and legacy SSE); the URL; whether JSON."""
    app = FakeApp()
    json_response = request.param == "json"
    url = await nursery.start(partial(serve_http, app, json_response=json_response, legacy_sse=True))
    return app, url, json_response


@pytest.mark.parametrize("backend", ["httpx", "lean"])
async def test_mcpctl_client_over_streamable_http(served: tuple[FakeApp, str, bool], backend: Any) -> None:
    app, url, json_response = served
    async with open_client(HttpTarget(url=url, backend=backend)) as client:
        # the client probes server/discover first; the app's -32601 sends it to initialize
        assert client.negotiated.probe == "server/discover → error -32601 → initialize"
        assert client.negotiated.protocol_version == "2025-11-25"
        assert client.negotiated.server_info["name"] == "fake-mock"
        assert [t["name"] for t in await client.list_tools()] == NAMES
        seen: list[Progress] = []
        result = await client.call_tool("echo", {"text": "héllo ✓"}, on_progress=seen.append)
        assert (result.text, result.is_error) == ("héllo ✓", False)
        assert [p.progress for p in seen] == ([] if json_response else [1.0, 2.0])  # JSON: nowhere to go
        assert await client.ping() > 0
    assert app.sessions[-1].closed  # the client's DELETE ended the session


@pytest.mark.parametrize("protocol", ["2024-11-05", "auto"])
async def test_mcpctl_client_over_legacy_sse(served: tuple[FakeApp, str, bool], protocol: str) -> None:
    _, url, _ = served
    target = HttpTarget(url=url.removesuffix("/mcp") + "/sse", transport="sse")
    async with open_client(target, protocol=protocol) as client:
        assert client.negotiated.protocol_version == ("2024-11-05" if protocol != "auto" else "2025-11-25")
        assert [t["name"] for t in await client.list_tools()] == NAMES
        seen: list[Progress] = []
        assert (
            await client.call_tool("echo", {"text": "over sse"}, on_progress=seen.append)
        ).text == "over sse"
        assert [p.progress for p in seen] == [1.0, 2.0]


@SDK_UNDER_TRIO
async def test_sdk_client_over_streamable_http(served: tuple[FakeApp, str, bool]) -> None:
    app, url, json_response = served
    changed = trio.Event()

    async def on_message(message: Any) -> None:
        if getattr(message, "method", None) == "notifications/tools/list_changed":
            changed.set()

    with trio.fail_after(20):
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(read, write, message_handler=on_message) as session,
        ):
            init = await session.initialize()
            assert (init.protocol_version, init.server_info.name) == ("2025-11-25", "fake-mock")
            assert [t.name for t in (await session.list_tools()).tools] == NAMES
            seen: list[float] = []

            async def progress(value: float, total: float | None, message: str | None) -> None:
                seen.append(value)

            result = await session.call_tool("echo", {"text": "sdk"}, progress_callback=progress)
            assert result.content[0].text == "sdk"  # type: ignore[union-attr]
            assert seen == ([] if json_response else [1.0, 2.0])
            # the SDK opens the standalone GET stream after initialize; unsolicited notifications
            # arrive there (retry: the stream may not be open yet when the first call runs)
            while not changed.is_set():
                await session.call_tool("echo", {"list_changed": True})
                with trio.move_on_after(0.2):
                    await changed.wait()
    assert app.sessions[-1].closed


@SDK_UNDER_TRIO
async def test_sdk_client_over_legacy_sse(served: tuple[FakeApp, str, bool]) -> None:
    _, url, _ = served
    with trio.fail_after(20):
        async with (
            sse_client(url.removesuffix("/mcp") + "/sse") as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            assert [t.name for t in (await session.list_tools()).tools] == NAMES
            result = await session.call_tool("echo", {"text": "legacy"})
            assert result.content[0].text == "legacy"  # type: ignore[union-attr]
