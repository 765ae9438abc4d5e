"""GitHub Actions integration: when ``GITHUB_ACTIONS=true``, every failing case becomes an ``::error``
workflow command pointing at its spec line (shown on the pull request's diff), and the markdown
summary is appended to ``$GITHUB_STEP_SUMMARY``.

Escaping follows the runner's rules (``@actions/core`` ``command.ts``): in the message ``%``, CR and
LF become ``%25``, ``%0D``, ``%0A``; in property values ``:`` and ``,`` also become ``%3A``, ``%2C``.
An unescaped newline in a server's error text would end the command and let the rest of the line be
read as a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.report.markdown import render_markdown

Redact = Callable[[str], str]

ANNOTATION_LIMIT = 50
"""GitHub keeps at most 50 error annotations per job: beyond this, one notice counts the rest."""


def enabled(environ: Mapping[str, str]) -> bool:
    """Whether we run in a GitHub Actions job."""
    return environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    """``text`` as a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """``text`` as a workflow command's property value (``file=``, ``title=``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_lines(run: RunResult, *, redact: Redact, workspace: str | None = None) -> list[str]:
    """One ``::error`` line per failed or erred case of ``run`` (a suite that could not run: one for it).

    ``workspace`` (``$GITHUB_WORKSPACE``): spec paths under it are made relative to it, as GitHub
    matches annotations to files of the repository.
    """
    found = [(suite, case) for suite in run.suites for case in _failing(suite)]
    lines = [_error(suite, case, redact, workspace) for suite, case in found[:ANNOTATION_LIMIT]]
    if len(found) > ANNOTATION_LIMIT:
        rest = len(found) - ANNOTATION_LIMIT
        lines.append(f"::notice::{rest} more failures not annotated: mcpctl show {escape_data(run.run_id)}")
    return lines


def _failing(suite: SuiteResult) -> list[CaseResult]:
    failing = [case for case in suite.cases if case.status in ("failed", "error")]
    if suite.error:
        failing.insert(
            0,
            CaseResult(
                name="<setup>", status="error", duration_ms=0.0, message=suite.error, file=suite.spec_path
            ),
        )
    return failing


def _error(suite: SuiteResult, case: CaseResult, redact: Redact, workspace: str | None) -> str:
    properties = []
    if case.file:
        properties.append(f"file={escape_property(redact(_relative(case.file, workspace)))}")
        if case.line:
            properties.append(f"line={case.line}")
    properties.append(f"title={escape_property(redact(f'{suite.kind}/{suite.name} :: {case.name}'))}")
    message = "\n".join([case.message.strip() or case.status, *case.details])
    return f"::error {','.join(properties)}::{escape_data(redact(message))}"


def _relative(file: str, workspace: str | None) -> str:
    if not workspace:
        return file
    path = Path(file).absolute()
    try:
        return path.relative_to(Path(workspace).absolute()).as_posix()
    except ValueError:
        return file  # outside the repository: GitHub shows it without a file link


def publish(run: RunResult, *, redact: Redact, environ: Mapping[str, str], stream: TextIO) -> None:
    """In a GitHub Actions job, print the annotations of ``run`` on ``stream`` and append its markdown
    summary to ``$GITHUB_STEP_SUMMARY``; elsewhere do nothing. A summary that cannot be written is a
    ``::warning::``, not a failed run."""
    if not enabled(environ):
        return
    for line in error_lines(run, redact=redact, workspace=environ.get("GITHUB_WORKSPACE")):
        print(line, file=stream)
    summary = environ.get("GITHUB_STEP_SUMMARY")
    if not summary:
        return
    try:
        with open(summary, "a", encoding="utf-8") as out:
            out.write(render_markdown(run, redact=redact) + "\n")
    except OSError as exc:
        print(f"::warning::cannot append to GITHUB_STEP_SUMMARY {escape_data(summary)}: {exc}", file=stream)
