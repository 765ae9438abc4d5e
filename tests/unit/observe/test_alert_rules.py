"""Alert conditions: parsing in spec units, comparing measurements, the errors a spec author sees;
matchers and silences; fingerprints."""

from __future__ import annotations

import re

import pytest

from mcpctl.observe.alerts.alert import fingerprint
from mcpctl.observe.alerts.silence import Silence
from mcpctl.spec.alert_matchers import Matcher, parse_matcher
from mcpctl.spec.alert_rules import Rule, format_value, parse_condition


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


@pytest.mark.parametrize(
    ("text", "metric", "op", "threshold"),
    [
        ("p99 > 500ms", "p99", ">", 500.0),
        ("p50>=1.5s", "p50", ">=", 1500.0),
        ("  p90 <= 2m ", "p90", "<=", 120_000.0),
        ("error_rate > 5%", "error_rate", ">", 0.05),
        ("throughput < 10/s", "throughput", "<", 10.0),
        ("throughput < 600/m", "throughput", "<", 10.0),
        ("health == offline", "health", "==", "offline"),
        ("health != healthy", "health", "!=", "healthy"),
    ],
)
def test_conditions_parse_thresholds_in_the_measurement_unit(
    text: str, metric: str, op: str, threshold: float | str
) -> None:
    condition = parse_condition(text)
    assert (condition.metric, condition.op, condition.threshold) == (metric, op, threshold)


def test_a_condition_prints_as_written() -> None:
    assert str(parse_condition("p99>500ms")) == "p99 > 500ms"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "p99 500ms",
            "'p99 500ms' is not a condition: write a metric, a comparison and a value "
            "(p99 > 500ms, error_rate > 5%, throughput < 10/s, health == offline)",
        ),
        (
            "p95 > 1s",
            "'p95 > 1s': unknown metric 'p95'; use one of p50, p90, p99, error_rate, throughput, health",
        ),
        ("p99 > 500", "'p99 > 500': '500' is not a duration: add a unit (250ms, 2s, 5m, 1h)"),
        (
            "error_rate > 5",
            "'error_rate > 5': '5' is not a percentage: use a number and a percent sign (1%, 0.5%, 100%)",
        ),
        ("health > offline", "'health > offline': health compares with == or != only, not >"),
        ("health == 3", "'health == 3': '3' is not a health state (healthy, degraded, unhealthy, offline)"),
    ],
)
def test_bad_conditions_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=exactly(message)):
        parse_condition(text)


@pytest.mark.parametrize(
    ("text", "value", "holds"),
    [
        ("p99 > 500ms", 500.0, False),
        ("p99 > 500ms", 500.5, True),
        ("p99 >= 500ms", 500.0, True),
        ("throughput < 10/s", 9.0, True),
        ("error_rate != 0%", 0.0, False),
        ("health == offline", "offline", True),
        ("health != healthy", "degraded", True),
        ("health != healthy", 1.0, False),
        ("p99 > 500ms", "offline", False),
    ],
)
def test_conditions_compare_measurements(text: str, value: float | str, holds: bool) -> None:
    assert parse_condition(text).holds(value) is holds


def test_values_print_in_the_unit_rules_use() -> None:
    assert [
        format_value("p99", 612.0),
        format_value("error_rate", 0.075),
        format_value("throughput", 3.0),
        format_value("health", "offline"),
    ] == ["612ms", "7.5%", "3/s", "offline"]


def test_rules_refuse_negative_durations() -> None:
    with pytest.raises(ValueError, match=exactly("rule 'slow': for and keep_firing_for cannot be negative")):
        Rule(name="slow", condition=parse_condition("p99 > 1s"), for_=-1)


def test_fingerprints_are_stable_and_ignore_label_order() -> None:
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "bc"}) != fingerprint({"ab": "c"})
    assert (
        fingerprint({"alertname": "HighP99", "server": "a"}) == "e3c689d6c790e41b"
    )  # pinned: stored alerts keep their identity
    assert len(fingerprint({})) == 16


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("server=a", {"server": "a"}, True),
        ('server!="a"', {"server": "a"}, False),
        ("team!=db", {}, True),
        ('alertname=~"High.*"', {"alertname": "HighP99"}, True),
        ("alertname=~High", {"alertname": "HighP99"}, False),  # anchored
        ("severity!~warning|info", {"severity": "critical"}, True),
        (r'msg="say \"hi\""', {"msg": 'say "hi"'}, True),
    ],
)
def test_matchers(text: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_matcher(text).matches(labels) is matches


def test_bad_matchers_say_what_to_write() -> None:
    with pytest.raises(
        ValueError,
        match=exactly("'server' is not a matcher: write a label, one of = != =~ !~, and a value (server=a)"),
    ):
        parse_matcher("server")
    with pytest.raises(ValueError, match=r"^server=~'\(': not a regular expression: "):
        Matcher(name="server", op="=~", value="(")


def test_silences_mute_from_start_to_end_excluded() -> None:
    silence = Silence(id="s1", matchers=(parse_matcher("server=a"),), starts_at=10, ends_at=20)
    assert [silence.mutes({"server": "a"}, t) for t in (9, 10, 19.9, 20)] == [False, True, True, False]
    assert not silence.mutes({"server": "b"}, 15)
    with pytest.raises(ValueError, match="needs at least one matcher"):
        Silence(id="all", matchers=(), starts_at=0, ends_at=1)
