"""Reading one HTTP answer body (JSON or SSE) into incoming messages, shared by the HTTP transports."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import trio

from mcpctl.errors import ProtocolError, ServerError
from mcpctl.mcp import jsonrpc
from mcpctl.mcp.jsonrpc import RequestId
from mcpctl.mcp.transports.base import Failed, FrameTap, Incoming
from mcpctl.mcp.transports.http_backend import HttpResponse
from mcpctl.mcp.transports.sse_events import SseEvent, SseParser

Deliver = Callable[[list[Incoming]], None]

_DRAIN_SECONDS: Final = 5.0
"""After the answer, how long to keep reading for the end of the body (keeps the connection reusable)."""


class AnswerReader:
    """Decodes the bodies answering one request (``request_id``), or a standalone stream (``None``).

    Messages go to ``deliver`` as they arrive; ``answered`` turns true once the response (or
    error) for ``request_id`` came, or a failure was reported for it. ``parser`` is the SSE
    parser of the last stream read: its ``last_event_id`` and ``retry`` drive resumption.
    """

    def __init__(
        self,
        request_id: RequestId | None,
        *,
        tap: FrameTap | None,
        max_frame: int,
        deliver: Deliver,
        batch: tuple[RequestId, ...] = (),
    ) -> None:
        self.request_id = request_id
        self.waiting: set[RequestId] = (
            set(batch) if batch else ({request_id} if request_id is not None else set())
        )
        """The requests this body must answer: one, or every request of a JSON-RPC batch."""
        self.answered = False
        self.parser: SseParser | None = None
        self.on_event: Callable[[SseEvent], bool] | None = None
        """Sees every event first; returning True consumes it (the legacy ``endpoint`` event)."""
        self._tap = tap
        self._max_frame = max_frame
        self._deliver = deliver

    async def read_json(self, response: HttpResponse) -> None:
        """An ``application/json`` body: one message or a batch, which must hold the answer."""
        self.frame(await response.read(self._max_frame))
        if not self.answered and self.request_id is not None:
            raise ProtocolError(f"the JSON answer to request {self.request_id!r} holds no response for it")

    async def read_sse(self, response: HttpResponse) -> None:
        """A ``text/event-stream`` body, until it ends (or shortly after the answer)."""
        previous = self.parser
        parser = self.parser = SseParser(
            max_event=self._max_frame, last_event_id=previous.last_event_id if previous else None
        )
        if previous is not None:
            parser.retry = previous.retry
        with trio.CancelScope() as drain:
            async for chunk in response.chunks:
                for event in parser.feed(chunk):
                    self._event(event)
                if self.answered and drain.deadline == math.inf:
                    drain.deadline = trio.current_time() + _DRAIN_SECONDS

    def _event(self, event: SseEvent) -> None:
        if self.on_event is not None and self.on_event(event):
            return
        if event.event == "message" and event.data.strip():
            self.frame(event.data)

    def frame(self, data: bytes) -> None:
        """Decode one frame and deliver its messages."""
        if self._tap is not None:
            self._tap("recv", data)
        items: list[Incoming] = []
        waiting = self.waiting
        for item in jsonrpc.decode(data):
            if isinstance(item, jsonrpc.Malformed):
                excerpt = item.raw[:200].decode("utf-8", "replace")
                error = ProtocolError(f"server sent {item.reason}: {excerpt!r}", frame=item.raw[:200])
                items.extend(self.fail(error))
                continue
            items.append(item)
            if waiting and "method" not in item and item.get("id") in waiting:
                waiting.discard(item["id"])
                self.answered = not waiting
        self._deliver(items)

    def fail(self, error: ServerError) -> list[Incoming]:
        """Failures for every request still waiting; afterwards nothing is."""
        failed: list[Incoming] = [Failed(request_id, error) for request_id in sorted(self.waiting, key=str)]
        self.waiting.clear()
        self.answered = self.answered or bool(failed)
        return failed

    def error_answer(self, body: bytes) -> bool:
        """Deliver ``body`` if it is a JSON-RPC error answering this request (an id of null counts)."""
        items = jsonrpc.decode(body)
        if (
            len(items) != 1
            or isinstance(items[0], jsonrpc.Malformed)
            or jsonrpc.classify(items[0]) != "error"
        ):
            return False
        message = items[0]
        if message.get("id") not in (None, self.request_id) or len(self.waiting) > 1:
            return False
        if self._tap is not None:
            self._tap("recv", body)
        self._deliver([{**message, "id": self.request_id}])
        self.waiting.clear()
        self.answered = True
        return True
