"""``execute``: call one tool for every input record; append each answer to a JSONL output, once.

Exactly once, across kills, resumes and repeated applies: an item's answer line (with its key) is
written and fsynced before its ``done`` is journaled, and an item whose key is already in the output
is not called again (:mod:`mcpctl.engine.batch.records`). An item killed after the tool answered but
before its line was durable is called again on resume: the *answer* is recorded once, the tool may
have run twice (no protocol lets a client ask a server whether a call happened).

Arguments are rendered from each record when planning, so a template that fails on record 9,000
stops the plan before the first call. A tool answer with ``isError: true`` or a JSON-RPC error fails
the item (after retries where the policy says so); failed items get no output line and run again on
``--resume``.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path

from mcpctl.engine.batch.journal import StepState
from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.records import InputRecord, answer_line, answered_keys, read_records
from mcpctl.engine.batch.run import Intent, RunContext
from mcpctl.engine.batch.steps import OpPlan, Outcome, PlannedStep, Settle, StepFailed, step_id
from mcpctl.engine.retry import Attempt, error_kind, with_retries
from mcpctl.errors import McpctlError, RpcError, UsageError
from mcpctl.mcp.client import Client
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mcp.results import CallResult
from mcpctl.spec.batch_model import ExecuteOp
from mcpctl.spec.templating import TemplateError, render_value
from mcpctl.store.files import fsync_directory, make_directories, truncate_torn_tail, write_all

OUTPUT_MODE = 0o644


class OutputWriteError(McpctlError):
    """The output file could not be appended to (disk full, I/O error): the run must stop."""

    exit_code = 3


class ExecuteOperation:
    """See the module docstring."""

    def __init__(self, op: ExecuteOp, *, index: int, ctx: PlanContext) -> None:
        self.op = op
        self.index = index
        self.ctx = ctx

    def plan(self) -> OpPlan:
        """One step per input record; records already answered in the output are no-ops."""
        records = read_records(self.op.input, format=self.op.format, key=self.op.key)
        answered = answered_keys(self.op.output)
        steps = [self._step(record, answered) for record in records]
        done = sum(step.noop for step in steps)
        creates = () if os.path.exists(self.op.output) else (f"creates {self.op.output}",)
        return OpPlan(
            index=self.index,
            op="execute",
            title=f"execute {self.op.tool} on {self.op.server} for each record of {self.op.input}",
            steps=tuple(steps),
            counts={"to call": len(steps) - done, "already answered": done},
            notes=(f"answers appended to {self.op.output}", *creates),
        )

    def _step(self, record: InputRecord, answered: set[str]) -> PlannedStep:
        context = {"record": record.fields, "key": record.key, "vars": dict(self.ctx.plan.vars)}
        try:
            arguments = render_value(dict(self.op.with_), context) if self.op.with_ else record.fields
        except TemplateError as exc:
            raise UsageError(f"{self.op.input}:{record.line}: execute.with: {exc}") from None
        noop = record.key_text in answered
        return PlannedStep(
            id=step_id(self.index, "execute", record.key_text),
            op="execute",
            item=record.key_text,
            summary=f"already answered in {self.op.output}" if noop else "",
            noop=noop,
            data={"key": record.key, "arguments": arguments},
        )

    async def apply(self, run: RunContext, plan: OpPlan) -> None:
        """Call the tool for every step not answered yet; each answer is made durable in the same
        journal round as its ``done`` (evidence first)."""
        output, answered = _open_output(run, Path(self.op.output))
        try:
            if any(not step.noop for step in plan.steps):
                # connect once up front: the rate shown is the items', and a server that does not
                # start fails here once, then again for each item (with its retries) below
                with contextlib.suppress(McpctlError):
                    await run.client(self.op.server)
            steps = [_answered(s, self.op.output) if _newly(run, s, answered) else s for s in plan.steps]
            await run.each(
                plan,
                steps,
                _Caller(self.op, run, output).step,
                settle=lambda step, state: _settle(step, state, answered),
                bulk=True,
            )
        finally:
            output.close()


class _Output:
    """The output file as a :class:`~mcpctl.engine.batch.group_commit.Sink`: appends, fsynced."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path = path
        self.descriptor = descriptor

    def write(self, data: bytes) -> None:
        try:
            write_all(self.descriptor, data)
            os.fsync(self.descriptor)
        except OSError as exc:
            raise OutputWriteError(f"{self.path}: cannot append answers: {exc.strerror or exc}") from exc

    def close(self) -> None:
        os.close(self.descriptor)


