"""What a scheduler remembers between starts, and the lock that keeps it alone.

``<state-dir>/schedules/<name>.json`` holds, per entry, the last fire time the scheduler handled (run or
skipped), the last run's exit code and end: on start, fires after the last handled one that are already
past were missed while the scheduler was down (the entry's ``missed`` policy decides), and a success
after a failure recorded here is a recovery. Writes are atomic (temp file, rename).

``<state-dir>/schedules/<name>.lock`` is held with ``fcntl.flock`` while a scheduler runs: a second one
on the same schedule and state directory is refused (the kernel drops the lock when the holder dies,
so a crash never leaves a stale lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from mcpctl.errors import UsageError


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryState:
    """One entry's memory."""

    last_fire: datetime | None = None
    """The last fire time handled (run or skipped)."""
    last_exit: int | None = None
    """The exit code of the last finished run."""
    last_end: datetime | None = None


class ScheduleState:
    """The state file of one schedule."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.path = state_dir / "schedules" / f"{name}.json"

    def load(self) -> dict[str, EntryState]:
        """Every entry's state (empty when there is no file, or it is unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            return {}
        return {str(name): _entry(value) for name, value in entries.items() if isinstance(value, dict)}

    def save(self, entries: dict[str, EntryState]) -> None:
        """Write every entry's state atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": 1, "entries": {name: _plain(state) for name, state in sorted(entries.items())}}
        temp = self.path.with_suffix(".json.tmp")
        with open(temp, "w", encoding="utf-8") as file:
            # no fsync: it is written at every fire, and a state lost in a crash only costs one
            # missed-run judgement (an unreadable file reads as empty)
            json.dump(data, file, indent=2)
        os.replace(temp, self.path)


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _entry(value: dict[str, object]) -> EntryState:
    code = value.get("last_exit")
    return EntryState(
        last_fire=_time(value.get("last_fire")),
        last_exit=code if isinstance(code, int) else None,
        last_end=_time(value.get("last_end")),
    )


def _plain(state: EntryState) -> dict[str, object]:
    return {
        "last_fire": state.last_fire.isoformat() if state.last_fire else None,
        "last_exit": state.last_exit,
        "last_end": state.last_end.isoformat() if state.last_end else None,
    }


class ScheduleLock:
    """An exclusive ``flock`` on the schedule's lock file; a context manager."""

    def __init__(self, state_dir: Path, name: str) -> None:
        self.path = state_dir / "schedules" / f"{name}.lock"
        self.name = name
        self._fd: int | None = None

    def __enter__(self) -> ScheduleLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise UsageError(
                f"schedule {self.name!r} is already running (pid {holder} holds {self.path}): "
                "stop that scheduler first, or use another --state-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing releases the flock
            self._fd = None
