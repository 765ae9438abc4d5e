"""``mcpctl runs`` (the recorded runs, newest first) and ``mcpctl show RUN`` (one run in full)."""

from __future__ import annotations

import sys
import time

import orjson
from tabulate import tabulate

from mcpctl.cli.handler import EXIT_OK, fail
from mcpctl.cli.progress import use_color
from mcpctl.engine.load.record import KIND as LOAD_KIND
from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.errors import McpctlError, UsageError
from mcpctl.report.json import render_json, summary_json
from mcpctl.report.text import duration, render_summary
from mcpctl.store import RunSummary, open_store
from mcpctl.store import state_dir as resolve_state_dir

SUITES_SHOWN = 2
"""Suite names listed per run in ``mcpctl runs`` before "+N more"."""


def run_list(*, state_dir: str | None, limit: int, output: str) -> int:
    """Print the newest ``limit`` runs as a table (or a JSON list)."""
    try:
        _check_output(output)
        directory = resolve_state_dir(state_dir)
        with open_store(directory, create=False) as store:
            summaries = store.list_runs(limit=limit)
    except McpctlError as exc:
        return fail(exc)
    if output == "json":
        print(
            orjson.dumps(
                [summary_json(summary) for summary in summaries], option=orjson.OPT_INDENT_2
            ).decode()
        )
    elif not summaries:
        print(f"no runs recorded in {directory} (run mcpctl test first)")
    else:
        print(_runs_table(summaries))
    return EXIT_OK


def run_show(ref: str, *, state_dir: str | None, output: str) -> int:
    """Print the run ``ref`` names (an id, a unique prefix, or ``last``): header, suites, summary."""
    try:
        _check_output(output)
        with open_store(resolve_state_dir(state_dir), create=False) as store:
            run = store.get_run(ref)
    except McpctlError as exc:
        return fail(exc)
    # the store holds redacted text already (secrets are hidden before they are saved)
    if output == "json":
        print(render_json(run, redact=str))
    else:
        print(_header(run))
        print(render_summary(run, color=use_color(sys.stdout), redact=str, show_hint=False))
        for suite in run.suites:
            if suite.kind == LOAD_KIND and suite.attachment:
                print(f"\n{_load_summary(suite.attachment)}")
    return EXIT_OK


def _load_summary(attachment: str) -> str:
    """The summary ``mcpctl load`` printed, from the result the suite keeps."""
    from mcpctl.cli.load_view import render_summary as load_summary
    from mcpctl.engine.load.result_json import from_json

    try:
        return load_summary(from_json(orjson.loads(attachment)), None, redact=str)
    except (orjson.JSONDecodeError, ValueError) as exc:
        return f"(the load result recorded here is unreadable: {exc})"


def _check_output(output: str) -> None:
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")


def _local(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _runs_table(summaries: list[RunSummary]) -> str:
    rows = [
        [
            summary.id,
            _local(summary.started_at),
            summary.command,
            _suite_names(summary.suites),
            summary.status,
            summary.passed,
            summary.failed,
            summary.error,
            summary.skipped,
            duration(summary.duration_ms),
        ]
        for summary in summaries
    ]
    headers = [
        "RUN",
        "STARTED",
        "COMMAND",
        "SUITES",
        "STATUS",
        "PASSED",
        "FAILED",
        "ERRORS",
        "SKIPPED",
        "TIME",
    ]
    return tabulate(rows, headers=headers, tablefmt="plain", disable_numparse=True)


def _suite_names(names: tuple[str, ...]) -> str:
    more = len(names) - SUITES_SHOWN
    return ", ".join(names[:SUITES_SHOWN]) + (f" +{more} more" if more > 0 else "")


def _header(run: RunResult) -> str:
    lines = [
        f"run      {run.run_id}",
        f"command  mcpctl {run.command}",
        f"started  {_local(run.started_at)} ({duration(run.duration_ms)})",
        f"status   {run.status} (exit code {run.exit_code})",
        "suites",
        *(f"  {_identity(suite)}" for suite in run.suites),
    ]
    return "\n".join(lines) + "\n"


def _identity(suite: SuiteResult) -> str:
    # a BatchPlan operation keeps what it did (its title) where a suite keeps its server
    what = "operation" if suite.kind == "BatchPlan" else "server"
    parts = [f"{suite.kind}/{suite.name}: {what} {suite.server}"]
    announced = " ".join(suite.server_info[key] for key in ("name", "version") if suite.server_info.get(key))
    if announced:
        parts[0] += f" ({announced})"
    if suite.protocol:
        parts.append(f"protocol {suite.protocol}")
    if suite.spec_path:
        parts.append(
            f"spec {suite.spec_path}" + (f" (sha256 {suite.spec_hash[:12]})" if suite.spec_hash else "")
        )
    return ", ".join(parts)