def _newly(run: RunContext, step: PlannedStep, answered: set[str]) -> bool:
    """Answered since the plan was made, by a step this run never journaled (another apply)."""
    return not step.noop and step.item in answered and step.id not in run.states


def _answered(step: PlannedStep, output: str) -> PlannedStep:
    return replace(step, noop=True, summary=f"already answered in {output}")


def _settle(step: PlannedStep, state: StepState, answered: set[str]) -> tuple[Settle, str]:
    if step.item in answered:
        return "done", "its answer is in the output"
    return "run", "no answer in the output"


def _open_output(run: RunContext, output: Path) -> tuple[_Output, set[str]]:
    """Snapshot the output (rollback removes it or cuts it back like any file), cut a torn tail, read
    the keys answered, open it for appending."""
    run.snapshots.save(output)
    make_directories(output.parent)
    truncate_torn_tail(output)
    answered = answered_keys(str(output))
    created = not output.exists()
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, OUTPUT_MODE)
    except OSError as exc:
        raise OutputWriteError(f"{output}: cannot open the output: {exc.strerror or exc}") from None
    if created:
        fsync_directory(output.parent)
    return _Output(output, descriptor), answered


class _Caller:
    """Calls the tool for one step, with retries, and appends its answer."""

    def __init__(self, op: ExecuteOp, run: RunContext, output: _Output) -> None:
        self.op = op
        self.run = run
        self.output = output
        self.timeout = run.timeout_of(op.timeout.seconds if op.timeout else None)
        self.once = run.policy.attempts == 1
        self.client: Client | None = None
        """The session of the last call (the run's shared one), kept to spare a lookup per item."""

    async def step(self, step: PlannedStep, intent: Intent) -> Outcome:
        attempts = 0

        def counted(attempt: Attempt) -> None:
            nonlocal attempts
            attempts = attempt.number

        arguments = step.data["arguments"]
        assert isinstance(arguments, dict)
        try:
            if self.once and self.client is not None:  # the hot path: no retries
                attempts = 1
                try:
                    result = await self.client.call_tool(self.op.tool, arguments, timeout=self.timeout)
                except McpctlError as exc:
                    self._forget(exc)
                    raise
            elif self.once:
                attempts = 1
                result = await self._call(arguments)
            else:
                result = await with_retries(
                    lambda: self._call(arguments),
                    self.run.policy,
                    rng=self.run.rng(step.id),
                    on_attempt=counted,
                )
        except McpctlError as exc:
            # the item's own record of what went wrong, every attempt included
            lines = str(exc).splitlines()
            notes = [line for note in getattr(exc, "__notes__", ()) for line in str(note).splitlines()]
            raise StepFailed(
                f"{self.op.tool}: {lines[0] if lines else type(exc).__name__}",
                details=(*lines[1:], *notes),
                attempts=attempts,
                status="failed" if isinstance(exc, RpcError) else "error",
            ) from None
        if result.is_error:
            text = result.text.strip().splitlines()
            raise StepFailed(
                f"{self.op.tool} answered isError: {text[0] if text else '(no text)'}",
                details=tuple(text[1:5]),
                attempts=attempts,
            )
        return Outcome(attempts=attempts, evidence=(self.output, answer_line(step.data["key"], result.raw)))

    async def _call(self, arguments: dict[str, JSONValue]) -> CallResult:
        client = self.client = await self.run.client(self.op.server)
        try:
            return await client.call_tool(self.op.tool, arguments, timeout=self.timeout)
        except McpctlError as exc:
            self._forget(exc)
            raise

    def _forget(self, exc: McpctlError) -> None:
        """After a connection error, the next call opens a new session."""
        if error_kind(exc) == "connection" and self.client is not None:
            self.run.forget_client(self.op.server, self.client)
            self.client = None
