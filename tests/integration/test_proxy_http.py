"""The HTTP fault proxy between real clients and real servers: transparent with no faults, and each
fault model measured from a client through it (the mock over HTTP and the SDK server upstream)."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import pytest
import trio
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from mcpctl.engine.expect import check_output_schema
from mcpctl.engine.faults.http_proxy import serve_http_proxy
from mcpctl.engine.faults.injector import Injector
from mcpctl.errors import (
    FrameTooLarge,
    HttpStatusError,
    McpctlError,
    ProtocolError,
    RequestTimeout,
    RpcError,
    TransportError,
    UsageError,
)
from mcpctl.mcp.client import Client, HttpTarget, open_client
from mcpctl.mcp.results import Progress
from mcpctl.spec.fault_model import (
    CrashFault,
    Fault,
    FaultParams,
    HangFault,
    LatencyFault,
    MalformedFault,
    MalformedKind,
    RateLimitFault,
    ResetFault,
    SlowStartFault,
    kind_of,
)
from mcpctl.spec.mock_model import Latency
from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration, Rate
from testing.paths import PYTHON, ROOT
from tests.integration.conftest import free_port, start_server

DEMO = str(ROOT / "tests" / "data" / "mocks" / "demo.yaml")
SOURCE = Source(path="faults.yaml", line=1, column=1)
PARIS = {"city": "Paris"}
# The SDK client stops reading a POST's event stream at the answer and leaves httpx's async
# generators to the garbage collector: silent under asyncio, a ResourceWarning under trio.
SDK_UNDER_TRIO = pytest.mark.filterwarnings(
    r"ignore:Exception ignored in. <async_generator object (EventSource|PoolByteStream|Response)\."
    r":pytest.PytestUnraisableExceptionWarning"
)


def fault(name: str, params: FaultParams, **options: Any) -> Fault:
    return Fault(name=name, kind=kind_of(params), params=params, source=SOURCE, **options)


@pytest.fixture(scope="module", params=["json", "sse"])
def mock_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """`mcpctl mock serve` over HTTP, answering POSTs with JSON or with SSE streams."""
    port = free_port()
    flags = ["--json-response"] if request.param == "json" else []
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", DEMO, "--http", f"127.0.0.1:{port}", *flags]
    with start_server(argv, port=port, path="/mcp") as server:
        yield server.url


@pytest.fixture(scope="module")
def mock_json_url() -> Iterator[str]:
    port = free_port()
    argv = [PYTHON, "-m", "mcpctl", "mock", "serve", DEMO, "--http", f"127.0.0.1:{port}", "--json-response"]
    with start_server(argv, port=port, path="/mcp") as server:
        yield server.url


@asynccontextmanager
async def proxy(upstream: str, faults: Sequence[Fault] = ()) -> AsyncIterator[tuple[str, Injector]]:
    """The proxy in front of ``upstream``, in this test's trio run; its URL and its injector."""
    injector = Injector(faults, seed=7, track_calls=True)
    async with trio.open_nursery() as nursery:
        port = await nursery.start(partial(serve_http_proxy, upstream, injector))
        yield f"http://127.0.0.1:{port}/mcp", injector
        nursery.cancel_scope.cancel()


def events(injector: Injector, kind: str = "fault") -> list[dict[str, object]]:
    return [e for e in injector.events if e["event"] == kind]


# -- no faults: transparent -------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["httpx", "lean"])
async def test_mcpctl_client_through_the_proxy(mock_url: str, backend: Any) -> None:
    async with (
        proxy(mock_url) as (url, injector),
        open_client(HttpTarget(url=url, backend=backend)) as client,
    ):
        assert client.negotiated.server_info["name"] == "demo-mock"
        assert [t["name"] for t in await client.list_tools()] == ["weather"]
        result = await client.call_tool("weather", PARIS)
        assert (result.text, result.structured_content) == ("Sunny in Paris", {"temp": 21, "sky": "sunny"})
        assert (await client.read_resource("city://Lyon"))["contents"][0]["text"] == '{"city": "Lyon"}'
        assert await client.ping() > 0
    assert events(injector, "call")[0]["tool"] == "weather"  # forwarded calls are tracked
    assert injector.output_schema("weather") == {  # learned from the relayed tools/list
        "type": "object",
        "properties": {"temp": {"type": "number"}, "sky": {"type": "string"}},
        "required": ["temp", "sky"],
    }


