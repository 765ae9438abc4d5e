"""``mcpctl alerts test FILE...``: unit tests of alert rules, as ``promtool test rules``.

Each FILE holds ``kind: AlertTest`` documents. A test replays its series through the alert evaluator on a
fake clock (step N at N * interval) and compares, at each ``at``, the alerts firing (and pending, when the
test lists them) with the ones expected. Exit 0 when every test passes, 1 when one fails, 2 on bad input.
"""

from __future__ import annotations

from collections.abc import Iterable

from mcpctl.engine.results import counted
from mcpctl.errors import InvalidSpecs, SpecError
from mcpctl.observe.alerts.replay import AlertKey, ScopedRule, Snapshot, replay
from mcpctl.spec.alert_model import AlertTestCase, AlertTestSpec, ExpectedAlert
from mcpctl.spec.build import load_specs


def run_test(paths: list[str]) -> int:
    """Run the AlertTest documents of ``paths``; print PASS/FAIL per test; 1 if any failed."""
    failed = 0
    for path in paths:
        tests = load_specs([path]).alert_tests
        if not tests:
            raise SpecError("holds no AlertTest document", path=path)
        for spec in tests:
            failed += _run(spec)
    return 1 if failed else 0


def _run(spec: AlertTestSpec) -> int:
    """Print one AlertTest's results; return how many of its tests failed."""
    rules = _rules(spec)
    interval = spec.interval.seconds
    steps = {case: round(case.at.seconds / interval) for case in spec.tests}
    snapshots = replay(rules, spec.series, interval=interval, steps=set(steps.values()))
    print(f"Unit Testing: {spec.source.path} (AlertTest/{spec.metadata.name})")
    failed = 0
    for case in spec.tests:
        lines = _check(case, snapshots[steps[case]])
        failed += bool(lines)
        for line in lines or [_passed(case)]:
            print(line)
    total = len(spec.tests)
    print(
        f"  FAILED: {failed} of {counted(total, 'test')}"
        if failed
        else f"  SUCCESS: {counted(total, 'test')}"
    )
    return failed


def _rules(spec: AlertTestSpec) -> list[ScopedRule]:
    """The rules of the AlertRules file the test names; every expected alert must be one of them."""
    found = load_specs([spec.rules_file]).alert_rules
    where = spec.rules_source
    if not found:
        problem = f"{spec.rules_file} holds no AlertRules document"
        raise InvalidSpecs([SpecError(problem, path=where.path, line=where.line, column=where.column)])
    rules = [ScopedRule(rule=r.rule, servers=r.servers) for document in found for r in document.rules]
    names = sorted(scoped.rule.name for scoped in rules)
    errors = [
        SpecError(
            f"no rule alerts {expected.alert!r} (rules: {', '.join(names)})",
            path=expected.source.path,
            line=expected.source.line,
            column=expected.source.column,
            subject=f"AlertTest/{spec.metadata.name}",
        )
        for case in spec.tests
        for expected in (*case.firing, *(case.pending or ()))
        if expected.alert not in names
    ]
    if errors:
        raise InvalidSpecs(errors)
    return rules


def _check(case: AlertTestCase, got: Snapshot) -> list[str]:
    """The lines of a failed test (empty when it passed)."""
    compared = [("firing", _keys(case.firing), got.firing)]
    if case.pending is not None:
        compared.append(("pending", _keys(case.pending), got.pending))
    lines = []
    for state, expected, actual in compared:
        if expected != actual:
            lines.append(f"    {state:<8} expected: {_shown(expected)}")
            lines.append(f"    {'':<8} got:      {_shown(actual)}")
    if lines:
        lines.insert(0, f"  FAIL  at {case.at} ({case.source})")
    return lines


def _passed(case: AlertTestCase) -> str:
    pending = "" if case.pending is None else f"; pending {_shown(_keys(case.pending))}"
    return f"  PASS  at {case.at}: firing {_shown(_keys(case.firing))}{pending}"


def _keys(alerts: Iterable[ExpectedAlert]) -> frozenset[AlertKey]:
    return frozenset((alert.alert, alert.server) for alert in alerts)


def _shown(keys: frozenset[AlertKey]) -> str:
    return ", ".join(f'{name}{{server="{server}"}}' for name, server in sorted(keys)) or "(none)"
