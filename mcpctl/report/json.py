"""The JSON report (``--report json:PATH``, ``mcpctl test --output json``, ``mcpctl show -o json``).

The shape is a public contract; add keys, never rename or remove them (``schemas/report.schema.json``
describes it; ``schemaVersion`` counts changes that are not additions)::

    {"schemaVersion": 1,
     "run": {"id", "command", "startedAt", "durationMs", "status", "exitCode",
             "summary": {"passed", "failed", "error", "skipped", "total"}},
     "suites": [{"kind", "name", "server", "serverInfo", "protocol", "spec": {"path", "sha256"},
                 "startedAt", "durationMs", "status", "error",
                 "cases": [{"name", "status", "durationMs", "attempts", "flaky", "message", "details",
                            "latency", "output", "file", "line",
                            "reliability"?, "snapshots"?}],
                 "attachment"}],
     "recommendations": [{"rule", "subject", "advice", "evidence"}]}

Times are ISO 8601 in UTC with milliseconds; durations are milliseconds; ``latency`` is ``null`` or
``{"count", "min", "p50", "p90", "p95", "p99", "max", "mean"}`` in milliseconds; ``attachment`` is ``null`` or
a suite's own document (a LoadTest's whole result, as ``mcpctl load -o json`` prints it);
a repeated case (``repeat: N``) adds ``reliability``: ``{"runs", "passed", "rate", "k", "passAtK", "passHatK",
"required", "failures"}`` (pass@k, pass^k; ``failures``: the first line of each failing run); a case with
snapshots adds ``snapshots``: name to written, updated, unchanged, failed, missing or refused, and the run's
``summary`` then adds ``snapshots`` (how many of each); ``recommendations`` are the rules of :mod:`mcpctl.report.recommend` that fired, each with the numbers that
made it fire (``[]`` when none did).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from mcpctl.engine.results import CaseResult, Reliability, RunResult, SuiteResult, snapshot_counts
from mcpctl.report.recommend import recommend
from mcpctl.report.totals import run_totals

if TYPE_CHECKING:
    from mcpctl.store.db import RunSummary

SCHEMA_VERSION = 1
"""The version of the report's shape (``schemas/report.schema.json``)."""


def iso8601(timestamp: float) -> str:
    """Unix time as ISO 8601 in UTC, e.g. ``2026-11-25T16:12:03.250Z``."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render_json(run: RunResult, *, redact: Callable[[str], str]) -> str:
    """``run`` as indented JSON, every string passed through ``redact``."""
    document = {
        "schemaVersion": SCHEMA_VERSION,
        "run": _run(run),
        "suites": [_suite(suite) for suite in run.suites],
        "recommendations": [dataclasses.asdict(r) for r in recommend(run)],
    }
    return orjson.dumps(_redacted(document, redact), option=orjson.OPT_INDENT_2).decode()


def _run(run: RunResult) -> dict[str, object]:
    totals = run_totals(run)
    return {
        "id": run.run_id,
        "command": run.command,
        "startedAt": iso8601(run.started_at),
        "durationMs": run.duration_ms,
        "status": run.status,
        "exitCode": run.exit_code,
        "summary": {
            "passed": totals.passed,
            "failed": totals.failed,
            "error": totals.error,
            "skipped": totals.skipped,
            "total": totals.total,
            **_snapshot_summary(run),
        },
    }


def _snapshot_summary(run: RunResult) -> dict[str, object]:
    counts = snapshot_counts([case for suite in run.suites for case in suite.cases])
    return {"snapshots": dict(sorted(counts.items()))} if counts else {}


def _suite(suite: SuiteResult) -> dict[str, object]:
    return {
        "kind": suite.kind,
        "name": suite.name,
        "server": suite.server,
        "serverInfo": dict(suite.server_info),
        "protocol": suite.protocol,
        "spec": {"path": suite.spec_path, "sha256": suite.spec_hash},
        "startedAt": iso8601(suite.started_at),
        "durationMs": suite.duration_ms,
        "status": suite.status,
        "error": suite.error,
        "cases": [case_json(case) for case in suite.cases],
        "attachment": orjson.loads(suite.attachment) if suite.attachment else None,
    }


def summary_json(summary: RunSummary) -> dict[str, object]:
    """One recorded run as ``mcpctl runs -o json`` and the dashboard's ``/api/v1/runs`` list it: the report's
    ``run`` object (its counts from the store's summary) and the ``Kind/name`` of each suite."""
    return {
        "id": summary.id,
        "command": summary.command,
        "startedAt": iso8601(summary.started_at),
        "durationMs": summary.duration_ms,
        "status": summary.status,
        "exitCode": summary.exit_code,
        "suites": list(summary.suites),
        "summary": {
            "passed": summary.passed,
            "failed": summary.failed,
            "error": summary.error,
            "skipped": summary.skipped,
            "total": summary.passed + summary.failed + summary.error + summary.skipped,
        },
    }


def case_json(case: CaseResult) -> dict[str, object]:
    """One case as the JSON report writes it (``mcpctl export --format jsonl`` writes the same)."""
    return {
        "name": case.name,
        "status": case.status,
        "durationMs": case.duration_ms,
        "attempts": case.attempts,
        "flaky": case.flaky,
        "message": case.message,
        "details": list(case.details),
        "latency": None if case.latency is None else dataclasses.asdict(case.latency),
        "output": case.output,
        "file": case.file,
        "line": case.line,
        # added only when there is something to say, so that other cases keep their exact shape
        **({"reliability": reliability_json(case.reliability)} if case.reliability is not None else {}),
        **({"snapshots": dict(case.snapshots)} if case.snapshots else {}),
    }


def reliability_json(repeats: Reliability) -> dict[str, object]:
    """A repeated case's runs, pass@k and pass^k as the JSON report writes them."""
    return {
        "runs": repeats.runs,
        "passed": repeats.passed,
        "rate": repeats.rate,
        "k": repeats.k,
        "passAtK": repeats.pass_at_k,
        "passHatK": repeats.pass_hat_k,
        "required": repeats.required,
        "failures": list(repeats.failures),
    }


def _redacted(value: object, redact: Callable[[str], str]) -> object:
    # walk the tree rather than redact the rendered text: JSON escaping could split a secret
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact(key): _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item, redact) for item in value]
    return value
