"""mcpctl's client under the same closed-loop load as the peers in ../shared/bench/clients.

usage: mcpctl_client.py stdio [--conc N] [--duration S] [--warmup S] [--api pipeline|await] -- SERVER CMD...
       mcpctl_client.py http URL [--conc N] [--duration S] [--warmup S] [--api ...] [--protocol P]

Prints one JSON line in the shared benchlib format. `--api pipeline` is the load path
(mcpctl.mcp.pipeline.run_closed_loop: N in flight on one session, no task per call);
`--api await` is N tasks each awaiting `session.request` in a loop (the general API).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import trio

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench", "lib")
)
from benchlib import Window, emit, split_argv

from mcpctl.mcp.client import HttpTarget, ServerTarget, StdioTarget, open_client
from mcpctl.mcp.pipeline import run_closed_loop
from mcpctl.mcp.session import ClientSession, Reply

PARAMS = {"name": "echo", "arguments": {"message": "hello"}}


async def pipeline(session: ClientSession, win: Window, conc: int, total: float) -> None:
    def record(reply: Reply) -> None:
        win.record(reply.sent_ns / 1e9, reply.received_ns / 1e9, reply.error is None)

    await run_closed_loop(
        session, lambda _: ("tools/call", PARAMS), depth=conc, duration=total, on_reply=record
    )


async def awaiting(session: ClientSession, win: Window, conc: int, total: float) -> None:
    async def worker() -> None:
        while win.open():
            t0 = time.perf_counter()
            reply = await session.request_reply("tools/call", PARAMS)
            win.record(t0, time.perf_counter(), reply.error is None)

    async with trio.open_nursery() as nursery:
        for _ in range(conc):
            nursery.start_soon(worker)


async def main(target: ServerTarget, args: argparse.Namespace) -> dict:
    async with open_client(target, protocol=args.protocol) as client:
        await client.list_tools()
        win = Window(args.warmup, args.duration)
        drive = pipeline if args.api == "pipeline" else awaiting
        await drive(client.session, win, args.conc, args.warmup + args.duration)
        n = client.negotiated
    return win.summary(
        client=f"mcpctl-{args.api}", conc=args.conc, proto=n.protocol_version, server_info=n.server_info
    )


def cli() -> None:
    argv, cmd = split_argv(sys.argv[1:])
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["stdio", "http"])
    ap.add_argument("url", nargs="?")
    ap.add_argument("--conc", type=int, default=1)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--api", choices=["pipeline", "await"], default="pipeline")
    ap.add_argument("--protocol", default="auto")
    ap.add_argument("--backend", choices=["lean", "httpx"], default="lean")
    args = ap.parse_args(argv)
    target: ServerTarget
    if args.mode == "stdio":
        target = StdioTarget(command=tuple(cmd))
    else:
        target = HttpTarget(url=args.url, backend=args.backend)
    emit(trio.run(main, target, args))


if __name__ == "__main__":
    cli()
