"""``mcpctl apply`` asks before it changes anything when a person is at the terminal (a real pty),
like ``terraform apply``: only ``yes`` applies; ``--yes`` does not ask."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from testing.paths import ROOT

MCPCTL = os.path.join(os.path.dirname(sys.executable), "mcpctl")
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  weather: {mock: %s}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: ask}
operations:
  - deploy:
      servers: [weather]
      to: [{file: cfg.json, key: mcpServers}]
"""


def write_plan(tmp_path: Path) -> Path:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN % (ROOT / "examples" / "weather.yaml"), encoding="utf-8")
    (tmp_path / "cfg.json").write_text('{"mcpServers": {}}\n', encoding="utf-8")
    return plan


def run_on_a_terminal(tmp_path: Path, answer: str, *args: str) -> tuple[int, str]:
    """Run mcpctl with a pty as stdin/stdout; type ``answer`` once it asks; return (code, screen)."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        [MCPCTL, *args],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=tmp_path,
        env=os.environ | {"NO_COLOR": "1", "MCPCTL_STATE_DIR": str(tmp_path / "state")},
        start_new_session=True,
    )
    os.close(child)
    screen, typed, deadline = b"", False, time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed the pty: it has exited
                    break
                if not chunk:
                    break
                screen += chunk
            if not typed and b"Enter a value:" in screen:
                os.write(main, answer.encode() + b"\n")
                typed = True
            if process.poll() is not None and not ready:
                break
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(main)
    return code, screen.decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.parametrize(("answer", "applied"), [("yes", True), ("no", False), ("y", False)])
def test_apply_on_a_terminal_shows_the_plan_and_applies_only_on_yes(
    tmp_path: Path, answer: str, applied: bool
) -> None:
    plan = write_plan(tmp_path)
    code, screen = run_on_a_terminal(tmp_path, answer, "apply", str(plan))
    assert "BatchPlan/ask: 1 operations, concurrency 10, onFailure halt" in screen
    assert '+{"mcpServers": {"weather": {' in screen  # the diff is shown before the question
    assert "Do you want to apply this plan? Only 'yes' will be accepted." in screen
    config = (tmp_path / "cfg.json").read_text(encoding="utf-8")
    if applied:
        assert code == 0
        assert '"weather"' in config
    else:
        assert code == 1
        assert "Apply cancelled." in screen
        assert config == '{"mcpServers": {}}\n'
        assert not (tmp_path / "state" / "runs").exists()  # nothing ran, nothing was journaled


def test_yes_on_the_command_line_does_not_ask(tmp_path: Path) -> None:
    plan = write_plan(tmp_path)
    code, screen = run_on_a_terminal(tmp_path, "no", "apply", str(plan), "--yes")
    assert code == 0
    assert "Enter a value" not in screen
    assert '"weather"' in (tmp_path / "cfg.json").read_text(encoding="utf-8")
