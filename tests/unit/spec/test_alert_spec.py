"""AlertRules and AlertTest documents: every record field built from YAML with its defaults, and every
meaning check with its exact message (one valid document, one field broken per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.spec.alert_model import (
    AlertRoute,
    AlertRule,
    AlertRulesSpec,
    AlertTestCase,
    AlertTestSpec,
    ExpectedAlert,
)
from mcpctl.spec.alert_rules import Rule, parse_condition
from mcpctl.spec.build import load_specs
from mcpctl.spec.model import Metadata, Source
from mcpctl.spec.units import Duration
from tests.unit.spec_files import broken, errors_in, expected_spec_hash

RULES = """\
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: fleet-alerts}
rules:
  - alert: SlowServer
    expr: "p99 > 500ms"
    for: 1m
    keepFiringFor: 2m
    severity: critical
    servers: [weather]
    labels: {team: core}
    annotations: {summary: "{{ server }} p99 is {{ value }}"}
  - alert: Down
    expr: health == offline
route: {groupBy: [alertname, server], groupWait: 10s, groupInterval: 2m, repeatInterval: 3m}
"""

TEST = """\
apiVersion: mcpctl/v1
kind: AlertTest
metadata: {name: fleet}
rules: rules.yaml
interval: 30s
series:
  weather: {p99: "100 600x3", health: "online offline"}
tests:
  - at: 1m
    firing: [{alert: SlowServer, server: weather}]
    pending: []
  - at: 0s
    firing: []
