"""The ceiling of the mock's HTTP transport: wrk against serve_http with a trivial app.

usage: .venv/bin/python bench/mock_http_raw.py [--duration S] [--conns 1,16] [--json]

The server runs in a child process (its own trio run, one core); wrk (one thread) posts
tools/call echo on one initialized session, as ../shared/bench/lib/wrk_mcp.lua does. Prints
req/s and p50/p99 per connection count. The app answers from a dict, so the numbers are the
transport's own cost: what the full mock can at best reach over HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT.parent / "shared" / "bench" / "lib" / "wrk_mcp.lua"

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


def _initialize(url: str) -> str:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "b", "version": "0"},
            },
        }
    ).encode()
    req = urllib.request.Request(
        url,
        data=body,
        headers={"content-type": "application/json", "accept": "application/json, text/event-stream"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()
        return str(resp.headers["mcp-session-id"])


def _wrk(url: str, sid: str, conns: int, duration: int) -> dict[str, int]:
    env = {**os.environ, "MCP_SID": sid, "MCP_PROTO": "2025-11-25"}
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout", "10s", "-s", str(LUA), url]
    out = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=duration + 30, check=True
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("WRKJSON "))
    return dict(json.loads(line[len("WRKJSON ") :]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--conns", default="1,16")
    ap.add_argument("--json", action="store_true", help="JSON answer mode (default: SSE answers)")
    args = ap.parse_args()
    code = SERVER.format(root=str(ROOT), json=args.json)
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        sid = _initialize(url)
        _wrk(url, sid, 1, 1)  # warm up
        mode = "json" if args.json else "sse"
        print(f"serve_http ({mode} answers), wrk -t1, tools/call echo on one session")
        print("| connections | req/s | p50 ms | p99 ms | errors |")
        print("|---|---|---|---|---|")
        for conns in (int(c) for c in args.conns.split(",")):
            r = _wrk(url, sid, conns, args.duration)
            rate = r["requests"] / (r["duration_us"] / 1e6)
            print(
                f"| {conns} | {rate:,.0f} | {r['p50_us'] / 1000:.3f} | {r['p99_us'] / 1000:.3f} | {r['errors']} |"
            )
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
