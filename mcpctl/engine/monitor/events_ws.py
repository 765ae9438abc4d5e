"""``GET /api/v1/events``: the monitor's event log followed over a WebSocket (RFC 6455, with wsproto).

The protocol, server to client, one JSON text message each::

    {"type": "hello", "seq": <newest seq>, "status": <the JSON of /api/v1/status>}   always first
    {"type": "gap", "missed": N}          when events after ``since`` are no longer kept
    {"seq": …, "ts": …, "type": "sample" | "health" | "alert" | …, …}   every event after ``since``, in order

``?since=SEQ`` picks where the stream starts: the events after ``SEQ`` (``since=0``: every kept event);
without it, only new ones. A client that reconnects with the last ``seq`` it saw misses nothing, or is told
how much it missed. A ``since`` beyond the newest event (the monitor restarted, numbering from 1 again)
counts as 0, every event of the new run: the hello's smaller ``seq`` tells the client so. What the client sends is ignored, except pings (answered) and close.

A client that cannot keep up is not waited for: when more than ``max_lag`` events are due at once, or
events it still had to receive left the log, the server closes with 1008 and a reason saying so; one that
stops reading for :data:`SEND_TIMEOUT` seconds is cut off. The monitor itself never waits on a client.

:func:`serve_log` is the same stream over any event log with any hello status (the dashboard's, which also
carries batch and alert events); :func:`serve_events` is it over a monitor's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qs, urlsplit

import orjson
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import AcceptConnection, CloseConnection, Ping, Request, TextMessage
from wsproto.utilities import RemoteProtocolError

from mcpctl.engine.monitor.loop import MonitorState
from mcpctl.engine.monitor.metrics import status
from mcpctl.mock.http_wire import JSON_HEAD, HttpConnection, HttpRequest
from mcpctl.observe.events import EventLog

Encode = Callable[[dict[str, object]], str]
"""One message as the text of its WebSocket frame (the dashboard caches it: one encoding for all viewers)."""


def encode_json(message: dict[str, object]) -> str:
    """``message`` as JSON text, encoded anew each time."""
    return orjson.dumps(message).decode()


MAX_LAG = 1000
"""Events due at once beyond which a client counts as too slow (after its first batch)."""
SEND_TIMEOUT: Final = 10.0
CLOSE_TIMEOUT: Final = 2.0
"""Seconds to wait for the client's answer to our close frame."""
TOO_SLOW: Final = 1008
GOING_AWAY: Final = 1001
_READ_SIZE: Final = 1 << 16
_GONE: Final = (OSError, trio.BrokenResourceError, trio.ClosedResourceError)


def parse_since(target: bytes, newest: int) -> int:
    """Where the stream of request ``target`` starts (``newest`` without ``since``); raises ValueError."""
    values = parse_qs(urlsplit(target.decode("latin-1")).query).get("since")
    if not values:
        return newest
    text = values[-1]
    if not text.isdigit():
        raise ValueError(f"since={text!r}: expected the seq of the last event seen (0 or more)")
    since = int(text)
    return since if since <= newest else 0


class _Link:
    """One accepted WebSocket: writes are serialised and bounded in time; ``done`` once it is over."""

    def __init__(self, ws: WSConnection, conn: HttpConnection, encode: Encode) -> None:
        self.ws = ws
        self.encode = encode
        self.conn = conn
        self.alive = True
        self.done = trio.Event()
        self._lock = trio.Lock()

    async def send(self, data: bytes) -> bool:
        async with self._lock:
            if not self.alive:
                return False
            with trio.move_on_after(SEND_TIMEOUT):
                self.alive = await self.conn.send(data)
                return self.alive
            self.alive = False  # stuck mid-frame: nothing more can be sent on it
            return False

    async def send_json(self, messages: list[dict[str, object]]) -> bool:
        frames = b"".join(self.ws.send(TextMessage(data=self.encode(m))) for m in messages)
        return await self.send(frames)

    async def close(self, code: int, reason: str, *, wait: bool) -> None:
        with trio.move_on_after(CLOSE_TIMEOUT):
            if self.ws.state is ConnectionState.OPEN and self.alive:
                await self.send(self.ws.send(CloseConnection(code=code, reason=reason)))
            if wait:
                await self.done.wait()


