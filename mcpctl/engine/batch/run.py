"""Running the steps of one operation: concurrency, the journal protocol, resume, failure policy.

:meth:`RunContext.each` is the one loop every operation's ``apply`` goes through. For each step:

1. ``done`` in the journal (resuming): reported passed, not run. (``failed`` and ``skipped`` steps
   are decided again: the plan was made anew from the files as they are now.)
2. ``in_doubt`` (an intent without an outcome: the last process died mid-step): the operation's
   ``settle`` says whether its effect is there (journal ``done``), not there (run it), or unknowable
   (journal ``failed``). See :mod:`mcpctl.engine.batch` for each operation's evidence.
3. ``noop`` steps are journaled ``skipped`` and reported skipped.
4. Otherwise, once one of the ``concurrency`` workers is free and nothing has stopped the run, the
   step runs:
   it journals its intent itself (through the ``intent`` callback, once it has written whatever
   resuming needs, such as a snapshot) and returns an :class:`Outcome`; the engine journals ``done``,
   or ``failed`` when it raises. A step that raises before calling ``intent`` gets one journaled for it.
   Bulk steps (``execute``) differ: see :meth:`RunContext.each`.

What stops a run from starting more steps (:meth:`RunContext.stop`): the failure budget
(:class:`~mcpctl.engine.failures.FailureBudget`), the memory limit, Ctrl-C. Steps already running
finish and are recorded; steps never started are reported skipped with the reason.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import trio

from mcpctl.engine.batch.journal import JournalWriter, StepState
from mcpctl.engine.batch.memory import MemoryGuard
from mcpctl.engine.batch.snapshots import Snapshots
from mcpctl.engine.batch.steps import OpPlan, Outcome, PlannedStep, Settle, StepFailed
from mcpctl.engine.batch.tally import Tally
from mcpctl.engine.failures import FailureBudget
from mcpctl.engine.results import CaseResult, Status
from mcpctl.engine.retry import RetryPolicy
from mcpctl.engine.targets import target_for
from mcpctl.errors import McpctlError
from mcpctl.mcp.client import Client, open_client
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.spec.build import SpecSet

CONNECT_TIMEOUT = 30.0
_NEVER_DRAWN = random.Random(0)

Intent = Callable[..., Awaitable[None]]
"""``await intent(**data)``: journal the step's intent (with what resuming needs) before its effect."""
StepFn = Callable[[PlannedStep, Intent], Awaitable[Outcome]]
SettleFn = Callable[[PlannedStep, StepState], tuple[Settle, str]]
"""Decide an in-doubt step: ``("done", why)``, ``("run", why)`` or ``("failed", why)``."""


class BatchProgress(Protocol):
    """Told as a batch goes, to draw progress bars (or nothing)."""

    def operation_started(self, plan: OpPlan, total: int) -> None: ...
    def step_done(self, plan: OpPlan, status: Status) -> None: ...
    def operation_done(self, plan: OpPlan, results: Sequence[CaseResult]) -> None: ...
    def note(self, text: str) -> None: ...


@dataclass(slots=True, kw_only=True)
class Stop:
    """Why the run stopped starting steps."""

    reason: str
    interrupted: bool = False


