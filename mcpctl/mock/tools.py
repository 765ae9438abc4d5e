"""Answering one ``tools/call`` of a mock: input validation, injected errors, latency, progress,
the matching rule (or the default), scenario switches, and the call's record in the history."""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import trio

from mcpctl.mcp.jsonrpc import JSONValue, Message, notification
from mcpctl.mock.answers import default_result, pick, render, rule_applies, validator
from mcpctl.mock.behaviour import merged
from mcpctl.mock.catalog import RpcProblem
from mcpctl.mock.history import CallRecord
from mcpctl.mock.outbox import AskFailed
from mcpctl.mock.session import STREAM_BREAK, Notify
from mcpctl.spec.mock_model import LOG_LEVELS, Behaviour, MockTool, Response
from mcpctl.spec.templating import TemplateError, render_value

if TYPE_CHECKING:
    from mcpctl.mock.app import MockServerSession, ServedMock

INTERNAL_ERROR = -32603


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    tool: MockTool
    arguments: Mapping[str, JSONValue]
    progress_token: JSONValue = None
    session: MockServerSession


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
    response = choice.response
    context: dict[str, object] = {
        "args": dict(call.arguments),
        "call": {"count": count},
        "scenario": scenario,
    }
    delay = app.dice.seconds((response.latency if response is not None else None) or behaviour.latency)
    try:
        refused = await _during(call, response, related, context) if response is not None else None
    except TemplateError as exc:
        refused = f"mock template failed: {exc}"
    await _progress(behaviour, call.progress_token, related)
    if delay > 0:
        await trio.sleep(delay)
    record = _Record(app=app, call=call, label=choice.label, scenario=scenario, started=started, start=start)
    if invalid is not None or refused is not None:
        failed: Message = {"content": [{"type": "text", "text": invalid or refused}], "isError": True}
        record.done(is_error=True, answer=failed)
        return failed
    if injected is not None:
        record.done(is_error=True, code=injected.code, answer=_error_answer(injected.code, injected.message))
        raise RpcProblem(injected.code, injected.message, injected.data)
    try:
        answer = _answer(response, tool, context)
    except RpcProblem as problem:
        record.done(is_error=True, code=problem.code, answer=_error_answer(problem.code, problem.message))
        raise
    finally:
        await _switches(app, response)
    record.done(is_error=answer.get("isError") is True, answer=answer)
    return answer


def _error_answer(code: int, message: str) -> Message:
    return {"error": {"code": code, "message": message}}


async def _during(
    call: ToolCall, response: Response, related: Notify, context: dict[str, object]
) -> str | None:
    """What ``response`` does before it is rendered: break the stream, log, ask the client (whose
    result becomes ``answer`` in ``context``); the reason the call fails, if the client refused."""
    if response.disconnect:
        await related(STREAM_BREAK)
    session = call.session
    for entry in response.log:
        if entry.delay is not None:
            await trio.sleep(entry.delay.seconds)
        if LOG_LEVELS.index(entry.level) >= session.log_level:
            params: Message = {"level": entry.level, "data": render_value(entry.data, context)}
            if entry.logger is not None:
                params["logger"] = entry.logger
            await related(notification("notifications/message", params))
    ask = response.ask
    if ask is None:
        return None
    sent = render_value(dict(ask.params), context)
    try:
        context["answer"] = await session.outbox.ask(
            ask.method,
            sent if isinstance(sent, dict) else {},
            related,
            timeout=ask.timeout.seconds,
            client_caps=session.client_capabilities,
        )
    except AskFailed as exc:
        return f"{call.tool.name}: {exc}"
    return None


def _answer(response: Response | None, tool: MockTool, context: Mapping[str, object]) -> Message:
    """The tool result of ``response``; raises :class:`RpcProblem` for a JSON-RPC error answer."""
    if response is None:
        return default_result(tool)
    if response.crash:
        _crash(tool)
    if response.error is not None:
        problem = response.error
        raise RpcProblem(problem.code, problem.message, problem.data)
    try:
        return render(response, context)
    except TemplateError as exc:
        raise RpcProblem(INTERNAL_ERROR, f"mock template failed: {exc}") from None


def _crash(tool: MockTool) -> NoReturn:
    """Die as a crashing server would: a real traceback on stderr, exit code 1, no answer, no cleanup."""
    try:
        raise RuntimeError(f"tool {tool.name!r} crashed (the mock's crash: true)")
    except RuntimeError:
        traceback.print_exc(file=sys.stderr)
    sys.stderr.flush()
    os._exit(1)


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

    def done(self, *, is_error: bool, code: int | None = None, answer: Message | None = None) -> None:
        self.app.history.append(
            CallRecord(
                at=self.started,
                session=self.call.session.number,
                tool=self.call.tool.name,
                arguments=dict(self.call.arguments),
                rule=self.label,
                scenario=self.scenario,
                latency_ms=(time.perf_counter() - self.start) * 1000,
                is_error=is_error,
                error_code=code,
                answer=answer,
            )
        )
