"""Progress of a batch run on stderr: a rich bar per operation (items done of total, failed, items/s,
ETA, the process's resident memory), or one plain line per finished operation when stderr is not a
terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from mcpctl.engine.batch.memory import format_bytes, rss_bytes
from mcpctl.engine.batch.steps import OpPlan
from mcpctl.engine.results import CaseResult, Status

if TYPE_CHECKING:
    from rich.progress import TaskID

REFRESH = 0.1


def operation_line(plan: OpPlan, counts: Mapping[str, int], seconds: float) -> str:
    """``3.deploy: 2 passed, 1 skipped in 0.12s (25.0 items/s)`` from the steps counted by status."""
    parts = [f"{n} {status}" for status, n in counts.items() if n] or ["nothing to do"]
    total = sum(counts.values())
    rate = f" ({total / seconds:.1f} items/s)" if seconds > 0 and total else ""
    return f"{plan.index + 1}.{plan.op}: {', '.join(parts)} in {seconds:.2f}s{rate}"


class PlainBatchProgress:
    """One line per finished operation, and each note."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._started = 0.0
        self._counts: dict[str, int] = {}

    def operation_started(self, plan: OpPlan, total: int) -> None:
        self._started = time.perf_counter()
        self._counts = {}

    def step_done(self, plan: OpPlan, status: Status) -> None:
        self._counts[status] = self._counts.get(status, 0) + 1

    def operation_done(self, plan: OpPlan, results: Sequence[CaseResult]) -> None:
        line = operation_line(plan, self._counts, time.perf_counter() - self._started)
        print(line, file=self._stream, flush=True)

    def note(self, text: str) -> None:
        print(f"mcpctl: {text}", file=self._stream, flush=True)


class LiveBatchProgress:
    """A rich progress bar per operation."""

    def __init__(self, *, color: bool) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._console = Console(stderr=True, no_color=not color, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[rss]}"),
            console=self._console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._failed = self._done = self._pending = 0
        self._started = self._shown = 0.0
        self._counts: dict[str, int] = {}

    def operation_started(self, plan: OpPlan, total: int) -> None:
        self._failed = self._done = self._pending = 0
        self._counts = {}
        self._started = self._shown = time.perf_counter()
        self._progress.start()
        self._task = self._progress.add_task(
            f"{plan.index + 1}.{plan.op}", total=total, failed="", rate="", rss=self._rss()
        )

    def step_done(self, plan: OpPlan, status: Status) -> None:
        self._counts[status] = self._counts.get(status, 0) + 1
        self._done += 1
        self._pending += 1
        self._failed += status in ("failed", "error")
        now = time.perf_counter()
        if now - self._shown >= REFRESH and self._task is not None:
            self._flush(now)

    def _flush(self, now: float) -> None:
        assert self._task is not None
        rate = self._done / (now - self._started) if now > self._started else 0.0
        self._progress.update(
            self._task,
            advance=self._pending,
            failed=f"{self._failed} failed" if self._failed else "",
            rate=f"{rate:,.0f} items/s",
            rss=self._rss(),
        )
        self._pending = 0
        self._shown = now

    def operation_done(self, plan: OpPlan, results: Sequence[CaseResult]) -> None:
        if self._task is not None:
            self._flush(time.perf_counter())
        self._progress.stop()
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        line = operation_line(plan, self._counts, time.perf_counter() - self._started)
        self._console.print(line, markup=False)

    def note(self, text: str) -> None:
        self._console.print(f"mcpctl: {text}", markup=False)

    @staticmethod
    def _rss() -> str:
        return f"RSS {format_bytes(rss_bytes())}"


def batch_progress() -> PlainBatchProgress | LiveBatchProgress:
    """A live bar on a terminal, plain lines otherwise."""
    from mcpctl.cli.progress import live_stderr, use_color

    if live_stderr():
        return LiveBatchProgress(color=use_color(sys.stderr))
    return PlainBatchProgress(sys.stderr)
