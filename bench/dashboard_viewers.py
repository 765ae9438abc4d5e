"""What live viewers cost the dashboard: the CPU of ``mcpctl dashboard --monitor`` while 50 browsers follow its
``/api/v1/events`` WebSocket, beside a bare broadcast server doing only the sending.

usage: python bench/dashboard_viewers.py [--viewers N] [--servers N] [--seconds S]

The dashboard runs as a user starts it (a child process on core 0): a Monitor probing ``--servers`` sessions
(default 20) of one ``mcpctl mock serve --http`` (core 1) every second, the state store, the pages. Its CPU
(utime + stime from /proc) is measured for ``--seconds`` with no viewer, then with ``--viewers`` (default 50)
WebSocket clients in this process (core 1) reading every message: samples, health changes and the status
snapshot pushed once a second. The viewers' cost is the difference. The peer, measured in the same run: a
minimal trio-websocket server (core 0) that sends each of the same number of clients one message of the
status snapshot's size every second, plus one of a sample's size per probe, and does nothing else.
Target: 50 viewers at a 1 s update rate cost <= 10 % of one core.

Run nothing else meanwhile: the machine has 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from client_throughput import CLIENT_CPU, PY, ROOT, free_port, killpg, serving

TARGET = 10.0
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def wait_listening(port: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {limit:.0f}s")


@contextmanager
def child(cmd: list[str], port: int) -> Iterator[int]:
    """Run ``cmd`` on core 0 until it listens on ``port``; yield its pid."""
    proc = subprocess.Popen(
        [*CLIENT_CPU, *cmd],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        wait_listening(port)
        yield proc.pid
    finally:
        killpg(proc.pid)
        proc.wait()


def monitor_file(directory: str, url: str, servers: int) -> str:
    """A Monitor probing ``servers`` sessions of the mock at ``url`` every second."""
    import yaml

    docs = [
        {
            "apiVersion": "mcpctl/v1",
            "kind": "Servers",
            "metadata": {"name": "fleet"},
            "servers": {f"srv-{i:02d}": {"url": url} for i in range(servers)},
        },
        {
            "apiVersion": "mcpctl/v1",
            "kind": "Monitor",
            "metadata": {"name": "viewers"},
            "defaults": {"interval": "1s", "timeout": "900ms", "probe": {"ping": {}}},
            "health": {"window": "5m", "degraded": ["p99 > 500ms"], "unhealthy": ["error_rate > 20%"]},
            "servers": [{"server": f"srv-{i:02d}"} for i in range(servers)],
        },
    ]
    path = os.path.join(directory, "monitor.yaml")
    with open(path, "w") as handle:
        yaml.safe_dump_all(docs, handle, sort_keys=False)
    return path


async def follow(url: str, viewers: int, seconds: float, counts: list[int]) -> None:
    """``viewers`` WebSocket clients reading every message of ``url`` for ``seconds``."""
    import trio
    from trio_websocket import ConnectionClosed, open_websocket_url

    async def viewer(index: int) -> None:
        async with open_websocket_url(url) as ws:
            try:
                while True:
                    await ws.get_message()
                    counts[index] += 1
            except ConnectionClosed:
                return

    with trio.move_on_after(seconds):
        async with trio.open_nursery() as nursery:
            for index in range(viewers):
                nursery.start_soon(viewer, index)


def measure(pid: int, url: str | None, viewers: int, seconds: float) -> tuple[float, float]:
    """Percent of one core ``pid`` used over ``seconds`` (with ``viewers`` following ``url``), and the
    messages each viewer got per second."""
    import trio

    counts = [0] * viewers
    if url is not None and viewers:

        async def connect_then_measure() -> float:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(follow, url, viewers, seconds + 2.0, counts)
                await trio.sleep(2.0)  # every viewer connected and past its first batch
                before, start = cpu_seconds(pid), time.perf_counter()
                got = sum(counts)
                await trio.sleep(seconds)
                used = (cpu_seconds(pid) - before) / (time.perf_counter() - start) * 100
                received.append(sum(counts) - got)
                return used

        received: list[int] = []
        used = trio.run(connect_then_measure)
        return used, received[0] / viewers / seconds
    before, start = cpu_seconds(pid), time.perf_counter()
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / (time.perf_counter() - start) * 100, 0.0


def snapshot_sizes(port: int) -> tuple[int, int]:
    """Bytes of the dashboard's status snapshot and of one sample event."""
    import httpx

    status = httpx.get(f"http://127.0.0.1:{port}/api/v1/status", timeout=5).content
    return len(status), 200


