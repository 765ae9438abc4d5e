"""The 2024-11-05 HTTP+SSE transport, served next to Streamable HTTP when asked (``legacy_sse``).

``GET /sse`` opens a session and its event stream, whose first event (``endpoint``) names
``/messages?session_id=...``; each ``POST`` there is answered ``202`` and its answers, like every
notification, go out on the stream as ``message`` events. A request runs in a task of the
stream's own nursery, so a slow one never holds up the next POST (``notifications/cancelled``
must be able to overtake it), and all of them end when the stream does.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs

import orjson
import trio

from mcpctl.mcp.jsonrpc import PARSE_ERROR, Message, classify
from mcpctl.mock.http_wire import HttpConnection, HttpRequest, SseWriter, answer, reject, stream_messages
from mcpctl.mock.session import STREAM_BREAK, MockApp, MockSession, Notify

_BUFFER: Final = 256


@dataclass(frozen=True, slots=True)
class _Stream:
    mcp: MockSession
    deliver: Notify
    nursery: trio.Nursery


class LegacySse:
    """Routes ``/sse`` and ``/messages`` for one served app."""

    def __init__(self, app: MockApp) -> None:
        self._app = app
        self._streams: dict[bytes, _Stream] = {}

    async def route(self, conn: HttpConnection, req: HttpRequest, path: bytes, query: bytes) -> bool:
        """Serve one request to ``/sse`` (GET) or ``/messages`` (POST); ``False`` closes the connection."""
        if path == b"/sse" and req.method == b"GET":
            return await self._stream(conn, req)
        if path == b"/messages" and req.method == b"POST":
            return await self._message(conn, req, query)
        allow = b"allow: GET\r\n" if path == b"/sse" else b"allow: POST\r\n"
        return await reject(conn, 405, "Method Not Allowed", keep_alive=req.keep_alive, head=allow)

    async def _stream(self, conn: HttpConnection, req: HttpRequest) -> bool:
        sid = secrets.token_hex(16).encode()
        send, receive = trio.open_memory_channel[Message](_BUFFER)

        async def deliver(message: Message) -> None:
            if message is STREAM_BREAK:
                return  # legacy streams carry the whole session: they cannot break for one request
            # the stream may be gone, and the session with it
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                await send.send(message)

        writer = SseWriter(conn, head=b"", http11=req.http11)
        mcp = self._app.open_session(deliver)
        try:
            async with trio.open_nursery() as nursery:
                self._streams[sid] = _Stream(mcp=mcp, deliver=deliver, nursery=nursery)
                endpoint = (b"endpoint", b"/messages?session_id=" + sid)
                try:
                    await stream_messages(conn, writer, receive, first=endpoint, name=b"message")
                finally:  # out of the table before the nursery closes: no POST may start a task in it
                    del self._streams[sid]
                    nursery.cancel_scope.cancel()  # requests still running have nowhere to answer
        finally:
            send.close()
            mcp.close()
        await writer.finish()
        return False

    async def _message(self, conn: HttpConnection, req: HttpRequest, query: bytes) -> bool:
        keep = req.keep_alive
        sids = parse_qs(query.decode("latin-1")).get("session_id")
        if not sids:
            return await reject(conn, 400, "Bad Request: session_id is required", keep_alive=keep)
        sid = sids[0].encode("latin-1")
        stream = self._streams.get(sid)
        if stream is None:
            return await reject(conn, 404, "Not Found: Could not find session", keep_alive=keep)
        try:
            value = orjson.loads(req.body)
        except orjson.JSONDecodeError as exc:
            return await reject(conn, 400, f"Parse error: {exc}", keep_alive=keep, code=PARSE_ERROR)
        messages = value if isinstance(value, list) else [value]
        if not messages or not all(isinstance(m, dict) and classify(m) != "invalid" for m in messages):
            return await reject(conn, 400, "Invalid Request: not a JSON-RPC message", keep_alive=keep)
        for message in messages:
            if self._streams.get(sid) is not stream:
                break  # the stream closed while an earlier message was handled
            if "method" in message and "id" in message:
                stream.nursery.start_soon(_answer, stream, message)
            else:
                await answer(stream.mcp, message, stream.deliver)
        return await conn.respond(202, b"Accepted", keep_alive=keep) and keep


async def _answer(stream: _Stream, message: Message) -> None:
    reply = await answer(stream.mcp, message, stream.deliver)
    if reply is not None:
        await stream.deliver(reply)
