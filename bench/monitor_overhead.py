"""What monitoring costs mcpctl itself: (a) the CPU of the monitor process probing a fleet every second,
beside the bare cost of the same pings sent by a minimal loop; (b) one evaluation cycle of 1,000 alert rules;
(c) the time from a rule firing to its notification reaching a webhook.

usage: python bench/monitor_overhead.py [--servers N] [--stdio N] [--http-mocks N] [--seconds S] [--rules N]
                                        [--cycles N] [--alerts N] [--skip-fleet] [--skip-rules] [--skip-notify]

(a) ``--servers`` mock sessions (default 200): ``--servers - --stdio`` over Streamable HTTP, spread over
``--http-mocks`` ``mcpctl mock serve --http`` processes (many sessions each), and ``--stdio`` stdio mocks
(default 50, one process each), all answering ``bench/mocks/echo.yaml``. The monitor (the service as
``mcpctl monitor`` runs it from a spec file: endpoints, event log, ten alert rules, the state store with its
rollups; in a child process on core 0, servers on core 1) pings each one every second with a kept session; once every server has answered, its own CPU (``time.process_time``: the servers are other
processes) is measured for ``--seconds``, with the probes skipped for being late. The peer, measured in the
same run: a child opening the same kinds of sessions with mcpctl's client (``engine.targets.fast_target_for``,
as the monitor does) and pinging each on the same 1 s schedule, nothing else. Target: <= 25 % of one core,
0 skipped.

(b) ``--rules`` rules (a mix of p50/p90/p99, error_rate, health and throughput conditions, some with ``for``
and ``keep_firing_for``) over ``--servers`` servers' measurements, ``--cycles`` cycles one second apart (two
servers always bad, two without data now and then, and an incident where a tenth of the fleet goes bad at
once): :func:`rules_cycle_ms` times the alert engine as the monitor runs it (labels, annotations,
inhibition, dispatch), and the bare evaluator and dispatcher. Target: <= 50 ms per ordinary cycle (median
and max shown; the first cycle, which starts every alert, and the incident's cycles, from its start to its
alerts resolving, are shown apart with their cost per alert state change).

(c) ``--alerts`` servers (default 5) whose every call fails, under a rule ``error_rate > 50%`` routed to a
webhook endpoint (a thread in this process): the seconds from each alert event (firing) to its POST
arriving, beside a direct httpx POST to the same endpoint. Target: < 1 s.

Run nothing else meanwhile: the machine has 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path

from client_throughput import CLIENT_CPU, PY, ROOT, SERVER_CPU, free_port, killpg, serving

ECHO = os.path.join(ROOT, "bench", "mocks", "echo.yaml")
CPU_TARGET = 25.0
CYCLE_TARGET_MS = 50.0
WARMUP_LIMIT = 180.0
"""Seconds for every server to answer a first probe (50 Python stdio mocks start on one core)."""


# ---------------------------------------------------------------------------------------------- (a) fleet


def fleet_defs(urls: Sequence[str], http: int, stdio: int, state_dir: str) -> list:
    """``http`` HttpServer records spread over ``urls``, then ``stdio`` StdioServer records (on core 1)."""
    from mcpctl.spec.model import HttpServer, Source, StdioServer

    source = Source(path="bench", line=1, column=1)
    servers: list = [
        HttpServer(name=f"http-{i}", url=urls[i % len(urls)], source=source) for i in range(http)
    ]
    command = (*SERVER_CPU, PY, "-m", "mcpctl", "mock", "serve", "--state-dir", state_dir, ECHO)
    servers += [StdioServer(name=f"stdio-{i}", command=command, source=source) for i in range(stdio)]
    return servers


def fleet_files(defs: list, directory: str) -> str:
    """A spec file as an operator would write it: the servers, a Monitor probing each every second, and
    AlertRules (ten rules, console receiver) that the service evaluates every second."""
    import yaml

    from mcpctl.spec.model import HttpServer

    servers = {
        d.name: {"url": d.url}
        if isinstance(d, HttpServer)
        else {"command": d.command[0], "args": list(d.command[1:])}
        for d in defs
    }
    monitor = {
        "apiVersion": "mcpctl/v1",
        "kind": "Monitor",
        "metadata": {"name": "bench"},
        "defaults": {"interval": "1s", "timeout": "900ms", "probe": {"ping": {}}},
        "health": {"window": "5m", "degraded": ["p99 > 500ms"], "unhealthy": ["error_rate > 20%"]},
        "servers": [{"server": name, "labels": {"team": "bench"}} for name in servers],
    }
    rules = {
        "apiVersion": "mcpctl/v1",
        "kind": "AlertRules",
        "metadata": {"name": "bench"},
        "rules": [{"alert": f"Slow{i}", "expr": f"p99 > {500 + 100 * i}ms", "for": "1m"} for i in range(8)]
        + [{"alert": "Errors", "expr": "error_rate > 5%"}, {"alert": "Down", "expr": "health == offline"}],
    }
    documents = [
        {"apiVersion": "mcpctl/v1", "kind": "Servers", "metadata": {"name": "bench"}, "servers": servers}
    ]
    path = os.path.join(directory, "fleet.yaml")
    with open(path, "w", encoding="utf-8") as out:
        yaml.safe_dump_all([*documents, monitor, rules], out, sort_keys=False)
    return path


async def child_monitor(defs: list, seconds: float) -> dict:
    """Run the monitoring service as ``mcpctl monitor`` runs it (endpoints, event log, alert rules, state
    store with rollups) over ``defs``; its CPU over ``seconds`` once every server has answered."""
    import tempfile

    import trio

    from mcpctl.engine.monitor.metrics import monitor_families
    from mcpctl.engine.monitor.service import ServiceConfig, run_service
    from mcpctl.observe.exposition import negotiate

    with tempfile.TemporaryDirectory(prefix="mcpctl-bench-monitor-") as directory:
        config = ServiceConfig(
            paths=(fleet_files(defs, directory),),
            listen=("127.0.0.1", 0),
            state_dir=Path(directory) / "state",
            reload=False,
        )
        async with trio.open_nursery() as nursery:
            monitoring = await nursery.start(run_service, config)
            state = monitoring.state

            def totals() -> tuple[int, int, int]:
                servers = state.servers.values()
                ok = sum(s.outcomes["ok"] for s in servers)
                return ok, sum(sum(s.outcomes.values()) for s in servers), sum(s.skipped for s in servers)

            with trio.fail_after(WARMUP_LIMIT):
                # wait for an answer from each (50 Python mocks starting at once take a while)
                while not all(s.outcomes["ok"] for s in state.servers.values()):  # noqa: ASYNC110
                    await trio.sleep(0.5)
            await trio.sleep(3)  # let the last starts and the first window computations settle
            before, cpu, wall = totals(), time.process_time(), time.perf_counter()
            await trio.sleep(seconds)
            after, cpu, wall = totals(), time.process_time() - cpu, time.perf_counter() - wall
            start = time.perf_counter()
            _, render = negotiate("application/openmetrics-text; version=1.0.0")
            size = len(render(monitor_families(state)))
            scrape_ms = (time.perf_counter() - start) * 1000
            nursery.cancel_scope.cancel()
    ok, probes, skipped = (a - b for a, b in zip(after, before, strict=True))
    return {
        "cpu": cpu,
        "wall": wall,
        "ok": ok,
        "probes": probes,
        "skipped": skipped,
        "scrape_ms": scrape_ms,
        "scrape_bytes": size,
    }


async def child_raw(defs: list, seconds: float) -> dict:
    """The peer: one kept session per server with mcpctl's client, a ping each second, nothing else."""
    import trio

    from mcpctl.engine.targets import fast_target_for
    from mcpctl.errors import McpctlError
    from mcpctl.mcp.client import open_client

    counts = {"ok": 0, "failed": 0, "late": 0}
    opened = 0
    all_open = trio.Event()

    async def pinger(server: object) -> None:
        nonlocal opened
        async with open_client(fast_target_for(server), connect_timeout=WARMUP_LIMIT) as client:  # type: ignore[arg-type]
            opened += 1
            if opened == len(defs):
                all_open.set()
            start, k = trio.current_time(), 0
            while True:
                await trio.sleep_until(start + k)
                try:
                    await client.ping()
                    counts["ok"] += 1
                except McpctlError:  # counted, as the monitor would
                    counts["failed"] += 1
                k += 1
                behind = int(trio.current_time() - start) - k + 1
                if behind > 0:
                    counts["late"] += behind
                    k += behind

    async with trio.open_nursery() as nursery:
        for server in defs:
            nursery.start_soon(pinger, server)
        with trio.fail_after(WARMUP_LIMIT):
            await all_open.wait()
        await trio.sleep(3)
        before, cpu, wall = dict(counts), time.process_time(), time.perf_counter()
        await trio.sleep(seconds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        nursery.cancel_scope.cancel()
    ok = counts["ok"] - before["ok"]
    return {
        "cpu": cpu,
        "wall": wall,
        "ok": ok,
        "probes": ok + counts["failed"] - before["failed"],
        "skipped": counts["late"] - before["late"],
    }


def run_child(role: str, urls: list[str], args: argparse.Namespace, state_dir: str) -> dict:
    """Run this script as ``--child role`` on the client core; its JSON result."""
    cmd = [*CLIENT_CPU, PY, os.path.abspath(__file__), "--child", role, "--urls", ",".join(urls)]
    cmd += [
        "--servers",
        str(args.servers),
        "--stdio",
        str(args.stdio),
        "--seconds",
        str(args.seconds),
        "--state-dir",
        state_dir,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT
    )
    try:
        out, err = proc.communicate(timeout=WARMUP_LIMIT + args.seconds + 60)
    except subprocess.TimeoutExpired:
        killpg(proc.pid)
        out, err = proc.communicate()
    finally:
        killpg(proc.pid)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        # an exception group's last line is its frame: the cause is a few lines up
        return {"error": " / ".join(line.strip() for line in err.strip().splitlines()[-12:]) or "no output"}
    return json.loads(lines[-1])


def bench_fleet(args: argparse.Namespace) -> tuple[dict, dict]:
    """Start the HTTP mocks, then measure the monitor and the raw loop one after the other."""
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="mcpctl-bench-") as state_dir:
        env = dict(os.environ, MCPCTL_STATE_DIR=state_dir)
        urls = []
        for _ in range(args.http_mocks):
            port = free_port()
            cmd = [PY, "-m", "mcpctl", "mock", "serve", ECHO, "--http", f"127.0.0.1:{port}"]
            urls.append(stack.enter_context(serving(cmd, port, env=env)))
        monitor = run_child("monitor", urls, args, state_dir)
        print(f"monitor: {monitor}", file=sys.stderr)
        raw = run_child("raw", urls, args, state_dir)
        print(f"raw loop: {raw}", file=sys.stderr)
    return monitor, raw


