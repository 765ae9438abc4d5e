"""How fast the CLI starts: `mcpctl --version` and `mcpctl --help` beside `python -c pass`.

usage: python bench/cli_startup.py [--runs 10]

Targets (issue 3): --version <= 150 ms and --help <= 300 ms, median of 10 runs. Each command
runs with the same interpreter, interleaved, after one discarded warm-up run each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MCPCTL = os.path.join(os.path.dirname(sys.executable), "mcpctl")
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "mcpctl --version": [MCPCTL, "--version"],
    "mcpctl --help": [MCPCTL, "--help"],
}
TARGET_MS = {"mcpctl --version": 150.0, "mcpctl --help": 300.0}


def once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=30)
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for cmd in COMMANDS.values():
        once(cmd)
    for _ in range(args.runs):
        for name, cmd in COMMANDS.items():
            times[name].append(once(cmd))
    floor = statistics.median(times["python -c pass"])
    print(f"| command | median ms (of {args.runs}) | min–max ms | × python -c pass | target | verdict |")
    print("|---|---|---|---|---|---|")
    for name, values in times.items():
        med = statistics.median(values)
        target = TARGET_MS.get(name)
        verdict = "" if target is None else ("PASS" if med <= target else "FAIL")
        tgt = "" if target is None else f"≤ {target:.0f} ms"
        print(
            f"| `{name}` | {med:.1f} | {min(values):.1f}–{max(values):.1f} | {med / floor:.2f} | {tgt} | {verdict} |"
        )


if __name__ == "__main__":
    main()
