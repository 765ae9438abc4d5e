"""``mcpctl report RUN... --format FORMAT [--out PATH]``: a report of recorded runs, in any format.

Several runs make one report: their suites in the order the runs were named, under the id
``ID1+ID2+...`` (the earliest start, the summed durations; the command when they share one, else
``report``). Naming a run twice (``last`` and its id) counts it once.

``mcpctl report --monitor NAME [--since DATE] [--until DATE]`` renders instead what a running monitor kept
in the store (:mod:`mcpctl.report.monitor`): no RUN then, and no junit (a monitor window has no cases).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mcpctl.cli.export import parse_date
from mcpctl.cli.handler import EXIT_OK, fail
from mcpctl.engine.results import RunResult
from mcpctl.errors import McpctlError, UsageError
from mcpctl.report import BINARY, FORMATS, write_atomic
from mcpctl.report.csv import check_columns, render_csv
from mcpctl.report.monitor import (
    MonitorWindow,
    monitor_window,
    render_monitor_csv,
    render_monitor_json,
    render_monitor_markdown,
)
from mcpctl.report.monitor_page import render_monitor_html, render_monitor_pdf
from mcpctl.store import open_store
from mcpctl.store import state_dir as resolve_state_dir

MONITOR_FORMATS: dict[str, Callable[[MonitorWindow], str | bytes]] = {
    "json": render_monitor_json,
    "markdown": render_monitor_markdown,
    "html": render_monitor_html,
    "pdf": render_monitor_pdf,
    "csv": render_monitor_csv,
}


def run_report(
    refs: Sequence[str],
    *,
    state_dir: str | None,
    fmt: str,
    out: str | None,
    columns: str | None,
    monitor: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> int:
    """Render the runs ``refs`` name (ids, unique prefixes, ``last``) as ``fmt``, to ``out`` or stdout; with
    ``monitor``, that monitor's window ``[since, until]`` instead (ISO 8601 dates or times)."""
    if monitor is not None or since is not None or until is not None:
        return _monitor_report(
            refs, monitor, since=since, until=until, state_dir=state_dir, fmt=fmt, out=out, columns=columns
        )
    try:
        chosen = _check(fmt, out=out, columns=columns)
        with open_store(resolve_state_dir(state_dir), create=False) as store:
            runs = [store.get_run(ref) for ref in refs or ["last"]]
        # the store holds redacted text already (secrets are hidden before they are saved)
        run = combined(runs)
        data = render_csv(run, redact=str, columns=chosen) if fmt == "csv" else FORMATS[fmt](run, redact=str)
        if out is not None:
            _write(Path(out), data, fmt=fmt)
        elif isinstance(data, str):  # (a binary format needs --out: checked above)
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
    except McpctlError as exc:
        return fail(exc)
    return EXIT_OK


def _monitor_report(
    refs: Sequence[str],
    monitor: str | None,
    *,
    since: str | None,
    until: str | None,
    state_dir: str | None,
    fmt: str,
    out: str | None,
    columns: str | None,
) -> int:
    try:
        if monitor is None:
            raise UsageError("--since and --until: only with --monitor NAME (a run report takes RUN ids)")
        if refs:
            raise UsageError(
                f"--monitor {monitor}: give no RUN (got {' '.join(refs)}); it reports the monitor"
            )
        if fmt not in MONITOR_FORMATS:
            raise UsageError(f"--monitor: --format {fmt!r}: expected one of {', '.join(MONITOR_FORMATS)}")
        if fmt in BINARY and out is None:
            raise UsageError(f"--format {fmt}: give --out PATH (a {fmt} is not printed on a terminal)")
        if columns is not None:
            raise UsageError("--columns: not with --monitor (its csv has one row per server and hour)")
        start = parse_date(since, option="--since") if since is not None else None
        end = parse_date(until, option="--until") if until is not None else None
        with open_store(resolve_state_dir(state_dir), create=False) as store:
            window = monitor_window(store, monitor, since=start, until=end)
        data = MONITOR_FORMATS[fmt](window)
        _emit(data, out=out, fmt=fmt)
    except McpctlError as exc:
        return fail(exc)
    return EXIT_OK


def _emit(data: str | bytes, *, out: str | None, fmt: str) -> None:
    if out is not None:
        _write(Path(out), data, fmt=fmt)
    elif isinstance(data, str):
        sys.stdout.write(data if data.endswith("\n") else data + "\n")


def _check(fmt: str, *, out: str | None, columns: str | None) -> list[str] | None:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if fmt in BINARY and out is None:
        raise UsageError(f"--format {fmt}: give --out PATH (a {fmt} is not printed on a terminal)")
    if columns is None:
        return None
    if fmt != "csv":
        raise UsageError(f"--columns: only with --format csv (not {fmt})")
    names = [name.strip() for name in columns.split(",") if name.strip()]
    return list(check_columns(names))


def _write(path: Path, data: str | bytes, *, fmt: str) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise UsageError(f"--out {path}: cannot write the {fmt} report: {exc}") from None


def combined(runs: Sequence[RunResult]) -> RunResult:
    """``runs`` as one run (see the module docstring); one run is itself."""
    unique = list({run.run_id: run for run in runs}.values())
    if len(unique) == 1:
        return unique[0]
    commands = {run.command for run in unique}
    return RunResult(
        run_id="+".join(run.run_id for run in unique),
        command=commands.pop() if len(commands) == 1 else "report",
        started_at=min(run.started_at for run in unique),
        duration_ms=sum(run.duration_ms for run in unique),
        suites=tuple(suite for run in unique for suite in run.suites),
    )
