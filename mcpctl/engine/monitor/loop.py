"""The monitor loop: one trio task per server, probes on a schedule that does not drift, health after each.

The k-th probe of a server is due at ``start + k * interval`` (trio's clock), never "interval after the
last one ended", so slow probes do not make the schedule slip. A probe that would start late (the one
before it, or waiting for a :class:`trio.CapacityLimiter` slot of ``concurrency``, ran past its slot) is
skipped and counted, not queued: a burst of catch-up probes would only measure the monitor itself.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import trio

from mcpctl.engine.monitor.health import evaluate, impacted_by
from mcpctl.engine.monitor.probe import Prober, Sample
from mcpctl.engine.monitor.window import RollingWindow, WindowStats
from mcpctl.engine.targets import fast_target_for
from mcpctl.errors import UsageError
from mcpctl.observe.events import EventLog
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.spec.model import ServerDef
from mcpctl.spec.monitor_model import Health, MonitoredServer, MonitorSpec

EventCallback = Callable[[dict[str, object]], None]
"""Receives each health transition: ``{"ts", "server", "from", "to", "reasons"}``."""


@dataclass(slots=True, kw_only=True)
class ServerState:
    """What the monitor knows of one server (mutated by its task only)."""

    spec: MonitoredServer
    window: RollingWindow
    histogram: LatencyHistogram = field(default_factory=LatencyHistogram)
    """Every answered probe's latency since the start (Prometheus histograms are cumulative)."""
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    failed_connects: int = 0
    health: Health | None = None
    """None until the first probe."""
    reasons: tuple[str, ...] = ()
    last: Sample | None = None
    stats: WindowStats | None = None
    """The window's measurements as of the last probe (what the health was judged on)."""


class MonitorState:
    """Every server's state, read by the HTTP endpoints while the loop writes it."""

    def __init__(
        self, spec: MonitorSpec, *, wall: Callable[[], float] = time.time, events: EventLog | None = None
    ) -> None:
        self.spec = spec
        self.wall = wall
        self.started = wall()
        self.events = events if events is not None else EventLog(wall=wall)
        """Every sample and health change (``sample`` and ``health`` events), for the live stream."""
        self.servers = {
            s.name: ServerState(spec=s, window=RollingWindow(spec.health.window.seconds))
            for s in spec.servers
        }

    def adopt(self, spec: MonitorSpec) -> None:
        """Take a reloaded spec: servers kept by name keep their window, histogram and counters (a new
        health window length starts a new window); new servers start afresh; removed ones are dropped."""
        window = spec.health.window.seconds
        servers: dict[str, ServerState] = {}
        for monitored in spec.servers:
            kept = self.servers.get(monitored.name)
            if kept is None:
                servers[monitored.name] = ServerState(spec=monitored, window=RollingWindow(window))
                continue
            kept.spec = monitored
            if window != self.spec.health.window.seconds:
                kept.window = RollingWindow(window)
            servers[monitored.name] = kept
        self.spec, self.servers = spec, servers

    def impacted(self, name: str) -> tuple[str, ...]:
        """The offline dependencies of server ``name``."""
        states = {key: server.health for key, server in self.servers.items()}
        return impacted_by(self.servers[name].spec.depends_on, states)

    def record(self, name: str, sample: Sample) -> dict[str, object] | None:
        """Count ``sample``, judge the server again, and return the transition event if its state changed.

        The sample, and the change if any, are appended to :attr:`events` too."""
        server = self.servers[name]
        server.last = sample
        server.outcomes[sample.outcome] += 1
        server.failed_connects = server.failed_connects + 1 if sample.outcome == "connect_failed" else 0
        server.window.add(sample.ts, sample.outcome, sample.latency_ns)
        if sample.latency_ns is not None:
            server.histogram.record(sample.latency_ns)
        stats = server.stats = server.window.stats(self.wall())
        verdict = evaluate(stats, self.spec.health, failed_connects=server.failed_connects)
        before, server.health, server.reasons = server.health, verdict.state, verdict.reasons
        self.events.append("sample", _sample_fields(name, sample, verdict.state), ts=sample.ts)
        if before == verdict.state:
            return None
        change: dict[str, object] = {
            "ts": sample.ts,
            "server": name,
            "from": before,
            "to": verdict.state,
            "reasons": list(verdict.reasons),
        }
        self.events.append("health", {k: v for k, v in change.items() if k != "ts"}, ts=sample.ts)
        return change


