"""The Streamable HTTP fault proxy: a reverse proxy that relays everything and acts out the faults.

Every client connection gets its own upstream connection (a one-connection
:class:`~mcpctl.mcp.transports.http_lean.LeanBackend`: opened at the first request, opened again
when the upstream closed it) and relays its requests one at a time, whatever their method (POST,
the GET event stream, DELETE...). Where a request goes is :class:`~.http_relay.Upstream`'s rule.

A POST whose body is one JSON-RPC request is shown to the :class:`~.injector.Injector`; a passing
decision costs nothing more than parsing that body. Otherwise the proxy acts the decision out:
``latency`` sleeps first; ``reset`` closes the connection without an answer (``after``: once
the upstream answered); ``hang`` holds the connection open, answerless, until the client leaves;
``rate_limit`` answers 429 with ``Retry-After``; ``malformed`` spoils the answer (JSON body, or
the answer's event in an SSE stream). ``slow_start`` holds requests back after each (re)start.

``crash`` cannot kill a remote server, so the proxy plays one: every client connection closes at
once (forwarded requests in flight lose their answers) and the proxy stops listening, so new
connections are refused. Without ``restart`` it stays so; with ``restart``, after
``restartDelay`` it listens on the same port again and serves as a fresh server would:
requests naming a session seen before the crash get 404 ``Session not found`` and the client
must initialize again. A crash set off by a call (``afterCalls``) forwards that call and plays
the crash once the upstream's answer head arrives (the server got it; its answer is lost).
An upstream that is down or breaks before answering is a 502.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final, Literal

import orjson
import trio

from mcpctl.engine.faults.http_relay import (
    MAX_ANSWER,
    Client,
    Spoil,
    Upstream,
    forward_headers,
    relay,
    relay_watched,
    respond,
)
from mcpctl.engine.faults.injector import Decision, Injector, Request
from mcpctl.engine.faults.spoil import spoil
from mcpctl.errors import McpctlError, ServerError
from mcpctl.mcp.jsonrpc import INVALID_REQUEST, Message, error
from mcpctl.mcp.transports.http_backend import HttpResponse
from mcpctl.mcp.transports.http_lean import LeanBackend
from mcpctl.mock.http_wire import HttpConnection, HttpFailure, HttpRequest, listen, watch_eof

CONNECT_TIMEOUT: Final = 10.0
"""Seconds to wait for the upstream to accept a connection before answering 502."""
TIMER_POLL: Final = 0.05
"""How often the crash timer looks again (faults can be turned on at run time)."""
RATE_LIMITED: Final = -32000
SESSION_NOT_FOUND: Final = orjson.dumps(error(None, INVALID_REQUEST, "Session not found"))
_TEXT: Final = "text/plain; charset=utf-8"
_log = logging.getLogger(__name__)


async def serve_http_proxy(
    upstream: str,
    injector: Injector,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Relay ``host:port`` to the Streamable HTTP server at ``upstream`` (``http://`` only), with the
    faults of ``injector``, until cancelled; ``task_status.started`` gets the bound port."""
    target = Upstream.parse(upstream)
    listeners, bound = await listen(host, port)
    async with trio.open_nursery() as nursery:
        proxy = _Proxy(target, injector, nursery, host=host, port=bound)
        proxy.begin()
        nursery.start_soon(proxy.crash_timer)
        await nursery.start(proxy.listen, listeners)
        task_status.started(bound)


class _Link:
    """One client connection and its own upstream connection."""

    def __init__(self, stream: trio.SocketStream, upstream: Upstream) -> None:
        self.stream = stream
        self.client = Client(HttpConnection(stream))
        self.backend = LeanBackend(upstream.origin, connect_timeout=CONNECT_TIMEOUT)
        self.scope = trio.CancelScope()
        self.inflight: Request | None = None
        """A forwarded request whose answer has not reached the client yet."""
        self.abort = False
        """Close without the graceful linger (a reset or a crash)."""


