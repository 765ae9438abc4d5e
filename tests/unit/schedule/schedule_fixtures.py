"""Schedules built from YAML in a temporary directory, and a fake launcher on trio's clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import trio

from mcpctl.engine.schedule.launch import RunOutcome
from mcpctl.spec.build import load_specs
from mcpctl.spec.schedule_model import ScheduleEntry, ScheduleSpec


def schedule(tmp_path: Path, entries: str, *, extra: str = "") -> ScheduleSpec:
    (tmp_path / "suite.yaml").write_text("# run by the schedule\n")
    path = tmp_path / "schedule.yaml"
    path.write_text(
        "apiVersion: mcpctl/v1\nkind: Schedule\nmetadata: {name: nightly}\n" + extra + "entries:\n" + entries
    )
    return load_specs([str(path)]).schedules[0]


@dataclass
class FakeLauncher:
    """Takes ``seconds`` of (trio) time per run and ends with ``codes`` in turn (then 0)."""

    seconds: float = 0.0
    codes: list[int] = field(default_factory=list)
    running: int = 0
    most: int = 0
    started: list[tuple[str, float]] = field(default_factory=list)

    async def __call__(self, entry: ScheduleEntry, *, cwd: str) -> RunOutcome:
        self.running += 1
        self.most = max(self.most, self.running)
        self.started.append((entry.name, trio.current_time()))
        try:
            await trio.sleep(self.seconds)
        finally:
            self.running -= 1
        code = self.codes.pop(0) if self.codes else 0
        return RunOutcome(exit_code=code, tail=f"run of {entry.name}\nexit {code}\n")


def iso(moment: datetime | None) -> str:
    assert moment is not None
    return moment.isoformat(timespec="seconds")
