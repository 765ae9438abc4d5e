"""What ``mcpctl apply``/``plan``/``rollback`` and the dashboard's Batch page do around the engine, once:
the context operations plan with, the plan as a document, finding a run to resume (refused if its
plan changed), and saving a run's result to the store."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mcpctl.engine.batch.engine import (
    PlannedBatch,
    RunRecord,
    find_run,
    read_run_record,
    run_dir,
    work_hash,
)
from mcpctl.engine.batch.ops import PlanContext
from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.spec.batch_model import BatchPlanSpec
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.spec.model import ServerDef
from mcpctl.store import open_store


def mcpctl_command() -> tuple[str, ...]:
    """How a client config should start mcpctl: the script installed beside this Python (a venv's
    bin/), else the one on PATH, else this Python with ``-m``; always an absolute path, because a
    client starts servers from its own working directory."""
    beside = os.path.join(os.path.dirname(sys.executable), "mcpctl")
    if os.access(beside, os.X_OK):
        return (os.path.abspath(beside),)
    found = shutil.which("mcpctl")
    return (os.path.abspath(found),) if found else (sys.executable, "-m", "mcpctl")


def plan_context(
    specs: SpecSet, plan: BatchPlanSpec, paths: Sequence[str], servers_files: Sequence[str]
) -> PlanContext:
    """What operations plan with, on this machine."""
    from mcpctl.engine.batch.client_configs import reference_environ

    @functools.cache
    def deploy_servers() -> Mapping[str, ServerDef]:
        return load_specs(
            list(paths), servers_files=list(servers_files), environ=reference_environ(os.environ)
        ).servers

    return PlanContext(
        plan=plan,
        specs=specs,
        deploy_servers=deploy_servers,
        environ=os.environ,
        home=os.path.expanduser("~"),
        project_dir=os.getcwd(),
        mcpctl=mcpctl_command(),
    )


def plan_document(planned: PlannedBatch) -> dict[str, object]:
    """The plan as plain data: operations with counts, notes and every step (id, item, summary, noop,
    diff). Not yet redacted: whoever writes it out redacts the specs' secrets."""
    return {
        "plan": planned.plan.metadata.name,
        "operations": [
            {
                "index": op_plan.index + 1,
                "op": op_plan.op,
                "title": op_plan.title,
                "counts": dict(op_plan.counts),
                "notes": list(op_plan.notes),
                "steps": [
                    {"id": s.id, "item": s.item, "summary": s.summary, "noop": s.noop, "diff": s.diff}
                    for s in op_plan.steps
                ],
            }
            for op_plan in planned.op_plans
        ],
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class Resumable:
    """A batch run found to resume: its record, and its plan loaded anew from the same files."""

    run_id: str
    directory: Path
    record: RunRecord
    specs: SpecSet
    spec: BatchPlanSpec


def resumable(state_dir: Path, ref: str) -> Resumable:
    """Run ``ref`` (an id, a unique prefix, ``last``) with its plan reloaded; :class:`UsageError` if the
    plan is gone or its operations changed since the run started."""
    run_id = find_run(state_dir, ref)
    directory = run_dir(state_dir, run_id)
    record = read_run_record(directory)
    specs = load_specs(list(record.paths), servers_files=list(record.servers_files))
    spec = next((p for p in specs.plans if p.metadata.name == record.plan), None)
    if spec is None:
        raise UsageError(f"run {run_id}: BatchPlan/{record.plan} is no longer in {', '.join(record.paths)}")
    if work_hash(spec) != record.work_hash:
        raise UsageError(
            f"run {run_id}: the operations of BatchPlan/{record.plan} changed since the run started; "
            f"resume finishes the same work (concurrency, timeout, retry, memoryLimit and the failure "
            f"policy may change): restore them, or roll back with `mcpctl rollback {run_id}` and apply anew"
        )
    return Resumable(run_id=run_id, directory=directory, record=record, specs=specs, spec=spec)


def save_result(state_dir: Path, result: RunResult, redact: Callable[[str], str], *, replace: bool) -> None:
    """Save a batch run's result to the store (``replace``: a resume replaces the run's earlier one)."""
    with open_store(state_dir) as store:
        store.save_run(result, redact=redact, replace=replace)
