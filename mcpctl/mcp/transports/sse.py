"""Legacy HTTP+SSE transport (protocol 2024-11-05): one GET event stream, POSTs to an endpoint.

The client GETs the SSE URL; the server's first event, ``endpoint``, names (relative to that
URL) where to POST messages. Every POST is answered ``202 Accepted``; answers, notifications
and server requests all arrive on the one event stream, so responses are not bound to their
requests (``unbound_responses``). When the stream ends the transport is finished.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from urllib.parse import urljoin

import orjson
import trio

from mcpctl.errors import HttpStatusError, ServerError, TransportError
from mcpctl.mcp.jsonrpc import Message
from mcpctl.mcp.transports.base import Era, Failed, FrameTap, Incoming
from mcpctl.mcp.transports.http import DEFAULT_MAX_FRAME
from mcpctl.mcp.transports.http_answer import AnswerReader
from mcpctl.mcp.transports.http_backend import BackendName, Headers, HttpBackend, make_backend
from mcpctl.mcp.transports.http_headers import auth_headers
from mcpctl.mcp.transports.sse_events import SseEvent


class SseTransport:
    """The 2024-11-05 HTTP+SSE transport over one :class:`HttpBackend`."""

    unbound_responses = True

    def __init__(
        self,
        url: str,
        *,
        backend: HttpBackend,
        headers: Headers,
        tap: FrameTap | None,
        max_frame: int,
        timeout: float,
    ) -> None:
        self.url = url
        self.endpoint: str | None = None
        """Where messages are POSTed, from the server's ``endpoint`` event."""
        self._backend = backend
        self._headers = list(headers)
        self._tap = tap
        self._max_frame = max_frame
        self._timeout = timeout
        self._last_status = ""
        self._ended: TransportError | None = None
        self.open_error: ServerError | None = None
        """Why the stream ended before naming its endpoint."""
        self._inbox, self._outbox_recv = trio.open_memory_channel[list[Incoming]](math.inf)

    # -- the Transport protocol -----------------------------------------------------------------
    async def send_batch(self, messages: Sequence[Message]) -> None:
        """One POST of the JSON array of ``messages``; the answers arrive on the stream."""
        if self._ended is not None:
            raise self._ended
        frame = orjson.dumps(list(messages))
        if self._tap is not None:
            self._tap("send", frame)
        try:
            await self._post(frame)
        except ServerError as exc:
            self._deliver([Failed(m["id"], exc) for m in messages if "id" in m and "method" in m])

    async def send(self, messages: Sequence[Message]) -> None:
        if self._ended is not None:
            raise self._ended
        for msg in messages:
            frame = orjson.dumps(msg)
            if self._tap is not None:
                self._tap("send", frame)
            try:
                await self._post(frame)
            except ServerError as exc:
                if "id" in msg and "method" in msg:
                    self._deliver([Failed(msg["id"], exc)])  # one request failed, not the stream
                else:
                    raise

    async def receive(self) -> list[Incoming]:
        try:
            items = await self._outbox_recv.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise self._ended or TransportError(f"the SSE stream {self.url} is closed") from None
        while True:
            try:
                items = items + self._outbox_recv.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                return items

    def negotiated(self, *, protocol_version: str, era: Era) -> None:
        """The legacy wire carries no version header: nothing to do."""

    def diagnostics(self) -> str:
        return self._last_status or "no HTTP answer yet"

    async def aclose(self) -> None:
        self._end(TransportError(f"the SSE transport to {self.url} is closed"))

    # -- the stream -------------------------------------------------------------------------------
    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Read the event stream; ``started`` once the endpoint is known."""
        reader = AnswerReader(None, tap=self._tap, max_frame=self._max_frame, deliver=self._deliver)

        def on_event(event: SseEvent) -> bool:
            if event.event != "endpoint":
                return False
            first = self.endpoint is None
            self.endpoint = urljoin(self.url, event.data.decode("utf-8", "replace").strip())
            if first:
                task_status.started()
            return True

        reader.on_event = on_event
        headers = [*self._headers, ("accept", "text/event-stream")]
        try:
            async with self._backend.exchange("GET", self.url, headers, None) as response:
                self._last_status = f"GET: HTTP {response.status}"
                if response.status != 200 or response.content_type != "text/event-stream":
                    body = (await response.read(self._max_frame)).decode("utf-8", "replace")
                    raise HttpStatusError(f"GET {self.url} (SSE stream)", status=response.status, body=body)
                await reader.read_sse(response)
        except ServerError as exc:
            error = (
                exc if self.endpoint is None else TransportError(f"the SSE stream {self.url} broke: {exc}")
            )
        else:
            error = TransportError(f"the server closed the SSE stream {self.url}")
            if self.endpoint is None:
                error = TransportError(f"the SSE stream {self.url} ended before naming its endpoint")
        if self.endpoint is None:
            self.open_error = error
            task_status.started()  # the opener raises open_error, outside any nursery
        self._end(error if isinstance(error, TransportError) else TransportError(str(error)))

    async def _post(self, frame: bytes) -> None:
        assert self.endpoint is not None
        headers = [*self._headers, ("content-type", "application/json")]
        with trio.move_on_after(self._timeout) as deadline:
            async with self._backend.exchange("POST", self.endpoint, headers, frame) as response:
                self._last_status = f"POST: HTTP {response.status}"
                body = await response.read(self._max_frame)
        if deadline.cancelled_caught:
            raise TransportError(f"POST {self.endpoint}: no answer within {self._timeout:g}s")
        if not 200 <= response.status < 300:
            raise HttpStatusError(
                f"POST {self.endpoint}", status=response.status, body=body.decode("utf-8", "replace")
            )

    def _deliver(self, items: list[Incoming]) -> None:
        if items and self._ended is None:
            self._inbox.send_nowait(items)

    def _end(self, error: TransportError) -> None:
        if self._ended is None:
            self._ended = error
            self._inbox.close()


@asynccontextmanager
async def open_sse_transport(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    bearer_token: str | None = None,
    backend: BackendName = "httpx",
    connect_timeout: float = 10.0,
    timeout: float = 30.0,
    tap: FrameTap | None = None,
    max_frame: int = DEFAULT_MAX_FRAME,
) -> AsyncIterator[SseTransport]:
    """A legacy HTTP+SSE transport to the SSE URL ``url``; returns once the endpoint is known."""
    http = make_backend(url, backend, connect_timeout=connect_timeout)
    transport = SseTransport(
        url,
        backend=http,
        headers=auth_headers(headers, bearer_token),
        tap=tap,
        max_frame=max_frame,
        timeout=timeout,
    )
    try:
        async with trio.open_nursery() as nursery:
            with trio.move_on_after(connect_timeout) as waiting:
                await nursery.start(transport.run)
            if waiting.cancelled_caught:
                transport.open_error = TransportError(
                    f"GET {url}: no endpoint event within {connect_timeout:g}s"
                )
            if transport.open_error is None:
                try:
                    yield transport
                finally:
                    await transport.aclose()
            nursery.cancel_scope.cancel()
    finally:
        await http.aclose()
    if transport.open_error is not None:
        raise transport.open_error