# ---------------------------------------------------------------------------------------------- (b) rules

METRIC_CYCLE = ("p99", "error_rate", "health", "throughput", "p90", "p50")


def build_rules(count: int) -> list:
    """``count`` rules: latency, error_rate, health and throughput conditions, with and without for/keep."""
    from mcpctl.spec.alert_rules import Rule, parse_condition

    conditions = {
        "p99": lambda i: f"p99 > {100 + 10 * (i % 90)}ms",
        "p90": lambda i: f"p90 > {50 + 10 * (i % 50)}ms",
        "p50": lambda i: f"p50 >= {20 + 5 * (i % 40)}ms",
        "error_rate": lambda i: f"error_rate > {1 + i % 20}%",
        "health": lambda i: "health == offline" if i % 2 else "health != healthy",
        "throughput": lambda i: f"throughput < {0.2 + 0.1 * (i % 5):.1f}/s",
    }
    rules = []
    for i in range(count):
        metric = METRIC_CYCLE[i % len(METRIC_CYCLE)]
        rules.append(
            Rule(
                name=f"rule-{i:04d}",
                condition=parse_condition(conditions[metric](i)),
                for_=(0.0, 0.0, 2.0, 5.0)[i % 4],
                keep_firing_for=(0.0, 3.0)[i % 2],
                severity=("warning", "critical")[i % 2],
                labels={"team": f"team-{i % 7}"},
            )
        )
    return rules


