"""SIGKILL a process appending to a journal at random moments: no acknowledged entry may be lost.

A child appends intent+done pairs (sync, or 20 concurrent tasks through the group-commit writer),
some of them 256 KiB long so that a kill can land in the middle of a write, and prints each step once
its ``done`` is durable. After each kill every printed step must replay as ``done`` and the journal
must reopen cleanly (the torn tail cut away) and take further appends. ``MCPCTL_KILL_TRIALS`` raises
the number of trials (default 30).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from mcpctl.engine.batch.journal import JOURNAL_NAME, Journal, read_entries

TRIALS = int(os.environ.get("MCPCTL_KILL_TRIALS", "30"))

CHILD = """
import itertools, sys, trio
from pathlib import Path
from mcpctl.engine.batch.journal import Journal, open_journal_writer

run_dir, mode = Path(sys.argv[1]), sys.argv[2]
pad = "x" * 262_144

def ack(step):
    sys.stdout.write(step + "\\n")
    sys.stdout.flush()

def padding(i):
    return {"pad": pad} if i % 13 == 0 else {}

with Journal.open(run_dir) as journal:
    if mode == "sync":
        for i in itertools.count():
            step = f"s{i}"
            with journal.group():
                journal.intent(step, op="execute", item=str(i), **padding(i))
                journal.intent(step + "b", op="execute")
            journal.done(step)
            ack(step)
    else:
        async def worker(writer, k):
            for i in itertools.count(k, 20):
                step = f"w{i}"
                await writer.intent(step, op="execute", item=str(i), **padding(i))
                await writer.done(step)
                ack(step)

        async def main():
            async with open_journal_writer(journal) as writer, trio.open_nursery() as nursery:
                for k in range(20):
                    nursery.start_soon(worker, writer, k)

        trio.run(main)
"""


def _trial(run_dir: Path, mode: str, delay: float) -> tuple[set[str], bool]:
    """Run the child, SIGKILL it ``delay`` s after its first acknowledgement; return the acknowledged
    steps and whether the kill tore a line."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(run_dir), mode], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        rest, stderr = child.communicate(timeout=10)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL, stderr.decode()
    lines = (first + rest).split(b"\n")[:-1]  # a half-printed acknowledgement was never made
    torn = not (run_dir / JOURNAL_NAME).read_bytes().endswith(b"\n")
    return {line.decode() for line in lines}, torn


def test_no_acknowledged_entry_is_lost_when_the_writer_is_killed(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    chance = random.Random(seed)
    started = time.monotonic()
    torn = 0
    for trial in range(TRIALS):
        mode = "sync" if trial % 2 else "group"
        run_dir = tmp_path / f"run-{trial}"
        acknowledged, was_torn = _trial(run_dir, mode, chance.uniform(0.0, 0.08))
        torn += was_torn
        assert acknowledged, f"trial {trial} (seed {seed}): nothing acknowledged"
        with Journal.open(run_dir) as journal:
            steps = journal.steps()
            lost = sorted(
                step for step in acknowledged if steps.get(step) is None or steps[step].status != "done"
            )
            assert not lost, f"trial {trial} ({mode}, seed {seed}): acknowledged but lost: {lost[:10]}"
            journal.intent("after-the-crash", op="check")
        assert (run_dir / JOURNAL_NAME).read_bytes().endswith(b"\n")
        assert read_entries(run_dir / JOURNAL_NAME)[-1].step == "after-the-crash"
    print(f"\n{TRIALS} kills in {time.monotonic() - started:.1f} s, {torn} tore the last line (seed {seed})")
