"""``mcpctl monitor FILE`` (probe the Monitor's servers until Ctrl-C, serving ``/metrics`` and
``/api/v1/status``) and ``mcpctl status`` (a one-shot health table: from a running monitor with
``--connect URL``, or by probing each server of FILE until every one has a state)."""

from __future__ import annotations

import datetime
import functools
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import trio

from mcpctl.cli.handler import EXIT_FAILED, EXIT_OK, run_async, until_signalled
from mcpctl.cli.target import parse_address
from mcpctl.engine.monitor.service import ServiceConfig, pick_monitor
from mcpctl.engine.results import counted
from mcpctl.errors import UsageError
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.monitor_model import MonitorSpec

DEFAULT_LISTEN = "127.0.0.1:8081"
"""Where ``mcpctl monitor`` serves its endpoints unless told otherwise (the port operators expect)."""
STATUS_DEADLINE = 60.0
"""Seconds ``mcpctl status FILE`` waits for every server's first probe."""


def run_monitor(
    paths: Sequence[str], *, servers_files: Sequence[str], name: str | None, listen: str, state_dir: Path
) -> int:
    """Run the monitor until interrupted; print each health change. Exit 130 on Ctrl-C (DESIGN.md §6),
    143 on SIGTERM, after its servers are stopped."""
    from mcpctl.engine.monitor.service import load

    config = ServiceConfig(
        paths=tuple(paths),
        servers_files=tuple(servers_files),
        name=name,
        listen=parse_address(listen, option="--listen"),
        state_dir=state_dir,
    )
    loaded = load(config)

    async def serve() -> int:
        await _serve(config, loaded)
        return EXIT_OK

    return run_async(lambda: until_signalled(serve))


async def _serve(config: ServiceConfig, loaded: tuple[SpecSet, MonitorSpec]) -> None:
    from mcpctl.engine.monitor.service import run_service

    async with trio.open_nursery() as nursery:
        monitoring = await nursery.start(functools.partial(run_service, config, loaded=loaded))
        monitoring.events.listen(_print_event)
        assert config.listen is not None
        host = config.listen[0]
        shown = f"[{host}]" if ":" in host else host
        servers = counted(len(loaded[1].servers), "server")
        rules = sum(len(doc.rules) for doc in loaded[0].alert_rules)
        alerting = f", {counted(rules, 'alert rule')}" if rules else ""
        print(
            f"monitor {loaded[1].metadata.name}: {servers}{alerting}; serving"
            f" http://{shown}:{monitoring.port}/metrics, /api/v1/status and /api/v1/events (WebSocket)",
            file=sys.stderr,
            flush=True,
        )


def _print_event(event: Mapping[str, object]) -> None:
    """Health and alert changes on stdout, reloads on stderr."""
    kind = event["type"]
    if kind == "reload":
        if event["ok"]:
            files = ", ".join(str(f) for f in event["files"]) if isinstance(event["files"], list) else ""
            print(f"mcpctl: reloaded {files}", file=sys.stderr, flush=True)
        else:
            for line in str(event["error"]).splitlines():
                print(f"mcpctl: reload refused, the running specs go on: {line}", file=sys.stderr, flush=True)
        return
    if kind not in ("health", "alert"):
        return
    stamp = datetime.datetime.fromtimestamp(float(str(event["ts"])), tz=datetime.UTC)
    when = stamp.isoformat(timespec="seconds")
    if kind == "alert":
        line = f"{when} alert {event['rule']} on {event['server']}: {event['from']} -> {event['to']}"
        print(f"{line}: {event['reason']}", flush=True)
        return
    reasons = event.get("reasons")
    why = "; ".join(str(r) for r in reasons) if isinstance(reasons, list | tuple) and reasons else ""
    line = f"{when} {event['server']} {event['from'] or '-'} -> {event['to']}"
    print(line + (f": {why}" if why else ""), flush=True)


