"""Ctrl-C and SIGTERM during ``mcpctl apply`` of an ``execute`` plan (issue 6: graceful Ctrl-C, exit 130,
the journal consistent, ``--resume`` finishing every item exactly once).

``mcpctl apply --yes`` runs as a user starts it: a subprocess in its own process group, which gets the
signal as a terminal's Ctrl-C would send it (the stdio mock runs in a group of its own and is not
hit). The signal goes once the first answer is in the output: the first round of items is done and
the next is in flight (a worker starts its next call before its answer is durable). The mock keeps
its call history in the state store, so the calls it answered can be compared with the journal and
the output.
"""

from __future__ import annotations

import functools
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpctl.engine.batch.journal import read_entries
from mcpctl.store import open_store
from mcpctl.store.mock_calls import list_calls
from testing.paths import PYTHON, ROOT

ITEMS = 40
CONCURRENCY = 4
MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: slow}}
behaviour: {{latency: {latency}}}
tools:
  - name: work
    inputSchema: {{type: object, properties: {{item: {{type: integer}}}}, required: [item]}}
    default: {{text: "done {{{{ args.item }}}}"}}
"""
PLAN = f"""\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: mocks}}
servers:
  slow: {{mock: mock.yaml}}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: slow-items}}
concurrency: {CONCURRENCY}
operations:
  - execute:
      server: slow
      tool: work
      input: input.jsonl
      key: id
      with: {{item: "{{{{ record.id }}}}"}}
      output: answers.jsonl
"""
FIRST = {
    signal.SIGINT: "interrupted (Ctrl-C): finishing the steps in flight (Ctrl-C again cancels them)",
    signal.SIGTERM: "interrupted (SIGTERM): finishing the steps in flight (Ctrl-C again cancels them)",
}
AGAIN = "mcpctl: stopping: interrupted again: cancelling the steps in flight"


def write_mock(tmp_path: Path, latency: str) -> None:
    (tmp_path / "mock.yaml").write_text(MOCK.format(latency=latency), encoding="utf-8")


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    (tmp_path / "input.jsonl").write_text("".join(f'{{"id": {i}}}\n' for i in range(ITEMS)), encoding="utf-8")
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return path


def environment(tmp_path: Path) -> dict[str, str]:
    # the mock inherits MCPCTL_STATE_DIR: its call history goes to the run's state store
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT),
        "NO_COLOR": "1",
        "HOME": str(tmp_path),
        "MCPCTL_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.fixture
def start(plan: Path) -> Iterator[Callable[[str], subprocess.Popen[bytes]]]:
    """Start ``mcpctl apply --yes`` in its own process group, the mock answering after ``latency``, its
    stderr going to ``stderr.txt`` (read while it runs); whatever a test leaves running is killed."""
    started: list[subprocess.Popen[bytes]] = []
    tmp_path = plan.parent

    def apply(latency: str) -> subprocess.Popen[bytes]:
        write_mock(tmp_path, latency)
        with open(tmp_path / "stderr.txt", "wb") as stderr:
            process = subprocess.Popen(
                [PYTHON, "-m", "mcpctl", "apply", str(plan), "--yes"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                cwd=tmp_path,
                env=environment(tmp_path),
                start_new_session=True,
            )
        started.append(process)
        return process

    yield apply
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def answer_keys(tmp_path: Path) -> list[Any]:
    path = tmp_path / "answers.jsonl"
    lines = path.read_bytes().split(b"\n")[:-1] if path.exists() else []  # not a line being written
    return [orjson.loads(line)["key"] for line in lines]


def stderr_of(tmp_path: Path) -> str:
    return (tmp_path / "stderr.txt").read_text(encoding="utf-8")


def wait_until(process: subprocess.Popen[bytes], tmp_path: Path, ready: Callable[[], int | bool]) -> int:
    """Wait (30 s at most) for ``ready()`` to be true while ``process`` runs; its value then."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, stderr_of(tmp_path)
        if value := ready():
            return int(value)
        time.sleep(0.01)
    raise AssertionError(f"still waiting after 30 s; stderr: {stderr_of(tmp_path)}")


def noted(tmp_path: Path, signals: int) -> bool:
    """The run has printed its stop note for each of the first ``signals`` signals."""
    return stderr_of(tmp_path).count("mcpctl: stopping:") >= signals


def interrupted(
    process: subprocess.Popen[bytes], tmp_path: Path, *signals: signal.Signals
) -> tuple[str, str]:
    """Send ``signals`` to the process group, each once the run has noted the one before (signals of
    one kind that arrive together are one); the run id and stderr once it exits 130."""
    for number, sig in enumerate(signals):
        if number:
            wait_until(process, tmp_path, functools.partial(noted, tmp_path, number))
        os.killpg(process.pid, sig)
    process.wait(timeout=30)
    stderr = stderr_of(tmp_path)
    assert process.returncode == 130, stderr
    match = re.search(r"^mcpctl: run (\S+) stopped: ", stderr, re.MULTILINE)
    assert match is not None, stderr
    run = match.group(1)
    hint = f"mcpctl: finish it with `mcpctl apply --resume {run}` or undo it with `mcpctl rollback {run}`"
    assert hint in stderr.splitlines()
    return run, stderr


