"""The markdown report (``--report markdown:PATH``, ``mcpctl report --format markdown``, and the GitHub
step summary): GitHub-flavoured tables, short enough for a pull-request comment.

A summary per suite, then the recommendations (rules that fired, with their numbers), then the failures (``file:line`` and the first line; the rest folded in a
``<details>`` block), then the latency of every case that measured one, the
reliability of repeated cases (pass@k, pass^k) and the snapshot counts. Long runs are cut at
:data:`LIMIT` failures and latency rows, pointing at ``mcpctl show RUN`` for the rest.

Every text comes from specs or servers: table cells are HTML-escaped with ``|`` escaped too, and folded
output sits in a code fence longer than any run of backticks inside it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from tabulate import tabulate

from mcpctl.engine.results import CaseResult, RunResult, Status, SuiteResult
from mcpctl.report.json import iso8601
from mcpctl.report.recommend import recommend
from mcpctl.report.text import duration, snapshots_line
from mcpctl.report.totals import Totals, run_totals, suite_totals

Redact = Callable[[str], str]

LIMIT = 20
"""Failures and latency rows shown at most; the rest is counted."""
DETAIL_LINES = 40
"""Lines of a failure's folded details shown at most."""

_ICON: dict[Status, str] = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭️"}
_BAD = ("failed", "error")
_TICKS = re.compile("`+")
_MARKUP = re.compile(r"[\\`*_\[\]~|]")  # what would turn a name into emphasis, a link or a new cell


def render_markdown(run: RunResult, *, redact: Redact) -> str:
    """``run`` as GitHub-flavoured markdown: heading, suites table, failures, latencies."""
    parts = [_heading(run), _suites_table(run, redact)]
    advice = _recommendations(run, redact)
    if advice:
        parts.append(advice)
    failures = _failures(run, redact)
    if failures:
        parts.append(failures)
    latencies = _latencies(run, redact)
    if latencies:
        parts.append(latencies)
    repeats = _reliability(run, redact)
    if repeats:
        parts.append(repeats)
    snapshots = snapshots_line([case for suite in run.suites for case in suite.cases])
    if snapshots:
        parts.append(snapshots[0].upper() + snapshots[1:] + ".")
    return "\n\n".join(parts) + "\n"


def _heading(run: RunResult) -> str:
    totals = run_totals(run)
    return (
        f"### {_ICON[run.status]} mcpctl {cell(run.command.split(' ', 1)[0], str)}: {_words(totals)}\n\n"
        f"Run `{run.run_id}` started {iso8601(run.started_at)}, took {duration(run.duration_ms)}"
        f" (exit code {run.exit_code})."
    )


def _words(totals: Totals) -> str:
    words = [
        f"{count} {word}"
        for count, word in (
            (totals.failed, "failed"),
            (totals.error, "errors" if totals.error > 1 else "error"),
            (totals.passed, "passed"),
            (totals.skipped, "skipped"),
        )
        if count
    ]
    return ", ".join(words) or "no tests ran"


