"""``mcpctl export --since DATE [--until DATE] --format csv|jsonl [--out PATH]``: every case of every
run recorded in the window, one CSV row or JSON line each, oldest run first.

DATE is ISO 8601: ``2026-11-25``, ``2026-11-25T16:00``, ``2026-11-25T16:00:00+01:00``; without a
zone it is UTC (a CI job and a laptop export the same rows). ``--since`` is inclusive, ``--until``
exclusive. Each row carries its run (id, command, start) and suite (kind, name, server) beside the
case, so the file stands alone in a spreadsheet or a data warehouse.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from mcpctl.cli.handler import EXIT_OK, fail
from mcpctl.engine.results import RunResult
from mcpctl.errors import McpctlError, UsageError
from mcpctl.report import write_atomic
from mcpctl.report.csv import CASE_COLUMNS, case_rows, suite_cases
from mcpctl.report.json import case_json, iso8601
from mcpctl.store import Store, open_store
from mcpctl.store import state_dir as resolve_state_dir

FORMATS = ("csv", "jsonl")


def run_export(*, since: str, until: str | None, fmt: str, out: str | None, state_dir: str | None) -> int:
    """Write the cases of the runs started in [since, until) as ``fmt``, to ``out`` or stdout."""
    try:
        if fmt not in FORMATS:
            raise UsageError(f"--format {fmt!r}: expected csv or jsonl")
        start = parse_date(since, option="--since")
        end = parse_date(until, option="--until") if until is not None else None
        with open_store(resolve_state_dir(state_dir), create=False) as store:
            runs = [store.get_run(run_id) for run_id in runs_between(store, start, end)]
        text = _csv(runs) if fmt == "csv" else "".join(_jsonl(runs))
        if out is None:
            sys.stdout.write(text)
        else:
            try:
                write_atomic(Path(out), text)
            except OSError as exc:
                raise UsageError(f"--out {out}: cannot write the export: {exc}") from None
    except McpctlError as exc:
        return fail(exc)
    return EXIT_OK


def parse_date(text: str, *, option: str) -> float:
    """``text`` (ISO 8601 date or date-time; UTC when it has no zone) as Unix time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: expected an ISO 8601 date or time, e.g. 2026-11-25 or 2026-11-25T16:00Z"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def runs_between(store: Store, start: float, end: float | None) -> list[str]:
    """The ids of the runs started in [start, end), oldest first."""
    # the store has no query by time yet: read its runs table directly (one indexed query)
    rows = store.connection.execute(
        "SELECT id FROM runs WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id",
        (start, float("inf") if end is None else end),
    ).fetchall()
    return [str(row["id"]) for row in rows]


def _csv(runs: list[RunResult]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CASE_COLUMNS)
    for run in runs:
        writer.writerows(case_rows(run, CASE_COLUMNS, redact=str))
    return out.getvalue()


def _jsonl(runs: list[RunResult]) -> Iterator[str]:
    # the store holds redacted text already (secrets are hidden before they are saved)
    for run in runs:
        for suite in run.suites:
            head = {
                "runId": run.run_id,
                "command": run.command,
                "runStartedAt": iso8601(run.started_at),
                "suiteKind": suite.kind,
                "suiteName": suite.name,
                "server": suite.server,
                "specPath": suite.spec_path,
            }
            for case in suite_cases(suite):
                line = {**head, **case_json(case)}
                yield orjson.dumps(line).decode() + "\n"
