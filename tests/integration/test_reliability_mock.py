"""Reliability against a mock that fails 10 % of calls (``behaviour: {errorRate: 10%}``, seeded so the
test is deterministic): 200 repeats per test; the observed pass rate lies in the 99.9 % binomial interval
around 0.9; pass@k and pass^k equal the closed-form estimators on the observed counts and bracket the
true 1 - 0.1^k and 0.9^k; flaky marking, kept failing runs and pass_rate verdicts, with exact text."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
import trio

from mcpctl.engine.results import CaseResult, pass_at_k, pass_hat_k
from mcpctl.engine.runner import run_suites
from mcpctl.spec.build import load_specs

N, K, P = 200, 5, Fraction(9, 10)

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: dice}
server: {name: dice, version: 1.0.0}
seed: 14
tools:
  - name: roll
    description: Answers ok, except 10 % of the time.
    inputSchema: {type: object}
    annotations: {readOnlyHint: true}
    behaviour: {errorRate: 10%}
    default: {text: ok}
"""

SUITE = f"""\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: dice}}
server: {{mock: ./mock.yaml}}
tests:
  - {{name: at least 80, call: roll, repeat: {N}, k: {K}, pass_rate: ">= 80%", expect: {{text: ok}}}}
  - {{name: at least 99, call: roll, repeat: {N}, k: {K}, pass_rate: ">= 99%", expect: {{text: ok}}}}
  - {{name: every run, call: roll, repeat: {N}, expect: {{text: ok}}}}
  - {{name: calls, expect: {{mockCalls: [{{tool: roll, count: {3 * N}}}]}}}}
"""


def binomial_interval(n: int, p: Fraction, confidence: Fraction) -> tuple[int, int]:
    """The central interval [lo, hi] holding at least ``confidence`` of Binomial(n, p), exactly."""
    tail = (1 - confidence) / 2
    pmf = [comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(n + 1)]
    lo, below = 0, Fraction(0)
    while below + pmf[lo] <= tail:
        below += pmf[lo]
        lo += 1
    hi, above = n, Fraction(0)
    while above + pmf[hi] <= tail:
        above += pmf[hi]
        hi -= 1
    return lo, hi


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CaseResult]:
    directory = tmp_path_factory.mktemp("dice")
    (directory / "mock.yaml").write_text(MOCK)
    (directory / "suite.yaml").write_text(SUITE)
    specs = load_specs([str(directory / "suite.yaml")])
    result = trio.run(lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test"))
    (suite,) = result.suites
    assert not suite.error, suite.error
    return {case.name: case for case in suite.cases}


def test_every_repeat_was_made(cases: dict[str, CaseResult]) -> None:
    assert (cases["calls"].status, cases["calls"].message) == ("passed", "")
    assert [cases[name].reliability.runs for name in ("at least 80", "at least 99", "every run")] == [N] * 3  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["at least 80", "at least 99", "every run"])
def test_the_observed_rate_fits_the_binomial_expectation(cases: dict[str, CaseResult], name: str) -> None:
    found = cases[name].reliability
    assert found is not None
    lo, hi = binomial_interval(N, P, Fraction(999, 1000))
    assert (lo, hi) == (165, 192)
    assert lo <= found.passed <= hi


@pytest.mark.parametrize("name", ["at least 80", "at least 99"])
def test_pass_at_k_and_pass_hat_k_are_the_estimators_on_the_counts(
    cases: dict[str, CaseResult], name: str
) -> None:
    found = cases[name].reliability
    assert found is not None
    n, c = found.runs, found.passed
    assert found.k == K
    assert found.pass_at_k == float(1 - Fraction(comb(n - c, K), comb(n, K)))
    assert found.pass_hat_k == float(Fraction(comb(c, K), comb(n, K)))
    # both are monotone in c: over the binomial interval they bracket the true values
    lo, hi = binomial_interval(N, P, Fraction(999, 1000))
    assert pass_at_k(N, lo, K) <= 1 - 0.1**K <= pass_at_k(N, hi, K)
    assert pass_hat_k(N, lo, K) <= 0.9**K <= pass_hat_k(N, hi, K)
    assert pass_hat_k(N, lo, K) <= found.pass_hat_k <= pass_hat_k(N, hi, K)
    assert abs(found.pass_hat_k - 0.9**K) < 0.25
    assert abs(found.pass_at_k - (1 - 0.1**K)) < 1e-3


def test_a_held_pass_rate_passes_flaky_with_its_failing_runs_kept(cases: dict[str, CaseResult]) -> None:
    case = cases["at least 80"]
    found = case.reliability
    assert found is not None
    assert (case.status, case.flaky, case.message, found.required) == ("passed", True, "", ">= 80%")
    assert len(found.failures) == N - found.passed
    assert found.failures[0].startswith("run ")
    assert all(
        line.endswith(" of 200: request failed with JSON-RPC error -32603: Internal error (injected by mock)")
        for line in found.failures
    )


def test_a_missed_pass_rate_fails(cases: dict[str, CaseResult]) -> None:
    case = cases["at least 99"]
    found = case.reliability
    assert found is not None
    assert (case.status, case.flaky) == ("failed", True)
    assert (
        case.message == f"pass rate {found.passed / N:.1%} ({found.passed} of {N} runs passed) is not >= 99%"
    )
    assert case.details[:10] == found.failures[:10]
    assert case.details[10] == f"… and {N - found.passed - 10} more failing runs"


def test_without_pass_rate_every_run_must_pass(cases: dict[str, CaseResult]) -> None:
    case = cases["every run"]
    found = case.reliability
    assert found is not None
    assert (case.status, case.flaky, found.required, found.k) == ("failed", True, "", N)
    assert case.message == found.failures[0]
    assert case.details[-1] == f"{N - found.passed} of {N} runs failed"
    # k defaults to the repeat count: at least one of all passed, not all of them did
    assert (found.pass_at_k, found.pass_hat_k) == (1.0, 0.0)
