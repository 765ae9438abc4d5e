"""Rule evaluation with exact timings: pending until `for`, keep_firing_for, nodata, resolution, and the
speed of 1,000 rules over 20 servers."""

from __future__ import annotations

import pytest

from mcpctl.observe.alerts.state import AlertEvent, Evaluator
from mcpctl.spec.alert_rules import Rule, parse_condition


def rule(when: str, *, name: str = "HighP99", for_: float = 0, keep: float = 0) -> Rule:
    return Rule(
        name=name, condition=parse_condition(when), for_=for_, keep_firing_for=keep, labels={"team": "x"}
    )


def changes(events: list[AlertEvent]) -> list[tuple[float, str, str, str]]:
    return [(e.at, e.previous, e.state, e.reason) for e in events]


def run(evaluator: Evaluator, series: dict[float, float | str | None]) -> list[AlertEvent]:
    events: list[AlertEvent] = []
    for at, value in series.items():
        events += evaluator.evaluate(at, {"a": {"p99": value}})
    return events


def test_pending_fires_only_once_the_condition_held_for_its_duration() -> None:
    evaluator = Evaluator([rule("p99 > 500ms", for_=60)])
    events = run(evaluator, {0: 600.0, 30: 700.0, 59: 650.0, 60: 612.0, 90: 800.0})
    assert changes(events) == [
        (0, "inactive", "pending", "p99 > 500ms holds (600ms); fires if it still holds after 1m"),
        (60, "pending", "firing", "p99 > 500ms held for 1m (612ms)"),
    ]
    alert = events[1].alert
    assert alert is not None
    assert (alert.status, alert.starts_at, alert.ends_at) == ("firing", 60, None)
    assert alert.labels == {"team": "x", "alertname": "HighP99", "server": "a", "severity": "warning"}
    assert alert.annotations == {"condition": "p99 > 500ms", "value": "612ms"}
    assert events[0].alert is None


def test_a_pending_alert_that_stops_holding_goes_back_to_inactive_and_starts_over() -> None:
    evaluator = Evaluator([rule("p99 > 500ms", for_=60)])
    events = run(evaluator, {0: 600.0, 50: 400.0, 70: 600.0, 120: 600.0, 130: 600.0})
    assert changes(events) == [
        (0, "inactive", "pending", "p99 > 500ms holds (600ms); fires if it still holds after 1m"),
        (50, "pending", "inactive", "p99 > 500ms no longer holds (400ms)"),
        (70, "inactive", "pending", "p99 > 500ms holds (600ms); fires if it still holds after 1m"),
        (130, "pending", "firing", "p99 > 500ms held for 1m (600ms)"),
    ]


def test_without_for_a_rule_fires_at_the_first_evaluation_and_resolves_at_the_first_clear_one() -> None:
    evaluator = Evaluator([rule("error_rate > 5%", name="Errors")])
    events = []
    for at, value in ((0, 0.06), (10, 0.07), (20, 0.01)):
        events += evaluator.evaluate(at, {"a": {"error_rate": value}})
    assert changes(events) == [
        (0, "inactive", "firing", "error_rate > 5% holds (6%)"),
        (20, "firing", "resolved", "error_rate > 5% no longer holds (1%)"),
    ]
    resolved = events[1].alert
    assert resolved is not None
    assert (resolved.status, resolved.starts_at, resolved.ends_at) == ("resolved", 0, 20)
    assert events[0].alert is not None
    assert resolved.fingerprint == events[0].alert.fingerprint  # one identity from firing to resolved
    assert evaluator.state("Errors", "a") == "inactive"  # resolved behaves, and reads, as inactive


def test_keep_firing_for_holds_a_firing_alert_through_short_clears() -> None:
    evaluator = Evaluator([rule("p99 > 500ms", keep=30)])
    events = run(evaluator, {0: 600.0, 10: 100.0, 20: 600.0, 30: 100.0, 50: 100.0, 59: 100.0, 60: 100.0})
    # clear at 10, holds again at 20 (the hold is reset), clear from 30: resolves 30 s later, at 60
    assert changes(events) == [
        (0, "inactive", "firing", "p99 > 500ms holds (600ms)"),
        (60, "firing", "resolved", "p99 > 500ms no longer holds (100ms); kept firing for 30s"),
    ]


def test_a_missing_measurement_is_nodata_and_says_so() -> None:
    evaluator = Evaluator([rule("p99 > 500ms", for_=60), rule("health == offline", name="Down")])
    events = evaluator.evaluate(0, {"a": {"p99": 600.0, "health": None}})
    events += evaluator.evaluate(10, {"a": {"health": "online"}})
    events += evaluator.evaluate(20, {})  # the server vanished from the measurements: it stays known
    events += evaluator.evaluate(30, {"a": {"p99": 100.0, "health": "offline"}})
    assert [(e.at, e.rule, e.previous, e.state, e.reason) for e in events] == [
        (0, "HighP99", "inactive", "pending", "p99 > 500ms holds (600ms); fires if it still holds after 1m"),
        (0, "Down", "inactive", "nodata", "no health measurement"),
        (10, "HighP99", "pending", "nodata", "no p99 measurement"),
        (10, "Down", "nodata", "inactive", "health measured again (online)"),
        (20, "Down", "inactive", "nodata", "no health measurement"),
        (30, "HighP99", "nodata", "inactive", "p99 measured again (100ms)"),
        (30, "Down", "nodata", "firing", "health == offline holds (offline)"),
    ]


def test_a_firing_alert_without_data_keeps_firing_for_then_ends_in_nodata() -> None:
    evaluator = Evaluator([rule("p99 > 500ms", keep=20)])
    events = run(evaluator, {0: 600.0, 10: None, 20: None, 30: None})
    assert changes(events) == [
        (0, "inactive", "firing", "p99 > 500ms holds (600ms)"),
        (30, "firing", "nodata", "no p99 measurement; kept firing for 20s"),
    ]
    assert events[1].alert is not None
    assert (events[1].alert.status, events[1].alert.ends_at) == ("resolved", 30)


def test_rule_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match=r"^rule names must be unique: HighP99 repeated$"):
        Evaluator([rule("p99 > 1s"), rule("p99 > 2s")])


def test_a_thousand_rules_over_twenty_servers() -> None:
    # the time it takes is a figure for bench/ (issue 11: <= 50 ms per cycle), not a timed unit test
    rules = [rule(f"p99 > {100 + i}ms", name=f"R{i}", for_=30) for i in range(1000)]
    evaluator = Evaluator(rules)
    measurements = {f"s{n}": {"p99": 100.0 + 60 * n, "error_rate": 0.0} for n in range(20)}
    evaluator.evaluate(0, measurements)  # first sight creates the 20,000 states; most pairs go pending
    # 30: most pairs go pending -> firing; 60: nothing changes
    assert [len(evaluator.evaluate(at, measurements)) for at in (30, 60)] == [11_160, 0]
