"""Where the dashboard's live picture comes from, and its one event log.

Three sources: a Monitor run in this process (``--monitor``), a running ``mcpctl monitor`` followed over its
event stream and polled for its status (``--connect``), or none (store-only: the pages say so). Whichever it
is, its events are copied into the dashboard's own :class:`~mcpctl.observe.events.EventLog`, which also
carries what the batch and alerts pages publish; the dashboard WebSocket follows that log.

Once a second, and at once after a health change, a ``status`` event carrying the whole snapshot
(``{"status": {...}}``) is appended: computed once for all viewers, and encoded once (:class:`FrameCache`).
"""

from __future__ import annotations

import functools
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit, urlunsplit

import orjson
import trio

from mcpctl.engine.monitor.service import Monitoring, ServiceConfig
from mcpctl.errors import McpctlError, UsageError
from mcpctl.observe.events import Event, EventLog
from mcpctl.spec.build import SpecSet
from mcpctl.spec.monitor_model import MonitorSpec

TICK: Final = 1.0
"""Seconds between status snapshots."""
CAPACITY: Final = 5000
"""Events the dashboard keeps for viewers that reconnect (fewer than a monitor's: each status event carries
every server's figures)."""
SPARK_POINTS: Final = 30
FAILURES_KEPT: Final = 20
NO_MONITOR: Final = (
    "No monitor is running: start one here with `mcpctl dashboard --monitor FILE`,"
    " or follow a running `mcpctl monitor` with `mcpctl dashboard --connect http://127.0.0.1:8081`."
)
_CACHED: Final = 4096
_log = logging.getLogger(__name__)


