"""Run a ``FaultScenario``: its TestSuite or LoadTest through the proxy, then its expectations checked.

The run's server is wrapped: a stdio server (or a mock) is launched as ``mcpctl proxy ... -- COMMAND``,
once per session the run opens, all launches appending to one fault log; an HTTP server gets an
in-process proxy on a free loopback port. The run itself is the ordinary TestSuite or LoadTest
runner, under a watchdog so that a run the faults stall still ends (``completes`` then fails).

The outcome is one :class:`SuiteResult` of kind ``FaultScenario`` whose cases are the expectations
(or, without ``expect:``, one case: the run passes under the faults); the inner run's own result
and the faults' counts are its attachment, and the inner run's failures are its cases' details.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import trio
import yaml

from mcpctl.engine.faults.expect import Outcome, check_expectations, duplicates, injected, passes_case
from mcpctl.engine.faults.injector import Injector
from mcpctl.engine.load.metrics import LoadResult
from mcpctl.engine.load.record import load_suite
from mcpctl.engine.load.runner import run_load, seed_for
from mcpctl.engine.results import SuiteResult
from mcpctl.engine.runner import CONNECT_TIMEOUT, run_suites, server_label
from mcpctl.engine.targets import target_for
from mcpctl.errors import McpctlError, UsageError
from mcpctl.mcp.client import open_client
from mcpctl.spec.fault_model import FaultScenarioSpec
from mcpctl.spec.load_model import LoadTestSpec
from mcpctl.spec.loader import load_documents
from mcpctl.spec.model import HttpServer, MockServerRef, ServerDef, StdioServer, TestSuiteSpec

Events = Callable[[], list[dict[str, object]]]
GRACE = 60.0
"""Seconds a run may take beyond what its own timeouts allow before the watchdog ends it."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioRun:
    """What a scenario needs besides its spec: the specs it may run and where to keep its files."""

    suites: Sequence[TestSuiteSpec]
    loads: Sequence[LoadTestSpec]
    servers: dict[str, ServerDef]
    workdir: Path
    """A directory of the run's own (the state store's run directory): the fault log and the
    faults file the stdio proxies read live there."""


async def run_scenario(spec: FaultScenarioSpec, run: ScenarioRun) -> SuiteResult:
    """Run ``spec``'s TestSuite or LoadTest through its faults; the scenario's result."""
    if spec.run is None:
        raise UsageError(
            f"FaultScenario/{spec.metadata.name} has no run: (use it with mcpctl proxy --faults)"
        )
    started, start = time.time(), time.perf_counter_ns()
    target = _target(spec, run)
    server = _server_of(target, run.servers)
    safe = (
        await _safe_tools(server)
        if spec.expect is not None and spec.expect.no_duplicate_side_effects
        else None
    )
    stdio = _wrap_stdio(server, spec, run.workdir, started)
    async with trio.open_nursery() as nursery:
        events: Events
        if stdio is not None:
            log = _files(spec, run.workdir)[1]
            wrapped, events = stdio, lambda: _read_log(log)
        else:
            assert isinstance(server, HttpServer)
            wrapped, events = await _wrap_http(server, spec, nursery)
        with trio.move_on_after(_deadline(target)) as watchdog:
            inner, load, error = await _run_inner(target, wrapped, run)
        nursery.cancel_scope.cancel()
    outcome = Outcome(
        kind=spec.run.kind,
        inner=inner,
        error=error,
        stalled=watchdog.cancelled_caught,
        deadline=_deadline(target),
        events=events(),
        safe=safe,
        calls=(load.overall.errors, load.overall.count) if load is not None else None,
        aborted=(load.abort_reason or "aborted") if load is not None and load.aborted else None,
    )
    cases = check_expectations(spec.expect, outcome) if spec.expect is not None else (passes_case(outcome),)
    return SuiteResult(
        kind="FaultScenario",
        name=spec.metadata.name,
        server=server_label(target.server),
        spec_path=spec.source.path,
        spec_hash=spec.spec_hash,
        started_at=started,
        duration_ms=(time.perf_counter_ns() - start) / 1e6,
        cases=cases,
        attachment=json.dumps(_attachment(spec, outcome), default=str),
    )


async def _safe_tools(server: ServerDef) -> frozenset[str]:
    """The tools ``server`` annotates read-only or idempotent, asked directly (not through the faults):
    calling them twice does no harm. Empty when the server cannot be asked (the run will say why)."""
    try:
        async with open_client(target_for(server), connect_timeout=CONNECT_TIMEOUT) as client:
            tools = await client.list_tools()
    except McpctlError:
        return frozenset()
    return frozenset(
        str(tool.get("name"))
        for tool in tools
        if isinstance(hints := tool.get("annotations"), dict)
        and (hints.get("readOnlyHint") is True or hints.get("idempotentHint") is True)
    )


def _target(spec: FaultScenarioSpec, run: ScenarioRun) -> TestSuiteSpec | LoadTestSpec:
    assert spec.run is not None
    pool: Sequence[TestSuiteSpec | LoadTestSpec] = run.suites if spec.run.kind == "TestSuite" else run.loads
    for candidate in pool:
        if candidate.metadata.name == spec.run.name:
            return candidate
    raise UsageError(f"FaultScenario/{spec.metadata.name}: no {spec.run.kind} named {spec.run.name!r}")


