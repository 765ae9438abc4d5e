"""Scenario MCP servers over stdio, for tests and benchmarks: well-behaved and misbehaving.

    python -m testing.servers.scenarios BEHAVIOUR

BEHAVIOUR is one of:

- ``echo``: a fast, correct handshake-era server (tools ``echo``, ``add``, ``slow``; ``slow``
  sends progress and honours ``notifications/cancelled``). Answers ``server/discover`` with
  -32601 like every pre-2026 server. One read and one write per batch, like the raw server of
  ../shared/bench.
- ``bad_json``: answers ``tools/call`` with a line that is not JSON.
- ``wrong_id``: answers ``tools/call`` with the id plus 1000.
- ``truncated``: answers ``tools/call`` with half a frame, then exits.
- ``exit_mid_call``: exits with code 7 on ``tools/call`` (writing a line to stderr first).
- ``huge_frame``: answers ``tools/call`` with a 50 MB frame, then a normal answer to the next.
- ``hang``: never answers ``tools/call``.
- ``flaky``: like ``echo``, but every other ``tools/call`` (the first, third, …) answers ``isError``.
- ``bad_tools``: like ``echo``, but lists ``echo`` twice and a tool whose inputSchema is not a valid JSON Schema.
- ``noisy``: writes a non-JSON log line to stdout before each answer.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import orjson

TOOLS = [
    {
        "name": "echo",
        "description": "Echo the message back.",
        "inputSchema": {
            "type": "object",
            "properties": {"message": {"type": "string"}},
            "required": ["message"],
        },
        "annotations": {"readOnlyHint": True},
    },
    {
        "name": "add",
        "description": "Add two numbers.",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
            "required": ["a", "b"],
        },
        "outputSchema": {"type": "object", "properties": {"sum": {"type": "number"}}, "required": ["sum"]},
    },
    {
        "name": "slow",
        "description": "Sleep, reporting progress; stops early when cancelled.",
        "inputSchema": {
            "type": "object",
            "properties": {"seconds": {"type": "number"}, "steps": {"type": "integer"}},
        },
    },
]
# what a sloppy server lists: a schema that is not JSON Schema, and one name twice
BAD_TOOLS = [
    *TOOLS,
    {"name": "echo", "description": "A second echo.", "inputSchema": {"type": "object"}},
    {"name": "broken", "inputSchema": {"type": "object", "properties": {"x": {"type": "nope"}}}},
]
KNOWN = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")


class Server:
    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.cancelled: set[object] = set()
        self.calls = 0
        self.lock = threading.Lock()

    def write(self, data: bytes) -> None:
        with self.lock:
            while data:
                n = os.write(1, data)
                data = data[n:]

    def answer(self, msg: dict) -> bytes | None:
        method, mid = msg.get("method"), msg.get("id")
        if method == "notifications/cancelled":
            self.cancelled.add((msg.get("params") or {}).get("requestId"))
            sys.stderr.write(f"cancelled {(msg.get('params') or {}).get('requestId')}\n")
            sys.stderr.flush()
            return None
        if mid is None or method is None:
            return None
        params = msg.get("params") or {}
        if method == "tools/call" and self.behaviour not in ("echo", "bad_tools"):
            return self.misbehave(mid, params)
        if method == "initialize":
            pv = params.get("protocolVersion")
            result = {
                "protocolVersion": pv if pv in KNOWN else KNOWN[-1],
                "capabilities": {"tools": {"listChanged": False}, "logging": {}},
                "serverInfo": {"name": f"scenario-{self.behaviour}", "version": "1.0"},
            }
        elif method == "tools/list":
            result = {"tools": BAD_TOOLS if self.behaviour == "bad_tools" else TOOLS}
        elif method == "ping" or method == "logging/setLevel":
            result = {}
        elif method == "tools/call":
            return self.call(mid, params)
        else:
            return orjson.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": mid,
                    "error": {"code": -32601, "message": f"Method not found: {method}"},
                }
            )
        return orjson.dumps({"jsonrpc": "2.0", "id": mid, "result": result})

    def call(self, mid: object, params: dict) -> bytes | None:
        name, args = params.get("name"), params.get("arguments") or {}
        if name == "echo":
            result = {"content": [{"type": "text", "text": str(args.get("message", ""))}], "isError": False}
        elif name == "add":
            total = args.get("a", 0) + args.get("b", 0)
            result = {"content": [{"type": "text", "text": str(total)}], "structuredContent": {"sum": total}}
        elif name == "slow":
            token = (params.get("_meta") or {}).get("progressToken")
            threading.Thread(target=self.slow, args=(mid, token, args), daemon=True).start()
            return None
        else:
            result = {"content": [{"type": "text", "text": f"unknown tool {name}"}], "isError": True}
        return orjson.dumps({"jsonrpc": "2.0", "id": mid, "result": result})

    def slow(self, mid: object, token: object, args: dict) -> None:
        seconds, steps = float(args.get("seconds", 1.0)), int(args.get("steps", 4))
        for step in range(steps):
            time.sleep(seconds / steps)
            if mid in self.cancelled:
                return
            if token is not None:
                note = {
                    "progressToken": token,
                    "progress": step + 1,
                    "total": steps,
                    "message": f"step {step + 1}",
                }
                self.write(
                    orjson.dumps({"jsonrpc": "2.0", "method": "notifications/progress", "params": note})
                    + b"\n"
                )
        result = {"content": [{"type": "text", "text": f"slept {seconds}s"}]}
        self.write(orjson.dumps({"jsonrpc": "2.0", "id": mid, "result": result}) + b"\n")

    def misbehave(self, mid: object, params: dict) -> bytes | None:
        ok = {"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "ok"}]}}
        b = self.behaviour
        if b == "bad_json":
            return b'{"jsonrpc": "2.0", "id": ' + str(mid).encode() + b', "result": {oops'
        if b == "wrong_id":
            return orjson.dumps({**ok, "id": int(mid) + 1000})  # type: ignore[call-overload]
        if b == "truncated":
            self.write(orjson.dumps(ok)[:20])
            os._exit(0)
        if b == "exit_mid_call":
            sys.stderr.write("fatal: simulated crash in tools/call\n")
            sys.stderr.flush()
            os._exit(7)
        if b == "huge_frame":
            self.behaviour = "echo"  # the next call is answered normally
            filler = "x" * (50 * 1024 * 1024)
            return orjson.dumps({**ok, "result": {"content": [{"type": "text", "text": filler}]}})
        if b == "hang":
            return None
        if b == "flaky":  # every other call fails: a retry passes
            self.calls += 1
            if self.calls % 2:
                fail = {"content": [{"type": "text", "text": "try again"}], "isError": True}
                return orjson.dumps({"jsonrpc": "2.0", "id": mid, "result": fail})
            return self.call(mid, params)
        if b == "noisy":
            self.write(b"log: handling tools/call\n")
            self.behaviour = "echo"
            out = self.call(mid, params)
            self.behaviour = "noisy"
            return out
        raise SystemExit(f"unknown behaviour {b}")


def main() -> None:
    behaviour = sys.argv[1] if len(sys.argv) > 1 else "echo"
    server = Server(behaviour)
    buf = b""
    while True:
        chunk = os.read(0, 1 << 16)
        if not chunk:
            return
        buf += chunk
        if b"\n" not in chunk:
            continue
        *lines, buf = buf.split(b"\n")
        out = []
        for line in lines:
            if not line.strip():
                continue
            try:
                msg = orjson.loads(line)
                if isinstance(msg, list):  # a JSON-RPC batch: the answers go back as one array
                    answers = [a for a in (server.answer(m) for m in msg) if a is not None]
                    answer = b"[" + b",".join(answers) + b"]" if answers else None
                else:
                    answer = server.answer(msg)
            except orjson.JSONDecodeError:
                answer = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}'
            if answer is not None:
                out.append(answer)
        if out:
            server.write(b"\n".join(out) + b"\n")


if __name__ == "__main__":
    main()
