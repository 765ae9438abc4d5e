"""Alerts in a running monitor, end to end on loopback: rules over real mocks, a webhook collector receiving
Alertmanager v4 bodies, dependency inhibition, a silence and an ack written to the store as the CLI writes
them, and the history that results."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from tests.integration.alert_peers import WebhookCollector, wait_until, webhook_collector
from tests.integration.monitor_mocks import FLAKY

SPECS = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: prod}
defaults: {interval: 200ms, timeout: 150ms}
health: {window: 1m, unhealthy: ["error_rate >= 50%"], offlineAfter: 1}
servers:
  - {name: weather, server: {mock: "WEATHER"}, probe: {list: tools}}
  - {name: flaky, server: {mock: flaky.yaml}, probe: {call: work}}
  - {name: gone, server: {command: "GONE"}}
  - {name: api, server: {mock: flaky.yaml}, probe: {call: work}, dependsOn: [gone]}
---
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: prod-alerts}
evaluationInterval: 100ms
rules:
  - {alert: Errors, expr: "error_rate > 50%", severity: critical}
  - {alert: Down, expr: "health == offline"}
  - {alert: Unhealthy, expr: "health != healthy"}
receivers:
  - {name: hook, webhook: "COLLECTOR/hook", delivery: {attempts: 3, backoff: 100ms, timeout: 2s}}
inhibit:
  - {sourceMatchers: [alertname=Down], targetMatchers: [alertname=Unhealthy], equal: [server]}
route: {receiver: hook, groupBy: [alertname, server], groupWait: 0s, groupInterval: 300ms, repeatInterval: 600ms}
"""


@pytest.fixture
def collector() -> Iterator[WebhookCollector]:
    with webhook_collector() as found:
        yield found


def _files(tmp_path: Path, collector: WebhookCollector) -> Path:
    (tmp_path / "flaky.yaml").write_text(FLAKY)
    weather = Path("examples/weather.yaml").resolve()
    text = SPECS.replace("WEATHER", str(weather)).replace("GONE", str(tmp_path / "no-such-server"))
    spec = tmp_path / "monitor.yaml"
    spec.write_text(text.replace("COLLECTOR", collector.url))
    return spec


def _alerts(collector: WebhookCollector) -> list[tuple[str, str, str]]:
    """(status, alertname, server) of every alert in every body received, in order."""
    found = []
    for received in collector.at("/hook"):
        body = received.body
        assert isinstance(body, dict)
        assert body["version"] == "4"
        found += [(a["status"], a["labels"]["alertname"], a["labels"]["server"]) for a in body["alerts"]]
    return found


