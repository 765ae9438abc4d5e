"""Monitoring as one running service: the monitor loop, its HTTP endpoints and the event log, started from
spec files (``mcpctl monitor`` and ``mcpctl watch FILE`` both run this).

:func:`run_service` loads the files, starts everything and hands a :class:`Monitoring` to its caller through
``task_status``; it runs until cancelled. Errors in the files at start are raised (exit 2 before anything
runs).
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import trio

from mcpctl.engine.monitor.alerting import Alerting
from mcpctl.engine.monitor.loop import MonitorState, run_monitor
from mcpctl.engine.monitor.rollup import Rollups
from mcpctl.errors import McpctlError, UsageError
from mcpctl.observe.events import Event, EventLog
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.model import ServerDef
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
    reload: bool = True
    """Watch the files and apply valid edits while running."""


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
    """Run the monitor of ``config`` (already ``loaded``, or loaded now) until cancelled.

    With ``config.reload`` the files are watched: a valid edit restarts the probes and the rules with the
    new specs (each server's window and counters are kept, by name); an invalid one is refused with a
    ``reload`` event carrying its ``file:line:col`` errors, and the running specs go on.
    """
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
                rollups = Rollups(spec.metadata.name, store, retention=spec.retention.seconds)
                events.listen(rollups.add)
                await nursery.start(rollups.run, state.wall)
            external = f"http://{_shown(config.listen[0])}:{port}" if config.listen is not None else ""
            reloads: trio.MemorySendChannel[tuple[SpecSet, MonitorSpec]]
            reloads, incoming = trio.open_memory_channel(1)
            if config.reload:
                nursery.start_soon(_watch_files, config, spec.metadata.name, events, reloads)
            generations = functools.partial(_generations, state, incoming, store=store, external=external)
            await nursery.start(generations, specs)
            task_status.started(Monitoring(state=state, events=events, port=port))


async def _generations(
    state: MonitorState,
    incoming: trio.MemoryReceiveChannel[tuple[SpecSet, MonitorSpec]],
    specs: SpecSet,
    *,
    store: Store | None,
    external: str,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Probe and alert with one generation of the specs after another: a reload that changes the Monitor
    (or a server it names) stops the probes (sessions closed) before the next ones start on the same state;
    one that changes only alert rules restarts only the alerting."""
    ready: trio.TaskStatus[None] | None = task_status
    while True:
        probed = _probed(state.spec, specs)
        async with trio.open_nursery() as probes:
            await probes.start(functools.partial(run_monitor, state.spec, specs.servers, state=state))
            while True:
                alerting = Alerting(
                    specs.alert_rules, state, store=store, redact=specs.secrets.redact, external_url=external
                )
                async with trio.open_nursery() as rules:
                    await rules.start(alerting.run)
                    if ready is not None:
                        ready.started()
                        ready = None
                    specs, spec = await incoming.receive()
                    rules.cancel_scope.cancel()
                if _probed(spec, specs) != probed:
                    break
            probes.cancel_scope.cancel()
        state.adopt(spec)


def _probed(spec: MonitorSpec, specs: SpecSet) -> tuple[str, dict[str, ServerDef | None]]:
    """What the probes depend on: the Monitor's text and the servers it names."""
    named = {s.server: specs.servers.get(s.server) for s in spec.servers if isinstance(s.server, str)}
    return spec.spec_hash, named


async def _watch_files(
    config: ServiceConfig,
    name: str,
    events: EventLog,
    reloads: trio.MemorySendChannel[tuple[SpecSet, MonitorSpec]],
) -> None:
    from watchfiles import awatch

    files, watched = _watched(config)
    # directories, not files: editors save by writing a new file and renaming it over the old
    async for changes in awatch(*watched, watch_filter=lambda _change, path: _ours(path, files)):
        changed = _shown_paths(path for _, path in changes)
        try:
            specs, spec = load(config)
        except McpctlError as error:
            events.append("reload", {"ok": False, "files": changed, "error": str(error)})
            continue
        if spec.metadata.name != name:
            message = f"the Monitor is now {spec.metadata.name!r}: restart mcpctl to monitor another one"
            events.append("reload", {"ok": False, "files": changed, "error": message})
            continue
        events.append("reload", {"ok": True, "files": changed, "error": None})
        await reloads.send((specs, spec))


def _watched(config: ServiceConfig) -> tuple[set[str], set[str]]:
    """The spec files and directories given (absolute), and the directories to watch for them."""
    files = {os.path.abspath(path) for path in (*config.paths, *config.servers_files)}
    return files, {os.path.dirname(path) if os.path.isfile(path) else path for path in files}


def _shown_paths(paths: Iterable[str]) -> list[str]:
    return sorted({os.path.relpath(path) for path in paths})


def _ours(path: str, files: set[str]) -> bool:
    return path in files or any(
        path.startswith(f + os.sep) and path.endswith((".yaml", ".yml")) for f in files
    )


def _keep_health(store: Store, monitor: str, event: Event) -> None:
    if event["type"] == "health":
        data = {k: v for k, v in event.items() if k not in ("seq", "ts", "type", "server")}
        stored.record_events(
            store, [(monitor, float(str(event["ts"])), "health", str(event["server"]), data)]
        )


def _shown(host: str) -> str:
    return f"[{host}]" if ":" in host else host
