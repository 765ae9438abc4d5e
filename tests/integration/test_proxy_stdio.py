"""The stdio fault proxy between real clients and real servers: every fault measured from the client.

The proxy runs as a client would launch it: ``mcpctl proxy --faults FILE -- COMMAND``;
upstreams are the bundled mock, the scenario echo server and the official SDK server. Each upstream
runs under a shell that writes its pid to a file first, so that every test can check that no server
it caused to start outlives it.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import trio
import trio.testing
import yaml

from mcpctl.engine.expect import check_output_schema
from mcpctl.engine.faults.injector import Injector
from mcpctl.engine.faults.stdio_proxy import run_stdio_proxy
from mcpctl.errors import FrameTooLarge, ProtocolError, RequestTimeout, RpcError, ServerExited
from mcpctl.mcp.client import Client, StdioTarget, open_client
from mcpctl.mcp.results import Progress
from mcpctl.mcp.session import ClientOptions
from mcpctl.spec.fault_model import Fault, SlowStartFault
from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration
from testing.paths import PYTHON, ROOT, everything_stdio, scenario

DEMO = str(ROOT / "tests" / "data" / "mocks" / "demo.yaml")
MOCK = (PYTHON, "-m", "mcpctl", "mock", "serve", DEMO)
ECHO = tuple(scenario("echo"))
SDK = (PYTHON, "-m", "testing.servers.sdk_echo")
PARIS = {"city": "Paris"}
COLD = Fault(
    name="cold",
    kind="slow_start",
    params=SlowStartFault(delay=Duration(seconds=0.01)),
    source=Source(path="faults.yaml", line=1, column=1),
)


def recorded(command: Sequence[str], pids: Path) -> tuple[str, ...]:
    """``command`` run by a shell that first appends its pid (exec keeps it) to ``pids``."""
    return ("sh", "-c", 'echo $$ >> "$0"; exec "$@"', str(pids), *command)


def scenario_yaml(faults: list[dict[str, Any]], seed: int | None) -> str:
    """A FaultScenario document of ``faults`` (short descriptions: seconds as numbers, ``kind`` a key)."""
    entries = []
    for described in faults:
        fields = dict(described)
        kind, entry = fields.pop("kind"), {"name": fields.pop("name")}
        for key in ("tools", "methods", "probability", "times", "seed", "enabled"):
            if key in fields:
                entry[key] = fields.pop(key)
        window = {key: f"{fields.pop(key)}s" for key in ("start", "end") if key in fields}
        if window:
            entry["window"] = window
        entry[kind] = _params(kind, fields)
        entries.append(entry)
    document = {
        "apiVersion": "mcpctl/v1",
        "kind": "FaultScenario",
        "metadata": {"name": "test"},
        "faults": entries,
    }
    if seed is not None:
        document["seed"] = seed
    return yaml.safe_dump(document, sort_keys=False)


def _params(kind: str, fields: dict[str, Any]) -> Any:
    if kind == "latency":
        return {"delay": f"{fields['delay']}s", "jitter": f"{fields.get('jitter', 0)}s"}
    if kind == "rate_limit":
        return {"rate": f"{fields['rate']}/s", "burst": fields["burst"]}
    if kind == "malformed":
        return {"kind": fields["malformed"], **({"size": fields["size"]} if "size" in fields else {})}
    if kind == "slow_start":
        return f"{fields['delay']}s"
    if kind == "crash":
        renamed = {
            "after_calls": "afterCalls",
            "after": "after",
            "restart": "restart",
            "restart_delay": "restartDelay",
        }
        return {
            renamed[key]: f"{value}s" if key in ("after", "restart_delay") else value
            for key, value in fields.items()
        }
    return fields  # reset: when; hang: forward


def proxy_command(
    faults: list[dict[str, Any]],
    upstream: Sequence[str],
    pids: Path,
    *,
    seed: int | None = None,
    log: Path | None = None,
) -> tuple[str, ...]:
    """``mcpctl proxy`` with ``faults`` (written beside ``pids``) in front of ``upstream``."""
    options: tuple[str, ...] = ("--log", str(log)) if log is not None else ()
    if faults:  # without --faults the proxy only relays
        spec = pids.parent / f"faults-{len(list(pids.parent.glob('faults-*.yaml')))}.yaml"
        spec.write_text(scenario_yaml(faults, seed), encoding="utf-8")
        options += ("--faults", str(spec))
    return (PYTHON, "-m", "mcpctl", "proxy", "--quiet", *options, "--", *recorded(upstream, pids))


def upstream_pids(pids: Path) -> list[int]:
    return [int(line) for line in pids.read_text().split()] if pids.exists() else []


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def pids(tmp_path: Path) -> Iterator[Path]:
    """Where the upstreams' pids go; afterwards, none of them may be running."""
    path = tmp_path / "pids"
    yield path
    assert upstream_pids(path), "no upstream was started"
    assert not [pid for pid in upstream_pids(path) if alive(pid)], "an upstream outlived its proxy"


