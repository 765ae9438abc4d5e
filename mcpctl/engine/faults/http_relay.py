"""One HTTP exchange relayed by the fault proxy: the client's request out, the upstream's answer back.

Requests go out with their method, target, headers and body, minus hop-by-hop headers (``Host``
is the upstream's, framing is redone). Answers come back as they arrive: the status, the headers
(minus hop-by-hop ones) and the body, streamed chunk by chunk with its ``Content-Length`` when the
upstream gave one, else chunked (HTTP/1.1) or up to the end of the connection (HTTP/1.0).

:func:`relay` is the pass path and never looks into a body. :func:`relay_watched` reads the
answer to one JSON-RPC request out of a JSON body or an SSE stream (events before it pass
unchanged, as they come) and lets its caller learn from the answer or spoil it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final
from urllib.parse import urlsplit

import orjson
import trio

from mcpctl.errors import ServerError, UsageError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.transports.http_backend import HttpResponse
from mcpctl.mock.http_wire import HttpConnection, HttpFailure, HttpRequest

MAX_ANSWER: Final = 64 * 1024 * 1024
"""Bytes of a JSON answer the proxy reads when it must look into it (learn tools, spoil it)."""
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "expect",
    }
)
_NO_BODY: Final = frozenset({204, 304})
_EVENT_END: Final = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LINE_END: Final = re.compile(rb"\r\n|\r|\n")
Spoil = Callable[[Message], tuple[bytes, ...] | None]
"""Given the answer, the frames to send instead (``None``: send it as it came)."""


@dataclass(frozen=True, slots=True)
class Upstream:
    """Where requests go. The request target is kept and sent to the upstream's origin, except
    ``/`` (with any query), which goes to the upstream URL's own path: with ``--upstream
    http://127.0.0.1:9000/mcp`` both ``http://PROXY/mcp`` and ``http://PROXY/`` reach
    ``http://127.0.0.1:9000/mcp``, and ``http://PROXY/sse`` reaches ``http://127.0.0.1:9000/sse``."""

    origin: str
    path: str

    @classmethod
    def parse(cls, url: str) -> Upstream:
        """The upstream of ``url``; a :class:`~mcpctl.errors.UsageError` unless it is ``http://host...``."""
        parts = urlsplit(url)
        if parts.scheme != "http":
            raise UsageError(
                f"upstream {url!r}: the HTTP fault proxy forwards to plain http:// servers only "
                "(put it in front of the TLS terminator, or use a http:// address of the server)"
            )
        if not parts.hostname:
            raise UsageError(f"upstream {url!r}: no host in the URL")
        return cls(origin=f"http://{parts.netloc}", path=parts.path or "/")

    def url(self, target: bytes) -> str:
        """The upstream URL of a request ``target`` (origin form: ``/path?query``)."""
        text = target.decode("latin-1")
        if text == "/" or text.startswith("/?"):
            text = self.path + text[1:]
        return self.origin + text


def forward_headers(headers: Mapping[bytes, bytes]) -> list[tuple[str, str]]:
    """The request headers that go on to the upstream (end-to-end ones)."""
    listed = {token.strip().lower() for token in headers.get(b"connection", b"").split(b",")}
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers.items()
        if name.decode("latin-1") not in _HOP_BY_HOP and name not in listed
    ]


def status_line(status: int) -> bytes:
    """``HTTP/1.1 <status> <reason>`` with its line end."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"HTTP/1.1 {status} {reason}\r\n".encode()


def response_head(
    response: HttpResponse, *, framing: bytes, content_type: str | None = None, keep_alive: bool
) -> bytes:
    """The upstream's status and end-to-end headers, then ``framing`` (pre-encoded header lines)."""
    lines = [status_line(response.status)]
    listed = {token.strip().lower() for token in response.headers.get("connection", "").split(",")}
    for name, value in response.headers.items():
        if name in _HOP_BY_HOP or name in listed or (content_type is not None and name == "content-type"):
            continue
        lines.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
    if content_type is not None:
        lines.append(f"content-type: {content_type}\r\n".encode())
    lines.append(framing)
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


async def respond(
    conn: HttpConnection, status: int, body: bytes, *, content_type: str, keep_alive: bool, head: bytes = b""
) -> bool:
    """A whole answer made by the proxy itself (429, 404, 502); ``True`` if the connection goes on."""
    data = b"".join(
        (
            status_line(status),
            f"content-type: {content_type}\r\n".encode(),
            head,
            b"content-length: %d\r\n" % len(body),
            b"" if keep_alive else b"connection: close\r\n",
            b"\r\n",
            body,
        )
    )
    return await conn.send(data) and keep_alive


class Client:
    """The proxy's end of one client connection, and a request the client sent ahead (read while
    watching a stream for the client's going away)."""

    def __init__(self, conn: HttpConnection) -> None:
        self.conn = conn
        self.ahead: HttpRequest | HttpFailure | None = None

    async def next_request(self) -> HttpRequest | HttpFailure | None:
        """The next request (or failure; ``None`` at EOF)."""
        if self.ahead is not None:
            got, self.ahead = self.ahead, None
            return got
        return await self.conn.next_request()

    async def watch(self, scope: trio.CancelScope) -> None:
        """Cancel ``scope`` when the client closes the connection (it stopped listening)."""
        got = await self.conn.next_request()
        if got is None:
            scope.cancel()
        else:
            self.ahead = got

    async def send(self, data: bytes) -> bool:
        return await self.conn.send(data)


def _framing(response: HttpResponse, *, http11: bool, keep_alive: bool) -> tuple[bytes, bool, bool]:
    """``(header lines, chunked, keep-alive)`` for passing ``response`` on unchanged."""
    length = response.headers.get("content-length", "")
    if response.status in _NO_BODY or response.status < 200:
        return b"", False, keep_alive
    if length.isdigit():
        return b"content-length: %s\r\n" % length.encode(), False, keep_alive
    if http11:
        return b"transfer-encoding: chunked\r\n", True, keep_alive
    return b"", False, False


