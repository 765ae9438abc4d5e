"""Hot reload of a running monitor's files: a valid edit of the rules applies within 2 s and keeps each
server's history; an invalid edit is refused with its file:line:col and the running rules go on."""

from __future__ import annotations

import time
from pathlib import Path

import trio

from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service
from tests.integration.alert_peers import wait_until
from tests.integration.monitor_mocks import FLAKY

MONITOR = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: prod}
defaults: {interval: 200ms, timeout: 150ms}
health: {window: 1m, unhealthy: ["error_rate >= 50%"]}
servers:
  - {name: flaky, server: {mock: flaky.yaml}, probe: {call: work}}
"""
RULES = """\
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: prod-alerts}
evaluationInterval: 100ms
rules:
  - {alert: Errors, expr: "error_rate > 50%"}
"""
SECOND_RULE = '  - {alert: Unhealthy, expr: "health == unhealthy"}\n'


def _firing(monitoring: Monitoring) -> set[str]:
    events, _ = monitoring.events.since(0)
    state: dict[str, object] = {}
    for event in events:
        if event["type"] == "alert":
            state[str(event["rule"])] = event["to"]
    return {rule for rule, to in state.items() if to == "firing"}


def _reloads(monitoring: Monitoring) -> list[dict[str, object]]:
    return [event for event in monitoring.events.since(0)[0] if event["type"] == "reload"]


async def test_a_valid_edit_applies_within_2s_and_an_invalid_one_keeps_the_old_rules(tmp_path: Path) -> None:
    (tmp_path / "flaky.yaml").write_text(FLAKY)
    (tmp_path / "monitor.yaml").write_text(MONITOR)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    config = ServiceConfig(paths=(str(tmp_path / "monitor.yaml"), str(rules)))
    async with trio.open_nursery() as nursery:
        monitoring: Monitoring = await nursery.start(run_service, config)
        await wait_until(lambda: _firing(monitoring) == {"Errors"}, timeout=10, what="Errors firing")
        probes_before = sum(monitoring.state.servers["flaky"].outcomes.values())
        await trio.sleep(0.3)  # let the file watcher settle before the first edit

        edited = time.monotonic()
        rules.write_text(RULES + SECOND_RULE)
        await wait_until(lambda: "Unhealthy" in _firing(monitoring), timeout=5, what="the new rule")
        assert time.monotonic() - edited < 2.0
        assert [r["ok"] for r in _reloads(monitoring)] == [True]
        # the server's window and counters were kept: its history goes on from where it was
        assert sum(monitoring.state.servers["flaky"].outcomes.values()) > probes_before
        assert monitoring.state.servers["flaky"].health == "unhealthy"

        rules.write_text(RULES.replace('"error_rate > 50%"', '"error_rate >> 50%"') + SECOND_RULE)
        await wait_until(lambda: len(_reloads(monitoring)) == 2, timeout=5, what="the refused reload")
        refused = _reloads(monitoring)[1]
        seq = monitoring.events.last_seq

        def sampled_again() -> bool:
            return any(e["type"] == "sample" for e in monitoring.events.since(seq)[0])

        await wait_until(sampled_again, timeout=5, what="probes after the refused edit")
        nursery.cancel_scope.cancel()
    assert refused["ok"] is False
    assert [Path(str(f)).name for f in refused["files"]] == ["rules.yaml"]  # type: ignore[attr-defined]
    assert f"{rules}:6:27: AlertRules/prod-alerts: rules[0].expr: " in str(refused["error"])
    # the old rules keep working: probes went on, both alerts still fire, nothing resolved
    later = [e for e in monitoring.events.since(seq)[0] if e["type"] in ("sample", "alert")]
    assert not [e for e in later if e["type"] == "alert"]
    assert _firing(monitoring) == {"Errors", "Unhealthy"}
