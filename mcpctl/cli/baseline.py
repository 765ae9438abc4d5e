"""``mcpctl baseline set|list|rm`` and ``--baseline NAME|last-pass`` on run commands: compare a run with a
baseline run, per suite and metric, and fail (exit 1) on a regression (mcpctl.engine.baseline says how a
real change is told from noise)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from pathlib import Path

from tabulate import tabulate

from mcpctl.engine.baseline import Comparison, compare, render
from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.spec.load_model import Regression
from mcpctl.store import open_store
from mcpctl.store import state_dir as find_state_dir
from mcpctl.store.baselines import LAST_PASS, baselines, get_baseline, remove_baseline, set_baseline
from mcpctl.store.db import Store

EXIT_REGRESSED = 1
SEARCHED = 500
"""How many recent runs ``last-pass`` looks through."""


def run_set(run: str, *, name: str, state_dir: str | None) -> int:
    """Point the baseline ``name`` at ``run``."""
    with open_store(find_state_dir(state_dir), create=False) as store:
        found = set_baseline(store, name, run)
    print(f"baseline {found.name} is run {found.run_id}")
    return 0


def run_list(*, state_dir: str | None, output: str) -> int:
    """Print the named baselines."""
    with open_store(find_state_dir(state_dir), create=False) as store:
        found = baselines(store)
    if output == "json":
        print(json.dumps([{"name": b.name, "run": b.run_id, "setAt": b.set_at} for b in found], indent=2))
        return 0
    if not found:
        print("no baselines (mcpctl baseline set RUN --name NAME; --baseline last-pass needs none)")
        return 0
    rows = [
        [
            b.name,
            b.run_id,
            datetime.datetime.fromtimestamp(b.set_at, tz=datetime.UTC).isoformat(timespec="seconds"),
        ]
        for b in found
    ]
    print(tabulate(rows, headers=["NAME", "RUN", "SET"], tablefmt="plain", disable_numparse=True))
    return 0


def run_remove(name: str, *, state_dir: str | None) -> int:
    """Forget a baseline."""
    with open_store(find_state_dir(state_dir), create=False) as store:
        remove_baseline(store, name)
    print(f"baseline {name} removed")
    return 0


def baseline_run(store: Store, ref: str, current: RunResult) -> RunResult | None:
    """The run ``ref`` names: a baseline name, or ``last-pass`` (None when no earlier run passed)."""
    if ref != LAST_PASS:
        return store.get_run(get_baseline(store, ref).run_id)
    wanted = {f"{s.kind}/{s.name}" for s in current.suites}
    for summary in store.list_runs(limit=SEARCHED):
        # runs of this invocation (apply records suites, plans and loads as runs of their own) are not earlier
        if summary.started_at >= current.started_at or summary.id == current.run_id:
            continue
        if summary.status == "passed" and wanted & set(summary.suites):
            return store.get_run(summary.id)
    return None


def check(
    current: RunResult,
    ref: str,
    *,
    directory: Path,
    regression_for: Callable[[SuiteResult], Regression],
    print_to: Callable[[str], None] = print,
) -> Comparison | None:
    """Compare ``current`` (already stored) with the baseline ``ref`` and print the table (exit
    :data:`EXIT_REGRESSED` when the comparison has regressions); ``None`` when there is no baseline run."""
    with open_store(directory) as store:
        baseline = baseline_run(store, ref, current)
    if baseline is None:
        print_to(f"no earlier passing run with these suites: nothing to compare with ({LAST_PASS})")
        return None
    comparison = compare(baseline, current, regression_for=regression_for)
    print_to(render(comparison))
    return comparison
