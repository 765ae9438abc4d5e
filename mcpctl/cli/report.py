"""``mcpctl report RUN... --format FORMAT [--out PATH]``: a report of recorded runs, in any format.

Several runs make one report: their suites in the order the runs were named, under the id
``ID1+ID2+...`` (the earliest start, the summed durations; the command when they share one, else
``report``). Naming a run twice (``last`` and its id) counts it once.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from mcpctl.cli.handler import EXIT_OK, fail
from mcpctl.engine.results import RunResult
from mcpctl.errors import McpctlError, UsageError
from mcpctl.report import BINARY, FORMATS, write_atomic
from mcpctl.report.csv import check_columns, render_csv
from mcpctl.store import open_store
from mcpctl.store import state_dir as resolve_state_dir


def run_report(
    refs: Sequence[str], *, state_dir: str | None, fmt: str, out: str | None, columns: str | None
) -> int:
    """Render the runs ``refs`` name (ids, unique prefixes, ``last``) as ``fmt``, to ``out`` or stdout."""
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