def progress_counts(stderr: str) -> dict[str, int]:
    """The counts of the operation's progress line (``1.execute: 5 passed, 35 skipped in 0.41s ...``);
    statuses come in the order they were first seen, which varies: passes count once durable."""
    match = re.search(r"^1\.execute: (.+?) in \d+\.\d\ds", stderr, re.MULTILINE)
    assert match is not None, stderr
    return {status: int(n) for n, status in (part.split(" ") for part in match.group(1).split(", "))}


def journal_steps(tmp_path: Path, run: str) -> tuple[Counter[str], list[str]]:
    """Journaled outcomes by (step, phase), and the steps left in doubt (an intent without outcome)."""
    entries = read_entries(tmp_path / "state" / "runs" / run / "journal.jsonl")  # readable, in order
    phases = Counter(f"{entry.step} {entry.phase}" for entry in entries)
    last: dict[str, str] = {}
    for entry in entries:
        last[entry.step] = entry.phase
    return phases, [step for step, phase in last.items() if phase == "intent"]


def done_items(phases: Counter[str]) -> set[int]:
    return {int(key.split("/")[1].split()[0]) for key, count in phases.items() if key.endswith(" done")}


def mock_answered(tmp_path: Path) -> list[int]:
    """The items of every call the mock answered, over all its serves."""
    with open_store(tmp_path / "state") as store:
        return [call.record["arguments"]["item"] for call in list_calls(store, mock="slow")]


def resume_completes_every_item_once(tmp_path: Path, run: str) -> None:
    done = subprocess.run(
        [PYTHON, "-m", "mcpctl", "apply", "--resume", run, "--yes"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment(tmp_path),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    keys = answer_keys(tmp_path)
    assert sorted(keys) == list(range(ITEMS))  # every item answered, none twice
    phases, in_doubt = journal_steps(tmp_path, run)
    assert in_doubt == []
    assert {key: count for key, count in phases.items() if count != 1} == {}
    assert done_items(phases) == set(range(ITEMS))
    assert not any(key.endswith((" failed", " skipped")) for key in phases)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_one_signal_finishes_the_items_in_flight_then_resume_finishes_the_rest(
    plan: Path, start: Callable[[str], subprocess.Popen[bytes]], sig: signal.Signals
) -> None:
    tmp_path = plan.parent
    apply = start("200ms")
    seen = wait_until(apply, tmp_path, lambda: len(answer_keys(tmp_path)))
    run, stderr = interrupted(apply, tmp_path, sig)
    assert f"mcpctl: run {run} stopped: {FIRST[sig]}" in stderr.splitlines()
    assert f"mcpctl: stopping: {FIRST[sig]}" in stderr.splitlines()
    phases, in_doubt = journal_steps(tmp_path, run)
    assert in_doubt == []  # every step started was settled
    done = done_items(phases)
    keys = answer_keys(tmp_path)
    assert sorted(keys) == sorted(done)  # the output lines are the done steps, once each
    # the items in flight at the signal finished too: at least one of the second round (the worker
    # whose answer was seen had started its next item), which takes 200 ms, far longer than the
    # signal takes to arrive
    assert seen <= CONCURRENCY < len(done) < ITEMS
    assert sorted(mock_answered(tmp_path)) == sorted(done)  # no call answered and then lost
    assert progress_counts(stderr) == {"passed": len(done), "skipped": ITEMS - len(done)}
    write_mock(tmp_path, "10ms")  # the mock is not part of the plan: resume takes less time
    resume_completes_every_item_once(tmp_path, run)
    assert sorted(mock_answered(tmp_path)) == list(range(ITEMS))  # each item called exactly once


def test_a_second_ctrl_c_cancels_the_items_in_flight_and_resume_still_finishes_once(
    plan: Path, start: Callable[[str], subprocess.Popen[bytes]]
) -> None:
    tmp_path = plan.parent
    # the items in flight take 1 s: had they not been cancelled, the mock would have answered them
    apply = start("1s")
    wait_until(apply, tmp_path, lambda: len(answer_keys(tmp_path)))
    run, stderr = interrupted(apply, tmp_path, signal.SIGINT, signal.SIGINT)
    assert f"mcpctl: stopping: {FIRST[signal.SIGINT]}" in stderr.splitlines()
    assert AGAIN in stderr.splitlines()
    phases, in_doubt = journal_steps(tmp_path, run)
    assert in_doubt == []
    done = done_items(phases)
    assert sorted(answer_keys(tmp_path)) == sorted(done)
    assert 0 < len(done) < ITEMS
    assert sorted(mock_answered(tmp_path)) == sorted(done)  # the calls in flight were never answered
    write_mock(tmp_path, "10ms")  # the mock is not part of the plan: resume takes less time
    resume_completes_every_item_once(tmp_path, run)
    assert sorted(mock_answered(tmp_path)) == list(range(ITEMS))
