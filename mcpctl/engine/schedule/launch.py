"""How one scheduled run runs: ``mcpctl apply SPEC... --state-dir DIR`` as a child process.

A child process rather than a call in the scheduler's own trio loop: a crash, a leak or a hung server in
one run cannot take the long-running scheduler down, every run starts from a fresh interpreter (specs
re-read, as GitOps files change), the run is recorded in the state store exactly as a hand-typed
``mcpctl apply`` (so reports, trends and baselines read it), and it is the very command the crontab
export prints, so both ways of scheduling behave alike. The child gets its own session, so a Ctrl-C
at the terminal reaches only the scheduler, which stops the child with SIGTERM (SIGKILL after
:data:`STOP_GRACE` seconds) and waits for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Protocol

import trio

from mcpctl.spec.schedule_model import TIMEOUT_EXIT, ScheduleEntry

TAIL_BYTES = 10_000
"""The end of a run's output kept for pings and notifications (Healthchecks keeps 100 kB at most)."""
STOP_GRACE = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """How a run ended."""

    exit_code: int
    """The child's exit code; 128+N when a signal N ended it; 124 after ``timeout``."""
    tail: str
    """The last :data:`TAIL_BYTES` of its output (stdout and stderr together)."""
    timed_out: bool = False


class Launcher(Protocol):
    """Runs one entry once, to the end."""

    async def __call__(self, entry: ScheduleEntry, *, cwd: str) -> RunOutcome:
        """Run ``entry`` in ``cwd``; return how it ended."""
        ...


def apply_command(
    entry: ScheduleEntry,
    *,
    state_dir: str | None,
    program: Sequence[str] = ("mcpctl",),
    written: bool = False,
) -> list[str]:
    """The ``mcpctl apply`` command line of ``entry`` (paths as written with ``written=True``)."""
    specs = entry.written_specs if written else entry.specs
    servers = entry.written_servers if written else entry.servers_files
    command = [*program, "apply", *specs]
    for path in servers:
        command += ["--servers", path]
    if entry.baseline is not None:
        command += ["--baseline", entry.baseline]
    if state_dir is not None:
        command += ["--state-dir", state_dir]
    return command


class ProcessLauncher:
    """Runs entries as ``python -m mcpctl apply ...`` children, bounded by each entry's ``timeout``."""

    def __init__(self, *, state_dir: str, program: Sequence[str] = (sys.executable, "-m", "mcpctl")) -> None:
        self._state_dir = state_dir
        self._program = tuple(program)

    async def __call__(self, entry: ScheduleEntry, *, cwd: str) -> RunOutcome:
        """Run ``entry``; keep the tail of its output."""
        command = apply_command(entry, state_dir=self._state_dir, program=self._program)
        tail = bytearray()
        async with trio.open_nursery() as nursery:
            process: trio.Process = await nursery.start(
                partial(
                    trio.run_process,
                    command,
                    cwd=cwd,
                    check=False,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    deliver_cancel=_stop,
                )
            )
            with trio.move_on_after(entry.timeout.seconds) as limit:
                assert process.stdout is not None
                async for chunk in process.stdout:
                    tail += chunk
                    del tail[:-TAIL_BYTES]
                await process.wait()
            if limit.cancelled_caught:
                nursery.cancel_scope.cancel()
        code = process.returncode if process.returncode is not None else 1
        text = tail.decode("utf-8", "replace")
        if limit.cancelled_caught:
            note = f"\nmcpctl: stopped after the entry's timeout ({entry.timeout})\n"
            return RunOutcome(exit_code=TIMEOUT_EXIT, tail=(text + note)[-TAIL_BYTES:], timed_out=True)
        return RunOutcome(exit_code=128 - code if code < 0 else code, tail=text)


async def _stop(process: trio.Process) -> None:
    """SIGTERM to the child's process group, SIGKILL if it is still there after the grace period."""
    _signal_group(process, signal.SIGTERM)
    with trio.move_on_after(STOP_GRACE) as grace:
        grace.shield = True
        await process.wait()
    if process.returncode is None:
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: trio.Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
