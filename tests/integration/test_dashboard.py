"""The dashboard in-process over a Monitor of real mocks: its pages and JSON over HTTP (httpx), its live
WebSocket (trio-websocket): hello with the status, a status snapshot about once a second, a mock switched to
failure seen as a health change, resuming with ?since=, refusals of foreign origins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import orjson
import pytest
import trio
from trio_websocket import HandshakeError

from mcpctl.cli.dashboard import DashboardConfig, Running, serve
from mcpctl.observe.ws_client import open_event_stream
from testing.paths import ROOT
from tests.integration.alert_peers import wait_until
from tests.integration.browser import dashboard_config
from tests.integration.conftest import RunningServer, free_port
from tests.integration.monitor_mocks import set_switch, switch_server

INJECTIONS = (
    '<img src=x onerror="window.pwned=1">',
    "</script><script>window.pwned=1</script>",
    "\"'><svg onload=window.pwned=1>",
)
MONITOR = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: dash}
defaults: {interval: 200ms, timeout: 190ms}
health: {window: 2s, unhealthy: ["error_rate >= 30%"]}
servers:
  - {name: switch, server: {url: "SWITCH_URL"}, probe: {call: work}, session: per-probe}
  - {name: weather, server: {mock: "WEATHER"}, probe: {call: forecast, with: {city: Paris}}, dependsOn: [switch]}
"""


def failing(text: str) -> str:
    """The switch mock's answer when it fails: an isError result saying ``text`` (JSON is YAML)."""
    return f"{{text: {json.dumps(text)}, isError: true}}"


@contextmanager
def monitored(tmp_path: Path) -> Iterator[tuple[Path, Path, RunningServer]]:
    """The switch mock served over HTTP (healthy) and a Monitor file over it and the weather mock."""
    switch = tmp_path / "switch.yaml"
    set_switch(switch)
    port = free_port()
    spec = tmp_path / "monitor.yaml"
    text = MONITOR.replace("SWITCH_URL", f"http://127.0.0.1:{port}/mcp")
    spec.write_text(text.replace("WEATHER", str(ROOT / "examples" / "weather.yaml")), encoding="utf-8")
    with switch_server(switch, port) as server:
        yield switch, spec, server


def config_for(spec: Path, state: Path, token: str = "t0ken") -> DashboardConfig:
    token_file = spec.parent / "token"
    token_file.write_text(f"  {token}\n")
    return dashboard_config(state, monitor=spec, token_file=token_file)


def health(running: Running, server: str) -> str | None:
    assert running.live.monitoring is not None
    return running.live.monitoring.state.servers[server].health


async def _messages(ws: object, until: float) -> list[dict[str, object]]:
    got: list[dict[str, object]] = []
    with trio.move_on_at(until):
        while True:
            got.append(orjson.loads(await ws.get_message()))  # type: ignore[attr-defined]
    return got


