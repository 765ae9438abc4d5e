"""What ``mcpctl watch`` draws: a live table of a monitor's servers, its firing alerts and its latest events,
built from the messages of the event stream (``hello``, ``gap`` and the events of
:mod:`mcpctl.observe.events`). :class:`WatchView` only folds messages into state; :meth:`WatchView.render`
turns the state into a rich renderable, so both are tested without a terminal."""

from __future__ import annotations

import datetime
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from mcpctl.engine.monitor.window import RollingWindow
from mcpctl.observe.sparkline import sparkline

SPARK_SECONDS: Final = 300.0
"""How far back the latency sparkline reaches."""
SPARK_WIDTH: Final = 30
RECENT: Final = 10
"""Events kept in the "latest events" panel."""
HEALTH_STYLES: Final = {"healthy": "green", "degraded": "yellow", "unhealthy": "red", "offline": "bold red"}
_ENDED: Final = frozenset({"resolved", "inactive"})


def _clock(ts: object) -> str:
    if not isinstance(ts, int | float):
        return "--:--:--"
    return datetime.datetime.fromtimestamp(ts).strftime("%H:%M:%S")


def _names(value: object) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value or "")


def describe(event: Mapping[str, object]) -> Text | None:
    """The line of ``event`` in the latest-events panel (``None``: not shown, as samples and good deliveries)."""
    kind, at = event.get("type"), _clock(event.get("ts"))
    if kind == "health":
        why = _names(event.get("reasons"))
        line = f"{at} {event.get('server')} {event.get('from') or '-'} → {event.get('to')}"
        return Text(line + (f": {why}" if why else ""), style=HEALTH_STYLES.get(str(event.get("to")), ""))
    if kind == "alert":
        to = str(event.get("to"))
        line = f"{at} alert {event.get('rule')} {event.get('server')} {event.get('from') or '-'} → {to}"
        style = "red" if to == "firing" else "green" if to in _ENDED else "yellow"
        return Text(line + (f": {event['reason']}" if event.get("reason") else ""), style=style)
    if kind == "notification":
        line = f"{at} notify {event.get('group')} {event.get('status')} → {_names(event.get('receivers'))}"
        why = f" ({event['why']})" if event.get("why") else ""
        return Text(f"{line}: {_names(event.get('alerts'))}{why}", style="cyan")
    if kind == "delivery":
        if event.get("ok"):
            return None
        retry = "final" if event.get("final") else "will retry"
        line = f"{at} delivery to {event.get('receiver')} failed (attempt {event.get('attempt')}, {retry})"
        return Text(f"{line}: {event.get('error')}", style="red")
    if kind == "reload":
        if event.get("ok"):
            return Text(f"{at} reloaded {_names(event.get('files'))}", style="green")
        return Text(f"{at} reload failed: {event.get('error')}", style="bold red")
    if kind == "error":
        return Text(f"{at} error: {event.get('message')}", style="bold red")
    if kind == "gap":
        return Text(f"{event.get('missed')} events missed (no longer kept by the monitor)", style="yellow")
    if kind == "sample":
        return None
    return Text(f"{at} {kind}", style="dim")


@dataclass(slots=True, kw_only=True)
class ServerView:
    """One server's row: its health, a window of samples and the latencies for the sparkline."""

    name: str
    window: RollingWindow
    health: str | None = None
    reasons: tuple[str, ...] = ()
    snapshot: Mapping[str, object] = field(default_factory=dict)
    """The server's entry of the hello's status, shown until samples arrive."""
    latencies: deque[tuple[float, float | None]] = field(default_factory=deque)


