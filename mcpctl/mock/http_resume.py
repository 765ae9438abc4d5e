"""Resumable event streams of the Streamable HTTP mock (MCP 2025-11-25, SEP-1699).

When a session's :class:`~mcpctl.mock.session.StreamPolicy` says so, a POST's event stream opens
with a priming event (an id, ``retry``, empty data) and every event it carries is kept in a
:class:`StreamLog`. If the stream closes before the answer (the client's connection dropped, or the
answer asked for :data:`~mcpctl.mock.session.STREAM_BREAK`), the request keeps running and its
later events wait in the log; a GET with ``Last-Event-ID`` replays what came after that id and
goes on with the live events until the answer. Event ids are ``<stream>-<n>``: the stream's number
in the session, then the event's (0 for the priming event).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Final

import orjson
import trio

from mcpctl.mcp.jsonrpc import Message
from mcpctl.mock.http_wire import SseWriter
from mcpctl.mock.session import STREAM_BREAK

MAX_LOGS: Final = 64
"""Stream logs a session keeps (the oldest go first): bounds what never-resumed streams hold."""
_EVENT_ID: Final = re.compile(rb"(\d{1,18})-(\d{1,18})")


class StreamLog:
    """One resumable stream: its events so far, and the writer that carries them live (if any)."""

    __slots__ = ("done", "events", "number", "released", "writer")

    def __init__(self, number: int) -> None:
        self.number = number
        self.events: list[bytes] = []
        """Event ``n`` (from 1) is ``events[n - 1]``, as JSON."""
        self.writer: SseWriter | None = None
        self.released = trio.Event()
        """Set when the live writer is let go: the stream broke, or the answer went out."""
        self.done = False

    def _frame(self, seq: int, data: bytes) -> bytes:
        return b"id: %d-%d\ndata: %b\n\n" % (self.number, seq, data)

    async def open(self, writer: SseWriter, retry_ms: int) -> None:
        """Carry the stream on ``writer``, starting with the priming event."""
        self.writer = writer
        await writer.send_raw(b"id: %d-0\nretry: %d\ndata: \n\n" % (self.number, retry_ms))

    async def send(self, message: Message) -> None:
        """The request's ``related`` channel: keep the event, and write it if a client listens."""
        if message is STREAM_BREAK:
            self._let_go()
            return
        self.events.append(orjson.dumps(message))
        writer = self.writer
        if writer is not None:
            await writer.send_raw(self._frame(len(self.events), self.events[-1]))
            if not writer.alive:  # the client went away: the rest waits for a resume
                self._let_go()

    async def finish(self, reply: Message) -> bool:
        """Send the answer, which ends the stream; whether a client got it live."""
        await self.send(reply)
        self.done = True
        delivered = self.writer is not None
        self._let_go()
        return delivered

    async def resume(self, writer: SseWriter, after: int) -> None:
        """Replay the events after number ``after`` on ``writer``, then the live ones until the answer.

        A client that resumes a stream still open elsewhere takes it over: the old one ends."""
        if self.writer is not None:
            self._let_go()
        await writer.start()
        sent = after
        while sent < len(self.events) and writer.alive:  # events may arrive while replaying
            sent += 1
            await writer.send_raw(self._frame(sent, self.events[sent - 1]))
        if self.done or not writer.alive:
            return
        self.writer, self.released = writer, trio.Event()
        try:
            await self.released.wait()
        finally:
            if self.writer is writer:
                self.writer = None

    def _let_go(self) -> None:
        self.writer = None
        self.released.set()


class StreamLogs:
    """A session's resumable streams, by number."""

    __slots__ = ("_logs", "_next")

    def __init__(self) -> None:
        self._logs: OrderedDict[int, StreamLog] = OrderedDict()
        self._next = 0

    def new(self) -> StreamLog:
        self._next += 1
        log = self._logs[self._next] = StreamLog(self._next)
        while len(self._logs) > MAX_LOGS:
            self._logs.popitem(last=False)[1].released.set()
        return log

    def forget(self, log: StreamLog) -> None:
        self._logs.pop(log.number, None)

    def find(self, last_event_id: bytes) -> tuple[StreamLog, int] | None:
        """The stream and event number a ``Last-Event-ID`` names, if this session still has it."""
        match = _EVENT_ID.fullmatch(last_event_id.strip())
        if match is None:
            return None
        log = self._logs.get(int(match.group(1)))
        seq = int(match.group(2))
        return (log, seq) if log is not None and seq <= len(log.events) else None

    def close(self) -> None:
        """The session ended: nobody waits on its streams any more."""
        for log in self._logs.values():
            log.released.set()
        self._logs.clear()
