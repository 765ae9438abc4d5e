"""Baseline comparison: a real slowdown is flagged trial after trial, noise is not; error rates by a
two-proportion z-test; a case that passed in the baseline and fails now is a regression."""

from __future__ import annotations

import random

from mcpctl.engine.baseline import compare, compare_calls, interval, render
from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.spec.load_model import Regression

CALLS = 2000


def _calls(rng: random.Random, *, median_ms: float, errors: int = 0) -> tuple[LatencyHistogram, int, int]:
    histogram = LatencyHistogram()
    for _ in range(CALLS):
        histogram.record(round(rng.lognormvariate(0, 0.5) * median_ms * 1e6))
    return histogram, CALLS, errors


def _flagged(rng: random.Random, *, slower: float) -> set[str]:
    base = _calls(rng, median_ms=5.0)
    now = _calls(rng, median_ms=5.0 * slower)
    findings = compare_calls("LoadTest/t", base, now, Regression())
    return {f.metric for f in findings if f.regressed}


def test_a_30_percent_slowdown_is_flagged_in_every_one_of_20_trials() -> None:
    rng = random.Random(30)
    assert all(_flagged(rng, slower=1.3) == {"p50", "p99"} for _ in range(20))


def test_an_unchanged_server_is_flagged_in_at_most_1_of_20_trials() -> None:
    rng = random.Random(0)
    flagged = sum(1 for _ in range(20) if _flagged(rng, slower=1.0))
    assert flagged <= 1


def test_the_percentile_interval_brackets_the_percentile() -> None:
    rng = random.Random(1)
    histogram, _, _ = _calls(rng, median_ms=5.0)
    low, value, high = interval(histogram, 99.0)
    assert low < value < high
    assert value == histogram.percentile(99.0)


def test_error_rates_are_compared_by_a_two_proportion_z_test() -> None:
    rng = random.Random(2)
    base, now = _calls(rng, median_ms=5.0, errors=10), _calls(rng, median_ms=5.0, errors=60)
    (error_rate,) = [
        f for f in compare_calls("LoadTest/t", base, now, Regression()) if f.metric == "error_rate"
    ]
    assert error_rate.regressed
    assert error_rate.change == "+2.50 points"
    assert error_rate.evidence.startswith("two-proportion z = 6.")
    # 0.5% -> 0.8% is within the +0.5 points tolerance
    small = _calls(rng, median_ms=5.0, errors=16)
    (within,) = [
        f for f in compare_calls("LoadTest/t", base, small, Regression()) if f.metric == "error_rate"
    ]
    assert not within.regressed


def _run(run_id: str, statuses: dict[str, str]) -> RunResult:
    cases = tuple(CaseResult(name=name, status=status, duration_ms=1.0) for name, status in statuses.items())  # type: ignore[arg-type]
    suite = SuiteResult(kind="TestSuite", name="smoke", server="s", cases=cases)
    return RunResult(run_id=run_id, command="test", started_at=0.0, duration_ms=1.0, suites=(suite,))


def test_a_case_that_passed_in_the_baseline_and_fails_now_is_a_regression() -> None:
    baseline = _run("base", {"a": "passed", "b": "failed", "c": "passed"})
    current = _run("now", {"a": "failed", "b": "failed", "c": "passed", "d": "failed"})
    comparison = compare(baseline, current)
    assert [(f.metric, f.change, f.regressed) for f in comparison.findings] == [
        ("case a", "passed -> failed", True)
    ]
    text = render(comparison)
    assert text.splitlines()[0] == "compared with baseline run base:"
    assert text.splitlines()[-1] == "1 regression(s): TestSuite/smoke case a passed -> failed"