async def test_pages_api_and_live_stream_over_a_real_monitor(tmp_path: Path) -> None:
    with monitored(tmp_path) as (switch, spec, _):
        async with trio.open_nursery() as nursery:
            running: Running = await nursery.start(serve, config_for(spec, tmp_path / "state"))
            for server in ("switch", "weather"):
                await wait_until(lambda s=server: health(running, s) == "healthy", timeout=20, what=server)  # type: ignore[misc]
            base = f"http://127.0.0.1:{running.port}"
            async with httpx.AsyncClient(base_url=base) as http:
                page = await http.get("/")
                status = (await http.get("/api/v1/status")).json()
                metrics = await http.get("/metrics")
                server_page = await http.get("/servers/switch")
                unknown = await http.get("/servers/nope")
                events = await http.get("/api/v1/events")
            assert page.status_code == 200
            assert page.headers["content-security-policy"].endswith("frame-ancestors 'none'")
            assert page.headers["x-content-type-options"] == "nosniff"
            assert 'data-server="switch"' in page.text
            assert 'data-server="weather"' in page.text
            assert '<a href="/servers/switch">switch</a>' in page.text
            assert '<g class="node h-healthy" data-server="weather">' in page.text  # the dependency map
            assert [(s["name"], s["health"]) for s in status["servers"]] == [
                ("switch", "healthy"),
                ("weather", "healthy"),
            ]
            assert (status["monitor"], status["source"]) == ("dash", "monitor")
            assert 'mcpctl_server_health{server="switch",state="healthy"} 1.0' in metrics.text
            assert server_page.status_code == 200
            assert 'switch: <span class="health-word">healthy</span>' in server_page.text
            assert (unknown.status_code, unknown.json()) == (404, {"error": "no such server: nope"})
            assert (events.status_code, events.json()) == (
                426,
                {"error": "GET /api/v1/events is a WebSocket: send Upgrade: websocket"},
            )

            url = f"ws://127.0.0.1:{running.port}/api/v1/events"
            async with open_event_stream(url) as ws:
                hello = orjson.loads(await ws.get_message())
                assert hello["type"] == "hello"
                assert [s["name"] for s in hello["status"]["servers"]] == ["switch", "weather"]
                start = trio.current_time()
                first = await _messages(ws, start + 2.5)
                snapshots = [m for m in first if m["type"] == "status"]
                assert 2 <= len(snapshots) <= 4, [m["type"] for m in first]
                assert snapshots[-1]["status"]["servers"][0]["name"] == "switch"
                assert any(m["type"] == "sample" for m in first)
                last_seen = int(first[-1]["seq"])

                flipped = time.time()
                set_switch(switch, default=failing(INJECTIONS[0]))
                changes: list[dict[str, object]] = []
                with trio.fail_after(5):
                    while not changes:
                        message = orjson.loads(await ws.get_message())
                        if message["type"] == "health" and message["server"] == "switch":
                            changes.append(message)
                assert (changes[0]["from"], changes[0]["to"]) == ("healthy", "unhealthy")
                assert float(str(changes[0]["ts"])) - flipped < 2.0
                # a snapshot follows the change at once, not a second later
                message = orjson.loads(await ws.get_message())
                while message["type"] != "status":
                    message = orjson.loads(await ws.get_message())
                assert message["status"]["servers"][0]["health"] == "unhealthy"

            # a viewer coming back with the last seq it saw gets everything after it, in order, no gap
            async with open_event_stream(f"{url}?since={last_seen}") as ws:
                hello = orjson.loads(await ws.get_message())
                resumed = orjson.loads(await ws.get_message())
                assert resumed["seq"] == last_seen + 1
                assert hello["seq"] > last_seen

            async with httpx.AsyncClient(base_url=base) as http:
                server_page = await http.get("/servers/switch")
                overview = await http.get("/")
            # the mock's error text is shown as text, escaped
            escaped = "&#34;&lt;img src=x onerror=\\&#34;window.pwned=1\\&#34;&gt;&#34;"
            assert f"the tool returned isError: true: {escaped}" in server_page.text
            assert INJECTIONS[0] not in server_page.text
            assert INJECTIONS[0] not in overview.text

            with pytest.raises(HandshakeError) as refused:
                async with open_event_stream(url, headers=[(b"origin", b"https://evil.example")]):
                    pass
            assert refused.value.status_code == 403  # type: ignore[attr-defined]
            nursery.cancel_scope.cancel()


async def test_store_only_says_no_monitor_runs(tmp_path: Path) -> None:
    config = dashboard_config(tmp_path / "state")
    async with trio.open_nursery() as nursery:
        running: Running = await nursery.start(serve, config)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as http:
            page = await http.get("/")
            status = (await http.get("/api/v1/status")).json()
            metrics = await http.get("/metrics")
        nursery.cancel_scope.cancel()
    assert "No monitor is running: start one here with `mcpctl dashboard --monitor FILE`" in page.text
    assert (status["source"], status["servers"]) == ("none", [])
    assert metrics.status_code == 404
    assert not (tmp_path / "state").exists()  # reading leaves no store behind


async def test_connect_follows_a_running_monitor(tmp_path: Path) -> None:
    from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service

    with monitored(tmp_path) as (_, spec, _):
        async with trio.open_nursery() as nursery:
            service = ServiceConfig(paths=(str(spec),), listen=("127.0.0.1", 0), reload=False)
            monitoring: Monitoring = await nursery.start(run_service, service)
            config = dashboard_config(tmp_path / "state", connect=f"http://127.0.0.1:{monitoring.port}")
            running: Running = await nursery.start(serve, config)

            def followed() -> bool:
                servers = running.live.snapshot()["servers"]
                return (
                    isinstance(servers, list)
                    and len(servers) == 2
                    and running.live.latencies.keys() == {"switch", "weather"}
                )

            await wait_until(followed, timeout=20, what="the followed monitor's status and samples")
            snapshot = running.live.snapshot()
            assert (snapshot["monitor"], snapshot["source"]) == ("dash", "connect")
            assert running.live.depends_on() == {"switch": (), "weather": ("switch",)}  # the map's arrows
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.port}") as http:
                page = await http.get("/")
            assert 'data-server="switch"' in page.text
            nursery.cancel_scope.cancel()
