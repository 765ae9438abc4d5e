"""The mcpctl CLI as a user runs it, for end-to-end tests: a subprocess in a project directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
