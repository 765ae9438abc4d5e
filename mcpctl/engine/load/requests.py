"""What a load test sends: each scenario entry with its templates compiled, and the pick of the next one.

The entry of each request is one draw ``randrange(total weight)`` of ``random.Random(seed)``, entries owning
consecutive ranges in scenario order; random data order draws from ``random.Random(seed + 1)``. An entry
without templates builds its params once and every request sends that same dict.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Mapping
from itertools import accumulate

from mcpctl.engine.batch.records import read_records
from mcpctl.errors import McpctlError, RequestTimeout, RpcError, UsageError
from mcpctl.mcp.client import Client
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.load_model import LoadCall, LoadTestSpec
from mcpctl.spec.model import CallTool, GetPrompt, ReadResource
from mcpctl.spec.templating import CompiledTemplate, compile_template, has_template

Request = tuple[dict[str, JSONValue], str]
"""A rendered request: its arguments and its URI ("" unless it reads a resource)."""
FIXED: Request = ({}, "")
"""The request of an entry without templates: its params were built once (``Entry.fixed_params``)."""


def _compile(value: object) -> object:
    """``value`` with each template string compiled once (the rest kept as is)."""
    if isinstance(value, str):
        return compile_template(value) if has_template(value) else value
    if isinstance(value, list | tuple):
        return [_compile(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _compile(item) for key, item in value.items()}
    return value


def _templated(value: object) -> bool:
    """Whether a compiled value holds a template anywhere."""
    if isinstance(value, CompiledTemplate):
        return True
    if isinstance(value, list):
        return any(_templated(item) for item in value)
    if isinstance(value, dict):
        return any(_templated(item) for item in value.values())
    return False


def _render(value: object, context: Mapping[str, object]) -> JSONValue:
    if isinstance(value, CompiledTemplate):
        return value.evaluate(context)  # evaluate gives JSON-like data
    if isinstance(value, list):
        return [_render(item, context) for item in value]
    if isinstance(value, dict):
        return {key: _render(item, context) for key, item in value.items()}
    return value


class Entry:
    """A scenario entry with its templates compiled (and, without templates, its params built once)."""

    def __init__(self, call: LoadCall) -> None:
        self.name = call.name
        action = call.action
        self.action = action
        arguments = action.arguments if isinstance(action, CallTool | GetPrompt) else {}
        self.arguments = _compile(arguments)
        self.uri = _compile(action.uri) if isinstance(action, ReadResource) else None
        if isinstance(action, CallTool):
            self.method = "tools/call"
        elif isinstance(action, ReadResource):
            self.method = "resources/read"
        elif isinstance(action, GetPrompt):
            self.method = "prompts/get"
        else:
            self.method = f"{action.kind}/list"
        # the session never changes the params it is given (it stamps a copy): one dict serves every request
        self.fixed = not _templated(self.arguments) and not _templated(self.uri)
        self.fixed_params = self._params(self.render({})) if self.fixed else None

    def render(self, context: Mapping[str, object]) -> tuple[dict[str, JSONValue], str]:
        """The request's arguments and URI rendered with ``context`` (:class:`TemplateError` if they fail)."""
        arguments = _render(self.arguments, context)
        assert isinstance(arguments, dict)
        return arguments, "" if self.uri is None else str(_render(self.uri, context))

    def _params(self, request: Request) -> dict[str, JSONValue] | None:
        action, (arguments, uri) = self.action, request
        if isinstance(action, CallTool):
            return {"name": action.tool, "arguments": arguments}
        if isinstance(action, ReadResource):
            return {"uri": uri}
        if isinstance(action, GetPrompt):
            texts: dict[str, JSONValue] = {
                key: value if isinstance(value, str) else str(value) for key, value in arguments.items()
            }
            return {"name": action.name, "arguments": texts} if texts else {"name": action.name}
        return None

    async def send(self, client: Client, request: Request, timeout: float) -> tuple[str, int, int]:
        """Send the rendered request: its outcome, its time to first byte in ns (0 where unknown: stdio) and
        when the answer came (0 without one).

        The request travels in this task where the transport can (HTTP): what one request in flight waits
        for is then one task start and one wake-up shorter. Errors the session raises instead of answering
        (it is closed) are the caller's.
        """
        params = self.fixed_params if self.fixed else self._params(request)
        reply = await client.exchange(self.method, params, timeout=timeout, inline=True)
        first_byte = reply.first_byte_ns - reply.sent_ns if reply.first_byte_ns else 0
        if reply.error is not None:
            return outcome(reply.error), first_byte, reply.received_ns
        assert reply.result is not None
        if self.method == "tools/call" and reply.result.get("isError") is True:
            return "is_error", first_byte, reply.received_ns
        return "ok", first_byte, reply.received_ns


def outcome(error: McpctlError) -> str:
    if isinstance(error, RpcError):
        return f"rpc_error:{error.code}"
    if isinstance(error, RequestTimeout):
        return "timeout"
    return "transport"


class Requests:
    """Picks each request's entry and data record."""

    def __init__(self, spec: LoadTestSpec, seed: int) -> None:
        self.entries = [Entry(call) for call in spec.scenario]
        self.bounds = list(accumulate(call.weight for call in spec.scenario))
        self.picks = random.Random(seed)
        self.draws = random.Random(seed + 1)
        self.vars = dict(spec.vars)
        self.records: list[dict[str, JSONValue]] = []
        self.random_order = spec.data is not None and spec.data.order == "random"
        self.cursor = 0
        if spec.data is not None:
            records = read_records(spec.data.file, format=spec.data.format, key=None)
            if not records:
                raise UsageError(f"{spec.data.file}: the data file has no records")
            self.records = [record.fields for record in records]

    def next(self, vu: int, iteration: int) -> tuple[Entry, dict[str, object]]:
        entry = self.entries[bisect_right(self.bounds, self.picks.randrange(self.bounds[-1]))]
        data: object = None
        if self.records:
            if self.random_order:
                data = self.records[self.draws.randrange(len(self.records))]
            else:
                data = self.records[self.cursor % len(self.records)]
                self.cursor += 1
        return entry, {"data": data, "vu": vu, "iteration": iteration, "vars": self.vars}
