"""The monitor over real stdio servers: the bundled weather mock, a mock whose tool always fails, and a
command that does not exist; then its /metrics and /api/v1/status over HTTP."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import trio
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from mcpctl.engine.monitor.http import serve_monitor_http
from mcpctl.engine.monitor.loop import MonitorState, run_monitor
from mcpctl.spec.model import Expect, Metadata, Source, StdioServer, TextMatch
from mcpctl.spec.monitor_model import HealthCondition, HealthRules, MonitoredServer, MonitorSpec, Probe
from mcpctl.spec.units import Duration
from tests.integration.monitor_mocks import FLAKY

SOURCE = Source(path="monitor.yaml", line=1, column=1)
MOCK = (sys.executable, "-m", "mcpctl", "mock", "serve")
SLOW = FLAKY.replace("flaky", "slow").replace("{errorRate: 100%}", "{latency: 2s}")
RULES = HealthRules(
    window=Duration(seconds=60.0),
    degraded=(HealthCondition(metric="p99", op=">", value=5000.0, text="p99 > 5s"),),
    unhealthy=(HealthCondition(metric="error_rate", op=">=", value=0.5, text="error_rate >= 50%"),),
    offline_after=3,
)


def _server(name: str, command: tuple[str, ...], probe: Probe, **options: object) -> MonitoredServer:
    stdio = StdioServer(name=name, command=command, source=SOURCE)
    interval = Duration(seconds=0.2)
    return MonitoredServer(name=name, server=stdio, probe=probe, interval=interval, source=SOURCE, **options)  # type: ignore[arg-type]


def _spec(tmp_path: Path) -> MonitorSpec:
    flaky = tmp_path / "flaky.yaml"
    flaky.write_text(FLAKY)
    slow = tmp_path / "slow.yaml"
    slow.write_text(SLOW)
    paris = Probe(
        kind="call",
        tool="forecast",
        arguments={"city": "Paris"},
        expect=Expect(text=TextMatch(contains=("21°C",))),
    )
    servers = (
        _server("weather", (*MOCK, "examples/weather.yaml"), paris, labels={"team": "geo"}),
        _server("flaky", (*MOCK, str(flaky)), Probe(kind="call", tool="work"), session="per-probe"),
        _server("slow", (*MOCK, str(slow)), Probe(kind="call", tool="work"), timeout=Duration(seconds=0.1)),
        _server("gone", (str(tmp_path / "no-such-server"),), Probe()),
        _server(
            "api", (*MOCK, "examples/weather.yaml"), Probe(kind="list", listing="tools"), depends_on=("gone",)
        ),
    )
    return MonitorSpec(
        metadata=Metadata(name="prod"), servers=servers, health=RULES, spec_hash="x", source=SOURCE
    )


def _judged(state: MonitorState) -> bool:
    servers = state.servers.values()
    return all(s.health is not None for s in servers) and state.servers["gone"].health == "offline"


async def test_monitor_judges_serves_metrics_and_status(tmp_path: Path) -> None:
    events: list[dict[str, object]] = []
    spec = _spec(tmp_path)
    state = MonitorState(spec)
    judged = trio.Event()

    def on_event(event: dict[str, object]) -> None:
        events.append(event)
        if _judged(state):
            judged.set()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: run_monitor(spec, {}, state=state, on_event=on_event))
        port: int = await nursery.start(serve_monitor_http, state, "127.0.0.1", 0)
        with trio.fail_after(20):
            await judged.wait()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            text = await http.get("/metrics")
            openmetrics = await http.get("/metrics", headers={"Accept": "application/openmetrics-text"})
            status = (await http.get("/api/v1/status")).json()
            foreign = await http.get("/api/v1/status", headers={"Origin": "https://evil.example"})
            local = await http.get("/metrics", headers={"Origin": "http://localhost:3000"})
        nursery.cancel_scope.cancel()

    health = {s["name"]: (s["health"], s["reasons"], s["impacted"]) for s in status["servers"]}
    assert health["weather"] == ("healthy", [], False)
    assert health["flaky"] == ("unhealthy", ["error_rate 100% >= 50%"], False)
    assert health["gone"][0] == "offline"
    assert health["gone"][1][0].endswith(" failed connects in a row")  # 3 or more, by the time of the read
    assert health["api"] == ("healthy", [], True)
    assert health["slow"] == ("unhealthy", ["error_rate 100% >= 50%"], False)
    slow = next(s for s in status["servers"] if s["name"] == "slow")
    assert (slow["last_probe"]["outcome"], slow["last_probe"]["message"]) == (
        "timeout",
        "no answer within 0.1s",
    )
    weather = next(s for s in status["servers"] if s["name"] == "weather")
    assert weather["last_probe"]["outcome"] == "ok"
    assert weather["p99_ms"] > 0
    assert weather["error_rate"] == 0.0
    flaky = next(s for s in status["servers"] if s["name"] == "flaky")
    assert (
        flaky["last_probe"]["message"]
        == "request failed with JSON-RPC error -32603: Internal error (injected by mock)"
    )
    assert flaky["last_probe"]["connect_ms"] > 0
    offline = [e for e in events if e["server"] == "gone"]
    assert [(e["from"], e["to"]) for e in offline] == [(None, "unhealthy"), ("unhealthy", "offline")]
    assert offline[0]["reasons"] == ["no probe connected in the window (1 failed connect)"]
    assert offline[-1]["reasons"] == ["3 failed connects in a row"]

    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f for f in parse_text(text.text)}
    buckets = [
        s for s in families["mcpctl_probe_duration_seconds"].samples if s.labels.get("server") == "weather"
    ]
    count = next(s.value for s in buckets if s.name == "mcpctl_probe_duration_seconds_count")
    assert count >= 1
    assert {"team": "geo", "server": "weather", "le": "+Inf"} in [s.labels for s in buckets]
    ups = {s.labels["server"]: s.value for s in families["mcpctl_server_up"].samples}
    assert ups == {"weather": 1.0, "flaky": 1.0, "slow": 0.0, "gone": 0.0, "api": 1.0}
    current = {
        (s.labels["server"], s.labels["state"])
        for s in families["mcpctl_server_health"].samples
        if s.value == 1
    }
    assert current == {
        ("weather", "healthy"),
        ("flaky", "unhealthy"),
        ("gone", "offline"),
        ("api", "healthy"),
        ("slow", "unhealthy"),
    }
    probes = {(s.labels["server"], s.labels["outcome"]): s.value for s in families["mcpctl_probes"].samples}
    assert probes[("flaky", "error")] >= 1
    assert probes[("gone", "connect_failed")] >= 3
    assert openmetrics.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert "mcpctl_probes" in {f.name for f in parse_openmetrics(openmetrics.text)}
    assert (foreign.status_code, foreign.json()) == (403, {"error": "Forbidden: Origin not allowed"})
    assert local.status_code == 200
