"""What a transport serving a mock talks to: an app that opens one session per client connection.

A transport reads frames, hands each JSON-RPC message to :meth:`MockSession.handle` and writes back
what it returns. Notifications that belong to a request (progress) go through ``related`` while the
request runs; notifications that belong to no request (``notifications/tools/list_changed``) go
through the ``unsolicited`` callback given when the session was opened. Over stdio both write to
stdout; over Streamable HTTP ``related`` writes to the POST's SSE stream (dropped in JSON answer
mode) and ``unsolicited`` to the standalone GET stream.

A request the mock sends its client during a call (``sampling/createMessage``...) also goes through
``related``; the client's response comes back as a message to :meth:`MockSession.handle`. A
``related`` that has no way to the client (JSON answer mode) raises :class:`Undeliverable` for a
request, so that the call fails at once instead of waiting for an answer that cannot come.
:data:`STREAM_BREAK` given to ``related`` asks a transport with resumable event streams to close
the request's stream now (the client resumes it later); every other transport ignores it.

A session may also offer ``stream_policy() -> StreamPolicy | None``: how its HTTP event streams
resume (``None``: they do not). Transports look it up once per session, so apps without it work.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from mcpctl.mcp.jsonrpc import Message

Notify = Callable[[Message], Awaitable[None]]
STREAM_BREAK: Final[Message] = {"jsonrpc": "2.0", "method": "notifications/mcpctl/streamBreak"}
"""Given to ``related`` (compared by identity, never sent): close this request's event stream now."""


class Undeliverable(Exception):
    """``related`` cannot carry a request to the client (it has no channel back)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPolicy:
    """How a session's Streamable HTTP event streams resume after a dropped connection."""

    retry_ms: int
    """The reconnection delay told to the client in each stream's priming event."""


class MockSession(Protocol):
    """One client's conversation with the mock."""

    async def handle(self, message: Message, related: Notify) -> Message | None:
        """Answer ``message`` (a request: its response; a notification or response: ``None``).

        Never raises for bad input: a malformed message gets the JSON-RPC error a server owes.
        """
        ...

    def close(self) -> None:
        """The client went away (stdio EOF, HTTP DELETE or session expiry)."""
        ...

    def instant(self, message: Message) -> bool:
        """Whether answering ``message`` never waits (no latency, no progress): a transport may then
        answer it inline, saving a task per request on the hot path."""
        ...


class MockApp(Protocol):
    """A served mock: shared state (scenario, counters, call history) and a session factory."""

    def open_session(self, unsolicited: Notify) -> MockSession:
        """A new session whose server-initiated notifications go to ``unsolicited``."""
        ...
