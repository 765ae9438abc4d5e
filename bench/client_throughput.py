"""mcpctl's client against peers measured in the same run: calls/s and p50/p99 latency.

usage: python bench/client_throughput.py [--only stdio|http] [--duration S] [--warmup S] [--rounds N]
                                        [--servers sdk,sdk-json,everything]

stdio: the raw echo server of ../shared/bench/servers/raw_echo.py at 1 and 64 in flight, driven by
  raw-trio (../shared/bench/clients/raw_stdio.py), the official SDK's ClientSession
  (../shared/bench/clients/sdk_client.py) and mcpctl (bench/clients/mcpctl_client.py, both the
  pipelined load path and N tasks awaiting `session.request`).
  Targets: mcpctl >= 0.9x raw-trio and >= 3x the SDK client at both depths.
http: the official SDK server (../shared/bench/servers/sdk_echo.py: SSE answers, and --json)
  and server-everything (streamableHttp) at 1, 16 and 64 in flight, driven by wrk (C, on a session
  opened here) and by mcpctl's pipelined client on the lean (httptools) backend. Target: >= 0.9x wrk.

Every cell runs in its own client process with a wall-clock limit; each HTTP cell gets a fresh
server (server-everything's event store grows with every answer). Rounds are interleaved and the
median over rounds is shown. Run nothing else meanwhile: client and server share 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "bench")
PY = sys.executable
EVERYTHING = os.path.join(
    ROOT, ".cache", "node", "node_modules", "@modelcontextprotocol", "server-everything"
)
# Client on core 0, server on core 1: a ping-pong is two-humped on 2 cores (same-core hand-offs
# are much faster than cross-core wake-ups), so unpinned runs differ by 2x from run to run.
CLIENT_CPU = ["taskset", "-c", "0"]
SERVER_CPU = ["taskset", "-c", "1"]
RAW_SERVER = [*SERVER_CPU, PY, os.path.join(SHARED, "servers", "raw_echo.py")]
WRK_LUA = os.path.join(SHARED, "lib", "wrk_mcp.lua")
LOOPBACK = os.path.join(SHARED, "lib", "loopback.cjs")
MCPCTL_CLIENT = os.path.join(HERE, "clients", "mcpctl_client.py")
SERVER_PY = os.environ.get("BENCH_PY", "/tmp/benchenv/bin/python")
"""The Python of the Python servers: ../shared/bench's venv (bash ../shared/bench/setup.sh), as in its
RESULTS.md, else this one (the SDK is a dev dependency here). Their speed differs with the venv's
uvicorn and httptools: the SDK server answers in ~0.46 ms from this venv, ~0.55 ms from the shared one."""
if not os.path.exists(SERVER_PY):
    SERVER_PY = PY


def run_bounded(
    cmd: list[str], limit: float, *, env: dict[str, str] | None = None, cwd: str | None = None
) -> tuple[int | None, str, str]:
    """Run ``cmd`` on the client core in its own process group, killed whole after ``limit`` seconds.

    Returns (returncode or None on timeout, stdout, stderr)."""
    proc = subprocess.Popen(
        [*CLIENT_CPU, *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env=env,
        cwd=cwd or ROOT,
    )
    try:
        out, err = proc.communicate(timeout=limit)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        killpg(proc.pid)
        out, err = proc.communicate()
        return None, out, err
    finally:
        killpg(proc.pid)  # whatever the client left behind in its group


def killpg(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads, if it is still there."""
    with suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_json(cmd: list[str], limit: float, env: dict[str, str] | None = None) -> dict:
    """The last JSON line ``cmd`` prints (``{"error": ...}`` when it fails or overruns ``limit``)."""
    code, out, err = run_bounded(cmd, limit, env=env)
    if code is None:
        return {"error": f"timed out after {limit:.0f}s"}
    line = next((ln for ln in reversed(out.splitlines()) if ln.startswith("{")), None)
    if code != 0 or line is None:
        return {"error": f"rc={code}: {(out + err).strip()[-300:]}"}
    return json.loads(line)


