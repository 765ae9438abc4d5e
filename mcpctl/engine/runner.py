"""Run a set of specs by kind: each TestSuite against its server, sessions shared per server."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Protocol

import trio

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
    """One client per server name, opened on first use and open until the run ends.

    Each client is held open by a task of the run's nursery (``nursery.start``): a test that finds its
    session broken opens another from its own task, and the client's nursery still nests in the run's.
    """

    def __init__(self, nursery: trio.Nursery) -> None:
        self._nursery = nursery
        self._clients: dict[str, Client] = {}

    async def get(self, name: str, server: ServerDef) -> Client:
        if name not in self._clients:
            await self.reopen(name, server)
        return self._clients[name]

    async def reopen(self, name: str, server: ServerDef) -> Client:
        """A new client for ``name`` (a broken one stays open, idle, until the run ends)."""
        client: Client = await self._nursery.start(self._hold, server)
        self._clients[name] = client
        return client

    @staticmethod
    async def _hold(server: ServerDef, *, task_status: trio.TaskStatus[Client]) -> None:
        async with open_client(target_for(server), connect_timeout=CONNECT_TIMEOUT) as client:
            task_status.started(client)
            await trio.sleep_forever()


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
    async with trio.open_nursery() as nursery:
        connections = _Connections(nursery)
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
        nursery.cancel_scope.cancel()  # closes every client
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
    session = SuiteSession(
        client, suite, reconnect=lambda: connections.reopen(key, server), target=target_for(server)
    )
    cases = await run_tests(
        session,
        tests,
        concurrency=concurrency or suite.concurrency,
        on_case=progress.case_done if progress is not None else None,
    )
    info = session.client.negotiated.server_info
    return _suite_result(
        suite,
        label,
        started,
        start,
        server_info={k: str(v) for k, v in info.items() if isinstance(v, str | int | float)},
        protocol=session.client.negotiated.protocol_version,
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
