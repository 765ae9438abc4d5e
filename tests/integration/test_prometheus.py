"""The real Prometheus (``/usr/bin/prometheus``, the Debian package setup.sh installs) scraping the monitor's
/metrics every second: it sees the target up, negotiates OpenMetrics (the unit it keeps in its metadata
comes only from OpenMetrics' ``# UNIT`` line), and its ``histogram_quantile`` over our latency histogram
gives a p99 in seconds that agrees with the monitor's own.

The monitor runs in-process and probes a mock whose tool answers after a fixed 15 ms, so the p99 lands
in the (10 ms, 25 ms] bucket whichever way it is measured, and a histogram in milliseconds would be off by
a factor of a thousand.
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import trio

from mcpctl.engine.monitor.http import serve_monitor_http
from mcpctl.engine.monitor.loop import MonitorState, run_monitor
from mcpctl.observe.exposition import DEFAULT_BOUNDS
from mcpctl.spec.model import Metadata, Source, StdioServer
from mcpctl.spec.monitor_model import HealthRules, MonitoredServer, MonitorSpec, Probe
from mcpctl.spec.units import Duration
from tests.integration.conftest import free_port

PROMETHEUS = "/usr/bin/prometheus"
SOURCE = Source(path="monitor.yaml", line=1, column=1)
METRIC = "mcpctl_probe_duration_seconds"
QUERY = f"histogram_quantile(0.99, sum by (le, server) (rate({METRIC}_bucket[10s])))"
LATENCY = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: steady}
tools:
  - name: work
    inputSchema: {type: object}
    behaviour: {latency: 15ms}
    default: {text: done}
"""
CONFIG = """\
global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: mcpctl
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""
DEADLINE = 20.0


def _spec(mock: Path) -> MonitorSpec:
    server = StdioServer(
        name="steady", command=(sys.executable, "-m", "mcpctl", "mock", "serve", str(mock)), source=SOURCE
    )
    monitored = MonitoredServer(
        name="steady",
        server=server,
        probe=Probe(kind="call", tool="work"),
        interval=Duration(seconds=0.2),
        labels={"team": "core"},
        source=SOURCE,
    )
    return MonitorSpec(
        metadata=Metadata(name="scraped"),
        servers=(monitored,),
        health=HealthRules(window=Duration(seconds=60.0)),
        spec_hash="x",
        source=SOURCE,
    )


async def _stop(process: trio.Process) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        with trio.move_on_after(5):
            await process.wait()
            return


async def _ready(prometheus: httpx.AsyncClient, process: trio.Process, log: Path) -> None:
    while True:
        if process.poll() is not None:
            raise AssertionError(
                f"prometheus exited with {process.returncode}: {(await trio.Path(log).read_text())[-2000:]}"
            )
        try:
            if (await prometheus.get("/-/ready")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await trio.sleep(0.1)


async def _p99(prometheus: httpx.AsyncClient) -> float:
    """Prometheus' p99 for the probed server, once a rate over two scrapes or more exists."""
    while True:
        answer = (await prometheus.get("/api/v1/query", params={"query": QUERY})).json()
        assert answer["status"] == "success", answer
        for series in answer["data"]["result"]:
            value = float(series["value"][1])
            if series["metric"].get("server") == "steady" and not math.isnan(value):
                return value
        await trio.sleep(0.25)


def _bucket(seconds: float) -> int:
    """The index of the bucket (of DEFAULT_BOUNDS, then +Inf) that holds ``seconds``."""
    return next((i for i, bound in enumerate(DEFAULT_BOUNDS) if seconds <= bound), len(DEFAULT_BOUNDS))


async def test_prometheus_scrapes_the_monitor_and_computes_its_p99(tmp_path: Path) -> None:
    mock = tmp_path / "steady.yaml"
    mock.write_text(LATENCY)
    spec = _spec(mock)
    state = MonitorState(spec)
    web = free_port()
    log = tmp_path / "prometheus.log"
    async with trio.open_nursery() as nursery:
        nursery.start_soon(lambda: run_monitor(spec, {}, state=state))
        port: int = await nursery.start(serve_monitor_http, state, "127.0.0.1", 0)
        config = tmp_path / "prometheus.yml"
        config.write_text(CONFIG.format(port=port))
        argv = [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{web}",
        ]
        with log.open("wb") as output:
            process = await trio.lowlevel.open_process(
                argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True
            )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web}", timeout=5) as prometheus:
                with trio.fail_after(DEADLINE):
                    await _ready(prometheus, process, log)
                    p99 = await _p99(prometheus)
                targets = (await prometheus.get("/api/v1/targets")).json()["data"]["activeTargets"]
                metadata = (await prometheus.get("/api/v1/metadata", params={"metric": METRIC})).json()
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as monitor:
                own = (await monitor.get("/api/v1/status")).json()["servers"][0]
        finally:
            await _stop(process)
            nursery.cancel_scope.cancel()

    assert [(t["scrapeUrl"], t["health"], t["lastError"]) for t in targets] == [
        (f"http://127.0.0.1:{port}/metrics", "up", "")
    ]
    assert metadata["data"][METRIC] == [
        {"type": "histogram", "help": "Round trip of answered probes.", "unit": "seconds"}
    ]
    own_p99 = own["p99_ms"] / 1000
    assert math.isfinite(p99)
    # every probe takes 15 ms or a little more: Prometheus interpolates inside (10 ms, 25 ms], or the next
    # bucket up if more than 1 % of the probes were late
    assert 0.010 < p99 <= 0.050, (p99, own_p99)
    # linear interpolation inside the bucket that holds the 99th percentile: the same bucket as ours, or
    # the next one when a late probe on a loaded machine crossed its bound
    assert _bucket(p99) - _bucket(own_p99) in (0, 1, -1), (p99, own_p99)
