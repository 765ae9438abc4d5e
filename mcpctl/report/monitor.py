"""The Monitor window report (``mcpctl report --monitor NAME [--since DATE] [--until DATE]``): what a running
monitor kept in the state store, per server: its health over the window (spans between health changes), its
hourly p50/p90/p99, uptime and error rate, and the monitor's alert history and the alerts active now.

:func:`monitor_window` reads the store once into a :class:`MonitorWindow`; the renderers are pure functions
of it. Without ``since``/``until`` the window spans what the store holds (its first and last records). The
window is closed at both ends; an hour is in it when it overlaps it.

Server names, reasons, alert names, details and annotations come from specs and servers: untrusted. The
markdown escapes them as the run report does, the CSV neutralises formulas, the HTML and PDF page is the
sandboxed autoescaping template (:mod:`mcpctl.report.monitor_page`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson
from tabulate import tabulate

from mcpctl.report.json import iso8601
from mcpctl.report.markdown import cell
from mcpctl.store import alerts as stored
from mcpctl.store.db import Store

HOUR = 3600.0
DETAIL_CHARS = 300
"""An alert event's detail is cut to this many characters in tables."""
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MANY = 1_000_000  # every stored row: retention bounds them


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthSpan:
    """A server's health from ``start`` to ``end``, and the reasons given when it changed to it."""

    server: str
    start: float
    end: float
    health: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HourRow:
    """One server's probes in one hour (a stored rollup); latencies in ms, ``None`` when none was measured."""

    server: str
    hour: float
    count: int
    errors: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    throughput: float
    error_rate: float | None
    uptime: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent:
    """One row of the alert history: pending, fired, notified, acked, resolved, …"""

    at: float
    event: str
    alertname: str
    server: str
    fingerprint: str
    detail: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveRow:
    """An alert pending or firing when the report was made."""

    alertname: str
    server: str
    state: str
    since: float
    severity: str
    fingerprint: str
    annotations: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorWindow:
    """What the report shows of one monitor over ``[since, until]`` (Unix times)."""

    monitor: str
    since: float
    until: float
    servers: tuple[str, ...]
    health: tuple[HealthSpan, ...]
    hours: tuple[HourRow, ...]
    alerts: tuple[AlertEvent, ...]
    active: tuple[ActiveRow, ...]


def monitor_window(store: Store, monitor: str, *, since: float | None, until: float | None) -> MonitorWindow:
    """The monitor's records in the store over ``[since, until]`` (``None``: its first / last record)."""
    changes = [e for e in stored.events(store, monitor, limit=_MANY) if e.get("type") == "health"]
    rollups = stored.rollups(store, monitor)
    history = [r for r in stored.history(store, monitor=monitor, limit=_MANY) if r.monitor == monitor]
    now = [_active(a) for a in stored.active(store, monitor=monitor)]
    times = [_num(e.get("ts")) for e in changes] + [r.at for r in history] + [a.since for a in now]
    times += [_num(r.get("hour")) for r in rollups] + [_num(r.get("last")) for r in rollups if r.get("last")]
    start = since if since is not None else min(times, default=0.0)
    end = until if until is not None else max([*times, start])
    hours = [_hour(r) for r in rollups]
    hours = [h for h in hours if h.hour <= end and h.hour + HOUR > start]
    alerts = [_alert(r) for r in history if start <= r.at <= end]
    spans = _spans(changes, start, end)
    names = (
        {h.server for h in hours}
        | {s.server for s in spans}
        | {a.server for a in alerts}
        | {a.server for a in now}
    )
    return MonitorWindow(
        monitor=monitor,
        since=start,
        until=end,
        servers=tuple(sorted(name for name in names if name)),
        health=tuple(spans),
        hours=tuple(hours),
        alerts=tuple(alerts),
        active=tuple(now),
    )


