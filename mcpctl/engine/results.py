"""The records a run produces: the store saves them, reports render them, the CLI prints them.

A leaf module (stdlib only), so that ``store`` and ``report`` can read results without importing the
engine that makes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import comb
from typing import Literal

Status = Literal["passed", "failed", "error", "skipped"]
SnapshotStatus = Literal["written", "updated", "unchanged", "failed", "missing", "refused"]
"""What a snapshot check did: wrote a missing one, rewrote a changed one (``--update-snapshots``), found
it equal; or failed: differs, missing under CI=true, or not written while other assertions fail."""
KEPT_FAILURES = 50
"""The failing runs of a repeated test whose messages a result keeps."""


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


def pass_at_k(n: int, c: int, k: int) -> float:
    """The chance that at least one of ``k`` runs passes, estimated without bias from ``c`` passes in
    ``n`` runs: ``1 - C(n-c, k) / C(n, k)`` (Chen et al. 2021, "Evaluating Large Language Models
    Trained on Code"). Exact big-integer binomials, one correctly rounded division."""
    _check_counts(n, c, k)
    return 1.0 - comb(n - c, k) / comb(n, k)


def pass_hat_k(n: int, c: int, k: int) -> float:
    """The chance that all of ``k`` runs pass, estimated without bias from ``c`` passes in ``n`` runs:
    ``C(c, k) / C(n, k)`` (pass^k, as tau-bench defines it)."""
    _check_counts(n, c, k)
    return comb(c, k) / comb(n, k)


def _check_counts(n: int, c: int, k: int) -> None:
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reliability:
    """How often a repeated test (``repeat: N``) passed, with pass@k and pass^k over its runs."""

    runs: int
    """n: the runs made (the repeat count, fewer if the test was cut short)."""
    passed: int
    """c: the runs that passed."""
    k: int
    pass_at_k: float
    """The chance that at least one of k runs passes (unbiased estimate from n and c)."""
    pass_hat_k: float
    """The chance that all k runs pass (unbiased estimate from n and c)."""
    required: str = ""
    """The ``pass_rate`` as written (``>= 95%``); "" when every run must pass."""
    failures: tuple[str, ...] = ()
    """The first line of each failing run (at most :data:`KEPT_FAILURES`), ``run I of N: ...``."""

    @property
    def rate(self) -> float:
        """c / n."""
        return self.passed / self.runs if self.runs else 0.0


def reliability(
    *, runs: int, passed: int, k: int, required: str = "", failures: Sequence[str] = ()
) -> Reliability:
    """The record for ``passed`` of ``runs``, pass@k and pass^k computed (k capped at ``runs``)."""
    k = max(1, min(k, runs))
    return Reliability(
        runs=runs,
        passed=passed,
        k=k,
        pass_at_k=pass_at_k(runs, passed, k),
        pass_hat_k=pass_hat_k(runs, passed, k),
        required=required,
        failures=tuple(failures[:KEPT_FAILURES]),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseResult:
    """The outcome of one test case."""

    name: str
    status: Status
    duration_ms: float
    attempts: int = 1
    """1 unless retried; ``flaky`` is a pass after a failed attempt, or a repeated test (``repeat``) whose
    runs both passed and failed (then ``reliability`` keeps the failing runs)."""
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
    reliability: Reliability | None = None
    """Set for a test with ``repeat`` above 1: passes, pass@k, pass^k, the failing runs."""
    snapshots: Mapping[str, SnapshotStatus] = field(default_factory=dict)
    """Snapshot name to what its check did (empty when the test has none)."""


def snapshot_counts(cases: Sequence[CaseResult]) -> dict[SnapshotStatus, int]:
    """How many snapshot checks of ``cases`` ended in each status (only those that occurred)."""
    counts: dict[SnapshotStatus, int] = {}
    for case in cases:
        for status in case.snapshots.values():
            counts[status] = counts.get(status, 0) + 1
    return counts


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