def measurement_cycles(servers: int, cycles: int, seed: int = 7) -> list[dict[str, dict[str, object]]]:
    """Per cycle, every server's measurements, as a fleet looks: most servers fine with noisy numbers, two
    always bad (their alerts keep firing), two without data for one cycle in every ten, and an incident in
    cycles 5-7 of every ten where a tenth of the fleet goes bad at once (clearing in cycle 8)."""
    rng = random.Random(seed)
    out = []
    for cycle in range(cycles):
        incident = cycle % 10 in (5, 6, 7)
        frame: dict[str, dict[str, object]] = {}
        for s in range(servers):
            name = f"server-{s:03d}"
            if cycle % 10 == 2 and s in (10, 11):
                frame[name] = {m: None for m in METRIC_CYCLE}
                continue
            bad = s < 2 or (incident and s % 10 == 3)
            base = rng.uniform(600, 3000) if bad else rng.uniform(5, 40)
            frame[name] = {
                "p50": base,
                "p90": base * 1.5,
                "p99": base * 2.5,
                "error_rate": rng.uniform(0.2, 0.9) if bad else rng.uniform(0, 0.004),
                "throughput": rng.uniform(0.0, 0.3) if bad else 1.0,
                "health": rng.choice(("unhealthy", "offline")) if bad else "healthy",
            }
        out.append(frame)
    return out


