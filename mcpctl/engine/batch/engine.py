"""Plan, apply, resume and roll back a BatchPlan (DESIGN.md §5).

``runs/<run-id>/`` in the state directory holds a run: ``run.json`` (what was applied: the spec
files, the plan, its hash), ``journal.jsonl`` and ``snapshots/``. :func:`apply_batch` runs the
operations in order, each through :meth:`RunContext.each <mcpctl.engine.batch.run.RunContext.each>`;
resuming replans from the same files (refused if the plan changed) and lets the journal settle
every step. Signals: the first SIGINT or SIGTERM stops starting steps (those in flight finish and
are journaled); a second SIGINT cancels them (their intents stay in doubt, which resume settles).
A caller that handles signals itself (the dashboard) passes ``watch_signals=False`` and may stop the
run with a ``stop`` event instead: like the first Ctrl-C, the run stays resumable.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import trio

from mcpctl.engine.batch.journal import Journal, open_journal_writer
from mcpctl.engine.batch.memory import MemoryGuard
from mcpctl.engine.batch.ops import BatchOperation, PlanContext, operation_for
from mcpctl.engine.batch.run import BatchProgress, RunContext, Stop
from mcpctl.engine.batch.snapshots import Restored, Snapshots
from mcpctl.engine.batch.steps import OpPlan
from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.engine.retry import RetryPolicy
from mcpctl.errors import UsageError
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.store.files import make_directories, write_atomic

RUNS_DIR = "runs"
RUN_FILE = "run.json"
CANCELLED = "cancelled: finishing the steps in flight"
"""Why a run stopped by its ``stop`` event stopped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """``run.json``: what a batch run applies, so that ``--resume`` replans the same thing."""

    run_id: str
    plan: str
    """The BatchPlan's name."""
    paths: tuple[str, ...]
    servers_files: tuple[str, ...] = ()
    spec_hash: str
    work_hash: str
    """:func:`work_hash` of the plan: what ``--resume`` insists on finding unchanged."""
    cwd: str
    started_at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedBatch:
    """A plan with each operation planned (what ``mcpctl plan`` prints and ``apply`` carries out)."""

    plan: BatchPlanSpec
    operations: tuple[tuple[BatchOperation, OpPlan], ...]

    @property
    def op_plans(self) -> tuple[OpPlan, ...]:
        return tuple(planned for _, planned in self.operations)


@dataclass(slots=True, kw_only=True)
class BatchOutcome:
    """How an apply ended."""

    result: RunResult
    stopped: Stop | None = None
    rolled_back: list[Restored] = field(default_factory=list)

    @property
    def interrupted(self) -> bool:
        return self.stopped is not None and self.stopped.interrupted


def plan_batch(plan: BatchPlanSpec, ctx: PlanContext) -> PlannedBatch:
    """Plan every operation (read-only). Raises :class:`UsageError` for input that cannot be worked with."""
    operations = []
    for index, op in enumerate(plan.operations):
        operation = operation_for(op, index=index, ctx=ctx)
        operations.append((operation, operation.plan()))
    return PlannedBatch(plan=plan, operations=tuple(operations))


def work_hash(plan: BatchPlanSpec) -> str:
    """sha256 of what the plan does (its operations and vars), not of how it runs: a run stopped by
    its memory limit or by 429s can be resumed with another ``memoryLimit``, ``concurrency``,
    ``timeout``, ``retry`` or failure policy, but not with other servers, files or arguments."""

    def plain(value: object) -> object:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = dataclasses.fields(value)
            return {f.name: plain(getattr(value, f.name)) for f in fields if f.name != "source"}
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    work = {"operations": plain(plan.operations), "vars": plain(plan.vars)}
    return hashlib.sha256(orjson.dumps(work, option=orjson.OPT_SORT_KEYS)).hexdigest()


def retry_policy(plan: BatchPlanSpec) -> RetryPolicy:
    """The plan's ``retry`` as a :class:`RetryPolicy`."""
    retry = plan.retry
    return RetryPolicy(
        attempts=retry.attempts,
        base_delay=retry.backoff.seconds,
        max_delay=retry.max_backoff.seconds,
        jitter=retry.jitter,
        retry_on=frozenset(retry.errors),
        retry_statuses=frozenset(retry.statuses),
        retry_codes=frozenset(retry.codes),
    )


