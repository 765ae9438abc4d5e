"""The MCP client: connect to a server target and call its features as typed methods.

::

    async with open_client(StdioTarget(command=("python", "server.py"))) as client:
        tools = await client.list_tools()
        result = await client.call_tool("echo", {"text": "hi"})
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import trio

from mcpctl.errors import ProtocolError, TransportError
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.mcp.negotiate import negotiate
from mcpctl.mcp.results import CallResult, Negotiated
from mcpctl.mcp.session import ClientOptions, ClientSession, ProgressCallback, Reply
from mcpctl.mcp.transports.base import FrameTap, Transport
from mcpctl.mcp.transports.stdio import DEFAULT_MAX_FRAME, open_stdio_transport

if TYPE_CHECKING:
    from mcpctl.mcp.auth.provider import AuthProvider

MAX_PAGES = 1000
INPUT_REQUIRED_ROUNDS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class StdioTarget:
    """A server started as a child process, speaking on its stdin/stdout."""

    command: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None

    def describe(self) -> str:
        return " ".join(self.command)


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpTarget:
    """A server at a URL: Streamable HTTP, or legacy HTTP+SSE (2024-11-05)."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    bearer_token: str | None = None
    transport: Literal["streamable", "sse"] = "streamable"
    backend: Literal["httpx", "lean"] = "httpx"
    auth: AuthProvider | None = None
    """OAuth (or any provider): stamps ``Authorization`` and re-authorizes on 401/403 (Streamable HTTP)."""

    def describe(self) -> str:
        return self.url


ServerTarget = StdioTarget | HttpTarget


@contextlib.asynccontextmanager
async def open_transport(
    target: ServerTarget, *, tap: FrameTap | None = None, max_frame: int = DEFAULT_MAX_FRAME
) -> AsyncIterator[Transport]:
    """Open the transport ``target`` calls for."""
    if isinstance(target, StdioTarget):
        async with open_stdio_transport(
            target.command, env=target.env, cwd=target.cwd, tap=tap, max_frame=max_frame
        ) as stdio:
            yield stdio
    elif target.transport == "sse":
        from mcpctl.mcp.transports.sse import open_sse_transport

        async with open_sse_transport(
            target.url,
            headers=dict(target.headers),
            bearer_token=target.bearer_token,
            tap=tap,
            max_frame=max_frame,
        ) as sse:
            yield sse
    else:
        from mcpctl.mcp.transports.http import open_http_transport

        async with open_http_transport(
            target.url,
            headers=dict(target.headers),
            bearer_token=target.bearer_token,
            backend=target.backend,
            tap=tap,
            max_frame=max_frame,
            auth=target.auth,
        ) as http:
            yield http


@contextlib.asynccontextmanager
async def open_client(
    target: ServerTarget,
    *,
    options: ClientOptions | None = None,
    protocol: str = "auto",
    tap: FrameTap | None = None,
    max_frame: int = DEFAULT_MAX_FRAME,
    connect_timeout: float = 30.0,
) -> AsyncIterator[Client]:
    """Start or reach ``target``, negotiate the protocol, and yield a connected :class:`Client`.

    An exception from the body leaves as itself, not wrapped in an exception group: the
    reader task never raises, so the body is the only source.
    """
    with _unwrap_single():
        async with _open_client(
            target,
            options=options,
            protocol=protocol,
            tap=tap,
            max_frame=max_frame,
            connect_timeout=connect_timeout,
        ) as client:
            yield client


@contextlib.contextmanager
def _unwrap_single() -> Iterator[None]:
    try:
        yield
    except BaseExceptionGroup as group:
        inner: BaseException = group
        while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
            inner = inner.exceptions[0]
        if inner is group:
            raise
        raise inner from None


@contextlib.asynccontextmanager
async def _open_client(
    target: ServerTarget,
    *,
    options: ClientOptions | None,
    protocol: str,
    tap: FrameTap | None,
    max_frame: int,
    connect_timeout: float,
) -> AsyncIterator[Client]:
    async with (
        open_transport(target, tap=tap, max_frame=max_frame) as transport,
        trio.open_nursery() as nursery,
    ):
        session = ClientSession(transport, options)
        nursery.start_soon(session.run_reader)
        try:
            with trio.fail_after(connect_timeout):
                negotiated = await negotiate(session, protocol)
        except trio.TooSlowError:
            raise TransportError(
                f"{target.describe()}: no answer to the protocol handshake within {connect_timeout:g}s"
            ) from None
        client = Client(session, negotiated)
        if (
            session.options.log_level is not None
            and negotiated.era == "handshake"
            and "logging" in negotiated.capabilities
        ):
            await client.set_logging_level(session.options.log_level)
        try:
            yield client
        finally:
            nursery.cancel_scope.cancel()


