"""``GET /api/v1/events``: the monitor's event log over a WebSocket, from a service probing bundled mocks
(hello, samples, health changes, resuming after a disconnect) and from a log filled by hand (gaps, slow
clients, refusals)."""

from __future__ import annotations

import functools
from pathlib import Path

import httpx
import orjson
import pytest
import trio
from trio_websocket import ConnectionClosed, ConnectionRejected, WebSocketConnection

from mcpctl.cli import watch
from mcpctl.cli.watch import open_event_stream
from mcpctl.engine.monitor import events_ws
from mcpctl.engine.monitor.http import serve_monitor_http
from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service
from mcpctl.observe.events import EventLog
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.monitor_model import MonitorSpec
from testing.paths import ROOT

FAILING = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: failing}
tools:
  - name: echo
    inputSchema: {type: object}
    behaviour: {errorRate: 100%}
    default: {text: ok}
"""
MONITOR = f"""\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {{name: ws}}
health: {{unhealthy: ["error_rate > 20%"]}}
servers:
  - {{server: {{mock: {ROOT / "examples" / "weather.yaml"}}}, name: weather, interval: 300ms, timeout: 200ms}}
  - {{server: {{mock: failing.yaml}}, name: failing, interval: 300ms, timeout: 200ms, probe: {{call: echo}}}}
