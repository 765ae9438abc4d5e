"""What a transport serving a mock talks to: an app that opens one session per client connection.

A transport reads frames, hands each JSON-RPC message to :meth:`MockSession.handle` and writes back
what it returns. Notifications that belong to a request (progress) go through ``related`` while the
request runs; notifications that belong to no request (``notifications/tools/list_changed``) go
through the ``unsolicited`` callback given when the session was opened. Over stdio both write to
stdout; over Streamable HTTP ``related`` writes to the POST's SSE stream (dropped in JSON answer
mode) and ``unsolicited`` to the standalone GET stream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from mcpctl.mcp.jsonrpc import Message

Notify = Callable[[Message], Awaitable[None]]


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
