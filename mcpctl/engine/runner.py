"""Run a set of specs by kind: each TestSuite against its server, sessions shared per server."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Protocol

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.engine.targets import target_for
from mcpctl.engine.tests import SuiteSession, run_tests
from mcpctl.errors import McpctlError
from mcpctl.mcp.client import Client, open_client
from mcpctl.spec.model import HttpServer, MockServerRef, ServerDef, TestCase, TestSuiteSpec

CONNECT_TIMEOUT = 30.0


class Progress(Protocol):
    """Told as a run goes, to draw a live progress line (or nothing)."""

    def suite_started(self, suite: TestSuiteSpec, total: int) -> None: ...
    def case_done(self, result: CaseResult) -> None: ...
    def suite_done(self, result: SuiteResult) -> None: ...


class _Connections:
    """One client per server name, opened on first use and closed when the run ends."""

    def __init__(self, stack: contextlib.AsyncExitStack) -> None:
        self._stack = stack
        self._clients: dict[str, Client] = {}

    async def get(self, name: str, server: ServerDef) -> Client:
        if name not in self._clients:
            client = await self._stack.enter_async_context(
                open_client(target_for(server), connect_timeout=CONNECT_TIMEOUT)
            )
            self._clients[name] = client
        return self._clients[name]


def server_label(server: str | ServerDef) -> str:
    """A spec's server as a reader knows it: its name, or the inline command or URL."""
    if isinstance(server, str):
        return server
    if isinstance(server, HttpServer):
        return server.url
    if isinstance(server, MockServerRef):
        return f"mock {server.spec}"
    return " ".join(server.command)


def selected(suite: TestSuiteSpec, select: Sequence[str]) -> tuple[TestCase, ...]:
    """The suite's tests whose ``suite/test`` name contains one of ``select`` (all when empty)."""
    if not select:
        return suite.tests
    return tuple(t for t in suite.tests if any(s in f"{suite.metadata.name}/{t.name}" for s in select))


async def run_suites(
    suites: Sequence[TestSuiteSpec],
    *,
    servers: Mapping[str, ServerDef],
    run_id: str,
    command: str,
    select: Sequence[str] = (),
    concurrency: int | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run every suite in order; a server that cannot be reached fails its suites, not the run."""
    started, start = time.time(), time.perf_counter_ns()
    results = []
    async with contextlib.AsyncExitStack() as stack:
        connections = _Connections(stack)
        for suite in suites:
            tests = selected(suite, select)
            if select and not tests:
                continue
            if progress is not None:
                progress.suite_started(suite, len(tests))
            result = await _run_suite(suite, tests, servers, connections, concurrency, progress)
            if progress is not None:
                progress.suite_done(result)
            results.append(result)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    return RunResult(
        run_id=run_id, command=command, started_at=started, duration_ms=elapsed, suites=tuple(results)
    )


async def _run_suite(
    suite: TestSuiteSpec,
    tests: Sequence[TestCase],
    servers: Mapping[str, ServerDef],
    connections: _Connections,
    concurrency: int | None,
    progress: Progress | None,
) -> SuiteResult:
    started, start = time.time(), time.perf_counter_ns()
    label = server_label(suite.server)
    if isinstance(suite.server, str):
        key, server = f"name:{suite.server}", servers[suite.server]
    else:
        key, server = f"inline:{suite.source}", suite.server
    try:
        client = await connections.get(key, server)
    except McpctlError as exc:
        return _suite_result(suite, label, started, start, error=f"{type(exc).__name__}: {exc}")
    cases = await run_tests(
        SuiteSession(client, suite),
        tests,
        concurrency=concurrency or suite.concurrency,
        on_case=progress.case_done if progress is not None else None,
    )
    info = client.negotiated.server_info
    return _suite_result(
        suite,
        label,
        started,
        start,
        server_info={k: str(v) for k, v in info.items() if isinstance(v, str | int | float)},
        protocol=client.negotiated.protocol_version,
        cases=tuple(cases),
    )


def _suite_result(
    suite: TestSuiteSpec,
    label: str,
    started: float,
    start_ns: int,
    *,
    server_info: Mapping[str, str] | None = None,
    protocol: str = "",
    cases: tuple[CaseResult, ...] = (),
    error: str = "",
) -> SuiteResult:
    return SuiteResult(
        kind="TestSuite",
        name=suite.metadata.name,
        server=label,
        server_info=server_info or {},
        protocol=protocol,
        spec_path=suite.source.path,
        spec_hash=suite.spec_hash,
        started_at=started,
        duration_ms=(time.perf_counter_ns() - start_ns) / 1e6,
        cases=cases,
        error=error,
    )
