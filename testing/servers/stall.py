"""A stdio echo server that stalls once, whole, like a garbage-collection pause.

    python -m testing.servers.stall CALL SECONDS
    python -m testing.servers.stall CALL exit

Requests are answered one at a time, in order (the scenario server's ``echo``); when the CALL-th
``tools/call`` (from 1) arrives, the process sleeps SECONDS before answering it, so every request sent
meanwhile waits behind it; with ``exit`` it exits there instead, unanswered (a server that crashes). ``mcpctl mock serve`` cannot do this: it answers concurrently, so a latency set
on one response delays that response alone.
"""

from __future__ import annotations

import os
import sys
import time

import orjson

from testing.servers.scenarios import Server


class Stall(Server):
    def __init__(self, call: int, seconds: float | None) -> None:
        super().__init__("echo")
        self.stall_at = call
        self.seconds = seconds

    def answer(self, msg: dict) -> bytes | None:
        if msg.get("method") == "tools/call":
            self.calls += 1
            if self.calls == self.stall_at:
                if self.seconds is None:
                    os._exit(0)
                time.sleep(self.seconds)
        return super().answer(msg)


def main() -> None:
    server = Stall(int(sys.argv[1]), None if sys.argv[2] == "exit" else float(sys.argv[2]))
    buffer = b""
    while chunk := os.read(0, 1 << 16):
        *lines, buffer = (buffer + chunk).split(b"\n")
        for line in lines:
            if line.strip():
                answer = server.answer(orjson.loads(line))
                if answer is not None:
                    server.write(answer + b"\n")


if __name__ == "__main__":
    main()
