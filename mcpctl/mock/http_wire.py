"""HTTP/1.1 for the mock's server side: requests parsed with httptools, answers written whole or streamed.

httptools (llhttp, in C) rather than h11 as DESIGN.md §4 names: h11 spends ~80 µs of pure Python
per request, more than the rest of a mock's answer. :class:`HttpConnection` reads one socket,
parses what arrives (pipelined requests queue up and are handed out in order) and enforces the
limits: a head over :data:`MAX_HEAD` bytes is a 431, a body over :data:`MAX_BODY` a 413,
anything llhttp rejects a 400; each ends the connection after the requests before it are
answered. Chunked request bodies are decoded by llhttp, so they are accepted like any other.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final

import httptools
import orjson
import trio

from mcpctl.mcp.jsonrpc import INTERNAL_ERROR, INVALID_REQUEST, Message, error
from mcpctl.mock.session import MockSession, Notify, Undeliverable

MAX_BODY: Final = 16 * 1024 * 1024
MAX_HEAD: Final = 64 * 1024
MAX_HEADERS: Final = 128
LINGER: Final = 1.0
PING_INTERVAL: Final = 15.0
"""Seconds of silence after which an open event stream gets a ``: ping`` comment."""
_READ_SIZE: Final = 1 << 16
_REASONS: Final = {
    100: "Continue",
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    426: "Upgrade Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}
_STATUS_LINES: Final = {code: f"HTTP/1.1 {code} {reason}\r\n".encode() for code, reason in _REASONS.items()}
_CLOSE: Final = b"connection: close\r\n"
_CHUNKED: Final = b"transfer-encoding: chunked\r\n"
_SSE_HEAD: Final = b"content-type: text/event-stream\r\ncache-control: no-cache, no-transform\r\n"
_FOREIGN: Final = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)
_log = logging.getLogger(__name__)


class _Clock:
    """The ``date`` header line, rebuilt at most once a second."""

    second = 0
    line = b""


def _date_line() -> bytes:
    now = int(time.time())
    if _Clock.second != now:
        _Clock.second = now
        _Clock.line = b"date: " + formatdate(now, usegmt=True).encode() + b"\r\n"
    return _Clock.line


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """One parsed request; header names are lower-cased, repeated headers joined with ``, ``."""

    method: bytes
    target: bytes
    headers: dict[bytes, bytes]
    body: bytes
    keep_alive: bool
    http11: bool


@dataclass(frozen=True, slots=True)
class HttpFailure:
    """The client sent something this connection cannot go on from: answer ``status`` and close.

    Status 0: nothing to answer (an upgrade after its request was served), just close.
    """

    status: int
    message: str


class _Parse:
    """httptools callbacks: builds requests into ``ready`` and notes limit breaches."""

    __slots__ = (
        "body",
        "body_size",
        "continue_wanted",
        "failure",
        "head_size",
        "headers",
        "in_head",
        "parser",
        "ready",
        "touched",
        "url",
    )

    def __init__(self) -> None:
        self.ready: deque[HttpRequest] = deque()
        self.failure: HttpFailure | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.in_head = True
        self.touched = False
        self.continue_wanted = False
        self._reset()

    def _reset(self) -> None:
        self.url = b""
        self.headers: dict[bytes, bytes] = {}
        self.body: list[bytes] = []
        self.head_size = 0
        self.body_size = 0

    def fail(self, status: int, message: str) -> None:
        if self.failure is None:
            self.failure = HttpFailure(status, message)

    def on_message_begin(self) -> None:
        self.touched = True
        self.in_head = True
        self._reset()

    def on_url(self, url: bytes) -> None:
        self.touched = True
        self.url += url
        self.head_size += len(url)
        if self.head_size > MAX_HEAD:
            self.fail(431, "request head too large")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.touched = True
        key = name.lower()
        self.head_size += len(name) + len(value) + 4
        if self.head_size > MAX_HEAD or len(self.headers) >= MAX_HEADERS:
            self.fail(431, "request head too large")
        old = self.headers.get(key)
        self.headers[key] = value if old is None else old + b", " + value

    def on_headers_complete(self) -> None:
        self.touched = True
        self.in_head = False
        length = self.headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            self.fail(413, f"request body larger than {MAX_BODY} bytes")
        elif self.headers.get(b"expect", b"").lower() == b"100-continue":
            self.continue_wanted = True

    def on_body(self, body: bytes) -> None:
        self.touched = True
        self.body_size += len(body)
        if self.body_size > MAX_BODY:
            self.fail(413, f"request body larger than {MAX_BODY} bytes")
        elif self.failure is None:
            self.body.append(body)

    def on_message_complete(self) -> None:
        self.touched = True
        self.in_head = True
        self.continue_wanted = False
        if self.failure is not None:
            return
        parser = self.parser
        body = self.body[0] if len(self.body) == 1 else b"".join(self.body)
        self.ready.append(
            HttpRequest(
                method=parser.get_method(),
                target=self.url,
                headers=self.headers,
                body=body,
                keep_alive=parser.should_keep_alive(),
                http11=parser.get_http_version() == "1.1",
            )
        )


class HttpConnection:
    """The server end of one HTTP/1.1 connection."""

    def __init__(self, stream: trio.SocketStream) -> None:
        self.stream = stream
        self._parse = _Parse()
        self._stalled = 0  # bytes fed since the parser last reported progress
        self._eof = False
        self.upgraded = b""
        """Bytes that followed an upgrade request (the new protocol's first ones), for its handler."""

    async def next_request(self) -> HttpRequest | HttpFailure | None:
        """The next request in arrival order; a failure once no good one is left; ``None`` at EOF."""
        parse = self._parse
        while not parse.ready:
            if parse.failure is not None:
                return parse.failure
            if self._eof:
                return None
            try:
                data = await self.stream.receive_some(_READ_SIZE)
            except _FOREIGN:
                data = b""
            if not data:
                self._eof = True
                continue
            self._feed(data)
            if parse.continue_wanted and parse.failure is None:
                parse.continue_wanted = False
                await self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        return parse.ready.popleft()

    def _feed(self, data: bytes) -> None:
        parse = self._parse
        parse.touched = False
        try:
            parse.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            # Upgrade is only offered through serve_api's ``upgrade``: otherwise answer what came in
            # HTTP/1.1, then close
            self.upgraded = data[int(exc.args[0]) :] if exc.args else b""
            if parse.ready:
                parse.fail(0, "")
            else:
                parse.fail(400, "protocol upgrades are not supported")
        except httptools.HttpParserError as exc:
            parse.fail(400, f"malformed HTTP request: {exc}")
        # httptools buffers a header line until it ends: bound what it may hold
        self._stalled = self._stalled + len(data) if not parse.touched else len(data)
        if parse.in_head and self._stalled > 2 * MAX_HEAD:
            parse.fail(431, "request head too large")

    async def send(self, data: bytes) -> bool:
        """Write ``data``; ``False`` if the client has gone.

        An answer usually fits the socket buffer: it is written at once with one ``send`` on the
        non-blocking socket, which saves the scheduler round trip trio's ``send_all`` makes after
        every write (~15% of a request at one connection); only a remainder waits in ``send_all``.
        """
        try:
            sent = os.write(self.stream.socket.fileno(), data)  # non-blocking: may write less
        except BlockingIOError:
            sent = 0
        except OSError:
            return False
        if sent == len(data):
            return True
        try:
            await self.stream.send_all(data[sent:])
        except _FOREIGN:
            return False
        return True

    async def respond(
        self, status: int, body: bytes = b"", *, head: bytes = b"", keep_alive: bool = True
    ) -> bool:
        """One whole answer: status line, ``head`` (pre-encoded header lines), length, body."""
        data = b"".join(
            (
                _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Status\r\n".encode(),
                _date_line(),
                head,
                b"content-length: %d\r\n" % len(body),
                b"" if keep_alive else _CLOSE,
                b"\r\n",
                body,
            )
        )
        return await self.send(data)

    async def aclose(self) -> None:
        """Close gracefully: end our side, then read what the client still sends (for at most
        :data:`LINGER` seconds) so that unread bytes do not turn the close into a reset that
        destroys the answer just written (a 413 before a large body, say)."""
        try:
            if not self._eof:
                with trio.move_on_after(LINGER):
                    await self.stream.send_eof()
                    while await self.stream.receive_some(_READ_SIZE):
                        pass
        except (*_FOREIGN, trio.BusyResourceError):
            pass
        finally:
            await trio.aclose_forcefully(self.stream)


class SseWriter:
    """A ``text/event-stream`` answer written as it happens (chunked on HTTP/1.1, else to EOF)."""

    def __init__(self, conn: HttpConnection, *, head: bytes, http11: bool) -> None:
        self._conn = conn
        self._head = head
        self._chunked = http11
        self._lock = trio.Lock()
        self._ids = 0
        self.started = False
        self.alive = True

    async def _write(self, payload: bytes) -> None:
        async with self._lock:
            if not self.alive:
                return
            data = b"%x\r\n%b\r\n" % (len(payload), payload) if self._chunked and payload else payload
            if not self.started:
                self.started = True
                framing = _CHUNKED if self._chunked else _CLOSE
                data = b"".join(
                    (_STATUS_LINES[200], _date_line(), _SSE_HEAD, self._head, framing, b"\r\n", data)
                )
            self.alive = await self._conn.send(data)

    async def start(self) -> None:
        """Send the head now: a stream that may stay quiet must still tell the client it is open."""
        await self._write(b"")

    async def event(self, data: bytes, *, name: bytes = b"", numbered: bool = True) -> None:
        """Send one event (``data`` must be one line, as compact JSON is), ids counting from 1."""
        kind = b"event: " + name + b"\n" if name else b""
        ident = b""
        if numbered:
            self._ids += 1
            ident = b"id: %d\n" % self._ids
        await self._write(b"%b%bdata: %b\n\n" % (kind, ident, data))

    async def comment(self, text: bytes) -> None:
        await self._write(b": " + text + b"\n\n")

    async def send_raw(self, text: bytes) -> None:
        """Send event text formatted by the caller (whole events: ``id``, ``retry``, ``data`` lines)."""
        await self._write(text)

    async def finish(self) -> bool:
        """End the stream; ``True`` if the connection can carry another request."""
        async with self._lock:
            if self.alive and self.started and self._chunked:
                self.alive = await self._conn.send(b"0\r\n\r\n")
            done, self.alive = self.alive and self._chunked, False
            return done


def sse_body(data: bytes) -> bytes:
    """A one-event SSE body, for answers that are complete before anything was streamed."""
    return b"id: 1\ndata: " + data + b"\n\n"


SSE_HEAD: Final = _SSE_HEAD
JSON_HEAD: Final = b"content-type: application/json\r\n"


async def reject(
    conn: HttpConnection,
    status: int,
    message: str,
    *,
    keep_alive: bool,
    code: int = INVALID_REQUEST,
    head: bytes = b"",
) -> bool:
    """Refuse a request with a JSON-RPC error body (no id), as the SDK words its refusals."""
    body = orjson.dumps(error(None, code, message))
    sent = await conn.respond(status, body, head=JSON_HEAD + head, keep_alive=keep_alive)
    return sent and keep_alive


async def drop(message: Message) -> None:
    """Where notifications go that have no way to the client (JSON answer mode); a request raises
    :class:`~mcpctl.mock.session.Undeliverable`, since its answer could never come back."""
    if "method" in message and "id" in message:
        raise Undeliverable(f"{message['method']}: no event stream to send it on (JSON answer mode)")


async def answer(session: MockSession, message: Message, related: Notify) -> Message | None:
    """``session.handle``; a failing app answers an internal error instead of taking the server down."""
    try:
        return await session.handle(message, related)
    except Exception:
        _log.exception("the mock failed on %s", message.get("method", "a message"))
        if "method" in message and "id" in message:
            return error(message["id"], INTERNAL_ERROR, "internal error in the mock server")
        return None


async def watch_eof(conn: HttpConnection, scope: trio.CancelScope) -> None:
    """Cancel ``scope`` when the client closes a stream it was listening on."""
    try:
        while await conn.stream.receive_some(_READ_SIZE):
            pass  # nothing may follow a GET whose answer never ends: ignore it
    except _FOREIGN:
        pass
    scope.cancel()


async def stream_messages(
    conn: HttpConnection,
    writer: SseWriter,
    receive: trio.MemoryReceiveChannel[Message],
    *,
    first: tuple[bytes, bytes] | None = None,
    name: bytes = b"",
) -> None:
    """Write what arrives on ``receive`` as events until it closes or the client goes; ping when idle.

    ``first``: an event ``(name, data)`` to open with (legacy SSE's ``endpoint``).
    """
    with receive:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_eof, conn, nursery.cancel_scope)
            if first is None:
                await writer.start()
            else:
                await writer.event(first[1], name=first[0], numbered=False)
            while writer.alive:
                with trio.move_on_after(PING_INTERVAL) as idle:
                    try:
                        message = await receive.receive()
                    except trio.EndOfChannel:
                        break
                if idle.cancelled_caught:
                    await writer.comment(b"ping")
                else:
                    await writer.event(orjson.dumps(message), name=name)
            nursery.cancel_scope.cancel()


