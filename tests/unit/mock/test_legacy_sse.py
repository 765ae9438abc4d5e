"""serve_http(legacy_sse=True): the 2024-11-05 HTTP+SSE endpoints, over raw sockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import trio

from mcpctl.mock.http import serve_http
from tests.unit.mock.http_fakes import FakeApp
from tests.unit.mock.raw_http import INIT, RawClient, close_all

GET_SSE = b"GET /sse HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\n\r\n"


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_all()


@pytest.fixture
async def served(nursery: trio.Nursery) -> tuple[FakeApp, int]:
    app = FakeApp()
    url = await nursery.start(partial(serve_http, app, legacy_sse=True))
    port = urlsplit(url).port
    assert port is not None
    return app, port


async def open_stream(port: int) -> tuple[RawClient, str]:
    stream = await RawClient.connect(port)
    await stream.send(GET_SSE)
    head = await stream.head()
    assert (head.status, head.headers["content-type"]) == (200, "text/event-stream")
    body = await stream.read_until(b"\n\n")
    match = re.fullmatch(rb"event: endpoint\ndata: (/messages\?session_id=[0-9a-f]{32})\n\n", body)
    assert match is not None
    return stream, match.group(1).decode()


async def next_message(stream: RawClient, seen: int) -> tuple[Any, int]:
    """The message event after the ``seen`` already read (the endpoint event comes first)."""
    block = (await stream.read_events(seen + 2))[seen + 1]
    assert block.startswith(b"event: message\nid: %d\ndata: " % (seen + 1))
    return orjson.loads(block.partition(b"data: ")[2]), seen + 1


async def test_a_post_is_accepted_and_answered_on_the_stream(served: tuple[FakeApp, int]) -> None:
    stream, endpoint = await open_stream(served[1])
    poster = await RawClient.connect(served[1])
    response = await poster.request(body=INIT, path=endpoint)
    assert (response.status, response.body) == (202, b"Accepted")
    answer, seen = await next_message(stream, 0)
    assert answer["result"]["serverInfo"]["name"] == "fake-mock"
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "x"}, "_meta": {"progressToken": 5}},
    }
    assert (await poster.request(body=call, path=endpoint)).status == 202
    progress, seen = await next_message(stream, seen)
    assert progress["method"] == "notifications/progress"
    _, seen = await next_message(stream, seen)
    answer, seen = await next_message(stream, seen)
    assert answer["result"]["content"][0]["text"] == "x"


async def test_a_slow_request_does_not_hold_up_the_next(served: tuple[FakeApp, int]) -> None:
    stream, endpoint = await open_stream(served[1])
    poster = await RawClient.connect(served[1])
    slow = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "slow", "arguments": {"seconds": 5}},
    }
    assert (await poster.request(body=slow, path=endpoint)).status == 202
    assert (
        await poster.request(body={"jsonrpc": "2.0", "id": 2, "method": "ping"}, path=endpoint)
    ).status == 202
    answer, _ = await next_message(stream, 0)
    assert answer == {"jsonrpc": "2.0", "id": 2, "result": {}}


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        ("", INIT, 400, "Bad Request: session_id is required"),
        ("?session_id=feed", INIT, 404, "Not Found: Could not find session"),
        ("?session_id={sid}", [], 400, "Invalid Request: not a JSON-RPC message"),
    ],
)
async def test_post_refusals(
    served: tuple[FakeApp, int], query: str, body: Any, status: int, message: str
) -> None:
    _, endpoint = await open_stream(served[1])
    poster = await RawClient.connect(served[1])
    response = await poster.request(
        body=body, path="/messages" + query.format(sid=endpoint.rpartition("=")[2])
    )
    assert response.status == status
    assert response.json() == {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}}


async def test_closing_the_stream_closes_the_session(served: tuple[FakeApp, int]) -> None:
    stream, endpoint = await open_stream(served[1])
    await stream.aclose()
    poster = await RawClient.connect(served[1])
    with trio.fail_after(5):
        while True:  # the server notices the hang-up, then forgets the session
            if (await poster.request(body=INIT, path=endpoint)).status == 404:
                break
            await trio.sleep(0.01)
    assert served[0].sessions[0].closed