def peer_main(port: int, status_bytes: int, samples: int) -> None:
    """The peer: send every client one ``status_bytes`` message a second and ``samples`` small ones."""
    import trio
    from trio_websocket import ConnectionClosed, serve_websocket

    clients: set[object] = set()
    status = json.dumps({"type": "status", "pad": "x" * max(status_bytes - 30, 0)})
    sample = json.dumps({"type": "sample", "pad": "x" * 150})

    async def handler(request: object) -> None:
        ws = await request.accept()  # type: ignore[attr-defined]
        clients.add(ws)
        try:
            while True:
                await ws.get_message()
        except ConnectionClosed:
            clients.discard(ws)

    async def tick() -> None:
        while True:
            await trio.sleep(1.0)
            for ws in list(clients):
                try:
                    for _ in range(samples):
                        await ws.send_message(sample)
                    await ws.send_message(status)
                except ConnectionClosed:
                    clients.discard(ws)

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(tick)
            await serve_websocket(handler, "127.0.0.1", port, ssl_context=None)

    trio.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=50)
    parser.add_argument("--servers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--peer-child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer_child:
        peer_main(*args.peer_child)
        return
    os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory() as directory:
        mock_port, port, peer_port = free_port(), free_port(), free_port()
        echo = os.path.join(ROOT, "bench", "mocks", "echo.yaml")
        mock = [PY, "-m", "mcpctl", "mock", "serve", echo, "--http", f"127.0.0.1:{mock_port}"]
        with serving(mock, mock_port) as url:
            spec = monitor_file(directory, url, args.servers)
            state = os.path.join(directory, "state")
            dashboard = [PY, "-m", "mcpctl", "dashboard", "--monitor", spec, "--listen", f"127.0.0.1:{port}"]
            with child([*dashboard, "--state-dir", state], port) as pid:
                time.sleep(5.0)  # the sessions opened, the first probes and rollups done
                idle, _ = measure(pid, None, 0, args.seconds)
                events = f"ws://127.0.0.1:{port}/api/v1/events"
                busy, rate = measure(pid, events, args.viewers, args.seconds)
                status_bytes, _ = snapshot_sizes(port)
        peer = [PY, __file__, "--peer-child", str(peer_port), str(status_bytes), str(args.servers)]
        with child(peer, peer_port) as pid:
            time.sleep(1.0)
            peer_cpu, peer_rate = measure(pid, f"ws://127.0.0.1:{peer_port}/", args.viewers, args.seconds)
    cost = busy - idle
    print(f"dashboard over {args.servers} servers probed every 1s, {args.seconds:.0f}s per phase")
    print(f"  no viewer:            {idle:5.1f} % of one core")
    print(f"  {args.viewers} viewers:           {busy:5.1f} % ({rate:.1f} messages/s each)")
    print(f"  cost of the viewers:  {cost:5.1f} % of one core")
    print(
        f"peer (bare trio-websocket broadcast, same clients): {peer_cpu:5.1f} % ({peer_rate:.1f} messages/s each)"
    )
    print(
        f"ratio dashboard viewers / peer: {cost / peer_cpu:.2f}x"
        if peer_cpu > 0
        else "ratio: peer used no CPU"
    )
    verdict = "met" if cost <= TARGET else "NOT met"
    print(f"target <= {TARGET:.0f} % of one core for {args.viewers} viewers: {verdict}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
