from __future__ import annotations

import pytest

from mcpctl.engine.monitor.health import Verdict, evaluate, impacted_by
from mcpctl.engine.monitor.window import RollingWindow, WindowStats
from mcpctl.spec.monitor_model import HealthCondition, HealthRules

P99_DEGRADED = HealthCondition(metric="p99", op=">", value=250.0, text="p99 > 250ms")
ERRORS_DEGRADED = HealthCondition(metric="error_rate", op=">", value=0.01, text="error_rate > 1%")
ERRORS_UNHEALTHY = HealthCondition(metric="error_rate", op=">=", value=0.5, text="error_rate >= 50%")
RULES = HealthRules(degraded=(P99_DEGRADED, ERRORS_DEGRADED), unhealthy=(ERRORS_UNHEALTHY,), offline_after=3)


def stats(*, count: int = 10, errors: int = 0, p99: float = 20.0) -> WindowStats:
    return WindowStats(count=count, errors=errors, p50=5.0, p90=10.0, p99=p99, calls_per_second=1.0)


def test_healthy_when_no_condition_holds() -> None:
    assert evaluate(stats(), RULES, failed_connects=2) == Verdict(state="healthy")


def test_degraded_names_every_condition_that_held() -> None:
    verdict = evaluate(stats(errors=1, p99=412.4), RULES, failed_connects=0)
    assert verdict == Verdict(state="degraded", reasons=("p99 412ms > 250ms", "error_rate 10% > 1%"))


def test_unhealthy_wins_over_degraded() -> None:
    verdict = evaluate(stats(errors=5, p99=412.0), RULES, failed_connects=0)
    assert verdict == Verdict(state="unhealthy", reasons=("error_rate 50% >= 50%",))


def test_offline_after_failed_connects_in_a_row() -> None:
    verdict = evaluate(stats(errors=10), RULES, failed_connects=3)
    assert verdict == Verdict(state="offline", reasons=("3 failed connects in a row",))


def test_an_empty_window_is_healthy() -> None:
    lower = HealthCondition(metric="p50", op="<", value=1.0, text="p50 < 1ms")
    rules = HealthRules(degraded=(lower,))
    assert evaluate(stats(count=0), rules, failed_connects=0) == Verdict(state="healthy")
    assert evaluate(stats(), rules, failed_connects=0) == Verdict(state="healthy")
    fast = WindowStats(count=1, errors=0, p50=0.25, p90=0.25, p99=0.25, calls_per_second=1.0)
    assert evaluate(fast, rules, failed_connects=0) == Verdict(
        state="degraded", reasons=("p50 0.25ms < 1ms",)
    )


def test_impacted_by_offline_dependencies_only() -> None:
    states = {"db": "offline", "cache": "degraded", "api": None}
    assert impacted_by(("db", "cache", "missing"), states) == ("db",)  # type: ignore[arg-type]
    assert impacted_by(("cache",), states) == ()  # type: ignore[arg-type]


def test_window_measures_the_last_seconds_only() -> None:
    window = RollingWindow(10.0)
    window.add(100.0, "ok", 400_000_000)
    window.add(105.0, "ok", 10_000_000)
    window.add(105.5, "timeout", None)
    window.add(106.0, "error", 20_000_000)
    at_106 = window.stats(106.0)
    assert (at_106.count, at_106.errors, at_106.error_rate) == (4, 2, 0.5)
    assert at_106.p99 == pytest.approx(400.0, rel=0.01)  # 2 significant figures
    assert at_106.calls_per_second == 0.4
    at_111 = window.stats(111.0)  # the slice of t=100 left the window
    assert (at_111.count, at_111.errors) == (3, 2)
    assert (at_111.p50, at_111.p99) == (pytest.approx(10.0, rel=0.01), pytest.approx(20.0, rel=0.01))
    window.add(130.0, "ok", 1_000_000)
    assert window.stats(130.0).count == 1
