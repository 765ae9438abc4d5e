"""The Alerts page's actions with a real monitor running over a real (always failing) mock: an ack made
through the dashboard's route is applied by the monitor and ``mcpctl alerts history`` (a subprocess) shows
it; a silence made there mutes the alert when it fires."""

from __future__ import annotations

import json
from pathlib import Path

import trio

from mcpctl.engine.monitor.service import ServiceConfig, run_service
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from mcpctl.web.alerts import alert_routes
from mcpctl.web.routing import Request, Response, find
from testing.cli import mcpctl
from tests.integration.alert_peers import wait_until
from tests.integration.monitor_mocks import ERROR_RULES, FLAKY
from tests.unit.web.test_alerts import stand_in_render

SPECS = (
    """\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {name: prod}
defaults: {interval: 200ms, timeout: 150ms}
health: {window: 1m, unhealthy: ["error_rate >= 50%"]}
servers:
  - {name: flaky, server: {mock: flaky.yaml}, probe: {call: work}}
---
"""
    + ERROR_RULES
)


class Page:
    """The alert routes over ``state_dir``, called as the dashboard's server calls them."""

    def __init__(self, state_dir: Path) -> None:
        self.published: list[tuple[str, dict[str, object]]] = []
        self.routes = alert_routes(
            state_dir=state_dir,
            render=stand_in_render(),
            publish=lambda kind, fields: self.published.append((kind, dict(fields))),
        )

    async def call(self, method: str, path: str, body: object = None) -> Response:
        route, params = find(self.routes, method, path)
        raw = b"" if body is None else json.dumps(body).encode()
        return await route.handler(Request(method=method, path=path, body=raw, params=params))


def _config(tmp_path: Path) -> ServiceConfig:
    (tmp_path / "flaky.yaml").write_text(FLAKY, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(SPECS, encoding="utf-8")
    return ServiceConfig(paths=(str(tmp_path / "monitor.yaml"),), state_dir=tmp_path / "state", reload=False)


def _active(state_dir: Path) -> list[stored.ActiveAlert]:
    with open_store(state_dir, create=False) as store:
        return stored.active(store)


def _events(state_dir: Path) -> list[tuple[str, str, str]]:
    with open_store(state_dir, create=False) as store:
        return [(r.event, r.alertname, r.server) for r in stored.history(store, limit=1000)]


async def test_an_ack_from_the_page_reaches_the_monitor_and_the_history(tmp_path: Path) -> None:
    config = _config(tmp_path)
    state_dir = tmp_path / "state"
    page = Page(state_dir)
    async with trio.open_nursery() as nursery:
        await nursery.start(run_service, config)
        await wait_until(
            lambda: any(a.state == "firing" for a in _active(state_dir)), timeout=15, what="Errors firing"
        )
        (alert,) = _active(state_dir)
        listed = (await page.call("GET", "/alerts")).body.decode()
        assert '<span data-field="state">firing</span>' in listed
        assert "flaky fails" in listed
        answer = await page.call(
            "POST",
            f"/api/v1/alerts/{alert.fingerprint[:8]}/ack",
            {"comment": "from the page", "author": "ann"},
        )
        assert answer.status == 201
        await wait_until(lambda: ("acked", "Errors", "flaky") in _events(state_dir), timeout=5, what="acked")
        await wait_until(
            lambda: _active(state_dir)[0].record.get("muted") == "acked", timeout=5, what="marked acked"
        )
        shown = (await page.call("GET", "/alerts")).body.decode()
        nursery.cancel_scope.cancel()
    assert '<span class="marks" data-field="marks">acked</span>' in shown
    assert [kind for kind, _ in page.published] == ["alert_ack"]
    result = await trio.to_thread.run_sync(
        lambda: mcpctl("alerts", "history", alert.fingerprint, "--state-dir", str(state_dir), cwd=tmp_path)
    )
    assert (result.returncode, result.stderr) == (0, "")
    acked = [line.split(None, 5)[1:] for line in result.stdout.splitlines() if " acked " in line]
    assert acked == [["acked", "Errors", "flaky", alert.fingerprint, "by ann: from the page"]]


async def test_a_silence_from_the_page_mutes_the_alert_when_it_fires(tmp_path: Path) -> None:
    config = _config(tmp_path)
    state_dir = tmp_path / "state"
    page = Page(state_dir)
    body = {"matchers": ["alertname=Errors", 'server="flaky"'], "duration": "10m", "comment": "deploying"}
    answer = await page.call("POST", "/api/v1/silences", body)
    assert answer.status == 201
    async with trio.open_nursery() as nursery:
        await nursery.start(run_service, config)
        await wait_until(
            lambda: ("silenced", "Errors", "flaky") in _events(state_dir), timeout=15, what="silenced"
        )
        await wait_until(lambda: _active(state_dir), timeout=5, what="active alert stored")
        nursery.cancel_scope.cancel()
    assert _active(state_dir)[0].record["muted"] == "silenced"
    assert ("notified", "Errors", "flaky") not in _events(state_dir)