async def serve_events(
    state: MonitorState, req: HttpRequest, conn: HttpConnection, *, max_lag: int | None = None
) -> None:
    """Accept the WebSocket of ``req`` and stream ``state.events`` on it until either side ends it
    (``max_lag``: :data:`MAX_LAG`)."""
    await serve_log(state.events, lambda: status(state), req, conn, max_lag=max_lag)


async def serve_log(
    events: EventLog,
    hello_status: Callable[[], object],
    req: HttpRequest,
    conn: HttpConnection,
    *,
    max_lag: int | None = None,
    encode: Encode = encode_json,
    stopping: str = "monitor stopping",
) -> None:
    """Accept the WebSocket of ``req`` and stream ``events`` on it until either side ends it: the hello
    carries ``hello_status()``; ``encode`` turns each message into its frame's text."""
    link = await _accept(events, req, conn, encode)
    if link is None:
        return
    since = parse_since(req.target, events.last_seq)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(_read, link, nursery.cancel_scope)
        closing = (GOING_AWAY, stopping)
        wait = False
        try:
            closing = await _pump(events, hello_status, link, since, MAX_LAG if max_lag is None else max_lag)
            wait = True
        finally:
            with trio.CancelScope(shield=True):
                await link.close(*closing, wait=wait)
            nursery.cancel_scope.cancel()


async def _accept(events: EventLog, req: HttpRequest, conn: HttpConnection, encode: Encode) -> _Link | None:
    try:
        parse_since(req.target, events.last_seq)
        ws = WSConnection(ConnectionType.SERVER)
        head = [b"GET " + req.target + b" HTTP/1.1", *(k + b": " + v for k, v in req.headers.items())]
        ws.receive_data(b"\r\n".join(head) + b"\r\n\r\n" + conn.upgraded)
        request = next(ws.events(), None)
        if not isinstance(request, Request):
            raise RemoteProtocolError("not a WebSocket handshake", event_hint=None)
    except (ValueError, RemoteProtocolError) as exc:
        body = orjson.dumps({"error": f"GET /api/v1/events: {exc}"})
        await conn.respond(400, body, head=JSON_HEAD, keep_alive=False)
        return None
    link = _Link(ws, conn, encode)
    return link if await link.send(ws.send(AcceptConnection())) else None


async def _pump(
    events: EventLog, hello_status: Callable[[], object], link: _Link, since: int, max_lag: int
) -> tuple[int, str]:
    # hello and the first batch are taken together: nothing may slip in between them
    messages: list[dict[str, object]] = [{"type": "hello", "seq": events.last_seq, "status": hello_status()}]
    cursor, first = since, True
    while True:
        batch, missed = events.since(cursor)
        if not first and missed:
            return TOO_SLOW, f"too slow: {missed} events left the log before they could be sent"
        if not first and len(batch) > max_lag:
            return TOO_SLOW, f"too slow: {len(batch)} events behind (at most {max_lag})"
        if missed:
            messages.append({"type": "gap", "missed": missed})
        messages.extend(batch)
        if messages and not await link.send_json(messages):
            return GOING_AWAY, ""
        if batch:
            cursor = int(str(batch[-1]["seq"]))
        messages, first = [], False
        await events.wait_after(cursor)


async def _read(link: _Link, done: trio.CancelScope) -> None:
    """Answer pings and the client's close; anything else the client sends is ignored."""
    try:
        while await _handle(link):
            data = await link.conn.stream.receive_some(_READ_SIZE)
            link.ws.receive_data(data or None)  # None: the client closed its end
    except (RemoteProtocolError, *_GONE):
        pass
    finally:
        link.done.set()
        done.cancel()


async def _handle(link: _Link) -> bool:
    for event in link.ws.events():
        if isinstance(event, Ping):
            await link.send(link.ws.send(event.response()))
        elif isinstance(event, CloseConnection):
            if link.ws.state is ConnectionState.REMOTE_CLOSING:
                await link.send(link.ws.send(event.response()))
            return False
    return link.ws.state is not ConnectionState.CLOSED
