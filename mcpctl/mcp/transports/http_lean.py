"""The lean HTTP/1.1 backend: trio sockets + httptools (llhttp, in C), plain ``http://`` only.

The load-generation path. Measured here against the official SDK server (JSON answers, one
request in flight), a trio client parsing with h11 spends ~80 µs of CPU per request in h11
alone and answers at 0.62 ms p50, where the same loop parsing with httptools answers at
0.42 ms: HTTP parsing, not the network, was most of the client's cost.

A pool of keep-alive connections, one request per connection at a time: a request takes an
idle connection or opens one, and gives it back only if its response was read to the end and
the server keeps the connection alive (anything else closes it, so a half-read body never
leaks into the next exchange). A reused connection the server closed while idle is retried
once on a fresh one, before any byte of the answer arrived.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httptools
import trio

from mcpctl.errors import ProtocolError, TransportError, UsageError
from mcpctl.mcp.transports.http_backend import Headers, HttpResponse

_READ_SIZE = 1 << 16
_MAX_IDLE = 1024
_MAX_CACHED_HEADS = 512
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")
_FOREIGN = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)


class _Stale(Exception):
    """A reused connection was closed by the server before it answered."""


class _Message:
    """httptools callbacks for one response: status, headers, body chunks, completion."""

    __slots__ = ("chunks", "complete", "headers", "headers_done", "keep_alive", "parser")

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}
        self.headers_done = False
        self.keep_alive = False
        self.chunks: deque[bytes] = deque()
        self.complete = False
        self.parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        self.headers[key] = f"{self.headers[key]}, {text}" if key in self.headers else text

    def on_headers_complete(self) -> None:
        self.headers_done = True
        # asked now: once the message is complete the parser has reset and says False
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()
        self.parser = None

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    __slots__ = ("closed", "message", "parser", "stream")

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self.closed = False
        self.reset()

    def reset(self) -> None:
        self.message = _Message()
        self.parser = httptools.HttpResponseParser(self.message)
        self.message.parser = self.parser

    async def feed(self) -> None:
        """Read once and parse what arrived; at EOF mark the connection closed."""
        data = await self.stream.receive_some(_READ_SIZE)
        if not data:
            self.closed = True
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            raise ProtocolError(f"malformed HTTP response: {exc}") from None


class LeanBackend:
    """Keep-alive HTTP/1.1 to the one origin of ``url``."""

    def __init__(self, url: str, *, connect_timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise UsageError(
                f"the lean HTTP backend speaks plain http:// only, not {url!r}: use the httpx backend"
            )
        if not parts.hostname:
            raise UsageError(f"no host in URL {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._authority = parts.netloc.rpartition("@")[2]
        self._connect_timeout = connect_timeout
        self._idle: list[_Connection] = []
        self._closed = False
        self._heads: dict[tuple[str, str, tuple[tuple[str, str], ...]], bytes] = {}

    def _head(self, method: str, url: str, headers: Headers) -> bytes:
        """The request line and headers (without content-length), checked once and reused."""
        key = (method, url, tuple(headers))
        head = self._heads.get(key)
        if head is not None:
            return head
        parts = urlsplit(url)
        if parts.scheme != "http" or (parts.hostname, parts.port or 80) != (self._host, self._port):
            raise TransportError(f"the lean HTTP backend cannot reach {url!r} (not {self._authority})")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1".encode(), f"host: {self._authority}".encode("latin-1")]
        for name, value in headers:
            raw_name, raw_value = name.encode("latin-1"), value.encode("latin-1", "replace")
            if not _TOKEN.fullmatch(raw_name) or not _FIELD_VALUE.fullmatch(raw_value):
                raise UsageError(f"{method} {url}: invalid request header {name!r}")
            lines.append(raw_name + b": " + raw_value.strip())
        head = b"\r\n".join(lines) + b"\r\n"
        if len(self._heads) >= _MAX_CACHED_HEADS:
            self._heads.clear()
        self._heads[key] = head
        return head

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

    async def _start(self, conn: _Connection, data: bytes, reused: bool) -> None:
        """Send the request and read until the response head is parsed."""
        try:
            await conn.stream.send_all(data)
            while not conn.message.headers_done:
                await conn.feed()
                if conn.closed and not conn.message.headers_done:
                    if reused:
                        raise _Stale
                    raise TransportError("server closed the connection without answering")
        except (trio.BrokenResourceError, ConnectionResetError) as exc:
            if reused:
                raise _Stale from exc
            raise

    @asynccontextmanager
    async def exchange(
        self, method: str, url: str, headers: Headers, body: bytes | None
    ) -> AsyncIterator[HttpResponse]:
        where = f"{method} {url}"
        data = self._head(method, url, headers)
        if body is not None:
            data += b"content-length: %d\r\n\r\n" % len(body) + body
        else:
            data += b"\r\n"
        conn = None
        clean = False
        try:
            for attempt in (1, 2):
                reused = bool(self._idle)
                conn = self._idle.pop() if reused else await self._connect()
                try:
                    await self._start(conn, data, reused)
                    break
                except _Stale:
                    await trio.aclose_forcefully(conn.stream)
                    conn = None
                    if attempt == 2:
                        raise TransportError(f"{where}: server closed the connection") from None
            assert conn is not None
            chunks = _Body(conn, where)
            yield HttpResponse(
                status=conn.parser.get_status_code(), headers=conn.message.headers, chunks=chunks
            )
            clean = conn.message.complete and not conn.closed and conn.message.keep_alive
        except _FOREIGN as exc:
            raise TransportError(f"{where}: connection broken ({type(exc).__name__}: {exc})") from None
        finally:
            if conn is not None:
                # after aclose nothing is pooled: a request still unwinding then (a cancel notice
                # posted as the session closes) would leave its connection open for good
                if clean and not self._closed and len(self._idle) < _MAX_IDLE:
                    conn.reset()
                    self._idle.append(conn)
                else:
                    await trio.aclose_forcefully(conn.stream)

    async def aclose(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        # shielded: closing usually happens in a cancelled scope (the session's owner was cancelled), where
        # the first aclose_forcefully's checkpoint would raise and leave the other connections open
        with trio.CancelScope(shield=True):
            for conn in idle:
                await trio.aclose_forcefully(conn.stream)


class _Body:
    """A response body as an async iterator of chunks."""

    def __init__(self, conn: _Connection, where: str) -> None:
        self._conn = conn
        self._where = where

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        message = conn.message
        while not message.chunks:
            if message.complete:
                raise StopAsyncIteration
            if conn.closed:
                if "content-length" in message.headers or "transfer-encoding" in message.headers:
                    raise TransportError(f"{self._where}: the answer was cut short")
                message.complete = True  # a body delimited by the end of the connection
                raise StopAsyncIteration
            try:
                await conn.feed()
            except _FOREIGN as exc:
                raise TransportError(
                    f"{self._where}: connection broken ({type(exc).__name__}: {exc})"
                ) from None
        if len(message.chunks) == 1:
            return message.chunks.popleft()
        joined = b"".join(message.chunks)
        message.chunks.clear()
        return joined
