"""The ceiling of the mock's HTTP transport: wrk against serve_http with a trivial app.

usage: .venv/bin/python bench/mock_http_raw.py [--duration S] [--conns 1,16] [--json]

The server runs in a child process (its own trio run, on core 1); wrk (one thread, core 0) posts
tools/call echo on one initialized session, as ../shared/bench/lib/wrk_mcp.lua does. Prints
req/s and p50/p99 per connection count. The app answers from a dict, so the numbers are the
transport's own cost: what the full mock can at best reach over HTTP.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from client_throughput import SERVER_CPU, run_wrk

ROOT = Path(__file__).resolve().parent.parent

SERVER = r"""
import sys, trio
sys.path.insert(0, {root!r})
from mcpctl.mock.http import serve_http

class Session:
    async def handle(self, message, related):
        if "id" not in message:
            return None
        if message["method"] == "initialize":
            return {{"jsonrpc": "2.0", "id": message["id"], "result": {{"protocolVersion": "2025-11-25",
                    "capabilities": {{"tools": {{}}}}, "serverInfo": {{"name": "raw", "version": "0"}}}}}}
        text = message["params"]["arguments"]["message"]
        return {{"jsonrpc": "2.0", "id": message["id"], "result": {{"content": [{{"type": "text", "text": text}}]}}}}
    def close(self):
        pass

class App:
    def open_session(self, unsolicited):
        return Session()

async def main():
    async with trio.open_nursery() as nursery:
        url = await nursery.start(lambda task_status: serve_http(App(), json_response={json}, task_status=task_status))
        print(url, flush=True)

trio.run(main)
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--conns", default="1,16")
    ap.add_argument("--json", action="store_true", help="JSON answer mode (default: SSE answers)")
    args = ap.parse_args()
    code = SERVER.format(root=str(ROOT), json=args.json)
    server = subprocess.Popen([*SERVER_CPU, sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        mode = "json" if args.json else "sse"
        print(f"serve_http ({mode} answers), wrk -t1, tools/call echo on one session")
        print("| connections | req/s | p50 ms | p99 ms | errors |")
        print("|---|---|---|---|---|")
        for conns in (int(c) for c in args.conns.split(",")):
            # a fresh session each time, and a warm-up, as every wrk row in bench/ is measured
            r = run_wrk(url, conns, args.duration, 1.0)
            print(
                f"| {conns} | {r['cps_med']:,.0f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | {r['errors']} |"
            )
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
