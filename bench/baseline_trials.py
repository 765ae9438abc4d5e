"""How well ``--baseline`` tells a real regression from noise, with real servers: trials of a baseline load
run and a current load run against ``mcpctl mock serve --http`` mocks whose tool answers after a lognormal
latency; in half the trials the current mock is 30 % slower (every percentile, p99 included).

usage: python bench/baseline_trials.py [--trials N] [--seconds S] [--vus N]

Prints, for the slowed mock, in how many trials p99 (and p50) was flagged as a regression, and for the
unchanged mock, in how many trials anything was flagged (the false-positive rate). Issue 12's target:
flagged in every one of 20 trials; unchanged flagged in at most 1 of 20. The comparison is
mcpctl.engine.baseline (percentile z-test from order-statistic intervals; error rate by a two-proportion
z-test), on the LoadTest suites exactly as ``mcpctl load --baseline`` compares them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import trio

sys.path.insert(0, os.path.dirname(__file__))
from client_throughput import PY, free_port, serving

MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: lat}}
tools:
  - name: work
    inputSchema: {{type: object}}
    behaviour: {{latency: {{distribution: lognormal, median: {median}ms, sigma: 0.5}}}}
    default: {{text: done}}
"""
LOAD = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: trial}}
server: {{url: "{url}"}}
sessions: shared
scenario: [{{call: work}}]
profile: {{model: vus, stages: [{{duration: {seconds}s, target: {vus}}}]}}
"""


async def one_run(spec_path: Path) -> object:
    from mcpctl.engine.load.record import load_suite
    from mcpctl.engine.load.runner import run_load
    from mcpctl.spec.build import load_specs

    spec = load_specs([str(spec_path)], environ={}).loads[0]
    return load_suite(await run_load(spec), spec)


def trial(directory: Path, base_url: str, cur_url: str, args: argparse.Namespace) -> set[str]:
    from mcpctl.engine.baseline import compare_load
    from mcpctl.spec.load_model import Regression

    suites = []
    for name, url in (("base", base_url), ("cur", cur_url)):
        path = directory / f"{name}.yaml"
        path.write_text(LOAD.format(url=url, seconds=args.seconds, vus=args.vus), encoding="utf-8")
        suites.append(trio.run(one_run, path))
    findings = compare_load(suites[0], suites[1], Regression())  # type: ignore[arg-type]
    return {f.metric for f in findings if f.regressed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--vus", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcpctl-bench-baseline-") as tmp:
        directory = Path(tmp)
        urls = {}
        with ExitStack() as servers:
            for name, median in (("normal", 5.0), ("slow", 6.5)):
                (directory / f"{name}.yaml").write_text(MOCK.format(median=median), encoding="utf-8")
                port = free_port()
                argv = [
                    PY,
                    "-m",
                    "mcpctl",
                    "mock",
                    "serve",
                    "--state-dir",
                    tmp,
                    str(directory / f"{name}.yaml"),
                    "--http",
                    f"127.0.0.1:{port}",
                ]
                urls[name] = servers.enter_context(serving(argv, port))
            slowed = [trial(directory, urls["normal"], urls["slow"], args) for _ in range(args.trials)]
            same = [trial(directory, urls["normal"], urls["normal"], args) for _ in range(args.trials)]
    caught_p99 = sum("p99" in found for found in slowed)
    caught_p50 = sum("p50" in found for found in slowed)
    false = sum(bool(found) for found in same)
    for index, found in enumerate(same):
        if found:
            print(f"unchanged trial {index + 1}: flagged {', '.join(sorted(found))}")
    print(f"\n## --baseline: {args.trials} trials each, {args.seconds:g} s at {args.vus} VUs per run\n")
    print("| mock | flagged | target | |")
    print("|---|---|---|---|")
    print(
        f"| 30% slower (median 5 -> 6.5 ms, lognormal) | p99 in {caught_p99}/{args.trials}, p50 in {caught_p50}/{args.trials} "
        f"| every trial | {'met' if caught_p99 == args.trials else 'NOT MET'} |"
    )
    print(
        f"| unchanged | anything in {false}/{args.trials} (false-positive rate {100 * false / args.trials:.0f}%) "
        f"| at most 1 of 20 | {'met' if false <= max(1, args.trials // 20) else 'NOT MET'} |"
    )


if __name__ == "__main__":
    main()