def _spans(changes: Sequence[Mapping[str, object]], start: float, end: float) -> list[HealthSpan]:
    """Each server's health over [start, end]: the state before ``start`` is the last change's ``to``
    (or, with no change before, the first change's ``from``); each change in the window starts a span."""
    by_server: dict[str, list[Mapping[str, object]]] = {}
    for change in sorted(changes, key=lambda c: _num(c.get("ts"))):
        by_server.setdefault(str(change.get("server", "")), []).append(change)
    spans: list[HealthSpan] = []
    for server, own in sorted(by_server.items()):
        before = [c for c in own if _num(c.get("ts")) < start]
        inside = [c for c in own if start <= _num(c.get("ts")) <= end]
        if before:
            at, health, reasons = start, str(before[-1].get("to", "")), _reasons(before[-1])
        elif inside:
            at, health, reasons = start, str(inside[0].get("from", "")), ()
        else:
            continue
        for change in inside:
            ts = _num(change.get("ts"))
            if ts > at:
                spans.append(HealthSpan(server=server, start=at, end=ts, health=health, reasons=reasons))
            at, health, reasons = ts, str(change.get("to", "")), _reasons(change)
        if end > at or not spans:
            spans.append(HealthSpan(server=server, start=at, end=end, health=health, reasons=reasons))
    return spans


