"""The session and negotiation on the in-memory pair: routing, errors, timeouts, eras."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import trio
import trio.testing

from mcpctl.errors import ProtocolError, RequestTimeout, RpcError, ServerExited, UsageError
from mcpctl.mcp.client import Client
from mcpctl.mcp.negotiate import negotiate
from mcpctl.mcp.pipeline import run_closed_loop
from mcpctl.mcp.results import Progress
from mcpctl.mcp.session import ClientOptions, ClientSession
from mcpctl.mcp.transports.memory import ServerEnd, memory_pair

Body = Callable[[ClientSession, ServerEnd], Awaitable[None]]


@pytest.fixture
async def pair() -> AsyncIterator[tuple[ClientSession, ServerEnd]]:
    transport, server = memory_pair()
    session = ClientSession(transport, ClientOptions(timeout=5))
    async with trio.open_nursery() as nursery:
        nursery.start_soon(session.run_reader)
        yield session, server
        nursery.cancel_scope.cancel()


def answer(msg: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg["id"], "result": result}


async def test_answers_are_matched_by_id_in_any_order(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    results: dict[str, Any] = {}

    async def ask(name: str) -> None:
        results[name] = await session.request("tools/call", {"name": name})

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ask, "a")
        nursery.start_soon(ask, "b")
        first, second = await server.receive(), await server.receive()
        await server.send(answer(second, {"who": second["params"]["name"]}))
        await server.send(answer(first, {"who": first["params"]["name"]}))
    assert results == {"a": {"who": "a"}, "b": {"who": "b"}}


async def test_a_batch_of_answers_resolves_each(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:
        got: list[Any] = []

        async def ask() -> None:
            got.append(await session.request("ping"))

        nursery.start_soon(ask)
        nursery.start_soon(ask)
        one, two = await server.receive(), await server.receive()
        await server.send([answer(one, {"n": 1}), answer(two, {"n": 2})])
    assert sorted(g["n"] for g in got) == [1, 2]


async def test_error_object_becomes_rpc_error(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            msg = await server.receive()
            error = {"code": -32602, "message": "bad params", "data": {"field": "x"}}
            await server.send({"jsonrpc": "2.0", "id": msg["id"], "error": error})

        nursery.start_soon(serve)
        with pytest.raises(RpcError) as info:
            await session.request("tools/call", {"name": "t"})
    assert (info.value.code, info.value.rpc_message, info.value.data) == (
        -32602,
        "bad params",
        {"field": "x"},
    )
    assert str(info.value) == "tools/call: server error -32602: bad params"


async def test_timeout_cancels_on_the_server(
    pair: tuple[ClientSession, ServerEnd], autojump_clock: trio.testing.MockClock
) -> None:
    session, server = pair
    with pytest.raises(RequestTimeout, match="tools/call: no answer within 2s"):
        await session.request("tools/call", {"name": "slow"}, timeout=2)
    request = server.receive_nowait()
    cancel = server.receive_nowait()
    assert cancel["method"] == "notifications/cancelled"
    assert cancel["params"] == {"requestId": request["id"], "reason": "timed out after 2s"}
    # the server may answer before it reads the cancellation: that late answer is dropped, the
    # session stays usable (on stdio an unknown id would otherwise fail everything pending)
    await server.send(answer(request, {}))
    await trio.sleep(0.1)
    assert (session.late_answers, list(session.protocol_errors)) == (1, [])

    async def serve_next() -> None:
        msg = await server.receive()
        await server.send(answer(msg, {"ok": True}))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve_next)
        assert await session.request("tools/list") == {"ok": True}
    # an id never sent is still a server bug
    await server.send({"jsonrpc": "2.0", "id": 999, "result": {}})
    await trio.sleep(0.1)
    assert "unknown request id 999" in str(session.protocol_errors[-1])


async def test_initialize_and_discover_are_never_cancelled(
    pair: tuple[ClientSession, ServerEnd], autojump_clock: trio.testing.MockClock
) -> None:
    session, server = pair
    with pytest.raises(RequestTimeout):
        await session.request("initialize", {}, timeout=1)
    server.receive_nowait()
    with pytest.raises(trio.WouldBlock):
        server.receive_nowait()


async def test_progress_goes_to_the_callback_of_its_request(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    seen: list[Progress] = []
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            msg = await server.receive()
            token = msg["params"]["_meta"]["progressToken"]
            for step in (1, 2):
                note = {"progressToken": token, "progress": step, "total": 2, "message": f"s{step}"}
                await server.send({"jsonrpc": "2.0", "method": "notifications/progress", "params": note})
            other = {"progressToken": "someone-else", "progress": 9}
            await server.send({"jsonrpc": "2.0", "method": "notifications/progress", "params": other})
            await server.send(answer(msg, {"content": []}))

        nursery.start_soon(serve)
        await session.request("tools/call", {"name": "p"}, on_progress=seen.append)
    assert seen == [Progress(progress=1, total=2, message="s1"), Progress(progress=2, total=2, message="s2")]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("ping", {"result": {}}),
        ("roots/list", {"result": {"roots": []}}),  # not declared: an empty list, not an error
        ("sampling/createMessage", {"error": -32601}),
        ("elicitation/create", {"error": -32601}),
        ("no/such", {"error": -32601}),
    ],
)
async def test_server_requests_are_answered(
    pair: tuple[ClientSession, ServerEnd], method: str, expected: dict[str, Any]
) -> None:
    _, server = pair
    await server.send({"jsonrpc": "2.0", "id": "srv-1", "method": method, "params": {}})
    reply = await server.receive()
    assert reply["id"] == "srv-1"
    if "result" in expected:
        assert reply["result"] == expected["result"]
    else:
        assert reply["error"]["code"] == expected["error"]


async def test_canned_replies_and_roots() -> None:
    transport, server = memory_pair()
    options = ClientOptions(
        roots=({"uri": "file:///p", "name": "p"},),
        sampling_reply={"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "m"},
        elicitation_reply="defaults",
    )
    session = ClientSession(transport, options)
    assert set(options.capabilities()) == {"roots", "sampling", "elicitation"}
    async with trio.open_nursery() as nursery:
        nursery.start_soon(session.run_reader)
        await server.send({"jsonrpc": "2.0", "id": 1, "method": "roots/list"})
        assert (await server.receive())["result"] == {"roots": [{"uri": "file:///p", "name": "p"}]}
        await server.send({"jsonrpc": "2.0", "id": 2, "method": "sampling/createMessage", "params": {}})
        assert (await server.receive())["result"]["model"] == "m"
        schema = {"properties": {"name": {"type": "string", "default": "Ann"}, "age": {"type": "integer"}}}
        params = {"message": "who?", "requestedSchema": schema}
        await server.send({"jsonrpc": "2.0", "id": 3, "method": "elicitation/create", "params": params})
        assert (await server.receive())["result"] == {"action": "accept", "content": {"name": "Ann"}}
        nursery.cancel_scope.cancel()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b'{"jsonrpc": "2.0", "id": 1, "result": {oops', "server sent invalid JSON"),
        (b'{"jsonrpc": "2.0", "id": 77, "result": {}}', "unknown request id 77"),
        (b'"a string"', "must be an object"),
        (b'{"jsonrpc": "2.0", "id": 1}', "invalid JSON-RPC message"),
    ],
)
async def test_garbage_fails_what_is_pending(
    pair: tuple[ClientSession, ServerEnd], frame: bytes, message: str
) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            await server.receive()
            await server.send(frame)

        nursery.start_soon(serve)
        with trio.fail_after(5), pytest.raises(ProtocolError, match=message):
            await session.request("tools/call", {"name": "x"})


async def test_a_closed_connection_fails_pending_and_later_requests(
    pair: tuple[ClientSession, ServerEnd],
) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            await server.receive()
            await server.aclose()

        nursery.start_soon(serve)
        with pytest.raises(ServerExited):
            await session.request("tools/call", {"name": "x"})
    with pytest.raises(ServerExited):
        await session.request("ping")
    assert session.closed is not None


async def test_closed_loop_keeps_depth_in_flight(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    in_flight: list[int] = []
    pending: list[dict[str, Any]] = []

    async def serve() -> None:
        answered = 0
        while answered < 100:
            pending.append(await server.receive())
            with trio.move_on_after(0):
                while True:
                    pending.append(await server.receive())
            in_flight.append(len(pending))
            for msg in pending:
                await server.send(answer(msg, {"ok": True}))
            answered += len(pending)
            pending.clear()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(serve)
        stats = await run_closed_loop(session, lambda i: ("ping", {"i": i}), depth=8, count=100)
    assert (stats.sent, stats.ok, stats.failed) == (100, 100, 0)
    assert max(in_flight) <= 8


# -- negotiation ------------------------------------------------------------------------------
async def serve_handshake(
    server: ServerEnd, *, discover: dict[str, Any] | None, version: str = "2025-11-25"
) -> list[str]:
    methods = []
    while True:
        msg = await server.receive()
        methods.append(msg["method"])
        if msg["method"] == "server/discover":
            if discover is None:
                error = {"code": -32601, "message": "Method not found"}
                await server.send({"jsonrpc": "2.0", "id": msg["id"], "error": error})
            else:
                await server.send(discover if "error" in discover else answer(msg, discover))
        elif msg["method"] == "initialize":
            init = {"protocolVersion": version, "capabilities": {"tools": {}}, "serverInfo": {"name": "s"}}
            await server.send(answer(msg, init))
        elif msg["method"] == "notifications/initialized":
            return methods


async def test_auto_falls_back_to_the_handshake(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:
        seen: list[list[str]] = []

        async def serve() -> None:
            seen.append(await serve_handshake(server, discover=None))

        nursery.start_soon(serve)
        n = await negotiate(session, "auto")
    assert seen == [["server/discover", "initialize", "notifications/initialized"]]
    assert (n.era, n.protocol_version, n.probe) == (
        "handshake",
        "2025-11-25",
        "server/discover → error -32601 → initialize",
    )


async def test_discover_adopts_the_modern_era_and_stamps_every_request(
    pair: tuple[ClientSession, ServerEnd],
) -> None:
    session, server = pair
    discover = {
        "supportedVersions": ["2026-07-28"],
        "capabilities": {"tools": {}},
        "resultType": "complete",
        "ttlMs": 0,
        "cacheScope": "public",
        "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "modern", "version": "2"}},
    }
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            msg = await server.receive()
            assert msg["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
            await server.send(answer(msg, discover))
            call = await server.receive()
            meta = call["params"]["_meta"]
            assert meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
            assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "mcpctl"
            assert "io.modelcontextprotocol/clientCapabilities" in meta
            await server.send(answer(call, {"tools": []}))

        nursery.start_soon(serve)
        n = await negotiate(session, "auto")
        assert (n.era, n.protocol_version, n.server_info["name"]) == ("modern", "2026-07-28", "modern")
        assert await session.request("tools/list") == {"tools": []}


async def test_modern_only_server_with_no_mutual_revision(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            msg = await server.receive()
            data = {"supported": ["2099-01-01"], "requested": "2026-07-28"}
            error = {"code": -32022, "message": "Unsupported protocol version", "data": data}
            await server.send({"jsonrpc": "2.0", "id": msg["id"], "error": error})

        nursery.start_soon(serve)
        with pytest.raises(ProtocolError, match="server speaks only 2099-01-01"):
            await negotiate(session, "auto")


async def test_pinned_revision_skips_the_probe(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:
        seen: list[list[str]] = []

        async def serve() -> None:
            seen.append(await serve_handshake(server, discover=None, version="2024-11-05"))

        nursery.start_soon(serve)
        n = await negotiate(session, "2024-11-05")
    assert seen == [["initialize", "notifications/initialized"]]
    assert n.protocol_version == "2024-11-05"


async def test_unknown_pinned_revision_is_a_usage_error(pair: tuple[ClientSession, ServerEnd]) -> None:
    with pytest.raises(UsageError, match="unknown protocol revision '2023-01-01'"):
        await negotiate(pair[0], "2023-01-01")


async def test_a_server_choosing_an_unknown_revision(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: serve_handshake(server, discover=None, version="1999-01-01"))
        with pytest.raises(ProtocolError, match="server chose protocol revision '1999-01-01'"):
            await negotiate(session, "2025-11-25")
        nursery.cancel_scope.cancel()


async def test_input_required_is_answered_and_the_call_retried(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, server = pair
    session.adopt(protocol_version="2026-07-28", era="modern")
    client = Client(session, negotiated=None)  # type: ignore[arg-type]
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            first = await server.receive()
            ask = {"method": "ping", "params": {}}
            await server.send(
                answer(
                    first, {"resultType": "input_required", "inputRequests": {"k": ask}, "requestState": "s1"}
                )
            )
            second = await server.receive()
            assert second["params"]["inputResponses"] == {"k": {}}
            assert second["params"]["requestState"] == "s1"
            await server.send(answer(second, {"content": [{"type": "text", "text": "done"}]}))

        nursery.start_soon(serve)
        result = await client.call_tool("t", {})
    assert result.text == "done"


async def test_batches_need_protocol_2025_03_26(pair: tuple[ClientSession, ServerEnd]) -> None:
    session, _ = pair
    session.adopt(protocol_version="2025-11-25", era="handshake")
    with pytest.raises(UsageError, match="JSON-RPC batches exist only in protocol 2025-03-26"):
        await session.request_batch([("ping", None)])


async def test_a_batch_is_answered_in_order_and_times_out_per_request(
    pair: tuple[ClientSession, ServerEnd], autojump_clock: trio.testing.MockClock
) -> None:
    session, server = pair
    session.adopt(protocol_version="2025-03-26", era="handshake")
    async with trio.open_nursery() as nursery:

        async def serve() -> None:
            first, second, _third = [await server.receive() for _ in range(3)]
            # answered together, out of order; the third never
            await server.send([answer(second, {"n": 2}), answer(first, {"n": 1})])

        nursery.start_soon(serve)
        replies = await session.request_batch([("a", None), ("b", None), ("c", None)], timeout=3)
    assert [r.result for r in replies[:2]] == [{"n": 1}, {"n": 2}]
    assert isinstance(replies[2].error, RequestTimeout)
    cancel = server.receive_nowait()
    assert cancel["params"]["requestId"] == replies[2].request_id
