"""The records a run produces: the store saves them, reports render them, the CLI prints them.

A leaf module (stdlib only), so that ``store`` and ``report`` can read results without importing the
engine that makes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Status = Literal["passed", "failed", "error", "skipped"]


def counted(number: int, noun: str) -> str:
    """``1 item``, ``2 items``: how results count things in text."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


"""passed; failed (an expectation did not hold); error (the test could not be carried out: timeout,
broken frames, server gone); skipped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencySummary:
    """Round-trip times in milliseconds over ``count`` calls (exact percentiles, nearest rank)."""

    count: int
    min: float
    p50: float
    p90: float
    p95: float
    p99: float
    max: float
    mean: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResult:
    """The outcome of one test case."""

    name: str
    status: Status
    duration_ms: float
    attempts: int = 1
    """1 unless retried; ``flaky`` is a pass after a failed attempt."""
    flaky: bool = False
    message: str = ""
    """The first line of what went wrong ("" when passed)."""
    details: tuple[str, ...] = ()
    """Further lines: a diff, the actual value, the step that failed."""
    latency: LatencySummary | None = None
    output: str = ""
    """Context for the reader (JUnit ``system-out``): requests sent and answers got, trimmed."""
    file: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteResult:
    """The outcome of one spec document (a TestSuite) against one server."""

    kind: str
    name: str
    server: str
    """The server's name in the specs (or its command/URL when written inline)."""
    server_info: Mapping[str, str] = field(default_factory=dict)
    """``serverInfo`` the server announced (name, version, title)."""
    protocol: str = ""
    """The negotiated protocol revision."""
    spec_path: str = ""
    spec_hash: str = ""
    started_at: float = 0.0
    """Unix time."""
    duration_ms: float = 0.0
    cases: tuple[CaseResult, ...] = ()
    error: str = ""
    """Set when the suite could not run at all (the server did not start or answer)."""
    attachment: str = ""
    """A JSON document kept beside the cases, "" when none: a LoadTest's whole result (counts, encoded
    histograms, the per-second series), which its threshold cases only summarize."""

    @property
    def status(self) -> Status:
        if self.error:
            return "error"
        statuses = {case.status for case in self.cases}
        for worst in ("error", "failed"):
            if worst in statuses:
                return worst
        if statuses == {"skipped"}:
            return "skipped"
        return "passed"

    def counts(self) -> dict[Status, int]:
        """How many cases ended in each status."""
        totals: dict[Status, int] = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
        for case in self.cases:
            totals[case.status] += 1
        return totals


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """One invocation of ``mcpctl test``/``apply``: every suite it ran."""

    run_id: str
    command: str
    started_at: float
    duration_ms: float
    suites: tuple[SuiteResult, ...]

    @property
    def exit_code(self) -> int:
        """3 if a server could not be reached, else 1 if any case failed or erred, else 0."""
        if any(suite.error for suite in self.suites):
            return 3
        if any(suite.status in ("failed", "error") for suite in self.suites):
            return 1
        return 0

    @property
    def status(self) -> Status:
        statuses = {suite.status for suite in self.suites}
        for worst in ("error", "failed", "passed"):
            if worst in statuses:
                return worst
        return "skipped"