def _sample_fields(name: str, sample: Sample, health: Health) -> dict[str, object]:
    return {
        "server": name,
        "outcome": sample.outcome,
        "latency_ms": None if sample.latency_ns is None else sample.latency_ns / 1e6,
        "connect_ms": None if sample.connect_ns is None else sample.connect_ns / 1e6,
        "message": sample.message,
        "health": health,
    }


async def run_schedule(
    interval: float,
    tick: Callable[[int, float], Awaitable[None]],
    *,
    on_skip: Callable[[int], None] = lambda n: None,
    offset: float = 0.0,
) -> None:
    """Call ``tick(k, due)`` at ``due =`` ``start + k * interval`` forever (``start`` is now plus ``offset``);
    slots already past when a tick ends are skipped (``on_skip(count)``), never run late."""
    start = trio.current_time() + offset
    k = 0
    while True:
        due = start + k * interval
        await trio.sleep_until(due)
        await tick(k, due)
        following = max(k + 1, math.ceil((trio.current_time() - start) / interval - 1e-9))
        if following > k + 1:
            on_skip(following - k - 1)
        k = following


async def run_monitor(
    spec: MonitorSpec,
    servers: Mapping[str, ServerDef],
    *,
    state: MonitorState | None = None,
    on_event: EventCallback | None = None,
    task_status: trio.TaskStatus[MonitorState] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Probe every server of ``spec`` until cancelled; ``servers`` resolves names written as strings.

    ``task_status.started`` gets the :class:`MonitorState` (``state``, or a new one) once every task runs.
    """
    state = state if state is not None else MonitorState(spec)
    defs = {s.name: _server_def(s, servers) for s in spec.servers}
    limiter = trio.CapacityLimiter(spec.concurrency)
    async with trio.open_nursery() as nursery:
        for index, monitored in enumerate(spec.servers):
            # spread the servers' first probes over their interval (as Prometheus spreads scrapes), so a
            # fleet is not probed, and its stdio servers not started, all in the same instant
            offset = monitored.interval.seconds * index / len(spec.servers)
            nursery.start_soon(_watch, state, monitored, defs[monitored.name], limiter, on_event, offset)
        task_status.started(state)


def _server_def(monitored: MonitoredServer, servers: Mapping[str, ServerDef]) -> ServerDef:
    if not isinstance(monitored.server, str):
        return monitored.server
    found = servers.get(monitored.server)
    if found is None:
        known = ", ".join(sorted(servers)) or "none"
        raise UsageError(
            f"{monitored.source}: monitored server {monitored.name!r} names server {monitored.server!r},"
            f" which no Servers document defines (known: {known})"
        )
    return found


async def _watch(
    state: MonitorState,
    monitored: MonitoredServer,
    server: ServerDef,
    limiter: trio.CapacityLimiter,
    on_event: EventCallback | None,
    offset: float,
) -> None:
    interval = monitored.interval.seconds
    record = state.servers[monitored.name]

    def skip(count: int) -> None:
        record.skipped += count

    async def tick(k: int, due: float) -> None:
        async with limiter:
            # a slot freed only after this probe's next one was due: that probe is late, not queued
            if trio.current_time() - due >= interval:
                skip(1)
                return
            sample = await prober.run(state.wall())
        event = state.record(monitored.name, sample)
        if event is not None and on_event is not None:
            on_event(event)

    async with trio.open_nursery() as sessions:
        keep = sessions if monitored.session == "keep" else None
        prober = Prober(
            fast_target_for(server), monitored.probe, timeout=monitored.timeout.seconds, keep_in=keep
        )
        try:
            await run_schedule(interval, tick, on_skip=skip, offset=offset)
        finally:
            prober.release()
