"""The lean HTTP/1.1 backend: trio sockets + h11, plain ``http://`` only; the load-generation path.

A pool of keep-alive connections, one request per connection at a time: a request takes an
idle connection or opens one, and gives it back only if its response was read to the end
(anything else closes it, so a half-read body never leaks into the next exchange). A reused
connection the server closed while idle is retried once on a fresh one, before any byte of
the answer arrived.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import h11
import trio

from mcpctl.errors import TransportError, UsageError
from mcpctl.mcp.transports.http_backend import Headers, HttpResponse

_READ_SIZE = 1 << 16
_MAX_IDLE = 1024
_MAX_CACHED_HEADS = 512
_FOREIGN = (OSError, trio.BrokenResourceError, trio.ClosedResourceError, h11.ProtocolError)


class _Stale(Exception):
    """A reused connection was closed by the server before it answered."""


class _Connection:
    __slots__ = ("h11", "stream")

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.h11 = h11.Connection(h11.CLIENT)

    async def next_event(self) -> h11.Event | type[h11.PAUSED]:
        conn = self.h11
        while True:
            event = conn.next_event()
            if event is not h11.NEED_DATA:
                return event  # type: ignore[return-value]
            conn.receive_data(await self.stream.receive_some(_READ_SIZE))

    def reusable(self) -> bool:
        conn = self.h11
        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
            conn.start_next_cycle()
            return True
        return False


class H11Backend:
    """Keep-alive HTTP/1.1 to the one origin of ``url``."""

    def __init__(self, url: str, *, connect_timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise UsageError(
                f"the h11 HTTP backend speaks plain http:// only, not {url!r}: use the httpx backend"
            )
        if not parts.hostname:
            raise UsageError(f"no host in URL {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._authority = parts.netloc.rpartition("@")[2]
        self._connect_timeout = connect_timeout
        self._idle: list[_Connection] = []
        self._targets: dict[str, str] = {}
        self._requests: dict[tuple[str, str, tuple[tuple[str, str], ...], int], h11.Request] = {}

    def _target(self, url: str) -> str:
        target = self._targets.get(url)
        if target is None:
            parts = urlsplit(url)
            if parts.scheme != "http" or (parts.hostname, parts.port or 80) != (self._host, self._port):
                raise TransportError(f"the h11 backend cannot reach {url!r} (not {self._authority})")
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            self._targets[url] = target
        return target

    def _request(self, method: str, url: str, headers: Headers, body: bytes | None) -> h11.Request:
        """The h11 request event, validated once per distinct head and reused (events are
        immutable): on a load loop only the body changes, and h11's header validation would
        otherwise be a third of the client's cost per request."""
        key = (method, url, tuple(headers), -1 if body is None else len(body))
        request = self._requests.get(key)
        if request is not None:
            return request
        fields = [("host", self._authority), *headers]
        if body is not None:
            fields.append(("content-length", str(len(body))))
        try:
            request = h11.Request(method=method, target=self._target(url), headers=fields)
        except h11.LocalProtocolError as exc:
            raise UsageError(f"{method} {url}: invalid request header: {exc}") from None
        if len(self._requests) >= _MAX_CACHED_HEADS:
            self._requests.clear()
        self._requests[key] = request
        return request

    async def _connect(self) -> _Connection:
        try:
            with trio.fail_after(self._connect_timeout):
                stream = await trio.open_tcp_stream(self._host, self._port)
        except trio.TooSlowError:
            raise TransportError(f"cannot connect to {self._authority}: timed out") from None
        except OSError as exc:
            raise TransportError(f"cannot connect to {self._authority}: {exc.strerror or exc}") from None
        stream.setsockopt(trio.socket.IPPROTO_TCP, trio.socket.TCP_NODELAY, 1)
        return _Connection(stream)

    async def _start(
        self, conn: _Connection, request: h11.Request, body: bytes | None, reused: bool
    ) -> h11.Response:
        data = conn.h11.send(request) or b""
        if body:
            data += conn.h11.send(h11.Data(data=body)) or b""
        data += conn.h11.send(h11.EndOfMessage()) or b""
        try:
            await conn.stream.send_all(data)
            while True:
                event = await conn.next_event()
                if type(event) is h11.Response:
                    return event
                if type(event) is h11.ConnectionClosed and reused:
                    raise _Stale
                if type(event) is not h11.InformationalResponse:
                    raise TransportError(f"server closed the connection without answering ({event!r})")
        except (trio.BrokenResourceError, ConnectionResetError) as exc:
            if reused:
                raise _Stale from exc
            raise

    @asynccontextmanager
    async def exchange(
        self, method: str, url: str, headers: Headers, body: bytes | None
    ) -> AsyncIterator[HttpResponse]:
        where = f"{method} {url}"
        request = self._request(method, url, headers, body)
        conn = None
        clean = False
        try:
            for attempt in (1, 2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    response = await self._start(conn, request, body, reused)
                    break
                except _Stale:
                    await trio.aclose_forcefully(conn.stream)
                    conn = None
                    if attempt == 2:
                        raise TransportError(f"{where}: server closed the connection") from None
            assert conn is not None
            body_iter = _Body(conn, where)
            headers_map = {
                name.decode("latin-1").lower(): value.decode("latin-1") for name, value in response.headers
            }
            yield HttpResponse(status=response.status_code, headers=headers_map, chunks=body_iter)
            clean = body_iter.done and conn.reusable()
        except _FOREIGN as exc:
            raise TransportError(f"{where}: connection broken ({type(exc).__name__}: {exc})") from None
        finally:
            if conn is not None:
                if clean and len(self._idle) < _MAX_IDLE:
                    self._idle.append(conn)
                else:
                    await trio.aclose_forcefully(conn.stream)

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for conn in idle:
            await trio.aclose_forcefully(conn.stream)


class _Body:
    """A response body as an async iterator of chunks; ``done`` once the message ended."""

    def __init__(self, conn: _Connection, where: str) -> None:
        self._conn = conn
        self._where = where
        self.done = False

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        if self.done:
            raise StopAsyncIteration
        try:
            event = await self._conn.next_event()
        except _FOREIGN as exc:
            raise TransportError(f"{self._where}: connection broken ({type(exc).__name__}: {exc})") from None
        if type(event) is h11.Data:
            return bytes(event.data)
        if type(event) is h11.EndOfMessage:
            self.done = True
            raise StopAsyncIteration
        raise TransportError(f"{self._where}: the answer was cut short ({event!r})")
