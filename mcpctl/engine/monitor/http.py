"""The monitor's HTTP endpoints, on loopback by default:

    GET /metrics         Prometheus text 0.0.4 or OpenMetrics 1.0, by the ``Accept`` header
    GET /api/v1/status   {"monitor", "ts", "window_seconds", "servers": [{name, health, reasons, ...}]}

Requests whose ``Origin`` is not a loopback origin are refused (403) so that a web page cannot read the
status through the browser; on loopback, a ``Host`` that is not a loopback name is refused too (421,
against DNS rebinding). Anything else is a 404 or 405 with a JSON ``error``.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import orjson
import trio

from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.engine.monitor.metrics import monitor_families, status
from mcpctl.mock.http_guard import Guard, is_loopback
from mcpctl.mock.http_wire import JSON_HEAD, HttpConnection, HttpFailure, HttpRequest, listen
from mcpctl.observe.exposition import negotiate

_log = logging.getLogger(__name__)
Answer = tuple[int, bytes, bytes]
"""Status, pre-encoded header lines, body."""


async def serve_monitor_http(
    state: MonitorState,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``/metrics`` and ``/api/v1/status`` of ``state`` on ``host:port`` until cancelled;
    ``task_status.started`` gets the bound port (useful with ``port=0``)."""
    guard = Guard(check_host=is_loopback(host), allowed_origins=())
    listeners, bound = await listen(host, port)

    async def serve_connection(stream: trio.SocketStream) -> None:
        await _serve(HttpConnection(stream), state, guard)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, serve_connection, listeners)
        task_status.started(bound)


async def _serve(conn: HttpConnection, state: MonitorState, guard: Guard) -> None:
    try:
        while True:
            req = await conn.next_request()
            if req is None:
                return
            if isinstance(req, HttpFailure):
                if req.status:
                    await conn.respond(
                        req.status, _json({"error": req.message}), head=JSON_HEAD, keep_alive=False
                    )
                return
            code, head, body = route(state, req, guard)
            if not await conn.respond(code, body, head=head, keep_alive=req.keep_alive) or not req.keep_alive:
                return
    except Exception:  # a bug here costs this connection, never the monitor
        _log.exception("monitor HTTP connection failed")
    finally:
        await conn.aclose()


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
