"""A MockServer spec served: shared state (scenario, counters, dice, call history) and the JSON-RPC
dispatch of each client session. Transports (stdio.py, http.py) feed it messages.

Answers follow MCP 2025-11-25 for what a server owes: ``initialize`` negotiates any revision from
2024-11-05 (the client's if known, else the latest), unknown methods get -32601, bad params -32602,
an unknown resource -32002, arguments that fail a tool's inputSchema an ``isError`` result (so a
model can correct itself), and a cancelled request no answer at all.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import trio

from mcpctl.mcp.jsonrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    Message,
    RequestId,
    classify,
    error,
    notification,
    result,
)
from mcpctl.mcp.protocol import HANDSHAKE_VERSIONS, HISTORY_METHOD, SCENARIO_METHOD
from mcpctl.mock.behaviour import Dice
from mcpctl.mock.catalog import Catalog, RpcProblem, page
from mcpctl.mock.history import CallRecord
from mcpctl.mock.outbox import Outbox
from mcpctl.mock.session import Notify, StreamPolicy
from mcpctl.mock.tools import ToolCall, answer_call
from mcpctl.spec.mock_model import LOG_LEVELS, MockServerSpec, MockTool

SUPPORTED_VERSIONS = HANDSHAKE_VERSIONS
"""The mock speaks the handshake era (``server/discover`` is answered -32601: clients fall back)."""
LATEST = SUPPORTED_VERSIONS[-1]


class ServedMock:
    """One served MockServer spec; implements :class:`mcpctl.mock.session.MockApp`."""

    def __init__(self, spec: MockServerSpec) -> None:
        self.scenario = spec.scenario
        self.dice = Dice(spec.seed)
        self.calls = 0
        self.tool_calls: dict[str, int] = {}
        self.history: list[CallRecord] = []
        self._sessions: list[MockServerSession] = []
        self._adopt(spec)

    def _adopt(self, spec: MockServerSpec) -> None:
        """Take ``spec``'s tools, catalog and rules (sequences start again)."""
        self.spec = spec
        self.catalog = Catalog(spec)
        self.rule_hits: dict[tuple[str, int], int] = {}
        self.tools = {tool.name: tool for tool in spec.tools}
        self.instant_tools = {tool.name for tool in spec.tools if _instant(spec, tool)}
        self._listed: dict[str, list[Message]] = {}

    async def reload(self, spec: MockServerSpec) -> None:
        """Serve ``spec`` from now on (hot reload), keeping sessions, counters and history; a new
        starting scenario or seed takes effect; sessions hear of a changed tool list."""
        before = self.tool_list()
        if spec.scenario != self.spec.scenario:
            self.scenario = spec.scenario
        if spec.seed != self.spec.seed:
            self.dice = Dice(spec.seed)
        self._adopt(spec)
        if self.tool_list() != before:
            for session in list(self._sessions):
                await session.unsolicited(notification("notifications/tools/list_changed"))

    def open_session(self, unsolicited: Notify) -> MockServerSession:
        session = MockServerSession(self, len(self._sessions) + 1, unsolicited)
        self._sessions.append(session)
        return session

    def forget(self, session: MockServerSession) -> None:
        if session in self._sessions:
            self._sessions.remove(session)

    def visible(self, tool: MockTool) -> bool:
        return not tool.scenarios or self.scenario in tool.scenarios

    def tool_list(self) -> list[Message]:
        """The tools listed in the current scenario (entries built once per scenario)."""
        listed = self._listed.get(self.scenario)
        if listed is None:
            listed = [_tool_entry(tool) for tool in self.spec.tools if self.visible(tool)]
            self._listed[self.scenario] = listed
        return listed

    async def switch(self, scenario: str) -> None:
        """Enter ``scenario``; tell every session when that changes the tool list."""
        if scenario == self.scenario:
            return
        before = [t["name"] for t in self.tool_list()]
        self.scenario = scenario
        if [t["name"] for t in self.tool_list()] != before:
            for session in list(self._sessions):
                await session.unsolicited(notification("notifications/tools/list_changed"))

    def capabilities(self) -> Message:
        spec = self.spec
        caps: Message = {"logging": {}}
        if spec.tools:
            caps["tools"] = {"listChanged": any(tool.scenarios for tool in spec.tools)}
        if spec.resources or spec.resource_templates or spec.subscriptions:
            caps["resources"] = {"listChanged": False, "subscribe": spec.subscriptions}
        if spec.prompts:
            caps["prompts"] = {"listChanged": False}
        if spec.completions:
            caps["completions"] = {}
        return caps


