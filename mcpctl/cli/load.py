"""``mcpctl load``: run the LoadTest documents of the given specs one after another, show each live,
print a summary (or JSON) and write ``--report json:PATH``. Exit 0 when every threshold held, 1 when one
failed or a test aborted, 2 for bad input, 3 when a server could not be reached, 130 on Ctrl-C."""

from __future__ import annotations

import gc
import sys
from collections.abc import Collection, Sequence
from functools import partial
from pathlib import Path

import orjson

from mcpctl.cli.baseline import EXIT_REGRESSED, check
from mcpctl.cli.handler import EXIT_OK, run_async
from mcpctl.cli.load_view import Redact, load_view, summaries
from mcpctl.cli.load_workers import run_worker, run_workers, worker_argv
from mcpctl.engine.baseline import Comparison
from mcpctl.engine.load.metrics import LoadResult
from mcpctl.engine.load.record import load_suite
from mcpctl.engine.load.result_json import to_json
from mcpctl.engine.load.runner import run_load, seed_for
from mcpctl.engine.load.shard import parse_shard, part_seed, shard_spec
from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report.recommend import recommend
from mcpctl.report.recommend import render as render_recommendations
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.load_model import LoadTestSpec, Regression
from mcpctl.store import new_run_id, open_store
from mcpctl.store import state_dir as resolve_state_dir
from mcpctl.store.files import write_atomic

MAX_WORKERS = 64


def run(
    paths: Sequence[str],
    *,
    servers_files: Sequence[str],
    select: str | None,
    seed: int | None,
    output: str,
    reports: Sequence[str],
    shard: str | None = None,
    workers: int = 1,
    worker: str | None = None,
    state_dir: str | None = None,
    baseline: str | None = None,
) -> int:
    """Run the selected LoadTests of ``paths`` (only shard ``I/N`` of their load with ``shard``; on
    ``workers`` processes); print their summaries; return the exit code. ``worker`` (``I/N``) is the
    hidden mode of one worker process (:mod:`mcpctl.cli.load_workers`)."""
    if output not in ("text", "json"):
        raise UsageError(f"--output {output!r}: expected text or json")
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"--workers {workers}: expected 1 to {MAX_WORKERS}")
    split = parse_shard(shard) if shard is not None else None
    part = parse_shard(worker) if worker is not None else None
    report_paths = [report_path(option) for option in reports]
    specs = load_specs(list(paths), servers_files=list(servers_files))
    selected = _selected(specs, paths, select)
    redact = specs.secrets.redact
    done: list[tuple[LoadResult, LoadTestSpec]] = []
    code = EXIT_OK
    for spec in selected:
        spec, spec_seed = _part(spec, seed, split)
        if part is not None:
            spec, spec_seed = _part(spec, spec_seed, part)
            quiet_collector()
            return run_async(partial(run_worker, spec, specs, seed=spec_seed))
        argvs = [
            worker_argv(
                paths,
                servers_files=servers_files,
                name=spec.metadata.name,
                seed=seed,
                shard=shard,
                part=(n, workers),
            )
            for n in range(1, workers + 1)
        ]
        result, run_code = _run_one(
            spec, specs, seed=spec_seed, output=output, argvs=argvs if workers > 1 else []
        )
        if result is None:  # the test could not run (server unreachable, Ctrl-C): stop here
            code = run_code
            break
        done.append((result, spec))
        code = max(code, result.exit_code)
    recorded = record(done, command="load", state_dir=state_dir, redact=redact) if done else None
    run_id = recorded.run_id if recorded is not None else None
    _print(done, output=output, redact=redact, shard=shard)
    if recorded is not None:
        comparison = None
        if baseline is not None:
            comparison = _against_baseline(recorded, baseline, done, state_dir=state_dir, output=output)
            code = max(code, EXIT_REGRESSED if comparison is not None and comparison.regressions else EXIT_OK)
        profiles = {spec.metadata.name: spec.profile for _, spec in done}
        advice = render_recommendations(recommend(recorded, comparison=comparison, profiles=profiles))
        if advice and output == "text":  # (JSON output stays the document alone)
            print(advice, flush=True)
    if done:
        document = results_document([result for result, _ in done], redact=redact, shard=shard)
        for path in report_paths:
            write_report(path, document)
    if run_id is not None and output == "text":
        print(f"run {run_id}: mcpctl show {run_id}")
    return code


def _against_baseline(
    run: RunResult,
    ref: str,
    done: Sequence[tuple[LoadResult, LoadTestSpec]],
    *,
    state_dir: str | None,
    output: str,
) -> Comparison | None:
    tolerances = {spec.metadata.name: spec.regression for _, spec in done}

    def say(text: str) -> None:
        print(text, file=sys.stderr if output == "json" else sys.stdout, flush=True)

    return check(
        run,
        ref,
        directory=resolve_state_dir(state_dir),
        regression_for=lambda suite: tolerances.get(suite.name, Regression()),
        print_to=say,
    )


