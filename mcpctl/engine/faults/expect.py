"""A FaultScenario's ``expect:`` checked against what its run did, each expectation one case.

What is measured: the inner run's result (a TestSuite's cases, or a LoadTest's calls) and the
fault log the proxies wrote (faults injected, calls forwarded, answers lost).

- ``completes``: the run ended by itself: the watchdog did not stop it, the server could be
  reached, a LoadTest was not aborted.
- ``error_rate``: a TestSuite's failed tests over its tests (skipped ones left out); a LoadTest's
  failed calls over its calls.
- ``retries``: the attempts a TestSuite's tests made beyond their first.
- ``no_duplicate_side_effects``: no call of a tool that is not annotated read-only or idempotent
  reached the server again after a fault lost its answer (the same tool, the same arguments).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from mcpctl.engine.results import CaseResult, SuiteResult, counted
from mcpctl.spec.fault_model import Bound, FaultExpect

DETAILS_LIMIT = 20
"""Inner failures listed in a case's details (``mcpctl show`` of the run lists the rest)."""
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What the run under faults did."""

    kind: Literal["TestSuite", "LoadTest"]
    inner: SuiteResult | None
    """The inner run's result (``None`` when it could not run at all)."""
    error: str
    """Why it could not run, or why its server could not be reached ("" if it could)."""
    stalled: bool
    """The watchdog ended it."""
    deadline: float
    events: list[dict[str, object]]
    """The fault log of every proxy of the run."""
    safe: frozenset[str] | None = None
    """The server's tools annotated read-only or idempotent (``None``: not asked)."""
    calls: tuple[int, int] | None = None
    """A LoadTest's failed calls and calls."""
    aborted: str | None = None
    """Why a LoadTest was aborted, if it was."""


def passes_case(outcome: Outcome) -> CaseResult:
    """Without ``expect:``: the run must pass as it would without faults."""
    name = f"{outcome.kind} passes under the faults"
    problem = _incomplete(outcome)
    if problem:
        return _case(name, problem, outcome)
    assert outcome.inner is not None
    failed = _failed(outcome.inner)
    if not failed:
        return _case(name, "", outcome)
    if outcome.calls is None:
        return _case(name, f"{len(failed)} of {_total(outcome.inner)} tests failed", outcome)
    errors, calls = outcome.calls
    checks = f"{len(failed)} of {_total(outcome.inner)} checks failed"
    return _case(name, f"{checks} ({errors} of {calls} calls failed)", outcome)


def check_expectations(expect: FaultExpect, outcome: Outcome) -> tuple[CaseResult, ...]:
    """One case per expectation written, in the order of :class:`FaultExpect`'s fields."""
    cases: list[CaseResult] = []
    line = expect.source.line
    if expect.completes is not None:
        problem = _incomplete(outcome)
        if expect.completes:
            cases.append(_case("completes", problem, outcome, line=line))
        else:
            cases.append(
                _case("does not complete", "" if problem else "the run completed", outcome, line=line)
            )
    if expect.error_rate is not None:
        cases.append(_error_rate(expect.error_rate, outcome, line))
    if expect.retries is not None:
        cases.append(_retries(expect.retries, outcome, line))
    if expect.no_duplicate_side_effects:
        cases.append(_duplicates(outcome, line))
    return tuple(cases)


def _error_rate(bound: Bound, outcome: Outcome, line: int) -> CaseResult:
    name = f"error_rate {bound.text}"
    if outcome.inner is None or not outcome.inner.cases:
        return _case(name, _incomplete(outcome) or "nothing ran", outcome, line=line)
    failed, total = _failures_and_total(outcome)
    rate = failed / total if total else 0.0
    held = _COMPARE[bound.op](rate, bound.value)
    problem = (
        "" if held else f"error rate {rate:.1%} ({failed} of {total} {_unit(outcome)}), expected {bound.text}"
    )
    return _case(name, problem, outcome, line=line)