class FrameCache:
    """Each log event's JSON text, encoded once however many viewers it goes to."""

    def __init__(self) -> None:
        self._texts: dict[int, str] = {}

    def __call__(self, message: dict[str, object]) -> str:
        seq = message.get("seq")
        if message.get("type") in ("hello", "gap") or not isinstance(seq, int):
            return orjson.dumps(message).decode()
        text = self._texts.get(seq)
        if text is None:
            if len(self._texts) >= _CACHED:
                for old in sorted(self._texts)[: _CACHED // 2]:
                    del self._texts[old]
            text = self._texts[seq] = orjson.dumps(message).decode()
        return text


class Live:
    """The dashboard's live state: the event log, the latest status and the recent samples per server."""

    def __init__(self, *, name: str | None = None, events: EventLog | None = None) -> None:
        self.events = events if events is not None else EventLog(capacity=CAPACITY)
        self.name = name
        """The monitor's name (the store's key for its events and rollups), once known."""
        self.source = "none"
        """``monitor`` (in-process), ``connect`` (following one) or ``none`` (store-only)."""
        self.monitoring: Monitoring | None = None
        self.remote: dict[str, object] | None = None
        self.remote_problem = ""
        self.latencies: dict[str, deque[float | None]] = {}
        self.failures: dict[str, deque[Event]] = {}
        self._nudged = trio.Event()
        self.events.listen(self._observe)

    def publish(self, kind: str, fields: Mapping[str, object]) -> None:
        """Append one event of the dashboard's own (the batch and alert pages')."""
        self.events.append(kind, fields)

    def _observe(self, event: Event) -> None:
        kind = event["type"]
        if kind == "sample":
            server = str(event.get("server"))
            latency = event.get("latency_ms")
            recent = self.latencies.setdefault(server, deque(maxlen=SPARK_POINTS))
            recent.append(float(latency) if isinstance(latency, int | float) else None)
            if event.get("outcome") != "ok":
                self.failures.setdefault(server, deque(maxlen=FAILURES_KEPT)).append(event)
        elif kind == "health":
            self._nudged.set()

    def snapshot(self) -> dict[str, object]:
        """The status now: the monitor's ``/api/v1/status`` JSON plus ``source`` (and ``message``)."""
        if self.monitoring is not None:
            from mcpctl.engine.monitor.metrics import status

            return {**status(self.monitoring.state), "source": "monitor", "message": ""}
        if self.source == "connect":
            base = self.remote or {"monitor": self.name, "servers": []}
            return {**base, "source": "connect", "message": self.remote_problem}
        return {"monitor": self.name, "ts": time.time(), "servers": [], "source": "none",
                "message": NO_MONITOR}  # fmt: skip

    def depends_on(self) -> dict[str, tuple[str, ...]]:
        """Each server's dependencies, as the monitor (here or followed) states them."""
        if self.monitoring is not None:
            return {name: tuple(s.spec.depends_on) for name, s in self.monitoring.state.servers.items()}
        servers = (self.remote or {}).get("servers")
        return {
            str(s["name"]): tuple(str(d) for d in s.get("depends_on") or ())
            for s in (servers if isinstance(servers, list) else [])
            if isinstance(s, dict) and "name" in s
        }

    async def tick(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Append a ``status`` event every :data:`TICK` seconds and right after each health change."""
        task_status.started()
        while True:
            with trio.move_on_after(TICK):
                await self._nudged.wait()
            self._nudged = trio.Event()
            try:
                snapshot = self.snapshot()
            except Exception:  # a bug here must not stop the live view
                _log.exception("dashboard status snapshot failed")
                continue
            self.events.append("status", {"status": snapshot})


def _copy(live: Live, event: Event) -> None:
    """Forward one event of another log (the monitor's) into the dashboard's, keeping its time."""
    fields = {k: v for k, v in event.items() if k not in ("seq", "ts", "type")}
    ts = event.get("ts")
    live.events.append(str(event["type"]), fields, ts=float(ts) if isinstance(ts, int | float) else None)


async def run_in_process(
    live: Live,
    config: ServiceConfig,
    loaded: tuple[SpecSet, MonitorSpec],
    *,
    task_status: trio.TaskStatus[Monitoring] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the Monitor here (no endpoints of its own: the dashboard serves them) until cancelled."""
    from mcpctl.engine.monitor.service import run_service

    async with trio.open_nursery() as nursery:
        monitoring: Monitoring = await nursery.start(functools.partial(run_service, config, loaded=loaded))
        live.monitoring, live.source, live.name = monitoring, "monitor", loaded[1].metadata.name
        monitoring.events.listen(functools.partial(_copy, live))
        task_status.started(monitoring)


def events_url(connect: str) -> tuple[str, str]:
    """The ``http(s)://`` base and the ``ws(s)://`` event stream URL of the monitor at ``connect``."""
    parts = urlsplit(connect if "://" in connect else f"http://{connect}")
    schemes = {
        "http": ("http", "ws"),
        "https": ("https", "wss"),
        "ws": ("http", "ws"),
        "wss": ("https", "wss"),
    }
    pair = schemes.get(parts.scheme)
    if pair is None or not parts.netloc:
        raise UsageError(f"--connect {connect!r}: expected the URL of a monitor, e.g. http://127.0.0.1:8081")
    base = urlunsplit((pair[0], parts.netloc, "", "", ""))
    return base, urlunsplit((pair[1], parts.netloc, "/api/v1/events", "", ""))


async def follow_remote(
    live: Live, connect: str, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
) -> None:
    """Follow the monitor at ``connect``: its events into the log, its status polled every second."""
    base, ws_url = events_url(connect)
    live.source = "connect"
    live.remote_problem = f"connecting to {base} ..."
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_poll_status, live, base)
        nursery.start_soon(_follow_events, live, ws_url)
        task_status.started()


async def _poll_status(live: Live, base: str) -> None:
    from mcpctl.mcp.auth.http import open_oauth_http

    async with open_oauth_http(timeout=5.0) as http:
        while True:
            try:
                body = await http.get_json(base + "/api/v1/status")
            except McpctlError as exc:
                live.remote_problem = f"cannot reach the monitor at {base}: {exc}"
            else:
                if body is None:
                    live.remote_problem = f"{base} is not an mcpctl monitor (no /api/v1/status)"
                else:
                    live.remote, live.remote_problem = dict(body), ""
                    live.name = str(body.get("monitor") or live.name or "") or None
            await trio.sleep(TICK)


async def _follow_events(live: Live, url: str) -> None:
    from trio_websocket import ConnectionClosed, HandshakeError

    from mcpctl.observe.ws_client import open_event_stream

    last: int | None = None
    while True:
        target = url if last is None else f"{url}?since={last}"
        try:
            async with open_event_stream(target) as ws:
                while True:
                    message = orjson.loads(await ws.get_message())
                    if isinstance(message, dict):
                        last = _take(live, message, last)
        except (ConnectionClosed, HandshakeError, OSError, trio.TooSlowError) as exc:
            _log.info("monitor event stream %s: %s", url, exc)
        await trio.sleep(TICK)


def _take(live: Live, message: dict[str, object], last: int | None) -> int | None:
    """One message of the followed stream; returns the last seq seen."""
    seq = message.get("seq")
    kind = message.get("type")
    if kind == "hello":
        status = message.get("status")
        if isinstance(status, dict):
            live.remote = status
        # a smaller newest seq: the monitor restarted and numbers from 1 again
        return seq if isinstance(seq, int) and (last is None or seq < last) else last
    if kind == "gap" or not isinstance(kind, str):
        return last
    _copy(live, message)
    return seq if isinstance(seq, int) else last
