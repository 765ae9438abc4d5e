"""FaultScenario documents: every record field built from YAML with its defaults, and every meaning
check with its exact message (one valid document, one field broken per test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.spec.build import load_specs
from mcpctl.spec.fault_model import (
    Bound,
    CrashFault,
    Fault,
    FaultExpect,
    HangFault,
    LatencyFault,
    MalformedFault,
    RateLimitFault,
    ResetFault,
    RunRef,
    SlowStartFault,
)
from mcpctl.spec.mock_model import Latency
from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration, Rate
from tests.unit.spec_files import broken, errors_in, expected_spec_hash

SUITE = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: echo-suite}
server: {command: python, args: [-m, echo]}
tests:
  - {name: one, call: echo, with: {text: hi}}
---
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {name: echo-load}
server: {command: python, args: [-m, echo]}
scenario: [{call: echo}]
profile: {model: vus, stages: [{duration: 1s, target: 1}]}
"""

SCENARIO = """\
apiVersion: mcpctl/v1
kind: FaultScenario
metadata: {name: flaky}
seed: 7
faults:
  - latency: {delay: 200ms, jitter: 20ms}
    tools: [echo, "search*"]
    probability: 50%
  - name: drop
    reset: {}
    probability: 0.2
    methods: [tools/call]
    window: {start: 1s, end: 10s}
    times: 3
  - reset: {when: before}
  - hang: {forward: false}
    enabled: false
  - rate_limit: {rate: 5/s}
  - rate_limit: {rate: 600/m, burst: 3}
  - malformed: truncated
  - malformed: {kind: oversize, size: 16MiB}
  - crash: {afterCalls: 10, restart: true, restartDelay: 100ms}
  - crash: {after: 30s}
  - slow_start: 1s
  - latency: {distribution: normal, mean: 50ms, stddev: 5ms}
    seed: 99
  - latency: 15ms
run: {testSuite: echo-suite}
expect:
  completes: true
  error_rate: "< 10%"
  retries: "<= 5"
  no_duplicate_side_effects: true
"""


def _write(tmp_path: Path, scenario: str = SCENARIO) -> Path:
    (tmp_path / "suite.yaml").write_text(SUITE, encoding="utf-8")
    path = tmp_path / "faults.yaml"
    path.write_text(scenario, encoding="utf-8")
    return path


