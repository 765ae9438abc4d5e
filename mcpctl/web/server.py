"""The dashboard's HTTP server on mcpctl's own trio stack (:func:`mcpctl.mock.http_wire.serve_api`).

Every request is checked first (:class:`~mcpctl.web.security.Security`: Host, Origin, token), then matched
against the route table (:func:`mcpctl.web.routing.find`); ``/static/<name>`` serves the files of
``mcpctl/web/static`` and ``/api/v1/events`` is the live WebSocket over the dashboard's event log. A raised
:class:`HttpError` answers its status with ``{"error"}``, a :class:`UsageError` 400, anything else 500
(logged): a broken handler costs one answer, never the server.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, unquote, urlsplit

import trio

from mcpctl.engine.monitor.events_ws import serve_log
from mcpctl.errors import UsageError
from mcpctl.mock.http_wire import Answer, HttpConnection, HttpRequest, serve_api
from mcpctl.web.live import FrameCache, Live
from mcpctl.web.routing import HttpError, Request, Response, Route, find, json_response, usage_error
from mcpctl.web.security import CSP_HEAD, SECURITY_HEAD, Security

STATIC: Final = Path(__file__).parent / "static"
EVENTS_PATH: Final = "/api/v1/events"
_TYPES: Final = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
_log = logging.getLogger(__name__)


def static_file(name: str, directory: Path = STATIC) -> Response:
    """The file ``name`` of ``directory`` (one plain file name, no path: 404 otherwise)."""
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise HttpError(404, f"no such static file: {name}")
    path = directory / name
    suffix = path.suffix.lower()
    if suffix not in _TYPES or not path.is_file():
        raise HttpError(404, f"no such static file: {name}")
    content_type = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(body=path.read_bytes(), content_type=content_type)


class Dashboard:
    """The route table, the checks and the live log of one dashboard."""

    def __init__(
        self, *, routes: Sequence[Route], security: Security, live: Live, static: Path = STATIC
    ) -> None:
        self.routes = list(routes)
        self.security = security
        self.live = live
        self.static = static
        self.frames = FrameCache()

    async def answer(self, raw: HttpRequest) -> Answer:
        """The answer to one plain HTTP request."""
        try:
            response = await self._respond(raw)
        except HttpError as exc:
            response = json_response({"error": exc.message}, status=exc.status)
        except UsageError as exc:
            response = json_response({"error": usage_error(exc).message}, status=400)
        except Exception:
            _log.exception("dashboard: %s %s failed", raw.method.decode("latin-1"), raw.target[:200])
            response = json_response({"error": "internal error (logged by the dashboard)"}, status=500)
        return _encode(response, head_only=raw.method == b"HEAD")

    async def _respond(self, raw: HttpRequest) -> Response:
        request = parse(raw)
        if request.path.startswith("/static/"):
            self.security.check(
                method=request.method, headers=request.headers, query=request.query, changes=False
            )
            if request.method not in ("GET", "HEAD"):
                raise HttpError(405, f"{request.method} {request.path}: use GET")
            return static_file(unquote(request.path.removeprefix("/static/")), self.static)
        route, params = self._find(request)
        self.security.check(
            method=request.method, headers=request.headers, query=request.query, changes=route.changes
        )
        return await route.handler(_with_params(request, params))

    def _find(self, request: Request) -> tuple[Route, dict[str, str]]:
        try:
            return find(self.routes, request.method, request.path)
        except HttpError:
            # unknown paths are judged like reads first: a foreign page learns nothing from a 404 vs 403
            self.security.check(
                method=request.method, headers=request.headers, query=request.query, changes=False
            )
            if request.path == EVENTS_PATH:
                raise HttpError(426, f"GET {EVENTS_PATH} is a WebSocket: send Upgrade: websocket") from None
            raise

    async def upgrade(self, raw: HttpRequest, conn: HttpConnection) -> None:
        """A WebSocket request: the live event stream, once the checks pass."""
        request = parse(raw)
        try:
            self.security.check(method="GET", headers=request.headers, query=request.query, changes=False)
            if request.path != EVENTS_PATH:
                raise HttpError(404, f"no WebSocket at {request.path} (the live stream is {EVENTS_PATH})")
        except HttpError as exc:
            status, head, body = _encode(json_response({"error": exc.message}, status=exc.status))
            await conn.respond(status, body, head=head, keep_alive=False)
            return
        await serve_log(
            self.live.events, self.live.snapshot, raw, conn, encode=self.frames, stopping="dashboard stopping"
        )


def parse(raw: HttpRequest) -> Request:
    """A wire request as a handler sees it: method, percent-decoded path and query, headers, body."""
    parts = urlsplit(raw.target.decode("latin-1"))
    return Request(
        method=raw.method.decode("latin-1"),
        path=parts.path or "/",
        query=dict(parse_qsl(parts.query, keep_blank_values=True)),
        headers=raw.headers,
        body=raw.body,
    )


def _with_params(request: Request, params: dict[str, str]) -> Request:
    return Request(
        method=request.method,
        path=request.path,
        query=request.query,
        headers=request.headers,
        body=request.body,
        params=params,
    )


def _encode(response: Response, *, head_only: bool = False) -> Answer:
    """Status, head lines (the security headers, a CSP unless the route brings its own) and body."""
    extra = "".join(f"{name}: {value}\r\n" for name, value in response.headers).encode("latin-1")
    own_csp = any(name.lower() == "content-security-policy" for name, _ in response.headers)
    head = b"".join(
        (
            f"content-type: {response.content_type}\r\n".encode("latin-1"),
            SECURITY_HEAD,
            b"" if own_csp else CSP_HEAD,
            extra,
        )
    )
    return response.status, head, b"" if head_only else response.body


async def serve_dashboard(
    dashboard: Dashboard,
    host: str,
    port: int,
    *,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``dashboard`` on ``host:port`` until cancelled; ``task_status.started`` gets the bound port
    (which the checks of Host and Origin then expect)."""

    async def serve(*, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        await serve_api(
            host, port, dashboard.answer, what="dashboard", upgrade=dashboard.upgrade, task_status=task_status
        )

    async with trio.open_nursery() as nursery:
        bound: int = await nursery.start(serve)
        dashboard.security.bind(bound)
        task_status.started(bound)
