"""Issue 11, acceptance 1: a Monitor over a bundled mock, server-everything (npm) and a mock that is switched
to slowness, then to failure, then stopped and started again shows healthy -> degraded -> unhealthy ->
offline -> healthy with the right reasons; a server that depends on it is impacted while it is offline,
and that server's own alert is inhibited."""

from __future__ import annotations

import re
import time
from pathlib import Path

import trio

from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from testing.paths import EVERYTHING_JS, NODE, ROOT
from tests.integration.alert_peers import wait_until
from tests.integration.conftest import free_port
from tests.integration.monitor_mocks import set_switch, switch_server

HEALTHY = "{}"
SLOW = "{latency: 250ms}"
FAILING = "{latency: 250ms, errorRate: 100%}"
SPECS = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: lifecycle}
defaults: {interval: 500ms, timeout: 450ms}
health: {window: 3s, degraded: ["p99 > 150ms"], unhealthy: ["error_rate > 50%"], offlineAfter: 2}
servers:
  - {name: weather, server: {mock: "WEATHER"}, probe: {call: forecast, with: {city: Paris}}}
  - {name: everything, server: {command: "NODE", args: ["EVERYTHING", "stdio"]}, probe: {list: tools}}
  - {name: switch, server: {url: "SWITCH_URL"}, probe: {call: work}, session: per-probe}
  - {name: api, server: {url: "SWITCH_URL"}, probe: {ping: {}}, session: per-probe, dependsOn: [switch]}
---
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: lifecycle-alerts}
evaluationInterval: 100ms
rules:
  - {alert: Down, expr: "health == offline"}
route: {groupWait: 0s, groupInterval: 1s}
"""


def _health(monitoring: Monitoring, server: str) -> str | None:
    return monitoring.state.servers[server].health


def _changes(monitoring: Monitoring, server: str) -> list[dict[str, object]]:
    return [e for e in monitoring.events.since(0)[0] if e["type"] == "health" and e["server"] == server]


async def test_health_goes_through_every_state_and_back(tmp_path: Path) -> None:
    switch = tmp_path / "switch.yaml"
    set_switch(switch, HEALTHY)
    port = free_port()
    text = (
        SPECS.replace("WEATHER", str(ROOT / "examples" / "weather.yaml"))
        .replace("NODE", str(NODE))
        .replace("EVERYTHING", str(EVERYTHING_JS))
        .replace("SWITCH_URL", f"http://127.0.0.1:{port}/mcp")
    )
    (tmp_path / "monitor.yaml").write_text(text)
    config = ServiceConfig(paths=(str(tmp_path / "monitor.yaml"),), state_dir=tmp_path / "state")
    with switch_server(switch, port) as first:
        async with trio.open_nursery() as nursery:
            monitoring: Monitoring = await nursery.start(run_service, config)
            for server in ("weather", "everything", "switch", "api"):
                await wait_until(
                    lambda s=server: _health(monitoring, s) == "healthy", timeout=20, what=server
                )  # type: ignore[misc]
            set_switch(switch, SLOW)
            await wait_until(lambda: _health(monitoring, "switch") == "degraded", timeout=10, what="degraded")
            set_switch(switch, FAILING)
            await wait_until(
                lambda: _health(monitoring, "switch") == "unhealthy", timeout=10, what="unhealthy"
            )
            set_switch(switch, HEALTHY)  # the next start serves a healthy mock
            first.process.terminate()
            await wait_until(lambda: _health(monitoring, "switch") == "offline", timeout=10, what="offline")
            await wait_until(lambda: _health(monitoring, "api") == "offline", timeout=10, what="api offline")
            impacted = monitoring.state.impacted("api")
            await trio.sleep(3.5)  # the failing samples age out of the 3s window while it is down
            with switch_server(switch, port):
                back = time.monotonic()
                await wait_until(lambda: _health(monitoring, "switch") == "healthy", timeout=10, what="back")
                assert time.monotonic() - back < 3.0
                await wait_until(lambda: _health(monitoring, "api") == "healthy", timeout=10, what="api back")
                nursery.cancel_scope.cancel()
    changes = _changes(monitoring, "switch")
    assert [(c["from"], c["to"]) for c in changes] == [
        (None, "healthy"),
        ("healthy", "degraded"),
        ("degraded", "unhealthy"),
        ("unhealthy", "offline"),
        ("offline", "healthy"),
    ]
    reasons = [c["reasons"] for c in changes]
    assert reasons[0] == []
    assert re.fullmatch(r"\['p99 2\d\dms > 150ms'\]", str(reasons[1]))
    assert re.fullmatch(r"\['error_rate \d+(\.\d)?% > 50%'\]", str(reasons[2]))
    assert reasons[3] == ["2 failed connects in a row"]
    assert reasons[4] == []
    assert impacted == ("switch",)
    for steady in ("everything", "weather"):  # (a loaded machine may make them slow for a moment: degraded)
        states = [c["to"] for c in _changes(monitoring, steady)]
        assert states[0] == "healthy"
        assert not {"unhealthy", "offline"} & set(states)
    with open_store(tmp_path / "state") as store:
        history = [
            (row.event, row.server) for row in stored.history(store, limit=1000) if row.alertname == "Down"
        ]
    # both went offline; api's alert is inhibited by its offline dependency, switch's is notified
    assert ("fired", "api") in history
    assert ("inhibited", "api") in history
    assert ("notified", "switch") in history
    assert ("notified", "api") not in history