class _Proxy:
    def __init__(
        self, upstream: Upstream, injector: Injector, nursery: trio.Nursery, *, host: str, port: int
    ) -> None:
        self.upstream = upstream
        self.injector = injector
        self.nursery = nursery
        self.host = host
        self.port = port
        self.listening = trio.CancelScope()
        self.state: Literal["up", "down", "dead"] = "up"
        self.started = trio.current_time()
        self.links: set[_Link] = set()
        self.sessions: set[bytes] = set()
        """Session ids seen since the last (re)start."""
        self.dead: set[bytes] = set()
        """Session ids of servers that crashed: a restarted server does not know them."""

    # -- server life -----------------------------------------------------------------------------

    async def listen(
        self,
        listeners: list[trio.SocketListener],
        *,
        task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Accept connections until the server crashes (its listeners close: connections are refused)."""
        self.listening = trio.CancelScope()
        with self.listening:
            await trio.serve_listeners(
                self.serve_connection, listeners, handler_nursery=self.nursery, task_status=task_status
            )

    def begin(self) -> None:
        """The (re)start of the server the proxy plays."""
        self.started = trio.current_time()
        delay = self.injector.slow_start()
        if delay > 0:
            self.injector.slowed(delay)

    def crash(self, name: str) -> None:
        """Play the crash ``name``: drop every connection, then stay down or restart."""
        params = self.injector.crash(name)
        self.state = "down" if params.restart else "dead"
        self.dead |= self.sessions
        self.sessions = set()
        self.listening.cancel()
        for link in self.links:
            if link.inflight is not None:
                self.injector.lost(link.inflight, name)
                link.inflight = None
            link.abort = True
            link.scope.cancel()
        if params.restart:
            self.nursery.start_soon(self._restart, params.restart_delay.seconds)

    async def _restart(self, delay: float) -> None:
        await trio.sleep(delay)
        try:
            listeners = await trio.open_tcp_listeners(self.port, host=self.host)
        except OSError as exc:
            _log.error("fault proxy: cannot listen on port %d again after the crash: %s", self.port, exc)
            return
        self.state = "up"
        self.injector.restarted()
        self.begin()
        await self.nursery.start(self.listen, listeners)

    async def crash_timer(self) -> None:
        """Set off timed crashes, ``after`` seconds after each (re)start."""
        while True:
            timer = self.injector.crash_timer() if self.state == "up" else None
            if timer is None:
                await trio.sleep(TIMER_POLL)
                continue
            name, after = timer
            left = self.started + after - trio.current_time()
            if left > 0:
                await trio.sleep(min(left, TIMER_POLL))
                continue
            self.injector.crashed_on_timer(name)
            self.crash(name)

    async def _slow_start(self) -> None:
        delay = self.injector.slow_start()
        if delay > 0:
            await trio.sleep_until(self.started + delay)

    # -- connections -----------------------------------------------------------------------------

    async def serve_connection(self, stream: trio.SocketStream) -> None:
        if self.state != "up":
            await trio.aclose_forcefully(stream)  # accepted just before the crash
            return
        link = _Link(stream, self.upstream)
        self.links.add(link)
        try:
            with link.scope:
                await self._serve(link)
        except Exception:  # a bug here costs this connection, never the proxy
            _log.exception("fault proxy connection failed")
        finally:
            self.links.discard(link)
            await link.backend.aclose()
            if link.abort:
                await trio.aclose_forcefully(stream)
            else:
                await link.client.conn.aclose()

    async def _serve(self, link: _Link) -> None:
        while True:
            req = await link.client.next_request()
            if req is None:
                return
            if isinstance(req, HttpFailure):
                if req.status:
                    await respond(
                        link.client.conn,
                        req.status,
                        req.message.encode(),
                        content_type=_TEXT,
                        keep_alive=False,
                    )
                return
            if not await self._handle(link, req):
                return

    async def _handle(self, link: _Link, req: HttpRequest) -> bool:
        """Serve one request; ``True`` if the connection goes on."""
        if not req.target.startswith(b"/"):
            body = b"mcpctl proxy: a reverse proxy takes origin-form targets (/path) only\n"
            return await respond(link.client.conn, 400, body, content_type=_TEXT, keep_alive=False)
        session = req.headers.get(b"mcp-session-id")
        if session is not None:
            if session in self.dead:
                conn = link.client.conn
                return await respond(
                    conn, 404, SESSION_NOT_FOUND, content_type="application/json", keep_alive=req.keep_alive
                )
            self.sessions.add(session)
        await self._slow_start()
        request = _rpc_request(req) if req.method == b"POST" else None
        if request is None:
            return await self._forward(link, req, None, None)
        decision = self.injector.decide(request)
        if decision.passes:
            return await self._forward(link, req, request, self._learner(request))
        return await self._faulted(link, req, request, decision)

    def _learner(self, request: Request) -> Spoil | None:
        """What looks into the answer of a passing request: only a ``tools/list`` answer is read."""
        return self._learn if request.method == "tools/list" else None

    def _learn(self, answer: Message) -> None:
        result = answer.get("result")
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            self.injector.learn_tools(result["tools"])

    async def _forward(
        self,
        link: _Link,
        req: HttpRequest,
        request: Request | None,
        look: Spoil | None,
        *,
        truncated: bool = False,
    ) -> bool:
        """Relay ``req`` and its answer (``look`` sees the answer to ``request`` first)."""
        try:
            async with self._exchange(link, req, request) as response:
                if look is None or request is None:
                    keep = await relay(link.client, response, http11=req.http11, keep_alive=req.keep_alive)
                else:
                    keep = await relay_watched(
                        link.client,
                        response,
                        request_id=request.id,
                        spoil=look,
                        truncated=truncated,
                        http11=req.http11,
                        keep_alive=req.keep_alive,
                    )
                link.inflight = None
                return keep
        except McpctlError as exc:
            link.inflight = None
            body = f"mcpctl proxy: upstream {self.upstream.origin} failed: {exc}\n".encode()
            return await respond(link.client.conn, 502, body, content_type=_TEXT, keep_alive=req.keep_alive)

    @asynccontextmanager
    async def _exchange(
        self, link: _Link, req: HttpRequest, request: Request | None
    ) -> AsyncIterator[HttpResponse]:
        """``backend.exchange`` for a client request, noting what the upstream's answer head says."""
        url = self.upstream.url(req.target)
        framed = req.body or b"content-length" in req.headers or b"transfer-encoding" in req.headers
        method, headers = req.method.decode("latin-1"), forward_headers(req.headers)
        async with link.backend.exchange(method, url, headers, req.body if framed else None) as response:
            self.note(link, request, response)
            yield response

    def note(self, link: _Link, request: Request | None, response: HttpResponse) -> None:
        """The upstream answered the head of a forwarded request."""
        session = response.headers.get("mcp-session-id")
        if session is not None:
            self.sessions.add(session.encode("latin-1"))
        if request is not None:
            link.inflight = request
            self.injector.forwarded(request)

    # -- faults ----------------------------------------------------------------------------------

    async def _faulted(self, link: _Link, req: HttpRequest, request: Request, decision: Decision) -> bool:
        if decision.delay > 0:
            await trio.sleep(decision.delay)
        if decision.crash:
            await self._swallow(link, req, request, decision.crash, crash=True)
            return False
        if decision.action == "rate_limit":
            return await _rate_limited(link.client.conn, req, request, decision)
        if decision.action == "reset":
            if decision.reset_after:
                await self._swallow(link, req, request, decision.fault)
            link.abort = True
            return False
        if decision.action == "hang":
            if decision.forward:
                await self._swallow(link, req, request, decision.fault)
            with trio.CancelScope() as scope:
                await watch_eof(link.client.conn, scope)  # answer nothing until the client leaves
            return False
        if decision.action == "malformed" and decision.malformed is not None:
            kind, size = decision.malformed, decision.size
            schema = self.injector.output_schema(request.tool)

            def spoiled(answer: Message) -> tuple[bytes, ...]:
                if request.method == "tools/list":
                    self._learn(answer)
                return spoil(answer, kind, size=size, output_schema=schema).frames

            return await self._forward(link, req, request, spoiled, truncated=kind == "truncated")
        return await self._forward(link, req, request, self._learner(request))

    async def _swallow(
        self, link: _Link, req: HttpRequest, request: Request, fault: str, *, crash: bool = False
    ) -> None:
        """Forward ``req`` and drop its answer (``crash``: play the crash once the upstream has it)."""
        try:
            async with self._exchange(link, req, request) as response:
                if crash:
                    self.crash(fault)  # loses this request's answer too
                    await trio.lowlevel.checkpoint()
                await response.read(MAX_ANSWER)
        except ServerError:
            if crash:
                self.crash(fault)
        if link.inflight is not None:
            link.inflight = None
            self.injector.lost(request, fault)


def _rpc_request(req: HttpRequest) -> Request | None:
    """The JSON-RPC request a POST carries, if its body is exactly one."""
    try:
        message = orjson.loads(req.body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, dict) and isinstance(message.get("method"), str) and "id" in message:
        return Request.of(message)
    return None


async def _rate_limited(conn: HttpConnection, req: HttpRequest, request: Request, decision: Decision) -> bool:
    seconds = decision.retry_after
    message = f"Rate limited by mcpctl proxy (fault {decision.fault}): retry after {seconds:.3f}s"
    body = orjson.dumps(error(request.id, RATE_LIMITED, message, {"retryAfter": round(seconds, 3)}))
    head = b"retry-after: %d\r\n" % max(1, math.ceil(seconds))
    return await respond(
        conn, 429, body, content_type="application/json", keep_alive=req.keep_alive, head=head
    )
