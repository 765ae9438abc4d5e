"""A FaultScenario's ``expect:`` checked against made-up outcomes: exact messages and details."""

from __future__ import annotations

import pytest

from mcpctl.engine.faults.expect import Outcome, check_expectations, duplicates, injected, passes_case
from mcpctl.engine.faults.injector import Injector, Request
from mcpctl.engine.results import CaseResult, Status, SuiteResult
from mcpctl.spec.fault_model import Bound, Comparison, FaultExpect
from mcpctl.spec.model import Source

SOURCE = Source(path="scenario.yaml", line=12, column=3)
FAULTS = [
    {"event": "fault", "fault": "drop", "kind": "reset"},
    {"event": "call", "tool": "echo", "call": "k0", "side_effects": True},
    {"event": "fault", "fault": "slow", "kind": "latency"},
    {"event": "fault", "fault": "drop", "kind": "reset"},
]


def case(name: str, status: Status = "passed", message: str = "", attempts: int = 1) -> CaseResult:
    return CaseResult(name=name, status=status, duration_ms=1.0, message=message, attempts=attempts)


def suite(*cases: CaseResult, kind: str = "TestSuite") -> SuiteResult:
    return SuiteResult(kind=kind, name="inner", server="srv", cases=cases)


def outcome(inner: SuiteResult | None, **fields: object) -> Outcome:
    values: dict[str, object] = {
        "kind": "TestSuite",
        "inner": inner,
        "error": "",
        "stalled": False,
        "deadline": 45.0,
        "events": [],
    }
    values.update(fields)
    return Outcome(**values)  # type: ignore[arg-type]


def expect(**fields: object) -> FaultExpect:
    return FaultExpect(source=SOURCE, **fields)  # type: ignore[arg-type]


def bound(op: Comparison, value: float, text: str) -> Bound:
    return Bound(op=op, value=value, text=text)


def passed(name: str, line: int = 12) -> CaseResult:
    return CaseResult(name=name, status="passed", duration_ms=0.0, line=line)


def failed(name: str, message: str, *details: str, line: int = 12) -> CaseResult:
    return CaseResult(
        name=name, status="failed", duration_ms=0.0, message=message, details=details, line=line
    )


MIXED = suite(
    case("t1"),
    case("t2", "failed", "expected 3, got 4"),
    case("t3", "error", "server gone"),
    case("t4", "skipped"),
    case("t5"),
)


# -- without expect: ---------------------------------------------------------------------------


def test_passes_case_passes_when_the_run_passes() -> None:
    result = passes_case(outcome(suite(case("t1"), case("t2", "skipped")), events=FAULTS))
    assert result == passed("TestSuite passes under the faults", line=0)


def test_passes_case_lists_the_faults_and_the_failures() -> None:
    assert passes_case(outcome(MIXED, events=FAULTS)) == failed(
        "TestSuite passes under the faults",
        "2 of 4 tests failed",
        "faults injected: drop 2x, slow 1x",
        "t2: expected 3, got 4",
        "t3: server gone",
        line=0,
    )


def test_passes_case_says_when_no_fault_struck() -> None:
    result = passes_case(outcome(suite(case("t1", "failed", "boom"))))
    assert result.details == ("faults injected: none", "t1: boom")


def test_passes_case_lists_at_most_twenty_failures() -> None:
    inner = suite(*(case(f"t{i}", "failed", f"m{i}") for i in range(25)), case("ok"))
    result = passes_case(outcome(inner))
    assert result.message == "25 of 26 tests failed"
    assert result.details == (
        "faults injected: none",
        *(f"t{i}: m{i}" for i in range(20)),
        "... and 5 more",
    )


def test_passes_case_lists_exactly_twenty_without_more() -> None:
    result = passes_case(outcome(suite(*(case(f"t{i}", "failed", "m") for i in range(20)))))
    assert len(result.details) == 21
    assert result.details[-1] == "t19: m"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"stalled": True, "error": "ignored"},
            "the run did not end within 45s (its timeouts and a grace): it hung",
        ),
        (
            {"error": "ServerStartError: exited with 1"},
            "the run could not complete: ServerStartError: exited with 1",
        ),
        ({"inner": None}, "the run did not start"),
        (
            {"kind": "LoadTest", "aborted": "error rate over 50%"},
            "the load test was aborted: error rate over 50%",
        ),
    ],
)
def test_passes_case_fails_a_run_that_did_not_complete(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"inner": suite(case("t1")), "events": FAULTS[:1]} | fields
    result = passes_case(outcome(**values))  # type: ignore[arg-type]
    name = f"{values.get('kind', 'TestSuite')} passes under the faults"
    assert result == failed(name, message, "faults injected: drop 1x", line=0)


def test_passes_case_of_a_stalled_run_lists_what_failed_before() -> None:
    result = passes_case(outcome(suite(case("t1", "error", "timed out")), stalled=True))
    assert result.details == ("faults injected: none", "t1: timed out")