"""

R = "AlertRules/fleet-alerts"
T = "AlertTest/fleet"


def _write(tmp_path: Path, rules: str = RULES, test: str = TEST) -> tuple[Path, Path]:
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    (tmp_path / "test.yaml").write_text(test, encoding="utf-8")
    return tmp_path / "rules.yaml", tmp_path / "test.yaml"


def test_every_field_is_built(tmp_path: Path) -> None:
    rules_path, test_path = _write(tmp_path)
    specs = load_specs([str(tmp_path)], environ={})
    slow = Rule(
        name="SlowServer",
        condition=parse_condition("p99 > 500ms"),
        for_=60.0,
        keep_firing_for=120.0,
        severity="critical",
        labels={"team": "core"},
    )
    assert specs.alert_rules == (
        AlertRulesSpec(
            metadata=Metadata(name="fleet-alerts"),
            rules=(
                AlertRule(
                    rule=slow,
                    servers=("weather",),
                    annotations={"summary": "{{ server }} p99 is {{ value }}"},
                    source=Source(path=str(rules_path), line=5, column=5),
                ),
                AlertRule(
                    rule=Rule(name="Down", condition=parse_condition("health == offline")),
                    source=Source(path=str(rules_path), line=13, column=5),
                ),
            ),
            route=AlertRoute(
                group_by=("alertname", "server"),
                group_wait=Duration(seconds=10.0),
                group_interval=Duration(seconds=120.0),
                repeat_interval=Duration(seconds=180.0),
            ),
            spec_hash=expected_spec_hash(RULES),
            source=Source(path=str(rules_path), line=1, column=1),
        ),
    )
    at = str(test_path)
    assert specs.alert_tests == (
        AlertTestSpec(
            metadata=Metadata(name="fleet"),
            rules_file=str(rules_path),
            rules_source=Source(path=at, line=4, column=8),
            interval=Duration(seconds=30.0),
            series={"weather": {"p99": (100.0, 600.0, 600.0, 600.0, 600.0), "health": ("online", "offline")}},
            tests=(
                AlertTestCase(
                    at=Duration(seconds=60.0),
                    firing=(
                        ExpectedAlert(
                            alert="SlowServer", server="weather", source=Source(path=at, line=10, column=14)
                        ),
                    ),
                    pending=(),
                    source=Source(path=at, line=9, column=5),
                ),
                AlertTestCase(at=Duration(seconds=0.0), firing=(), source=Source(path=at, line=12, column=5)),
            ),
            spec_hash=expected_spec_hash(TEST),
            source=Source(path=at, line=1, column=1),
        ),
    )


def test_the_defaults(tmp_path: Path) -> None:
    rules = (
        "apiVersion: mcpctl/v1\nkind: AlertRules\nmetadata: {name: r}\nrules: [{alert: A, expr: p50 > 1s}]\n"
    )
    test = (
        "apiVersion: mcpctl/v1\nkind: AlertTest\nmetadata: {name: t}\nrules: rules.yaml\n"
        "series: {a: {p50: '1'}}\ntests: [{at: 2m, firing: []}]\n"
    )
    _write(tmp_path, rules, test)
    specs = load_specs([str(tmp_path)], environ={})
    (spec,) = specs.alert_rules
    assert spec.route == AlertRoute(
        group_by=("alertname",),
        group_wait=Duration(seconds=30.0),
        group_interval=Duration(seconds=300.0),
        repeat_interval=Duration(seconds=14400.0),
    )
    assert spec.rules[0].rule == Rule(name="A", condition=parse_condition("p50 > 1s"))
    assert (spec.rules[0].servers, spec.rules[0].annotations) == ((), {})
    (test_spec,) = specs.alert_tests
    assert test_spec.interval == Duration(seconds=60.0)
    assert test_spec.tests[0].pending is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'expr: "p99 > 500ms"',
            'expr: "p99 > 500"',
            f"6:11: {R}: rules[0].expr: 'p99 > 500': '500' is not a duration: add a unit (250ms, 2s, 5m, 1h)",
        ),
        (
            "expr: health == offline",
            "expr: p98 > 1s",
            f"14:11: {R}: rules[1].expr: 'p98 > 1s': unknown metric 'p98'; use one of p50, p90, p99, error_rate, throughput, health",
        ),
        (
            "alert: Down",
            "alert: SlowServer",
            f"13:12: {R}: rules[1].alert: duplicate alert name 'SlowServer' (first at line 5)",
        ),
        (
            "labels: {team: core}",
            "labels: {server: x}",
            f"11:14: {R}: rules[0].labels.server: labels cannot set server: mcpctl sets alertname, server and severity",
        ),
        (
            'p99 is {{ value }}"}',
            'p99 is {{ valeu }}"}',
            f"12:28: {R}: rules[0].annotations.summary: unknown name 'valeu' (annotations can use: alertname, condition, labels, server, severity, value)",
        ),
        (
            'p99 is {{ value }}"}',
            'p99 is {{ value }"}',
            f"12:28: {R}: rules[0].annotations.summary: template syntax error on line 1: unexpected '}}'",
        ),
        (
            "groupInterval: 2m",
            "groupInterval: 0s",
            f"15:70: {R}: route.groupInterval: must be longer than 0s",
        ),
    ],
)
def test_rules_meaning_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    rules_path, _ = _write(tmp_path, rules=broken(RULES, old, new))
    assert errors_in(tmp_path, rules_path) == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "rules: rules.yaml",
            "rules: nope.yaml",
            f"4:8: {T}: rules: no such file: {{dir}}/nope.yaml (the AlertRules file, relative to this file)",
        ),
        (
            'p99: "100 600x3"',
            'p99: "100 6OO"',
            f"7:18: {T}: series.weather.p99: '6OO' is not a value: write a number, axN, a+bxN, a-bxN, _ or _xN (e.g. 100 100+50x4 _x2)",
        ),
        (
            'health: "online offline"',
            'health: "online 3"',
            f"7:39: {T}: series.weather.health: '3' is not a health value: write a word, wordxN, _ or _xN (e.g. online offlinex3 _)",
        ),
        (
            "at: 1m",
            "at: 45s",
            f"9:9: {T}: tests[0].at: 45s is not a multiple of interval 30s: alerts are evaluated every 30s",
        ),
        (
            "server: weather}]\n    pending",
            "server: github}]\n    pending",
            f"10:42: {T}: tests[0].firing[0].server: server 'github' has no series (series: weather)",
        ),
        ("interval: 30s", "interval: 0s", f"5:11: {T}: interval: must be longer than 0s"),
    ],
)
def test_test_meaning_errors(tmp_path: Path, old: str, new: str, expected: str) -> None:
    _, test_path = _write(tmp_path, test=broken(TEST, old, new))
    assert errors_in(tmp_path, test_path) == [expected.replace("{dir}", str(tmp_path))]


def test_repeat_interval_not_a_multiple_is_allowed(tmp_path: Path) -> None:
    # 3m with a 2m group interval: the dispatcher rounds it up to 4m; the spec keeps what was written
    _write(tmp_path)
    (spec,) = load_specs([str(tmp_path)], environ={}).alert_rules
    assert spec.route.repeat_interval == Duration(seconds=180.0)
