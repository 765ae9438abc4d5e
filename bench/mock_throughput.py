"""`mcpctl mock serve` against equivalent servers on the official Python SDK and on fastmcp.

usage: python bench/mock_throughput.py [--only stdio|http] [--duration S] [--warmup S] [--rounds N]

Issue 5, acceptance 5: with no latency configured, the mock serves >= 3x the calls/s of an
equivalent official-SDK server and of fastmcp, on stdio and on HTTP, at 1 and 16 in flight, with
the same client in the same run. The servers all offer `echo(message)` answering "Echo: <message>":
bench/mocks/echo.yaml (the mock: a template rendered per call) and ../shared/bench/servers/
sdk_echo.py, fastmcp_echo.py (mcp 2.3.0 and fastmcp 4.2.3 from /tmp/benchenv, made by
`bash ../shared/bench/setup.sh`). Clients: stdio, mcpctl's pipelined client
(bench/clients/mcpctl_client.py); HTTP, wrk on a session opened beforehand (JSON answers for
every server: the fastest mode of each). Client on core 0, server on core 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Iterator

from client_throughput import (
    MCPCTL_CLIENT,
    PY,
    ROOT,
    SERVER_CPU,
    SHARED,
    _cell,
    _median,
    _ratio,
    _short,
    free_port,
    run_json,
    run_wrk,
    serving,
)

BENCH_PY = os.environ.get("BENCH_PY", "/tmp/benchenv/bin/python")
MOCK = [PY, "-m", "mcpctl", "mock", "serve", os.path.join(ROOT, "bench", "mocks", "echo.yaml")]
SDK = [BENCH_PY, os.path.join(SHARED, "servers", "sdk_echo.py")]
FASTMCP = [BENCH_PY, os.path.join(SHARED, "servers", "fastmcp_echo.py")]
SERVERS = {"mock": MOCK, "sdk": SDK, "fastmcp": FASTMCP}
DEPTHS = (1, 16)


def bench_stdio(args: argparse.Namespace) -> dict[tuple[str, int], dict]:
    window = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    rows: dict[tuple[str, int], list[dict]] = {}
    for rnd in range(args.rounds):
        for depth in DEPTHS:
            for name, server in SERVERS.items():
                cmd = [
                    PY,
                    MCPCTL_CLIENT,
                    "stdio",
                    *window,
                    "--conc",
                    str(depth),
                    "--",
                    *SERVER_CPU,
                    *server,
                    "stdio",
                ]
                if name == "mock":
                    cmd = cmd[:-1]  # the mock serves stdio by default
                r = run_json(cmd, args.warmup + args.duration + 60)
                print(f"round {rnd + 1} stdio {name} depth {depth}: {_short(r)}", file=sys.stderr)
                rows.setdefault((name, depth), []).append(r)
    return {key: _median(values) for key, values in rows.items()}


@contextlib.contextmanager
def http_server(name: str) -> Iterator[str]:
    port = free_port()
    if name == "mock":
        cmd = [*MOCK, "--http", f"127.0.0.1:{port}", "--json-response"]
    else:
        cmd = [*SERVERS[name], "http", str(port), "--json"]
    with serving(cmd, port) as url:
        yield url


def bench_http(args: argparse.Namespace) -> dict[tuple[str, int], dict]:
    rows: dict[tuple[str, int], list[dict]] = {}
    for rnd in range(args.rounds):
        for depth in DEPTHS:
            for name in SERVERS:
                with http_server(name) as url:
                    r = run_wrk(url, depth, args.duration, args.warmup)
                print(f"round {rnd + 1} http {name} depth {depth}: {_short(r)}", file=sys.stderr)
                rows.setdefault((name, depth), []).append(r)
    return {key: _median(values) for key, values in rows.items()}


def report(title: str, results: dict[tuple[str, int], dict]) -> None:
    print(f"\n## {title} (calls/s, p50 / p99 ms)\n")
    print("| in flight | mock | official SDK | fastmcp | mock × SDK | mock × fastmcp | ≥ 3× both |")
    print("|---|---|---|---|---|---|---|")
    for depth in DEPTHS:
        mock, sdk, fast = (results[(name, depth)] for name in SERVERS)
        ok = all("error" not in m for m in (mock, sdk, fast)) and (
            mock["cps_med"] >= 3 * sdk["cps_med"] and mock["cps_med"] >= 3 * fast["cps_med"]
        )
        print(
            f"| {depth} | {_cell(mock)} | {_cell(sdk)} | {_cell(fast)} | {_ratio(mock, sdk)} | "
            f"{_ratio(mock, fast)} | {'yes' if ok else 'NO'} |"
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["stdio", "http"])
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if not os.path.exists(BENCH_PY):
        raise SystemExit(
            f"{BENCH_PY} is missing: run `bash ../shared/bench/setup.sh` first (SDK and fastmcp)"
        )
    if args.only != "stdio" and shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk (or bash ../shared/bench/setup.sh)")
    if args.only != "http":
        report("stdio: tools/call echo, mcpctl's pipelined client", bench_stdio(args))
    if args.only != "stdio":
        report("Streamable HTTP (JSON answers): tools/call echo, wrk", bench_http(args))


if __name__ == "__main__":
    main()
