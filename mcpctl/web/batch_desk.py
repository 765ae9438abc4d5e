"""The Batch page's engine room: the BatchPlans of ``--specs``, planned, applied, cancelled, resumed and
rolled back through the same engine, journal, state lock and store as ``mcpctl plan``/``apply``/``rollback``.

A run started here goes in the desk's nursery (:meth:`BatchDesk.run`), holds the state lock until it
ends (so a CLI ``apply`` meanwhile is refused, and the other way round) and is saved to the store as
the CLI saves it. Cancel is the first Ctrl-C: steps in flight finish, the run stays resumable.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import trio

from mcpctl.engine.batch.engine import (
    CANCELLED,
    RUN_FILE,
    RUNS_DIR,
    BatchOutcome,
    PlannedBatch,
    apply_batch,
    find_run,
    new_record,
    plan_batch,
    read_run_record,
    run_dir,
    write_run_record,
)
from mcpctl.engine.batch.lock import acquire_state_lock
from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.batch.session import plan_context, plan_document, resumable, save_result
from mcpctl.engine.batch.snapshots import Snapshots
from mcpctl.errors import UsageError
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.store import new_run_id, open_store
from mcpctl.web.batch_progress import DeskProgress, Publish
from mcpctl.web.routing import HttpError

NOT_STARTED = "not started: "
"""How the engine reports the steps a stopped run never started (resume runs them)."""
TALLIED = re.compile(r"(\d+) items?\b")
RECENT = 20
"""How many batch runs the page lists."""


@dataclass(slots=True, kw_only=True)
class _Job:
    """A run this desk started (or resumed)."""

    progress: DeskProgress
    stop: trio.Event = field(default_factory=trio.Event)
    ended: trio.Event = field(default_factory=trio.Event)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Start:
    """What one apply (or resume) carries out."""

    run_id: str
    planned: PlannedBatch
    ctx: PlanContext
    redact: Callable[[str], str]
    directory: Path
    replace: bool


class BatchDesk:
    """The dashboard's batch runs: see the module docstring. ``publish`` gets the ``batch`` events."""

    def __init__(
        self, *, specs: Sequence[str], servers_files: Sequence[str], state_dir: Path, publish: Publish
    ) -> None:
        self.specs = list(specs)
        self.servers_files = list(servers_files)
        self.state_dir = state_dir
        self._publish = publish
        self._nursery: trio.Nursery | None = None
        self._jobs: dict[str, _Job] = {}

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Hold the nursery runs go in until cancelled (cancelling it cancels runs in flight: their
        steps stay in doubt in the journal, which a resume settles)."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    # -- reading --------------------------------------------------------------------------------
    def load(self) -> SpecSet:
        """The specs of ``--specs``, read anew; :class:`UsageError` (file:line) if one is invalid."""
        return load_specs(self.specs, servers_files=self.servers_files)

    def plans(self) -> list[dict[str, object]]:
        """Every BatchPlan: name, description, file, line, operation count and its last run."""
        runs = self.recent()
        found = []
        for spec in self.load().plans:
            last = next((run for run in runs if run["plan"] == spec.metadata.name), None)
            found.append(
                {
                    "name": spec.metadata.name,
                    "description": spec.metadata.description or "",
                    "file": spec.source.path,
                    "line": spec.source.line,
                    "operations": len(spec.operations),
                    "last_run": last,
                }
            )
        return found

    def plan(self, name: str) -> dict[str, object]:
        """What applying plan ``name`` would do: its operations, their steps and diffs (secrets redacted)."""
        specs, spec = self._find(name)
        planned = plan_batch(spec, plan_context(specs, spec, self.specs, self.servers_files))
        text = orjson.dumps(plan_document(planned)).decode()
        document: dict[str, object] = orjson.loads(specs.secrets.redact(text))
        document["changes"] = sum(not s.noop for op in planned.op_plans for s in op.steps)
        document["file"], document["line"] = spec.source.path, spec.source.line
        return document

    def status(self, ref: str) -> dict[str, object]:
        """Where run ``ref`` stands: live for a run of this desk, else from the store."""
        job = self._jobs.get(ref)
        if job is not None:
            return {**job.progress.snapshot(), "notes": list(job.progress.notes)}
        run_id = self._run_id(ref)
        if run_id in self._jobs:
            return self.status(run_id)
        return self._stored(run_id, read_run_record(run_dir(self.state_dir, run_id)).plan)

    async def wait(self, ref: str) -> dict[str, object]:
        """Run ``ref``'s status once it has ended (at once for a run this desk is not running)."""
        job = self._jobs.get(ref)
        if job is not None:
            await job.ended.wait()
        return self.status(ref)

    def recent(self, limit: int = RECENT) -> list[dict[str, object]]:
        """The newest batch runs of the state directory, newest first: run, plan, started, state."""
        root = self.state_dir / RUNS_DIR
        records = []
        for directory in root.iterdir() if root.is_dir() else ():
            with contextlib.suppress(UsageError):
                if (directory / RUN_FILE).exists():
                    records.append(read_run_record(directory))
        records.sort(key=lambda r: (r.started_at, r.run_id), reverse=True)
        rows = []
        for record in records[:limit]:
            status = self.status(record.run_id) if record.run_id in self._jobs else None
            status = status or self._stored(record.run_id, record.plan)
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(record.started_at))
            rows.append({**status, "started": started})
        return rows

    # -- changing -------------------------------------------------------------------------------
    def apply(self, name: str) -> str:
        """Plan ``name`` and start applying it as a new run; its id. 409 if the state lock is held."""
        specs, spec = self._find(name)
        ctx = plan_context(specs, spec, self.specs, self.servers_files)
        planned = plan_batch(spec, ctx)
        run_id = new_run_id()
        lock = self._lock("apply")
        with _closed_on_error(lock):
            directory = run_dir(self.state_dir, run_id)
            record = new_record(spec, run_id=run_id, paths=self.specs, servers_files=self.servers_files)
            write_run_record(directory, record)
            start = _Start(
                run_id=run_id,
                planned=planned,
                ctx=ctx,
                redact=specs.secrets.redact,
                directory=directory,
                replace=False,
            )
            self._start(start, lock)
        return run_id

    def resume(self, ref: str) -> str:
        """Finish run ``ref`` as ``mcpctl apply --resume`` does (400 if its plan changed, 409 if busy)."""
        found = resumable(self.state_dir, ref)
        ctx = plan_context(found.specs, found.spec, found.record.paths, found.record.servers_files)
        lock = self._lock("apply --resume")
        with _closed_on_error(lock):
            start = _Start(
                run_id=found.run_id,
                planned=plan_batch(found.spec, ctx),
                ctx=ctx,
                redact=found.specs.secrets.redact,
                directory=found.directory,
                replace=True,
            )
            self._start(start, lock)
        return found.run_id

    def cancel(self, ref: str) -> dict[str, object]:
        """Stop run ``ref`` starting steps (those in flight finish); 409 if it is not running here."""
        run_id = self._run_id(ref)
        job = self._jobs.get(run_id)
        if job is None or job.progress.state != "running":
            raise HttpError(409, f"run {run_id} is not running")
        job.stop.set()
        return job.progress.snapshot()

    def rollback(self, ref: str) -> dict[str, object]:
        """Restore every file run ``ref`` changed, newest first, byte-identical (409 if busy)."""
        run_id = self._run_id(ref)
        directory = run_dir(self.state_dir, run_id)
        read_run_record(directory)
        with self._lock("rollback"):
            restored = Snapshots(directory).restore_all()
        rows = [{"path": str(r.path), "action": r.action, "error": r.error} for r in restored]
        return {"run": run_id, "files": rows, "failed": sum(r.action == "failed" for r in restored)}

    # -- inside ---------------------------------------------------------------------------------
    def _find(self, name: str) -> tuple[SpecSet, BatchPlanSpec]:
        specs = self.load()
        for spec in specs.plans:
            if spec.metadata.name == name:
                return specs, spec
        known = ", ".join(p.metadata.name for p in specs.plans) or "none"
        raise HttpError(404, f"no BatchPlan named {name!r} in --specs (plans: {known})")

    def _run_id(self, ref: str) -> str:
        if ref in self._jobs:
            return ref
        try:
            return find_run(self.state_dir, ref)
        except UsageError as exc:
            raise HttpError(404, str(exc)) from None

    def _lock(self, command: str) -> contextlib.ExitStack:
        """The state lock, held until the stack closes; 409 naming the holder when it is busy."""
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(acquire_state_lock(self.state_dir, command))
        except UsageError as exc:
            raise HttpError(409, str(exc)) from None
        return stack

    def _start(self, start: _Start, lock: contextlib.ExitStack) -> None:
        if self._nursery is None:
            raise RuntimeError("BatchDesk.run is not running: start it in the dashboard's nursery")
        total = sum(len(op.steps) for op in start.planned.op_plans)
        progress = DeskProgress(
            run=start.run_id, plan=start.planned.plan.metadata.name, total=total, publish=self._publish
        )
        self._jobs[start.run_id] = job = _Job(progress=progress)
        progress.announce()
        self._nursery.start_soon(self._apply, start, job, lock)

    async def _apply(self, start: _Start, job: _Job, lock: contextlib.ExitStack) -> None:
        state, reason = "failed", None
        with lock:
            try:
                outcome = await apply_batch(
                    start.planned,
                    ctx=start.ctx,
                    run_id=start.run_id,
                    directory=start.directory,
                    progress=job.progress,
                    stop=job.stop,
                    watch_signals=False,
                )
                save_result(self.state_dir, outcome.result, start.redact, replace=start.replace)
                state, reason = _ending(outcome)
            except Exception as exc:  # one broken run must not take the dashboard down: its page says why
                reason = str(exc) or type(exc).__name__
        job.progress.finish(state, reason)
        job.ended.set()

    def _stored(self, run_id: str, plan: str) -> dict[str, object]:
        """A run's state from its saved result (``stopped`` when none was saved: the process died)."""
        status: dict[str, object] = {"run": run_id, "plan": plan, "state": "stopped", "done": 0, "failed": 0}
        status |= {"total": 0, "items_per_s": None, "eta_s": None, "stopped_reason": None}
        try:
            with open_store(self.state_dir, create=False) as store:
                result = store.get_run(run_id)
        except UsageError:
            return status
        cases = [(case, _items(case.message)) for suite in result.suites for case in suite.cases]
        held = [(c.message, n) for c, n in cases if c.status == "skipped" and NOT_STARTED in c.message]
        total = sum(n for _, n in cases)
        status["total"], status["done"] = total, total - sum(n for _, n in held)
        status["failed"] = sum(n for c, n in cases if c.status in ("failed", "error"))
        if held:
            reason = held[0][0].split(NOT_STARTED, 1)[1]
            status["state"] = "cancelled" if reason == CANCELLED else "stopped"
            status["stopped_reason"] = reason
        else:
            status["state"] = "done" if result.exit_code == 0 else "failed"
        return status


def _items(message: str) -> int:
    """How many steps a saved case stands for: a bulk operation's are tallied (``22 items: ...``)."""
    found = TALLIED.match(message)
    return int(found.group(1)) if found else 1


def _ending(outcome: BatchOutcome) -> tuple[str, str | None]:
    """The final state of an apply: cancelled (resumable), stopped (budget, memory), failed or done."""
    if outcome.stopped is not None:
        return ("cancelled" if outcome.stopped.interrupted else "stopped"), outcome.stopped.reason
    return ("done" if outcome.result.exit_code == 0 else "failed"), None


@contextlib.contextmanager
def _closed_on_error(lock: contextlib.ExitStack) -> Iterator[contextlib.ExitStack]:
    """Release ``lock`` if starting the run fails (once started, the run releases it)."""
    try:
        yield lock
    except BaseException:
        lock.close()
        raise
