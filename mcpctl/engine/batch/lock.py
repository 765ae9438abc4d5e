"""The state lock: one ``mcpctl apply`` (or ``rollback``, ``--resume``) at a time on a state dir (DESIGN.md §5).

``<state-dir>/lock`` is held with ``flock`` for as long as the command runs, and says who holds it
(``{"pid": 123, "command": "apply", "started_at": 1764089520.1}``) so that the next one can name it. The
kernel drops a ``flock`` when its process dies, however it dies: a lock file nobody holds is stale and
simply taken over. The file is never deleted (a process could otherwise lock a file that is no longer
the lock).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from mcpctl.errors import UsageError
from mcpctl.store.files import make_directories, write_all

LOCK_NAME = "lock"


@dataclass(frozen=True, slots=True, kw_only=True)
class LockHolder:
    """Who holds (or held) the state lock."""

    pid: int
    command: str
    started_at: float


@contextlib.contextmanager
def acquire_state_lock(state_dir: Path, command: str) -> Iterator[LockHolder]:
    """Hold ``state_dir/lock`` for the block (``command``: the verb, such as ``apply``).

    Raises :class:`UsageError` naming the holder if another live process holds it; never waits.
    """
    path = state_dir / LOCK_NAME
    make_directories(state_dir)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(_held_message(path, read_holder(path))) from None
        holder = LockHolder(pid=os.getpid(), command=command, started_at=time.time())
        os.ftruncate(descriptor, 0)
        record = {"pid": holder.pid, "command": holder.command, "started_at": holder.started_at}
        write_all(descriptor, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        try:
            yield holder
        finally:
            # emptied before release: a lock file naming a pid is then always a held (or crashed) one
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the flock


def read_holder(path: Path) -> LockHolder | None:
    """Who the lock file at ``path`` names, if anyone (it may be stale: only ``flock`` tells)."""
    try:
        record = orjson.loads(path.read_bytes())
        return LockHolder(
            pid=int(record["pid"]), command=str(record["command"]), started_at=float(record["started_at"])
        )
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        # empty while the holder is between flock and write, or written by something else
        return None


def _held_message(path: Path, holder: LockHolder | None) -> str:
    if holder is None:
        return f"another mcpctl process holds {path}; wait for it to finish, or use another --state-dir"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.started_at))
    return (
        f"another mcpctl {holder.command} (pid {holder.pid}, started {started}) holds {path}; "
        f"wait for it to finish, or stop it (kill {holder.pid}) and then resume or roll back its run"
    )


__all__ = ["LOCK_NAME", "LockHolder", "acquire_state_lock", "read_holder"]
