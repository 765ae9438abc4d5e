"""``mcpctl test`` and ``mcpctl apply``: load and validate every spec, run them, record the run,
write the reports, print the outcome. Exit code from the run (DESIGN.md §6)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mcpctl.cli.handler import run_async
from mcpctl.cli.progress import for_stderr, use_color
from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report import ReportTarget, github, parse_report, write_reports
from mcpctl.report.json import render_json
from mcpctl.report.text import render_summary
from mcpctl.spec.batch_model import TestOp
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.model import TestSuiteSpec
from mcpctl.store import new_run_id, open_store, state_dir

SUMMARY_LIMIT = 20
"""Rows and failures printed after a run; ``mcpctl show RUN`` prints all."""


def run(options: dict[str, object], *, command: str) -> int:
    """Run the specs named in ``options`` (built by ``mcpctl.cli.app``); return the exit code.

    ``options["update_snapshots"]`` (``--update-snapshots``) rewrites the snapshots that changed."""
    from mcpctl.engine.snapshot import UPDATE_SNAPSHOTS

    # every suite reads it when it starts (trio runs and their tasks inherit this context), so it reaches
    # the suites of plans and scenarios too without a parameter through each runner
    token = UPDATE_SNAPSHOTS.set(bool(options.get("update_snapshots")))
    try:
        return _run(options, command=command)
    finally:
        UPDATE_SNAPSHOTS.reset(token)


def _run(options: dict[str, object], *, command: str) -> int:
    output = str(options["output"])
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    targets = [parse_report(str(option)) for option in _strings(options["reports"])]
    directory = state_dir(options["state_dir"] if isinstance(options["state_dir"], str) else None)
    # mocks this run starts keep their call history in the run's state store, not the cwd's
    os.environ["MCPCTL_STATE_DIR"] = str(directory.absolute())
    if options.get("resume"):
        from mcpctl.cli import batch

        resumed, code, redact = batch.resume(str(options["resume"]), state_dir=directory, output=output)
        _finish_plans(resumed, targets, output=output, redact=redact)
        return code
    specs = load_specs(_strings(options["paths"]), servers_files=_strings(options["servers_files"]))
    runnable = specs.loads or any(scenario.run is not None for scenario in specs.scenarios)
    if not specs.suites and not specs.plans and not (runnable and command == "apply"):
        return _nothing_to_run(specs, command=command, paths=_strings(options["paths"]))
    codes: list[int] = []
    results: list[RunResult] = []
    standalone = _standalone(specs) if command == "apply" else specs.suites
    if standalone:
        result, code = _run_suites(
            specs, standalone, options, directory=directory, output=output, command=command
        )
        codes.append(code)
        if result is not None:
            results.append(result)
            _print(result, output=output, specs=specs)
    if specs.plans and command == "apply" and not any(code in (2, 130) for code in codes):
        from mcpctl.cli import batch

        done, code = batch.apply_plans(
            specs,
            paths=_strings(options["paths"]),
            servers_files=_strings(options["servers_files"]),
            state_dir=directory,
            yes=bool(options.get("yes")),
            output=output,
        )
        codes.append(code)
        _finish_plans(done, [], output=output, redact=specs.secrets.redact)
        results.extend(done)
    if specs.loads and command == "apply" and not any(code in (2, 130) for code in codes):
        loaded, code = _run_loads(specs, directory=directory, output=output)
        codes.append(code)
        results.extend(loaded)
    if specs.scenarios and command == "apply" and not any(code in (2, 130) for code in codes):
        from mcpctl.cli.faults import injected_table, run_scenarios

        scenarios, code = run_scenarios(specs, directory=directory, output=output)
        codes.append(code)
        if scenarios is not None:
            _print(scenarios, output=output, specs=specs)
            if output == "text":
                print("\n".join(injected_table(suite) for suite in scenarios.suites))
            results.append(scenarios)
    if results:
        write_reports(_combined(results), targets, redact=specs.secrets.redact)
        # in GitHub Actions: failures as annotations (on stderr when stdout is the JSON document)
        stream = sys.stderr if output == "json" else sys.stdout
        github.publish(_combined(results), redact=specs.secrets.redact, environ=os.environ, stream=stream)
        if isinstance(options.get("baseline"), str):
            codes.append(
                _against_baseline(_combined(results), str(options["baseline"]), specs, directory, output)
            )
    return worst(codes)


def _against_baseline(current: RunResult, ref: str, specs: SpecSet, directory: Path, output: str) -> int:
    """Compare the run with the baseline ``ref``: the table (on stderr under ``-o json``), 1 on a regression."""
    from mcpctl.cli.baseline import EXIT_REGRESSED, check
    from mcpctl.spec.load_model import Regression

    tolerances = {spec.metadata.name: spec.regression for spec in specs.loads}

    def say(text: str) -> None:
        print(text, file=sys.stderr if output == "json" else sys.stdout, flush=True)

    comparison = check(
        current,
        ref,
        directory=directory,
        regression_for=lambda suite: tolerances.get(suite.name, Regression()),
        print_to=say,
    )
    return EXIT_REGRESSED if comparison is not None and comparison.regressions else 0


def _run_loads(specs: SpecSet, *, directory: Path, output: str) -> tuple[list[RunResult], int]:
    """``apply``'s LoadTests, after the suites and plans: each shown live and summarized as ``mcpctl load``
    does, recorded as one run of ``apply``."""
    from mcpctl.cli import load
    from mcpctl.cli.load_view import summaries

    done, code = load.run_each(specs, output=output, skip=_under_faults(specs, "LoadTest"))
    if not done:
        return [], code
    run = load.record(done, command="apply", state_dir=directory, redact=specs.secrets.redact)
    if output == "text":
        print(summaries(done, redact=specs.secrets.redact))
    _print(run, output=output, specs=specs)
    return [run], code


def worst(codes: Sequence[int]) -> int:
    """The exit code of several runs: interrupted, then bad input, then infrastructure, then failures."""
    for code in (130, 2, 3, 1):
        if code in codes:
            return code
    return max(codes, default=0)


def _standalone(specs: SpecSet) -> tuple[TestSuiteSpec, ...]:
    """The suites ``apply`` runs on their own: those no BatchPlan runs in a ``test`` operation."""
    tested = {
        name for plan in specs.plans for op in plan.operations if isinstance(op, TestOp) for name in op.suites
    }
    tested |= _under_faults(specs, "TestSuite")
    return tuple(suite for suite in specs.suites if suite.metadata.name not in tested)


def _under_faults(specs: SpecSet, kind: str) -> set[str]:
    """The names of the specs of ``kind`` a FaultScenario runs (they run under its faults only)."""
    return {s.run.name for s in specs.scenarios if s.run is not None and s.run.kind == kind}


def _run_suites(
    specs: SpecSet,
    suites: Sequence[TestSuiteSpec],
    options: dict[str, object],
    *,
    directory: Path,
    output: str,
    command: str,
) -> tuple[RunResult | None, int]:
    concurrency = options["concurrency"]
    holder: list[RunResult] = []

    async def main() -> int:
        from mcpctl.engine.runner import run_suites

        holder.append(
            await run_suites(
                suites,
                servers=specs.servers,
                run_id=new_run_id(),
                command=command,
                select=_strings(options["select"]),
                concurrency=concurrency if isinstance(concurrency, int) else None,
                progress=for_stderr() if output == "text" else None,
            )
        )
        return 0

    code = run_async(main)
    if not holder:
        return None, code
    result = holder[0]
    if not result.suites:
        raise UsageError(f"--select {', '.join(_strings(options['select']))}: no test matches")
    with open_store(directory) as store:
        store.save_run(result, redact=specs.secrets.redact)
    return result, result.exit_code


def _finish_plans(
    results: list[RunResult], targets: list[ReportTarget], *, output: str, redact: Callable[[str], str]
) -> None:
    for result in results:
        if output == "json":
            print(render_json(result, redact=redact))
        else:
            print(render_summary(result, color=use_color(sys.stdout), redact=redact, limit=SUMMARY_LIMIT))
    if results and targets:
        write_reports(_combined(results), targets, redact=redact)


def _combined(results: list[RunResult]) -> RunResult:
    """Several runs as one, for a report file (the first run's id and start)."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    return RunResult(
        run_id=first.run_id,
        command=first.command,
        started_at=first.started_at,
        duration_ms=sum(r.duration_ms for r in results),
        suites=tuple(suite for r in results for suite in r.suites),
    )


def _strings(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


def _nothing_to_run(specs: SpecSet, *, command: str, paths: Sequence[str]) -> int:
    if command == "test" or not specs.documents:
        raise UsageError(f"no TestSuite documents in {', '.join(paths)}")
    mocks = f" and {len(specs.mocks)} mock servers" if specs.mocks else ""
    print(f"nothing to run: {len(specs.documents)} documents define {len(specs.servers)} servers{mocks}")
    return 0


def _print(result: RunResult, *, output: str, specs: SpecSet) -> None:
    if output == "json":
        print(render_json(result, redact=specs.secrets.redact))
        return
    print(
        render_summary(result, color=use_color(sys.stdout), redact=specs.secrets.redact, limit=SUMMARY_LIMIT)
    )