# -- stdio ------------------------------------------------------------------------------------
STDIO_CLIENTS = {
    "raw-trio": lambda n, a: [PY, os.path.join(SHARED, "clients", "raw_stdio.py"), *a, "--conc", str(n)],
    "sdk-py": lambda n, a: [
        PY,
        os.path.join(SHARED, "clients", "sdk_client.py"),
        "stdio",
        *a,
        "--conc",
        str(n),
    ],
    "mcpctl": lambda n, a: [PY, MCPCTL_CLIENT, "stdio", *a, "--conc", str(n), "--api", "pipeline"],
    "mcpctl-await": lambda n, a: [PY, MCPCTL_CLIENT, "stdio", *a, "--conc", str(n), "--api", "await"],
}


def bench_stdio(args: argparse.Namespace) -> None:
    window = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    results: dict[tuple[str, int], list[dict]] = {}
    for rnd in range(args.rounds):
        for depth in (1, 64):
            for name, make in STDIO_CLIENTS.items():
                cmd = [*make(depth, window), "--", *RAW_SERVER]
                r = run_json(cmd, args.warmup + args.duration + 60)
                print(f"round {rnd + 1} stdio {name} depth {depth}: {_short(r)}", file=sys.stderr)
                results.setdefault((name, depth), []).append(r)
    print("\n## stdio: tools/call echo against the raw echo server (calls/s, p50 / p99 ms)\n")
    print("| client | in flight | calls/s | p50 ms | p99 ms | × raw-trio | × sdk-py |")
    print("|---|---|---|---|---|---|---|")
    verdicts = []
    for depth in (1, 64):
        raw = _median(results[("raw-trio", depth)])
        sdk = _median(results[("sdk-py", depth)])
        for name in STDIO_CLIENTS:
            m = _median(results[(name, depth)])
            print(
                f"| {name} | {depth} | {_cps(m)} | {_p(m, 'p50_ms')} | {_p(m, 'p99_ms')} | {_ratio(m, raw)} | {_ratio(m, sdk)} |"
            )
        m = _median(results[("mcpctl", depth)])
        verdicts.append(
            f"depth {depth}: mcpctl {_ratio(m, raw)} raw-trio (target ≥ 0.9×), {_ratio(m, sdk)} sdk-py (target ≥ 3×)"
        )
    print()
    for v in verdicts:
        print(f"- {v}")


# -- HTTP -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(cmd: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run HTTP server ``cmd`` on the server core until it listens on ``port``; yield its /mcp URL."""
    proc = subprocess.Popen(
        [*SERVER_CPU, *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"{cmd[0]} did not listen on {port}")
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        killpg(proc.pid)
        proc.wait()


@contextmanager
def http_server(kind: str) -> Iterator[str]:
    """A fresh ``sdk``, ``sdk-json``, ``everything`` or ``raw`` server on the server core; its /mcp URL."""
    port = free_port()
    env = dict(os.environ)
    if kind == "everything":
        env["PORT"] = str(port)
        cmd = ["node", "--require", LOOPBACK, os.path.join(EVERYTHING, "dist", "index.js"), "streamableHttp"]
    elif kind == "raw":  # the near-limit server: asyncio + orjson, plain JSON answers
        cmd = [SERVER_PY, os.path.join(SHARED, "servers", "raw_http_echo.py"), str(port)]
    else:
        # servers/sdk_echo.py: its echo takes `message`, what wrk and mcpctl send (echo_server.py's takes
        # `text`: every call would measure a validation error)
        cmd = [SERVER_PY, os.path.join(SHARED, "servers", "sdk_echo.py"), "http", str(port)]
        if kind == "sdk-json":
            cmd.append("--json")
    with serving(cmd, port, env) as url:
        yield url


def http_session(url: str) -> tuple[str, str]:
    """Open a handshake-era session for wrk, as ../shared/bench/harness.py does."""
    import httpx

    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "wrk", "version": "0"},
        },
    }
    with httpx.Client(timeout=10) as client:
        r = client.post(url, json=init, headers=headers)
        sid = r.headers.get("mcp-session-id", "")
        headers.update({"mcp-protocol-version": "2025-11-25", **({"mcp-session-id": sid} if sid else {})})
        client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return sid, "2025-11-25"


