"""A connected in-memory pair: a client :class:`MemoryTransport` and the :class:`ServerEnd` a
test (or an in-process mock server) drives. No processes, no sockets, deterministic under
trio's ``autojump_clock``.

The server end speaks frames: it can send any bytes (garbage included), which the client side
decodes exactly as stdio would, so misbehaviour is testable without a child process.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import orjson
import trio

from mcpctl.errors import ProtocolError, ServerExited
from mcpctl.mcp import jsonrpc
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.transports.base import Era, Failed, FrameTap, Incoming


class MemoryTransport:
    """The client side of :func:`memory_pair`."""

    def __init__(
        self,
        to_server: trio.MemorySendChannel[Message],
        from_server: trio.MemoryReceiveChannel[bytes],
        *,
        unbound_responses: bool,
        tap: FrameTap | None,
    ) -> None:
        self.unbound_responses = unbound_responses
        self._to_server = to_server
        self._from_server = from_server
        self._tap = tap
        self.protocol_version: str | None = None
        self.era: Era | None = None

    async def send(self, messages: Sequence[Message]) -> None:
        for msg in messages:
            if self._tap is not None:
                self._tap("send", orjson.dumps(msg))
            try:
                self._to_server.send_nowait(msg)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                raise ServerExited("the in-memory server end is closed") from None

    async def send_batch(self, messages: Sequence[Message]) -> None:
        """The in-memory pair has no frames: the server end sees the messages one by one."""
        await self.send(messages)

    async def receive(self) -> list[Incoming]:
        try:
            frame = await self._from_server.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise ServerExited("the in-memory server end is closed") from None
        if self._tap is not None:
            self._tap("recv", frame)
        out: list[Incoming] = []
        for item in jsonrpc.decode(frame):
            if isinstance(item, jsonrpc.Malformed):
                out.append(Failed(None, ProtocolError(f"server sent {item.reason}", frame=item.raw[:200])))
            else:
                out.append(item)
        return out

    def negotiated(self, *, protocol_version: str, era: Era) -> None:
        self.protocol_version = protocol_version
        self.era = era

    def diagnostics(self) -> str:
        return ""

    async def aclose(self) -> None:
        await self._to_server.aclose()
        await self._from_server.aclose()


class ServerEnd:
    """The server side of :func:`memory_pair`: receive what the client sent, send frames back."""

    def __init__(
        self, inbox: trio.MemoryReceiveChannel[Message], outbox: trio.MemorySendChannel[bytes]
    ) -> None:
        self._inbox = inbox
        self._outbox = outbox

    async def receive(self) -> Message:
        """The next message the client sent."""
        return await self._inbox.receive()

    def receive_nowait(self) -> Message:
        return self._inbox.receive_nowait()

    async def send(self, message: Message | list[Message] | bytes) -> None:
        """Send one message, a batch (a list), or raw bytes as one frame."""
        frame = message if isinstance(message, bytes) else orjson.dumps(message)
        await self._outbox.send(frame)

    async def aclose(self) -> None:
        """Close the connection: the client sees the server go away."""
        await self._outbox.aclose()


def memory_pair(
    *, unbound_responses: bool = True, tap: FrameTap | None = None
) -> tuple[MemoryTransport, ServerEnd]:
    """A client transport connected to a server end (unbounded buffers both ways)."""
    to_server, server_inbox = trio.open_memory_channel[Message](math.inf)
    to_client, client_inbox = trio.open_memory_channel[bytes](math.inf)
    client = MemoryTransport(to_server, client_inbox, unbound_responses=unbound_responses, tap=tap)
    return client, ServerEnd(server_inbox, to_client)
