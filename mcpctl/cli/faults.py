"""``apply``'s FaultScenarios: each run through its faults, recorded as one run, summarized with the
faults it injected. Scenarios without ``run:`` are faults for ``mcpctl proxy`` and are not run."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from tabulate import tabulate

from mcpctl.cli.handler import run_async
from mcpctl.engine.batch.engine import RUNS_DIR
from mcpctl.engine.results import RunResult, SuiteResult
from mcpctl.spec.build import SpecSet
from mcpctl.store import new_run_id, open_store

EXIT_OK = 0


def run_scenarios(specs: SpecSet, *, directory: Path, output: str) -> tuple[RunResult | None, int]:
    """Run every FaultScenario of ``specs`` that has a ``run:``; the recorded run and its exit code."""
    scenarios = [spec for spec in specs.scenarios if spec.run is not None]
    if not scenarios:
        return None, EXIT_OK
    run_id = new_run_id()
    started, start = time.time(), time.perf_counter_ns()
    results: list[SuiteResult] = []

    async def main() -> int:
        from mcpctl.engine.faults.scenario import ScenarioRun, run_scenario

        context = ScenarioRun(
            suites=specs.suites,
            loads=specs.loads,
            servers=dict(specs.servers),
            workdir=directory / RUNS_DIR / run_id,
        )
        for spec in scenarios:
            assert spec.run is not None
            if output == "text":
                print(
                    f"FaultScenario/{spec.metadata.name}: {spec.run.kind}/{spec.run.name} through "
                    f"{len(spec.faults)} faults ...",
                    file=sys.stderr,
                    flush=True,
                )
            results.append(await run_scenario(spec, context))
        return EXIT_OK

    code = run_async(main)
    if not results:
        return None, code
    run = RunResult(
        run_id=run_id,
        command="apply",
        started_at=started,
        duration_ms=(time.perf_counter_ns() - start) / 1e6,
        suites=tuple(results),
    )
    with open_store(directory) as store:
        store.save_run(run, redact=specs.secrets.redact)
    return run, max(code, run.exit_code)


def injected_table(result: SuiteResult) -> str:
    """The faults of a scenario's result and how often each struck, under a heading."""
    document = json.loads(result.attachment) if result.attachment else {}
    rows = [[f["name"], f["kind"], f["injected"]] for f in document.get("faults", [])]
    inner = document.get("run", {})
    counts = inner.get("counts", {})
    ran = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    heading = f"FaultScenario/{result.name}: {inner.get('kind')}/{inner.get('name')} {inner.get('status')}"
    table = tabulate(rows, headers=["fault", "kind", "injected"], tablefmt="plain")
    return f"{heading} ({ran or 'nothing ran'})\n{table}\n"