class Client:
    """Typed MCP calls over a connected :class:`ClientSession`."""

    def __init__(self, session: ClientSession, negotiated: Negotiated) -> None:
        self.session = session
        self.negotiated = negotiated

    # -- listing ----------------------------------------------------------------------------
    async def list_all(self, method: str, key: str, *, timeout: float | None = None) -> list[Message]:
        """Every item of a paginated list method, following ``nextCursor``."""
        items: list[Message] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            params = {"cursor": cursor} if cursor is not None else None
            result = await self.session.request(method, params, timeout=timeout)
            page = result.get(key)
            if not isinstance(page, list):
                raise ProtocolError(f"{method}: result has no {key!r} list")
            items.extend(item for item in page if isinstance(item, dict))
            cursor = result.get("nextCursor")
            if not isinstance(cursor, str) or not cursor:
                return items
            if cursor in seen:
                raise ProtocolError(f"{method}: server repeated cursor {cursor!r} (pagination loop)")
            seen.add(cursor)
        raise ProtocolError(f"{method}: more than {MAX_PAGES} pages")

    async def list_tools(self) -> list[Message]:
        return await self.list_all("tools/list", "tools")

    async def list_resources(self) -> list[Message]:
        return await self.list_all("resources/list", "resources")

    async def list_resource_templates(self) -> list[Message]:
        return await self.list_all("resources/templates/list", "resourceTemplates")

    async def list_prompts(self) -> list[Message]:
        return await self.list_all("prompts/list", "prompts")

    # -- calling ----------------------------------------------------------------------------
    async def call_tool(
        self,
        name: str,
        arguments: Mapping[str, JSONValue] | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> CallResult:
        """Call a tool; a tool-level failure is ``CallResult.is_error``, not an exception."""
        start = time.perf_counter_ns()
        params: Message = {"name": name, "arguments": dict(arguments or {})}
        result = await self._complete("tools/call", params, timeout=timeout, on_progress=on_progress)
        return CallResult.from_result(result, elapsed_ms=(time.perf_counter_ns() - start) / 1e6)

    async def read_resource(self, uri: str, *, timeout: float | None = None) -> Message:
        return await self._complete("resources/read", {"uri": uri}, timeout=timeout)

    async def get_prompt(
        self, name: str, arguments: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> Message:
        params: Message = {"name": name}
        if arguments:
            params["arguments"] = dict(arguments)
        return await self._complete("prompts/get", params, timeout=timeout)

    async def complete(
        self, ref: Message, argument: Mapping[str, str], *, context: Message | None = None
    ) -> Message:
        """``completion/complete`` for a prompt (``{"type": "ref/prompt", "name": ...}``) or template ref."""
        params: Message = {"ref": dict(ref), "argument": dict(argument)}
        if context is not None:
            params["context"] = context
        return await self.session.request("completion/complete", params)

    async def set_logging_level(self, level: str) -> None:
        """Handshake era: ``logging/setLevel``. Modern era (which removed it): the per-request
        log opt-in in ``params._meta`` from now on."""
        if self.negotiated.era == "modern":
            self.session.set_log_level(level)
        else:
            await self.session.request("logging/setLevel", {"level": level})

    async def ping(self) -> float:
        """Round-trip a liveness probe; returns the latency in milliseconds.

        ``ping`` in the handshake era; the modern era removed ``ping``, so there the probe is
        ``server/discover`` (stateless and cheap by design).
        """
        if self.negotiated.era == "modern":
            reply = await self.session.request_reply("server/discover")
        else:
            reply = await self.session.request_reply("ping")
        reply.unwrap()
        return reply.latency_ms

    async def exchange(
        self,
        method: str,
        params: Message | None = None,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        inline: bool = False,
    ) -> Reply:
        """Send ``method`` and return its final :class:`Reply` (an error reply does not raise), answering
        modern ``input_required`` results on the way; the reply's send time and first byte are the first
        round's, so its timing spans the whole exchange. Raises ``ProtocolError`` for a server that asks
        for input without saying what, or more than ``INPUT_REQUIRED_ROUNDS`` times. ``inline``: see
        :meth:`ClientSession.request_reply`."""
        first: Reply | None = None
        for _ in range(INPUT_REQUIRED_ROUNDS):
            reply = await self.session.request_reply(
                method, params, timeout=timeout, on_progress=on_progress, inline=inline
            )
            if first is None:
                first = reply
            else:
                reply.sent_ns, reply.first_byte_ns = first.sent_ns, first.first_byte_ns
            result = reply.result
            if result is None or result.get("resultType", "complete") != "input_required":
                return reply
            params = {k: v for k, v in (params or {}).items() if k not in ("inputResponses", "requestState")}
            requests = result.get("inputRequests")
            if isinstance(requests, dict) and requests:
                params["inputResponses"] = self._answer_inputs(requests)
            state = result.get("requestState")
            if isinstance(state, str):
                params["requestState"] = state
            elif not requests:
                raise ProtocolError(f"{method}: input_required result without inputRequests or requestState")
        raise ProtocolError(f"{method}: server asked for input more than {INPUT_REQUIRED_ROUNDS} times")

    async def _complete(
        self,
        method: str,
        params: Message,
        *,
        timeout: float | None,
        on_progress: ProgressCallback | None = None,
    ) -> Message:
        """Send ``method`` until its result is complete; raise its error."""
        reply = await self.exchange(method, params, timeout=timeout, on_progress=on_progress)
        return reply.unwrap()

    def _answer_inputs(self, requests: Message) -> Message:
        answers: Message = {}
        for key, request in requests.items():
            if not isinstance(request, dict):
                continue
            answer = self.session.answer_server_request(str(request.get("method")), request.get("params"))
            answers[key] = answer if isinstance(answer, dict) else answer[1]["error"]
        return answers
