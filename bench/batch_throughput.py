"""What the journal costs a batch: 10,000 `execute` items at concurrency 100 against the mock.

usage: python bench/batch_throughput.py [--items 10000] [--concurrency 100] [--rounds 3]

Issue 6, acceptance 4: `mcpctl apply` of a BatchPlan whose one operation calls the echo tool of
bench/mocks/echo.yaml (served by `mcpctl mock serve` over stdio) for every record of a JSONL input,
each item journaled (intent, done: fsynced, group commit) with its answer appended to a JSONL output
(fsynced before done), must run at >= 0.8x the bare call rate. The peer, measured in the same run
against the same mock (pinned to core 1; mcpctl and the client to core 0): mcpctl's own client making the same calls at the same concurrency on one
session, with nothing written anywhere. The batch rate is the execute operation's own (from its first
item to its last, as the progress line prints it), so process start and planning are not counted;
the whole command's wall time is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import trio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mcpctl.mcp.client import StdioTarget, open_client  # noqa: E402

MCPCTL = os.path.join(os.path.dirname(sys.executable), "mcpctl")
MOCK = os.path.join(ROOT, "bench", "mocks", "echo.yaml")
LINE = re.compile(r"execute: (\d+) passed in ([\d.]+)s \(([\d.]+) items/s\)")


def write_plan(directory: str, items: int, concurrency: int) -> str:
    with open(os.path.join(directory, "input.jsonl"), "w", encoding="utf-8") as out:
        for i in range(items):
            out.write(f'{{"id": {i}, "message": "m{i}"}}\n')
    plan = os.path.join(directory, "plan.yaml")
    with open(plan, "w", encoding="utf-8") as out:
        out.write(
            f"""apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: bench}}
servers:
  echo:
    command: taskset
    args: [-c, "1", {sys.executable}, -m, mcpctl, mock, serve, {MOCK}]
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: bench}}
concurrency: {concurrency}
operations:
  - execute:
      server: echo
      tool: echo
      input: input.jsonl
      key: id
      with: {{message: "{{{{ record.message }}}}"}}
      output: answers.jsonl
"""
        )
    return plan


def batch_round(items: int, concurrency: int) -> tuple[float, float]:
    """(execute items/s, whole command seconds) of one fresh apply."""
    with tempfile.TemporaryDirectory() as directory:
        plan = write_plan(directory, items, concurrency)
        start = time.perf_counter()
        done = subprocess.run(
            [
                "taskset",
                "-c",
                "0",
                MCPCTL,
                "apply",
                plan,
                "--yes",
                "--state-dir",
                os.path.join(directory, "state"),
            ],
            capture_output=True,
            text=True,
            cwd=directory,
            env=os.environ | {"NO_COLOR": "1"},
        )
        wall = time.perf_counter() - start
        match = LINE.search(done.stderr)
        if done.returncode != 0 or match is None or int(match.group(1)) != items:
            sys.exit(f"apply failed ({done.returncode}):\n{done.stderr[-2000:]}")
        with open(os.path.join(directory, "answers.jsonl"), "rb") as answers:
            lines = answers.read().count(b"\n")
        if lines != items:
            sys.exit(f"expected {items} answers, found {lines}")
        return float(match.group(3)), wall


def bare_round(items: int, concurrency: int) -> float:
    """Calls/s of the same calls on mcpctl's client, nothing journaled."""

    async def main() -> float:
        target = StdioTarget(
            command=("taskset", "-c", "1", sys.executable, "-m", "mcpctl", "mock", "serve", MOCK)
        )
        async with open_client(target) as client:
            queue = iter(range(items))

            async def worker() -> None:  # a pool of `concurrency` workers: the fastest plain loop
                for i in queue:
                    result = await client.call_tool("echo", {"message": f"m{i}"})
                    assert result.text == f"Echo: m{i}", result.text

            start = time.perf_counter()
            async with trio.open_nursery() as nursery:
                for _ in range(concurrency):
                    nursery.start_soon(worker)
            return items / (time.perf_counter() - start)

    return trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, {0})
    bare, batch, walls = [], [], []
    for _ in range(args.rounds):  # interleaved: drift on a shared machine hits both alike
        bare.append(bare_round(args.items, args.concurrency))
        rate, wall = batch_round(args.items, args.concurrency)
        batch.append(rate)
        walls.append(wall)
    bare_rate, batch_rate = statistics.median(bare), statistics.median(batch)
    print(f"{args.items} items at concurrency {args.concurrency}, median of {args.rounds} rounds")
    print(f"  bare client calls (mcpctl client, no journal)  {bare_rate:9,.0f} calls/s")
    print(f"  mcpctl apply, execute operation (journaled)    {batch_rate:9,.0f} items/s")
    print(f"  mcpctl apply, whole command wall time          {statistics.median(walls):9.2f} s")
    print(f"  ratio batch / bare: {batch_rate / bare_rate:.2f}x (acceptance: >= 0.80x)")


if __name__ == "__main__":
    main()
