"""serve_http's HTTP/1.1: pipelining, framing, limits, and never falling over on garbage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from urllib.parse import urlsplit

import orjson
import pytest
import trio

from mcpctl.mock import http_wire
from mcpctl.mock.http import serve_http
from tests.unit.mock.http_fakes import FakeApp
from tests.unit.mock.raw_http import INIT, RawClient, build, close_all


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_all()


@pytest.fixture
async def port(nursery: trio.Nursery) -> int:
    url = await nursery.start(partial(serve_http, FakeApp()))
    found = urlsplit(url).port
    assert found is not None
    return found


async def still_serving(port: int) -> None:
    """A fresh connection gets a proper answer: whatever came before did not hurt the server."""
    client = await RawClient.connect(port)
    response = await client.request(body=INIT)
    assert response.status == 200
    assert response.messages()[0]["result"]["serverInfo"]["name"] == "fake-mock"


async def test_pipelined_requests_are_answered_in_order(port: int) -> None:
    client = await RawClient.connect(port)
    inits = [{**INIT, "id": n} for n in range(5)]
    await client.send(b"".join(build(body=init) for init in inits))
    answers = [await client.response() for _ in inits]
    assert [a.messages()[0]["id"] for a in answers] == [0, 1, 2, 3, 4]


async def test_a_request_split_into_single_bytes_is_parsed(port: int) -> None:
    client = await RawClient.connect(port)
    for byte in build(body=INIT):
        await client.send(bytes([byte]))
    assert (await client.response()).status == 200


async def test_a_chunked_request_body_is_accepted(port: int) -> None:
    client = await RawClient.connect(port)
    body = orjson.dumps(INIT)
    head = (
        b"POST /mcp HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n"
        b"accept: application/json, text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    chunks = b"%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n" % (10, body[:10], len(body) - 10, body[10:])
    await client.send(head + chunks)
    assert (await client.response()).status == 200


async def test_expect_100_continue_is_honoured(port: int) -> None:
    client = await RawClient.connect(port)
    request = build(body=INIT, headers={"expect": "100-continue"})
    head, _, body = request.partition(b"\r\n\r\n")
    await client.send(head + b"\r\n\r\n")
    with trio.fail_after(5):
        assert await client.stream.receive_some(1000) == b"HTTP/1.1 100 Continue\r\n\r\n"
    await client.send(body)
    assert (await client.response()).status == 200


async def test_http_1_0_gets_its_answer_and_the_connection_closes(port: int) -> None:
    client = await RawClient.connect(port)
    await client.send(build(body=INIT).replace(b"HTTP/1.1", b"HTTP/1.0", 1))
    response = await client.response()
    assert (response.status, response.headers["connection"]) == (200, "close")
    assert await client.closed()


async def test_connection_close_is_honoured(port: int) -> None:
    client = await RawClient.connect(port)
    response = await client.request(body=INIT, headers={"connection": "close"})
    assert (response.status, response.headers["connection"]) == (200, "close")
    assert await client.closed()


async def test_a_body_over_the_limit_is_a_413_that_reaches_the_client(port: int) -> None:
    client = await RawClient.connect(port)
    head = build(raw_body=b"").replace(b"content-length: 0", b"content-length: %d" % (16 * 2**20 + 1))
    # the server answers before the body is in, and reads on while it closes: no reset eats the 413
    await client.send(head + b"x" * 2**20)
    response = await client.response()
    assert response.status == 413
    assert response.json()["error"]["message"] == "request body larger than 16777216 bytes"
    assert await client.closed()
    await still_serving(port)


async def test_a_chunked_body_over_the_limit_is_a_413(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(http_wire, "MAX_BODY", 1000)
    client = await RawClient.connect(port)
    head = build(raw_body=b"").replace(b"content-length: 0", b"transfer-encoding: chunked")
    await client.send(head + b"%x\r\n%b\r\n" % (2000, b"x" * 2000))
    assert (await client.response()).status == 413
    assert await client.closed()


@pytest.mark.parametrize("shape", ["one huge header", "many headers", "endless header line"])
async def test_an_oversized_head_is_a_431(port: int, shape: str) -> None:
    client = await RawClient.connect(port)
    if shape == "one huge header":
        await client.send(build(body=INIT, headers={"x-big": "a" * 70_000}))
    elif shape == "many headers":
        await client.send(build(body=INIT, headers={f"x-{n}": "v" for n in range(200)}))
    else:  # never ends: the server must stop buffering it
        await client.send(b"POST /mcp HTTP/1.1\r\nx-endless: " + b"a" * 200_000)
    response = await client.response()
    assert response.status == 431
    assert response.json()["error"]["message"] == "request head too large"
    assert await client.closed()
    await still_serving(port)


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"POST /mcp HTTP/1.1\r\ncontent-length: nope\r\n\r\n",
        b"POST /mcp HTTP/1.1\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n",
        b"GET /mcp HTTP/1.1\r\nhost: localhost\r\nupgrade: h2c\r\nconnection: upgrade\r\n\r\n",
        b"\r\n" * 10 + b"NOTAMETHOD!! /x\r\n\r\n",
    ],
)
async def test_garbage_is_a_400_and_ends_only_that_connection(port: int, garbage: bytes) -> None:
    client = await RawClient.connect(port)
    await client.send(garbage)
    with trio.fail_after(5):
        data = b""
        while chunk := await client.stream.receive_some(1 << 16):
            data += chunk
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n") or data.startswith(b"HTTP/1.1 405")
    await still_serving(port)


async def test_a_truncated_body_then_a_hang_up_hurts_nothing(port: int) -> None:
    client = await RawClient.connect(port)
    await client.send(build(body=INIT)[:-10])
    await client.aclose()
    client = await RawClient.connect(port)
    await client.send(b"POST /mcp HTTP/1.1\r\nhost: localhost\r\ncont")
    await client.stream.send_eof()
    assert await client.closed()
    await still_serving(port)


async def test_a_client_gone_before_its_answer_hurts_nothing(port: int) -> None:
    client = await RawClient.connect(port)
    sid = (await client.request(body=INIT)).headers["mcp-session-id"]
    call = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "slow", "arguments": {}}}
    await client.send(build(body=call, headers={"mcp-session-id": sid}))
    await client.aclose()
    await trio.sleep(0.3)
    await still_serving(port)