async def test_alerts_fire_notify_inhibit_and_are_kept(tmp_path: Path, collector: WebhookCollector) -> None:
    spec = _files(tmp_path, collector)
    state_dir = tmp_path / "state"
    with open_store(state_dir) as store:
        stored.add_silence(
            store,
            ["alertname=Down"],
            starts_at=time.time() - 1,
            ends_at=time.time() + 600,
            author="ops",
            comment="known",
            now=time.time(),
        )
    config = ServiceConfig(paths=(str(spec),), state_dir=state_dir)
    async with trio.open_nursery() as nursery:
        monitoring: Monitoring = await nursery.start(run_service, config)
        fired: dict[str, float] = {}

        def on_event(event: dict[str, object]) -> None:
            if event["type"] == "alert" and event["to"] == "firing":
                fired[f"{event['rule']}/{event['server']}"] = time.monotonic()

        monitoring.events.listen(on_event)
        await wait_until(
            lambda: ("firing", "Errors", "flaky") in _alerts(collector), timeout=10, what="Errors"
        )
        first = next(r for r in collector.at("/hook") if r.body["alerts"][0]["labels"]["server"] == "flaky")  # type: ignore[index]
        # the notification reaches the collector well within a second of the rule firing
        assert first.at - fired["Errors/flaky"] < 1.0
        await wait_until(lambda: "Down/gone" in fired, timeout=10, what="Down fired")
        await trio.sleep(1.0)  # a few group intervals: repeats of flaky, and nothing for the muted ones
        nursery.cancel_scope.cancel()
    servers = {server for _, _, server in _alerts(collector)}
    # api's own Errors alert is inhibited (its dependency gone is offline); Down on gone is silenced, and
    # it inhibits gone's Unhealthy alert by the inhibit rule
    assert "Errors/api" in fired
    assert servers == {"flaky"}, _alerts(collector)
    assert _alerts(collector).count(("firing", "Errors", "flaky")) >= 2  # repeated every ~600ms
    with open_store(state_dir) as store:
        events = [(row.event, row.alertname, row.server) for row in stored.history(store, limit=1000)]
        active = {(a.alertname, a.server): a for a in stored.active(store)}
        rollups = {row["server"]: row for row in stored.rollups(store, "prod")}
        health = stored.events(store, "prod")
    # the hour in progress was written when the monitor stopped
    assert rollups["flaky"]["error_rate"] == 1.0
    assert rollups["weather"]["error_rate"] == 0.0
    assert rollups["gone"]["uptime"] == 0.0
    assert {"type": "health", "server": "gone", "from": None, "to": "offline"}.items() <= next(
        e for e in health if e["server"] == "gone"
    ).items()
    assert ("fired", "Errors", "api") in events
    assert ("inhibited", "Errors", "api") in events
    assert ("silenced", "Down", "gone") in events
    assert ("inhibited", "Unhealthy", "gone") in events
    assert ("notified", "Unhealthy", "flaky") in events
    assert ("nodata", "Errors", "gone") in events  # nothing connected: no error rate to judge
    assert ("notified", "Errors", "flaky") in events
    assert ("notified", "Errors", "api") not in events
    assert active[("Errors", "flaky")].state == "firing"
    assert active[("Errors", "api")].record["muted"] == "inhibited"


async def test_an_ack_stops_notifications_until_resolved(tmp_path: Path, collector: WebhookCollector) -> None:
    spec = _files(tmp_path, collector)
    state_dir = tmp_path / "state"
    config = ServiceConfig(paths=(str(spec),), state_dir=state_dir)
    async with trio.open_nursery() as nursery:
        await nursery.start(run_service, config)
        await wait_until(
            lambda: ("firing", "Errors", "flaky") in _alerts(collector), timeout=10, what="Errors"
        )
        with open_store(state_dir) as store:
            fingerprint = next(a.fingerprint for a in stored.active(store) if a.server == "flaky")
            stored.add_ack(store, fingerprint, at=time.time(), author="ops", comment="on it")
        await trio.sleep(0.5)  # the ack is read at the next evaluation (100ms)
        before = _alerts(collector).count(("firing", "Errors", "flaky"))
        await trio.sleep(1.5)  # two repeat intervals and more
        after = _alerts(collector).count(("firing", "Errors", "flaky"))
        nursery.cancel_scope.cancel()
    assert after == before
    with open_store(state_dir) as store:
        acked = [r for r in stored.history(store, fingerprint=fingerprint) if r.event == "acked"]
    assert [(r.detail["author"], r.detail["comment"]) for r in acked] == [("ops", "on it")]


async def test_a_firing_alert_is_notified_in_the_cycle_it_fires(
    tmp_path: Path, collector: WebhookCollector
) -> None:
    # with the default evaluationInterval (1s) and groupWait 0s, the notification leaves in the cycle
    # that fired the alert, not one cycle later
    spec = _files(tmp_path, collector)
    spec.write_text(spec.read_text().replace("evaluationInterval: 100ms\n", ""))
    fired: list[float] = []
    async with trio.open_nursery() as nursery:
        monitoring: Monitoring = await nursery.start(run_service, ServiceConfig(paths=(str(spec),)))
        monitoring.events.listen(
            lambda e: (
                fired.append(time.monotonic()) if e["type"] == "alert" and e["server"] == "flaky" else None
            )
        )
        await wait_until(
            lambda: ("firing", "Errors", "flaky") in _alerts(collector), timeout=10, what="Errors"
        )
        nursery.cancel_scope.cancel()
    first = next(r for r in collector.at("/hook") if r.body["alerts"][0]["labels"]["server"] == "flaky")  # type: ignore[index]
    assert first.at - fired[-1] < 0.5