async def relay(client: Client, response: HttpResponse, *, http11: bool, keep_alive: bool) -> bool:
    """Pass ``response`` on as it comes; ``True`` if the client connection can carry another request."""
    framing, chunked, keep = _framing(response, http11=http11, keep_alive=keep_alive)
    if not await client.send(response_head(response, framing=framing, keep_alive=keep)):
        return False
    if response.content_type != "text/event-stream":
        return await _body(client, response, chunked) and keep
    # a stream may stay quiet for minutes: watch the client, so that its leaving ends the relay
    async with trio.open_nursery() as nursery:
        nursery.start_soon(client.watch, nursery.cancel_scope)
        done = await _body(client, response, chunked)
        nursery.cancel_scope.cancel()
    return done and keep


async def _body(client: Client, response: HttpResponse, chunked: bool) -> bool:
    try:
        async for chunk in response.chunks:
            if chunk and not await client.send(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk):
                return False
    except ServerError:
        return False  # the upstream broke mid-body: the client sees its answer cut short
    return await client.send(b"0\r\n\r\n") if chunked else True


def answer_in(data: bytes, request_id: JSONValue) -> Message | None:
    """The JSON-RPC answer to ``request_id`` if ``data`` is one."""
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if isinstance(message, dict) and "method" not in message and message.get("id") == request_id:
        return message
    return None


async def relay_watched(
    client: Client,
    response: HttpResponse,
    *,
    request_id: JSONValue,
    spoil: Spoil,
    truncated: bool,
    http11: bool,
    keep_alive: bool,
) -> bool:
    """Pass ``response`` on, giving the answer to ``request_id`` to ``spoil`` first; ``truncated``: its
    one spoiled frame is the start of the answer, cut short on the wire (then the connection closes)."""
    if response.content_type == "text/event-stream":
        return await _relay_events(
            client, response, request_id=request_id, spoil=spoil, truncated=truncated, http11=http11
        )
    try:
        body = await response.read(MAX_ANSWER)
    except ServerError:
        return False
    answer = answer_in(body, request_id) if response.content_type == "application/json" else None
    frames = spoil(answer) if answer is not None else None
    content_type = None
    if frames is None:
        frames, length = (body,), len(body)
    elif len(frames) > 1:  # duplicate: only a stream can carry the answer twice
        frames, content_type = (b"".join(b"data: " + f + b"\n\n" for f in frames),), "text/event-stream"
        length = len(frames[0])
    else:
        length = max(len(body), len(frames[0]) + 1) if truncated else len(frames[0])
    keep = keep_alive and not (truncated and answer is not None)
    framing = b"content-length: %d\r\n" % length
    head = response_head(response, framing=framing, content_type=content_type, keep_alive=keep)
    return await client.send(head + frames[0]) and keep


class EventSplitter:
    """Cuts an SSE byte stream into whole events (each with its blank line), keeping the bytes."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._buffer + chunk
        # a CR at the very end may be the first half of a CRLF: decide once the next chunk came
        end = len(data) - 1 if data.endswith(b"\r") else len(data)
        events, start = [], 0
        for match in _EVENT_END.finditer(data, 0, end):
            events.append(data[start : match.end()])
            start = match.end()
        self._buffer = data[start:]
        return events

    def rest(self) -> bytes:
        rest, self._buffer = self._buffer, b""
        return rest


def event_data(raw: bytes) -> bytes:
    """The ``data`` of one raw event, its lines joined by LF."""
    values = []
    for line in _LINE_END.split(raw):
        if line.startswith(b"data:"):
            value = line[5:]
            values.append(value[1:] if value.startswith(b" ") else value)
    return b"\n".join(values)


def rewrite_event(raw: bytes, frame: bytes, *, whole: bool = True) -> bytes:
    """``raw`` with ``frame`` as its data (its ``id`` and ``event`` lines kept); ``whole=False`` leaves
    the event unfinished (no line end after the data)."""
    kept = [line + b"\n" for line in _LINE_END.split(raw) if line and not line.startswith(b"data")]
    return b"".join(kept) + b"data: " + frame + (b"\n\n" if whole else b"")


async def _relay_events(
    client: Client,
    response: HttpResponse,
    *,
    request_id: JSONValue,
    spoil: Spoil,
    truncated: bool,
    http11: bool,
) -> bool:
    framing = b"transfer-encoding: chunked\r\n" if http11 else b""
    if not await client.send(response_head(response, framing=framing, keep_alive=http11)):
        return False
    splitter, answered, cut = EventSplitter(), False, False
    try:
        async for chunk in response.chunks:
            if answered:
                out = chunk
            else:
                parts = []
                for raw in splitter.feed(chunk):
                    if cut:
                        break
                    answer = None if answered else answer_in(event_data(raw), request_id)
                    frames = spoil(answer) if answer is not None else None
                    answered = answered or answer is not None
                    if frames is None:
                        parts.append(raw)
                    else:
                        cut = truncated
                        parts.extend(rewrite_event(raw, frame, whole=not cut) for frame in frames)
                out = b"".join(parts) + (splitter.rest() if answered and not cut else b"")
            if out and not await client.send(b"%x\r\n%b\r\n" % (len(out), out) if http11 else out):
                return False
            if cut:
                return False
    except ServerError:
        return False
    rest = splitter.rest()
    if rest and not await client.send(b"%x\r\n%b\r\n" % (len(rest), rest) if http11 else rest):
        return False
    return await client.send(b"0\r\n\r\n") if http11 else False
