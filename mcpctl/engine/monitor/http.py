"""The monitor's HTTP endpoints, on loopback by default:

    GET /metrics         Prometheus text 0.0.4 or OpenMetrics 1.0, by the ``Accept`` header
    GET /api/v1/status   {"monitor", "ts", "window_seconds", "servers": [{name, health, reasons, ...}]}

Requests whose ``Origin`` is not a loopback origin are refused (403) so that a web page cannot read the
status through the browser; on loopback, a ``Host`` that is not a loopback name is refused too (421,
against DNS rebinding). Anything else is a 404 or 405 with a JSON ``error``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import trio

from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.engine.monitor.metrics import monitor_families, status
from mcpctl.mock.http_guard import Guard, is_loopback
from mcpctl.mock.http_wire import JSON_HEAD, Answer, HttpRequest, serve_api
from mcpctl.observe.exposition import negotiate


async def serve_monitor_http(
    state: MonitorState,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``/metrics`` and ``/api/v1/status`` of ``state`` on ``host:port`` until cancelled;
    ``task_status.started`` gets the bound port (useful with ``port=0``)."""
    guard = Guard(check_host=is_loopback(host), allowed_origins=())
    await serve_api(
        host, port, lambda req: route(state, req, guard), what="monitor HTTP", task_status=task_status
    )


def route(state: MonitorState, req: HttpRequest, guard: Guard) -> Answer:
    """The answer to ``req``."""
    refused = guard.check(req.headers.get(b"host"), req.headers.get(b"origin"))
    if refused is not None:
        return refused[0], JSON_HEAD, _json({"error": refused[1]})
    path = urlsplit(req.target.decode("latin-1")).path
    method = req.method.decode("latin-1")
    if path not in ("/metrics", "/api/v1/status"):
        return (
            404,
            JSON_HEAD,
            _json({"error": f"no such endpoint: {path} (try GET /metrics or GET /api/v1/status)"}),
        )
    if method != "GET":
        return 405, JSON_HEAD, _json({"error": f"{method} {path}: use GET"})
    if path == "/api/v1/status":
        return 200, JSON_HEAD, _json(status(state))
    accept = req.headers.get(b"accept")
    content_type, render = negotiate(accept.decode("latin-1") if accept is not None else None)
    return 200, f"content-type: {content_type}\r\n".encode(), render(monitor_families(state))


def _json(body: dict[str, object]) -> bytes:
    return orjson.dumps(body)