async def test_progress_streams_through_before_the_answer(sdk_http_server: str) -> None:
    async with proxy(sdk_http_server) as (url, _), open_client(HttpTarget(url=url)) as client:
        seen: list[tuple[float, float]] = []

        def on_progress(progress: Progress) -> None:
            seen.append((progress.progress, trio.current_time()))

        result = await client.call_tool("progress", {"steps": 3}, on_progress=on_progress)
        answered = trio.current_time()
        assert result.text == "done 3"
        assert [p for p, _ in seen] == [1.0, 2.0, 3.0]
        assert all(at <= answered for _, at in seen)
        # a slow tool's first event reaches the client long before its answer: nothing is buffered
        started = trio.current_time()
        first: list[float] = []
        await client.call_tool(
            "slow", {"seconds": 0.5}, on_progress=lambda _: first.append(trio.current_time() - started)
        )
        assert first
        assert first[0] < 0.4


@SDK_UNDER_TRIO
async def test_sdk_client_through_the_proxy(sdk_http_server: str) -> None:
    with trio.fail_after(20):
        async with (
            proxy(sdk_http_server) as (url, _),
            streamable_http_client(url) as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            assert init.server_info.name == "mcpctl-sdk-echo"
            assert "echo" in [t.name for t in (await session.list_tools()).tools]
            seen: list[float] = []

            async def progress(value: float, total: float | None, message: str | None) -> None:
                seen.append(value)

            result = await session.call_tool("progress", {"steps": 2}, progress_callback=progress)
            assert result.content[0].text == "done 2"  # type: ignore[union-attr]
            assert seen == [1.0, 2.0]


async def test_an_upstream_that_is_down_is_a_502() -> None:
    async with proxy(f"http://127.0.0.1:{free_port()}/mcp") as (url, _):
        with pytest.raises(HttpStatusError) as caught:
            async with open_client(HttpTarget(url=url)):
                pass
    assert caught.value.status == 502
    assert "mcpctl proxy: upstream http://127.0.0.1:" in caught.value.body


async def test_https_upstreams_are_refused() -> None:
    with pytest.raises(UsageError) as caught:
        await serve_http_proxy("https://example.com/mcp", Injector([]))
    assert str(caught.value) == (
        "upstream 'https://example.com/mcp': the HTTP fault proxy forwards to plain http:// servers only "
        "(put it in front of the TLS terminator, or use a http:// address of the server)"
    )


# -- each fault model ---------------------------------------------------------------------------------


async def _median_call(client: Client, count: int = 7) -> float:
    times = []
    for _ in range(count):
        started = trio.current_time()
        await client.call_tool("weather", PARIS)
        times.append(trio.current_time() - started)
    return statistics.median(times)


async def test_latency_adds_its_delay(mock_json_url: str) -> None:
    lag = fault("lag", LatencyFault(latency=Latency(value=Duration(seconds=0.2))), tools=("weather",))
    async with proxy(mock_json_url, [lag]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        delayed = await _median_call(client)
        injector.set_enabled("lag", False)
        plain = await _median_call(client)
    assert 0.18 <= delayed - plain <= 0.22, (delayed, plain)
    assert events(injector)[0]["detail"] == "delayed 200.0ms"


@pytest.mark.parametrize("when", ["before", "after"])
async def test_reset_drops_the_call(mock_url: str, when: Any) -> None:
    drop = fault("drop", ResetFault(when=when), tools=("weather",), times=1)
    async with proxy(mock_url, [drop]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        with trio.fail_after(5), pytest.raises(TransportError):
            await client.call_tool("weather", PARIS)
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
    lost = events(injector, "lost")
    assert [e["fault"] for e in lost] == (["drop"] if when == "after" else [])
    assert len(events(injector, "call")) == (2 if when == "after" else 1)


@pytest.mark.parametrize("forward", [True, False])
async def test_hang_runs_into_the_client_timeout(mock_url: str, forward: bool) -> None:
    stall = fault("stall", HangFault(forward=forward), tools=("weather",), times=1)
    async with proxy(mock_url, [stall]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        started = trio.current_time()
        with pytest.raises(RequestTimeout):
            await client.call_tool("weather", PARIS, timeout=0.4)
        assert 0.4 <= trio.current_time() - started < 1.0
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
    assert [e["fault"] for e in events(injector, "lost")] == (["stall"] if forward else [])


async def test_rate_limit_answers_429_then_lets_calls_through(mock_url: str) -> None:
    limit = fault("limit", RateLimitFault(rate=Rate(per_second=4.0), burst=1), tools=("weather",))
    async with proxy(mock_url, [limit]) as (url, _), open_client(HttpTarget(url=url)) as client:
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
        with pytest.raises(RpcError) as caught:
            await client.call_tool("weather", PARIS)
        # mcpctl's client reads the 429's JSON-RPC error body as the call's answer
        retry = caught.value.data["retryAfter"]
        assert 0.2 < retry <= 0.25
        assert caught.value.code == -32000
        assert (
            caught.value.rpc_message
            == f"Rate limited by mcpctl proxy (fault limit): retry after {retry:.3f}s"
        )
        await trio.sleep(retry)
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
        # on the wire: a 429 with Retry-After in whole seconds
        async with httpx.AsyncClient() as http:
            body = {"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "weather"}}
            await http.post(url, json=body)  # takes the token the bucket refilled
            answer = await http.post(url, json=body)
    assert (answer.status_code, answer.headers["retry-after"]) == (429, "1")
    assert answer.json()["id"] == 9
    assert answer.json()["error"]["code"] == -32000


MALFORMED: dict[str, type[McpctlError] | None] = {
    "invalid_json": ProtocolError,
    "wrong_id": ProtocolError,
    "truncated": TransportError,
    "oversize": FrameTooLarge,
    "duplicate": None,  # the call succeeds; the second answer is a protocol error of the session
    "schema_violation": None,  # the call succeeds; its structuredContent breaks the outputSchema
}


@pytest.mark.parametrize("kind", list(MALFORMED))
async def test_malformed_answers_are_failures(mock_url: str, kind: MalformedKind) -> None:
    spoiled = fault("bad", MalformedFault(kind=kind, size=2 << 20), tools=("weather",), times=1)
    async with (
        proxy(mock_url, [spoiled]) as (url, _),
        open_client(HttpTarget(url=url), max_frame=1 << 20) as client,
    ):
        schema = next(t for t in await client.list_tools())["outputSchema"]
        with trio.fail_after(10):
            expected = MALFORMED[kind]
            if expected is not None:
                with pytest.raises(expected):
                    await client.call_tool("weather", PARIS, timeout=5)
            else:
                reply = await client.exchange("tools/call", {"name": "weather", "arguments": PARIS})
                if kind == "duplicate":
                    await trio.sleep(0.05)
                    assert "server answered unknown request id" in str(client.session.protocol_errors[-1])
                else:
                    assert check_output_schema(schema, reply.unwrap())
                    plain = await client.exchange("tools/call", {"name": "weather", "arguments": PARIS})
                    assert check_output_schema(schema, plain.unwrap()) == []
        # the proxy keeps serving
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"


async def test_crash_without_restart_refuses_everything(mock_url: str) -> None:
    crash = fault("boom", CrashFault(after_calls=2), tools=("weather",))
    async with proxy(mock_url, [crash]) as (url, injector):
        async with open_client(HttpTarget(url=url)) as client:
            assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
            with trio.fail_after(5), pytest.raises(TransportError):
                await client.call_tool("weather", PARIS)
            with trio.fail_after(5), pytest.raises(TransportError):
                await client.call_tool("weather", PARIS)
        with trio.fail_after(5), pytest.raises(TransportError):
            async with open_client(HttpTarget(url=url)):
                pass
    assert [e["detail"] for e in events(injector)] == ["server killed at call 2"]
    assert [e["fault"] for e in events(injector, "lost")] == ["boom"]


async def test_crash_with_restart_loses_the_sessions(mock_url: str) -> None:
    crash = fault(
        "boom",
        CrashFault(after_calls=1, restart=True, restart_delay=Duration(seconds=0.2)),
        tools=("weather",),
    )
    async with proxy(mock_url, [crash]) as (url, injector):
        async with open_client(HttpTarget(url=url)) as client:
            with trio.fail_after(5), pytest.raises(TransportError):
                await client.call_tool("weather", PARIS)
            await trio.sleep(0.3)
            # mcpctl's client does not initialize again: its next call fails on the lost session
            with trio.fail_after(5), pytest.raises(HttpStatusError) as caught:
                await client.call_tool("weather", PARIS)
            assert caught.value.status == 404
            assert "expired or was ended by the server; start a new session" in str(caught.value)
            assert (
                caught.value.body
                == '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}'
            )
        async with open_client(HttpTarget(url=url)) as client:  # a new session works, and counts again
            with trio.fail_after(5), pytest.raises(TransportError):
                await client.call_tool("weather", PARIS)
    assert [e["detail"] for e in events(injector)] == ["server killed at call 1"] * 2


async def test_timed_crash(mock_url: str) -> None:
    crash = fault("later", CrashFault(after=Duration(seconds=0.5)))
    async with proxy(mock_url, [crash]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        assert (await client.call_tool("weather", PARIS)).text == "Sunny in Paris"
        await trio.sleep(0.6)
        with trio.fail_after(5), pytest.raises(TransportError):
            await client.call_tool("weather", PARIS)
    assert [e["detail"] for e in events(injector)] == ["server killed 500ms after it started"]


async def test_slow_start_holds_requests_back(mock_url: str) -> None:
    slow = fault("warmup", SlowStartFault(delay=Duration(seconds=0.5)))
    started = trio.current_time()
    async with proxy(mock_url, [slow]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        assert trio.current_time() - started >= 0.5
        began = trio.current_time()
        await client.call_tool("weather", PARIS)
        assert trio.current_time() - began < 0.3  # only the start is slow
    assert [e["detail"] for e in events(injector)] == ["server held back 500ms after start"]


async def test_faults_strike_only_the_tools_they_name(sdk_http_server: str) -> None:
    drop = fault("drop", ResetFault(when="before"), tools=("ec*",))
    async with proxy(sdk_http_server, [drop]) as (url, injector), open_client(HttpTarget(url=url)) as client:
        assert (await client.call_tool("add", {"a": 1, "b": 2})).text == "3.0"
        with trio.fail_after(5), pytest.raises(TransportError):
            await client.call_tool("echo", {"text": "x"})
        assert (await client.call_tool("add", {"a": 2, "b": 2})).text == "4.0"
    assert injector.status()[0] == {
        "name": "drop",
        "kind": "reset",
        "enabled": True,
        "matched": 1,
        "injected": 1,
    }


@pytest.mark.parametrize("kind", ["duplicate", "truncated", "wrong_id"])
async def test_malformed_sse_answers_from_the_sdk_server(sdk_http_server: str, kind: MalformedKind) -> None:
    spoiled = fault("bad", MalformedFault(kind=kind), tools=("progress",), times=1)
    async with proxy(sdk_http_server, [spoiled]) as (url, _), open_client(HttpTarget(url=url)) as client:
        seen: list[Progress] = []
        with trio.fail_after(10):
            if kind == "duplicate":
                assert (
                    await client.call_tool("progress", {"steps": 2}, on_progress=seen.append)
                ).text == "done 2"
                await trio.sleep(0.05)
                assert "server answered unknown request id" in str(client.session.protocol_errors[-1])
            else:  # a cut stream is a broken transport; another id leaves the stream without its answer
                with pytest.raises(TransportError if kind == "truncated" else ProtocolError):
                    await client.call_tool("progress", {"steps": 2}, on_progress=seen.append, timeout=5)
        assert [p.progress for p in seen] == [1.0, 2.0]  # the events before the answer pass unchanged
        assert (await client.call_tool("echo", {"text": "next"})).text == "next"