@contextlib.asynccontextmanager
async def through(
    faults: list[dict[str, Any]],
    pids: Path,
    *,
    upstream: Sequence[str] = MOCK,
    seed: int | None = None,
    log: Path | None = None,
    **options: Any,
) -> AsyncIterator[Client]:
    target = StdioTarget(command=proxy_command(faults, upstream, pids, seed=seed, log=log))
    async with open_client(target, **options) as client:
        yield client


def events(log: Path) -> list[dict[str, Any]]:
    """The fault log's entries but the proxies' launch lines."""
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    return [entry for entry in entries if entry["event"] != "launch"]


async def weather(client: Client, city: str = "Paris", timeout: float = 10.0) -> str:
    return (await client.call_tool("weather", {"city": city}, timeout=timeout)).text


# -- transparency ------------------------------------------------------------------------------------


async def test_without_faults_the_mock_is_served_unchanged(pids: Path) -> None:
    async with through([], pids, protocol="2025-03-26") as client:
        assert client.negotiated.server_info == {"name": "demo-mock", "version": "2.0.0"}
        assert [tool["name"] for tool in await client.list_tools()] == ["weather"]
        result = await client.call_tool("weather", PARIS)
        assert (result.text, result.structured_content) == ("Sunny in Paris", {"temp": 21, "sky": "sunny"})
        ping, listing = await client.session.request_batch([("ping", None), ("tools/list", None)])
        assert (ping.result, len(listing.unwrap()["tools"])) == ({}, 1)
        assert (await client.read_resource("file:///readme.txt"))["contents"][0]["text"] == "Read me."


async def test_the_sdk_server_through_the_proxy_in_the_modern_era(pids: Path) -> None:
    async with through([], pids, upstream=SDK) as client:
        assert client.negotiated.era == "modern"
        assert (await client.call_tool("echo", {"text": "héllo ✓"})).text == "héllo ✓"
        assert (await client.call_tool("add", {"a": 2, "b": 40})).structured_content == {"result": 42.0}


def test_the_sdk_client_works_through_the_proxy(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    done = subprocess.run(
        [PYTHON, "-m", "testing.clients.sdk_client", "stdio", *proxy_command([], SDK, pids)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ, "TOOL": "echo", "TOOL_ARGS": '{"text": "through"}'},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["server"]["name"] == "mcpctl-sdk-echo"
    assert seen["call"]["content"] == [{"type": "text", "text": "through"}]
    assert not [pid for pid in upstream_pids(pids) if alive(pid)]


def converse(command: Sequence[str], lines: list[bytes]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        list(command), input=b"\n".join(lines) + b"\n", capture_output=True, timeout=30, cwd=ROOT
    )


def test_garbage_and_batches_are_relayed_byte_for_byte(tmp_path: Path) -> None:
    call = b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"weather","arguments":{"city":"Rome"}}}'
    lines = [
        b"{not json",
        b"42",
        b'{"jsonrpc": "2.0", "id": 1, "method": 7}',
        b'[{"jsonrpc":"2.0","id":"a","method":"ping"},{"jsonrpc":"2.0","id":"b","method":"ping"}]',
        b'{"jsonrpc":"2.0","id":{"odd":1},"method":"ping"}',
        call,
    ]
    direct = converse(MOCK, lines)
    proxied = converse(proxy_command([], MOCK, tmp_path / "pids"), lines)
    assert proxied.returncode == 0, proxied.stderr
    assert sorted(proxied.stdout.splitlines()) == sorted(direct.stdout.splitlines())
    assert len(direct.stdout.splitlines()) == 6


