"""Comparing a run with a baseline run: per suite and per metric, with tolerances, telling a real change from
noise by a stated statistical test rather than one number against another.

LoadTest suites (their attachment holds every call's latency in an HDR histogram and the outcome counts):

- **Latency percentiles** (p50, p90, p95, p99): each run's percentile gets a distribution-free 95 %
  confidence interval from its order statistics (the ranks ``n*q -/+ 1.96*sqrt(n*q*(1-q))``, read off the
  histogram), and from it a standard error (the interval's width / 3.92). A percentile *regressed* when it
  grew by more than its tolerance (``p99: +10%``) **and** a one-sided z-test on the difference says the
  growth is real: ``z = (now - baseline) / sqrt(se_now^2 + se_baseline^2) >= 1.645`` (p < 0.05). So a noisy
  tail that happens to read 12 % higher over a few hundred calls is not a regression.
- **Error rate**: a one-sided two-proportion z-test; *regressed* when the rate grew by more than its
  tolerance (in percentage points, ``error_rate: +0.5%``) and ``z >= 1.645`` (p < 0.05).

TestSuite (and other) suites: a case that passed in the baseline and does not now is a regression (a case
that is new, or was already failing, is not one). Suites are matched by kind and name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import orjson

from mcpctl.engine.load.metrics import OK
from mcpctl.engine.load.result_json import from_json
from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.spec.load_model import Regression

Z_INTERVAL = 1.96
"""Two-sided 95 % for the percentile intervals."""
Z_ONE_SIDED = 1.645
"""One-sided 5 % for the error-rate test."""
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0}
DEFAULT_REGRESSION = Regression()


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One metric of one suite (or one case), compared."""

    suite: str
    """``Kind/name``."""
    metric: str
    """``p99``, ``error_rate`` or ``case NAME``."""
    baseline: float | str
    current: float | str
    change: str
    """``+31.2%``, ``+1.4 points``, ``passed -> failed``."""
    tolerance: str
    regressed: bool
    evidence: str
    """The test and its numbers: ``95% intervals [12.1, 12.9] ms vs [15.8, 16.6] ms do not overlap``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """A run against its baseline."""

    baseline_run: str
    current_run: str
    findings: tuple[Finding, ...]
    unmatched: tuple[str, ...] = ()
    """Suites of the current run the baseline has no counterpart for."""

    @property
    def regressions(self) -> tuple[Finding, ...]:
        """The findings that regressed."""
        return tuple(f for f in self.findings if f.regressed)


def compare(
    baseline: RunResult,
    current: RunResult,
    *,
    regression_for: Callable[[SuiteResult], Regression] = lambda suite: DEFAULT_REGRESSION,
) -> Comparison:
    """Compare every suite of ``current`` with the suite of the same kind and name in ``baseline``."""
    by_key = {(s.kind, s.name): s for s in baseline.suites}
    findings: list[Finding] = []
    unmatched: list[str] = []
    for suite in current.suites:
        before = by_key.get((suite.kind, suite.name))
        if before is None:
            unmatched.append(f"{suite.kind}/{suite.name}")
            continue
        if suite.kind == "LoadTest" and suite.attachment and before.attachment:
            findings += compare_load(before, suite, regression_for(suite))
        findings += _compare_cases(before, suite)
    return Comparison(
        baseline_run=baseline.run_id,
        current_run=current.run_id,
        findings=tuple(findings),
        unmatched=tuple(unmatched),
    )


def _compare_cases(before: SuiteResult, after: SuiteResult) -> list[Finding]:
    previous = {case.name: case.status for case in before.cases}
    found = []
    for case in after.cases:
        was = previous.get(case.name)
        if was == "passed" and case.status not in ("passed", "skipped"):
            found.append(
                Finding(
                    suite=f"{after.kind}/{after.name}",
                    metric=f"case {case.name}",
                    baseline=was,
                    current=case.status,
                    change=f"{was} -> {case.status}",
                    tolerance="none",
                    regressed=True,
                    evidence=case.message or "it passed in the baseline run",
                )
            )
    return found


def compare_load(before: SuiteResult, after: SuiteResult, regression: Regression) -> list[Finding]:
    """The latency percentiles and error rate of two LoadTest suites, by their attachments."""
    base = from_json(orjson.loads(before.attachment)).overall
    cur = from_json(orjson.loads(after.attachment)).overall
    return compare_calls(
        f"{after.kind}/{after.name}",
        (LatencyHistogram.decode(base.histogram), base.count, _errors(base.outcomes)),
        (LatencyHistogram.decode(cur.histogram), cur.count, _errors(cur.outcomes)),
        regression,
    )


Calls = tuple[LatencyHistogram, int, int]
"""The latencies of a run's calls, how many calls ended, and how many of them failed."""