def run_each(
    specs: SpecSet, *, output: str, skip: Collection[str] = ()
) -> tuple[list[tuple[LoadResult, LoadTestSpec]], int]:
    """Run every LoadTest of ``specs`` but those named in ``skip`` here, one after another (``mcpctl apply``):
    the results and the exit code; a test that could not run (server unreachable, Ctrl-C) ends the sequence
    with its code."""
    done: list[tuple[LoadResult, LoadTestSpec]] = []
    code = EXIT_OK
    for spec in (spec for spec in specs.loads if spec.metadata.name not in skip):
        result, run_code = _run_one(spec, specs, seed=seed_for(spec.metadata.name), output=output, argvs=[])
        if result is None:
            return done, run_code
        done.append((result, spec))
        code = max(code, result.exit_code)
    return done, code


def record(
    done: Sequence[tuple[LoadResult, LoadTestSpec]],
    *,
    command: str,
    state_dir: str | Path | None,
    redact: Redact,
) -> RunResult:
    """Save the results in the state store as one run of ``command``; the run recorded."""
    first = done[0][0]
    run = RunResult(
        run_id=new_run_id(first.started_at),
        command=command,
        started_at=first.started_at,
        duration_ms=1000 * sum(result.duration for result, _ in done),
        suites=tuple(load_suite(result, spec) for result, spec in done),
    )
    directory = state_dir if isinstance(state_dir, Path) else resolve_state_dir(state_dir)
    with open_store(directory) as store:
        store.save_run(run, redact=redact)
    return run


def _part(spec: LoadTestSpec, seed: int | None, part: tuple[int, int] | None) -> tuple[LoadTestSpec, int]:
    """Part ``(I, N)`` of ``spec``'s load and its seed (the whole spec and its seed without ``part``)."""
    seed = seed_for(spec.metadata.name) if seed is None else seed
    if part is None:
        return spec, seed
    return shard_spec(spec, *part), part_seed(seed, part[0])


def report_path(option: str) -> Path:
    kind, sep, path = option.partition(":")
    if kind != "json" or not sep or not path:
        raise UsageError(f"--report {option!r}: expected json:PATH (the only report format of mcpctl load)")
    return Path(path)


def _selected(specs: SpecSet, paths: Sequence[str], select: str | None) -> tuple[LoadTestSpec, ...]:
    if not specs.loads:
        raise UsageError(f"no LoadTest documents in {', '.join(paths)}")
    if select is None:
        return specs.loads
    chosen = tuple(spec for spec in specs.loads if spec.metadata.name == select)
    if not chosen:
        names = ", ".join(spec.metadata.name for spec in specs.loads)
        raise UsageError(f"--select {select!r}: no LoadTest of that name (there are: {names})")
    return chosen


def _run_one(
    spec: LoadTestSpec, specs: SpecSet, *, seed: int, output: str, argvs: Sequence[list[str]]
) -> tuple[LoadResult | None, int]:
    """Run ``spec`` here, or on one worker process per command line of ``argvs``."""
    holder: list[LoadResult] = []
    view = load_view(spec, redact=specs.secrets.redact, quiet=output == "json")

    async def main() -> int:
        if argvs:
            run = run_workers(spec, argvs, view)
        else:
            run = run_load(spec, servers=specs.servers, seed=seed, on_second=view.on_second if view else None)
        if view is None:
            holder.append(await run)
            return EXIT_OK
        with view:
            holder.append(await run)
        return EXIT_OK

    quiet_collector()
    code = run_async(main)
    return (holder[0] if holder else None), code


def quiet_collector() -> None:
    """Move what exists now (the imported modules, the specs) out of the garbage collector's sight: a full
    collection then walks only what the load allocates. Measured at 5,000 calls/s, collections walking
    the ~45k start-up objects took 15-30 ms every ~2 s, the schedule lag's max went from 17 ms to 1.3 ms."""
    gc.collect()
    gc.freeze()


def _print(
    done: Sequence[tuple[LoadResult, LoadTestSpec]], *, output: str, redact: Redact, shard: str | None
) -> None:
    if output == "json":
        print(results_document([result for result, _ in done], redact=redact, shard=shard))
    elif done:
        print(summaries(done, redact=redact))


def results_document(results: Sequence[LoadResult], *, redact: Redact, shard: str | None = None) -> str:
    """``{"results": [LoadResult, ...]}``, secrets redacted; each result names its shard (``"2/8"``)."""
    data = {"results": [to_json(result, shard=shard) for result in results]}
    return redact(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def write_report(path: Path, document: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, (document + "\n").encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"--report json:{path}: cannot write: {exc}") from None