def test_passes_case_of_a_load_test_counts_calls() -> None:
    inner = suite(case("closed load"), case("p99 < 100ms", "failed", "p99 was 250ms"), kind="LoadTest")
    result = passes_case(outcome(inner, kind="LoadTest", calls=(3, 200)))
    assert result.message == "1 of 2 checks failed (3 of 200 calls failed)"


# -- completes ---------------------------------------------------------------------------------


def test_completes() -> None:
    assert check_expectations(expect(completes=True), outcome(MIXED)) == (passed("completes"),)
    assert check_expectations(expect(completes=True), outcome(MIXED, stalled=True, events=FAULTS)) == (
        failed(
            "completes",
            "the run did not end within 45s (its timeouts and a grace): it hung",
            "faults injected: drop 2x, slow 1x",
            "t2: expected 3, got 4",
            "t3: server gone",
        ),
    )
    assert check_expectations(expect(completes=True), outcome(None, error="TransportError: refused")) == (
        failed("completes", "the run could not complete: TransportError: refused", "faults injected: none"),
    )
    aborted = outcome(suite(case("load"), kind="LoadTest"), kind="LoadTest", calls=(0, 10), aborted="stop")
    assert check_expectations(expect(completes=True), aborted)[0].message == "the load test was aborted: stop"


def test_does_not_complete() -> None:
    assert check_expectations(expect(completes=False), outcome(MIXED, stalled=True)) == (
        passed("does not complete"),
    )
    assert check_expectations(expect(completes=False), outcome(suite(case("t1")))) == (
        failed("does not complete", "the run completed", "faults injected: none"),
    )


def test_no_expectation_written_gives_no_case() -> None:
    assert check_expectations(expect(), outcome(MIXED, stalled=True)) == ()


# -- error_rate ----------------------------------------------------------------------------------


def test_error_rate_of_a_test_suite_leaves_skipped_tests_out() -> None:
    assert check_expectations(expect(error_rate=bound("<", 0.5, "< 50%")), outcome(MIXED)) == (
        failed(
            "error_rate < 50%",
            "error rate 50.0% (2 of 4 tests), expected < 50%",
            "faults injected: none",
            "t2: expected 3, got 4",
            "t3: server gone",
        ),
    )
    assert check_expectations(expect(error_rate=bound("<=", 0.5, "<= 50%")), outcome(MIXED)) == (
        passed("error_rate <= 50%"),
    )


def test_error_rate_of_a_load_test_counts_calls() -> None:
    inner = suite(case("closed load"), kind="LoadTest")
    run = outcome(inner, kind="LoadTest", calls=(3, 200), events=FAULTS)
    assert check_expectations(expect(error_rate=bound("<", 0.01, "< 1%")), run) == (
        failed(
            "error_rate < 1%",
            "error rate 1.5% (3 of 200 calls), expected < 1%",
            "faults injected: drop 2x, slow 1x",
        ),
    )
    assert check_expectations(expect(error_rate=bound("<", 0.02, "< 2%")), run) == (
        passed("error_rate < 2%"),
    )


def test_error_rate_of_no_calls_is_zero() -> None:
    run = outcome(suite(case("closed load"), kind="LoadTest"), kind="LoadTest", calls=(0, 0))
    assert check_expectations(expect(error_rate=bound("<=", 0.0, "<= 0%")), run) == (
        passed("error_rate <= 0%"),
    )


def test_error_rate_when_nothing_ran() -> None:
    rate = expect(error_rate=bound("<", 0.1, "< 10%"))
    assert check_expectations(rate, outcome(suite())) == (
        failed("error_rate < 10%", "nothing ran", "faults injected: none"),
    )
    assert (
        check_expectations(rate, outcome(None, error="boom"))[0].message == "the run could not complete: boom"
    )


# -- retries and the operators ---------------------------------------------------------------------


def test_retries_are_attempts_beyond_the_first() -> None:
    inner = suite(case("a", attempts=1), case("b", attempts=3), case("c", "failed", "x", attempts=2))
    assert check_expectations(expect(retries=bound("<=", 2, "<= 2")), outcome(inner)) == (
        failed("retries <= 2", "3 retries, expected <= 2", "faults injected: none", "c: x"),
    )
    assert check_expectations(expect(retries=bound("<=", 3, "<= 3")), outcome(inner)) == (
        passed("retries <= 3"),
    )


def test_retries_when_nothing_ran() -> None:
    assert check_expectations(expect(retries=bound("<", 5, "< 5")), outcome(None)) == (
        failed("retries < 5", "the run did not start", "faults injected: none"),
    )


@pytest.mark.parametrize(
    ("op", "below", "equal", "above"),
    [
        ("<", True, False, False),
        ("<=", True, True, False),
        (">", False, False, True),
        (">=", False, True, True),
    ],
)
def test_each_operator(op: Comparison, below: bool, equal: bool, above: bool) -> None:
    retries = {"below": 1, "equal": 2, "above": 3}
    held = {"below": below, "equal": equal, "above": above}
    for where, count in retries.items():
        inner = suite(case("a", attempts=count + 1))
        (result,) = check_expectations(expect(retries=bound(op, 2, f"{op} 2")), outcome(inner))
        assert (result.status == "passed") is held[where], (op, where)
        if not held[where]:
            assert result.message == f"{count} retries, expected {op} 2"