# -- latency ------------------------------------------------------------------------------------------


async def test_latency_adds_its_delay_to_matching_calls_only(pids: Path) -> None:
    faults = [{"name": "slow-echo", "kind": "latency", "delay": 0.2, "tools": ["echo"]}]
    async with through(faults, pids, upstream=ECHO) as client:

        async def timed(tool: str, args: dict[str, Any]) -> float:
            start = time.perf_counter()
            await client.call_tool(tool, args)
            return time.perf_counter() - start

        delayed = [await timed("echo", {"message": "hi"}) for _ in range(5)]
        plain = [await timed("add", {"a": 1, "b": 2}) for _ in range(5)]
        added = statistics.median(delayed) - statistics.median(plain)
        assert 0.18 <= added <= 0.22, added
        # a delayed request holds up no other
        async with trio.open_nursery() as nursery:
            nursery.start_soon(timed, "echo", {"message": "late"})
            await trio.sleep(0.02)
            assert await timed("add", {"a": 1, "b": 1}) < 0.1


# -- reset, hang, rate limit --------------------------------------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
async def test_reset_drops_the_connection(when: str, pids: Path, tmp_path: Path) -> None:
    log = tmp_path / "faults.jsonl"
    faults = [{"name": "drop", "kind": "reset", "when": when, "tools": ["weather"]}]
    async with through(faults, pids, log=log) as client:
        with trio.fail_after(5), pytest.raises(ServerExited) as caught:
            await weather(client)
    assert caught.value.returncode == 0
    kinds = [(entry["event"], entry.get("detail")) for entry in events(log)]
    dropped = f"connection dropped {when} the server got the request"
    if when == "after":
        assert kinds == [("fault", dropped), ("call", None), ("lost", None)]
    else:
        assert kinds == [("fault", dropped)]


async def test_hang_never_answers_and_the_next_call_goes_through(pids: Path, tmp_path: Path) -> None:
    log = tmp_path / "faults.jsonl"
    faults = [
        {"name": "stall", "kind": "hang", "tools": ["weather"], "times": 1},
        {"name": "swallow", "kind": "hang", "forward": False, "tools": ["weather"], "times": 1},
    ]
    async with through(faults, pids, log=log) as client:
        for _ in faults:
            start = time.perf_counter()
            with pytest.raises(RequestTimeout, match=r"^tools/call: no answer within 0\.4s"):
                await weather(client, timeout=0.4)
            assert time.perf_counter() - start >= 0.4
        assert await weather(client) == "Sunny in Paris"
    details = [(entry["event"], entry.get("fault"), entry.get("detail")) for entry in events(log)]
    assert details[:4] == [
        ("fault", "stall", "answer withheld"),
        ("call", None, None),
        ("lost", "stall", None),
        ("fault", "swallow", "request swallowed"),
    ]


