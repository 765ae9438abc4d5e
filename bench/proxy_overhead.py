"""What `mcpctl proxy` (no faults) adds to a call over stdio: p50 per call, direct vs through the proxy.

usage: python bench/proxy_overhead.py [--duration S] [--warmup S] [--rounds N]

Servers: the official SDK's stdio echo server (../shared/bench/servers/sdk_echo.py) and
@modelcontextprotocol/server-everything (stdio). Clients: mcpctl's (bench/clients/mcpctl_client.py,
one call at a time, each awaited) and the official SDK's ClientSession (../shared/bench/clients/
sdk_client.py): the SDK client also proves the proxy transparent to a client that is not mcpctl.
Each cell is a fresh client process with a fresh server, direct or as
`mcpctl proxy --quiet -- SERVER`; rounds are interleaved and the median p50 over rounds is shown.
Target (issue 8): the proxy adds <= 0.2 ms p50 per call. Server (and proxy) run on core 1, the client
on core 0. Run nothing else meanwhile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

from client_throughput import (
    CLIENT_CPU,
    EVERYTHING,
    MCPCTL_CLIENT,
    PY,
    SERVER_CPU,
    SERVER_PY,
    SHARED,
    run_json,
)

SERVERS = {
    "sdk": [SERVER_PY, os.path.join(SHARED, "servers", "sdk_echo.py"), "stdio"],
    "everything": ["node", os.path.join(EVERYTHING, "dist", "index.js"), "stdio"],
}
CLIENTS = {
    "mcpctl": lambda window: [
        *CLIENT_CPU,
        PY,
        MCPCTL_CLIENT,
        "stdio",
        *window,
        "--conc",
        "1",
        "--api",
        "await",
    ],
    "sdk-client": lambda window: [
        *CLIENT_CPU,
        PY,
        os.path.join(SHARED, "clients", "sdk_client.py"),
        "stdio",
        *window,
        "--conc",
        "1",
    ],
}
PROXY = [PY, "-m", "mcpctl", "proxy", "--quiet", "--"]
TARGET_MS = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    window = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
    p50: dict[tuple[str, str, str], list[float]] = {}
    for rnd in range(args.rounds):
        for server, command in SERVERS.items():
            for client, make in CLIENTS.items():
                for way, prefix in (("direct", []), ("proxy", PROXY)):
                    result = run_json(
                        [*make(window), "--", *SERVER_CPU, *prefix, *command], args.duration + 90
                    )
                    errors = result.get("errors", 0)
                    print(
                        f"round {rnd + 1} {server} {client} {way}: p50 {result['p50_ms']:.3f} ms, "
                        f"{result['cps']:.0f} calls/s, {errors} errors",
                        file=sys.stderr,
                    )
                    p50.setdefault((server, client, way), []).append(result["p50_ms"])
    print("\n## mcpctl proxy (no faults) over stdio: p50 ms per call, one call at a time\n")
    print("| server | client | direct p50 | through proxy p50 | added | target |")
    print("|---|---|---|---|---|---|")
    for server in SERVERS:
        for client in CLIENTS:
            direct = statistics.median(p50[(server, client, "direct")])
            proxied = statistics.median(p50[(server, client, "proxy")])
            added = proxied - direct
            verdict = "ok" if added <= TARGET_MS else "MISSED"
            print(
                f"| {server} | {client} | {direct:.3f} | {proxied:.3f} | {added:+.3f} ms "
                f"({proxied / direct:.2f}×) | ≤ {TARGET_MS} ms: {verdict} |"
            )


if __name__ == "__main__":
    main()
