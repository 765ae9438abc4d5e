"""Reports written by ``--report FORMAT:PATH`` (repeatable): one renderer per format in :data:`FORMATS`.

A renderer is a pure function from a run to text; this module parses the option and writes the
files atomically, so a CI job never picks up half a report.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report.json import render_json
from mcpctl.report.junit import render_junit


class Renderer(Protocol):
    """Turns a run into the text of one report; every string it writes passes through ``redact``."""

    def __call__(self, run: RunResult, *, redact: Callable[[str], str]) -> str: ...


FORMATS: dict[str, Renderer] = {"json": render_json, "junit": render_junit}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportTarget:
    """One ``--report`` option: which format goes to which file."""

    format: str
    path: Path


def parse_report(option: str) -> ReportTarget:
    """Parse ``FORMAT:PATH`` (``junit:out/results.xml``)."""
    name, sep, path = option.partition(":")
    if not sep or not path or name not in FORMATS:
        raise UsageError(f"--report {option!r}: expected FORMAT:PATH with FORMAT one of {', '.join(FORMATS)}")
    return ReportTarget(format=name, path=Path(path))


def write_reports(run: RunResult, targets: Sequence[ReportTarget], *, redact: Callable[[str], str]) -> None:
    """Render ``run`` in each target's format and write it atomically (parent directories made)."""
    for target in targets:
        text = FORMATS[target.format](run, redact=redact)
        try:
            write_atomic(target.path, text)
        except OSError as exc:
            raise UsageError(f"--report {target.format}:{target.path}: cannot write: {exc}") from None


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) all at once: a temp file beside it, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # same directory: os.replace is atomic only within one file system
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    # the rename itself survives a crash only once the directory entry is on disk
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


__all__ = [
    "FORMATS",
    "Renderer",
    "ReportTarget",
    "parse_report",
    "render_json",
    "render_junit",
    "write_reports",
]