def rules_cycle_ms(
    rules: Sequence[object],
    cycles: Sequence[dict[str, dict[str, object]]],
    *,
    engine: Callable[[Sequence[object]], Callable[[float, dict[str, dict[str, object]]], int]] | None = None,
) -> tuple[list[float], list[int]]:
    """Milliseconds of each evaluation cycle (one per second of a fake clock) and its state changes.

    ``engine(rules)`` returns ``step(now, measurements) -> changes``; the default is the pure alert core
    (``Evaluator.evaluate`` then ``Dispatcher.ingest`` and ``tick``). Point it at a fuller alert engine to
    time that instead."""
    step = (engine or core_engine)(rules)
    times, changes = [], []
    for i, measurements in enumerate(cycles):
        start = time.perf_counter()
        changed = step(float(i), measurements)
        times.append((time.perf_counter() - start) * 1000)
        changes.append(changed)
    return times, changes


def core_engine(rules: Sequence[object]) -> Callable[[float, dict[str, dict[str, object]]], int]:
    """The alert core: every rule over every server, alerts grouped by alertname, flushed each second."""
    from mcpctl.observe.alerts.route import Dispatcher
    from mcpctl.observe.alerts.state import Evaluator

    evaluator = Evaluator(rules)  # type: ignore[arg-type]
    clock = [0.0]
    dispatcher = Dispatcher(
        group_by=("alertname",),
        group_wait=1.0,
        group_interval=1.0,
        repeat_interval=60.0,
        clock=lambda: clock[0],
    )

    def step(now: float, measurements: dict[str, dict[str, object]]) -> int:
        clock[0] = now
        events = evaluator.evaluate(now, measurements)  # type: ignore[arg-type]
        dispatcher.ingest(events)
        dispatcher.tick(now)
        return len(events)

    return step


def full_engine(rules: Sequence[object]) -> Callable[[float, dict[str, dict[str, object]]], int]:
    """What a running monitor does each cycle: the AlertRules engine (labels, annotations, inhibition by
    dependency, dispatch), one document holding every rule."""
    from mcpctl.observe.alerts.engine import AlertEngine
    from mcpctl.spec.alert_model import AlertRoute, AlertRule, AlertRulesSpec
    from mcpctl.spec.model import Metadata, Source
    from mcpctl.spec.units import Duration

    source = Source(path="bench.yaml", line=1, column=1)
    spec = AlertRulesSpec(
        metadata=Metadata(name="bench"),
        rules=tuple(
            AlertRule(rule=rule, annotations={"summary": "{{ server }} {{ value }}"}, source=source)  # type: ignore[arg-type]
            for rule in rules
        ),
        route=AlertRoute(group_wait=Duration(seconds=1.0), group_interval=Duration(seconds=1.0)),
        spec_hash="bench",
        source=source,
    )
    clock = [0.0]
    engine = AlertEngine(spec, clock=lambda: clock[0], impacted=lambda server: ())
    labels = {f"server-{s:03d}": {"team": f"team-{s % 7}"} for s in range(1000)}

    def step(now: float, measurements: dict[str, dict[str, object]]) -> int:
        clock[0] = now
        events = engine.evaluate(now, measurements, labels)  # type: ignore[arg-type]
        engine.tick(now)
        return len(events)

    return step


