"""How a bulk operation (``execute``: one step per input record) reports: passes and skips counted,
failures listed.

A run of 1,000,000 items must not become 1,000,000 test cases in the store, the JUnit file (GitLab
stops reading at 30 MB) and the summary: the journal and the output hold every item already. So the
items that passed become one case with their latency percentiles, skips one case per reason, and
each failed or erred item its own case (the first :data:`MAX_LISTED`; the rest are counted).
"""

from __future__ import annotations

from mcpctl.engine.results import CaseResult, LatencySummary, counted
from mcpctl.engine.tests import latency_summary

MAX_LISTED = 1000
"""Failed items listed one by one; beyond this they are counted in one more case."""


class Tally:
    """The results of one bulk operation's items, kept compact."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        """``3.execute``: names the summary cases."""
        self.durations: list[float] = []
        self.retried = 0
        self.skipped: dict[str, int] = {}
        self.settled: dict[str, int] = {}
        """Passes that did not run now (done before a resume, recovered on it), by message."""
        self.failures: list[CaseResult] = []
        self.unlisted: dict[str, int] = {}

    def passed(self, duration_ms: float, attempts: int) -> None:
        """An item succeeded (after ``attempts`` tries)."""
        self.durations.append(duration_ms)
        if attempts > 1:
            self.retried += 1

    def add(self, result: CaseResult) -> None:
        """Any item's result: passes and skips are counted, failures kept (up to :data:`MAX_LISTED`)."""
        if result.status == "passed" and result.message:  # settled, not run: no latency to count
            self.settled[result.message] = self.settled.get(result.message, 0) + 1
        elif result.status == "passed":
            self.passed(result.duration_ms, result.attempts)
        elif result.status == "skipped":
            self.skipped[result.message] = self.skipped.get(result.message, 0) + 1
        elif len(self.failures) < MAX_LISTED:
            self.failures.append(result)
        else:
            self.unlisted[result.status] = self.unlisted.get(result.status, 0) + 1

    def cases(self, elapsed_ms: float) -> list[CaseResult]:
        """The operation's cases: one for the passes (timed by the operation's ``elapsed_ms``: the
        items overlap), one per skip reason, then each failure."""
        cases = []
        if self.durations:
            latency: LatencySummary = latency_summary(self.durations)
            retried = f" ({self.retried} after retries)" if self.retried else ""
            items = counted(len(self.durations), "item")
            cases.append(
                CaseResult(
                    name=f"{self.prefix}: {items}",
                    status="passed",
                    duration_ms=elapsed_ms,
                    message=f"{items} passed{retried}",
                    latency=latency,
                )
            )
        for message, count in self.settled.items():
            items = counted(count, "item")
            cases.append(
                CaseResult(
                    name=f"{self.prefix}: {items} {message.split(':')[0]}",
                    status="passed",
                    duration_ms=0.0,
                    message=f"{items}: {message}",
                )
            )
        for reason, count in self.skipped.items():
            items = counted(count, "item")
            cases.append(
                CaseResult(
                    name=f"{self.prefix}: {items} skipped",
                    status="skipped",
                    duration_ms=0.0,
                    message=f"{items}: {reason}",
                )
            )
        cases.extend(self.failures)
        for status, count in self.unlisted.items():
            cases.append(
                CaseResult(
                    name=f"{self.prefix}: {count} more {'item' if count == 1 else 'items'} {status}",
                    status="failed" if status == "failed" else "error",
                    duration_ms=0.0,
                    message=f"{counted(count, 'more item')} {status} (not listed one by one; see the journal)",
                )
            )
        return cases