def _instant(spec: MockServerSpec, tool: MockTool) -> bool:
    """A tool whose answers never wait: no latency, progress, delayed log, request to the client or
    stream break anywhere it could come from."""
    if tool.behaviour.latency or tool.behaviour.progress or spec.behaviour.latency or spec.behaviour.progress:
        return False
    responses = [r for rule in tool.rules for r in rule.respond] + ([tool.default] if tool.default else [])
    return all(
        r.latency is None and r.ask is None and not r.disconnect and all(m.delay is None for m in r.log)
        for r in responses
    )


def _tool_entry(tool: MockTool) -> Message:
    entry: Message = {"name": tool.name, "inputSchema": dict(tool.input_schema)}
    if tool.title:
        entry["title"] = tool.title
    if tool.description:
        entry["description"] = tool.description
    if tool.output_schema is not None:
        entry["outputSchema"] = dict(tool.output_schema)
    if tool.annotations is not None:
        entry["annotations"] = dict(tool.annotations)
    return entry


Handler = Callable[["MockServerSession", Message, Notify, Message], Awaitable[Message]]


class MockServerSession:
    """One client's session: dispatches its requests, tracks them for cancellation."""

    def __init__(self, app: ServedMock, number: int, unsolicited: Notify) -> None:
        self.app = app
        self.number = number
        self.unsolicited = unsolicited
        self.protocol_version = LATEST
        self.client_capabilities: Message = {}
        self.log_level = 0
        """The index in LOG_LEVELS of the least severe message the client wants (all by default)."""
        self.subscribed: set[str] = set()
        self.outbox = Outbox()
        self._inflight: dict[RequestId, trio.CancelScope] = {}

    def stream_policy(self) -> StreamPolicy | None:
        """Resumable HTTP event streams, when the spec asks and the client can read a priming event."""
        sse = self.app.spec.sse
        if not sse.resumable or self.protocol_version < "2025-11-25":
            return None
        return StreamPolicy(retry_ms=round(sse.retry.seconds * 1000))

    def instant(self, message: Message) -> bool:
        if message.get("method") != "tools/call":
            return True
        params = message.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        return name not in self.app.tools or name in self.app.instant_tools

    def close(self) -> None:
        for scope in self._inflight.values():
            scope.cancel()
        self.app.forget(self)

    async def handle(self, message: Message, related: Notify) -> Message | None:
        kind = classify(message)
        if kind == "notification":
            self._notified(message)
            return None
        if kind in ("response", "error"):
            self.outbox.deliver(message)
            return None
        if kind == "invalid":
            request_id = message.get("id")
            valid_id = isinstance(request_id, str | int) and not isinstance(request_id, bool)
            return error(request_id if valid_id else None, INVALID_REQUEST, "Invalid Request")
        return await self._request(message, related)

    def _notified(self, message: Message) -> None:
        if message["method"] == "notifications/cancelled":
            params = message.get("params")
            request_id = params.get("requestId") if isinstance(params, dict) else None
            scope = self._inflight.get(request_id) if isinstance(request_id, str | int) else None
            if scope is not None:
                scope.cancel()

    async def _request(self, message: Message, related: Notify) -> Message | None:
        request_id, method = message["id"], message["method"]
        handler = HANDLERS.get(method)
        if handler is None:
            return error(request_id, METHOD_NOT_FOUND, f"Method not found: {method}")
        params = message.get("params", {})
        if not isinstance(params, dict):
            return error(request_id, INVALID_PARAMS, "params must be an object")
        if self.instant(message):  # answered before a cancellation could arrive: no scope to track
            return await _answer(self, handler, request_id, params, related, message)
        with trio.CancelScope() as scope:
            self._inflight[request_id] = scope
            try:
                return await _answer(self, handler, request_id, params, related, message)
            finally:
                self._inflight.pop(request_id, None)
        return None  # cancelled: a cancelled request gets no answer


async def _answer(
    session: MockServerSession,
    handler: Handler,
    request_id: RequestId,
    params: Message,
    related: Notify,
    message: Message,
) -> Message:
    try:
        return result(request_id, await handler(session, params, related, message))
    except RpcProblem as problem:
        return error(request_id, problem.code, problem.message, problem.data)


