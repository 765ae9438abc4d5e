"""Reports written by ``--report FORMAT:PATH`` (repeatable): one renderer per format in :data:`FORMATS`.

A renderer is a pure function from a run to text (bytes for PDF); this module parses the option and
writes the files atomically, so a CI job never picks up half a report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report.csv import render_csv
from mcpctl.report.html import render_html
from mcpctl.report.json import render_json
from mcpctl.report.junit import render_junit
from mcpctl.report.markdown import render_markdown
from mcpctl.report.pdf import render_pdf
from mcpctl.store import files


class Renderer(Protocol):
    """Turns a run into the text of one report; every string it writes passes through ``redact``."""

    def __call__(self, run: RunResult, *, redact: Callable[[str], str]) -> str | bytes: ...


FORMATS: dict[str, Renderer] = {
    "json": render_json,
    "junit": render_junit,
    "csv": render_csv,  # one row per case; `mcpctl report --columns` / rows="buckets" for the rest
    "markdown": render_markdown,
    "html": render_html,
    "pdf": render_pdf,
}
BINARY = frozenset({"pdf"})
"""Formats whose report is bytes, not text (never printed to a terminal)."""


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
        data = FORMATS[target.format](run, redact=redact)
        try:
            write_atomic(target.path, data)
        except OSError as exc:
            raise UsageError(f"--report {target.format}:{target.path}: cannot write: {exc}") from None


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` (text as UTF-8) all at once (parent directories made): see
    :func:`mcpctl.store.files.write_atomic`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, data if isinstance(data, bytes) else data.encode("utf-8"))


__all__ = [
    "BINARY",
    "FORMATS",
    "Renderer",
    "ReportTarget",
    "parse_report",
    "render_csv",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_pdf",
    "write_reports",
]