@dataclass(slots=True, kw_only=True)
class RunContext:
    """One ``mcpctl apply`` of a BatchPlan (or its ``--resume``), as operations see it."""

    plan: BatchPlanSpec
    specs: SpecSet
    run_id: str
    run_dir: Path
    journal: JournalWriter
    snapshots: Snapshots
    states: Mapping[str, StepState]
    """The journal as it was when this process opened it (empty for a new run)."""
    policy: RetryPolicy
    limiter: trio.CapacityLimiter
    """Its total is the plan's ``concurrency``: how many workers take steps (one step each at a time)."""
    services: trio.Nursery
    """Where the shared client sessions live (a task each, so that steps in any task can open them);
    cancelled when the run ends, which closes them."""
    memory: MemoryGuard
    progress: BatchProgress | None = None
    environ: Mapping[str, str] = field(default_factory=dict)
    home: str = ""
    results: dict[int, list[CaseResult]] = field(default_factory=dict)
    stopped: Stop | None = None
    in_flight: int = 0
    """Steps running now (the memory guard lets them finish before starting more)."""
    _clients: dict[str, Client] = field(default_factory=dict)
    _opening: dict[str, trio.Lock] = field(default_factory=dict)

    # -- services for operations --------------------------------------------------------------
    def timeout_of(self, op_timeout: float | None) -> float:
        """The deadline of one try of an item: the operation's own, else the plan's."""
        return op_timeout if op_timeout is not None else self.plan.timeout.seconds

    def rng(self, step: str) -> random.Random:
        """The backoff draws of ``step``: seeded by run and step, so a run's waits can be replayed."""
        if self.policy.attempts == 1:
            return _NEVER_DRAWN  # no retry, no draw: spare 10,000 items a seeding each
        seed = hashlib.sha256(f"{self.run_id}\0{step}".encode()).digest()[:8]
        return random.Random(int.from_bytes(seed, "big"))

    async def client(self, name: str) -> Client:
        """The run's session to server ``name`` (opened on first use, shared by every step)."""
        if name in self._clients:
            return self._clients[name]
        lock = self._opening.setdefault(name, trio.Lock())
        async with lock:
            if name not in self._clients:
                client: Client = await self.services.start(self._hold, name)
                self._clients[name] = client
        return self._clients[name]

    async def _hold(self, name: str, *, task_status: trio.TaskStatus[Client]) -> None:
        """Open the session to ``name`` and keep it until the run ends (its task is cancelled)."""
        server = self.specs.servers[name]
        async with open_client(target_for(server), connect_timeout=CONNECT_TIMEOUT) as client:
            task_status.started(client)
            await trio.sleep_forever()

    def forget_client(self, name: str, client: Client) -> None:
        """Drop the broken session ``client``; the next :meth:`client` opens a new one (the old one
        closes when the run ends). A session already replaced is left alone."""
        if self._clients.get(name) is client:
            del self._clients[name]

    def stop(self, reason: str, *, interrupted: bool = False) -> None:
        """Start no more steps (the first reason wins; an interruption always shows)."""
        if self.stopped is None:
            self.stopped = Stop(reason=reason, interrupted=interrupted)
        elif interrupted:
            self.stopped.interrupted = True
        if self.progress is not None:
            self.progress.note(f"stopping: {reason}")

    # -- the step loop ------------------------------------------------------------------------
    async def each(
        self,
        plan: OpPlan,
        steps: Sequence[PlannedStep],
        run_step: StepFn,
        *,
        settle: SettleFn | None = None,
        bulk: bool = False,
    ) -> list[CaseResult]:
        """Run ``steps`` of ``plan`` as the module docstring says; return their results in order.

        ``bulk`` (execute: a step per input record): each step's evidence lives outside the journal
        (its answer in the output), so its intent is journaled with its outcome in one commit while
        the worker goes on to its next step, and ``intent()`` does nothing; results are tallied
        (:mod:`.tally`): passes and skips counted, failures listed."""
        budget = FailureBudget.for_plan(
            on_failure=self.plan.on_failure,
            max_fail_percentage=self.plan.max_fail_percentage,
            total=len(steps),
        )
        if self.progress is not None:
            self.progress.operation_started(plan, len(steps))
        results: dict[str, CaseResult] = {}
        tally = Tally(f"{plan.index + 1}.{plan.op}") if bulk else None
        keep = tally.add if tally is not None else lambda result: results.__setitem__(result.name, result)
        started = time.perf_counter()
        queue = iter(steps)  # shared by the workers: each step goes to the first one free, in order

        async def worker() -> None:
            for step in queue:
                # the checks that cost nothing on a fresh run come first (10,000 items go this way)
                early = await self._before(plan, step, settle) if self.states or step.noop else None
                if early is None and self.stopped is None and self.memory.limit is not None:
                    await self.memory.admit(self)
                if early is None and self.stopped is not None:
                    early = _skipped(step, f"not started: {self.stopped.reason}")
                if early is not None:
                    self._count(plan, early, budget)
                    self._keep(plan, keep, early)
                elif tally is not None:
                    await self._run_bulk(plan, step, run_step, tally, budget)
                else:
                    await self._run_one(plan, step, run_step, keep, budget)

        # a pool of `concurrency` workers rather than a task per step: 10,000 items are not 10,000 tasks
        async with trio.open_nursery() as nursery:
            for _ in range(min(int(self.limiter.total_tokens), len(steps))):
                nursery.start_soon(worker)
        if tally is not None:
            await self.journal.barrier()  # every item's entries durable, every result tallied
        elapsed = (time.perf_counter() - started) * 1000
        ordered = (
            tally.cases(elapsed) if tally is not None else [results[s.id] for s in steps if s.id in results]
        )
        self.results.setdefault(plan.index, []).extend(ordered)
        if self.progress is not None:
            self.progress.operation_done(plan, ordered)
        return ordered

    async def _before(self, plan: OpPlan, step: PlannedStep, settle: SettleFn | None) -> CaseResult | None:
        """The result of a step that needs no run (settled, resolved, no-op), else ``None``."""
        state = self.states.get(step.id)
        if state is not None and state.status == "done":
            return _case(step, "passed", "done before this resume", attempts=state.attempts)
        if state is not None and state.status == "in_doubt":
            verdict, why = settle(step, state) if settle is not None else ("run", "")
            if verdict == "done":
                await self.journal.done(step.id, recovered=True)
                return _case(step, "passed", f"recovered on resume: {why}", attempts=state.attempts)
            if verdict == "failed":
                await self.journal.failed(step.id, why)
                return _case(step, "failed", why, attempts=state.attempts)
        if step.noop:
            await self.journal.skipped(step.id, op=step.op, item=step.item, reason=step.summary)
            return _skipped(step, step.summary)
        return None

    async def _run_one(
        self,
        plan: OpPlan,
        step: PlannedStep,
        run_step: StepFn,
        keep: Callable[[CaseResult], None],
        budget: FailureBudget,
    ) -> None:
        journaled = False

        async def intent(**data: JSONValue) -> None:
            nonlocal journaled
            await self.journal.intent(step.id, op=step.op, item=step.item, **data)
            journaled = True

        self.in_flight += 1
        started = time.perf_counter()
        try:
            outcome = await run_step(step, intent)
            result = _passed(step, outcome, started)
        except McpctlError as exc:
            outcome, result = None, _failure(step, exc, started)
        try:
            await self._outcome(step, result, outcome, journaled=journaled)
        finally:
            self.in_flight -= 1
        self._count(plan, result, budget)
        self._keep(plan, keep, result)

    async def _run_bulk(
        self, plan: OpPlan, step: PlannedStep, run_step: StepFn, tally: Tally, budget: FailureBudget
    ) -> None:
        """One item of a bulk operation: counted at once (the failure budget stops the next start),
        tallied once its entries are durable. The hot path of ``execute``: a pass builds no record."""
        self.in_flight += 1
        started = time.perf_counter()
        try:
            outcome = await run_step(step, _no_intent)
        except McpctlError as exc:
            result = _failure(step, exc, started)
            self._count(plan, result, budget)
            failure: dict[str, JSONValue] = {"error": result.message, "attempts": result.attempts}
            self.journal.settled_nowait(
                step.id,
                "failed",
                op=step.op,
                item=step.item,
                on_durable=self._kept(plan, tally, result),
                **failure,
            )
            return
        finally:
            self.in_flight -= 1
        duration, attempts = (time.perf_counter() - started) * 1000, outcome.attempts
        budget.record(ok=True)

        def durable(error: McpctlError | None) -> None:
            if error is None:
                tally.passed(duration, attempts)
                if self.progress is not None:
                    self.progress.step_done(plan, "passed")
            else:
                self._lost(plan, tally, step, error)

        self.journal.settled_nowait(
            step.id,
            "done",
            op=step.op,
            item=step.item,
            on_durable=durable,
            evidence=outcome.evidence,
            **outcome.data,
        )

    def _kept(self, plan: OpPlan, tally: Tally, result: CaseResult) -> Callable[[McpctlError | None], None]:
        def durable(error: McpctlError | None) -> None:
            if error is None:
                self._keep(plan, tally.add, result)
            else:
                self._lost(plan, tally, PlannedStep(id=result.name, op=plan.op, item=""), error)

        return durable

    def _lost(self, plan: OpPlan, tally: Tally, step: PlannedStep, error: McpctlError) -> None:
        """An item whose entries could not be journaled: the run stops, the item is an error."""
        self.stop(f"the journal cannot be written: {error}")
        self._keep(
            plan, tally.add, CaseResult(name=step.id, status="error", duration_ms=0.0, message=str(error))
        )

    async def _outcome(
        self, step: PlannedStep, result: CaseResult, outcome: Outcome | None, *, journaled: bool
    ) -> None:
        """Journal how ``step`` ended (with its intent first, if the step did not journal one)."""
        if outcome is not None:
            data = dict(outcome.data)
            if journaled and outcome.evidence is None:
                await self.journal.done(step.id, **data)
            elif journaled:
                raise RuntimeError(f"{step.id}: evidence needs the intent journaled with the outcome (bulk)")
            else:
                await self.journal.settled(
                    step.id, "done", op=step.op, item=step.item, evidence=outcome.evidence, **data
                )
        elif journaled:
            await self.journal.failed(step.id, result.message, attempts=result.attempts)
        else:
            failure: dict[str, JSONValue] = {"error": result.message, "attempts": result.attempts}
            await self.journal.settled(step.id, "failed", op=step.op, item=step.item, **failure)

    def _keep(self, plan: OpPlan, keep: Callable[[CaseResult], None], result: CaseResult) -> None:
        keep(result)
        if self.progress is not None:
            self.progress.step_done(plan, result.status)

    def _count(self, plan: OpPlan, result: CaseResult, budget: FailureBudget) -> None:
        """Count a step in the failure budget; stop the run once the budget is exceeded."""
        if result.status != "skipped" or not result.message.startswith("not started"):
            budget.record(ok=result.status in ("passed", "skipped"))
        if budget.exceeded() and self.stopped is None:
            if self.plan.max_fail_percentage is None:
                self.stop(
                    f"{result.name} {result.status}; onFailure {self.plan.on_failure} stops at the first failure"
                )
            else:
                self.stop(f"{plan.op}: {budget.describe()}")