def _reasons(change: Mapping[str, object]) -> tuple[str, ...]:
    found = change.get("reasons")
    return tuple(str(r) for r in found) if isinstance(found, list) else ()


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _maybe(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _hour(record: Mapping[str, object]) -> HourRow:
    return HourRow(
        server=str(record.get("server", "")),
        hour=_num(record.get("hour")),
        count=int(_num(record.get("count"))),
        errors=int(_num(record.get("errors"))),
        p50_ms=_maybe(record.get("p50_ms")),
        p90_ms=_maybe(record.get("p90_ms")),
        p99_ms=_maybe(record.get("p99_ms")),
        throughput=_num(record.get("throughput")),
        error_rate=_maybe(record.get("error_rate")),
        uptime=_maybe(record.get("uptime")),
    )


def _alert(row: stored.HistoryRow) -> AlertEvent:
    return AlertEvent(
        at=row.at,
        event=row.event,
        alertname=row.alertname,
        server=row.server,
        fingerprint=row.fingerprint,
        detail=row.detail,
    )


def _active(alert: stored.ActiveAlert) -> ActiveRow:
    notes = alert.record.get("annotations")
    return ActiveRow(
        alertname=alert.alertname,
        server=alert.server,
        state=alert.state,
        since=alert.since,
        severity=str(alert.record.get("severity", "")),
        fingerprint=alert.fingerprint,
        annotations={str(k): str(v) for k, v in notes.items()} if isinstance(notes, dict) else {},
    )


# --- shown values, shared by every format


def detail_text(detail: Mapping[str, object]) -> str:
    """An alert event's detail as ``key=value`` pairs (sorted), cut to :data:`DETAIL_CHARS`."""
    text = " ".join(
        f"{k}={v if isinstance(v, str) else orjson.dumps(v).decode()}" for k, v in sorted(detail.items())
    )
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"


def notes_text(annotations: Mapping[str, str]) -> str:
    """Annotations as ``key: value`` pairs, ``; ``-separated."""
    return "; ".join(f"{k}: {v}" for k, v in sorted(annotations.items()))


def lasted(seconds: float) -> str:
    """A span's length: ``45s``, ``29m50s``, ``1h0m``, ``2d3h``."""
    whole = round(seconds)
    days, hours, minutes = whole // 86400, whole // 3600 % 24, whole // 60 % 60
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    return f"{minutes}m{whole % 60}s" if minutes else f"{whole}s"


def ms(value: float | None) -> str:
    """A latency in ms as tables show it, ``-`` when none was measured."""
    return "-" if value is None else f"{value:.2f}"


def share(value: float | None) -> str:
    """A ratio (0..1) as a percentage, ``-`` when unknown."""
    return "-" if value is None else f"{100 * value:.2f}%"


def hour_rows(window: MonitorWindow, server: str) -> list[list[str]]:
    """The hourly table of one server: hour, probes, errors, p50, p90, p99, uptime, error rate."""
    return [
        [
            iso8601(h.hour)[:16] + "Z",
            str(h.count),
            str(h.errors),
            ms(h.p50_ms),
            ms(h.p90_ms),
            ms(h.p99_ms),
            share(h.uptime),
            share(h.error_rate),
        ]
        for h in window.hours
        if h.server == server
    ]


HOUR_HEADERS = ["hour", "probes", "errors", "p50 ms", "p90 ms", "p99 ms", "uptime", "error rate"]


# --- JSON, markdown, CSV


def render_monitor_json(window: MonitorWindow) -> str:
    """The window as indented JSON: ``{"monitor", "since", "until", "servers", "health", "hours", "alerts",
    "active"}`` (times ISO 8601 in UTC, latencies in ms, ratios 0..1)."""
    document = {
        "monitor": window.monitor,
        "since": iso8601(window.since),
        "until": iso8601(window.until),
        "servers": list(window.servers),
        "health": [
            {"server": s.server, "start": iso8601(s.start), "end": iso8601(s.end), "health": s.health}
            | {"reasons": list(s.reasons)}
            for s in window.health
        ],
        "hours": [
            {"server": h.server, "hour": iso8601(h.hour), "count": h.count, "errors": h.errors}
            | {"p50Ms": h.p50_ms, "p90Ms": h.p90_ms, "p99Ms": h.p99_ms, "throughput": h.throughput}
            | {"errorRate": h.error_rate, "uptime": h.uptime}
            for h in window.hours
        ],
        "alerts": [
            {"at": iso8601(a.at), "event": a.event, "alertname": a.alertname, "server": a.server}
            | {"fingerprint": a.fingerprint, "detail": dict(a.detail)}
            for a in window.alerts
        ],
        "active": [
            {"alertname": a.alertname, "server": a.server, "state": a.state, "since": iso8601(a.since)}
            | {"severity": a.severity, "fingerprint": a.fingerprint, "annotations": dict(a.annotations)}
            for a in window.active
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()


def render_monitor_markdown(window: MonitorWindow) -> str:
    """The window as GitHub-flavoured markdown: a heading, then per server its health timeline and hourly
    table, then the alert history and the active alerts."""
    parts = [
        f"### mcpctl monitor {cell(window.monitor, str)}: {iso8601(window.since)} to {iso8601(window.until)}"
        f"\n\n{len(window.servers)} servers, {len(window.alerts)} alert events,"
        f" {len(window.active)} alerts active now."
    ]
    for server in window.servers:
        spans = [
            [
                cell(s.health, str),
                iso8601(s.start),
                iso8601(s.end),
                lasted(s.end - s.start),
                cell(", ".join(s.reasons), str),
            ]
            for s in window.health
            if s.server == server
        ]
        parts.append(f"#### {cell(server, str)}")
        parts.append(
            _table(["health", "from", "until", "for", "reasons"], spans, "No health changes recorded.")
        )
        hours = [[cell(c, str) for c in row] for row in hour_rows(window, server)]
        parts.append(_table(HOUR_HEADERS, hours, "No hourly rollups recorded."))
    alerts = [
        [
            iso8601(a.at),
            cell(a.event, str),
            cell(a.alertname, str),
            cell(a.server, str),
            cell(detail_text(a.detail), str),
        ]
        for a in window.alerts
    ]
    parts.append(f"#### Alert history ({len(alerts)})")
    parts.append(_table(["at", "event", "alert", "server", "detail"], alerts, "No alert events."))
    active = [
        [
            cell(a.alertname, str),
            cell(a.server, str),
            cell(a.state, str),
            iso8601(a.since),
            cell(a.severity, str),
            cell(notes_text(a.annotations), str),
        ]
        for a in window.active
    ]
    parts.append(f"#### Active alerts ({len(active)})")
    parts.append(
        _table(
            ["alert", "server", "state", "since", "severity", "annotations"], active, "No alert is active."
        )
    )
    return "\n\n".join(parts) + "\n"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return empty
    return tabulate(rows, headers=list(headers), tablefmt="github", disable_numparse=True)


CSV_COLUMNS = (
    "monitor",
    "server",
    "hour",
    "count",
    "errors",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "throughput",
    "error_rate",
    "uptime",
)


def render_monitor_csv(window: MonitorWindow) -> str:
    """One row per server and hour (columns :data:`CSV_COLUMNS`; empty cells where nothing was measured)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for h in window.hours:
        numbers = (h.p50_ms, h.p90_ms, h.p99_ms, h.throughput, h.error_rate, h.uptime)
        writer.writerow(
            [
                _safe(window.monitor),
                _safe(h.server),
                iso8601(h.hour),
                h.count,
                h.errors,
                *("" if n is None else n for n in numbers),
            ]
        )
    return out.getvalue()


def _safe(text: str) -> str:
    # a spreadsheet would run a cell starting with = + - @ as a formula
    return "'" + text if text.startswith(_FORMULA_START) else text