def _suites_table(run: RunResult, redact: Redact) -> str:
    rows = []
    for suite in run.suites:
        totals = suite_totals(suite)
        rows.append(
            [
                f"{_ICON[suite.status]} {suite.status}",
                cell(f"{suite.kind}/{suite.name}", redact),
                cell(suite.server, redact),
                str(totals.passed),
                str(totals.failed),
                str(totals.error),
                str(totals.skipped),
                duration(suite.duration_ms),
            ]
        )
    headers = ["status", "suite", "server", "passed", "failed", "errors", "skipped", "time"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def _recommendations(run: RunResult, redact: Redact) -> str:
    found = recommend(run)
    if not found:
        return ""
    items = [
        f"- **{cell(r.subject, redact)}** ({cell(r.rule, str)}): {cell(r.advice, redact)}."
        f" Evidence: {cell(r.evidence, redact)}"
        for r in found
    ]
    return f"#### Recommendations ({len(found)})\n\n" + "\n".join(items)


def _failures(run: RunResult, redact: Redact) -> str:
    found = [(suite, case) for suite in run.suites for case in _cases(suite) if case.status in _BAD]
    if not found:
        return ""
    items = [_failure(suite, case, redact) for suite, case in found[:LIMIT]]
    if len(found) > LIMIT:
        items.append(f"… {len(found) - LIMIT} more: `mcpctl show {run.run_id}`")
    return f"#### Failures ({len(found)})\n\n" + "\n\n".join(items)


def _cases(suite: SuiteResult) -> tuple[CaseResult, ...]:
    if not suite.error:
        return suite.cases
    setup = CaseResult(
        name="<setup>", status="error", duration_ms=0.0, message=suite.error, file=suite.spec_path
    )
    return (setup, *suite.cases)


def _failure(suite: SuiteResult, case: CaseResult, redact: Redact) -> str:
    where = f" `{_code(location(case), redact)}`" if case.file else ""
    first, _, rest = redact(case.message.strip() or case.status).partition("\n")
    head = f"{_ICON[case.status]} **{cell(f'{suite.kind}/{suite.name} :: {case.name}', redact)}**{where}:"
    text = f"{head} {cell(first, str)}"
    more = [line for line in [*rest.splitlines(), *map(redact, case.details)] if line.strip()]
    if case.output:
        more += ["", *redact(case.output).splitlines()]
    if not more:
        return text
    if len(more) > DETAIL_LINES:
        more = [*more[:DETAIL_LINES], f"… {len(more) - DETAIL_LINES} more lines"]
    body = "\n".join(more)
    fence = "`" * max(3, 1 + max((len(t) for t in _TICKS.findall(body)), default=0))
    return f"{text}\n\n<details><summary>details</summary>\n\n{fence}\n{body}\n{fence}\n\n</details>"


def location(case: CaseResult) -> str:
    """Where the case is written: ``file:line``, or the file alone."""
    return f"{case.file}:{case.line}" if case.line else case.file


def _latencies(run: RunResult, redact: Redact) -> str:
    found = [(suite, case) for suite in run.suites for case in suite.cases if case.latency is not None]
    if not found:
        return ""
    rows = []
    for suite, case in found[:LIMIT]:
        latency = case.latency
        assert latency is not None
        rows.append(
            [
                cell(f"{suite.kind}/{suite.name}", redact),
                cell(case.name, redact),
                str(latency.count),
                *(
                    f"{value:.2f}"
                    for value in (latency.p50, latency.p90, latency.p95, latency.p99, latency.max)
                ),
            ]
        )
    headers = ["suite", "case", "calls", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms"]
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    more = f"\n\n… {len(found) - LIMIT} more: `mcpctl show {run.run_id}`" if len(found) > LIMIT else ""
    return f"#### Latency\n\n{table}{more}"


def _reliability(run: RunResult, redact: Redact) -> str:
    found = [(suite, case) for suite in run.suites for case in suite.cases if case.reliability is not None]
    if not found:
        return ""
    rows = []
    for suite, case in found[:LIMIT]:
        repeats = case.reliability
        assert repeats is not None
        rows.append(
            [
                cell(f"{suite.kind}/{suite.name}", redact),
                cell(case.name, redact) + (" (flaky)" if case.flaky else ""),
                f"{repeats.passed}/{repeats.runs}",
                f"{repeats.rate:.1%}",
                cell(repeats.required or "100%", str),
                str(repeats.k),
                f"{repeats.pass_at_k:.3f}",
                f"{repeats.pass_hat_k:.3f}",
            ]
        )
    headers = ["suite", "case", "passed", "rate", "required", "k", "pass@k", "pass^k"]
    table = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    more = f"\n\n… {len(found) - LIMIT} more: `mcpctl show {run.run_id}`" if len(found) > LIMIT else ""
    return f"#### Reliability\n\n{table}{more}"


def cell(text: str, redact: Redact) -> str:
    """``text`` as one table cell: one line, HTML-escaped, markdown markup and ``|`` escaped."""
    # one line, no HTML, no table breaks: GitHub would render a server's <img> or split the row at |
    flat = _MARKUP.sub(r"\\\g<0>", " ".join(redact(text).split()))
    return html.escape(flat, quote=False)


def _code(text: str, redact: Redact) -> str:
    return " ".join(redact(text).split()).replace("`", "'")
