"""A client for an mcpctl event stream: a WebSocket (``ws://`` or ``wss://``) over trio-websocket that never
leaves its TCP connection open (``mcpctl watch --connect`` and the dashboard's ``--connect`` use it)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import trio

if TYPE_CHECKING:
    from trio_websocket import WebSocketConnection

CONNECT_TIMEOUT: Final = 10.0
CLOSE_TIMEOUT: Final = 2.0


@contextlib.asynccontextmanager
async def open_event_stream(
    url: str, *, headers: Sequence[tuple[bytes, bytes]] = ()
) -> AsyncIterator[WebSocketConnection]:
    """A WebSocket to ``url`` (``ws://`` or ``wss://``) whose TCP connection is closed on the way out, however
    it ended (trio-websocket leaves a client's socket open when the server closes first)."""
    from trio_websocket import wrap_client_stream

    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    host, port = parts.hostname or "127.0.0.1", parts.port or (443 if secure else 80)
    resource = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with trio.fail_after(CONNECT_TIMEOUT):
        stream: trio.SocketStream | trio.SSLStream[trio.SocketStream] = (
            await trio.open_ssl_over_tcp_stream(host, port)
            if secure
            else await trio.open_tcp_stream(host, port)
        )
    try:
        async with stream, trio.open_nursery() as nursery:
            with trio.fail_after(CONNECT_TIMEOUT):
                ws = await wrap_client_stream(
                    nursery, stream, parts.netloc, resource, extra_headers=list(headers)
                )
            try:
                yield ws
                # the close handshake on a normal exit only: when cancelled, the reader task that would
                # see the server's answer is cancelled too, and closing the TCP connection must do
                with trio.move_on_after(CLOSE_TIMEOUT):
                    await ws.aclose()
            finally:
                nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        # its reader task raises a refusal inside the nursery: hand it on as itself
        sole: BaseException = group
        while isinstance(sole, BaseExceptionGroup) and len(sole.exceptions) == 1:
            sole = sole.exceptions[0]
        if sole is group:
            raise
        raise sole from None