async def listen(host: str, port: int) -> tuple[list[trio.SocketListener], int]:
    """TCP listeners on ``host:port`` and the bound port. With ``port=0`` each address of ``host`` would get
    a free port of its own: one is kept, so that one URL names the server."""
    listeners = await trio.open_tcp_listeners(port, host=host)
    if port == 0:
        for extra in listeners[1:]:
            await extra.aclose()
        listeners = listeners[:1]
    bound: int = listeners[0].socket.getsockname()[1]
    return listeners, bound


Answer = tuple[int, bytes, bytes]
"""A small API's answer: status, extra head lines, body."""
Answering = Callable[[HttpRequest], Answer | Awaitable[Answer]]
"""Answers a request at once (the fault proxy, the monitor) or after awaiting (the dashboard's pages)."""
Upgrade = Callable[[HttpRequest, HttpConnection], Awaitable[None]]
"""Takes a connection over for a request with ``Upgrade: websocket`` (it answers, even a refusal, itself);
the connection is closed when it returns."""


async def serve_api(
    host: str,
    port: int,
    answer: Answering,
    *,
    what: str,
    upgrade: Upgrade | None = None,
    task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve a small HTTP API (the fault proxy's control endpoint, the monitor's endpoints) until
    cancelled: each request of a connection answered in turn by ``answer``, or handed to ``upgrade`` when
    it asks for a WebSocket; ``task_status.started`` gets the bound port. ``answer`` may be a coroutine
    function (awaited per request). A bug in ``answer`` costs its connection (logged as ``what``), never the
    server."""
    listeners, bound = await listen(host, port)

    async def serve_connection(stream: trio.SocketStream) -> None:
        await _answer_each(HttpConnection(stream), answer, what, upgrade)

    async with trio.open_nursery() as nursery:
        await nursery.start(trio.serve_listeners, serve_connection, listeners)
        task_status.started(bound)


async def _answer_each(conn: HttpConnection, answer: Answering, what: str, upgrade: Upgrade | None) -> None:
    try:
        while True:
            req = await conn.next_request()
            if req is None:
                return
            if isinstance(req, HttpFailure):
                if req.status:
                    body = orjson.dumps({"error": req.message})
                    await conn.respond(req.status, body, head=JSON_HEAD, keep_alive=False)
                return
            if upgrade is not None and b"websocket" in req.headers.get(b"upgrade", b"").lower():
                await upgrade(req, conn)
                return
            answered = answer(req)
            # checked per answer, not per server: the sync users keep their one-call path
            status, head, body = await answered if inspect.isawaitable(answered) else answered
            if (
                not await conn.respond(status, body, head=head, keep_alive=req.keep_alive)
                or not req.keep_alive
            ):
                return
    except Exception:
        _log.exception("%s connection failed", what)
    finally:
        await conn.aclose()
