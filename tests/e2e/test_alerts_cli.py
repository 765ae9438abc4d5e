"""``mcpctl alerts test`` as a user runs it: promtool-style unit tests of alert rules."""

from __future__ import annotations

from pathlib import Path

from testing.cli import invoke as mcpctl
from testing.paths import ROOT

RULES = """\
apiVersion: mcpctl/v1
kind: AlertRules
metadata: {name: fleet-alerts}
rules:
  - alert: SlowServer
    expr: "p99 > 500ms"
    for: 1m
    keepFiringFor: 2m
    servers: [weather]
  - alert: Down
    expr: health == offline
"""

TEST = """\
apiVersion: mcpctl/v1
kind: AlertTest
metadata: {name: fleet}
rules: rules.yaml
series:
  weather: {p99: "100 100 600x5 100x3"}
  github: {health: "online offlinex1 online", p99: "900x9"}
tests:
  - at: 2m
    firing: [{alert: Down, server: github}]
    pending: [{alert: SlowServer, server: weather}]
  - at: 3m
    firing: [{alert: SlowServer, server: weather}]
  - at: 10m
    firing: []
"""


def _write(tmp_path: Path, test: str = TEST) -> str:
    (tmp_path / "rules.yaml").write_text(RULES, encoding="utf-8")
    (tmp_path / "fleet.test.yaml").write_text(test, encoding="utf-8")
    return str(tmp_path / "fleet.test.yaml")


def test_passing_tests(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert mcpctl("alerts", "test", path) == (
        0,
        f"Unit Testing: {path} (AlertTest/fleet)\n"
        '  PASS  at 2m: firing Down{server="github"}; pending SlowServer{server="weather"}\n'
        '  PASS  at 3m: firing SlowServer{server="weather"}\n'
        "  PASS  at 10m: firing (none)\n"
        "  SUCCESS: 3 tests\n",
        "",
    )


def test_failing_tests_show_expected_and_got(tmp_path: Path) -> None:
    test = TEST.replace("  - at: 10m\n    firing: []", "  - at: 9m\n    firing: []\n    pending: []")
    test = test.replace("firing: [{alert: Down, server: github}]", "firing: []")
    path = _write(tmp_path, test)
    assert mcpctl("alerts", "test", path) == (
        1,
        f"Unit Testing: {path} (AlertTest/fleet)\n"
        f"  FAIL  at 2m ({path}:9:5)\n"
        "    firing   expected: (none)\n"
        '             got:      Down{server="github"}\n'
        '  PASS  at 3m: firing SlowServer{server="weather"}\n'
        f"  FAIL  at 9m ({path}:14:5)\n"
        "    firing   expected: (none)\n"
        '             got:      SlowServer{server="weather"}\n'
        "  FAILED: 2 of 3 tests\n",
        "",
    )


def test_bad_input_exits_2_at_the_place(tmp_path: Path) -> None:
    path = _write(tmp_path, TEST.replace('"100 100 600x5 100x3"', '"100 100 600x"'))
    assert mcpctl("alerts", "test", path) == (
        2,
        "",
        f"mcpctl: error: {path}:6:18: AlertTest/fleet: series.weather.p99: '600x' is not a value: "
        "write a number, axN, a+bxN, a-bxN, _ or _xN (e.g. 100 100+50x4 _x2)\n",
    )


def test_an_expected_alert_no_rule_raises(tmp_path: Path) -> None:
    path = _write(tmp_path, TEST.replace("{alert: Down, server: github}", "{alert: Dwn, server: github}"))
    assert mcpctl("alerts", "test", path) == (
        2,
        "",
        f"mcpctl: error: {path}:10:14: AlertTest/fleet: no rule alerts 'Dwn' (rules: Down, SlowServer)\n",
    )


def test_a_file_without_tests(tmp_path: Path) -> None:
    _write(tmp_path)
    path = str(tmp_path / "rules.yaml")
    assert mcpctl("alerts", "test", path) == (2, "", f"mcpctl: error: {path}: holds no AlertTest document\n")


def test_the_example_passes() -> None:
    code, out, err = mcpctl("alerts", "test", str(ROOT / "examples/alerts/fleet-alerts.test.yaml"))
    assert (code, err) == (0, "")
    assert out.endswith("  SUCCESS: 5 tests\n")