def _passed(step: PlannedStep, outcome: Outcome, started: float) -> CaseResult:
    return CaseResult(
        name=step.id,
        status="passed",
        duration_ms=(time.perf_counter() - started) * 1000,
        message=outcome.message,
        details=outcome.details,
        attempts=outcome.attempts,
        output=outcome.output,
    )


def _failure(step: PlannedStep, exc: McpctlError, started: float) -> CaseResult:
    """A step that raised: ``failed`` for :class:`StepFailed`, ``error`` for anything else."""
    duration = (time.perf_counter() - started) * 1000
    if isinstance(exc, StepFailed):
        return CaseResult(
            name=step.id,
            status=exc.status,
            duration_ms=duration,
            message=str(exc),
            details=exc.details,
            attempts=exc.attempts,
        )
    return CaseResult(
        name=step.id, status="error", duration_ms=duration, message=_first_line(exc), details=_notes(exc)
    )


async def _no_intent(**data: JSONValue) -> None:
    """``intent()`` of a late-intent step: journaled with the outcome instead."""


def _case(
    step: PlannedStep, status: Status, message: str, *, details: tuple[str, ...] = (), attempts: int = 1
) -> CaseResult:
    return CaseResult(
        name=step.id, status=status, duration_ms=0.0, message=message, details=details, attempts=attempts
    )


def _skipped(step: PlannedStep, why: str) -> CaseResult:
    return _case(step, "skipped", why)


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _notes(exc: BaseException) -> tuple[str, ...]:
    rest = str(exc).splitlines()[1:]
    notes = [line for note in getattr(exc, "__notes__", ()) for line in str(note).splitlines()]
    return (*rest, *notes)
