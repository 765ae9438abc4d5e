"""serve_http's Streamable HTTP: sessions, answer modes, streams and every refusal, over raw sockets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import pytest
import trio

from mcpctl.mock import http_wire
from mcpctl.mock.http import serve_http
from tests.unit.mock.http_fakes import FakeApp
from tests.unit.mock.raw_http import INIT, RawClient, Response, close_all

Start = Callable[..., Awaitable[tuple[FakeApp, int]]]


def call(request_id: int, name: str = "echo", meta: dict[str, Any] | None = None, **arguments: Any) -> Any:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if meta is not None:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def rpc_error(code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    yield
    await close_all()


@pytest.fixture
def start(nursery: trio.Nursery) -> Start:
    async def start(**options: Any) -> tuple[FakeApp, int]:
        app = FakeApp()
        url = await nursery.start(partial(serve_http, app, **options))
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/mcp", url)
        port = urlsplit(url).port
        assert port is not None
        return app, port

    return start


@pytest.fixture
async def served(start: Start) -> tuple[FakeApp, int]:
    return await start()


@pytest.fixture
async def client(served: tuple[FakeApp, int]) -> RawClient:
    return await RawClient.connect(served[1])


async def open_session(client: RawClient) -> str:
    response = await client.request(body=INIT)
    assert response.status == 200
    return response.headers["mcp-session-id"]


async def test_initialize_opens_a_session_answered_as_one_sse_event(served: tuple[FakeApp, int]) -> None:
    client = await RawClient.connect(served[1])
    response = await client.request(body=INIT)
    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert re.fullmatch(r"[\x21-\x7e]{32}", response.headers["mcp-session-id"])
    [event] = response.events()
    assert event["id"] == "1"
    assert response.messages()[0]["result"]["serverInfo"] == {"name": "fake-mock", "version": "0"}
    assert len(served[0].sessions) == 1


async def test_json_mode_answers_application_json(start: Start) -> None:
    _, port = await start(json_response=True)
    client = await RawClient.connect(port)
    sid = await open_session(client)
    response = await client.request(body=call(2, text="hé"), headers={"mcp-session-id": sid})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["content"] == [{"type": "text", "text": "hé"}]


async def test_notifications_get_202_and_reach_the_app(
    served: tuple[FakeApp, int], client: RawClient
) -> None:
    sid = await open_session(client)
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    response = await client.request(body=note, headers={"mcp-session-id": sid})
    assert (response.status, response.body) == (202, b"")
    assert served[0].sessions[0].seen == ["initialize", "notifications/initialized"]


async def test_a_request_without_a_session_is_a_400(client: RawClient) -> None:
    response = await client.request(body=call(1))
    assert response.status == 400
    assert response.json() == rpc_error(-32600, "Bad Request: Missing session ID")


async def test_an_unknown_session_is_a_404(client: RawClient) -> None:
    response = await client.request(body=call(1), headers={"mcp-session-id": "nope"})
    assert response.status == 404
    assert response.json() == rpc_error(-32600, "Not Found: Session not found")


async def test_delete_ends_the_session(served: tuple[FakeApp, int], client: RawClient) -> None:
    sid = await open_session(client)
    response = await client.request("DELETE", headers={"mcp-session-id": sid})
    assert (response.status, response.body) == (200, b"")
    assert served[0].sessions[0].closed
    assert (await client.request(body=call(2), headers={"mcp-session-id": sid})).status == 404
    assert (await client.request("DELETE", headers={"mcp-session-id": sid})).status == 404
    assert (await client.request("DELETE")).status == 400


async def test_an_unknown_protocol_version_is_a_400(client: RawClient) -> None:
    sid = await open_session(client)
    headers = {"mcp-session-id": sid, "mcp-protocol-version": "1999-01-01"}
    response = await client.request(body=call(2), headers=headers)
    assert response.status == 400
    assert response.json() == rpc_error(-32600, "Bad Request: Unsupported protocol version: 1999-01-01")
    headers["mcp-protocol-version"] = "2025-06-18"
    assert (await client.request(body=call(3), headers=headers)).status == 200


@pytest.mark.parametrize(
    ("json_response", "accept", "status"),
    [
        (False, "application/json", 406),
        (False, "text/event-stream", 406),
        (False, "*/*", 200),
        (False, "application/*, text/*;q=0.5", 200),
        (False, None, 200),
        (True, "text/event-stream", 406),
        (True, "application/json", 200),
    ],
)
async def test_accept_header(start: Start, json_response: bool, accept: str | None, status: int) -> None:
    _, port = await start(json_response=json_response)
    client = await RawClient.connect(port)
    response = await client.request(body=INIT, headers={"accept": accept})
    assert response.status == status
    if status == 406:
        wanted = "application/json" if json_response else "both application/json and text/event-stream"
        assert response.json() == rpc_error(-32600, f"Not Acceptable: Client must accept {wanted}")


async def test_a_non_json_content_type_is_a_415(client: RawClient) -> None:
    response = await client.request(body=INIT, headers={"content-type": "text/plain"})
    assert response.status == 415


async def test_invalid_json_is_a_parse_error_and_the_connection_goes_on(client: RawClient) -> None:
    response = await client.request(raw_body=b'{"jsonrpc": "2.0", "id": 1,')
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == -32700
    assert error["message"].startswith("Parse error: ")
    assert (await client.request(body=INIT)).status == 200


@pytest.mark.parametrize("body", [[], 3, "x", {"foo": 1}, [INIT, 7], {"jsonrpc": "2.0", "method": 5}])
async def test_a_body_that_is_no_json_rpc_message_is_an_invalid_request(client: RawClient, body: Any) -> None:
    response = await client.request(body=body)
    assert response.status == 400
    assert response.json() == rpc_error(-32600, "Invalid Request: not a JSON-RPC message")


async def test_a_batch_in_json_mode_answers_an_array_in_order(start: Start) -> None:
    _, port = await start(json_response=True)
    client = await RawClient.connect(port)
    sid = await open_session(client)
    batch = [call(2, "slow", text="a", seconds=0.05), {"jsonrpc": "2.0", "method": "x"}, call(3, text="b")]
    response = await client.request(body=batch, headers={"mcp-session-id": sid})
    assert [m["id"] for m in response.json()] == [2, 3]
    assert [m["result"]["content"][0]["text"] for m in response.json()] == ["a", "b"]


async def test_a_batch_in_sse_mode_streams_each_answer_as_it_comes(client: RawClient) -> None:
    sid = await open_session(client)
    batch = [call(2, "slow", text="a", seconds=0.05), call(3, text="b")]
    response = await client.request(body=batch, headers={"mcp-session-id": sid})
    assert response.headers["transfer-encoding"] == "chunked"
    assert [m["id"] for m in response.messages()] == [3, 2]
    assert [e["id"] for e in response.events()] == ["1", "2"]


async def test_progress_streams_before_the_answer(client: RawClient) -> None:
    sid = await open_session(client)
    response = await client.request(
        body=call(2, meta={"progressToken": "t"}), headers={"mcp-session-id": sid}
    )
    messages = response.messages()
    assert [m.get("method") for m in messages] == ["notifications/progress"] * 2 + [None]
    assert [m["params"]["progress"] for m in messages[:2]] == [1, 2]
    assert [e["id"] for e in response.events()] == ["1", "2", "3"]
    assert (await client.request(body=call(3), headers={"mcp-session-id": sid})).status == 200


async def test_json_mode_drops_progress(start: Start) -> None:
    _, port = await start(json_response=True)
    client = await RawClient.connect(port)
    sid = await open_session(client)
    response = await client.request(body=call(2, meta={"progressToken": 1}), headers={"mcp-session-id": sid})
    assert response.json()["id"] == 2


async def test_the_standalone_stream_carries_unsolicited_notifications(
    served: tuple[FakeApp, int], client: RawClient
) -> None:
    sid = await open_session(client)
    listener = await RawClient.connect(served[1])
    await listener.send(
        b"GET /mcp HTTP/1.1\r\nhost: localhost\r\naccept: text/event-stream\r\nmcp-session-id: %b\r\n\r\n"
        % sid.encode()
    )
    head = await listener.head()
    assert (head.status, head.headers["content-type"], head.headers["mcp-session-id"]) == (
        200,
        "text/event-stream",
        sid,
    )
    second = await RawClient.connect(served[1])
    response = await second.request("GET", headers={"mcp-session-id": sid, "accept": "text/event-stream"})
    assert response.status == 409
    assert (
        await client.request(body=call(2, list_changed=True), headers={"mcp-session-id": sid})
    ).status == 200
    body = await listener.read_until(b"\n\n")
    assert body == b'id: 1\ndata: {"jsonrpc":"2.0","method":"notifications/tools/list_changed"}\n\n'
    assert (await client.request("DELETE", headers={"mcp-session-id": sid})).status == 200
    assert await listener.closed()


async def test_a_closed_standalone_stream_frees_its_place(
    served: tuple[FakeApp, int], client: RawClient
) -> None:
    sid = await open_session(client)
    get = b"GET /mcp HTTP/1.1\r\nhost: localhost\r\nmcp-session-id: %b\r\n\r\n" % sid.encode()
    first = await RawClient.connect(served[1])
    await first.send(get)
    assert (await first.head()).status == 200
    await first.aclose()
    with trio.fail_after(5):
        while True:  # the server notices the close, then a new GET may open the stream
            again = await RawClient.connect(served[1])
            await again.send(get)
            if (await again.head()).status == 200:
                break
            await trio.sleep(0.01)


async def test_idle_streams_get_pings(
    served: tuple[FakeApp, int], client: RawClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_wire, "PING_INTERVAL", 0.01)
    sid = await open_session(client)
    listener = await RawClient.connect(served[1])
    await listener.send(b"GET /mcp HTTP/1.1\r\nhost: [::1]:9\r\nmcp-session-id: %b\r\n\r\n" % sid.encode())
    assert await listener.read_until(b": ping\n\n") == b": ping\n\n"


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        (
            {"accept": "application/json"},
            405,
            "Method Not Allowed: GET opens an event stream; accept text/event-stream",
        ),
        ({"accept": "text/event-stream"}, 400, "Bad Request: Missing session ID"),
        ({"accept": "text/event-stream", "mcp-session-id": "x"}, 404, "Not Found: Session not found"),
    ],
)
async def test_get_refusals(
    client: RawClient, headers: dict[str, str | None], status: int, message: str
) -> None:
    response = await client.request("GET", headers=headers)
    assert response.status == status
    assert response.json() == rpc_error(-32600, message)


async def test_other_methods_and_paths(client: RawClient) -> None:
    response = await client.request("PUT", raw_body=b"{}")
    assert (response.status, response.headers["allow"]) == (405, "GET, POST, DELETE")
    assert (await client.request(body=INIT, path="/other")).status == 404
    assert (await client.request(body=INIT, path="/sse")).status == 404  # legacy SSE is off


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"origin": "http://evil.example"}, 403),
        ({"origin": "null"}, 403),
        ({"origin": "http://localhost.evil.example"}, 403),
        ({"origin": "http://localhost:6274"}, 200),
        ({"origin": "https://127.0.0.1"}, 200),
        ({"origin": "http://[::1]:80"}, 200),
        ({"host": "evil.example"}, 421),
        ({"host": "evil.example:80"}, 421),
        ({"host": None}, 421),
        ({"host": "localhost:1234"}, 200),
        ({"host": "[::1]"}, 200),
    ],
)
async def test_dns_rebinding_protection(
    client: RawClient, headers: dict[str, str | None], status: int
) -> None:
    response = await client.request(body=INIT, headers=headers)
    assert response.status == status
    if status == 403:
        assert response.json() == rpc_error(-32600, "Forbidden: Origin not allowed")
    if status == 421:
        assert response.json() == rpc_error(-32600, "Invalid Host header")


async def test_allowed_origins_replace_the_defaults(start: Start) -> None:
    _, port = await start(allowed_origins=["https://app.example", "http://tool.example:*"])
    client = await RawClient.connect(port)
    for origin, status in [
        ("https://app.example", 200),
        ("http://tool.example:8080", 200),
        ("http://tool.example:x", 403),
        ("http://localhost:3000", 403),
    ]:
        assert (await client.request(body=INIT, headers={"origin": origin})).status == status


async def test_an_app_that_raises_answers_an_internal_error(client: RawClient) -> None:
    sid = await open_session(client)
    response = await client.request(body=call(2, "fail"), headers={"mcp-session-id": sid})
    assert response.messages() == [
        {"jsonrpc": "2.0", "id": 2, "error": {"code": -32603, "message": "internal error in the mock server"}}
    ]


async def test_a_failed_initialize_leaves_no_session(served: tuple[FakeApp, int], client: RawClient) -> None:
    init = {**INIT, "params": {**INIT["params"], "protocolVersion": "bad"}}
    response = await client.request(body=init)
    assert "mcp-session-id" not in response.headers
    assert response.messages()[0]["error"]["code"] == -32602
    assert served[0].sessions[0].closed


async def test_a_sessionless_revision_is_served_by_a_session_of_its_own(
    served: tuple[FakeApp, int], client: RawClient
) -> None:
    discover = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {}}
    response = await client.request(body=discover, headers={"mcp-protocol-version": "2026-07-28"})
    assert response.messages() == [
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "Method not found: server/discover"}}
    ]
    assert "mcp-session-id" not in response.headers
    with trio.fail_after(5):
        while True:  # closed right after its answer went out
            if served[0].sessions[0].closed:
                break
            await trio.sleep(0.01)


async def test_sessions_on_many_connections_run_concurrently(served: tuple[FakeApp, int]) -> None:
    sid = await open_session(await RawClient.connect(served[1]))
    clients = [await RawClient.connect(served[1]) for _ in range(4)]
    answers: list[Response] = []

    async def slow(client: RawClient, request_id: int) -> None:
        body = call(request_id, "slow", seconds=0.3)
        answers.append(await client.request(body=body, headers={"mcp-session-id": sid}))

    started = trio.current_time()
    async with trio.open_nursery() as nursery:
        for number, client in enumerate(clients):
            nursery.start_soon(slow, client, number)
    assert trio.current_time() - started < 1.0
    assert sorted(a.messages()[0]["id"] for a in answers) == [0, 1, 2, 3]


async def test_cancelling_the_server_closes_every_session(nursery: trio.Nursery) -> None:
    app = FakeApp()
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as inner:
            url = await inner.start(partial(serve_http, app))
            port = urlsplit(url).port
            assert port is not None
            client = await RawClient.connect(port)
            for _ in range(3):
                await open_session(client)
            listener = await RawClient.connect(port)
            sid = await open_session(listener)
            await listener.send(
                b"GET /mcp HTTP/1.1\r\nhost: localhost\r\nmcp-session-id: %b\r\n\r\n" % sid.encode()
            )
            assert (await listener.head()).status == 200
            scope.cancel()
    assert app.closed == 4
    with pytest.raises(OSError, match=r"Connect call failed|all attempts to connect"):
        await trio.open_tcp_stream("127.0.0.1", port)