async def test_rate_limit_refuses_past_the_burst_then_lets_calls_pass(pids: Path) -> None:
    faults = [{"name": "bucket", "kind": "rate_limit", "rate": 4, "burst": 3, "tools": ["weather"]}]
    async with through(faults, pids) as client:
        for _ in range(3):
            assert await weather(client) == "Sunny in Paris"
        with pytest.raises(RpcError) as caught:
            await weather(client)
        refused = caught.value
        wait = refused.data["retryAfter"]  # type: ignore[index]
        assert refused.code == -32000
        assert refused.rpc_message == f"Rate limited by mcpctl proxy (fault bucket): retry after {wait:.3f}s"
        assert 0.0 < wait <= 0.25
        await trio.sleep(wait)
        assert await weather(client) == "Sunny in Paris"


# -- malformed answers ----------------------------------------------------------------------------------


async def test_every_malformed_kind_is_a_client_failure_and_the_session_goes_on(pids: Path) -> None:
    kinds = ["invalid_json", "wrong_id", "duplicate", "truncated", "schema_violation", "oversize"]
    faults = [
        {
            "name": kind,
            "kind": "malformed",
            "malformed": kind,
            **({"size": 2 << 20} if kind == "oversize" else {}),
            "tools": ["weather"],
            "times": 1,
        }
        for kind in kinds
    ]
    async with through(faults, pids, max_frame=1 << 20) as client:
        schema = (await client.list_tools())[0]["outputSchema"]  # the proxy learns it here too
        with pytest.raises(ProtocolError, match=r"^server sent invalid JSON"):
            await weather(client)
        with pytest.raises(ProtocolError, match=r"^server answered unknown request id 1000"):
            await weather(client)
        assert await weather(client) == "Sunny in Paris"  # duplicate: the copy is the failure
        assert str(client.session.protocol_errors[-1]).startswith("server answered unknown request id")
        with pytest.raises(ProtocolError, match=r"^server sent invalid JSON"):
            await weather(client)
        violating = await client.call_tool("weather", PARIS)
        assert violating.structured_content == {"temp": "not a number", "sky": 12345}
        assert [f.message for f in check_output_schema(schema, violating.raw)] == [
            "outputSchema: does not match the schema (2 errors)"
        ]
        with pytest.raises(FrameTooLarge):
            await weather(client)
        assert await weather(client, "Rome") == "Cloudy in Rome"


# -- crashes and slow starts ------------------------------------------------------------------------------


async def test_crash_without_restart_ends_the_connection(pids: Path) -> None:
    faults = [{"name": "boom", "kind": "crash", "after_calls": 3, "tools": ["weather"]}]
    async with through(faults, pids) as client:
        assert [await weather(client), await weather(client)] == ["Sunny in Paris"] * 2
        with trio.fail_after(5), pytest.raises(ServerExited) as caught:
            await weather(client)
    assert caught.value.returncode == 1
    assert len(upstream_pids(pids)) == 1


async def test_crash_with_restart_fails_the_call_in_flight_and_serves_the_next(pids: Path) -> None:
    faults = [
        {
            "name": "boom",
            "kind": "crash",
            "after_calls": 2,
            "restart": True,
            "restart_delay": 0.2,
            "tools": ["weather"],
            "times": 1,
        },
        {"name": "warm-up", "kind": "slow_start", "delay": 0.2},
    ]
    async with through(faults, pids) as client:
        assert await weather(client) == "Sunny in Paris"
        with pytest.raises(RpcError) as caught:
            await weather(client)
        assert (caught.value.code, caught.value.rpc_message) == (
            -32603,
            "Server crashed (fault boom); mcpctl proxy is restarting it",
        )
        start = time.perf_counter()
        assert await weather(client) == "Sunny in Paris"  # held while the server is down
        assert time.perf_counter() - start >= 0.4  # restart delay + slow start
        first, second = upstream_pids(pids)
        assert first != second
        assert not alive(first)
        assert await weather(client, "Rome") == "Cloudy in Rome"  # times: 1