def run_dir(state_dir: Path, run_id: str) -> Path:
    """Where run ``run_id`` keeps its journal and snapshots."""
    return state_dir / RUNS_DIR / run_id


def write_run_record(directory: Path, record: RunRecord) -> None:
    """Write ``run.json`` (atomically) when a run starts."""
    data = {
        "run_id": record.run_id,
        "plan": record.plan,
        "paths": list(record.paths),
        "servers_files": list(record.servers_files),
        "spec_hash": record.spec_hash,
        "work_hash": record.work_hash,
        "cwd": record.cwd,
        "started_at": record.started_at,
    }
    make_directories(directory)
    write_atomic(directory / RUN_FILE, orjson.dumps(data, option=orjson.OPT_INDENT_2), mode=0o600)


def read_run_record(directory: Path) -> RunRecord:
    """``run.json`` of a run; :class:`UsageError` if the run does not exist or the file is damaged."""
    path = directory / RUN_FILE
    try:
        data = orjson.loads(path.read_bytes())
        return RunRecord(
            run_id=str(data["run_id"]),
            plan=str(data["plan"]),
            paths=tuple(str(p) for p in data["paths"]),
            servers_files=tuple(str(p) for p in data.get("servers_files", ())),
            spec_hash=str(data["spec_hash"]),
            work_hash=str(data["work_hash"]),
            cwd=str(data["cwd"]),
            started_at=float(data["started_at"]),
        )
    except FileNotFoundError:
        raise UsageError(f"no batch run {directory.name} in {directory.parent} (see mcpctl runs)") from None
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: damaged run record: {exc}") from None


