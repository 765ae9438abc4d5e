"""Issue 11, acceptance 2 in real time, Alertmanager-style, with real receivers on loopback: a running monitor
whose rule goes pending, then fires only after ``for``; its notification reaches Slack-shaped and webhook
endpoints, an SMTP server and a real Alertmanager; a receiver that is down is retried while the probes keep
their schedule; escalation reaches step 2 when nobody acks and stops at the ack; the resolution is
notified once. (The timing logic itself is tested on a fake clock in tests/unit/observe.)"""

from __future__ import annotations

import email
import re
import time
from pathlib import Path

import trio

from mcpctl.engine.monitor.service import Monitoring, ServiceConfig, run_service
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from tests.integration.alert_peers import (
    WebhookCollector,
    alertmanager,
    smtp_server,
    wait_until,
    webhook_collector,
)
from tests.integration.conftest import free_port
from tests.integration.monitor_mocks import set_switch, switch_server

SPECS = """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: oncall}
defaults: {interval: 200ms, timeout: 150ms}
health: {window: 1s}
servers:
  - {name: switch, server: {url: "SWITCH_URL"}, probe: {call: work}}
---
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: oncall-alerts}
evaluationInterval: 100ms
rules:
  - alert: Errors
    expr: "error_rate > 50%"
    for: 600ms
    severity: critical
    annotations: {summary: "{{ server }} fails {{ value }} of its probes"}
receivers:
  - {name: chat, slack: "COLLECTOR/slack"}
  - {name: mail, email: {to: oncall@example.com, from: mcpctl@example.com, smarthost: "SMARTHOST", startTLS: false}}
  - {name: am, alertmanager: "ALERTMANAGER"}
  - {name: flaky-hook, webhook: "COLLECTOR/down", delivery: {attempts: 5, backoff: 100ms, timeout: 1s}}
  - {name: pager, webhook: "COLLECTOR/pager"}
route:
  groupBy: [alertname]
  groupWait: 0s
  groupInterval: 200ms
  repeatInterval: 1h
  escalation:
    - {receivers: [chat, mail, am, flaky-hook], wait: 1s}
    - {receivers: [pager]}
"""


def _statuses(collector: WebhookCollector, path: str) -> list[str]:
    """The status of each body received on ``path`` (Slack's from its ``[FIRING:1] ...`` text)."""
    found = []
    for received in collector.at(path):
        body = received.body
        assert isinstance(body, dict)
        found.append(str(body["status"]) if "status" in body else str(body["text"])[1:].split(":")[0].lower())
    return found


def _alert_events(monitoring: Monitoring) -> list[dict[str, object]]:
    return [e for e in monitoring.events.since(0)[0] if e["type"] == "alert"]


async def test_notifications_reach_every_receiver_escalate_and_resolve_once(tmp_path: Path) -> None:
    switch = tmp_path / "switch.yaml"
    set_switch(switch, "{}")
    port = free_port()
    state_dir = tmp_path / "state"
    with webhook_collector() as collector, smtp_server() as smtp, alertmanager(f"{collector.url}/am") as am:
        collector.fail("/down", status=503, times=3)
        spec = (
            SPECS.replace("SWITCH_URL", f"http://127.0.0.1:{port}/mcp")
            .replace("COLLECTOR", collector.url)
            .replace("SMARTHOST", smtp.smarthost)
            .replace("ALERTMANAGER", am.url)
        )
        (tmp_path / "monitor.yaml").write_text(spec)
        config = ServiceConfig(paths=(str(tmp_path / "monitor.yaml"),), state_dir=state_dir)
        with switch_server(switch, port):
            async with trio.open_nursery() as nursery:
                monitoring: Monitoring = await nursery.start(run_service, config)
                server = monitoring.state.servers["switch"]
                await wait_until(lambda: server.health == "healthy", timeout=10, what="healthy")
                set_switch(switch, "{errorRate: 100%}")

                await wait_until(
                    lambda: _statuses(collector, "/slack") == ["firing"], timeout=10, what="slack"
                )
                await wait_until(lambda: len(smtp.messages) == 1, timeout=5, what="mail")
                await wait_until(lambda: bool(am.alerts()), timeout=5, what="alertmanager")
                await wait_until(
                    lambda: _statuses(collector, "/am") == ["firing"], timeout=10, what="am forward"
                )
                await wait_until(
                    lambda: _statuses(collector, "/down") == ["firing"] * 4, timeout=5, what="retry"
                )
                # nobody acks: step 2 after the 1s wait
                await wait_until(
                    lambda: _statuses(collector, "/pager") == ["firing"], timeout=5, what="pager"
                )
                with open_store(state_dir) as store:
                    (fingerprint,) = [a.fingerprint for a in stored.active(store) if a.state == "firing"]
                    stored.add_ack(store, fingerprint, at=time.time(), author="ana", comment="looking")
                await trio.sleep(1.5)  # acked: no more escalation or repeats
                paged = len(collector.at("/pager"))
                skipped_while_failing = server.skipped

                set_switch(switch, "{}")
                await wait_until(
                    lambda: "resolved" in _statuses(collector, "/slack"), timeout=10, what="resolve"
                )
                await trio.sleep(1.0)  # several group intervals: the resolution is not sent again
                nursery.cancel_scope.cancel()

    changes = [(e["from"], e["to"], e["ts"]) for e in _alert_events(monitoring)]
    assert [(a, b) for a, b, _ in changes] == [
        ("inactive", "pending"),
        ("pending", "firing"),
        ("firing", "resolved"),
    ]
    assert float(str(changes[1][2])) - float(str(changes[0][2])) >= 0.6  # fired only after `for`
    # slack: one firing and one resolved message, blocks with the rendered annotation
    assert _statuses(collector, "/slack") == ["firing", "resolved"]
    slack = collector.at("/slack")[0].body
    # the annotation is rendered with the value that fired the rule: above 50%, maybe not yet 100%
    assert re.search(r"switch fails \d+(\.\d+)?% of its probes", str(slack))
    assert isinstance(slack, dict)
    assert slack["blocks"]
    # the mail arrived whole; Alertmanager got the alert and forwarded it to its own webhook
    message = email.message_from_bytes(smtp.messages[0].content)
    assert message["To"] == "oncall@example.com"
    assert "Errors" in str(message["Subject"])
    assert _statuses(collector, "/am")[0] == "firing"
    labels = collector.at("/am")[0].body["alerts"][0]["labels"]  # type: ignore[index]
    assert (labels["alertname"], labels["server"], labels["severity"]) == ("Errors", "switch", "critical")
    # the receiver that was down: 3 failures then the delivery (and later the resolution)
    assert [r.status for r in collector.at("/down")] == [503, 503, 503, 200, 200]
    # escalation stopped at the ack; the resolution went to the first step's receivers once
    assert paged == 1
    assert _statuses(collector, "/pager") == ["firing"]
    assert _statuses(collector, "/down")[-1] == "resolved"
    # probes kept their schedule while a receiver was down
    assert skipped_while_failing == 0
    with open_store(state_dir) as store:
        events = [row.event for row in stored.history(store, limit=1000)]
    assert events.count("notified") == 3  # firing (step 1), escalation (step 2), resolved
    assert "acked" in events