async def _initialize(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    app = session.app
    asked, caps = params.get("protocolVersion"), params.get("capabilities")
    session.protocol_version = asked if asked in SUPPORTED_VERSIONS else LATEST
    session.client_capabilities = caps if isinstance(caps, dict) else {}
    info: Message = {"name": app.spec.server_name, "version": app.spec.server_version}
    if app.spec.server_title:
        info["title"] = app.spec.server_title
    answer: Message = {
        "protocolVersion": session.protocol_version,
        "capabilities": app.capabilities(),
        "serverInfo": info,
    }
    if app.spec.instructions:
        answer["instructions"] = app.spec.instructions
    return answer


async def _empty(session: MockServerSession, params: Message, related: Notify, message: Message) -> Message:
    return {}


async def _set_level(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    level = params.get("level")
    if level not in LOG_LEVELS:
        raise RpcProblem(INVALID_PARAMS, f"Invalid log level: {level!r} (one of {', '.join(LOG_LEVELS)})")
    session.log_level = LOG_LEVELS.index(level)
    return {}


async def _subscribe(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    uri = params.get("uri")
    if not session.app.spec.subscriptions:
        raise RpcProblem(METHOD_NOT_FOUND, f"Method not found: {message['method']} (subscriptions are off)")
    if not isinstance(uri, str) or not uri:
        raise RpcProblem(INVALID_PARAMS, "uri must be a non-empty string")
    if message["method"] == "resources/subscribe":
        session.subscribed.add(uri)
    else:
        session.subscribed.discard(uri)
    return {}


async def _tools_list(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    return page(session.app.tool_list(), "tools", params, session.app.spec.page_size)


async def _tools_call(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    app = session.app
    name, arguments = params.get("name"), params.get("arguments", {})
    tool = app.tools.get(name) if isinstance(name, str) else None
    if tool is None or not app.visible(tool):
        raise RpcProblem(INVALID_PARAMS, f"Unknown tool: {name}")
    if not isinstance(arguments, dict):
        raise RpcProblem(INVALID_PARAMS, "arguments must be an object")
    meta = params.get("_meta")
    token = meta.get("progressToken") if isinstance(meta, dict) else None
    call = ToolCall(tool=tool, arguments=arguments, progress_token=token, session=session)
    return await answer_call(app, call, related, started=time.time())


async def _resources_list(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    return page(session.app.catalog.resource_list, "resources", params, session.app.spec.page_size)


async def _templates_list(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    return page(session.app.catalog.template_list, "resourceTemplates", params, session.app.spec.page_size)


async def _resources_read(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    uri = params.get("uri")
    if not isinstance(uri, str):
        raise RpcProblem(INVALID_PARAMS, "uri must be a string")
    return session.app.catalog.read(uri, {"scenario": session.app.scenario})


async def _prompts_list(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    return page(session.app.catalog.prompt_list, "prompts", params, session.app.spec.page_size)


async def _prompts_get(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    name, arguments = params.get("name"), params.get("arguments", {})
    if not isinstance(name, str) or not isinstance(arguments, dict):
        raise RpcProblem(INVALID_PARAMS, "name must be a string and arguments an object")
    return session.app.catalog.get_prompt(name, arguments, {"scenario": session.app.scenario})


async def _complete(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    ref, argument = params.get("ref"), params.get("argument")
    if not isinstance(ref, dict) or not isinstance(argument, dict):
        raise RpcProblem(INVALID_PARAMS, "ref and argument must be objects")
    return session.app.catalog.complete(ref, argument)


async def _set_scenario(
    session: MockServerSession, params: Message, related: Notify, message: Message
) -> Message:
    scenario = params.get("scenario")
    if not isinstance(scenario, str) or not scenario:
        raise RpcProblem(INVALID_PARAMS, "scenario must be a non-empty string")
    await session.app.switch(scenario)
    return {"scenario": scenario}


async def _history(session: MockServerSession, params: Message, related: Notify, message: Message) -> Message:
    app = session.app
    tool = params.get("tool")
    calls = [record.as_json() for record in app.history if tool is None or record.tool == tool]
    if params.get("clear") is True:
        app.history.clear()
    return {"calls": calls, "scenario": app.scenario}


HANDLERS: dict[str, Handler] = {
    "initialize": _initialize,
    "ping": _empty,
    "logging/setLevel": _set_level,
    "tools/list": _tools_list,
    "tools/call": _tools_call,
    "resources/list": _resources_list,
    "resources/templates/list": _templates_list,
    "resources/read": _resources_read,
    "resources/subscribe": _subscribe,
    "resources/unsubscribe": _subscribe,
    "prompts/list": _prompts_list,
    "prompts/get": _prompts_get,
    "completion/complete": _complete,
    SCENARIO_METHOD: _set_scenario,
    HISTORY_METHOD: _history,
}