def run_status(
    paths: Sequence[str], *, servers_files: Sequence[str], name: str | None, connect: str | None, output: str
) -> int:
    """Print every server's health once; exit 1 when one is not healthy."""
    if output not in ("text", "json", "markdown"):
        raise UsageError(f"--output {output!r}: expected text, json or markdown")
    if connect is not None:
        if paths:
            raise UsageError("give either FILE (probe its servers now) or --connect URL (a running monitor)")
        report = run_async_value(lambda: _fetch(connect))
    else:
        if not paths:
            raise UsageError("give a Monitor FILE, or --connect URL of a running mcpctl monitor")
        specs = load_specs(list(paths), servers_files=list(servers_files))
        spec = pick_monitor(specs, name)
        report = run_async_value(lambda: _probe_once(spec, specs))
    print(render_status(report, output=output))
    servers = report.get("servers")
    healthy = isinstance(servers, list) and all(s.get("health") == "healthy" for s in servers)
    return EXIT_OK if healthy else EXIT_FAILED


def run_async_value(main: object) -> dict[str, object]:
    """Run ``main`` (an async callable returning the status JSON) under trio; its value."""
    holder: list[dict[str, object]] = []

    async def wrapped() -> int:
        holder.append(await main())  # type: ignore[operator]
        return EXIT_OK

    code = run_async(wrapped)
    if not holder:
        raise SystemExit(code)
    return holder[0]


async def _probe_once(spec: MonitorSpec, specs: SpecSet) -> dict[str, object]:
    from mcpctl.engine.monitor.loop import MonitorState, run_monitor
    from mcpctl.engine.monitor.metrics import status

    state = MonitorState(spec)
    waiting = {server.name for server in spec.servers}
    judged = trio.Event()

    def first_states(event: Mapping[str, object]) -> None:
        waiting.discard(str(event["server"]))
        if not waiting:
            judged.set()

    with trio.move_on_after(STATUS_DEADLINE):
        async with trio.open_nursery() as nursery:
            await nursery.start(
                functools.partial(run_monitor, spec, specs.servers, state=state, on_event=first_states)
            )
            await judged.wait()
            nursery.cancel_scope.cancel()
    return status(state)


async def _fetch(url: str) -> dict[str, object]:
    from mcpctl.mcp.auth.http import open_oauth_http

    async with open_oauth_http(timeout=10.0) as http:
        reply = await http.get(url.rstrip("/") + "/api/v1/status")
    body = reply.json_object()
    if reply.status != 200 or body is None:
        raise UsageError(
            f"{url}: not a running mcpctl monitor (GET /api/v1/status answered HTTP {reply.status})"
        )
    return body


def render_status(report: Mapping[str, object], *, output: str) -> str:
    """The status JSON as JSON, a plain table or a markdown table."""
    if output == "json":
        return json.dumps(report, indent=2)
    from tabulate import tabulate

    servers = report.get("servers")
    rows = (
        [_row(server) for server in servers if isinstance(server, dict)] if isinstance(servers, list) else []
    )
    headers = ["SERVER", "HEALTH", "P50 MS", "P99 MS", "ERRORS", "CALLS/S", "LAST", "REASONS"]
    return tabulate(rows, headers=headers, tablefmt="github" if output == "markdown" else "plain")


def _row(server: Mapping[str, object]) -> list[object]:
    health = str(server.get("health") or "unknown")
    by = server.get("impacted_by")
    if server.get("impacted"):
        health += f" (impacted by {', '.join(str(name) for name in by) if isinstance(by, list) else '?'})"
    last = server.get("last_probe")
    outcome = last.get("outcome") if isinstance(last, dict) else "-"
    reasons = server.get("reasons")
    rate = server.get("error_rate")
    return [
        server.get("name"),
        health,
        _ms(server.get("p50_ms")),
        _ms(server.get("p99_ms")),
        f"{float(rate) * 100:.1f}%" if isinstance(rate, int | float) else "-",
        f"{server.get('calls_per_second', 0):.2f}"
        if isinstance(server.get("calls_per_second"), int | float)
        else "-",
        outcome,
        "; ".join(map(str, reasons)) if isinstance(reasons, list) else "",
    ]


def _ms(value: object) -> str:
    return f"{float(value):.1f}" if isinstance(value, int | float) else "-"
