"""The HTTP transports driven directly with hand-built JSON-RPC messages, against real servers."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import orjson
import pytest
import trio

from mcpctl.errors import (
    FrameTooLarge,
    HttpStatusError,
    ProtocolError,
    RequestTimeout,
    TransportError,
    UsageError,
)
from mcpctl.mcp.client import HttpTarget, StdioTarget, open_client
from mcpctl.mcp.protocol import CLIENT_CAPABILITIES_META, CLIENT_INFO_META, PROTOCOL_VERSION_META
from mcpctl.mcp.transports.base import Failed
from mcpctl.mcp.transports.http import StreamableHttpTransport, open_http_transport
from mcpctl.mcp.transports.http_headers import decode_header_value, encode_header_value
from mcpctl.mcp.transports.http_lean import LeanBackend
from mcpctl.mcp.transports.sse import SseTransport, open_sse_transport

BACKENDS = ["httpx", "lean"]
CLIENT_INFO = {"name": "mcpctl-test", "version": "0"}
MODERN = "2026-07-28"
Transport = StreamableHttpTransport | SseTransport


@dataclass
class Peer:
    """Sends hand-built messages, waits for answers by id, keeps everything else."""

    transport: Transport
    other: list[Any] = field(default_factory=list)
    next_id: int = 0

    async def request(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 15) -> Any:
        self.next_id += 1
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        await self.transport.send([msg])
        return await self.answer(self.next_id, timeout=timeout)

    async def answer(self, request_id: int, *, timeout: float = 15) -> Any:
        with trio.fail_after(timeout):
            while True:
                found = None  # keep the whole batch: what came after the answer matters too
                for item in await self.transport.receive():
                    failed = isinstance(item, Failed) and item.request_id in (request_id, None)
                    answer = isinstance(item, dict) and item.get("id") == request_id and "method" not in item
                    if failed or answer:
                        found = item
                    else:
                        self.other.append(item)
                if found is not None:
                    return found

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        await self.transport.send([msg])

    async def handshake(self, version: str = "2025-11-25") -> dict[str, Any]:
        init = await self.request(
            "initialize", {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT_INFO}
        )
        result = init["result"]
        self.transport.negotiated(protocol_version=result["protocolVersion"], era="handshake")
        await self.notify("notifications/initialized")
        return dict(result)

    def progress(self) -> list[dict[str, Any]]:
        return [
            m["params"]
            for m in self.other
            if isinstance(m, dict) and m.get("method") == "notifications/progress"
        ]


def envelope(params: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = {PROTOCOL_VERSION_META: MODERN, CLIENT_INFO_META: CLIENT_INFO, CLIENT_CAPABILITIES_META: {}}
    return {**(params or {}), "_meta": meta}


def text_of(answer: Any) -> str:
    assert isinstance(answer, dict), answer
    return str(answer["result"]["content"][0]["text"])


# -- the handshake era against real servers ---------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("server", ["sdk_http_server", "sdk_json_server", "everything_http_server"])
async def test_handshake_list_and_call(server: str, backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server)
    tool, arg = ("echo", "message") if server.startswith("everything") else ("echo", "text")
    async with open_http_transport(url, backend=backend) as t:
        peer = Peer(t)
        result = await peer.handshake()
        assert result["protocolVersion"] == "2025-11-25"
        assert t.session_id
        tools = await peer.request("tools/list")
        assert tool in {x["name"] for x in tools["result"]["tools"]}
        answer = await peer.request("tools/call", {"name": tool, "arguments": {arg: "héllo"}})
        assert "héllo" in text_of(answer)
        assert "HTTP 200" in t.diagnostics()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_progress_streams_before_the_answer(sdk_http_server: str, backend: str) -> None:
    async with open_http_transport(sdk_http_server, backend=backend) as t:
        peer = Peer(t)
        await peer.handshake()
        answer = await peer.request(
            "tools/call", {"name": "progress", "arguments": {"steps": 3}, "_meta": {"progressToken": "p"}}
        )
        assert text_of(answer) == "done 3"
        assert [(p["progressToken"], p["progress"]) for p in peer.progress()] == [
            ("p", 1),
            ("p", 2),
            ("p", 3),
        ]


async def test_concurrent_requests_share_the_transport(sdk_http_server: str) -> None:
    async with open_http_transport(sdk_http_server, backend="lean") as t:
        peer = Peer(t)
        await peer.handshake()
        msgs = [
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": "tools/call",
                "params": {"name": "add", "arguments": {"a": i, "b": 1}},
            }
            for i in range(100, 120)
        ]
        async with trio.open_nursery() as nursery:
            for msg in msgs:
                nursery.start_soon(t.send, [msg])
        seen: dict[int, float] = {}
        with trio.fail_after(15):
            while len(seen) < len(msgs):
                for item in await t.receive():
                    assert isinstance(item, dict), item
                    seen[item["id"]] = item["result"]["structuredContent"]["result"]
        assert seen == {i: i + 1 for i in range(100, 120)}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_standalone_get_stream_delivers_server_notifications(
    sdk_http_server: str, backend: str
) -> None:
    async with open_http_transport(sdk_http_server, backend=backend) as t:
        peer = Peer(t)
        await peer.handshake()
        await trio.sleep(0.3)  # the GET stream opens after notifications/initialized
        assert text_of(await peer.request("tools/call", {"name": "list_changed", "arguments": {}})) == "sent"
        with trio.fail_after(5):
            while not any(m.get("method") == "notifications/tools/list_changed" for m in peer.other):
                peer.other += await t.receive()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_dropped_answer_stream_resumes_with_last_event_id(
    sdk_resumable_server: str, backend: str
) -> None:
    async with open_http_transport(sdk_resumable_server, backend=backend) as t:
        peer = Peer(t)
        await peer.handshake()
        answer = await peer.request(
            "tools/call", {"name": "poll", "arguments": {"steps": 3}, "_meta": {"progressToken": 9}}
        )
        assert text_of(answer) == "polled 3"
        assert [p["progress"] for p in peer.progress()] == [1, 2, 3]


async def test_handshake_cancel_is_posted(sdk_http_server: str) -> None:
    async with open_http_transport(sdk_http_server) as t:
        peer = Peer(t)
        await peer.handshake()
        await t.send(
            [
                {
                    "jsonrpc": "2.0",
                    "id": 50,
                    "method": "tools/call",
                    "params": {"name": "slow", "arguments": {"seconds": 3}},
                }
            ]
        )
        await trio.sleep(0.2)
        await peer.notify("notifications/cancelled", {"requestId": 50, "reason": "test"})
        # the SDK server stops the call at once and answers it with an error
        answer = await peer.answer(50, timeout=2)
        assert answer["error"] == {"code": -32800, "message": "Request cancelled"}


async def test_aclose_deletes_the_session(sdk_json_server: str) -> None:
    async with open_http_transport(sdk_json_server) as t:
        await Peer(t).handshake()
        session_id = t.session_id
    assert session_id
    headers = {
        "mcp-session-id": session_id,
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": "2025-11-25",
    }
    async with httpx.AsyncClient() as client:
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        response = await client.post(sdk_json_server, json=ping, headers=headers)
    assert response.status_code == 404


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_expired_session_says_so(sdk_json_server: str, backend: str) -> None:
    async with open_http_transport(sdk_json_server, backend=backend) as t:
        peer = Peer(t)
        await peer.handshake()
        async with httpx.AsyncClient() as client:
            await client.delete(
                sdk_json_server,
                headers={"mcp-session-id": t.session_id or "", "mcp-protocol-version": "2025-11-25"},
            )
        failed = await peer.request("tools/list")
        assert isinstance(failed, Failed)
        assert isinstance(failed.error, HttpStatusError)
        assert failed.error.status == 404
        assert "expired or was ended by the server" in str(failed.error)


# -- the modern era (2026-07-28) against the SDK server ---------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("server", ["sdk_http_server", "sdk_json_server"])
async def test_modern_discover_list_and_call(
    server: str, backend: str, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(server)
    async with open_http_transport(url, backend=backend) as t:
        peer = Peer(t)
        discovered = await peer.request("server/discover", envelope())
        assert MODERN in discovered["result"]["supportedVersions"]
        t.negotiated(protocol_version=MODERN, era="modern")
        tools = await peer.request("tools/list", envelope())
        assert "echo" in {x["name"] for x in tools["result"]["tools"]}
        answer = await peer.request("tools/call", envelope({"name": "echo", "arguments": {"text": "hi"}}))
        assert text_of(answer) == "hi"
        assert t.session_id is None
        # Mcp-Name travels base64-wrapped: the server decodes it, matches the body, says "unknown tool"
        unknown = await peer.request("tools/call", envelope({"name": " ünïcode ", "arguments": {}}))
        assert "Header" not in str(unknown), unknown


async def test_modern_progress_on_sse(sdk_http_server: str) -> None:
    async with open_http_transport(sdk_http_server) as t:
        peer = Peer(t)
        t.negotiated(protocol_version=MODERN, era="modern")
        params = envelope({"name": "progress", "arguments": {"steps": 2}})
        params["_meta"]["progressToken"] = "tok"
        assert text_of(await peer.request("tools/call", params)) == "done 2"
        assert [p["progress"] for p in peer.progress()] == [1, 2]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_modern_cancel_aborts_the_post_instead_of_posting(sdk_http_server: str, backend: str) -> None:
    sent: list[bytes] = []
    async with open_http_transport(
        sdk_http_server, backend=backend, tap=lambda d, f: sent.append(f) if d == "send" else None
    ) as t:
        t.negotiated(protocol_version=MODERN, era="modern")
        call = {
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": envelope({"name": "slow", "arguments": {"seconds": 5}}),
        }
        await t.send([call])
        await trio.sleep(0.3)
        assert 7 in t._inflight
        await t.send(
            [
                {
                    "jsonrpc": "2.0",
                    "method": "notifications/cancelled",
                    "params": {"requestId": 7, "reason": "x"},
                }
            ]
        )
        await trio.sleep(0.1)
        assert 7 not in t._inflight
        assert not any(b"notifications/cancelled" in frame for frame in sent)
        with trio.move_on_after(0.3):
            items = await t.receive()
            pytest.fail(f"an aborted request delivered {items}")


async def test_modern_unknown_method_is_a_jsonrpc_error_not_an_http_failure(sdk_json_server: str) -> None:
    async with open_http_transport(sdk_json_server) as t:
        t.negotiated(protocol_version=MODERN, era="modern")
        answer = await Peer(t).request("no/such/method", envelope())
        assert answer["error"]["code"] == -32601
        assert "HTTP 404" in t.diagnostics()


def test_header_value_codec() -> None:
    assert encode_header_value("echo") == "echo"
    for value in [" lead", "ünï", "tab\there", "=?base64?ZWNobw==?="]:
        encoded = encode_header_value(value)
        assert encoded.startswith("=?base64?")
        assert decode_header_value(encoded) == value
    assert decode_header_value("=?base64?!!?=") is None


# -- the legacy HTTP+SSE transport -------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("server", ["sdk_sse_server", "everything_sse_server"])
async def test_legacy_sse_list_and_call(server: str, backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(server)
    arg = "message" if server.startswith("everything") else "text"
    async with open_sse_transport(url, backend=backend) as t:
        assert t.endpoint is not None
        assert t.endpoint.startswith(url.rsplit("/", 1)[0])
        peer = Peer(t)
        await peer.handshake("2024-11-05")
        tools = await peer.request("tools/list")
        assert "echo" in {x["name"] for x in tools["result"]["tools"]}
        assert "hi" in text_of(await peer.request("tools/call", {"name": "echo", "arguments": {arg: "hi"}}))


async def test_legacy_sse_refused() -> None:
    with pytest.raises(TransportError, match="cannot connect"):
        async with open_sse_transport(f"http://127.0.0.1:{_closed_port()}/sse"):
            pass


# -- failures, against a canned HTTP server ----------------------------------------------------------
Responder = Callable[[bytes, bytes], bytes]


def http_response(status: int, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


@asynccontextmanager
async def canned_server(respond: Responder) -> AsyncIterator[str]:
    """One HTTP/1.1 server on a free port: ``respond(request head, body)`` gives the raw answer."""

    async def handle(stream: trio.SocketStream) -> None:
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = await stream.receive_some(65536)
                    if not data:
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                while len(buf) < length:
                    buf += await stream.receive_some(65536)
                body, buf = buf[:length], buf[length:]
                await stream.send_all(respond(head, body))
        except trio.BrokenResourceError:
            pass

    async with trio.open_nursery() as nursery:
        listeners = await nursery.start(partial(trio.serve_tcp, handle, 0, host="127.0.0.1"))
        port = listeners[0].socket.getsockname()[1]
        yield f"http://127.0.0.1:{port}/mcp"
        nursery.cancel_scope.cancel()


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def one_request(url: str, backend: str, **kwargs: Any) -> Any:
    async with open_http_transport(url, backend=backend, **kwargs) as t:
        return await Peer(t).request("tools/list", timeout=10)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_connection_refused_fails_the_request(backend: str) -> None:
    failed = await one_request(f"http://127.0.0.1:{_closed_port()}/mcp", backend)
    assert isinstance(failed, Failed)
    assert failed.request_id == 1
    assert type(failed.error) is TransportError
    assert "cannot connect" in str(failed.error)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_http_error_status_with_body_excerpt(backend: str) -> None:
    async with canned_server(lambda h, b: http_response(503, b"overloaded, try later", "text/plain")) as url:
        failed = await one_request(url, backend)
    assert isinstance(failed.error, HttpStatusError)
    assert failed.error.status == 503
    assert str(failed.error) == f"POST {url} (tools/list): HTTP 503: overloaded, try later"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (http_response(200, b"{not json"), "invalid JSON"),
        (http_response(200, b'{"jsonrpc":"2.0","id":999,"result":{}}'), "holds no response for it"),
        (http_response(202, b""), "202 Accepted"),
        (http_response(200, b"<html>", "text/html"), "unexpected answer of type 'text/html'"),
        (
            http_response(
                200,
                b'event: message\ndata: {"jsonrpc":"2.0","method":"notifications/message"}\n\n',
                "text/event-stream",
            ),
            "ended without an answer",
        ),
    ],
)
async def test_bad_answers_fail_the_request(backend: str, answer: bytes, message: str) -> None:
    async with canned_server(lambda h, b: answer) as url:
        failed = await one_request(url, backend)
    assert isinstance(failed, Failed), failed
    assert failed.request_id == 1
    assert isinstance(failed.error, ProtocolError)
    assert message in str(failed.error)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("content_type", ["application/json", "text/event-stream"])
async def test_frames_over_max_frame(backend: str, content_type: str) -> None:
    big = orjson.dumps({"jsonrpc": "2.0", "id": 1, "result": {"x": "y" * 5000}})
    body = big if content_type == "application/json" else b"data: " + big + b"\n\n"
    async with canned_server(lambda h, b: http_response(200, body, content_type)) as url:
        failed = await one_request(url, backend, max_frame=1000)
    assert isinstance(failed.error, FrameTooLarge)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_custom_headers_bearer_token_and_session_id(backend: str) -> None:
    heads: list[bytes] = []

    def respond(head: bytes, body: bytes) -> bytes:
        heads.append(head.lower())
        if not body:
            return http_response(200, b"")
        msg = orjson.loads(body)
        if "id" not in msg:
            return http_response(202, b"")
        answer = orjson.dumps(
            {"jsonrpc": "2.0", "id": msg["id"], "result": {"protocolVersion": "2025-06-18"}}
        )
        return http_response(
            200, answer, extra="mcp-session-id: s-1\r\n" if msg["method"] == "initialize" else ""
        )

    async with (
        canned_server(respond) as url,
        open_http_transport(url, backend=backend, headers={"X-Team": "qa"}, bearer_token="tok") as t,
    ):
        peer = Peer(t)
        await peer.handshake()
        await peer.request("tools/list")
    assert all(b"x-team: qa" in h and b"authorization: bearer tok" in h for h in heads)
    assert b"mcp-session-id" not in heads[0]
    assert all(b"mcp-session-id: s-1" in h and b"mcp-protocol-version: 2025-06-18" in h for h in heads[1:3])
    assert heads[-1].startswith(b"delete ")


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_jsonrpc_error_at_an_http_error_status_is_the_answer(backend: str) -> None:
    error = (
        b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Bad Request: Server not initialized"}}'
    )
    async with canned_server(lambda h, b: http_response(400, error)) as url:
        answer = await one_request(url, backend)
    assert answer == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32600, "message": "Bad Request: Server not initialized"},
    }


async def test_lean_backend_refuses_https() -> None:
    with pytest.raises(UsageError, match="plain http:// only"):
        async with open_http_transport("https://example.com/mcp", backend="lean"):
            pass


async def test_receive_after_close_raises() -> None:
    async with open_http_transport("http://127.0.0.1:1/mcp") as t:
        pass
    with pytest.raises(TransportError, match="closed"):
        await t.receive()
    with pytest.raises(TransportError, match="closed"):
        await t.send([{"jsonrpc": "2.0", "method": "x"}])


# -- time to first byte -----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
async def test_first_byte_is_the_response_head_not_the_answer(
    sdk_http_server: str, sdk_json_server: str, backend: str
) -> None:
    # SSE answers: the head goes out with the first event (the progress `slow` reports before it
    # sleeps), the answer 0.3 s later; JSON answers: the head comes with the body, once the tool is done
    times = {}
    for kind, url in (("sse", sdk_http_server), ("json", sdk_json_server)):
        async with open_client(HttpTarget(url=url, backend=backend)) as client:
            params = {"name": "slow", "arguments": {"seconds": 0.3}}
            reply = await client.exchange("tools/call", params, on_progress=lambda progress: None)
            assert reply.unwrap()["content"][0]["text"] == "slept 0.3"
            assert reply.first_byte_ms is not None
            times[kind] = (reply.first_byte_ms, reply.latency_ms)
    sse_first, sse_total = times["sse"]
    assert sse_first < 150 <= 300 <= sse_total
    json_first, json_total = times["json"]
    assert 300 <= json_first <= json_total


async def test_stdio_cannot_tell_the_first_byte() -> None:
    target = StdioTarget(command=(sys.executable, "-m", "mcpctl", "mock", "serve", "builtin:slack"))
    async with open_client(target) as client:
        reply = await client.exchange("tools/list", {})
    assert reply.error is None
    assert reply.first_byte_ms is None


async def test_the_lean_backend_closes_every_connection_even_in_a_cancelled_scope() -> None:
    async with canned_server(lambda head, body: http_response(200, b"{}")) as url:
        backend = LeanBackend(url, connect_timeout=5)

        async def one() -> None:
            async with backend.exchange("POST", url, [], b"{}") as response:
                assert await response.read(100) == b"{}"

        async with trio.open_nursery() as nursery:  # two at once: two connections, both pooled after
            nursery.start_soon(one)
            nursery.start_soon(one)
        pooled = list(backend._idle)
        assert len(pooled) == 2
        with trio.CancelScope() as scope:
            scope.cancel()  # as when the session's owner was cancelled
            await backend.aclose()
        assert [conn.stream.socket.fileno() for conn in pooled] == [-1, -1]
        # a request still unwinding after the close does not pool its connection again
        await one()
        assert backend._idle == []


# -- requests carried in the caller's task (inline) --------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_inline_request_is_answered_with_its_progress(sdk_http_server: str, backend: str) -> None:
    seen: list[float] = []
    async with open_client(HttpTarget(url=sdk_http_server, backend=backend)) as client:
        params = {"name": "progress", "arguments": {"steps": 3}}
        reply = await client.exchange(
            "tools/call", params, inline=True, on_progress=lambda p: seen.append(p.progress)
        )
        assert reply.unwrap()["content"][0]["text"] == "done 3"
        assert reply.received_ns >= reply.first_byte_ns > reply.sent_ns
        assert not client.session._pending  # nothing left behind
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_an_inline_request_that_times_out_leaves_the_session_usable(
    sdk_json_server: str, backend: str
) -> None:
    async with open_client(HttpTarget(url=sdk_json_server, backend=backend)) as client:
        params = {"name": "slow", "arguments": {"seconds": 5}}
        with trio.fail_after(3):
            late = await client.exchange("tools/call", params, timeout=0.2, inline=True)
        assert isinstance(late.error, RequestTimeout)
        assert str(late.error) == "tools/call: no answer within 0.2s (request cancelled)"
        echo = await client.exchange("tools/call", {"name": "echo", "arguments": {"text": "on"}}, inline=True)
        assert echo.unwrap()["content"][0]["text"] == "on"
