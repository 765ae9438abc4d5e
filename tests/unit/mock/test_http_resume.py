"""serve_http with a real ServedMock: resumable event streams (priming event, retry, a stream that
breaks before its answer, GET with Last-Event-ID), and requests to the client over a POST's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
import trio

from mcpctl.mock.app import ServedMock
from mcpctl.mock.http import serve_http
from mcpctl.spec.mock_model import Ask, LogMessage, MockTool, Response, SseOptions
from mcpctl.spec.units import parse_duration
from tests.unit.mock.raw_http import INIT, RawClient, build, close_all
from tests.unit.mock.test_dispatch import SRC, spec, text

TOOLS = (
    MockTool(name="plain", default=Response(content=text("plain answer")), source=SRC),
    MockTool(
        name="reconnect",
        default=Response(
            content=text("after the break"),
            disconnect=True,
            log=(LogMessage(data="while nobody listens"),),
            latency=None,
        ),
        source=SRC,
    ),
    MockTool(
        name="elicit",
        default=Response(
            content=text("got {{ answer.content.name }}"),
            ask=Ask(
                method="elicitation/create",
                params={"message": "Name?", "requestedSchema": {"type": "object"}},
            ),
        ),
        source=SRC,
    ),
)
SSE = SseOptions(resumable=True, retry=parse_duration("500ms"))


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_all()


async def serve(nursery: trio.Nursery, **options: Any) -> int:
    app = ServedMock(spec(tools=TOOLS, sse=SSE))
    url = await nursery.start(partial(serve_http, app, **options))
    port = urlsplit(url).port
    assert port is not None
    return port


async def session(port: int, capabilities: dict[str, Any] | None = None) -> tuple[RawClient, str]:
    client = await RawClient.connect(port)
    init = {**INIT, "params": {**INIT["params"], "capabilities": capabilities or {}}}
    response = await client.request(body=init)
    return client, response.headers["mcp-session-id"]


def call(request_id: int, name: str) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": {}},
    }


async def test_a_resumable_stream_opens_with_a_priming_event(nursery: trio.Nursery) -> None:
    client, sid = await session(await serve(nursery))
    response = await client.request(body=call(2, "plain"), headers={"mcp-session-id": sid})
    assert response.status == 200
    assert response.body == (
        b"id: 1-0\nretry: 500\ndata: \n\n"
        b'id: 1-1\ndata: {"jsonrpc":"2.0","id":2,"result":{"content":[{"type":"text","text":"plain answer"}]}}\n\n'
    )
    again = await client.request(body=call(3, "plain"), headers={"mcp-session-id": sid})  # same connection
    assert again.body.startswith(b"id: 2-0\nretry: 500\ndata: \n\n")


async def test_a_broken_stream_is_resumed_with_last_event_id(nursery: trio.Nursery) -> None:
    port = await serve(nursery)
    client, sid = await session(port)
    broken = await client.request(body=call(2, "reconnect"), headers={"mcp-session-id": sid})
    assert broken.body == b"id: 1-0\nretry: 500\ndata: \n\n"  # closed before the answer
    resumer = await RawClient.connect(port)
    headers = {"mcp-session-id": sid, "accept": "text/event-stream", "last-event-id": "1-0"}
    resumed = await resumer.request("GET", headers=headers)
    assert resumed.status == 200
    assert [(e["id"], orjson.loads(e["data"]).get("method")) for e in resumed.events()] == [
        ("1-1", "notifications/message"),
        ("1-2", None),
    ]
    assert resumed.messages()[1]["result"]["content"][0]["text"] == "after the break"
    plain = await RawClient.connect(port)  # answered and delivered: the id names nothing now,
    await plain.send(build("GET", headers=headers))  # so the GET opens the standalone stream
    assert (await plain.head()).status == 200
    conflict = await (await RawClient.connect(port)).request("GET", headers=headers)
    assert conflict.status == 409


async def test_an_ask_travels_on_the_post_stream_and_its_answer_comes_back_as_a_post(
    nursery: trio.Nursery,
) -> None:
    port = await serve(nursery)
    client, sid = await session(port, {"elicitation": {}})
    await client.send(build(body=call(2, "elicit"), headers={"mcp-session-id": sid}))
    body = await client.read_until(b"elicitation/create")
    asked = orjson.loads(body.split(b"data: ")[-1].split(b"\n")[0])
    assert (asked["id"], asked["params"]["message"]) == (1, "Name?")
    reply = {"jsonrpc": "2.0", "id": 1, "result": {"action": "accept", "content": {"name": "Ada"}}}
    responder = await RawClient.connect(port)
    assert (await responder.request(body=reply, headers={"mcp-session-id": sid})).status == 202
    done = await client.response()
    last = orjson.loads(done.events()[-1]["data"])
    assert last["result"]["content"][0]["text"] == "got Ada"


async def test_json_mode_cannot_carry_an_ask_so_the_call_fails_at_once(nursery: trio.Nursery) -> None:
    client, sid = await session(await serve(nursery, json_response=True), {"elicitation": {}})
    with trio.fail_after(2):
        response = await client.request(body=call(2, "elicit"), headers={"mcp-session-id": sid})
    assert response.json()["result"] == {
        "content": [
            {"type": "text", "text": "elicit: elicitation/create cannot reach the client on this transport"}
        ],
        "isError": True,
    }