def _server_of(target: TestSuiteSpec | LoadTestSpec, servers: dict[str, ServerDef]) -> ServerDef:
    if not isinstance(target.server, str):
        return target.server
    if target.server not in servers:
        raise UsageError(f"no server named {target.server!r} in the Servers")
    return servers[target.server]


def _wrap_stdio(
    server: ServerDef, spec: FaultScenarioSpec, workdir: Path, started: float
) -> ServerDef | None:
    """A stdio server (or a mock) as ``mcpctl proxy`` relaying it, its fault log beside the faults file;
    ``None`` for an HTTP server."""
    if isinstance(server, MockServerRef):
        mock = (sys.executable, "-m", "mcpctl", "mock", "serve", server.spec)
        server = StdioServer(name=server.name, command=mock, source=server.source)
    if not isinstance(server, StdioServer):
        return None
    workdir.mkdir(parents=True, exist_ok=True)
    faults, log = _files(spec, workdir)
    faults.write_text(_faults_only(spec), encoding="utf-8")
    log.write_text("", encoding="utf-8")
    proxy = (sys.executable, "-m", "mcpctl", "proxy", "--faults", str(faults), "--log", str(log))
    command = (*proxy, "--epoch", repr(started), "--quiet", "--", *server.command)
    return dataclasses.replace(server, command=command)


def _files(spec: FaultScenarioSpec, workdir: Path) -> tuple[Path, Path]:
    """The faults file the stdio proxies read and the fault log they append to."""
    stem = f"faults-{spec.metadata.name}"
    return workdir / f"{stem}.yaml", workdir / f"{stem}.jsonl"


async def _wrap_http(
    server: HttpServer, spec: FaultScenarioSpec, nursery: trio.Nursery
) -> tuple[ServerDef, Events]:
    from mcpctl.engine.faults.http_proxy import serve_http_proxy

    collected: list[dict[str, object]] = []
    injector = Injector(spec.faults, seed=spec.seed, sink=collected.append, track_calls=True)
    port: int = await nursery.start(functools.partial(serve_http_proxy, server.url, injector))
    parts = urlsplit(server.url)
    url = urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))
    # tokens stay for the server itself: the proxy relays them, and its resource metadata names it
    return dataclasses.replace(server, url=url, resource=server.resource or server.url), lambda: collected


def _faults_only(spec: FaultScenarioSpec) -> str:
    """The scenario's document as written, without ``run`` and ``expect``: what a stdio proxy reads."""
    for document in load_documents(spec.source.path):
        plain = document.root.plain()
        if isinstance(plain, dict) and plain.get("kind") == "FaultScenario":
            metadata = plain.get("metadata")
            if isinstance(metadata, dict) and metadata.get("name") == spec.metadata.name:
                kept = {key: value for key, value in plain.items() if key not in ("run", "expect")}
                return yaml.safe_dump(kept, sort_keys=False)
    raise UsageError(f"{spec.source.path}: FaultScenario/{spec.metadata.name} is no longer in the file")


def _read_log(path: Path) -> list[dict[str, object]]:
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a proxy killed while writing leaves half a line
        if isinstance(entry, dict):
            events.append(entry)
    return events


def _deadline(target: TestSuiteSpec | LoadTestSpec) -> float:
    """How long the run may take before it counts as stalled: what its own timeouts allow, and a grace."""
    if isinstance(target, LoadTestSpec):
        length = sum(stage.duration.seconds for stage in target.profile.stages)
        return length + target.profile.graceful_stop.seconds + target.timeout.seconds + GRACE
    per_test = [
        test.timeout.seconds * max(test.repeat, len(test.steps), 1) * (test.retries + 1)
        for test in target.tests
    ]
    return sum(per_test) + GRACE


async def _run_inner(
    target: TestSuiteSpec | LoadTestSpec, server: ServerDef, run: ScenarioRun
) -> tuple[SuiteResult | None, LoadResult | None, str]:
    """The inner run's result, a LoadTest's own result, and why it could not run ("" if it could)."""
    try:
        if isinstance(target, LoadTestSpec):
            result = await run_load(
                dataclasses.replace(target, server=server), seed=seed_for(target.metadata.name)
            )
            return load_suite(result, target), result, ""
        ran = await run_suites(
            [dataclasses.replace(target, server=server)], servers=run.servers, run_id="", command="apply"
        )
    except McpctlError as exc:
        return None, None, f"{type(exc).__name__}: {exc}"
    suite = ran.suites[0] if ran.suites else None
    return suite, None, suite.error if suite is not None else ""


def _attachment(spec: FaultScenarioSpec, outcome: Outcome) -> dict[str, object]:
    counts = injected(outcome.events)
    inner = outcome.inner
    return {
        "faults": [{"name": f.name, "kind": f.kind, "injected": counts.get(f.name, 0)} for f in spec.faults],
        "run": {
            "kind": outcome.kind,
            "name": spec.run.name if spec.run is not None else "",
            "status": inner.status if inner is not None else "error",
            "counts": inner.counts() if inner is not None else {},
            "cases": [
                {"name": c.name, "status": c.status, "attempts": c.attempts, "message": c.message}
                for c in (inner.cases if inner is not None else ())
            ],
            "attachment": json.loads(inner.attachment) if inner is not None and inner.attachment else None,
        },
        "duplicates": duplicates(outcome.events, safe=outcome.safe),
        "launches": sum(1 for event in outcome.events if event.get("event") == "launch"),
    }