def test_every_expectation_is_one_case_in_field_order() -> None:
    all_of = expect(
        completes=True,
        error_rate=bound("<", 0.9, "< 90%"),
        retries=bound("<=", 0, "<= 0"),
        no_duplicate_side_effects=True,
    )
    names = [c.name for c in check_expectations(all_of, outcome(MIXED))]
    assert names == ["completes", "error_rate < 90%", "retries <= 0", "no_duplicate_side_effects"]


# -- no_duplicate_side_effects -----------------------------------------------------------------------


def call(key: str, tool: str = "create", side_effects: bool = True) -> dict[str, object]:
    return {"event": "call", "tool": tool, "call": key, "side_effects": side_effects}


def lost(key: str, fault: str = "drop") -> dict[str, object]:
    return {"event": "lost", "fault": fault, "call": key}


def test_a_call_sent_again_after_its_answer_was_lost_is_a_duplicate() -> None:
    events = [call("k1"), lost("k1"), call("k1"), call("k1"), call("k2")]
    assert duplicates(events) == [{"tool": "create", "call": "k1", "fault": "drop", "repeats": 2}]


def test_the_first_fault_that_lost_a_call_is_named() -> None:
    events = [call("k1"), lost("k1", "drop"), call("k1"), lost("k1", "stall"), call("k1")]
    assert duplicates(events) == [{"tool": "create", "call": "k1", "fault": "drop", "repeats": 2}]


@pytest.mark.parametrize(
    "events",
    [
        [call("k1", "read", side_effects=False), lost("k1"), call("k1", "read", side_effects=False)],
        [call("k1"), call("k1")],  # a retry without a loss: the client's own doing
        [call("k1"), lost("k1")],  # lost, never sent again
        [call("k1"), lost("k2"), call("k1")],  # another call lost
        [{"event": "fault", "fault": "drop", "call": "k1"}, call("k1")],
    ],
)
def test_not_duplicates(events: list[dict[str, object]]) -> None:
    assert duplicates(events) == []


def test_duplicates_from_the_injectors_own_log() -> None:
    injector = Injector([], track_calls=True, clock=lambda: 0.0)
    injector.learn_tools([{"name": "create"}, {"name": "read", "annotations": {"readOnlyHint": True}}])
    create = Request(method="tools/call", id=1, tool="create", arguments={"a": 1, "b": 2})
    again = Request(method="tools/call", id=2, tool="create", arguments={"b": 2, "a": 1})
    read = Request(method="tools/call", id=3, tool="read", arguments={})
    other = Request(method="tools/call", id=4, tool="create", arguments={"a": 2, "b": 2})
    for request in (create, read, other):
        injector.forwarded(request)
    injector.lost(create, "drop")
    injector.lost(read, "drop")
    for request in (again, read, other):
        injector.forwarded(request)
    assert duplicates(list(injector.events)) == [
        {"tool": "create", "call": create.call_key, "fault": "drop", "repeats": 1}
    ]


def test_no_duplicate_side_effects_case() -> None:
    clean = expect(no_duplicate_side_effects=True)
    assert check_expectations(clean, outcome(MIXED, events=[call("k1"), lost("k1")])) == (
        passed("no_duplicate_side_effects"),
    )
    events = [
        *FAULTS,
        call("k1"),
        lost("k1"),
        call("k1"),
        call("k1"),
        lost("k2", "stall"),
        call("k2", "send"),
    ]
    assert check_expectations(clean, outcome(suite(case("t1")), events=events)) == (
        failed(
            "no_duplicate_side_effects",
            "2 calls with side effects reached the server again after a fault lost the answer: "
            "create (answer lost to drop, sent again 2x); send (answer lost to stall, sent again 1x)",
            "faults injected: drop 2x, slow 1x",
        ),
    )


def test_no_duplicate_side_effects_lists_five() -> None:
    events = [e for i in range(7) for e in (lost(f"k{i}"), call(f"k{i}", f"tool{i}"))]
    (result,) = check_expectations(expect(no_duplicate_side_effects=True), outcome(suite(), events=events))
    assert result.message.startswith("7 calls with side effects")
    assert result.message.endswith("tool4 (answer lost to drop, sent again 1x)")


def test_duplicates_are_in_the_order_lost() -> None:
    events = [lost("k1"), lost("k2"), call("k2", "second"), call("k1", "first")]
    assert [d["tool"] for d in duplicates(events)] == ["first", "second"]


def test_injected_counts_fault_entries_by_name() -> None:
    assert injected(FAULTS) == {"drop": 2, "slow": 1}
    assert injected([]) == {}
