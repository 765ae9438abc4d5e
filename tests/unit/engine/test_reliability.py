"""pass@k and pass^k on hand-made counts (exact fractions), pass_rate thresholds, and the verdict on the
runs of a repeated test, with exact messages."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest

from mcpctl.engine.expect import Failure, check_runs
from mcpctl.engine.results import KEPT_FAILURES, pass_at_k, pass_hat_k, reliability
from mcpctl.spec.model import PassRate


@pytest.mark.parametrize(
    ("n", "c", "k", "at_k", "hat_k"),
    [
        (10, 10, 1, Fraction(1), Fraction(1)),
        (10, 0, 3, Fraction(0), Fraction(0)),
        (10, 9, 1, Fraction(9, 10), Fraction(9, 10)),
        # 1 - C(1,2)/C(10,2) = 1 (two draws cannot both miss the one failure); C(9,2)/C(10,2) = 36/45
        (10, 9, 2, Fraction(1), Fraction(36, 45)),
        # 1 - C(3,2)/C(5,2) = 1 - 3/10; C(2,2)/C(5,2) = 1/10
        (5, 2, 2, Fraction(7, 10), Fraction(1, 10)),
        # k = n: at least one passed / all passed, exactly
        (4, 1, 4, Fraction(1), Fraction(0)),
        (4, 4, 4, Fraction(1), Fraction(1)),
        # 1 - C(6,3)/C(10,3) = 1 - 20/120; C(4,3)/C(10,3) = 4/120
        (10, 4, 3, Fraction(5, 6), Fraction(1, 30)),
    ],
)
def test_the_unbiased_estimators_on_hand_made_counts(
    n: int, c: int, k: int, at_k: Fraction, hat_k: Fraction
) -> None:
    assert pass_at_k(n, c, k) == float(at_k)
    assert pass_hat_k(n, c, k) == float(hat_k)


def test_large_counts_stay_exact() -> None:
    # C(1000, 500) has 300 digits: the ratio is taken on exact integers, then rounded once
    assert pass_hat_k(1000, 900, 500) == float(Fraction(comb(900, 500), comb(1000, 500)))
    assert pass_at_k(1000, 1, 500) == 0.5


@pytest.mark.parametrize(("n", "c", "k"), [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6)])
def test_impossible_counts_are_refused(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError, match=f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}"):
        pass_at_k(n, c, k)


def test_the_record_caps_k_and_the_kept_failures() -> None:
    found = reliability(runs=3, passed=2, k=10, required=">= 50%", failures=[f"run {i}" for i in range(80)])
    assert (found.k, found.pass_at_k, found.pass_hat_k, found.rate) == (3, 1.0, 0.0, 2 / 3)
    assert len(found.failures) == KEPT_FAILURES


@pytest.mark.parametrize(
    ("op", "percent", "passed", "runs", "holds"),
    [
        (">=", 95, 19, 20, True),
        (">=", 95, 18, 20, False),
        (">=", 95, 190, 200, True),  # exactly 95%: no float rounding makes it miss
        (">", 95, 190, 200, False),
        (">", 95, 191, 200, True),
        ("==", 100, 20, 20, True),
        ("==", 100, 19, 20, False),
        (">=", 33.3, 1, 3, True),
    ],
)
def test_pass_rate_thresholds(op: str, percent: float, passed: int, runs: int, holds: bool) -> None:
    rate = PassRate(op=op, fraction=percent / 100, text=f"{op} {percent}%")  # type: ignore[arg-type]
    assert rate.holds(passed, runs) is holds


FIRST = [Failure(message="run 2 of 4: text: expected 'ok', got 'no'", details=("d",))]


def test_without_pass_rate_every_run_must_pass() -> None:
    assert check_runs(None, [True, True], [], []) == []
    assert check_runs(None, [True, False, True, False], ["run 2 of 4: x", "run 4 of 4: y"], FIRST) == [
        *FIRST,
        Failure(message="2 of 4 runs failed"),
    ]


def test_a_held_pass_rate_passes_and_a_missed_one_lists_the_failing_runs() -> None:
    rate = PassRate(op=">=", fraction=0.5, text=">= 50%")
    assert check_runs(rate, [True, False, True, False], ["run 2 of 4: x", "run 4 of 4: y"], FIRST) == []
    passes = [True] + [False] * 12
    failing = [f"run {i} of 13: boom" for i in range(2, 14)]
    assert check_runs(rate, passes, failing, FIRST) == [
        Failure(
            message="pass rate 7.7% (1 of 13 runs passed) is not >= 50%",
            details=(*failing[:10], "… and 2 more failing runs"),
        )
    ]
