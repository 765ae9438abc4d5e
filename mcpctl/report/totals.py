"""Counting outcomes the way every report shows them: a suite that could not run is one error
(as pytest counts a fixture that failed)."""

from __future__ import annotations

from dataclasses import dataclass

from mcpctl.engine.results import RunResult, SuiteResult


@dataclass(frozen=True, slots=True, kw_only=True)
class Totals:
    """How many cases passed, failed, erred and were skipped (``flaky`` passes are among ``passed``)."""

    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    flaky: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.error + self.skipped


def suite_totals(suite: SuiteResult) -> Totals:
    """The totals of one suite, its setup error included."""
    counts = suite.counts()
    return Totals(
        passed=counts["passed"],
        failed=counts["failed"],
        error=counts["error"] + (1 if suite.error else 0),
        skipped=counts["skipped"],
        flaky=sum(1 for case in suite.cases if case.flaky and case.status == "passed"),
    )


def run_totals(run: RunResult) -> Totals:
    """The totals over every suite of ``run``."""
    parts = [suite_totals(suite) for suite in run.suites]
    return Totals(
        passed=sum(part.passed for part in parts),
        failed=sum(part.failed for part in parts),
        error=sum(part.error for part in parts),
        skipped=sum(part.skipped for part in parts),
        flaky=sum(part.flaky for part in parts),
    )
