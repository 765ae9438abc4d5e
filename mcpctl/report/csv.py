"""The CSV report (``--report csv:PATH``, ``mcpctl report --format csv``, ``mcpctl export``).

Two shapes: one row per case (the default, and what ``--report csv:`` writes), or one row per time
bucket of each LoadTest's series (``rows="buckets"``). ``columns`` picks and orders the columns.

Cells are untrusted text (tool names, server answers): one that a spreadsheet would read as a formula
(starting ``=``, ``+``, ``-``, ``@``, tab or CR) is prefixed with ``'``, as OWASP advises against CSV
injection. Numbers are ours and never prefixed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from typing import Literal

import orjson

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.errors import UsageError
from mcpctl.observe.histogram import LatencyHistogram, LatencyStats
from mcpctl.report.json import iso8601

Rows = Literal["cases", "buckets"]
Redact = Callable[[str], str]
Cell = str | int | float

CASE_COLUMNS: tuple[str, ...] = (
    "run_id",
    "command",
    "run_started_at",
    "suite_kind",
    "suite_name",
    "server",
    "spec_path",
    "case",
    "status",
    "duration_ms",
    "attempts",
    "flaky",
    "message",
    "file",
    "line",
    "count",
    "p50_ms",
    "p90_ms",
    "p95_ms",
    "p99_ms",
    "max_ms",
    "mean_ms",
)
"""Columns of the per-case rows, in their default order."""

BUCKET_COLUMNS: tuple[str, ...] = (
    "run_id",
    "suite_name",
    "bucket_start",
    "width_s",
    "calls",
    "ok",
    "errors",
    "error_rate",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "mean_ms",
)
"""Columns of the per-bucket rows (LoadTest series), in their default order."""

_OK = "ok"  # the outcome the load engine counts a successful call under (engine.load.metrics.OK)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(
    run: RunResult, *, redact: Redact, columns: Sequence[str] | None = None, rows: Rows = "cases"
) -> str:
    """``run`` as CSV with a header line: one row per case, or per LoadTest time bucket."""
    chosen = check_columns(columns, rows=rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(chosen)
    found = (
        case_rows(run, chosen, redact=redact) if rows == "cases" else bucket_rows(run, chosen, redact=redact)
    )
    writer.writerows(found)
    return out.getvalue()


def check_columns(columns: Sequence[str] | None, *, rows: Rows = "cases") -> tuple[str, ...]:
    """The columns to write: all of ``rows``' when ``columns`` is None; ``UsageError`` naming an unknown one."""
    known = CASE_COLUMNS if rows == "cases" else BUCKET_COLUMNS
    if not columns:
        return known
    unknown = [name for name in columns if name not in known]
    if unknown:
        raise UsageError(f"--columns {','.join(unknown)}: unknown (known: {', '.join(known)})")
    return tuple(columns)


def case_rows(run: RunResult, columns: Sequence[str], *, redact: Redact) -> Iterator[list[Cell]]:
    """One list of cells per case of ``run`` (a suite that could not run: one ``<setup>`` case in error)."""
    head = {"run_id": run.run_id, "command": run.command, "run_started_at": iso8601(run.started_at)}
    for suite in run.suites:
        fields = {
            **head,
            "suite_kind": suite.kind,
            "suite_name": suite.name,
            "server": suite.server,
            "spec_path": suite.spec_path,
        }
        shared = {key: _text(value, redact) for key, value in fields.items()}
        for case in suite_cases(suite):
            cells = {**shared, **_case_cells(case, redact)}
            yield [cells[name] for name in columns]


def suite_cases(suite: SuiteResult) -> tuple[CaseResult, ...]:
    """The cases of ``suite``, led by a ``<setup>`` case in error when the suite could not run."""
    if not suite.error:
        return suite.cases
    setup = CaseResult(
        name="<setup>", status="error", duration_ms=0.0, message=suite.error, file=suite.spec_path
    )
    return (setup, *suite.cases)


def _case_cells(case: CaseResult, redact: Redact) -> dict[str, Cell]:
    latency = case.latency
    cells: dict[str, Cell] = {
        "case": _text(case.name, redact),
        "status": case.status,
        "duration_ms": round(case.duration_ms, 3),
        "attempts": case.attempts,
        "flaky": "true" if case.flaky else "false",
        "message": _text(case.message, redact),
        "file": _text(case.file, redact),
        "line": case.line or "",
    }
    if latency is None:
        cells.update(
            dict.fromkeys(("count", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"), "")
        )
    else:
        cells.update(
            count=latency.count,
            p50_ms=latency.p50,
            p90_ms=latency.p90,
            p95_ms=latency.p95,
            p99_ms=latency.p99,
            max_ms=latency.max,
            mean_ms=round(latency.mean, 3),
        )
    return cells


def bucket_rows(run: RunResult, columns: Sequence[str], *, redact: Redact) -> Iterator[list[Cell]]:
    """One list of cells per time bucket of every LoadTest suite of ``run`` that kept its series."""
    for suite in run.suites:
        series = _series(suite)
        if series is None:
            continue
        width = series.get("width", 1)
        buckets = series.get("buckets")
        for bucket in buckets if isinstance(buckets, list) else []:
            if not isinstance(bucket, dict):
                continue
            cells = _bucket_cells(bucket, width if isinstance(width, int) else 1)
            cells.update(run_id=_text(run.run_id, redact), suite_name=_text(suite.name, redact))
            yield [cells[name] for name in columns]


def _series(suite: SuiteResult) -> dict[str, object] | None:
    if suite.kind != "LoadTest" or not suite.attachment:
        return None
    try:
        series = orjson.loads(suite.attachment).get("series")
    except (orjson.JSONDecodeError, AttributeError):
        return None  # an unreadable attachment has no buckets; its cases are still in the case rows
    return series if isinstance(series, dict) else None


def _bucket_cells(bucket: dict[str, object], width: int) -> dict[str, Cell]:
    raw = bucket.get("outcomes")
    outcomes = {str(k): v for k, v in raw.items() if isinstance(v, int)} if isinstance(raw, dict) else {}
    calls = sum(outcomes.values())
    errors = calls - outcomes.get(_OK, 0)
    start = bucket.get("start")
    cells: dict[str, Cell] = {
        "bucket_start": iso8601(start) if isinstance(start, int | float) else "",
        "width_s": width,
        "calls": calls,
        "ok": outcomes.get(_OK, 0),
        "errors": errors,
        "error_rate": round(errors / calls, 6) if calls else "",
    }
    stats = _latency(bucket.get("latency"))
    if stats is None or not stats.count:
        cells.update(dict.fromkeys(("p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms"), ""))
    else:
        cells.update(
            p50_ms=stats.p50,
            p90_ms=stats.p90,
            p99_ms=stats.p99,
            max_ms=stats.max,
            mean_ms=round(stats.mean, 3),
        )
    return cells


def _latency(encoded: object) -> LatencyStats | None:
    if not isinstance(encoded, str) or not encoded:
        return None
    try:
        return LatencyHistogram.decode(encoded).summary()
    except ValueError:
        return None  # a corrupt bucket shows its counts without latencies rather than no report


def _text(value: str, redact: Redact) -> str:
    if not value:
        return value
    shown = redact(value)
    return "'" + shown if shown.startswith(_FORMULA_START) else shown
