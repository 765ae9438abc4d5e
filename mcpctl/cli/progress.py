"""The live progress line of a run (rich, on stderr), or one plain line per suite when stderr is
not a terminal (CI logs) or ``NO_COLOR`` asks for plain output."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from mcpctl.engine.results import CaseResult, SuiteResult
from mcpctl.spec.model import TestSuiteSpec

if TYPE_CHECKING:
    from rich.progress import TaskID


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.2f}s"


def suite_line(result: SuiteResult) -> str:
    """``TestSuite/smoke: 12 passed, 1 failed in 0.41s`` (or why it could not run)."""
    head = f"{result.kind}/{result.name}"
    if result.error:
        return f"{head}: could not run: {result.error}"
    counts = result.counts()
    parts = [f"{n} {status}" for status, n in counts.items() if n] or ["no tests"]
    return f"{head}: {', '.join(parts)} in {_seconds(result.duration_ms)}"


class PlainProgress:
    """One line per finished suite."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def suite_started(self, suite: TestSuiteSpec, total: int) -> None:
        pass

    def case_done(self, result: CaseResult) -> None:
        pass

    def suite_done(self, result: SuiteResult) -> None:
        print(suite_line(result), file=self._stream, flush=True)


class LiveProgress:
    """A rich progress bar per suite: done/total, failures so far, elapsed time."""

    def __init__(self, *, color: bool) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._console = Console(stderr=True, no_color=not color, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"),
            TimeElapsedColumn(),
            console=self._console,
            transient=True,
        )
        self._task: TaskID | None = None
        self._failed = 0

    def suite_started(self, suite: TestSuiteSpec, total: int) -> None:
        self._failed = 0
        self._progress.start()
        self._task = self._progress.add_task(f"TestSuite/{suite.metadata.name}", total=total, failed="")

    def case_done(self, result: CaseResult) -> None:
        if result.status in ("failed", "error"):
            self._failed += 1
        failed = f"{self._failed} failed" if self._failed else ""
        if self._task is not None:
            self._progress.update(self._task, advance=1, failed=failed)

    def suite_done(self, result: SuiteResult) -> None:
        self._progress.stop()
        if self._task is not None:
            self._progress.remove_task(self._task)
            self._task = None
        self._console.print(suite_line(result), markup=False)


def use_color(stream: TextIO) -> bool:
    """Color only on a terminal and only when ``NO_COLOR`` is unset (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def live_stderr() -> bool:
    """Whether stderr is a terminal that can redraw a live view (not a pipe, not ``TERM=dumb``)."""
    return sys.stderr.isatty() and os.environ.get("TERM") != "dumb"


def for_stderr() -> PlainProgress | LiveProgress:
    """A live line on a terminal, plain lines otherwise."""
    if live_stderr():
        return LiveProgress(color=use_color(sys.stderr))
    return PlainProgress(sys.stderr)