def test_every_fault_kind_and_field_is_built(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (spec,) = load_specs([str(tmp_path)], environ={}).scenarios
    at = str(path)
    assert spec.seed == 7
    assert spec.spec_hash == expected_spec_hash(SCENARIO)
    assert spec.faults == (
        Fault(
            name="latency-1",
            kind="latency",
            params=LatencyFault(
                latency=Latency(
                    distribution="uniform", min=Duration(seconds=0.18), max=Duration(seconds=0.22)
                )
            ),
            probability=0.5,
            tools=("echo", "search*"),
            source=Source(path=at, line=6, column=5),
        ),
        Fault(
            name="drop",
            kind="reset",
            params=ResetFault(when="after"),
            probability=0.2,
            methods=("tools/call",),
            start=Duration(seconds=1.0),
            end=Duration(seconds=10.0),
            times=3,
            source=Source(path=at, line=9, column=5),
        ),
        Fault(
            name="reset-2",
            kind="reset",
            params=ResetFault(when="before"),
            source=Source(path=at, line=15, column=5),
        ),
        Fault(
            name="hang-1",
            kind="hang",
            params=HangFault(forward=False),
            enabled=False,
            source=Source(path=at, line=16, column=5),
        ),
        Fault(
            name="rate_limit-1",
            kind="rate_limit",
            params=RateLimitFault(rate=Rate(per_second=5.0), burst=5),
            source=Source(path=at, line=18, column=5),
        ),
        Fault(
            name="rate_limit-2",
            kind="rate_limit",
            params=RateLimitFault(rate=Rate(per_second=10.0), burst=3),
            source=Source(path=at, line=19, column=5),
        ),
        Fault(
            name="malformed-1",
            kind="malformed",
            params=MalformedFault(kind="truncated"),
            source=Source(path=at, line=20, column=5),
        ),
        Fault(
            name="malformed-2",
            kind="malformed",
            params=MalformedFault(kind="oversize", size=16 * 2**20),
            source=Source(path=at, line=21, column=5),
        ),
        Fault(
            name="crash-1",
            kind="crash",
            params=CrashFault(after_calls=10, restart=True, restart_delay=Duration(seconds=0.1)),
            source=Source(path=at, line=22, column=5),
        ),
        Fault(
            name="crash-2",
            kind="crash",
            params=CrashFault(after=Duration(seconds=30.0)),
            source=Source(path=at, line=23, column=5),
        ),
        Fault(
            name="slow_start-1",
            kind="slow_start",
            params=SlowStartFault(delay=Duration(seconds=1.0)),
            source=Source(path=at, line=24, column=5),
        ),
        Fault(
            name="latency-2",
            kind="latency",
            params=LatencyFault(
                latency=Latency(
                    distribution="normal", mean=Duration(seconds=0.05), stddev=Duration(seconds=0.005)
                )
            ),
            seed=99,
            source=Source(path=at, line=25, column=5),
        ),
        Fault(
            name="latency-3",
            kind="latency",
            params=LatencyFault(latency=Latency(value=Duration(seconds=0.015))),
            source=Source(path=at, line=27, column=5),
        ),
    )
    assert spec.run == RunRef(kind="TestSuite", name="echo-suite", source=Source(path=at, line=28, column=6))
    assert spec.expect == FaultExpect(
        completes=True,
        error_rate=Bound(op="<", value=0.1, text="< 10%"),
        retries=Bound(op="<=", value=5.0, text="<= 5"),
        no_duplicate_side_effects=True,
        source=Source(path=at, line=30, column=3),
    )


def test_a_scenario_without_run_is_faults_for_the_proxy(tmp_path: Path) -> None:
    text = SCENARIO[: SCENARIO.index("run:")]
    _write(tmp_path, text)
    (spec,) = load_specs([str(tmp_path)], environ={}).scenarios
    assert (spec.run, spec.expect) == (None, None)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  - reset: {when: before}\n",
            "  - reset: {when: before}\n    latency: 10ms\n",
            "16:14: FaultScenario/flaky: faults[2].latency: give only one of latency, reset, hang, rate_limit, "
            "malformed, crash, slow_start (this fault already has reset)",
        ),
        (
            "  - reset: {when: before}\n",
            "  - {probability: 20%}\n",
            "15:5: FaultScenario/flaky: faults[2]: a fault needs one of: latency, reset, hang, rate_limit, "
            "malformed, crash, slow_start",
        ),
        (
            "  - name: drop\n",
            "  - name: latency-1\n",
            "9:11: FaultScenario/flaky: faults[1].name: duplicate fault name 'latency-1' (first at line 6)",
        ),
        (
            "{delay: 200ms, jitter: 20ms}",
            "{delay: 20ms, jitter: 200ms}",
            "6:36: FaultScenario/flaky: faults[0].latency.jitter: jitter (200ms) cannot be larger than delay (20ms)",
        ),
        (
            "window: {start: 1s, end: 10s}",
            "window: {start: 10s, end: 1s}",
            "13:13: FaultScenario/flaky: faults[1].window: window.end (1s) must come after window.start (10s)",
        ),
        (
            "{rate: 5/s}",
            "{rate: fast}",
            "18:24: FaultScenario/flaky: faults[4].rate_limit.rate: 'fast' is not a rate: use a number, a slash "
            "and a unit (50/s, 3000/m, 10/h)",
        ),
        (
            "malformed: truncated",
            "malformed: {kind: truncated, size: 1MB}",
            "20:34: FaultScenario/flaky: faults[6].malformed.size: size applies to an oversize answer only "
            "(this one is truncated)",
        ),
        (
            "{kind: oversize, size: 16MiB}",
            "{kind: oversize, size: 16 parsecs}",
            "21:39: FaultScenario/flaky: faults[7].malformed.size: '16 parsecs' is not a size: use bytes or a number "
            "and a unit (B, KB, MB, GB, KiB, MiB, GiB), e.g. 512MiB",
        ),
        (
            "crash: {after: 30s}",
            "crash: {restart: true}",
            "23:12: FaultScenario/flaky: faults[9].crash: a crash needs afterCalls (a number of calls) or after "
            "(a duration)",
        ),
        (
            "crash: {after: 30s}",
            "crash: {after: 30s, afterCalls: 3}",
            "23:37: FaultScenario/flaky: faults[9].crash.afterCalls: give only one of afterCalls, after "
            "(this crash already has after)",
        ),
        (
            "crash: {after: 30s}",
            "crash: {after: 30s, restartDelay: 1s}",
            "23:25: FaultScenario/flaky: faults[9].crash.restartDelay: restartDelay applies only with restart: true",
        ),
        (
            "run: {testSuite: echo-suite}",
            "run: {testSuite: nope}",
            "28:18: FaultScenario/flaky: run.testSuite: unknown TestSuite 'nope' (known: echo-suite)",
        ),
        (
            "run: {testSuite: echo-suite}",
            "run: {}",
            "28:6: FaultScenario/flaky: run: run needs testSuite or loadTest: the name of the spec to run through "
            "the faults",
        ),
        (
            "run: {testSuite: echo-suite}",
            "run: {loadTest: echo-load}",
            "32:3: FaultScenario/flaky: expect.retries: retries applies to a TestSuite run: a LoadTest does not "
            "retry its calls",
        ),
        (
            'error_rate: "< 10%"',
            'error_rate: "about 10"',
            "31:15: FaultScenario/flaky: expect.error_rate: 'about 10' is not a bound: write a comparison "
            "(<, <=, >, >=) and a number, e.g. '< 10%'",
        ),
        (
            'error_rate: "< 10%"',
            'error_rate: "< 150"',
            "31:15: FaultScenario/flaky: expect.error_rate: '< 150': an error rate is at most 100% (write a "
            "percentage, e.g. '< 10%')",
        ),
        (
            'retries: "<= 5"',
            'retries: "<= 5%"',
            "32:12: FaultScenario/flaky: expect.retries: '<= 5%' is not a bound: write a comparison "
            "(<, <=, >, >=) and a number, e.g. '<= 3'",
        ),
    ],
)
def test_meaning_errors_name_the_line_and_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write(tmp_path, broken(SCENARIO, old, new))
    assert errors_in(tmp_path, path) == [expected]


def test_expect_without_run_is_an_error(tmp_path: Path) -> None:
    text = SCENARIO.replace("run: {testSuite: echo-suite}\n", "")
    path = _write(tmp_path, text)
    assert errors_in(tmp_path, path) == [
        "28:1: FaultScenario/flaky: expect: expect needs run: a TestSuite or LoadTest whose outcome it checks"
    ]
