"""How fast each report format renders a big run (issue 12, acceptance 2): 100,000 case results in
memory → JSON, CSV and JUnit in <= 3 s each, HTML in <= 5 s; a 1,000-result PDF in <= 10 s; and, as the
original system promised, < 5 s for 1,000 results in any format.

    .venv/bin/python bench/report_speed.py [--cases N]

A format is one line of :data:`BUDGETS` (its renderer comes from ``mcpctl.report.FORMATS``; one not
built yet prints ``not available``).
"""

from __future__ import annotations

import argparse
import time

from mcpctl.engine.results import CaseResult, LatencySummary, RunResult, SuiteResult
from mcpctl.report import FORMATS

BUDGETS: dict[str, tuple[int, float]] = {
    # format: (cases, budget in seconds)
    "json": (100_000, 3.0),
    "csv": (100_000, 3.0),
    "junit": (100_000, 3.0),
    "markdown": (100_000, 3.0),
    "html": (100_000, 5.0),
    "pdf": (1_000, 10.0),
}
SMALL = (1_000, 5.0)
"""The original system's promise: 1,000 results in any format in under 5 s."""


def big_run(cases: int) -> RunResult:
    """``cases`` results over 100 suites: 1 in 50 failed with details, 1 in 10 with a latency summary."""
    latency = LatencySummary(count=100, min=0.5, p50=1.25, p90=2.0, p95=2.5, p99=3.75, max=4.0, mean=1.5)
    per_suite = max(1, cases // 100)
    suites = []
    for s in range(0, cases, per_suite):
        made = tuple(
            CaseResult(
                name=f"case {n} calls echo",
                status="failed" if n % 50 == 0 else "passed",
                duration_ms=1.5 + n % 7,
                message="text: expected to contain 'bye', got 'hi'" if n % 50 == 0 else "",
                details=("- bye", "+ hi") if n % 50 == 0 else (),
                latency=latency if n % 10 == 0 else None,
                output=">> tools/call echo {message: hi}\n<< hi" if n % 50 == 0 else "",
                file=f"specs/suite{s}.yaml",
                line=7 + n % 100,
            )
            for n in range(s, min(cases, s + per_suite))
        )
        suites.append(
            SuiteResult(
                kind="TestSuite",
                name=f"suite {s}",
                server="echo",
                spec_path=f"specs/suite{s}.yaml",
                cases=made,
            )
        )
    return RunResult(
        run_id="bench", command="test", started_at=time.time(), duration_ms=1.0, suites=tuple(suites)
    )


def measure(name: str, run: RunResult) -> tuple[float, int]:
    """Seconds to render ``run`` as ``name`` (best of 3) and the size of the text."""
    render = FORMATS[name]
    best, size = float("inf"), 0
    for _ in range(3):
        start = time.perf_counter()
        text = render(run, redact=str)
        best, size = min(best, time.perf_counter() - start), len(text)
    return best, size


def main() -> None:
    """Print one line per format and size: time, budget, verdict."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=None, help="Override the big run's size.")
    args = parser.parse_args()
    runs: dict[int, RunResult] = {}
    print(f"{'format':<9} {'cases':>8} {'seconds':>8} {'budget':>7} {'MB':>7}  verdict")
    for name, (cases, budget) in BUDGETS.items():
        for size, limit in {(args.cases or cases, budget), SMALL}:
            if name not in FORMATS:
                print(f"{name:<9} {size:>8,} {'-':>8} {limit:>6.1f}s {'-':>7}  not available")
                continue
            run = runs.setdefault(size, big_run(size))
            seconds, chars = measure(name, run)
            verdict = "ok" if seconds <= limit else "OVER BUDGET"
            print(f"{name:<9} {size:>8,} {seconds:>8.3f} {limit:>6.1f}s {chars / 1e6:>7.1f}  {verdict}")


if __name__ == "__main__":
    main()
