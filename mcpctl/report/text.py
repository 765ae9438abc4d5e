"""The human summary printed after a run and by ``mcpctl show``: a results table, every failure in
full, then a totals line like pytest's (``1 failed, 12 passed, 2 skipped in 1.23s``)."""

from __future__ import annotations

from collections.abc import Callable

from tabulate import tabulate

from mcpctl.engine.results import CaseResult, Reliability, RunResult, Status, SuiteResult, snapshot_counts
from mcpctl.report.totals import Totals, run_totals

COLLAPSE_OVER = 30
"""With more cases than this, plain passes fold into one "… N more passed" line."""
NOTE_WIDTH = 60

_GREEN, _RED, _YELLOW, _BOLD, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[33m", "\x1b[1m", "\x1b[0m"
_STATUS_COLOR: dict[Status, str] = {"passed": _GREEN, "failed": _RED, "error": _RED, "skipped": _YELLOW}
_HEADERS = ["SUITE", "TEST", "STATUS", "TIME", "NOTE"]

Redact = Callable[[str], str]
_Paint = Callable[[str, str], str]
_BAD = ("failed", "error")


def render_summary(
    run: RunResult, *, color: bool, redact: Redact, show_hint: bool = True, limit: int | None = None
) -> str:
    """The table, the failures and the totals of ``run``; ANSI colors only when ``color``.

    ``show_hint`` adds the ``mcpctl show RUN`` line (off when ``show`` itself prints the summary).
    ``limit``: at most this many rows that are not plain passes, and failures in full (a batch of
    10,000 items that all failed prints 20, not 10,000; ``mcpctl show`` prints every one).
    """
    paint = _painter(color)
    entries = [(suite, case) for suite in run.suites for case in _cases(suite)]
    shown, hidden = entries, 0
    if len(entries) > COLLAPSE_OVER:  # a long run: the passes fold into a count, the rest are listed
        shown = [(suite, case) for suite, case in entries if case.status != "passed" or case.flaky]
        if limit is not None and len(shown) > limit:
            hidden, shown = len(shown) - limit, shown[:limit]
    unlisted = len(entries) - len(shown) - hidden
    rows = [_row(suite, case, paint, redact) for suite, case in shown]
    table = tabulate(rows, headers=_HEADERS, tablefmt="plain", disable_numparse=True)
    parts = [line.rstrip() for line in table.splitlines()]
    if unlisted:
        parts.append(f"… {unlisted} more passed")
    if hidden:
        parts.append(f"… {hidden} more not passed: mcpctl show {run.run_id}")
    failures = [_failure(suite, case, paint, redact) for suite, case in entries if case.status in _BAD]
    if limit is not None and len(entries) > COLLAPSE_OVER and len(failures) > limit:
        failures = [*failures[:limit], f"… {len(failures) - limit} more failures: mcpctl show {run.run_id}"]
    if failures:
        parts.append("\n" + "\n\n".join(failures))
    parts.append("\n" + _totals_line(run_totals(run), run.duration_ms, paint))
    snapshots = snapshots_line([case for suite in run.suites for case in suite.cases])
    if snapshots:
        parts.append(snapshots)
    if show_hint:
        parts.append(f"run {run.run_id}: mcpctl show {run.run_id}")
    return "\n".join(parts)


def _cases(suite: SuiteResult) -> list[CaseResult]:
    # a suite that could not run shows as one erred "<setup>" case, as in the JUnit report
    setup = [
        CaseResult(name="<setup>", status="error", duration_ms=0.0, message=suite.error, file=suite.spec_path)
    ]
    return [*(setup if suite.error else []), *suite.cases]


def _row(suite: SuiteResult, case: CaseResult, paint: _Paint, redact: Redact) -> list[str]:
    return [
        redact(f"{suite.kind}/{suite.name}"),
        redact(case.name),
        paint(case.status, _STATUS_COLOR[case.status]),
        duration(case.duration_ms),
        _note(case, redact),
    ]


def _note(case: CaseResult, redact: Redact) -> str:
    if case.status != "passed":
        # redact before cutting: a cut could leave a secret's head that redact no longer matches
        return _shorten(redact(case.message.strip().split("\n", 1)[0]))
    repeats = case.reliability
    if repeats is not None and (repeats.passed < repeats.runs or repeats.required):
        return ("flaky: " if case.flaky else "") + reliability_text(repeats)
    if case.flaky:
        return flaky_note(case)
    changed = [
        f"snapshot {name} {status}" for name, status in case.snapshots.items() if status != "unchanged"
    ]
    if changed:
        return _shorten(", ".join(changed))
    if case.latency is not None:
        latency = case.latency
        return f"p50 {latency.p50:.1f}ms p99 {latency.p99:.1f}ms (n={latency.count})"
    return ""


def _shorten(text: str) -> str:
    return text if len(text) <= NOTE_WIDTH else text[: NOTE_WIDTH - 1] + "…"


def _failure(suite: SuiteResult, case: CaseResult, paint: _Paint, redact: Redact) -> str:
    label = "FAILED" if case.status == "failed" else "ERROR"
    where = (
        f" ({case.file}:{case.line})" if case.file and case.line else (f" ({case.file})" if case.file else "")
    )
    head = paint(f"{label} {suite.kind}/{suite.name} :: {case.name}", _RED + _BOLD) + where
    lines = [*case.message.strip().splitlines(), *case.details]
    if case.reliability is not None:
        lines.append(reliability_text(case.reliability))
    body = [f"    {line}" for line in lines if line.strip()]
    return redact("\n".join([head, *body]))


def _totals_line(totals: Totals, duration_ms: float, paint: _Paint) -> str:
    words = []
    if totals.failed:
        words.append(f"{totals.failed} failed")
    if totals.passed:
        words.append(f"{totals.passed} passed" + (f" ({totals.flaky} flaky)" if totals.flaky else ""))
    if totals.skipped:
        words.append(f"{totals.skipped} skipped")
    if totals.error:
        words.append(f"{totals.error} error" + ("s" if totals.error > 1 else ""))
    line = f"{', '.join(words) or 'no tests ran'} in {duration_ms / 1000:.2f}s"
    if totals.failed or totals.error:
        return paint(line, _RED)
    return paint(line, _GREEN if totals.passed else _YELLOW)


def flaky_note(case: CaseResult) -> str:
    """Why a passed case is flaky: a pass after failed attempts, or repeats that did not all pass."""
    return f"flaky: passed on attempt {case.attempts}" if case.attempts > 1 else "flaky: some runs failed"


def reliability_text(repeats: Reliability) -> str:
    """``18/20 passed (90.0%), pass@5 1.000, pass^5 0.553``: a repeated test's runs in one line."""
    k = repeats.k
    return (
        f"{repeats.passed}/{repeats.runs} passed ({repeats.rate:.1%}), "
        f"pass@{k} {repeats.pass_at_k:.3f}, pass^{k} {repeats.pass_hat_k:.3f}"
    )


def snapshots_line(cases: list[CaseResult]) -> str:
    """``snapshots: 1 written, 0 updated, 3 unchanged`` (and failures, if any); "" when no test has one."""
    counts = snapshot_counts(cases)
    if not counts:
        return ""
    words = [f"{counts.get(status, 0)} {status}" for status in ("written", "updated", "unchanged")]
    bad = sum(counts.get(status, 0) for status in ("failed", "missing", "refused"))
    return "snapshots: " + ", ".join(words + ([f"{bad} failed"] if bad else []))


def duration(ms: float) -> str:
    """A case's time for people: ``12ms`` under a second, else ``1.23s``."""
    return f"{ms:.0f}ms" if ms < 999.5 else f"{ms / 1000:.2f}s"


def _painter(color: bool) -> _Paint:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    return paint
