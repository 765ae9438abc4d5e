"""``mcpctl load --workers N``: one LoadTest on N processes (N cores), merged as shards are.

The parent starts N copies of ``mcpctl load`` with the hidden ``--worker I/N``: worker ``I`` runs part ``I``
of the load (:func:`~mcpctl.engine.load.shard.shard_spec`, with its own seed) and writes JSON lines on its
stdout: a tick once a second (:mod:`mcpctl.engine.load.workers`) and, at the end, ``{"result": ...}``. The
parent shows the ticks merged in the usual live view, merges the results (histograms, not averages) and
checks the thresholds on the whole. When one worker aborts on a threshold the parent writes ``stop`` to the
others' stdin: they end at once and hand in what they ran, so the merged result covers every worker up to
the abort. A worker whose stdin closes (its parent died) stops too: no load outlives its command.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
import trio

from mcpctl.cli.load_view import LoadView
from mcpctl.engine.load.metrics import LoadResult, Metrics
from mcpctl.engine.load.result_json import from_json, to_json
from mcpctl.engine.load.runner import run_load
from mcpctl.engine.load.shard import merge_results
from mcpctl.engine.load.workers import LiveTotals, tick
from mcpctl.errors import McpctlError, ServerError, UsageError
from mcpctl.spec.build import SpecSet
from mcpctl.spec.load_model import LoadTestSpec

_STDERR_KEPT = 20
"""Lines of a failed worker's stderr kept for the error message."""


# -- the worker side --------------------------------------------------------------------------------
async def run_worker(spec: LoadTestSpec, specs: SpecSet, *, seed: int) -> int:
    """Run this worker's part: ticks and the result as JSON lines on stdout; ``stop`` on stdin ends it."""
    stop = trio.Event()

    def on_second(metrics: Metrics, elapsed: float) -> None:
        _emit({"tick": tick(metrics, elapsed)})

    async with trio.open_nursery() as nursery:
        nursery.start_soon(_watch_stdin, stop)
        result = await run_load(spec, servers=specs.servers, seed=seed, on_second=on_second, stop=stop)
        nursery.cancel_scope.cancel()
    _emit({"result": to_json(result)})
    return result.exit_code


def _emit(data: object) -> None:
    sys.stdout.buffer.write(orjson.dumps(data) + b"\n")
    sys.stdout.buffer.flush()


async def _watch_stdin(stop: trio.Event) -> None:
    stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
    async with stdin:
        while True:
            data = await stdin.receive_some()
            if not data or b"stop" in data:
                stop.set()
                return


# -- the parent side --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Worker:
    index: int
    process: trio.Process
    result: LoadResult | None = None
    stderr: list[str] = field(default_factory=list)


def worker_argv(
    paths: Sequence[str],
    *,
    servers_files: Sequence[str],
    name: str,
    seed: int | None,
    shard: str | None,
    part: tuple[int, int],
) -> list[str]:
    """The command line of worker ``part`` (``(I, N)``) running the LoadTest ``name``."""
    argv = [sys.executable, "-m", "mcpctl", "load", *paths, "--select", name]
    for servers in servers_files:
        argv += ["--servers", servers]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if shard is not None:
        argv += ["--shard", shard]
    return [*argv, "--worker", f"{part[0]}/{part[1]}"]


async def run_workers(spec: LoadTestSpec, argvs: Sequence[list[str]], view: LoadView | None) -> LoadResult:
    """Run one worker per command line, show their ticks in ``view`` and return their merged result.

    Raises the failure of a worker that handed in no result (its stderr as the message, its exit code).
    """
    names = tuple(call.name for call in spec.scenario)
    totals = LiveTotals(names, started_at=time.time(), start_ns=0)
    workers: list[_Worker] = []
    try:
        async with trio.open_nursery() as nursery:
            for index, argv in enumerate(argvs, start=1):
                process = await trio.lowlevel.open_process(
                    argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                workers.append(_Worker(index, process))
            if view is not None:
                nursery.start_soon(_show, totals, view)
            async with trio.open_nursery() as readers:
                for worker in workers:
                    readers.start_soon(_read_worker, worker, workers, totals)
                    readers.start_soon(_read_stderr, worker)
            nursery.cancel_scope.cancel()
    finally:
        for worker in workers:  # interrupted or failed: no worker outlives the command
            if worker.process.returncode is None:
                worker.process.kill()
            with trio.CancelScope(shield=True):
                await worker.process.wait()
                for stream in (worker.process.stdin, worker.process.stdout, worker.process.stderr):
                    if stream is not None:
                        await stream.aclose()
    return _merged(workers, spec)


async def _show(totals: LiveTotals, view: LoadView) -> None:
    start = trio.current_time()
    second = 1
    while True:
        await trio.sleep_until(start + second)
        view.on_second(totals.metrics(), float(second))
        second += 1


async def _read_worker(worker: _Worker, workers: list[_Worker], totals: LiveTotals) -> None:
    stdout = worker.process.stdout
    assert stdout is not None
    buffer = b""
    while data := await stdout.receive_some():
        buffer += data
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            await _line(worker, workers, totals, line)
    await worker.process.wait()


async def _line(worker: _Worker, workers: list[_Worker], totals: LiveTotals, line: bytes) -> None:
    try:
        data = orjson.loads(line)
        if "tick" in data:
            totals.update(worker.index, data["tick"])
        elif "result" in data:
            worker.result = from_json(data["result"])
            if worker.result.aborted:
                await _stop_others(worker, workers)
    except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise UsageError(f"worker {worker.index}: unreadable output ({exc}): {line[:200]!r}") from None


async def _stop_others(aborted: _Worker, workers: list[_Worker]) -> None:
    for other in workers:
        if other is not aborted and other.result is None and other.process.stdin is not None:
            with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError):
                await other.process.stdin.send_all(b"stop\n")  # unless it ended meanwhile


async def _read_stderr(worker: _Worker) -> None:
    stderr = worker.process.stderr
    assert stderr is not None
    text = b""
    while data := await stderr.receive_some():
        text += data
    worker.stderr = text.decode("utf-8", "replace").splitlines()[-_STDERR_KEPT:]


def _merged(workers: list[_Worker], spec: LoadTestSpec) -> LoadResult:
    for worker in workers:
        if worker.result is None:
            code = worker.process.returncode
            lines = [line.removeprefix("mcpctl: error: ") for line in worker.stderr] or ["no output"]
            message = f"worker {worker.index} exited {code} without a result: " + "; ".join(lines)
            raise {2: UsageError, 3: ServerError}.get(code or 1, McpctlError)(message)
    # the thresholds of the parent's spec: under --shard its share of a rate, not the whole one
    results = [worker.result for worker in workers if worker.result is not None]
    return merge_results(results, thresholds=spec.thresholds)