class WatchView:
    """A monitor's state as seen through its event stream."""

    def __init__(self, *, wall: Callable[[], float] = time.time) -> None:
        self.wall = wall
        self.monitor = ""
        self.window_seconds = 300.0
        self.last_seq = 0
        self.servers: dict[str, ServerView] = {}
        self.alerts: dict[str, Mapping[str, object]] = {}
        """Firing alerts by fingerprint."""
        self.recent: deque[Text] = deque(maxlen=RECENT)
        self.status_line = ""

    def apply(self, message: Mapping[str, object]) -> None:
        """Fold one message of the stream into the view."""
        kind = message.get("type")
        if kind == "hello":
            self._hello(message)
            return
        seq = message.get("seq")
        if isinstance(seq, int):
            self.last_seq = seq
        if kind == "sample":
            self._sample(message)
        elif kind == "health":
            server = self._server(str(message.get("server")))
            server.health = str(message.get("to"))
            reasons = message.get("reasons")
            server.reasons = tuple(map(str, reasons)) if isinstance(reasons, list) else ()
        elif kind == "alert":
            key = str(message.get("fingerprint") or f"{message.get('rule')}/{message.get('server')}")
            if message.get("to") == "firing":
                self.alerts[key] = message
            else:
                self.alerts.pop(key, None)
        line = describe(message)
        if line is not None:
            self.recent.append(line)

    def note(self, text: str, *, style: str = "yellow") -> None:
        """Show a line of the watcher's own (a lost connection) among the latest events."""
        self.recent.append(Text(f"{_clock(self.wall())} {text}", style=style))

    def _hello(self, message: Mapping[str, object]) -> None:
        status = message.get("status")
        if not isinstance(status, Mapping):
            return
        self.monitor = str(status.get("monitor", ""))
        seconds = status.get("window_seconds")
        self.window_seconds = float(seconds) if isinstance(seconds, int | float) else self.window_seconds
        servers = status.get("servers")
        for entry in servers if isinstance(servers, list) else []:
            if isinstance(entry, Mapping):
                server = self._server(str(entry.get("name")))
                server.snapshot = entry
                server.health = None if entry.get("health") is None else str(entry.get("health"))
                reasons = entry.get("reasons")
                server.reasons = tuple(map(str, reasons)) if isinstance(reasons, list) else ()

    def _server(self, name: str) -> ServerView:
        if name not in self.servers:
            self.servers[name] = ServerView(name=name, window=RollingWindow(self.window_seconds))
        return self.servers[name]

    def _sample(self, message: Mapping[str, object]) -> None:
        server = self._server(str(message.get("server")))
        ts, latency = message.get("ts"), message.get("latency_ms")
        if not isinstance(ts, int | float):
            return
        ms = float(latency) if isinstance(latency, int | float) else None
        server.window.add(float(ts), str(message.get("outcome")), None if ms is None else int(ms * 1e6))
        server.latencies.append((float(ts), ms))
        while server.latencies and server.latencies[0][0] < ts - SPARK_SECONDS:
            server.latencies.popleft()
        if isinstance(message.get("health"), str):
            server.health = str(message["health"])

    def spark(self, name: str, *, width: int = SPARK_WIDTH) -> str:
        """Server ``name``'s sparkline: the slowest answer of each slice of the last :data:`SPARK_SECONDS`."""
        now = self.wall()
        values: list[float | None] = [None] * width
        step = SPARK_SECONDS / width
        for ts, latency in self.servers[name].latencies:
            slot = int((ts - (now - SPARK_SECONDS)) // step)
            if latency is not None and 0 <= slot < width:
                current = values[slot]
                values[slot] = latency if current is None else max(current, latency)
        return sparkline(values)

    def render(self) -> RenderableType:
        """The table, the firing alerts and the latest events."""
        return render_view(self)


def row(view: WatchView, server: ServerView) -> list[Text | str]:
    """The cells of ``server``'s row: name, health, p50, p90, p99, calls/s, errors, sparkline."""
    stats = server.window.stats(view.wall())
    health = Text(server.health or "unknown", style=HEALTH_STYLES.get(server.health or "", "dim"))
    if stats.count:
        numbers: list[object] = [stats.p50, stats.p90, stats.p99, stats.calls_per_second, stats.error_rate]
    else:
        keys = ("p50_ms", "p90_ms", "p99_ms", "calls_per_second", "error_rate")
        numbers = [server.snapshot.get(key) for key in keys]
    ms = [f"{v:.1f}" if isinstance(v, int | float) else "-" for v in numbers[:3]]
    rate, errors = numbers[3], numbers[4]
    return [
        server.name,
        health,
        *ms,
        f"{rate:.2f}" if isinstance(rate, int | float) else "-",
        f"{errors * 100:.1f}%" if isinstance(errors, int | float) else "-",
        Text(view.spark(server.name), style="cyan"),
    ]


def render_view(view: WatchView) -> RenderableType:
    """``view`` as a rich renderable."""
    title = f"monitor {view.monitor or '?'} · seq {view.last_seq}"
    table = Table(title=title + (f" · {view.status_line}" if view.status_line else ""), expand=False)
    for header in ("SERVER", "HEALTH", "P50 MS", "P90 MS", "P99 MS", "CALLS/S", "ERRORS"):
        table.add_column(header, justify="right" if header.endswith(("MS", "/S", "ERRORS")) else "left")
    table.add_column(f"LATENCY (last {SPARK_SECONDS / 60:.0f} min)")
    for server in view.servers.values():
        table.add_row(*row(view, server))
    alerts = Table.grid(padding=(0, 2))
    for alert in view.alerts.values():
        alerts.add_row(
            Text(str(alert.get("rule")), style="bold red"),
            str(alert.get("server") or ""),
            str(alert.get("severity") or ""),
            _clock(alert.get("ts")),
            str(alert.get("reason") or ""),
        )
    firing = alerts if view.alerts else Text("none", style="dim")
    recent = Text("\n").join(view.recent) if view.recent else Text("none yet", style="dim")
    return Group(
        table,
        Panel(firing, title=f"firing alerts ({len(view.alerts)})", title_align="left"),
        Panel(recent, title="latest events", title_align="left"),
    )
