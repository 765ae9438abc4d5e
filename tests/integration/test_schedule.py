"""A real scheduler: entries run as ``mcpctl apply`` children against the bundled weather mock, pings and a
failure notification reach loopback collectors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import trio

from mcpctl.engine.schedule.clock import TrioClock
from mcpctl.engine.schedule.launch import ProcessLauncher
from mcpctl.engine.schedule.scheduler import ScheduleEvent, Scheduler
from mcpctl.engine.schedule.state import ScheduleState
from mcpctl.spec.build import load_specs
from tests.integration.alert_peers import wait_until, webhook_collector

ROOT = Path(__file__).resolve().parents[2]

FAILING = f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: local}}
servers:
  weather: {{mock: {ROOT / "examples" / "weather.yaml"}}}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: rain}}
server: weather
tests:
  - name: Paris is rainy
    call: forecast
    with: {{city: Paris}}
    expect: {{text: {{contains: rainy}}}}
"""


def schedule_yaml(url: str) -> str:
    return f"""\
apiVersion: mcpctl/v1
kind: Schedule
metadata: {{name: it}}
receivers:
  - {{name: team, webhook: "{url}/hook", delivery: {{attempts: 2, backoff: 100ms}}}}
entries:
  - name: fails
    cron: "* * * * *"
    specs: [failing.yaml]
    ping: {url}/ping/fails
    notify: {{receivers: [team]}}
  - name: passes
    cron: "* * * * *"
    specs: [{ROOT / "examples" / "quickstart.yaml"}]
    ping: {url}/ping/passes
    notify: {{receivers: [team]}}
"""


async def test_runs_ping_and_notify(tmp_path: Path) -> None:
    (tmp_path / "failing.yaml").write_text(FAILING)
    events: list[ScheduleEvent] = []
    with webhook_collector() as collector:
        (tmp_path / "schedule.yaml").write_text(schedule_yaml(collector.url))
        spec = load_specs([str(tmp_path / "schedule.yaml")]).schedules[0]
        state_dir = tmp_path / "state"
        scheduler = Scheduler(
            spec,
            launcher=ProcessLauncher(state_dir=str(state_dir)),
            clock=TrioClock(datetime(2026, 6, 1, 12, 0, 59, 500_000, tzinfo=UTC)),  # a fire in 0.5s
            state=ScheduleState(state_dir, "it"),
            on_event=events.append,
            seed="it",
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(scheduler.run)
            done = ("/ping/fails/1", "/ping/passes/0", "/hook")
            await wait_until(lambda: all(collector.at(p) for p in done), timeout=60, what="pings and hook")
            nursery.cancel_scope.cancel()
    assert [r.body for r in collector.at("/ping/fails/start")] == [""]
    assert [r.body for r in collector.at("/ping/passes/start")] == [""]
    tail = collector.at("/ping/fails/1")[0].body
    assert isinstance(tail, str)
    assert "Paris is rainy" in tail
    assert collector.at("/ping/fails/1")[0].headers["content-type"] == "text/plain; charset=utf-8"
    hooks = collector.at("/hook")
    assert len(hooks) == 1  # the passing entry has no earlier failure: no recovery, no success wanted
    body = hooks[0].body
    assert isinstance(body, dict)
    assert body["status"] == "firing"
    assert body["groupLabels"] == {"schedule": "it", "entry": "fails"}
    alert = body["alerts"][0]
    assert alert["labels"] == {
        "alertname": "ScheduledRunFailed",
        "schedule": "it",
        "entry": "fails",
        "severity": "warning",
    }
    assert alert["annotations"]["summary"] == "scheduled run it/fails failed (exit code 1)"
    assert "Paris is rainy" in alert["annotations"]["log_tail"]
    ends = {e.entry: e.exit_code for e in events if e.kind == "end"}
    assert ends == {"fails": 1, "passes": 0}
    assert ScheduleState(state_dir, "it").load()["fails"].last_exit == 1
