"""The monitor's HTTP endpoints, on loopback by default:

    GET /metrics         Prometheus text 0.0.4 or OpenMetrics 1.0, by the ``Accept`` header
    GET /api/v1/status   {"monitor", "ts", "window_seconds", "servers": [{name, health, reasons, ...}]}
    GET /api/v1/events   a WebSocket following the event log (protocol in :mod:`.events_ws`)

Requests whose ``Origin`` is not a loopback origin are refused (403) so that a web page cannot read the
status through the browser; on loopback, a ``Host`` that is not a loopback name is refused too (421,
against DNS rebinding). Anything else is a 404 or 405 with a JSON ``error``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import orjson
import trio

from mcpctl.engine.monitor.events_ws import serve_events
from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.engine.monitor.metrics import monitor_families, status
from mcpctl.mock.http_guard import Guard, is_loopback
from mcpctl.mock.http_wire import JSON_HEAD, Answer, HttpConnection, HttpRequest, serve_api
from mcpctl.observe.exposition import negotiate

EVENTS_PATH = "/api/v1/events"
_UPGRADE_REQUIRED = 426


async def serve_monitor_http(
    state: MonitorState,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``/metrics``, ``/api/v1/status`` and ``/api/v1/events`` of ``state`` on ``host:port`` until
    cancelled; ``task_status.started`` gets the bound port (useful with ``port=0``)."""
    guard = Guard(check_host=is_loopback(host), allowed_origins=())

    async def upgrade(req: HttpRequest, conn: HttpConnection) -> None:
        await route_upgrade(state, req, conn, guard)

    await serve_api(
        host,
        port,
        lambda req: route(state, req, guard),
        what="monitor HTTP",
        upgrade=upgrade,
        task_status=task_status,
    )


async def route_upgrade(state: MonitorState, req: HttpRequest, conn: HttpConnection, guard: Guard) -> None:
    """A request asking for a WebSocket: the event stream, or the plain answer (refusals first)."""
    answer = route(state, req, guard)
    if answer[0] != _UPGRADE_REQUIRED:
        await conn.respond(answer[0], answer[2], head=answer[1], keep_alive=False)
        return
    await serve_events(state, req, conn)


def route(state: MonitorState, req: HttpRequest, guard: Guard) -> Answer:
    """The answer to ``req``."""
    refused = guard.check(req.headers.get(b"host"), req.headers.get(b"origin"))
    if refused is not None:
        return refused[0], JSON_HEAD, _json({"error": refused[1]})
    path = urlsplit(req.target.decode("latin-1")).path
    method = req.method.decode("latin-1")
    if path not in ("/metrics", "/api/v1/status", EVENTS_PATH):
        return (
            404,
            JSON_HEAD,
            _json({"error": f"no such endpoint: {path} (try GET /metrics or GET /api/v1/status)"}),
        )
    if method != "GET":
        return 405, JSON_HEAD, _json({"error": f"{method} {path}: use GET"})
    if path == EVENTS_PATH:
        message = f"GET {EVENTS_PATH} is a WebSocket: send Upgrade: websocket"
        return _UPGRADE_REQUIRED, JSON_HEAD + b"upgrade: websocket\r\n", _json({"error": message})
    if path == "/api/v1/status":
        return 200, JSON_HEAD, _json(status(state))
    accept = req.headers.get(b"accept")
    content_type, render = negotiate(accept.decode("latin-1") if accept is not None else None)
    return 200, f"content-type: {content_type}\r\n".encode(), render(monitor_families(state))


def _json(body: dict[str, object]) -> bytes:
    return orjson.dumps(body)