def find_run(state_dir: Path, ref: str) -> str:
    """The id of the batch run ``ref`` names: an id, a unique prefix, or ``last``."""
    root = state_dir / RUNS_DIR
    runs = sorted(p.name for p in root.iterdir() if (p / RUN_FILE).exists()) if root.is_dir() else []
    if not runs:
        raise UsageError(f"no batch runs in {root}")
    # ids sort by their second, then by a random suffix: two runs of one second go by run.json
    latest = max(runs, key=lambda run: (_started_at(root / run), run))
    if ref == "last":
        return latest
    matches = [run for run in runs if run.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UsageError(f"no batch run {ref!r} in {root} (latest: {latest})")
    raise UsageError(
        f"{ref!r} names {len(matches)} batch runs: {', '.join(matches[:5])}; give more of the id"
    )


def _started_at(directory: Path) -> float:
    """When the run in ``directory`` started (0 if its record cannot be read)."""
    try:
        return float(orjson.loads((directory / RUN_FILE).read_bytes())["started_at"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return 0.0


async def apply_batch(
    planned: PlannedBatch,
    *,
    ctx: PlanContext,
    run_id: str,
    directory: Path,
    command: str = "apply",
    progress: BatchProgress | None = None,
    stop: trio.Event | None = None,
    watch_signals: bool = True,
) -> BatchOutcome:
    """Carry out ``planned`` as run ``run_id`` in ``directory`` (new, or one being resumed); the caller
    holds the state lock and has written ``run.json``. Setting ``stop`` stops starting steps, as the
    first Ctrl-C does (the run is interrupted and resumable); ``watch_signals=False`` leaves SIGINT and
    SIGTERM to the caller."""
    started, start = time.time(), time.perf_counter()
    # the plan's steps (10,000 records and their arguments) live until the end: moved out of the
    # collector's sight, they are not walked again by every full collection of the run
    gc.freeze()
    try:
        return await _apply(
            planned,
            ctx=ctx,
            run_id=run_id,
            directory=directory,
            command=command,
            progress=progress,
            watchers=(stop, watch_signals),
            started=started,
            start=start,
        )
    finally:
        gc.unfreeze()


async def _apply(
    planned: PlannedBatch,
    *,
    ctx: PlanContext,
    run_id: str,
    directory: Path,
    command: str,
    progress: BatchProgress | None,
    watchers: tuple[trio.Event | None, bool],
    started: float,
    start: float,
) -> BatchOutcome:
    plan = planned.plan
    timings: dict[int, tuple[float, float]] = {}
    with Journal.open(directory) as journal:
        states = journal.steps()
        async with open_journal_writer(journal) as writer, trio.open_nursery() as services:
            run = RunContext(
                plan=plan,
                specs=ctx.specs,
                run_id=run_id,
                run_dir=directory,
                journal=writer,
                snapshots=Snapshots(directory),
                states=states,
                policy=retry_policy(plan),
                limiter=trio.CapacityLimiter(plan.concurrency),
                services=services,
                memory=MemoryGuard(plan.memory_limit),
                progress=progress,
                environ=ctx.environ,
                home=ctx.home,
            )
            async with trio.open_nursery() as nursery:
                cancel = trio.CancelScope()
                stop, watch_signals = watchers
                if watch_signals:
                    nursery.start_soon(_watch_signals, run, cancel)
                if stop is not None:
                    nursery.start_soon(_watch_stop, run, stop)
                with cancel:
                    await _operations(run, planned, timings)
                nursery.cancel_scope.cancel()
            services.cancel_scope.cancel()  # closes the client sessions
    rolled_back: list[Restored] = []
    if run.stopped is not None and not run.stopped.interrupted and plan.on_failure == "rollback":
        if progress is not None:
            progress.note(f"onFailure rollback: restoring the files run {run_id} changed")
        rolled_back = run.snapshots.restore_all()
    result = RunResult(
        run_id=run_id,
        command=command,
        started_at=started,
        duration_ms=(time.perf_counter() - start) * 1000,
        suites=_suites(planned, run, started, timings),
    )
    return BatchOutcome(result=result, stopped=run.stopped, rolled_back=rolled_back)


async def _operations(
    run: RunContext, planned: PlannedBatch, timings: dict[int, tuple[float, float]]
) -> None:
    """Apply each operation in turn; ``timings`` gets when each started and how long it took (ms)."""
    for operation, op_plan in planned.operations:
        if run.stopped is not None:
            reason = f"not started: {run.stopped.reason}"
            run.results[op_plan.index] = [
                CaseResult(name=step.id, status="skipped", duration_ms=0.0, message=reason)
                for step in op_plan.steps
            ]
            continue
        started, start = time.time(), time.perf_counter()
        try:
            await operation.apply(run, op_plan)
        finally:
            timings[op_plan.index] = (started, (time.perf_counter() - start) * 1000)


async def _watch_signals(run: RunContext, cancel: trio.CancelScope) -> None:
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for number in signals:
            if run.stopped is not None and run.stopped.interrupted and number == signal.SIGINT:
                run.stop("interrupted again: cancelling the steps in flight", interrupted=True)
                cancel.cancel()
                return
            name = "Ctrl-C" if number == signal.SIGINT else "SIGTERM"
            run.stop(
                f"interrupted ({name}): finishing the steps in flight (Ctrl-C again cancels them)",
                interrupted=True,
            )


async def _watch_stop(run: RunContext, stop: trio.Event) -> None:
    await stop.wait()
    run.stop(CANCELLED, interrupted=True)


def _suites(
    planned: PlannedBatch, run: RunContext, started: float, timings: dict[int, tuple[float, float]]
) -> tuple[SuiteResult, ...]:
    name = planned.plan.metadata.name
    suites = []
    for operation, op_plan in planned.operations:
        at, took = timings.get(op_plan.index, (started, 0.0))  # not started: at the run's start
        suites.append(
            SuiteResult(
                kind="BatchPlan",
                name=f"{name}/{op_plan.index + 1}.{op_plan.op}",
                server=op_plan.title,
                spec_path=planned.plan.source.path,
                spec_hash=planned.plan.spec_hash,
                started_at=at,
                duration_ms=took,
                cases=tuple(run.results.get(op_plan.index, ())),
            )
        )
        suites.extend(getattr(operation, "suite_results", ()))
    return tuple(suites)


def new_record(
    plan: BatchPlanSpec, *, run_id: str, paths: Sequence[str], servers_files: Sequence[str]
) -> RunRecord:
    """The ``run.json`` of a new run of ``plan``."""
    return RunRecord(
        run_id=run_id,
        plan=plan.metadata.name,
        paths=tuple(os.path.abspath(p) for p in paths),
        servers_files=tuple(os.path.abspath(p) for p in servers_files),
        spec_hash=plan.spec_hash,
        work_hash=work_hash(plan),
        cwd=os.getcwd(),
        started_at=time.time(),
    )
