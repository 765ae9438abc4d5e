"""The mcpctl CLI as a user runs it, for end-to-end tests: a subprocess in a project directory, or in
process with the console script's error handling."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from mcpctl.cli.app import app
from mcpctl.cli.handler import fail
from mcpctl.errors import McpctlError
from testing.paths import PYTHON, ROOT


def mcpctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m mcpctl ARGS`` in ``cwd``: stdin not a terminal (nothing asks), no colour,
    HOME beside the project (``cwd/../home``), the state in ``cwd/.mcpctl`` (the default)."""
    environ = {k: v for k, v in os.environ.items() if k != "MCPCTL_STATE_DIR"}
    return subprocess.run(
        [PYTHON, "-m", "mcpctl", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=60,
        env={**environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HOME": str(cwd.parent / "home")},
    )


def invoke(*args: str) -> tuple[int, str, str]:
    """``mcpctl ARGS`` in this process: its exit code, stdout and stderr, an expected failure printed as
    the console script prints it (an unexpected exception is raised)."""
    result = CliRunner().invoke(app, list(args))
    stderr = io.StringIO()
    code = result.exit_code
    if isinstance(result.exception, McpctlError):
        with contextlib.redirect_stderr(stderr):
            code = fail(result.exception)
    elif result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return code, result.stdout, stderr.getvalue()


def without_advice(stdout: str) -> list[str]:
    """The lines of a run command's ``stdout`` but its recommendations (``recommendation [rule] ...``),
    for tests about the rest of its summary."""
    return [line for line in stdout.splitlines() if not line.startswith("recommendation [")]