def run_wrk(url: str, conc: int, duration: float, warmup: float) -> dict:
    sid, proto = http_session(url)
    env = dict(os.environ, MCP_SID=sid, MCP_PROTO=proto)
    base = [*CLIENT_CPU, "wrk", "-t1", f"-c{conc}", "--timeout", "10s", "-s", WRK_LUA]
    cut = len(CLIENT_CPU) + 3
    subprocess.run(
        [*base[:cut], f"-d{max(1, int(warmup))}s", *base[cut:], url],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    out = subprocess.run(
        [*base[:cut], f"-d{int(duration)}s", *base[cut:], url],
        env=env,
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    ).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        return {"error": out[-300:]}
    w = json.loads(line[8:])
    secs = w["duration_us"] / 1e6
    return {
        "cps_med": w["requests"] / secs,
        "p50_ms": w["p50_us"] / 1e3,
        "p99_ms": w["p99_us"] / 1e3,
        "errors": w["errors"],
    }


def bench_http(args: argparse.Namespace) -> None:
    servers = args.servers.split(",")
    depths = (1, 16, 64)
    results: dict[tuple[str, str, int], list[dict]] = {}
    window = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    for rnd in range(args.rounds):
        for server in servers:
            for depth in depths:
                for client in ("wrk", "mcpctl"):
                    with http_server(server) as url:
                        if client == "wrk":
                            r = run_wrk(url, depth, args.duration, args.warmup)
                        else:
                            cmd = [
                                PY,
                                MCPCTL_CLIENT,
                                "http",
                                url,
                                *window,
                                "--conc",
                                str(depth),
                                "--protocol",
                                "2025-11-25",
                            ]
                            r = run_json(cmd, args.warmup + args.duration + 60)
                    print(
                        f"round {rnd + 1} http {server} {client} depth {depth}: {_short(r)}", file=sys.stderr
                    )
                    results.setdefault((server, client, depth), []).append(r)
    print("\n## Streamable HTTP: tools/call echo, one session, N in flight (calls/s, p50 / p99 ms)\n")
    print("| server | in flight | wrk | mcpctl (lean, pipelined) | mcpctl ÷ wrk |")
    print("|---|---|---|---|---|")
    for server in servers:
        for depth in depths:
            w = _median(results[(server, "wrk", depth)])
            m = _median(results[(server, "mcpctl", depth)])
            print(f"| {server} | {depth} | {_cell(w)} | {_cell(m)} | {_ratio(m, w)} |")


# -- formatting -------------------------------------------------------------------------------
def _median(rows: list[dict]) -> dict:
    good = [r for r in rows if "error" not in r]
    if not good:
        return {"error": rows[0].get("error", "?") if rows else "no run"}
    return {k: statistics.median(r[k] for r in good) for k in ("cps_med", "p50_ms", "p99_ms")}


def _cps(m: dict) -> str:
    return "error" if "error" in m else f"{m['cps_med']:,.0f}"


def _p(m: dict, key: str) -> str:
    return "" if "error" in m else f"{m[key]:.3g}"


def _cell(m: dict) -> str:
    return "error" if "error" in m else f"{m['cps_med']:,.0f} ({m['p50_ms']:.3g} / {m['p99_ms']:.3g})"


def _ratio(m: dict, ref: dict) -> str:
    if "error" in m or "error" in ref or not ref["cps_med"]:
        return "n/a"
    return f"{m['cps_med'] / ref['cps_med']:.2f}×"


def _short(r: dict) -> str:
    if "error" in r:
        return f"ERROR {r['error'][:200]}"
    return f"{r['cps_med']:,.0f}/s p50 {r['p50_ms']:.3g} p99 {r['p99_ms']:.3g} errors {r.get('errors', 0)}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["stdio", "http"])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument(
        "--servers", default="sdk,sdk-json,everything", help="HTTP servers: sdk, sdk-json, everything"
    )
    args = ap.parse_args()
    if args.only != "stdio" and shutil.which("wrk") is None:
        sys.exit("wrk is needed for the HTTP part: apt-get install -y wrk (or run with --only stdio)")
    if not os.path.isdir(SHARED):
        sys.exit(f"the peers live in {SHARED} (../shared/bench beside the repository)")
    print(
        f"# client throughput — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    if args.only in (None, "stdio"):
        bench_stdio(args)
    if args.only in (None, "http"):
        bench_http(args)


if __name__ == "__main__":
    main()
