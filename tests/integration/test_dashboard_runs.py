"""The Runs pages over runs that really happened: ``mcpctl test`` run twice (a subprocess, the scenario echo
server over stdio) records into a state directory; the pages read them back through their Route handlers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from mcpctl.web.pages import make_render
from mcpctl.web.routing import Request, find
from mcpctl.web.runs import run_routes
from testing.paths import PYTHON, ROOT
from tests.unit.report.test_html import walk

SPEC = f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: local}}
servers:
  echo:
    command: {PYTHON}
    args: [-m, testing.servers.scenarios, echo]
    cwd: {ROOT}
    env: {{PYTHONPATH: {ROOT}}}
---
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: demo}}
server: echo
tests:
  - {{name: echo passes, call: echo, with: {{message: hi}}, expect: {{text: hi}}}}
  - {{name: echo fails, call: echo, with: {{message: hi}}, expect: {{text: {{contains: bye}}}}}}
"""


def record(project: Path) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "mcpctl", "test", "specs", "--state-dir", "state"],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )
    assert done.returncode == 1, done.stderr


async def get(state: Path, path: str) -> bytes:
    route, params = find(run_routes(state_dir=state, render=make_render()), "GET", path)
    answer = await route.handler(Request(method="GET", path=path, params=params))
    assert answer.status == 200
    return answer.body


async def test_a_recorded_run_shows_its_failure_at_the_spec_line_and_its_trend(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "suite.yaml").write_text(SPEC)
    record(tmp_path)
    record(tmp_path)
    state = tmp_path / "state"
    listed = json.loads(await get(state, "/api/v1/runs"))["runs"]
    assert [(run["command"], run["status"], run["kinds"]) for run in listed] == [
        ("test", "failed", ["TestSuite"]),
        ("test", "failed", ["TestSuite"]),
    ]
    shown = [line.strip() for line in walk((await get(state, "/runs/last")).decode()).lines()]
    at = shown.index("TestSuite/demo :: echo fails")
    line = SPEC.splitlines().index(next(s for s in SPEC.splitlines() if "echo fails" in s)) + 1
    assert shown[at : at + 3] == [
        "TestSuite/demo :: echo fails",
        f"specs/suite.yaml:{line}",
        'text: expected to contain "bye", got "hi"',
    ]
    trend = shown[shown.index("changed") + 1 :]
    assert trend[:4] == ["TestSuite/demo", "echo passes", "2", "100%"]
    assert "Each case of this run across the last 2 runs of its suite" in " ".join(shown)
