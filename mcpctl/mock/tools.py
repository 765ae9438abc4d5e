"""Answering one ``tools/call`` of a mock: input validation, injected errors, latency, progress,
the matching rule (or the default), scenario switches, and the call's record in the history."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import trio

from mcpctl.mcp.jsonrpc import JSONValue, Message, notification
from mcpctl.mock.answers import default_result, pick, render, rule_applies, validator
from mcpctl.mock.behaviour import merged
from mcpctl.mock.catalog import RpcProblem
from mcpctl.mock.history import CallRecord
from mcpctl.mock.session import Notify
from mcpctl.spec.mock_model import Behaviour, MockTool, Response
from mcpctl.spec.templating import TemplateError

if TYPE_CHECKING:
    from mcpctl.mock.app import ServedMock

INTERNAL_ERROR = -32603


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    tool: MockTool
    arguments: Mapping[str, JSONValue]
    progress_token: JSONValue = None
    session: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Choice:
    response: Response | None
    label: str


def _choose(app: ServedMock, call: ToolCall) -> _Choice:
    tool = call.tool
    for index, rule in enumerate(tool.rules):
        if rule_applies(rule, call.arguments, app.scenario):
            key = (tool.name, index)
            nth = app.rule_hits.get(key, 0)
            app.rule_hits[key] = nth + 1
            return _Choice(response=pick(rule, nth), label=f"responses[{index}]")
    if tool.default is not None:
        return _Choice(response=tool.default, label="default")
    return _Choice(response=None, label="generated")


def _invalid(tool: MockTool, arguments: Mapping[str, JSONValue]) -> str | None:
    checker = validator(tool.input_schema)
    if checker.is_valid(arguments):
        return None
    problem = next(iter(checker.iter_errors(dict(arguments))), None)
    if problem is None:
        return None
    where = "/".join(str(p) for p in problem.absolute_path)
    return f"Invalid arguments for tool {tool.name}: {problem.message}" + (f" at {where}" if where else "")


async def _progress(behaviour: Behaviour, token: JSONValue, related: Notify) -> None:
    progress = behaviour.progress
    if progress is None or token is None:
        return
    for step in range(1, progress.steps + 1):
        await trio.sleep(progress.interval.seconds)
        params: Message = {"progressToken": token, "progress": step, "total": progress.steps}
        await related(notification("notifications/progress", params))


async def answer_call(app: ServedMock, call: ToolCall, related: Notify, *, started: float) -> Message:
    """The result of ``call`` (or a raised :class:`RpcProblem`), after its latency and progress."""
    tool = call.tool
    start = time.perf_counter()
    app.calls += 1
    count = app.tool_calls[tool.name] = app.tool_calls.get(tool.name, 0) + 1
    behaviour = merged(app.spec.behaviour, tool.behaviour)
    scenario = app.scenario
    invalid = _invalid(tool, call.arguments)
    injected = None if invalid else app.dice.fails(behaviour)
    choice = _Choice(response=None, label="invalid-arguments") if invalid else _choose(app, call)
    if injected is not None:
        choice = _Choice(response=None, label="error-rate")
    own = choice.response.latency if choice.response is not None else None
    delay = app.dice.seconds(own or behaviour.latency)
    await _progress(behaviour, call.progress_token, related)
    if delay > 0:
        await trio.sleep(delay)
    record = _Record(app=app, call=call, label=choice.label, scenario=scenario, started=started, start=start)
    if invalid is not None:
        record.done(is_error=True)
        return {"content": [{"type": "text", "text": invalid}], "isError": True}
    if injected is not None:
        record.done(is_error=True, code=injected.code)
        raise RpcProblem(injected.code, injected.message, injected.data)
    context = {"args": dict(call.arguments), "call": {"count": count}, "scenario": scenario}
    try:
        answer = _answer(choice.response, tool, context)
    except RpcProblem as problem:
        record.done(is_error=True, code=problem.code)
        raise
    finally:
        await _switches(app, choice.response)
    record.done(is_error=answer.get("isError") is True)
    return answer


def _answer(response: Response | None, tool: MockTool, context: Mapping[str, object]) -> Message:
    """The tool result of ``response``; raises :class:`RpcProblem` for a JSON-RPC error answer."""
    if response is None:
        return default_result(tool)
    if response.error is not None:
        problem = response.error
        raise RpcProblem(problem.code, problem.message, problem.data)
    try:
        return render(response, context)
    except TemplateError as exc:
        raise RpcProblem(INTERNAL_ERROR, f"mock template failed: {exc}") from None


async def _switches(app: ServedMock, response: Response | None) -> None:
    if response is not None and response.switch_to is not None:
        await app.switch(response.switch_to)
    for switch in app.spec.switches:
        if app.calls == switch.after:
            await app.switch(switch.to)


@dataclass(slots=True, kw_only=True)
class _Record:
    app: ServedMock
    call: ToolCall
    label: str
    scenario: str
    started: float
    start: float

    def done(self, *, is_error: bool, code: int | None = None) -> None:
        self.app.history.append(
            CallRecord(
                at=self.started,
                session=self.call.session,
                tool=self.call.tool.name,
                arguments=dict(self.call.arguments),
                rule=self.label,
                scenario=self.scenario,
                latency_ms=(time.perf_counter() - self.start) * 1000,
                is_error=is_error,
                error_code=code,
            )
        )