# ---------------------------------------------------------------------------------------------- report


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def report(
    args: argparse.Namespace,
    fleet: tuple[dict, dict] | None,
    rules: list[tuple[str, tuple[list[float], list[int]]]] | None,
) -> None:
    print("\n## mcpctl monitor overhead\n")
    print("| measure | mcpctl | peer (same run) | ratio | target | |")
    print("|---|---|---|---|---|---|")
    if fleet is not None:
        monitor, raw = fleet
        if "error" in monitor or "error" in raw:
            print(
                f"| monitor CPU | {monitor.get('error', '')} | {raw.get('error', '')} | | ≤ {CPU_TARGET:g}% | NOT MET |"
            )
        else:
            pct = 100 * monitor["cpu"] / monitor["wall"]
            raw_pct = 100 * raw["cpu"] / raw["wall"]
            who = f"{args.servers} servers ({args.servers - args.stdio} HTTP sessions on {args.http_mocks} mocks + {args.stdio} stdio), 1 probe/s, {monitor['wall']:.0f} s"
            print(
                f"| monitor CPU, {who} | {pct:.1f}% of a core ({monitor['probes']} probes, {monitor['ok']} ok) "
                f"| raw ping loop {raw_pct:.1f}% ({raw['probes']} pings, {raw['ok']} ok) | {pct / raw_pct:.2f}× "
                f"| ≤ {CPU_TARGET:g}% | {verdict(pct <= CPU_TARGET)} |"
            )
            per = 1e6 * monitor["cpu"] / max(monitor["probes"], 1)
            raw_per = 1e6 * raw["cpu"] / max(raw["probes"], 1)
            print(f"| CPU per probe | {per:.0f} µs | {raw_per:.0f} µs | {per / raw_per:.2f}× | | |")
            print(
                f"| late/skipped probes | {monitor['skipped']} | {raw['skipped']} | | 0 | {verdict(monitor['skipped'] == 0)} |"
            )
            print(
                f"| one /metrics render (OpenMetrics, {monitor['scrape_bytes'] // 1024} KiB) | {monitor['scrape_ms']:.1f} ms | | | | |"
            )
    for label, result in rules or []:
        report_rules(args, label, result)


def report_rules(args: argparse.Namespace, label: str, result: tuple[list[float], list[int]]) -> None:
    times, changes = result
    pairs = args.rules * args.servers
    # an incident is cycles 5-7 of every 10; it clears in cycle 8 and the alerts it fired with keepFiringFor 3s
    # resolve in cycle 11 (the next ten's cycle 1): those are the incident's cycles, the rest are ordinary
    incident = {5, 6, 7, 8, 1}
    calm = [t for i, t in enumerate(times) if i % 10 not in incident and i > 0]
    stormy = [
        (t, c) for i, (t, c) in enumerate(zip(times, changes, strict=True)) if i % 10 in incident and i > 1
    ]
    med = statistics.median(calm) if calm else float("nan")
    worst = max(calm) if calm else float("nan")
    print(
        f"| {label}: {args.rules} rules × {args.servers} servers ({pairs:,} pairs), {len(calm)} ordinary cycles: "
        f"median / max ms per cycle | {med:.1f} / {worst:.1f} ms | | | ≤ {CYCLE_TARGET_MS:g} ms "
        f"| {verdict(worst <= CYCLE_TARGET_MS)} |"
    )
    if stormy:
        t, c = max(stormy, key=lambda item: item[1])
        print(
            f"| {label}: worst incident cycle (a tenth of the fleet bad at once, or its alerts resolving: {c:,} alert state changes) "
            f"| {t:.1f} ms ({1000 * t / c:.1f} µs per change) | | | | |"
        )


# ---------------------------------------------------------------------------------------------- (c) notify

NOTIFY_TARGET_S = 1.0
FAILING = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: failing}
tools:
  - name: work
    inputSchema: {type: object}
    behaviour: {errorRate: 100%}
    default: {text: done}
"""


def _collector() -> tuple[str, list[float], Callable[[], None]]:
    """A webhook endpoint in a thread: its URL, the perf_counter of each POST received, and a stop."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    arrivals: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            arrivals.append(time.perf_counter())
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/hook", arrivals, server.shutdown


