"""The overview (``/``: a tile per server and the dependency map), the server page (``/servers/{name}``:
hourly p50/p90/p99, health timeline, recent probe failures) and the monitor's own endpoints
(``/api/v1/status``, ``/metrics``, ``/api/v1/servers/{name}``) as the dashboard serves them."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from markupsafe import Markup

from mcpctl.report.svg import Line, line_chart
from mcpctl.store import alerts as stored
from mcpctl.store.db import open_store
from mcpctl.web.charts import dependency_map, health_word, sparkline_svg
from mcpctl.web.live import Live
from mcpctl.web.routing import HttpError, Render, Request, Response, Route, html_response, json_response

TIMELINE_DAYS: Final = 7
FAILURES_SHOWN: Final = 20


def _servers(snapshot: Mapping[str, object]) -> list[dict[str, object]]:
    servers = snapshot.get("servers")
    return [s for s in servers if isinstance(s, dict)] if isinstance(servers, list) else []


def tiles(live: Live, snapshot: Mapping[str, object]) -> list[dict[str, object]]:
    """One tile's values per server of ``snapshot``."""
    return [
        {
            **server,
            "health_word": health_word(server.get("health")),
            "spark": sparkline_svg(
                str(server.get("name")), list(live.latencies.get(str(server.get("name")), ()))
            ),
        }
        for server in _servers(snapshot)
    ]


def overview_routes(*, live: Live, state_dir: Path, render: Render) -> list[Route]:
    """``GET /``, ``GET /servers/{name}``, ``GET /api/v1/status``, ``GET /api/v1/servers/{name}``,
    ``GET /metrics``."""

    async def overview(_: Request) -> Response:
        snapshot = live.snapshot()
        health = {str(s.get("name")): health_word(s.get("health")) for s in _servers(snapshot)}
        graph = dependency_map(health, live.depends_on()) if health else Markup("")
        page = render(
            "overview.html.j2", nav="overview", status=snapshot, tiles=tiles(live, snapshot), depmap=graph
        )
        return html_response(page)

    async def server_page(req: Request) -> Response:
        return html_response(
            render("server.html.j2", nav="server", **server_view(live, state_dir, req.params["name"]))
        )

    async def server_api(req: Request) -> Response:
        view = server_view(live, state_dir, req.params["name"])
        return json_response({k: v for k, v in view.items() if k != "chart"})

    async def status(_: Request) -> Response:
        return json_response(live.snapshot())

    async def metrics(req: Request) -> Response:
        if live.monitoring is None:
            raise HttpError(404, "no monitor runs in this dashboard: /metrics is served by `mcpctl monitor`")
        from mcpctl.engine.monitor.metrics import monitor_families
        from mcpctl.observe.exposition import negotiate

        accept = req.headers.get(b"accept")
        content_type, write = negotiate(accept.decode("latin-1") if accept is not None else None)
        return Response(body=write(monitor_families(live.monitoring.state)), content_type=content_type)

    return [
        Route(method="GET", pattern="/", handler=overview),
        Route(method="GET", pattern="/servers/{name}", handler=server_page),
        Route(method="GET", pattern="/api/v1/servers/{name}", handler=server_api),
        Route(method="GET", pattern="/api/v1/status", handler=status),
        Route(method="GET", pattern="/metrics", handler=metrics),
    ]


def server_view(live: Live, state_dir: Path, name: str) -> dict[str, object]:
    """What the server page shows of ``name``; :class:`HttpError` 404 when nothing is known of it."""
    current = next((s for s in _servers(live.snapshot()) if s.get("name") == name), None)
    hours: list[dict[str, object]] = []
    timeline: list[dict[str, object]] = []
    if live.name is not None:
        with open_store(state_dir, create=False) as store:
            hours = stored.rollups(store, live.name, server=name)
            since = time.time() - TIMELINE_DAYS * 86400
            timeline = [e for e in stored.events(store, live.name, since=since) if e.get("server") == name]
    if current is None and not hours and not timeline:
        raise HttpError(404, f"no such server: {name}")
    failures = [
        {k: e.get(k) for k in ("ts", "outcome", "message", "latency_ms")}
        for e in reversed(live.failures.get(name, ()))
    ][:FAILURES_SHOWN]
    return {
        "name": name,
        "monitor": live.name,
        "current": current,
        "health_word": health_word(current.get("health") if current else None),
        "hours": [{k: v for k, v in h.items() if k != "histogram"} for h in hours],
        "timeline": [e for e in reversed(timeline) if e.get("type") == "health"],
        "failures": failures,
        "chart": hourly_chart(name, hours),
    }


def hourly_chart(name: str, hours: list[dict[str, object]]) -> Markup:
    """p50, p90 and p99 per hour (x: hours before the newest one) as an SVG line chart."""
    if not hours:
        return Markup("")
    newest = max(float(str(h["hour"])) for h in hours)
    lines = []
    for key, colour in (("p50_ms", "blue"), ("p90_ms", "orange"), ("p99_ms", "red")):
        points = tuple(
            ((float(str(h["hour"])) - newest) / 3600.0, float(value))
            for h in hours
            if isinstance(value := h.get(key), int | float)
        )
        lines.append(Line(name=key.removesuffix("_ms"), points=points, colour=colour))
    chart = line_chart(
        lines, title=f"{name}: latency per hour", x_label="hours (0 = this hour)", y_label="ms"
    )
    return Markup(chart)
