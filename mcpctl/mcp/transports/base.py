"""The one interface every transport implements, and what flows through it.

A transport moves JSON-RPC messages (plain dicts) between the session and one server. It
owns framing (newlines, HTTP bodies, SSE events) and its connection's lifecycle; it knows
nothing of MCP methods beyond what its wire needs (HTTP headers derived from a message).

What :meth:`Transport.receive` yields is either a decoded message or a :class:`Failed`
record: a failure the transport could attribute to one request (``request_id``) or to the
whole connection (``request_id is None``: every pending request fails with it). Transports
never raise for a bad frame; they raise only when the connection is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from mcpctl.errors import ServerError
from mcpctl.mcp.jsonrpc import Message, RequestId

Era = Literal["modern", "handshake"]
Direction = Literal["send", "recv"]
FrameTap = Callable[[Direction, bytes], None]
"""Called with the exact bytes of every frame sent or received (raw wire access)."""


@dataclass(frozen=True, slots=True)
class Failed:
    """A failure attributed to one pending request, or to all of them when ``request_id`` is None."""

    request_id: RequestId | None
    error: ServerError


Incoming = Message | Failed
Sink = Callable[[list[Incoming]], list[Incoming]]
"""Routes what it can in the calling task; returns the rest for :meth:`Transport.receive`."""


class Transport(Protocol):
    """A connection to one MCP server."""

    #: Whether a response whose id matches no pending request means the stream is broken
    #: (stdio, legacy SSE: answers are not bound to their requests) or can be ignored
    #: (Streamable HTTP: each answer arrives on its own request's HTTP exchange).
    unbound_responses: bool

    async def send(self, messages: Sequence[Message]) -> None:
        """Send messages in order, as few writes as the wire allows."""
        ...

    async def send_batch(self, messages: Sequence[Message]) -> None:
        """Send ``messages`` as one JSON-RPC batch (one frame), for revisions that allow batches."""
        ...

    async def receive(self) -> list[Incoming]:
        """The next batch of incoming items; raises :class:`~mcpctl.errors.TransportError` at the end."""
        ...

    def negotiated(self, *, protocol_version: str, era: Era) -> None:
        """Told once the session knows the protocol revision (HTTP stamps it on every request)."""
        ...

    def diagnostics(self) -> str:
        """Recent stderr of a stdio server, or the last HTTP status, for error messages."""
        ...

    async def aclose(self) -> None:
        """Close the connection and release the server (terminate a stdio child)."""
        ...


FirstByte = Callable[[tuple[RequestId, ...], int], None]
"""Told the requests whose answer's HTTP response head just arrived, and when (``perf_counter_ns``)."""


@runtime_checkable
class TimedTransport(Protocol):
    """A transport that can tell when each request's answer began to arrive (HTTP: the response head),
    apart from when the answer was complete: time to first byte."""

    on_first_byte: FirstByte | None


@runtime_checkable
class InlineTransport(Protocol):
    """A transport that can carry one request in its caller's own task (HTTP: the POST and the reading of
    its answer), sparing a task start and a wake-up per request: what one request in flight waits for."""

    async def request_inline(self, msg: Message) -> None:
        """Send request ``msg`` and read its answer in this task; the answer reaches the session as any
        answer does. Returns once the answer's body was read to its end."""
        ...


@runtime_checkable
class PushTransport(Protocol):
    """A transport whose answers arrive in tasks of its own (one per HTTP request): it can hand
    them to the session right there, and take the next requests without waiting, sparing a
    hand-over to the reader task per answer (the load path over HTTP)."""

    def attach(self, sink: Sink) -> None:
        """From now on offer every incoming batch to ``sink`` first."""
        ...

    def send_nowait(self, messages: Sequence[Message]) -> None:
        """Send requests (only requests) without waiting."""
        ...