async def test_a_timed_crash_restarts_the_server(pids: Path) -> None:
    faults = [{"name": "timer", "kind": "crash", "after": 0.6, "restart": True, "times": 1}]
    async with through(faults, pids, upstream=ECHO) as client:
        with trio.fail_after(5):
            while len(upstream_pids(pids)) < 2:
                with contextlib.suppress(RpcError):
                    await client.call_tool("echo", {"message": "x"})
                await trio.sleep(0.05)
        assert (await client.call_tool("echo", {"message": "after"})).text == "after"


async def test_slow_start_holds_the_first_answer(pids: Path, tmp_path: Path) -> None:
    log = tmp_path / "faults.jsonl"
    start = time.perf_counter()
    async with through([{"name": "cold", "kind": "slow_start", "delay": 0.7}], pids, upstream=ECHO, log=log):
        assert time.perf_counter() - start >= 0.7
    assert [entry["detail"] for entry in events(log)] == ["server held back 700ms after start"]


async def test_an_upstream_exiting_by_itself_passes_its_exit_code_and_stderr(pids: Path) -> None:
    async with through([], pids, upstream=tuple(scenario("exit_mid_call"))) as client:
        with trio.fail_after(5), pytest.raises(ServerExited) as caught:
            await client.call_tool("echo", {"message": "x"})
    assert caught.value.returncode == 7
    assert "fatal: simulated crash in tools/call" in caught.value.stderr_tail


# -- when faults strike ------------------------------------------------------------------------------------


async def outcomes(client: Client, tool: str, count: int) -> str:
    """``P`` for each call answered, ``F`` for each that failed."""
    seen = ""
    for _ in range(count):
        try:
            await client.call_tool(tool, {"message": "m", "a": 1, "b": 2})
            seen += "P"
        except ProtocolError:
            seen += "F"
    return seen


async def test_probability_is_seeded(pids: Path) -> None:
    faults = [
        {
            "name": "coin",
            "kind": "malformed",
            "malformed": "invalid_json",
            "probability": 0.5,
            "tools": ["echo"],
        }
    ]
    runs = []
    for _ in range(2):
        async with through(faults, pids, upstream=ECHO, seed=7) as client:
            runs.append(await outcomes(client, "echo", 40))
    assert runs[0] == runs[1]
    assert 12 <= runs[0].count("F") <= 28, runs[0]


async def test_tools_filter_and_times_limit(pids: Path) -> None:
    faults = [
        {"name": "add-twice", "kind": "malformed", "malformed": "invalid_json", "tools": ["add"], "times": 2}
    ]
    async with through(faults, pids, upstream=ECHO) as client:
        assert await outcomes(client, "echo", 2) == "PP"
        assert await outcomes(client, "add", 4) == "FFPP"


async def test_window_limits_a_fault_in_time(pids: Path) -> None:
    faults = [{"name": "blip", "kind": "malformed", "malformed": "invalid_json", "start": 1.0, "end": 1.6}]
    async with through(faults, pids, upstream=ECHO) as client:
        seen: list[tuple[float, str]] = []
        began = time.perf_counter()
        while time.perf_counter() - began < 2.0:
            seen.append((time.perf_counter(), await outcomes(client, "echo", 1)))
            await trio.sleep(0.04)
    pattern = "".join(outcome for _, outcome in seen)
    failed = [at for at, outcome in seen if outcome == "F"]
    assert pattern.strip("P").count("P") == 0, pattern
    assert failed, pattern
    assert pattern.endswith("P"), pattern
    assert 0.4 <= failed[-1] - failed[0] <= 0.7


# -- in process: cancellation and end of input ---------------------------------------------------------------

INITIALIZE = b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}\n'


async def test_cancelling_the_proxy_stops_the_server(pids: Path) -> None:
    to_proxy, proxy_in = trio.testing.memory_stream_one_way_pair()
    proxy_out, from_proxy = trio.testing.memory_stream_one_way_pair()
    injector = Injector([COLD])
    async with trio.open_nursery() as nursery:
        nursery.start_soon(
            lambda: run_stdio_proxy(recorded(ECHO, pids), injector, stdin=proxy_in, stdout=proxy_out)
        )
        await to_proxy.send_all(INITIALIZE)
        with trio.fail_after(5):
            answer = await from_proxy.receive_some()
        assert json.loads(answer)["result"]["serverInfo"]["name"] == "scenario-echo"
        nursery.cancel_scope.cancel()
    (pid,) = upstream_pids(pids)
    assert not alive(pid)


