"""The failure budget: Ansible's max_fail_percentage (strictly exceeded, of the planned total)."""

from __future__ import annotations

import re

import pytest

from mcpctl.engine.failures import FailureBudget
from mcpctl.spec.units import Percent, parse_percent


def budget(percentage: float | Percent | None, total: int, *, failed: int = 0, ok: int = 0) -> FailureBudget:
    made = FailureBudget(max_fail_percentage=percentage, total=total)
    for _ in range(failed):
        made.record(ok=False)
    for _ in range(ok):
        made.record(ok=True)
    return made


@pytest.mark.parametrize(
    ("percentage", "total", "allowed"),
    [
        (25, 4, 1),  # 1 of 4 is exactly 25%: does not stop; 2 does
        (49, 4, 1),  # Ansible's example: abort at 2 of 4 hosts with 49, not 50
        (50, 4, 2),
        (30, 10, 3),
        (29, 100, 29),  # 0.29 * 100 is 28.999999999999996 in floats
        (0, 10, 0),  # the first failure stops the run
        (100, 10, 10),  # never stops
        (10, 5, 0),  # 0.5 items tolerated rounds down
        (2.5, 200, 5),
    ],
)
def test_exactly_at_the_percentage_does_not_stop_one_more_does(
    percentage: float, total: int, allowed: int
) -> None:
    assert budget(percentage, total).allowed == allowed
    assert not budget(percentage, total, failed=allowed).exceeded()
    if allowed < total:
        assert budget(percentage, total, failed=allowed + 1).exceeded()


def test_the_denominator_is_the_planned_total_not_the_completed() -> None:
    early = budget(10, 100, failed=2)  # 2 of 2 completed, but 2% of the plan
    assert early.completed == 2
    assert early.remaining == 98
    assert not early.exceeded()


def test_successes_do_not_dilute_failures() -> None:
    assert budget(10, 10, failed=2, ok=8).exceeded()
    assert not budget(10, 10, failed=1, ok=9).exceeded()


def test_a_spec_percentage_is_exact() -> None:
    assert budget(parse_percent("29%"), 100).allowed == 29
    assert budget(parse_percent("0.5%"), 1000).allowed == 5
    assert not budget(parse_percent("0.5%"), 1000, failed=5).exceeded()
    assert budget(parse_percent("0.5%"), 1000, failed=6).exceeded()


def test_no_limit_never_stops() -> None:
    unlimited = budget(None, 3, failed=3)
    assert unlimited.allowed is None
    assert not unlimited.exceeded()


@pytest.mark.parametrize(
    ("on_failure", "percentage", "allowed"),
    [
        ("continue", None, None),
        ("halt", None, 0),
        ("rollback", None, 0),
        ("continue", 20, 2),
        ("halt", 20, 2),
        ("rollback", 20, 2),
    ],
)
def test_the_budget_a_plan_implies(on_failure: str, percentage: float | None, allowed: int | None) -> None:
    made = FailureBudget.for_plan(on_failure=on_failure, max_fail_percentage=percentage, total=10)  # type: ignore[arg-type]
    assert made.allowed == allowed


def test_describe() -> None:
    assert budget(25, 8, failed=2, ok=1).describe() == "2 of 8 items failed (25%)"
    assert budget(25, 8, failed=3).describe() == (
        "3 of 8 items failed (37.5%): more than max_fail_percentage 25% allows (2); stopping"
    )
    assert budget(parse_percent("0.5%"), 1000, failed=6).describe() == (
        "6 of 1000 items failed (0.6%): more than max_fail_percentage 0.5% allows (5); stopping"
    )
    assert budget(None, 0).describe() == "0 of 0 items failed (0%)"


def test_more_outcomes_than_planned_is_a_bug() -> None:
    full = budget(50, 1, ok=1)
    with pytest.raises(ValueError, match=re.escape("more outcomes recorded than the 1 items planned")):
        full.record(ok=False)


@pytest.mark.parametrize(
    ("percentage", "total", "message"),
    [
        (101, 10, "max_fail_percentage must be between 0 and 100: 101"),
        (-1, 10, "max_fail_percentage must be between 0 and 100: -1"),
        (10, -1, "the planned total cannot be negative: -1"),
    ],
)
def test_invalid_budgets(percentage: float, total: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        FailureBudget(max_fail_percentage=percentage, total=total)
