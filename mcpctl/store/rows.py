"""Run results to table rows and back; structured fields (serverInfo, details, latency) are JSON text.

Every string on its way in passes through ``redact``: the database is a file, and secrets substituted
from ``${env:...}`` must never reach a file.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, cast

import orjson

from mcpctl.engine.results import CaseResult, LatencySummary, Reliability, RunResult, Status, SuiteResult

Redact = Callable[[str], str]
Row = tuple[object, ...]


def run_row(run: RunResult, redact: Redact) -> Row:
    """The ``runs`` row of ``run``."""
    return (run.run_id, redact(run.command), run.started_at, run.duration_ms, run.status, run.exit_code)


def suite_rows(run: RunResult, redact: Redact) -> list[Row]:
    """The ``suites`` rows of ``run``, in order."""
    return [
        (
            run.run_id,
            position,
            redact(suite.kind),
            redact(suite.name),
            redact(suite.server),
            _json({redact(key): redact(value) for key, value in suite.server_info.items()}),
            redact(suite.protocol),
            redact(suite.spec_path),
            suite.spec_hash,
            suite.started_at,
            suite.duration_ms,
            suite.status,
            redact(suite.error),
            redact(suite.attachment),
        )
        for position, suite in enumerate(run.suites)
    ]


def case_rows(run: RunResult, redact: Redact) -> list[Row]:
    """The ``cases`` rows of ``run``, in suite then case order."""
    return [
        (
            run.run_id,
            suite_position,
            position,
            redact(case.name),
            case.status,
            case.duration_ms,
            case.attempts,
            int(case.flaky),
            redact(case.message),
            _json([redact(line) for line in case.details]),
            None if case.latency is None else _json(dataclasses.asdict(case.latency)),
            redact(case.output),
            redact(case.file),
            case.line,
            _extra(case, redact),
        )
        for suite_position, suite in enumerate(run.suites)
        for position, case in enumerate(suite.cases)
    ]


def _extra(case: CaseResult, redact: Redact) -> str | None:
    """The ``extra`` column: a repeated test's reliability and its snapshots' outcomes (``None``: neither)."""
    extra: dict[str, object] = {}
    if case.reliability is not None:
        kept = dataclasses.replace(
            case.reliability, failures=tuple(redact(f) for f in case.reliability.failures)
        )
        extra["reliability"] = dataclasses.asdict(kept)
    if case.snapshots:
        extra["snapshots"] = dict(case.snapshots)
    return _json(extra) if extra else None


def build_run(run: sqlite3.Row, suites: Sequence[sqlite3.Row], cases: Sequence[sqlite3.Row]) -> RunResult:
    """The :class:`RunResult` stored in these rows (suites and cases ordered by position)."""
    by_suite: dict[int, list[CaseResult]] = {}
    for row in cases:
        by_suite.setdefault(row["suite"], []).append(_case(row))
    return RunResult(
        run_id=run["id"],
        command=run["command"],
        started_at=run["started_at"],
        duration_ms=run["duration_ms"],
        suites=tuple(_suite(row, by_suite.get(row["position"], [])) for row in suites),
    )


def _suite(row: sqlite3.Row, cases: list[CaseResult]) -> SuiteResult:
    return SuiteResult(
        kind=row["kind"],
        name=row["name"],
        server=row["server"],
        server_info=cast(dict[str, str], orjson.loads(row["server_info"])),
        protocol=row["protocol"],
        spec_path=row["spec_path"],
        spec_hash=row["spec_hash"],
        started_at=row["started_at"],
        duration_ms=row["duration_ms"],
        cases=tuple(cases),
        error=row["error"],
        attachment=row["attachment"],
    )


def _case(row: sqlite3.Row) -> CaseResult:
    latency = None if row["latency"] is None else LatencySummary(**orjson.loads(row["latency"]))
    return CaseResult(
        name=row["name"],
        status=cast(Status, row["status"]),
        duration_ms=row["duration_ms"],
        attempts=row["attempts"],
        flaky=bool(row["flaky"]),
        message=row["message"],
        details=tuple(cast(list[str], orjson.loads(row["details"]))),
        latency=latency,
        output=row["output"],
        file=row["file"],
        line=row["line"],
        **_read_extra(row["extra"]),
    )


def _read_extra(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    extra = orjson.loads(text)
    found: dict[str, Any] = {}
    if "reliability" in extra:
        kept = extra["reliability"]
        found["reliability"] = Reliability(**{**kept, "failures": tuple(kept["failures"])})
    if "snapshots" in extra:
        found["snapshots"] = extra["snapshots"]
    return found


def _json(value: object) -> str:
    return orjson.dumps(value).decode()