"""
EMPTY = MonitorSpec(
    metadata=Metadata(name="hand"), servers=(), spec_hash="x", source=Source(path="m.yaml", line=1, column=1)
)


async def _next(ws: WebSocketConnection) -> dict[str, object]:
    with trio.fail_after(10):
        message = orjson.loads(await ws.get_message())
    assert isinstance(message, dict)
    return message


async def _until_health(ws: WebSocketConnection, servers: set[str]) -> list[dict[str, object]]:
    """Messages up to the first health change of each of ``servers``."""
    seen: list[dict[str, object]] = []
    waiting = set(servers)
    while waiting:
        seen.append(await _next(ws))
        if seen[-1]["type"] == "health":
            waiting.discard(str(seen[-1]["server"]))
    return seen


async def _start_service(nursery: trio.Nursery, tmp_path: Path) -> Monitoring:
    (tmp_path / "failing.yaml").write_text(FAILING, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(MONITOR, encoding="utf-8")
    config = ServiceConfig(paths=(str(tmp_path / "monitor.yaml"),), listen=("127.0.0.1", 0))
    monitoring: Monitoring = await nursery.start(functools.partial(run_service, config))
    return monitoring


def _seqs(messages: list[dict[str, object]]) -> list[int]:
    return [int(str(m["seq"])) for m in messages if m["type"] not in ("hello", "gap")]


async def test_hello_then_samples_and_health_changes_then_resume_without_loss(tmp_path: Path) -> None:
    async with trio.open_nursery() as nursery:
        monitoring = await _start_service(nursery, tmp_path)
        url = f"ws://127.0.0.1:{monitoring.port}/api/v1/events"
        async with open_event_stream(f"{url}?since=0") as ws:
            hello = await _next(ws)
            first = await _until_health(ws, {"weather", "failing"})
            await ws.ping()
        assert ws.closed is not None  # a clean close handshake
        assert ws.closed.code == 1000
        last = _seqs(first)[-1]
        await monitoring.events.wait_after(last + 6)  # events go on while nobody listens
        async with open_event_stream(f"{url}?since={last}") as ws:
            again = await _next(ws)
            second = [await _next(ws) for _ in range(6)]
        nursery.cancel_scope.cancel()

    assert hello["type"] == "hello"
    assert isinstance(hello["seq"], int)
    status = hello["status"]
    assert isinstance(status, dict)
    assert (status["monitor"], [s["name"] for s in status["servers"]]) == ("ws", ["weather", "failing"])
    assert _seqs(first) == list(range(1, len(first) + 1))  # since=0: every event, in order
    kinds = {(m["type"], m.get("server")) for m in first}
    assert {("sample", "weather"), ("sample", "failing"), ("health", "weather")} <= kinds
    changes = {m["server"]: (m["from"], m["to"]) for m in first if m["type"] == "health"}
    assert changes == {"weather": (None, "healthy"), "failing": (None, "unhealthy")}
    sample = next(m for m in first if m["type"] == "sample" and m["server"] == "failing")
    assert (sample["outcome"], sample["health"], sample["message"]) == (
        "error",
        "unhealthy",
        "request failed with JSON-RPC error -32603: Internal error (injected by mock)",
    )
    assert again["type"] == "hello"
    assert isinstance(again["seq"], int)
    assert again["seq"] >= last + 6
    assert _seqs(second) == list(range(last + 1, last + 7))  # nothing missed, nothing repeated


async def _serve(nursery: trio.Nursery, state: MonitorState) -> str:
    port = await nursery.start(serve_monitor_http, state, "127.0.0.1", 0)
    return f"ws://127.0.0.1:{port}/api/v1/events"


async def test_a_since_older_than_the_log_reports_the_gap() -> None:
    state = MonitorState(EMPTY, events=EventLog(capacity=5))
    for n in range(20):
        state.events.append("error", {"message": f"failure {n + 1}"})
    async with trio.open_nursery() as nursery:
        url = await _serve(nursery, state)
        async with open_event_stream(f"{url}?since=3") as ws:
            messages = [await _next(ws) for _ in range(7)]
        async with open_event_stream(url) as ws:  # no since: only what comes next
            live = await _next(ws)
            state.events.append("reload", {"ok": True, "files": ["m.yaml"], "error": None})
            reload = await _next(ws)
        nursery.cancel_scope.cancel()
    assert [m["type"] for m in messages[:2]] == ["hello", "gap"]
    assert (messages[0]["seq"], messages[1]) == (20, {"type": "gap", "missed": 12})
    assert [(m["seq"], m["message"]) for m in messages[2:]] == [(n, f"failure {n}") for n in range(16, 21)]
    assert (live["type"], live["seq"]) == ("hello", 20)
    assert (reload["seq"], reload["type"], reload["files"]) == (21, "reload", ["m.yaml"])


async def test_a_client_that_falls_behind_is_closed_with_1008(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_ws, "MAX_LAG", 3)
    state = MonitorState(EMPTY)
    async with trio.open_nursery() as nursery:
        url = await _serve(nursery, state)
        async with open_event_stream(url) as ws:
            await _next(ws)
            for n in range(10):  # at once: the sender wakes to find 10 due
                state.events.append("error", {"message": f"failure {n}"})
            with pytest.raises(ConnectionClosed) as closed:
                await _next(ws)
        nursery.cancel_scope.cancel()
    assert (closed.value.reason.code, closed.value.reason.reason) == (
        1008,
        "too slow: 10 events behind (at most 3)",
    )


async def test_the_stream_says_goodbye_when_the_monitor_stops() -> None:
    state = MonitorState(EMPTY)
    async with trio.open_nursery() as nursery:
        server = trio.CancelScope()

        async def serve(task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
            with server:
                await serve_monitor_http(state, "127.0.0.1", 0, task_status=task_status)

        port = await nursery.start(serve)
        async with open_event_stream(f"ws://127.0.0.1:{port}/api/v1/events") as ws:
            await _next(ws)
            server.cancel()
            with pytest.raises(ConnectionClosed) as closed:
                await _next(ws)
    assert (closed.value.reason.code, closed.value.reason.reason) == (1001, "monitor stopping")


async def test_refusals_come_before_the_upgrade() -> None:
    state = MonitorState(EMPTY)
    async with trio.open_nursery() as nursery:
        url = await _serve(nursery, state)
        with pytest.raises(ConnectionRejected) as foreign:
            async with open_event_stream(url, headers=[(b"origin", b"https://evil.example")]):
                pass
        with pytest.raises(ConnectionRejected) as bad_since:
            async with open_event_stream(f"{url}?since=last"):
                pass
        async with httpx.AsyncClient() as http:
            plain = await http.get(url.replace("ws://", "http://"))
        nursery.cancel_scope.cancel()
    assert (foreign.value.status_code, orjson.loads(foreign.value.body or b"")) == (
        403,
        {"error": "Forbidden: Origin not allowed"},
    )
    assert (bad_since.value.status_code, orjson.loads(bad_since.value.body or b"")) == (
        400,
        {"error": "GET /api/v1/events: since='last': expected the seq of the last event seen (0 or more)"},
    )
    assert (plain.status_code, plain.headers["upgrade"], plain.json()) == (
        426,
        "websocket",
        {"error": "GET /api/v1/events is a WebSocket: send Upgrade: websocket"},
    )


async def test_the_watch_client_reconnects_after_the_last_event_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_ws, "MAX_LAG", 3)
    monkeypatch.setattr(watch, "BACKOFF", (0.0,))
    state = MonitorState(EMPTY)
    state.events.append("error", {"message": "before"})
    received: list[dict[str, object]] = []
    notes: list[str] = []
    hello, twelve = trio.Event(), trio.Event()

    def emit(message: dict[str, object]) -> None:
        received.append(message)
        hello.set()
        if message.get("seq") == 12 and message["type"] != "hello":
            twelve.set()

    async with trio.open_nursery() as nursery:
        url = await _serve(nursery, state)
        async with trio.open_nursery() as client:  # stopped first: its close handshake needs the server
            client.start_soon(functools.partial(watch.follow_socket, url, emit, notes.append, since=1))
            with trio.fail_after(10):
                await hello.wait()
                for n in range(11):  # at once: too many for the server, which closes; the client comes back
                    state.events.append("error", {"message": f"failure {n}"})
                await twelve.wait()
            client.cancel_scope.cancel()
        nursery.cancel_scope.cancel()
    assert [m["type"] for m in received if m["type"] == "hello"] == ["hello", "hello"]
    assert [m["seq"] for m in received if m["type"] != "hello"] == list(range(2, 13))
    assert notes == [
        "connection lost (code 1008: too slow: 11 events behind (at most 3)); reconnecting in 0s after event 1"
    ]
