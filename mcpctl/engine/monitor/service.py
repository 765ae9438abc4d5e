"""Monitoring as one running service: the monitor loop, its HTTP endpoints and the event log, started from
spec files (``mcpctl monitor`` and ``mcpctl watch FILE`` both run this).

:func:`run_service` loads the files, starts everything and hands a :class:`Monitoring` to its caller through
``task_status``; it runs until cancelled. Errors in the files at start are raised (exit 2 before anything
runs).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path

import trio

from mcpctl.engine.monitor.alerting import Alerting
from mcpctl.engine.monitor.loop import MonitorState, run_monitor
from mcpctl.errors import UsageError
from mcpctl.observe.events import Event, EventLog
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.monitor_model import MonitorSpec
from mcpctl.store import alerts as stored
from mcpctl.store.db import Store, open_store


@dataclass(frozen=True, slots=True, kw_only=True)
class Monitoring:
    """What a running service offers its caller."""

    state: MonitorState
    events: EventLog
    """Samples, health changes, alert changes, notifications and reloads, numbered."""
    port: int | None
    """Where the HTTP endpoints listen (``None``: not served)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceConfig:
    """Which files to load and where to serve."""

    paths: tuple[str, ...]
    servers_files: tuple[str, ...] = ()
    name: str | None = None
    """The Monitor to run when the files hold several."""
    listen: tuple[str, int] | None = None
    """Serve ``/metrics``, ``/api/v1/status`` and ``/api/v1/events`` there (``None``: no endpoints)."""
    state_dir: Path | None = None
    """The state store for alert history, acks, silences, events and rollups (``None``: none kept)."""


def load(config: ServiceConfig) -> tuple[SpecSet, MonitorSpec]:
    """The spec set of ``config.paths`` and its Monitor (raises the spec errors, exit 2)."""
    specs = load_specs(list(config.paths), servers_files=list(config.servers_files))
    return specs, pick_monitor(specs, config.name)


def pick_monitor(specs: SpecSet, name: str | None) -> MonitorSpec:
    """The Monitor named ``name``, or the only one."""
    names = ", ".join(m.metadata.name for m in specs.monitors)
    if name is not None:
        for monitor in specs.monitors:
            if monitor.metadata.name == name:
                return monitor
        raise UsageError(f"--name {name!r}: no such Monitor (found: {names or 'none'})")
    if len(specs.monitors) != 1:
        found = f"several ({names}): pick one with --name" if specs.monitors else "none"
        raise UsageError(f"expected one Monitor document, found {found}")
    return specs.monitors[0]


async def run_service(
    config: ServiceConfig,
    *,
    loaded: tuple[SpecSet, MonitorSpec] | None = None,
    task_status: trio.TaskStatus[Monitoring] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the monitor of ``config`` (already ``loaded``, or loaded now) until cancelled."""
    from mcpctl.engine.monitor.http import serve_monitor_http

    specs, spec = loaded if loaded is not None else load(config)
    events = EventLog()
    state = MonitorState(spec, events=events)
    with contextlib.ExitStack() as stack:
        store = stack.enter_context(open_store(config.state_dir)) if config.state_dir is not None else None
        async with trio.open_nursery() as nursery:
            port: int | None = None
            if config.listen is not None:
                host, wanted = config.listen
                port = await nursery.start(
                    functools.partial(serve_monitor_http, state, host=host, port=wanted)
                )
            if store is not None:
                events.listen(functools.partial(_keep_health, store, spec.metadata.name))
            external = f"http://{_shown(config.listen[0])}:{port}" if config.listen is not None else ""
            alerting = Alerting(
                specs.alert_rules, state, store=store, redact=specs.secrets.redact, external_url=external
            )
            await nursery.start(functools.partial(run_monitor, spec, specs.servers, state=state))
            await nursery.start(alerting.run)
            task_status.started(Monitoring(state=state, events=events, port=port))


def _keep_health(store: Store, monitor: str, event: Event) -> None:
    if event["type"] == "health":
        data = {k: v for k, v in event.items() if k not in ("seq", "ts", "type", "server")}
        stored.record_events(
            store, [(monitor, float(str(event["ts"])), "health", str(event["server"]), data)]
        )


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
