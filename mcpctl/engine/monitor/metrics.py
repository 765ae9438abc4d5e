"""The monitor's state as Prometheus metric families, and as the JSON of ``/api/v1/status``.

Every series carries ``server`` and the monitored server's ``labels``.
"""

from __future__ import annotations

from mcpctl.engine.monitor.loop import MonitorState, ServerState
from mcpctl.engine.monitor.probe import OUTCOMES
from mcpctl.observe.exposition import MetricFamily, Point, histogram_point
from mcpctl.spec.monitor_model import HEALTH_STATES


def _labels(name: str, server: ServerState) -> dict[str, str]:
    return {**server.spec.labels, "server": name}


def monitor_families(state: MonitorState) -> list[MetricFamily]:
    """``mcpctl_probe_duration_seconds``, ``mcpctl_probes_total``, ``mcpctl_server_health``, ``mcpctl_server_up``."""
    servers = list(state.servers.items())
    return [
        MetricFamily(
            name="mcpctl_probe_duration_seconds",
            help="Round trip of answered probes.",
            type="histogram",
            unit="seconds",
            samples=tuple(histogram_point(s.histogram, _labels(n, s)) for n, s in servers),
        ),
        MetricFamily(
            name="mcpctl_probes_total",
            help="Probes sent, by outcome (ok, error, timeout, connect_failed).",
            type="counter",
            samples=tuple(
                Point(labels={**_labels(n, s), "outcome": o}, value=s.outcomes[o])
                for n, s in servers
                for o in OUTCOMES
            ),
        ),
        MetricFamily(
            name="mcpctl_server_health",
            help="1 for the server's current health state, 0 for the others (all 0 before the first probe).",
            type="gauge",
            samples=tuple(
                Point(labels={**_labels(n, s), "state": h}, value=float(s.health == h))
                for n, s in servers
                for h in HEALTH_STATES
            ),
        ),
        MetricFamily(
            name="mcpctl_server_up",
            help="1 when the last probe was answered (ok or error), 0 otherwise.",
            type="gauge",
            samples=tuple(Point(labels=_labels(n, s), value=float(_up(s))) for n, s in servers),
        ),
    ]


def _up(server: ServerState) -> bool:
    return server.last is not None and server.last.outcome in ("ok", "error")


def status(state: MonitorState) -> dict[str, object]:
    """The JSON of ``GET /api/v1/status``: every server's health, reasons and window measurements."""
    now = state.wall()
    return {
        "monitor": state.spec.metadata.name,
        "ts": now,
        "window_seconds": state.spec.health.window.seconds,
        "servers": [_server_status(state, name, now) for name in state.servers],
    }


def _server_status(state: MonitorState, name: str, now: float) -> dict[str, object]:
    server = state.servers[name]
    stats = server.window.stats(now)
    last = server.last
    impacted = state.impacted(name)
    return {
        "name": name,
        "health": server.health,
        "reasons": list(server.reasons),
        "depends_on": list(server.spec.depends_on),
        "impacted": bool(impacted),
        "impacted_by": list(impacted),
        "p50_ms": stats.p50,
        "p90_ms": stats.p90,
        "p99_ms": stats.p99,
        "error_rate": stats.error_rate,
        "calls_per_second": stats.calls_per_second,
        "probes": sum(server.outcomes.values()),
        "skipped": server.skipped,
        "last_probe": None
        if last is None
        else {
            "ts": last.ts,
            "outcome": last.outcome,
            "latency_ms": None if last.latency_ns is None else last.latency_ns / 1e6,
            "connect_ms": None if last.connect_ns is None else last.connect_ns / 1e6,
            "message": last.message,
        },
    }
