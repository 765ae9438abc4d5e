"""How fast `mcpctl test` runs a large suite: 1,000 tests against one stdio server.

usage: python bench/suite_throughput.py [--tests 1000] [--rounds 3] [--concurrency 1,8]

Issue 4, acceptance 4: a suite of 1,000 tests against one stdio server runs in well under 10 s.
The figure is the whole command as a user runs it (process start, spec loading and validation,
the server's start, every test with its checks, the state store, the JUnit report), printed as
tests/s. The peer, measured in the same run against the same server (testing/servers/scenarios.py
echo): the same 1,000 calls and the same text check in a plain loop on the official Python SDK's
ClientSession, its spawn and handshake included — the floor of any hand-written SDK test harness.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MCPCTL = os.path.join(os.path.dirname(sys.executable), "mcpctl")
SERVER = [sys.executable, "-m", "testing.servers.scenarios", "echo"]

SDK_LOOP = r"""
import sys, anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

async def main(n):
    params = StdioServerParameters(command=sys.executable, args=["-m", "testing.servers.scenarios", "echo"], cwd=sys.argv[2])
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        for i in range(n):
            result = await session.call_tool("echo", {"message": f"m{i}"})
            assert result.content[0].text == f"m{i}", result
anyio.run(main, int(sys.argv[1]))
"""


def write_suite(directory: str, tests: int, concurrency: int) -> str:
    path = os.path.join(directory, f"suite-{concurrency}.yaml")
    lines = [
        "apiVersion: mcpctl/v1",
        "kind: Servers",
        "metadata: {name: bench}",
        "servers:",
        "  echo:",
        f"    command: {sys.executable}",
        "    args: [-m, testing.servers.scenarios, echo]",
        f"    cwd: {ROOT}",
        f"    env: {{PYTHONPATH: {ROOT}}}",
        "---",
        "apiVersion: mcpctl/v1",
        "kind: TestSuite",
        f"metadata: {{name: bench-{concurrency}}}",
        "server: echo",
        f"concurrency: {concurrency}",
        "tests:",
    ]
    for i in range(tests):
        lines.append(f"  - {{name: t{i}, call: echo, with: {{message: m{i}}}, expect: {{text: m{i}}}}}")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run_mcpctl(path: str, state: str, tests: int) -> float:
    report = os.path.join(state, "junit.xml")
    cmd = [MCPCTL, "test", path, "--state-dir", state, "--report", f"junit:{report}", "--output", "json"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0 or f'"passed": {tests}' not in done.stdout:
        raise SystemExit(f"mcpctl test failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def run_sdk(tests: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", SDK_LOOP, str(tests), ROOT],
        check=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
    )
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--concurrency", default="1,8")
    args = ap.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        suites = {c: write_suite(tmp, args.tests, c) for c in levels}
        times: dict[str, list[float]] = {f"mcpctl test, concurrency {c}": [] for c in levels}
        times["SDK ClientSession loop"] = []
        for _ in range(args.rounds):
            for c in levels:
                times[f"mcpctl test, concurrency {c}"].append(run_mcpctl(suites[c], tmp, args.tests))
            times["SDK ClientSession loop"].append(run_sdk(args.tests))
    peer = statistics.median(times["SDK ClientSession loop"])
    print(f"{args.tests} tests against one stdio server (echo), median of {args.rounds} rounds, wall clock:")
    print("| what | seconds | tests/s | × SDK loop | under 10 s |")
    print("|---|---|---|---|---|")
    for name, values in times.items():
        med = statistics.median(values)
        verdict = "yes" if med < 10 else "NO"
        print(f"| {name} | {med:.2f} | {args.tests / med:,.0f} | {peer / med:.2f} | {verdict} |")


if __name__ == "__main__":
    main()
