"""Run the suite ``mcpctl init`` wrote, as ``mcpctl test`` will, and settle what did not hold.

The first run records the snapshots (``--update-snapshots``); a test that fails in it (a tool that
answers differently the second time it is called) is marked ``skip:`` with what happened. The second
run compares with the recorded snapshots: a test whose answer changed between two calls loses its
snapshot (the answer carries noise the normalizers do not know); if that changed anything, a third
run checks the result and skips what still fails. Without snapshots one run checks that the suite
passes. Either way the suite written last passes when run straight away.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mcpctl.engine.init.plan import SuitePlan
from mcpctl.engine.results import CaseResult
from mcpctl.errors import ServerError

ROUND = "MCPCTL_INIT_ROUND"
"""Set in the environment of the servers each rehearsal run starts: 1, 2, 3."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settled:
    """The plan after the rehearsal, and what changed in it (for the user to read)."""

    plan: SuitePlan
    changes: tuple[str, ...]


async def run_written(paths: Sequence[str], *, update: bool, round: int) -> dict[str, CaseResult]:
    """Run the TestSuite of the written ``paths`` once; its cases by name. A server that could not be
    started or reached is a :class:`ServerError` (nothing to settle).

    Servers started for the run see :data:`ROUND` in their environment, a different value each
    ``round``: an answer that echoes the environment (a server's ``get-env``) would differ on the
    user's next run, so it must differ between rounds too, and lose its snapshot."""
    from mcpctl.engine.runner import run_suites
    from mcpctl.spec.build import load_specs
    from mcpctl.store import new_run_id

    specs = load_specs(list(paths))
    with _updating(update), _round(round):
        result = await run_suites(specs.suites, servers=specs.servers, run_id=new_run_id(), command="init")
    for suite in result.suites:
        if suite.error:
            raise ServerError(f"running the written suite: {suite.error}")
    return {case.name: case for suite in result.suites for case in suite.cases}


def settle(plan: SuitePlan, cases: dict[str, CaseResult], *, snapshots: Path | None) -> Settled:
    """The plan with its failed tests settled: with ``snapshots`` (the directory of the suite's
    snapshots, after a run that compared with them) a failed test that has a snapshot loses it (its
    file too); any other failed test is marked ``skip:`` with what happened."""
    changes: list[str] = []
    for test in plan.tests:
        case = cases.get(test.name)
        if case is None or case.status != "failed":
            continue
        if snapshots is not None and test.snapshot is not None:
            for stale in snapshots.glob(f"{test.snapshot}.*"):
                stale.unlink()
            plan = plan.unsnapshotted(test.name)
            changes.append(f"{test.name}: no snapshot (its answer changed between two calls)")
        else:
            plan = plan.skipping(test.name, f"failed when mcpctl init ran it again: {case.message}")
            changes.append(f"{test.name}: skipped (failed when run again: {case.message})")
    return Settled(plan=plan, changes=tuple(changes))


@contextmanager
def _round(number: int) -> Iterator[None]:
    before = os.environ.get(ROUND)
    os.environ[ROUND] = str(number)
    try:
        yield
    finally:
        if before is None:
            del os.environ[ROUND]
        else:
            os.environ[ROUND] = before


@contextmanager
def _updating(update: bool) -> Iterator[None]:
    """``--update-snapshots`` for the runs below, where the engine has snapshots."""
    try:
        from mcpctl.engine.snapshot import UPDATE_SNAPSHOTS
    except ImportError:  # the engine has no snapshots yet: nothing to update
        yield
        return
    token = UPDATE_SNAPSHOTS.set(update)
    try:
        yield
    finally:
        UPDATE_SNAPSHOTS.reset(token)
