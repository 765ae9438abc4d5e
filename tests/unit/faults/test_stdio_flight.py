"""The stdio proxy's pure parts: requests in flight and their answers, and the line pipes."""

from __future__ import annotations

import json

import trio
import trio.testing

from mcpctl.engine.faults.injector import Decision, Injector, Request
from mcpctl.engine.faults.stdio_flight import InFlight, rate_limited
from mcpctl.engine.faults.stdio_upstream import LineReader, Outlet

CALL = Request(method="tools/call", id=7, tool="weather", arguments={"city": "Paris"})
ANSWER = b'{"jsonrpc":"2.0","id":7,"result":{"content":[],"structuredContent":{"temp":1}}}'


def flight(*, track_all: bool = False) -> tuple[InFlight, list[dict[str, object]]]:
    log: list[dict[str, object]] = []
    return InFlight(Injector([], sink=log.append, track_calls=True), track_all=track_all), log


def relayed(inflight: InFlight, line: bytes) -> tuple[bool, list[bytes]]:
    out: list[bytes] = []
    return inflight.relay(line, out), out


def test_a_passing_request_is_not_kept_unless_crashes_need_it() -> None:
    inflight, log = flight()
    inflight.forwarding(CALL, None)
    assert inflight.calls == {}
    assert [entry["event"] for entry in log] == ["call"]
    tracked, _ = flight(track_all=True)
    tracked.forwarding(CALL, None)
    assert relayed(tracked, ANSWER) == (True, [ANSWER + b"\n"])
    assert tracked.calls == {}


def test_frames_of_no_kept_request_are_relayed_as_they_are() -> None:
    inflight, _ = flight()
    inflight.forwarding(CALL, Decision(action="hang", fault="stall"))
    for line in (b"{oops", b"[1, 2]", b'{"jsonrpc":"2.0","method":"notifications/progress"}', b'{"id":[1]}'):
        assert relayed(inflight, line) == (True, [line + b"\n"])
    assert list(inflight.calls) == [7]


def test_tools_list_answers_teach_the_injector_output_schemas() -> None:
    inflight, _ = flight()
    inflight.forwarding(Request(method="tools/list", id="t"), None)
    answer = {
        "jsonrpc": "2.0",
        "id": "t",
        "result": {"tools": [{"name": "weather", "outputSchema": {"type": "object"}}]},
    }
    line = json.dumps(answer).encode()
    assert relayed(inflight, line) == (True, [line + b"\n"])
    assert inflight.injector.output_schema("weather") == {"type": "object"}


def test_a_malformed_answer_is_spoiled() -> None:
    inflight, _ = flight()
    inflight.forwarding(CALL, Decision(action="malformed", fault="m", malformed="duplicate", size=0))
    ok, out = relayed(inflight, ANSWER)
    assert ok
    assert len(out) == 2
    assert out[0] == out[1]
    assert json.loads(out[0]) == json.loads(ANSWER)


def test_a_hung_answer_is_dropped_and_a_reset_drops_the_connection() -> None:
    inflight, log = flight()
    inflight.forwarding(CALL, Decision(action="hang", fault="stall"))
    assert relayed(inflight, ANSWER) == (True, [])
    inflight.forwarding(CALL, Decision(action="reset", fault="drop"))
    assert relayed(inflight, ANSWER) == (False, [])
    assert [(entry["event"], entry.get("fault")) for entry in log] == [
        ("call", None),
        ("lost", "stall"),
        ("call", None),
        ("lost", "drop"),
    ]


def test_a_cancelled_plain_request_is_forgotten_a_faulted_one_kept() -> None:
    inflight, _ = flight(track_all=True)
    inflight.forwarding(CALL, None)
    inflight.forwarding(
        Request(method="tools/call", id=8, tool="weather"), Decision(action="hang", fault="h")
    )
    inflight.cancelled({"requestId": 7})
    inflight.cancelled({"requestId": 8})
    inflight.cancelled("nonsense")
    assert list(inflight.calls) == [8]


async def test_a_crash_answers_what_was_in_flight_but_hung_and_own_requests() -> None:
    inflight, log = flight(track_all=True)
    inflight.forwarding(CALL, None)
    inflight.forwarding(
        Request(method="tools/call", id=8, tool="weather"), Decision(action="hang", fault="h")
    )
    answered = inflight.own("mine")
    (answer,) = inflight.crashed("boom")
    assert json.loads(answer) == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32603, "message": "Server crashed (fault boom); mcpctl proxy is restarting it"},
    }
    assert inflight.calls == {}
    assert not answered.is_set()
    assert [(entry["event"], entry.get("fault")) for entry in log if entry["event"] == "lost"] == [
        ("lost", "boom"),
        ("lost", "h"),
    ]


async def test_the_answer_to_an_own_request_is_swallowed() -> None:
    inflight, _ = flight()
    answered = inflight.own("mcpctl-proxy-initialize-2")
    assert relayed(inflight, b'{"jsonrpc":"2.0","id":"mcpctl-proxy-initialize-2","result":{}}') == (True, [])
    assert answered.is_set()


def test_a_rate_limited_request_is_refused_with_retry_after() -> None:
    frame = rate_limited(CALL, Decision(action="rate_limit", fault="bucket", retry_after=0.24999))
    assert frame == (
        b'{"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"Rate limited by mcpctl proxy '
        b'(fault bucket): retry after 0.250s","data":{"retryAfter":0.25}}}\n'
    )


async def test_lines_are_cut_at_newlines_across_reads() -> None:
    send, receive = trio.testing.memory_stream_one_way_pair()
    reader = LineReader(receive)
    await send.send_all(b'{"a":')
    await send.send_all(b'1}\n{"b":2}\r\n{"c"')
    assert await reader.lines() == [b'{"a":1}', b'{"b":2}\r']
    await send.send_all(b":3")
    await send.aclose()
    assert await reader.lines() is None
    assert reader.rest == b'{"c":3'


async def test_an_outlet_writes_in_order_and_drops_writes_after_closing() -> None:
    send, receive = trio.testing.memory_stream_one_way_pair()
    outlet = Outlet(send)
    async with trio.open_nursery() as nursery:
        for n in range(3):
            nursery.start_soon(outlet.write, b"%d\n" % n)
    assert sorted((await receive.receive_some()).split()) == [b"0", b"1", b"2"]
    await outlet.aclose()
    await outlet.write(b"late\n")
    assert await receive.receive_some() == b""
