"""``mcpctl plan``, the BatchPlan part of ``mcpctl apply`` (with ``--resume``), and ``mcpctl rollback``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from mcpctl.cli.batch_progress import batch_progress
from mcpctl.cli.handler import EXIT_FAILED, EXIT_INTERRUPTED, run_async
from mcpctl.cli.plan_view import changes, render_plan_json, render_plan_text
from mcpctl.engine.batch.engine import (
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
from mcpctl.engine.batch.session import mcpctl_command, plan_context, resumable, save_result
from mcpctl.engine.batch.snapshots import Snapshots
from mcpctl.engine.results import RunResult, counted
from mcpctl.errors import UsageError
from mcpctl.spec.build import SpecSet, load_specs
from mcpctl.store import new_run_id

__all__ = ["apply_plans", "mcpctl_command", "plan", "plan_context", "resume", "rollback"]


def plan(paths: Sequence[str], *, servers_files: Sequence[str], output: str) -> int:
    """Print what ``apply`` would do for every BatchPlan of ``paths``; exit 0 (2 for invalid input)."""
    specs = load_specs(list(paths), servers_files=list(servers_files))
    if not specs.plans:
        raise UsageError(f"no BatchPlan documents in {', '.join(paths)}")
    for spec in specs.plans:
        planned = plan_batch(spec, plan_context(specs, spec, paths, servers_files))
        render = render_plan_json if output == "json" else render_plan_text
        print(render(planned, redact=specs.secrets.redact))
    return 0


def apply_plans(
    specs: SpecSet,
    *,
    paths: Sequence[str],
    servers_files: Sequence[str],
    state_dir: Path,
    yes: bool,
    output: str,
) -> tuple[list[RunResult], int]:
    """Plan, confirm and apply every BatchPlan of ``specs``, each as its own run. Stops after a plan
    that fails. Returns the results and the exit code."""
    results: list[RunResult] = []
    for spec in specs.plans:
        planned = plan_batch(spec, plan_context(specs, spec, paths, servers_files))
        if not _confirmed(planned, specs, yes=yes, output=output):
            print("Apply cancelled.", file=sys.stderr)
            return results, 1
        run_id = new_run_id()
        with acquire_state_lock(state_dir, "apply"):
            directory = run_dir(state_dir, run_id)
            write_run_record(
                directory, new_record(spec, run_id=run_id, paths=paths, servers_files=servers_files)
            )
            outcome, code = _apply(planned, specs, paths, servers_files, run_id, directory, output)
        if outcome is not None:
            results.append(outcome.result)
            _save(state_dir, outcome.result, specs, replace=False)
        if code != 0:
            return results, code
    return results, 0


def resume(ref: str, *, state_dir: Path, output: str) -> tuple[list[RunResult], int, Callable[[str], str]]:
    """Finish batch run ``ref``: replan from its files (refused if the plan changed) and let the journal
    settle every step. Returns the result, the exit code and the redaction of the specs' secrets."""
    found = resumable(state_dir, ref)
    specs, paths, servers_files = found.specs, found.record.paths, found.record.servers_files
    with acquire_state_lock(state_dir, "apply --resume"):
        planned = plan_batch(found.spec, plan_context(specs, found.spec, paths, servers_files))
        outcome, code = _apply(planned, specs, paths, servers_files, found.run_id, found.directory, output)
    if outcome is None:
        return [], code, specs.secrets.redact
    _save(state_dir, outcome.result, specs, replace=True)
    return [outcome.result], code, specs.secrets.redact


def rollback(ref: str, *, state_dir: Path, output: str) -> int:
    """Restore every file batch run ``ref`` changed, newest first, byte-identical. Exit 1 if a file
    could not be restored."""
    run_id = find_run(state_dir, ref)
    directory = run_dir(state_dir, run_id)
    read_run_record(directory)
    with acquire_state_lock(state_dir, "rollback"):
        restored = Snapshots(directory).restore_all()
    if output == "json":
        import orjson

        rows = [{"path": str(r.path), "action": r.action, "error": r.error} for r in restored]
        print(orjson.dumps({"run": run_id, "files": rows}, option=orjson.OPT_INDENT_2).decode())
    else:
        for item in restored:
            print(f"{item.action}: {item.path}" + (f": {item.error}" if item.error else ""))
        failed = sum(r.action == "failed" for r in restored)
        print(f"Rollback of {run_id}: {counted(len(restored), 'file')}, {failed} failed.")
    return 1 if any(r.action == "failed" for r in restored) else 0


def _confirmed(planned: PlannedBatch, specs: SpecSet, *, yes: bool, output: str) -> bool:
    if yes or not sys.stdin.isatty() or output == "json":
        return True
    print(render_plan_text(planned, redact=specs.secrets.redact))
    if changes(planned) == 0:
        return True
    print("\nDo you want to apply this plan? Only 'yes' will be accepted.")
    try:
        answer = input("  Enter a value: ")
    except EOFError:
        return False
    return answer.strip() == "yes"


def _apply(
    planned: PlannedBatch,
    specs: SpecSet,
    paths: Sequence[str],
    servers_files: Sequence[str],
    run_id: str,
    directory: Path,
    output: str,
) -> tuple[BatchOutcome | None, int]:
    holder: list[BatchOutcome] = []
    ctx = plan_context(specs, planned.plan, paths, servers_files)

    async def main() -> int:
        progress = batch_progress() if output == "text" else None
        holder.append(
            await apply_batch(planned, ctx=ctx, run_id=run_id, directory=directory, progress=progress)
        )
        return 0

    code = run_async(main)
    if not holder:
        return None, code
    outcome = holder[0]
    _tell(outcome, run_id, output)
    if outcome.interrupted:
        return outcome, EXIT_INTERRUPTED
    if outcome.stopped is not None:  # stopped early (failures, memory): work was left undone
        return outcome, max(outcome.result.exit_code, EXIT_FAILED)
    return outcome, outcome.result.exit_code


def _tell(outcome: BatchOutcome, run_id: str, output: str) -> None:
    """The rollback and the stop, on stderr (also with --output json: stdout is the document)."""
    for item in outcome.rolled_back:
        print(
            f"rolled back ({item.action}): {item.path}" + (f": {item.error}" if item.error else ""),
            file=sys.stderr,
        )
    if outcome.stopped is not None:
        print(f"mcpctl: run {run_id} stopped: {outcome.stopped.reason}", file=sys.stderr)
        if not outcome.rolled_back:
            print(
                f"mcpctl: finish it with `mcpctl apply --resume {run_id}` or undo it with `mcpctl rollback {run_id}`",
                file=sys.stderr,
            )


def _save(state_dir: Path, result: RunResult, specs: SpecSet, *, replace: bool) -> None:
    save_result(state_dir, result, specs.secrets.redact, replace=replace)