def _notify_files(directory: str, url: str, alerts: int) -> None:
    Path(directory, "failing.yaml").write_text(FAILING, encoding="utf-8")
    servers = "".join(
        f"  - {{name: s{i}, server: {{mock: failing.yaml}}, probe: {{call: work}}}}\n" for i in range(alerts)
    )
    Path(directory, "monitor.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: Monitor\nmetadata: {name: notify}\n"
        "defaults: {interval: 500ms, timeout: 400ms}\nservers:\n" + servers + "---\n"
        "apiVersion: mcpctl/v1\nkind: AlertRules\nmetadata: {name: notify}\n"
        'rules: [{alert: Errors, expr: "error_rate > 50%"}]\n'
        f'receivers: [{{name: hook, webhook: "{url}"}}]\n'
        "route: {receiver: hook, groupBy: [alertname, server], groupWait: 0s, groupInterval: 1s}\n",
        encoding="utf-8",
    )


async def notify_latency(alerts: int) -> tuple[list[float], list[float]]:
    """Seconds from a rule firing (the alert event) to its webhook POST arriving, for ``alerts`` servers
    failing at once, each in its own group; and the peer: the same POST sent straight with httpx."""
    import httpx
    import trio

    from mcpctl.engine.monitor.service import ServiceConfig, run_service

    url, arrivals, stop = _collector()
    try:
        with tempfile.TemporaryDirectory(prefix="mcpctl-bench-notify-") as directory:
            _notify_files(directory, url, alerts)
            config = ServiceConfig(paths=(str(Path(directory, "monitor.yaml")),), reload=False)
            fired: list[float] = []
            async with trio.open_nursery() as nursery:
                monitoring = await nursery.start(run_service, config)
                monitoring.events.listen(
                    lambda e: (
                        fired.append(time.perf_counter())
                        if e["type"] == "alert" and e["to"] == "firing"
                        else None
                    )
                )
                with trio.fail_after(60):
                    while len(arrivals) < alerts:  # noqa: ASYNC110
                        await trio.sleep(0.01)
                nursery.cancel_scope.cancel()
            ours = [arrived - when for when, arrived in zip(sorted(fired), sorted(arrivals), strict=False)]
            arrivals.clear()
            direct = []
            async with httpx.AsyncClient() as client:
                for _ in range(alerts):
                    start = time.perf_counter()
                    await client.post(url, json={"version": "4", "alerts": []})
                    direct.append(time.perf_counter() - start)
            return ours, direct
    finally:
        stop()


def report_notify(ours: list[float], direct: list[float]) -> None:
    worst, med = max(ours), statistics.median(ours)
    print(
        f"| rule fires → webhook received ({len(ours)} alerts at once, each its own group; "
        f"median / max) | {1000 * med:.0f} / {1000 * worst:.0f} ms | direct POST {1000 * statistics.median(direct):.1f} ms "
        f"| | < {NOTIFY_TARGET_S:g} s | {verdict(worst < NOTIFY_TARGET_S)} |"
    )


def child_main(args: argparse.Namespace) -> None:
    import trio

    urls = args.urls.split(",") if args.urls else []
    defs = fleet_defs(urls, args.servers - args.stdio, args.stdio, args.state_dir)
    run = child_monitor if args.child == "monitor" else child_raw
    print(json.dumps(trio.run(run, defs, args.seconds)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=200)
    parser.add_argument("--stdio", type=int, default=50)
    parser.add_argument("--http-mocks", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--skip-fleet", action="store_true")
    parser.add_argument("--skip-rules", action="store_true")
    parser.add_argument("--skip-notify", action="store_true")
    parser.add_argument("--alerts", type=int, default=5, help="servers failing at once for the notify figure")
    parser.add_argument("--child", choices=("monitor", "raw"), help=argparse.SUPPRESS)
    parser.add_argument("--urls", default="", help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    args.stdio = min(args.stdio, args.servers)
    fleet = None if args.skip_fleet else bench_fleet(args)
    rules = None
    if not args.skip_rules:
        built, cycles = build_rules(args.rules), measurement_cycles(args.servers, args.cycles)
        rules = [
            ("alert engine (as the monitor runs it)", rules_cycle_ms(built, cycles, engine=full_engine)),
            ("evaluator + dispatcher only", rules_cycle_ms(built, cycles)),
        ]
    notify = None
    if not args.skip_notify:
        import trio

        notify = trio.run(notify_latency, args.alerts)
    report(args, fleet, rules)
    if notify is not None:
        report_notify(*notify)


if __name__ == "__main__":
    main()