async def test_end_of_input_relays_the_last_answers_and_returns_0(pids: Path) -> None:
    to_proxy, proxy_in = trio.testing.memory_stream_one_way_pair()
    proxy_out, from_proxy = trio.testing.memory_stream_one_way_pair()
    code: list[int] = []

    async def serve() -> None:
        code.append(
            await run_stdio_proxy(recorded(ECHO, pids), Injector([]), stdin=proxy_in, stdout=proxy_out)
        )

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(serve)
            await to_proxy.send_all(INITIALIZE)
            await to_proxy.aclose()  # at once: the answer is still owed
            received = b""
            while chunk := await from_proxy.receive_some():
                received += chunk
    assert code == [0]
    assert json.loads(received)["id"] == 1


def test_sigterm_stops_the_server_and_exits_143(pids: Path) -> None:
    proxy = subprocess.Popen(
        proxy_command([], ECHO, pids), stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    assert proxy.stdin is not None
    assert proxy.stdout is not None
    with proxy:
        proxy.stdin.write(INITIALIZE)
        proxy.stdin.flush()
        assert json.loads(proxy.stdout.readline())["id"] == 1
        proxy.terminate()
        assert proxy.wait(5) == 143


# -- the pass path ---------------------------------------------------------------------------------------------


async def test_the_pass_path_adds_little_latency(pids: Path) -> None:
    async def p50(target: StdioTarget) -> float:
        async with open_client(target) as client:
            samples = []
            for _ in range(300):
                samples.append(await client.ping())
            return statistics.median(samples[50:])

    direct = await p50(StdioTarget(command=ECHO))
    proxied = await p50(StdioTarget(command=proxy_command([], ECHO, pids)))
    print(f"ping p50: direct {direct:.3f} ms, proxied {proxied:.3f} ms", file=sys.stderr)
    assert proxied - direct < 0.5


# -- server-everything through the proxy -----------------------------------------------------------------------

EVERYTHING_OPTIONS = ClientOptions(
    sampling_reply={"role": "assistant", "content": {"type": "text", "text": "canned"}, "model": "m"}
)


async def test_server_everything_through_the_proxy_is_unchanged(pids: Path) -> None:
    async with through([], pids, upstream=everything_stdio(), options=EVERYTHING_OPTIONS) as client:
        assert client.negotiated.server_info["name"] == "mcp-servers/everything"
        assert {"echo", "trigger-long-running-operation", "trigger-sampling-request"} <= {
            tool["name"] for tool in await client.list_tools()
        }
        assert (await client.call_tool("echo", {"message": "via proxy"})).text == "Echo: via proxy"
        seen: list[Progress] = []
        await client.call_tool(
            "trigger-long-running-operation", {"duration": 0.3, "steps": 3}, on_progress=seen.append
        )
        assert [p.progress for p in seen] == [1, 2, 3]
        # a request from the server to the client, and the client's answer, both relayed
        sampled = await client.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
        assert "canned" in sampled.text


def test_the_sdk_client_works_through_the_proxy_to_server_everything(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    done = subprocess.run(
        [PYTHON, "-m", "testing.clients.sdk_client", "stdio", *proxy_command([], everything_stdio(), pids)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
        env={**os.environ, "TOOL": "echo", "TOOL_ARGS": '{"message": "sdk through"}'},
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["server"]["name"] == "mcp-servers/everything"
    assert seen["call"]["content"] == [{"type": "text", "text": "Echo: sdk through"}]
    assert not [pid for pid in upstream_pids(pids) if alive(pid)]