def compare_calls(suite: str, base: Calls, cur: Calls, regression: Regression) -> list[Finding]:
    """Percentiles and error rate of two runs' calls, each with its test."""
    (base_hist, base_count, base_errors), (cur_hist, cur_count, cur_errors) = base, cur
    findings = []
    for metric, quantile in PERCENTILES.items():
        tolerance = getattr(regression, metric)
        if tolerance is None or not base_hist.count or not cur_hist.count:
            continue
        findings.append(_percentile(suite, metric, quantile, base_hist, cur_hist, tolerance))
    if regression.error_rate is not None and base_count and cur_count:
        findings.append(
            _error_rate(suite, base_count, base_errors, cur_count, cur_errors, regression.error_rate)
        )
    return findings


def _errors(outcomes: Mapping[str, int]) -> int:
    return sum(count for outcome, count in outcomes.items() if outcome != OK)


def interval(histogram: LatencyHistogram, quantile: float) -> tuple[float, float, float]:
    """``(low, value, high)`` in ms: the percentile and its distribution-free 95 % interval."""
    n = histogram.count
    q = quantile / 100
    spread = Z_INTERVAL * math.sqrt(n * q * (1 - q))
    low_rank = max(1, math.floor(n * q - spread))
    high_rank = min(n, math.ceil(n * q + spread) + 1)
    low, value, high = histogram.percentiles((100 * low_rank / n, quantile, 100 * high_rank / n))
    return low, value, high


def _percentile(
    suite: str, metric: str, quantile: float, base: LatencyHistogram, cur: LatencyHistogram, tolerance: float
) -> Finding:
    b_low, b_value, b_high = interval(base, quantile)
    c_low, c_value, c_high = interval(cur, quantile)
    ratio = c_value / b_value if b_value > 0 else math.inf
    spread = math.hypot((b_high - b_low) / (2 * Z_INTERVAL), (c_high - c_low) / (2 * Z_INTERVAL))
    z = (c_value - b_value) / spread if spread > 0 else (math.inf if c_value > b_value else 0.0)
    regressed = ratio > 1 + tolerance and z >= Z_ONE_SIDED
    return Finding(
        suite=suite,
        metric=metric,
        baseline=b_value,
        current=c_value,
        change=f"{(ratio - 1) * 100:+.1f}%" if math.isfinite(ratio) else "from 0",
        tolerance=f"+{tolerance * 100:g}%",
        regressed=regressed,
        evidence=(
            f"z = {z:.2f} (95% intervals [{b_low:.3g}, {b_high:.3g}] ms over {base.count} calls,"
            f" [{c_low:.3g}, {c_high:.3g}] ms over {cur.count}; one-sided 5% at z >= {Z_ONE_SIDED})"
        ),
    )


def _error_rate(suite: str, n1: int, e1: int, n2: int, e2: int, tolerance: float) -> Finding:
    p1, p2 = e1 / n1, e2 / n2
    pooled = (e1 + e2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = (p2 - p1) / spread if spread > 0 else (math.inf if p2 > p1 else 0.0)
    regressed = p2 - p1 > tolerance and z >= Z_ONE_SIDED
    return Finding(
        suite=suite,
        metric="error_rate",
        baseline=p1,
        current=p2,
        change=f"{(p2 - p1) * 100:+.2f} points",
        tolerance=f"+{tolerance * 100:g} points",
        regressed=regressed,
        evidence=f"two-proportion z = {z:.2f} ({e1}/{n1} vs {e2}/{n2}; one-sided 5% at z >= {Z_ONE_SIDED})",
    )


def render(comparison: Comparison) -> str:
    """The comparison as a plain table, then a verdict line."""
    from tabulate import tabulate

    rows = [
        [f.suite, f.metric, _shown(f.baseline), _shown(f.current), f.change, f.tolerance,
         "REGRESSED" if f.regressed else "ok", f.evidence]
        for f in comparison.findings
    ]  # fmt: skip
    headers = ["SUITE", "METRIC", "BASELINE", "NOW", "CHANGE", "TOLERANCE", "VERDICT", "EVIDENCE"]
    lines = [f"compared with baseline run {comparison.baseline_run}:"]
    lines.append(
        tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)
        if rows
        else "(nothing to compare)"
    )
    lines += [f"not in the baseline: {name}" for name in comparison.unmatched]
    regressions = comparison.regressions
    if regressions:
        what = ", ".join(f"{f.suite} {f.metric} {f.change}" for f in regressions)
        lines.append(f"{len(regressions)} regression(s): {what}")
    else:
        lines.append("no regression")
    return "\n".join(lines)


def _shown(value: float | str) -> str:
    if isinstance(value, str):
        return value
    return f"{value:.4g}"


def pick(runs: Sequence[RunResult], current: RunResult) -> RunResult | None:
    """``last-pass``: the newest run before ``current`` that passed and shares a suite with it."""
    wanted = {(s.kind, s.name) for s in current.suites}
    for run in runs:
        if run.run_id == current.run_id or run.status != "passed":
            continue
        if wanted & {(s.kind, s.name) for s in run.suites}:
            return run
    return None
