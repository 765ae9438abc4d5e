"""The client session: requests matched to answers, notifications, server-initiated requests.

One reader task (:meth:`ClientSession.run_reader`) routes every incoming message: answers to
their waiting request (a ``trio.Event`` for :meth:`~ClientSession.request`, or a callback for
the pipelined :meth:`~ClientSession.request_nowait` used by load generation), progress to the
caller's callback, server requests to a canned answer. A failure the transport reports for
one request fails that request; a connection failure fails them all. Nothing a server sends
can crash the reader: it becomes a typed error on the requests it concerns.

Era handling (the envelope, negotiation) lives in :mod:`mcpctl.mcp.negotiate`; the MCP
methods as typed calls in :mod:`mcpctl.mcp.client`.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import trio

from mcpctl.errors import (
    McpctlError,
    ProtocolError,
    RequestTimeout,
    RpcError,
    ServerError,
    TransportError,
    UsageError,
)
from mcpctl.mcp import jsonrpc
from mcpctl.mcp.jsonrpc import JSONValue, Message, RequestId
from mcpctl.mcp.protocol import (
    BATCH_VERSION,
    CLIENT_CAPABILITIES_META,
    CLIENT_INFO_META,
    LOG_LEVEL_META,
    NEVER_CANCELLED,
    PROTOCOL_VERSION_META,
)
from mcpctl.mcp.results import Progress
from mcpctl.mcp.transports.base import (
    Era,
    Failed,
    Incoming,
    InlineTransport,
    PushTransport,
    TimedTransport,
    Transport,
)

_EARLY_FLUSH = 16
MAX_ABANDONED = 4096
"""How many given-up request ids are remembered, so that their late answers are not taken for a
server bug (an answer to an id never sent)."""
ProgressCallback = Callable[[Progress], None]
NotificationCallback = Callable[[Message], None]
ReplyCallback = Callable[["Reply"], None]


class Reply:
    """One answer: ``result`` or ``error`` (a JSON-RPC error or a transport failure), with timing.

    While the request is pending it also carries how to deliver the answer (one object per
    request keeps the hot path lean).
    """

    __slots__ = (
        "done",
        "error",
        "event",
        "first_byte_ns",
        "method",
        "on_progress",
        "received_ns",
        "request_id",
        "result",
        "sent_ns",
    )

    def __init__(
        self,
        request_id: RequestId,
        method: str,
        done: ReplyCallback | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        self.request_id = request_id
        self.method = method
        self.sent_ns = time.perf_counter_ns()
        self.received_ns = 0
        self.first_byte_ns = 0
        """When the answer began to arrive (HTTP: its response head); 0 where the transport cannot tell."""
        self.result: Message | None = None
        self.error: McpctlError | None = None
        self.done = done
        self.event: trio.Event | None = None if done is not None else trio.Event()
        self.on_progress = on_progress

    @property
    def latency_ms(self) -> float:
        return (self.received_ns - self.sent_ns) / 1e6

    @property
    def first_byte_ms(self) -> float | None:
        """Time to first byte (HTTP): from sending to the answer's response head; None where unknown."""
        return (self.first_byte_ns - self.sent_ns) / 1e6 if self.first_byte_ns else None

    def unwrap(self) -> Message:
        """The result, or raise the error."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    """What the client says about itself and how it answers server-initiated requests."""

    client_name: str = "mcpctl"
    client_version: str = "0"
    roots: tuple[Message, ...] | None = None
    """Answered to ``roots/list``: ``{"uri": "file:///...", "name": ...}`` objects; None: not declared."""
    sampling_reply: Message | None = None
    """A canned ``sampling/createMessage`` result; without it sampling is refused (and not declared)."""
    elicitation_reply: Message | Literal["defaults"] | None = None
    """A canned ``elicitation/create`` result, or ``"defaults"``: accept a form with every field at
    its schema ``default`` (a headless client); None: refused (and not declared)."""
    log_level: str | None = None
    """Modern era: the per-request log opt-in; handshake era: sent with ``logging/setLevel``."""
    timeout: float = 60.0
    """Default per-request timeout in seconds."""
    keep_notifications: int = 1000
    extra_capabilities: Message = field(default_factory=dict)

    def capabilities(self) -> Message:
        caps: Message = {}
        if self.roots is not None:
            caps["roots"] = {"listChanged": True}
        if self.sampling_reply is not None:
            caps["sampling"] = {}
        if self.elicitation_reply is not None:
            caps["elicitation"] = {"form": {}}
        caps.update(self.extra_capabilities)
        return caps

    def client_info(self) -> Message:
        return {"name": self.client_name, "version": self.client_version}


class ClientSession:
    """A JSON-RPC peer over one :class:`~mcpctl.mcp.transports.base.Transport`."""

    def __init__(self, transport: Transport, options: ClientOptions | None = None) -> None:
        self.transport = transport
        self.options = options or ClientOptions()
        self.notifications: deque[Message] = deque(maxlen=self.options.keep_notifications)
        self.protocol_errors: deque[ServerError] = deque(maxlen=100)
        self.server_requests: deque[Message] = deque(maxlen=100)
        self.on_notification: NotificationCallback | None = None
        self._pending: dict[RequestId, Reply] = {}
        self._progress: dict[RequestId, Reply] = {}
        self._abandoned: dict[RequestId, None] = {}
        """Requests given up on (timeout, cancel), newest last: their late answers are dropped."""
        self.late_answers = 0
        """Answers that came after their request was given up on (dropped, not errors)."""
        self._next_id = 0
        self._outbox: list[Message] = []
        self._closed: ServerError | None = None
        self._envelope: Message | None = None
        self.era: Era = "handshake"
        self.protocol_version: str | None = None
        self._push_send = transport.send_nowait if isinstance(transport, PushTransport) else None
        if isinstance(transport, PushTransport):
            transport.attach(self._push)
        if isinstance(transport, TimedTransport):
            transport.on_first_byte = self._first_byte
        # looked up once: an isinstance against a runtime-checkable protocol costs ~3.5 us
        self._inline = transport.request_inline if isinstance(transport, InlineTransport) else None

    @property
    def closed(self) -> ServerError | None:
        """Why the session ended, or None while it is open."""
        return self._closed

    # -- era --------------------------------------------------------------------------------
    def adopt(self, *, protocol_version: str, era: Era) -> None:
        """Use ``protocol_version`` from now on: stamp the modern envelope, tell the transport."""
        self.protocol_version = protocol_version
        self.era = era
        if era == "modern":
            self._envelope = self.envelope(protocol_version)
        else:
            self._envelope = None
        self.transport.negotiated(protocol_version=protocol_version, era=era)

    def set_log_level(self, level: str) -> None:
        """Modern era: ask for log notifications at ``level`` on every request from now on."""
        if self._envelope is not None:
            self._envelope = {**self._envelope, LOG_LEVEL_META: level}

    def envelope(self, protocol_version: str) -> Message:
        """The modern per-request ``_meta`` keys at ``protocol_version``."""
        env: Message = {
            PROTOCOL_VERSION_META: protocol_version,
            CLIENT_INFO_META: self.options.client_info(),
            CLIENT_CAPABILITIES_META: self.options.capabilities(),
        }
        if self.options.log_level is not None:
            env[LOG_LEVEL_META] = self.options.log_level
        return env

    # -- requests ---------------------------------------------------------------------------
    def _stamped(self, request_id: RequestId, method: str, params: Message | None, progress: bool) -> Message:
        if self._envelope is not None or progress:
            params = dict(params) if params else {}
            meta = dict(params.get("_meta") or {})
            if self._envelope is not None:
                meta = {**self._envelope, **meta}
            if progress:
                meta["progressToken"] = request_id
            params["_meta"] = meta
        return jsonrpc.request(request_id, method, params)

    def request_nowait(
        self,
        method: str,
        params: Message | None = None,
        *,
        done: ReplyCallback,
        on_progress: ProgressCallback | None = None,
    ) -> RequestId:
        """Queue a request; ``done(reply)`` runs in the reader task when it is answered or fails.

        The request goes out with the next :meth:`flush` (the reader flushes after every batch
        it routes), so a callback that queues the next request costs no task switch: this is
        the pipelined path load generation runs on.
        """
        if self._closed is not None:
            raise self._closed
        self._next_id += 1
        request_id = self._next_id
        if self._envelope is None and on_progress is None:  # the hot path: nothing to stamp
            msg: Message = {"jsonrpc": "2.0", "id": request_id, "method": method}
            if params is not None:
                msg["params"] = params
        else:
            msg = self._stamped(request_id, method, params, on_progress is not None)
        reply = Reply(request_id, method, done, on_progress)
        self._pending[request_id] = reply
        if on_progress is not None:
            self._progress[request_id] = reply
        self._outbox.append(msg)
        return request_id

    def _first_byte(self, request_ids: tuple[RequestId, ...], now_ns: int) -> None:
        for request_id in request_ids:
            reply = self._pending.get(request_id)
            if reply is not None and not reply.first_byte_ns:
                reply.first_byte_ns = now_ns

    async def flush(self) -> None:
        """Send every queued request in one write."""
        if self._outbox:
            batch, self._outbox = self._outbox, []
            await self._send(batch)

    async def request_reply(
        self,
        method: str,
        params: Message | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        inline: bool = False,
    ) -> Reply:
        """Send a request and wait for its :class:`Reply` (an error reply does not raise).

        On timeout, or if the caller is cancelled, ``notifications/cancelled`` goes to the
        server and the request is forgotten. ``inline``: where the transport can
        (:class:`~mcpctl.mcp.transports.base.InlineTransport`), carry the request in this task, which then
        also reads the rest of the answer's body (the load path: one task start and one wake-up fewer per
        request; the reply's ``received_ns`` still says when the answer came).
        """
        if self._closed is not None:
            raise self._closed
        self._next_id += 1
        request_id = self._next_id
        msg = self._stamped(request_id, method, params, on_progress is not None)
        pending = Reply(request_id, method, None, on_progress)
        assert pending.event is not None
        self._pending[request_id] = pending
        if on_progress is not None:
            self._progress[request_id] = pending
        limit = self.options.timeout if timeout is None else timeout
        try:
            with trio.move_on_after(limit) as scope:
                if inline and self._inline is not None:
                    await self._send_inline(self._inline, msg)
                else:
                    await self._send([msg])
                if not pending.event.is_set():
                    await pending.event.wait()
        except BaseException:
            await self._abandon(pending, "client cancelled the request")
            raise
        if scope.cancelled_caught and await self._abandon(pending, f"timed out after {limit:g}s"):
            pending.error = RequestTimeout(method=method, timeout=limit)
        return pending

    async def request(
        self,
        method: str,
        params: Message | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Message:
        """Send a request and return its result; raise :class:`RpcError` or a transport error."""
        reply = await self.request_reply(method, params, timeout=timeout, on_progress=on_progress)
        return reply.unwrap()

    async def request_batch(
        self, calls: Sequence[tuple[str, Message | None]], *, timeout: float | None = None
    ) -> list[Reply]:
        """Send requests as one JSON-RPC batch and wait for every reply (in the order given).

        Batches exist only in protocol revision 2025-03-26 (added there, removed in 2025-06-18).
        Requests still unanswered at the timeout are cancelled on the server.
        """
        if self.protocol_version != BATCH_VERSION:
            raise UsageError(
                f"JSON-RPC batches exist only in protocol {BATCH_VERSION}; this session speaks "
                f"{self.protocol_version} (pin it with --protocol {BATCH_VERSION})"
            )
        if self._closed is not None:
            raise self._closed
        replies: list[Reply] = []
        messages: list[Message] = []
        for method, params in calls:
            self._next_id += 1
            messages.append(self._stamped(self._next_id, method, params, False))
            replies.append(Reply(self._next_id, method, None, None))
            self._pending[self._next_id] = replies[-1]
        limit = self.options.timeout if timeout is None else timeout
        try:
            with trio.move_on_after(limit):
                await self.transport.send_batch(messages)
                for reply in replies:
                    await reply.event.wait()  # type: ignore[union-attr]
        except ServerError as exc:
            for reply in replies:
                self._resolve(reply.request_id, error=exc)
        except BaseException:
            for reply in replies:
                await self._abandon(reply, "client cancelled the request")
            raise
        for reply in replies:
            if await self._abandon(reply, f"timed out after {limit:g}s"):
                reply.error = RequestTimeout(method=reply.method, timeout=limit)
        return replies

    async def notify(self, method: str, params: Message | None = None) -> None:
        """Send a notification."""
        if self._closed is not None:
            raise self._closed
        await self._send([jsonrpc.notification(method, params)])

    async def _abandon(self, reply: Reply, reason: str) -> bool:
        """Forget a request still pending and cancel it on the server; False if it was answered."""
        self._progress.pop(reply.request_id, None)
        if self._pending.pop(reply.request_id, None) is None:
            return False
        self._abandoned[reply.request_id] = None
        if len(self._abandoned) > MAX_ABANDONED:
            del self._abandoned[next(iter(self._abandoned))]
        await self._cancel_on_server(reply.request_id, reply.method, reason)
        return True

    async def _cancel_on_server(self, request_id: RequestId, method: str, reason: str) -> None:
        if method in NEVER_CANCELLED or self._closed is not None:
            return
        msg = jsonrpc.notification("notifications/cancelled", {"requestId": request_id, "reason": reason})
        # suppressed: if the connection is gone there is nothing left to cancel
        with trio.CancelScope(shield=True), trio.move_on_after(2), contextlib.suppress(ServerError):
            await self.transport.send([msg])

    async def _send_inline(self, send: Callable[[Message], Awaitable[None]], msg: Message) -> None:
        try:
            await send(msg)
        except ServerError as exc:
            self._resolve(msg["id"], error=exc)
            raise

    async def _send(self, messages: list[Message]) -> None:
        try:
            await self.transport.send(messages)
        except ServerError as exc:
            for msg in messages:
                if "id" in msg:
                    self._resolve(msg["id"], error=exc)
            raise

    # -- the reader ---------------------------------------------------------------------------
    async def run_reader(self) -> None:
        """Route incoming messages until the connection ends; then fail whatever is pending."""
        receive = self.transport.receive
        resolve_result = self._resolve_result
        try:
            while True:
                for item in await receive():
                    if type(item) is dict and resolve_result(item):
                        # send what the callbacks queued while the server still has work, so
                        # client and server overlap instead of taking turns
                        if len(self._outbox) >= _EARLY_FLUSH:
                            await self.flush()
                        continue
                    if type(item) is dict:
                        await self._route(item)
                    else:
                        assert isinstance(item, Failed)
                        self._failed(item)
                if self._outbox:
                    await self.flush()
        except ServerError as exc:
            self._close(exc)
        finally:
            if self._closed is None:
                self._close(TransportError("session closed"))

    def _push(self, items: list[Incoming]) -> list[Incoming]:
        """A pushing transport's answers, routed in the task that read them: results for our
        requests are resolved here and the requests their callbacks queue go out at once;
        everything else is returned for the reader task."""
        rest: list[Incoming] = []
        for item in items:
            if not (type(item) is dict and self._resolve_result(item)):
                rest.append(item)
        if self._outbox and self._push_send is not None and self._closed is None:
            batch, self._outbox = self._outbox, []
            try:
                self._push_send(batch)
            except ServerError as exc:
                for msg in batch:
                    self._resolve(msg["id"], error=exc)
        return rest

    def _resolve_result(self, msg: Message) -> bool:
        """The hot path: ``msg`` is a result for a pending request without a progress callback."""
        if "result" not in msg or "method" in msg or type(msg["result"]) is not dict:
            return False
        reply = self._pending.get(msg.get("id"))  # type: ignore[arg-type]
        if reply is None or reply.on_progress is not None:
            return False
        del self._pending[reply.request_id]
        reply.received_ns = time.perf_counter_ns()
        reply.result = msg["result"]
        if reply.done is not None:
            reply.done(reply)
        else:
            reply.event.set()  # type: ignore[union-attr]
        return True

    def _close(self, exc: ServerError) -> None:
        self._closed = exc
        for request_id in list(self._pending):
            self._resolve(request_id, error=exc)

    def _failed(self, item: Failed) -> None:
        self.protocol_errors.append(item.error)
        if item.request_id is None:
            for request_id in list(self._pending):
                self._resolve(request_id, error=item.error)
        else:
            self._resolve(item.request_id, error=item.error)

    async def _route(self, msg: Message) -> None:
        # the hot path first: an answer to one of ours
        if "method" not in msg and "id" in msg and isinstance(msg.get("result"), dict):
            if not self._resolve(msg["id"], result=msg["result"]):
                self._unknown_answer(msg)
            return
        kind = jsonrpc.classify(msg)
        if kind == "notification":
            self._notification(msg)
        elif kind == "request":
            await self._server_request(msg)
        elif kind == "error":
            self._answer_error(msg)
        else:
            self._invalid(msg)

    def _answer_error(self, msg: Message) -> None:
        err = msg["error"]
        request_id = msg.get("id")
        pending = self._pending.get(request_id) if request_id is not None else None
        exc = RpcError(
            code=err["code"],
            message=str(err.get("message", "")),
            data=err.get("data"),
            method=pending.method if pending else "",
        )
        if request_id is None or not self._resolve(request_id, error=exc):
            self._unknown_answer(msg)

    def _invalid(self, msg: Message) -> None:
        error = ProtocolError(f"server sent an invalid JSON-RPC message: {_excerpt(msg)}")
        request_id = msg.get("id")
        if isinstance(request_id, int | str) and self._resolve(request_id, error=error):
            return
        self._broken_stream(error)

    def _unknown_answer(self, msg: Message) -> None:
        request_id = msg.get("id")
        if isinstance(request_id, int | str) and request_id in self._abandoned:
            # the server answered before it saw our cancellation: the spec allows that race
            del self._abandoned[request_id]
            self.late_answers += 1
            return
        error = ProtocolError(f"server answered unknown request id {msg.get('id')!r}: {_excerpt(msg)}")
        self._broken_stream(error)

    def _broken_stream(self, error: ServerError) -> None:
        # Where answers are not bound to their requests (stdio), a wrong id or a garbled answer
        # means the one we wait for will never come: fail what is pending instead of hanging.
        if self.transport.unbound_responses:
            self._failed(Failed(None, error))
        else:
            self.protocol_errors.append(error)

    def _resolve(
        self, request_id: RequestId, *, result: Message | None = None, error: McpctlError | None = None
    ) -> bool:
        reply = self._pending.pop(request_id, None)
        if reply is None:
            return False
        if reply.on_progress is not None:
            self._progress.pop(request_id, None)
        reply.received_ns = time.perf_counter_ns()
        reply.result = result
        reply.error = error
        if reply.event is not None:
            reply.event.set()
        else:
            assert reply.done is not None
            reply.done(reply)
        return True

    # -- what the server sends on its own ------------------------------------------------------
    def _notification(self, msg: Message) -> None:
        self.notifications.append(msg)
        params = msg.get("params")
        if msg["method"] == "notifications/progress" and isinstance(params, dict):
            reply = self._progress.get(params.get("progressToken"))  # type: ignore[arg-type]
            if reply is not None and reply.on_progress is not None:
                reply.on_progress(_progress(params))
        if self.on_notification is not None:
            self.on_notification(msg)

    async def _server_request(self, msg: Message) -> None:
        self.server_requests.append(msg)
        answer = self.answer_server_request(msg["method"], msg.get("params"))
        reply = (
            jsonrpc.result(msg["id"], answer) if isinstance(answer, dict) else {**answer[1], "id": msg["id"]}
        )
        try:
            await self.transport.send([reply])
        except ServerError as exc:
            self.protocol_errors.append(exc)

    def answer_server_request(self, method: str, params: JSONValue) -> Message | tuple[None, Message]:
        """The answer to a server-initiated request: a result dict, or ``(None, error message)``."""
        opts = self.options
        if method == "ping":
            return {}
        if method == "roots/list":
            return {"roots": list(opts.roots or ())}
        if method == "sampling/createMessage" and opts.sampling_reply is not None:
            return dict(opts.sampling_reply)
        if method == "elicitation/create" and opts.elicitation_reply == "defaults":
            return _accept_defaults(params)
        if method == "elicitation/create" and isinstance(opts.elicitation_reply, dict):
            return dict(opts.elicitation_reply)
        if method in ("sampling/createMessage", "elicitation/create"):
            reason = f"{method} refused: mcpctl has no canned reply configured for it"
            return None, jsonrpc.error(None, jsonrpc.METHOD_NOT_FOUND, reason)
        return None, jsonrpc.error(None, jsonrpc.METHOD_NOT_FOUND, f"method not found: {method}")


def _accept_defaults(params: JSONValue) -> Message:
    """Accept a form elicitation with each field's schema ``default`` (SEP-1034)."""
    schema = params.get("requestedSchema") if isinstance(params, dict) else None
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {"action": "decline"}
    content = {
        name: prop["default"] for name, prop in props.items() if isinstance(prop, dict) and "default" in prop
    }
    return {"action": "accept", "content": content}


def _progress(params: Message) -> Progress:
    progress = params.get("progress")
    total = params.get("total")
    message = params.get("message")
    return Progress(
        progress=float(progress) if isinstance(progress, int | float) else 0.0,
        total=float(total) if isinstance(total, int | float) else None,
        message=message if isinstance(message, str) else None,
    )


def _excerpt(msg: Message) -> str:
    text = jsonrpc.encode(msg).decode("utf-8", "replace")
    return text if len(text) <= 200 else text[:200] + "…"
