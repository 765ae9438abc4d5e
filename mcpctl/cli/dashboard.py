"""``mcpctl dashboard``: the live web dashboard until Ctrl-C (issue 13).

It runs the Monitor of ``--monitor`` here, or follows a running ``mcpctl monitor`` (``--connect``), or
neither (store-only), and serves the overview and server pages plus the batch, runs and alerts pages of
:mod:`mcpctl.web` on ``--listen``. Changes need the token printed at start (or read from ``--token-file``).
"""

from __future__ import annotations

import functools
import importlib
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from mcpctl.cli.handler import EXIT_OK, run_async, until_signalled
from mcpctl.cli.target import parse_address
from mcpctl.engine.monitor.service import ServiceConfig
from mcpctl.errors import UsageError
from mcpctl.spec.build import SpecSet
from mcpctl.spec.monitor_model import MonitorSpec
from mcpctl.web.live import Live, follow_remote, run_in_process
from mcpctl.web.overview import overview_routes
from mcpctl.web.pages import make_render
from mcpctl.web.routing import Render, Route
from mcpctl.web.security import Security
from mcpctl.web.server import Dashboard, serve_dashboard


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardConfig:
    """Everything one dashboard needs, checked."""

    host: str = "127.0.0.1"
    port: int = 0
    token: str
    state_dir: Path
    monitor: ServiceConfig | None = None
    loaded: tuple[SpecSet, MonitorSpec] | None = None
    connect: str | None = None
    name: str | None = None
    specs: tuple[str, ...] = ()
    servers_files: tuple[str, ...] = ()


@dataclass(slots=True, kw_only=True)
class Running:
    """A started dashboard: where it listens and its live state."""

    port: int
    live: Live
    dashboard: Dashboard
    skipped: list[str] = field(default_factory=list)
    """Pages whose module is not there (yet)."""


def read_token(token_file: str | None) -> str:
    """The token of ``--token-file`` (stripped), or a new random one."""
    if token_file is None:
        return secrets.token_urlsafe(32)
    try:
        text = Path(token_file).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"--token-file {token_file}: cannot read it: {exc.strerror or exc}") from None
    if not text:
        raise UsageError(f"--token-file {token_file}: the file is empty (expected the token)")
    return text


def _optional(module: str) -> Any:
    """The page module ``mcpctl.web.<module>``, or ``None`` while it does not exist."""
    try:
        return importlib.import_module(f"mcpctl.web.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"mcpctl.web.{module}":
            raise
        return None


async def serve(
    config: DashboardConfig, *, task_status: trio.TaskStatus[Running] = trio.TASK_STATUS_IGNORED
) -> None:
    """Run the dashboard of ``config`` until cancelled; ``task_status.started`` gets a :class:`Running`."""
    security = Security(host=config.host, port=config.port, token=config.token)
    render = make_render(reads_need_token=security.reads_need_token)
    live = Live(name=config.name)
    async with trio.open_nursery() as nursery:
        if config.monitor is not None and config.loaded is not None:
            await nursery.start(functools.partial(run_in_process, live, config.monitor, config.loaded))
        elif config.connect is not None:
            await nursery.start(follow_remote, live, config.connect)
        await nursery.start(live.tick)
        routes, skipped = await _mount(nursery, config, live, render)
        dashboard = Dashboard(routes=routes, security=security, live=live)
        port: int = await nursery.start(serve_dashboard, dashboard, config.host, config.port)
        task_status.started(Running(port=port, live=live, dashboard=dashboard, skipped=skipped))


async def _mount(
    nursery: trio.Nursery, config: DashboardConfig, live: Live, render: Render
) -> tuple[list[Route], list[str]]:
    """The route table: overview and server pages, then batch, runs and alerts when their modules exist."""
    routes = overview_routes(live=live, state_dir=config.state_dir, render=render)
    skipped: list[str] = []
    batch = _optional("batch")
    if batch is not None:
        desk = batch.BatchDesk(
            specs=config.specs,
            servers_files=config.servers_files,
            state_dir=config.state_dir,
            publish=live.publish,
        )
        await nursery.start(desk.run)
        routes += batch.batch_routes(desk, render)
    else:
        skipped.append("batch")
    runs = _optional("runs")
    if runs is not None:
        routes += runs.run_routes(state_dir=config.state_dir, render=render)
    else:
        skipped.append("runs")
    alerts = _optional("alerts")
    if alerts is not None:
        routes += alerts.alert_routes(state_dir=config.state_dir, render=render, publish=live.publish)
    else:
        skipped.append("alerts")
    return routes, skipped


def shown_url(host: str, port: int, token: str) -> str:
    """The link printed at start (a wildcard bind is shown as loopback: that always reaches it)."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{port}/?token={token}"


def configure(
    *,
    monitor_paths: Sequence[str],
    specs: Sequence[str],
    connect: str | None,
    name: str | None,
    listen: str,
    token_file: str | None,
    servers_files: Sequence[str],
    state_dir: Path,
) -> DashboardConfig:
    """The options checked, the token read and the Monitor's files loaded (their errors raised: exit 2)."""
    from mcpctl.engine.monitor.service import load

    host, port = parse_address(listen, option="--listen")
    if monitor_paths and connect is not None:
        raise UsageError("--monitor and --connect: run a Monitor here or follow one elsewhere, not both")
    token = read_token(token_file)
    monitor = loaded = None
    if monitor_paths:
        monitor = ServiceConfig(
            paths=tuple(monitor_paths),
            servers_files=tuple(servers_files),
            name=name,
            listen=None,
            state_dir=state_dir,
            reload=True,
        )
        loaded = load(monitor)
    return DashboardConfig(
        host=host,
        port=port,
        token=token,
        state_dir=state_dir,
        monitor=monitor,
        loaded=loaded,
        connect=connect,
        name=name,
        specs=tuple(specs),
        servers_files=tuple(servers_files),
    )


def run_dashboard(
    *,
    monitor_paths: list[str],
    specs: list[str],
    connect: str | None,
    name: str | None,
    listen: str,
    token_file: str | None,
    servers_files: list[str],
    state_dir: Path,
) -> int:
    """Serve the dashboard until interrupted: exit 130 on Ctrl-C, 143 on SIGTERM (as ``mcpctl monitor``)."""
    config = configure(
        monitor_paths=monitor_paths,
        specs=specs,
        connect=connect,
        name=name,
        listen=listen,
        token_file=token_file,
        servers_files=servers_files,
        state_dir=state_dir,
    )

    async def body() -> int:
        async with trio.open_nursery() as nursery:
            running: Running = await nursery.start(serve, config)
            _announce(config, running)
            await trio.sleep_forever()
        return EXIT_OK

    return run_async(lambda: until_signalled(body))


def _announce(config: DashboardConfig, running: Running) -> None:
    if running.dashboard.security.reads_need_token:
        print(
            f"mcpctl dashboard: warning: listening on {config.host}, beyond this machine: every page needs the"
            " token, and plain HTTP carries it in clear (put TLS in front for a network)",
            file=sys.stderr,
            flush=True,
        )
    source = {"monitor": "running the Monitor here", "connect": f"following {config.connect}"}
    print(
        f"mcpctl dashboard: {source.get(running.live.source, 'no monitor (store only)')}",
        file=sys.stderr,
        flush=True,
    )
    print(f"mcpctl dashboard: {shown_url(config.host, running.port, config.token)}", flush=True)
