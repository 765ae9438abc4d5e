from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpctl.engine.batch.lock import LockHolder, acquire_state_lock, read_holder
from mcpctl.errors import UsageError

HOLDER = """
import sys
from pathlib import Path
from mcpctl.engine.batch.lock import acquire_state_lock

with acquire_state_lock(Path(sys.argv[1]), "apply"):
    print("locked", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another mcpctl holding the lock of ``tmp_path / "state"`` until its stdin closes."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path / "state")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "locked\n"
        yield child
    finally:
        child.kill()
        child.wait()
        for stream in (child.stdin, child.stdout):
            if stream is not None:
                stream.close()


def _started(state: Path) -> str:
    holder = read_holder(state / "lock")
    assert holder is not None
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.started_at))


def test_the_lock_names_its_holder_while_held_and_nobody_after(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with acquire_state_lock(state, "rollback") as holder:
        assert holder.pid == os.getpid()
        assert read_holder(state / "lock") == holder
        written = json.loads((state / "lock").read_text())
        assert set(written) == {"pid", "command", "started_at"}
    assert (state / "lock").read_bytes() == b""
    assert read_holder(state / "lock") is None


def test_another_live_process_holding_the_lock_is_named(
    tmp_path: Path, other_process: subprocess.Popen[str]
) -> None:
    state = tmp_path / "state"
    with pytest.raises(UsageError) as caught, acquire_state_lock(state, "apply"):
        pass
    assert str(caught.value) == (
        f"another mcpctl apply (pid {other_process.pid}, started {_started(state)}) holds {state}/lock; "
        f"wait for it to finish, or stop it (kill {other_process.pid}) and then resume or roll back its run"
    )
    assert caught.value.exit_code == 2
    assert other_process.stdin is not None
    other_process.stdin.close()  # it finishes: the lock is free
    assert other_process.wait(timeout=10) == 0
    with acquire_state_lock(state, "apply") as holder:
        assert holder.pid == os.getpid()


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    (state / "lock").write_text(json.dumps({"pid": dead_pid, "command": "apply", "started_at": 1.0}))
    assert read_holder(state / "lock") == LockHolder(pid=dead_pid, command="apply", started_at=1.0)
    with acquire_state_lock(state, "apply --resume") as holder:
        assert read_holder(state / "lock") == holder
        assert holder.command == "apply --resume"


def test_a_held_lock_without_a_name_still_refuses(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    descriptor = os.open(state / "lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # held, but the holder has not written its name yet
        with pytest.raises(UsageError) as caught, acquire_state_lock(state, "apply"):
            pass
    finally:
        os.close(descriptor)
    assert str(caught.value) == (
        f"another mcpctl process holds {state}/lock; wait for it to finish, or use another --state-dir"
    )


def test_the_same_process_cannot_take_the_lock_twice(tmp_path: Path) -> None:
    with acquire_state_lock(tmp_path, "apply"):
        with pytest.raises(UsageError, match=f"pid {os.getpid()}"), acquire_state_lock(tmp_path, "rollback"):
            pass
        assert read_holder(tmp_path / "lock") is not None  # the refused attempt left the holder's name
