"""``test``: run TestSuites, by name, as ``mcpctl test`` would; one step per suite.

Each step runs its suite with :func:`mcpctl.engine.runner.run_suites` (its own session to the
suite's server, tests run at the suite's ``concurrency``), within the operation's ``timeout`` (else
the plan's). A suite with failed or errored tests fails its step; a suite whose server could not be
reached is an error. Every :class:`~mcpctl.engine.results.SuiteResult` is kept in
:attr:`TestOperation.suite_results` so the run's report can show each test. Read-only: a step left in
doubt by a crash simply runs again.
"""

from __future__ import annotations

from collections import Counter

import trio

from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.run import Intent, RunContext
from mcpctl.engine.batch.steps import OpPlan, Outcome, PlannedStep, StepFailed, step_id
from mcpctl.engine.results import SuiteResult
from mcpctl.engine.runner import run_suites, server_label
from mcpctl.errors import ServerError, UsageError
from mcpctl.spec.batch_model import TestOp
from mcpctl.spec.model import TestSuiteSpec


class TestOperation:
    """The ``test`` operation of a plan: one step per suite."""

    __test__ = False  # not a pytest class

    def __init__(self, op: TestOp, *, index: int, ctx: PlanContext) -> None:
        self.op = op
        self.index = index
        self.ctx = ctx
        self.suite_results: list[SuiteResult] = []
        """The full result of every suite this process ran, in the order they ended."""

    def _suites(self) -> dict[str, TestSuiteSpec]:
        return {suite.metadata.name: suite for suite in self.ctx.specs.suites}

    def plan(self) -> OpPlan:
        """One step per suite, in the order written; an unknown suite is a :class:`UsageError`."""
        suites = self._suites()
        unknown = [name for name in self.op.suites if name not in suites]
        if unknown:
            known = ", ".join(sorted(suites)) or "none"
            raise UsageError(
                f"{self.op.source}: test: unknown suite {', '.join(map(repr, unknown))} "
                f"(TestSuites loaded: {known})"
            )
        steps = tuple(
            PlannedStep(
                id=step_id(self.index, "test", name),
                op="test",
                item=name,
                summary=f"test {name} ({_tests(len(suites[name].tests))} against {server_label(suites[name].server)})",
            )
            for name in self.op.suites
        )
        return OpPlan(
            index=self.index,
            op="test",
            title=f"test {', '.join(self.op.suites)}",
            steps=steps,
            counts={"test": len(steps)},
        )

    async def apply(self, run: RunContext, plan: OpPlan) -> None:
        """Run every suite of ``plan`` through :meth:`RunContext.each` (no settle: read-only)."""
        suites = self._suites()
        timeout = run.timeout_of(self.op.timeout.seconds if self.op.timeout is not None else None)

        async def test(step: PlannedStep, intent: Intent) -> Outcome:
            suite = suites[step.item]
            with trio.move_on_after(timeout) as scope:
                result = await run_suites(
                    [suite], servers=self.ctx.specs.servers, run_id=run.run_id, command="apply"
                )
            if scope.cancelled_caught:
                raise ServerError(f"test {suite.metadata.name}: the suite did not finish within {timeout:g}s")
            self.suite_results.extend(result.suites)
            return judge(result.suites[0])

        await run.each(plan, plan.steps, test)


def judge(result: SuiteResult) -> Outcome:
    """The outcome of a suite's step: passed, :class:`StepFailed` (failed or errored tests) or
    :class:`~mcpctl.errors.ServerError` (the suite could not run: its server was not reached)."""
    if result.error:
        raise ServerError(f"{result.server}: {result.error}")
    counts = Counter(case.status for case in result.cases)
    bad = [case for case in result.cases if case.status in ("failed", "error")]
    if bad:
        tally = ", ".join(f"{counts[status]} {status}" for status in ("failed", "error") if counts[status])
        raise StepFailed(
            f"{len(bad)} of {_tests(len(result.cases))} failed ({tally})",
            details=tuple(f"{case.name}: {case.message}" for case in bad),
        )
    message = f"{_tests(counts['passed'])} passed"
    if counts["skipped"]:
        message += f", {counts['skipped']} skipped"
    flaky = sum(1 for case in result.cases if case.flaky)
    if flaky:
        message += f" ({flaky} flaky)"
    return Outcome(message=message)


def _tests(n: int) -> str:
    return f"{n} test" if n == 1 else f"{n} tests"