def _retries(bound: Bound, outcome: Outcome, line: int) -> CaseResult:
    name = f"retries {bound.text}"
    if outcome.inner is None:
        return _case(name, _incomplete(outcome) or "nothing ran", outcome, line=line)
    retries = sum(case.attempts - 1 for case in outcome.inner.cases)
    held = _COMPARE[bound.op](retries, bound.value)
    return _case(name, "" if held else f"{retries} retries, expected {bound.text}", outcome, line=line)


def _duplicates(outcome: Outcome, line: int) -> CaseResult:
    found = duplicates(outcome.events, safe=outcome.safe)
    name = "no_duplicate_side_effects"
    if not found:
        return _case(name, "", outcome, line=line)
    listed = "; ".join(
        f"{d['tool']} (answer lost to {d['fault']}, sent again {d['repeats']}x)" for d in found[:5]
    )
    calls = counted(len(found), "call")
    problem = f"{calls} with side effects reached the server again after a fault lost the answer: {listed}"
    return _case(name, problem, outcome, line=line)


def duplicates(
    events: Sequence[dict[str, object]], *, safe: Collection[str] | None = None
) -> list[dict[str, object]]:
    """Calls with side effects forwarded again after a fault lost their answer, in the order lost.

    A tool has side effects unless it is in ``safe`` (the tools annotated read-only or idempotent) or,
    when ``safe`` is not known, unless the proxy saw it so annotated in a ``tools/list`` it relayed."""
    lost: dict[str, str] = {}
    tools: dict[str, str] = {}
    repeats: dict[str, int] = {}
    for event in events:
        call = str(event.get("call", ""))
        effects = event.get("side_effects") if safe is None else event.get("tool") not in safe
        if event.get("event") == "lost" and call:
            lost.setdefault(call, str(event.get("fault")))
        elif event.get("event") == "call" and effects and call:
            tools[call] = str(event.get("tool"))
            if call in lost:
                repeats[call] = repeats.get(call, 0) + 1
    order = list(lost)
    return [
        {"tool": tools[call], "call": call, "fault": lost[call], "repeats": repeats[call]}
        for call in sorted(repeats, key=order.index)
    ]


def injected(events: Sequence[dict[str, object]]) -> dict[str, int]:
    """How many times each fault struck, by name, from the fault log."""
    counts: dict[str, int] = {}
    for event in events:
        if event.get("event") == "fault":
            name = str(event.get("fault"))
            counts[name] = counts.get(name, 0) + 1
    return counts


def _incomplete(outcome: Outcome) -> str:
    if outcome.stalled:
        return f"the run did not end within {outcome.deadline:.0f}s (its timeouts and a grace): it hung"
    if outcome.error:
        return f"the run could not complete: {outcome.error}"
    if outcome.inner is None:
        return "the run did not start"
    if outcome.aborted is not None:
        return f"the load test was aborted: {outcome.aborted}"
    return ""


def _failures_and_total(outcome: Outcome) -> tuple[int, int]:
    assert outcome.inner is not None
    if outcome.calls is not None:
        return outcome.calls
    return len(_failed(outcome.inner)), _total(outcome.inner)


def _failed(inner: SuiteResult) -> list[CaseResult]:
    return [case for case in inner.cases if case.status in ("failed", "error")]


def _total(inner: SuiteResult) -> int:
    return sum(1 for case in inner.cases if case.status != "skipped")


def _unit(outcome: Outcome) -> str:
    return "calls" if outcome.kind == "LoadTest" else "tests"


def _case(name: str, problem: str, outcome: Outcome, *, line: int = 0) -> CaseResult:
    details: tuple[str, ...] = ()
    if problem:
        struck = ", ".join(f"{name} {count}x" for name, count in injected(outcome.events).items())
        details = (f"faults injected: {struck or 'none'}",)
    if problem and outcome.inner is not None:
        failed = _failed(outcome.inner)
        details += tuple(f"{case.name}: {case.message}" for case in failed[:DETAILS_LIMIT])
        if len(failed) > DETAILS_LIMIT:
            details += (f"... and {len(failed) - DETAILS_LIMIT} more",)
    return CaseResult(
        name=name,
        status="failed" if problem else "passed",
        duration_ms=0.0,
        message=problem,
        details=details,
        line=line,
    )
