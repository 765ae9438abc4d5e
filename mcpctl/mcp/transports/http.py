"""Streamable HTTP transport: every client message is a POST; answers come back as JSON or SSE.

A request's POST runs in its own task and its answer (with any progress notifications and
server requests streamed before it) goes to :meth:`StreamableHttpTransport.receive`; so
``send`` never waits for an answer and is safe from many tasks at once. Notifications and
responses are POSTed inline (the server answers ``202``), which keeps their order.

Handshake era: the ``Mcp-Session-Id`` of the ``initialize`` answer rides on every later
request, ``MCP-Protocol-Version`` too once negotiated, and after ``notifications/initialized``
a standalone GET stream carries server-initiated messages. Dropped SSE streams resume with
``Last-Event-ID``. Modern era (2026-07-28): no session; each request also names its method
(``Mcp-Method``) and, for tools, prompts and resources, its target (``Mcp-Name``); the wire
has no client notifications, so ``notifications/cancelled`` aborts the request's POST.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Final

import orjson
import trio

from mcpctl.errors import HttpStatusError, ProtocolError, ServerError, TransportError
from mcpctl.mcp.jsonrpc import Message, RequestId
from mcpctl.mcp.transports.base import Era, Failed, FirstByte, FrameTap, Incoming, Sink
from mcpctl.mcp.transports.http_answer import AnswerReader
from mcpctl.mcp.transports.http_auth import AUTH_ROUNDS, RequestAuth
from mcpctl.mcp.transports.http_backend import BackendName, Headers, HttpBackend, HttpResponse, make_backend
from mcpctl.mcp.transports.http_headers import auth_headers, request_headers

if TYPE_CHECKING:
    from mcpctl.mcp.auth.provider import AuthProvider

DEFAULT_MAX_FRAME: Final = 16 * 1024 * 1024
_RESUME_ATTEMPTS: Final = 2
_DEFAULT_RETRY_MS: Final = 1000


class StreamableHttpTransport:
    """The MCP Streamable HTTP transport over one :class:`HttpBackend`."""

    unbound_responses = False

    def __init__(
        self,
        url: str,
        *,
        backend: HttpBackend,
        nursery: trio.Nursery,
        headers: Headers,
        tap: FrameTap | None,
        max_frame: int,
        timeout: float,
        auth: AuthProvider | None = None,
    ) -> None:
        self.url = url
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self.era: Era | None = None
        self._backend = backend
        self._nursery = nursery
        self._base: list[tuple[str, str]] = [
            ("accept", "application/json, text/event-stream"),
            ("content-type", "application/json"),
            *headers,
        ]
        self._headers = list(self._base)
        self._tap = tap
        self._max_frame = max_frame
        self._timeout = timeout
        self._auth = RequestAuth(auth)
        self._inflight: dict[RequestId, trio.CancelScope] = {}
        self._get_scope: trio.CancelScope | None = None
        self._last_status = ""
        self._closed = False
        self._inbox, self._outbox_recv = trio.open_memory_channel[list[Incoming]](math.inf)
        self._sink: Sink | None = None
        self.on_first_byte: FirstByte | None = None
        """Told when the response head to each POSTed request arrives (the session sets it)."""

    # -- the Transport protocol -----------------------------------------------------------------
    async def send(self, messages: Sequence[Message]) -> None:
        if self._closed:
            raise TransportError("the HTTP transport is closed")
        for msg in messages:
            if msg.get("method") == "notifications/cancelled" and self._abort(msg):
                continue
            if "id" in msg and "method" in msg:
                self._start_request(msg)
                continue
            frame = orjson.dumps(msg)
            if self._tap is not None:
                self._tap("send", frame)
            await self._post_message(msg, frame)

    def _start_request(self, msg: Message) -> None:
        """POST a request in a task of its own; its answer arrives through :meth:`_deliver`."""
        frame = orjson.dumps(msg)
        if self._tap is not None:
            self._tap("send", frame)
        scope = trio.CancelScope()
        previous = self._inflight.get(msg["id"])
        if previous is not None:
            previous.cancel()  # a reused id: the old POST must not answer the new request
        self._inflight[msg["id"]] = scope
        self._nursery.start_soon(self._request, msg, frame, scope)

    async def request_inline(self, msg: Message) -> None:
        """POST request ``msg`` and read its answer in the calling task (delivered through the sink as any
        answer); returns once the body was read to its end. A cancelled caller abandons the POST: its
        connection is closed, not reused."""
        if self._closed:
            raise TransportError("the HTTP transport is closed")
        frame = orjson.dumps(msg)
        if self._tap is not None:
            self._tap("send", frame)
        # no scope of its own in _inflight: cancelling this request is cancelling its caller
        reader = AnswerReader(msg["id"], tap=self._tap, max_frame=self._max_frame, deliver=self._deliver)
        await self._answer(msg, frame, reader)

    async def receive(self) -> list[Incoming]:
        try:
            items = await self._outbox_recv.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            raise TransportError(f"the HTTP transport to {self.url} is closed") from None
        while True:
            try:
                items = items + self._outbox_recv.receive_nowait()
            except (trio.WouldBlock, trio.EndOfChannel, trio.ClosedResourceError):
                return items

    def negotiated(self, *, protocol_version: str, era: Era) -> None:
        """Stamp ``MCP-Protocol-Version`` on every later request."""
        self.protocol_version = protocol_version
        self.era = era
        self._restamp()

    def diagnostics(self) -> str:
        session = f"; session {self.session_id}" if self.session_id else ""
        return f"{self._last_status or 'no HTTP answer yet'}{session}"

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for scope in self._inflight.values():
            scope.cancel()
        if self._get_scope is not None:
            self._get_scope.cancel()
        with trio.CancelScope(shield=True), trio.move_on_after(self._timeout):
            if self.session_id is not None:
                await self._delete_session()
        self._inbox.close()
        await self._backend.aclose()

    # -- headers ----------------------------------------------------------------------------------
    def _restamp(self) -> None:
        headers = list(self._base)
        if self.session_id is not None:
            headers.append(("mcp-session-id", self.session_id))
        if self.protocol_version is not None:
            headers.append(("mcp-protocol-version", self.protocol_version))
        self._headers = headers

    def _request_headers(self, msg: Message) -> list[tuple[str, str]]:
        if self.era == "handshake":
            return self._headers
        return request_headers(
            self._headers, msg, modern_version=self.protocol_version if self.era == "modern" else None
        )

    # -- requests ---------------------------------------------------------------------------------
    def _abort(self, msg: Message) -> bool:
        """Modern era: cancelling is closing the request's stream, never a POST (True: swallowed)."""
        if self.era != "modern":
            return False
        params = msg.get("params")
        request_id = params.get("requestId") if isinstance(params, dict) else None
        scope = self._inflight.get(request_id) if isinstance(request_id, int | str) else None
        if scope is not None:
            scope.cancel()
        return True

    async def _request(
        self, msg: Message, frame: bytes, scope: trio.CancelScope, batch: tuple[RequestId, ...] = ()
    ) -> None:
        request_id: RequestId = msg["id"]
        reader = AnswerReader(
            request_id, tap=self._tap, max_frame=self._max_frame, deliver=self._deliver, batch=batch
        )
        try:
            with scope:
                await self._answer(msg, frame, reader)
        finally:
            for done in batch or (request_id,):
                if self._inflight.get(done) is scope:
                    del self._inflight[done]

    async def _answer(self, msg: Message, frame: bytes, reader: AnswerReader) -> None:
        """POST ``msg`` and read its answer (resuming a dropped SSE stream); a failure is delivered."""
        try:
            await self._post_request(msg, frame, reader)
            if not reader.answered:
                await self._resume(reader)
        except ServerError as exc:
            self._deliver(reader.fail(exc) or [Failed(msg["id"], exc)])

    async def send_batch(self, messages: Sequence[Message]) -> None:
        """One POST whose body is the JSON array of ``messages``; the answers come back together."""
        if self._closed:
            raise TransportError("the HTTP transport is closed")
        frame = orjson.dumps(list(messages))
        if self._tap is not None:
            self._tap("send", frame)
        ids = tuple(m["id"] for m in messages if "id" in m and "method" in m)
        if not ids:
            await self._post_message(messages[0], frame)
            return
        scope = trio.CancelScope()
        for request_id in ids:
            self._inflight[request_id] = scope
        first = next(m for m in messages if "id" in m and "method" in m)
        self._nursery.start_soon(self._request, first, frame, scope, ids)

    async def _post_request(self, msg: Message, frame: bytes, reader: AnswerReader) -> None:
        for rounds in range(AUTH_ROUNDS + 1):
            headers, credential = await self._auth.stamp(self._request_headers(msg))
            async with self._backend.exchange("POST", self.url, headers, frame) as response:
                self._last_status = f"POST {msg['method']}: HTTP {response.status}"
                where = f"POST {self.url} ({msg['method']})"
                if not await self._auth.retry(
                    response.status, response.headers, credential, rounds=rounds, where=where
                ):
                    await self._read_answer(msg, response, reader)
                    return

    async def _read_answer(self, msg: Message, response: HttpResponse, reader: AnswerReader) -> None:
        if self.on_first_byte is not None:
            self.on_first_byte(tuple(reader.waiting), time.perf_counter_ns())
        if msg["method"] == "initialize" and (sid := response.headers.get("mcp-session-id")):
            self.session_id = sid
            self._restamp()
        if response.status == 202:
            raise ProtocolError(f"{msg['method']}: server answered a request with 202 Accepted (no answer)")
        if not 200 <= response.status < 300:
            await self._status_error(msg, response, reader)
        elif response.content_type == "application/json":
            await reader.read_json(response)
        elif response.content_type == "text/event-stream":
            await reader.read_sse(response)
        else:
            kind = response.headers.get("content-type", "no content type")
            raise ProtocolError(
                f"{msg['method']}: unexpected answer of type {kind!r} (HTTP {response.status})"
            )

    async def _status_error(self, msg: Message, response: HttpResponse, reader: AnswerReader) -> None:
        body = await response.read(self._max_frame)
        where = f"POST {self.url} ({msg['method']})"
        if response.status == 404 and self.session_id is not None and self.era != "modern":
            raise HttpStatusError(
                f"{where}: session {self.session_id} expired or was ended by the server; start a new session",
                status=404,
                body=body.decode("utf-8", "replace"),
            )
        # A server may answer with a JSON-RPC error at a 4xx status (the modern era maps codes
        # to statuses, e.g. 404 for an unknown method): that is a real answer, not an HTTP failure.
        if response.content_type == "application/json" and reader.error_answer(body):
            return
        raise HttpStatusError(where, status=response.status, body=body.decode("utf-8", "replace"))

    async def _resume(self, reader: AnswerReader) -> None:
        """The answer stream ended early: resume it with ``Last-Event-ID``, or give up."""
        request_id = reader.request_id
        if reader.parser is None or reader.parser.last_event_id is None:
            raise ProtocolError(f"the answer stream for request {request_id!r} ended without an answer")
        for _ in range(_RESUME_ATTEMPTS):
            await trio.sleep((reader.parser.retry or _DEFAULT_RETRY_MS) / 1000)
            try:
                await self._get_stream(reader)
            except TransportError:
                continue
            if reader.answered:
                return
        raise ProtocolError(
            f"the answer stream for request {request_id!r} ended; resuming it did not bring the answer"
        )

    async def _get_stream(self, reader: AnswerReader, opened: Callable[[], None] | None = None) -> None:
        headers = list(self._headers)
        headers.remove(("content-type", "application/json"))
        if reader.parser is not None and reader.parser.last_event_id is not None:
            headers.append(("last-event-id", reader.parser.last_event_id))
        stamped, _ = await self._auth.stamp(headers)
        async with self._backend.exchange("GET", self.url, stamped, None) as response:
            self._last_status = f"GET: HTTP {response.status}"
            if opened is not None:
                opened()
            if response.status == 405 and reader.request_id is None:
                return  # the server offers no standalone stream
            if response.status != 200 or response.content_type != "text/event-stream":
                body = await response.read(self._max_frame)
                raise HttpStatusError(
                    f"GET {self.url}", status=response.status, body=body.decode("utf-8", "replace")
                )
            await reader.read_sse(response)

    # -- everything else --------------------------------------------------------------------------
    async def _post_message(self, msg: Message, frame: bytes) -> None:
        what = msg.get("method") or f"response to {msg.get('id')!r}"
        where = f"POST {self.url} ({what})"
        for rounds in range(AUTH_ROUNDS + 1):
            headers, credential = await self._auth.stamp(self._headers)
            with trio.move_on_after(self._timeout) as deadline:
                async with self._backend.exchange("POST", self.url, headers, frame) as response:
                    self._last_status = f"POST {msg.get('method', 'response')}: HTTP {response.status}"
                    body = await response.read(self._max_frame)
            if deadline.cancelled_caught:
                raise TransportError(f"POST {self.url}: no answer within {self._timeout:g}s")
            if not await self._auth.retry(
                response.status, response.headers, credential, rounds=rounds, where=where
            ):
                break
        if not 200 <= response.status < 300:
            raise HttpStatusError(where, status=response.status, body=body.decode("utf-8", "replace"))
        if msg.get("method") == "notifications/initialized" and self.era != "modern" and self.session_id:
            with trio.move_on_after(self._timeout):
                await self._nursery.start(self._listen)

    async def _listen(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """The standalone GET stream for server-initiated messages; reconnects while it can.

        ``started`` once the first GET is answered (or failed): a request sent after that finds
        the stream open, so a server request it triggers is not dropped for want of a stream.
        """
        started = False

        def opened() -> None:
            nonlocal started
            if not started:
                started = True
                task_status.started()

        if self._get_scope is not None:
            opened()
            return
        self._get_scope = trio.CancelScope()
        reader = AnswerReader(None, tap=self._tap, max_frame=self._max_frame, deliver=self._deliver)
        with self._get_scope:
            failures = 0
            while failures < _RESUME_ATTEMPTS and not self._closed:
                try:
                    await self._get_stream(reader, opened)
                except HttpStatusError:
                    break
                except ServerError:
                    failures += 1
                else:
                    if reader.parser is None:
                        break  # 405: no stream on this server
                    failures = 0
                opened()
                retry = reader.parser.retry if reader.parser is not None else None
                await trio.sleep((retry or _DEFAULT_RETRY_MS) / 1000)
        opened()

    async def _delete_session(self) -> None:
        try:
            headers, _ = await self._auth.stamp(self._headers)
            async with self._backend.exchange("DELETE", self.url, headers, None) as response:
                self._last_status = f"DELETE: HTTP {response.status}"
        except ServerError:
            pass  # best effort: the server forgets idle sessions anyway

    def _deliver(self, items: list[Incoming]) -> None:
        if items and not self._closed:
            if self._sink is not None:
                items = self._sink(items)
                if not items:
                    return
            self._inbox.send_nowait(items)

    def attach(self, sink: Sink) -> None:
        self._sink = sink

    def send_nowait(self, messages: Sequence[Message]) -> None:
        if self._closed:
            raise TransportError("the HTTP transport is closed")
        for msg in messages:
            self._start_request(msg)


@asynccontextmanager
async def open_http_transport(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    bearer_token: str | None = None,
    backend: BackendName = "httpx",
    connect_timeout: float = 10.0,
    timeout: float = 30.0,
    tap: FrameTap | None = None,
    max_frame: int = DEFAULT_MAX_FRAME,
    auth: AuthProvider | None = None,
) -> AsyncIterator[StreamableHttpTransport]:
    """A Streamable HTTP transport to the MCP endpoint ``url``.

    ``timeout`` bounds exchanges that are not requests (notifications, responses, the final
    DELETE); requests are bounded by the session's own timeouts. Nothing is sent until the
    first message; on exit in-flight requests are aborted and the session is DELETEd.
    ``auth`` supplies ``Authorization`` for every request and re-authorizes on 401/403
    (it takes precedence over ``bearer_token``).
    """
    http = make_backend(url, backend, connect_timeout=connect_timeout)
    try:
        async with trio.open_nursery() as nursery:
            transport = StreamableHttpTransport(
                url,
                backend=http,
                nursery=nursery,
                headers=auth_headers(headers, bearer_token),
                tap=tap,
                max_frame=max_frame,
                timeout=timeout,
                auth=auth,
            )
            try:
                yield transport
            finally:
                await transport.aclose()
                nursery.cancel_scope.cancel()
    finally:
        await http.aclose()
