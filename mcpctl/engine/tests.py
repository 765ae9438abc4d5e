"""Run a ``TestSuite``: tests concurrently up to ``concurrency`` on one session, each with its timeout,
retries, repeats and steps, every expected failure turned into a case result (STYLE.md rule 8).
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import trio

from mcpctl.engine.authchecks import check_auth
from mcpctl.engine.expect import (
    Answer,
    AnswerKind,
    Failure,
    RpcFailure,
    check_answer,
    check_latency,
    check_runs,
    percentile,
    pointer_value,
    shown,
)
from mcpctl.engine.listing import Listing, check_listing
from mcpctl.engine.mockcalls import check_mock_calls
from mcpctl.engine.results import (
    CaseResult,
    LatencySummary,
    Reliability,
    SnapshotStatus,
    Status,
    reliability,
)
from mcpctl.engine.snapshot import SnapshotMode, check_snapshot, note
from mcpctl.errors import HttpStatusError, McpctlError, RpcError
from mcpctl.mcp.client import Client, ServerTarget
from mcpctl.mcp.jsonrpc import JSONValue, Message
from mcpctl.spec.model import (
    Action,
    CallTool,
    Expect,
    GetPrompt,
    LatencyExpect,
    ListExpect,
    ReadResource,
    Step,
    TestCase,
    TestSuiteSpec,
)
from mcpctl.spec.templating import TemplateError, render_value

CaseCallback = Callable[[CaseResult], None]
MAX_OUTPUT = 4000


@dataclass(slots=True)
class _Outcome:
    """One attempt at a test."""

    failures: list[Failure] = field(default_factory=list)
    error: str = ""
    samples: list[float] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    passes: list[bool] = field(default_factory=list)
    """Of each run of a repeated test."""
    run_failures: list[str] = field(default_factory=list)
    """The first line of each failing run of a repeated test."""
    snapshots: dict[str, SnapshotStatus] = field(default_factory=dict)

    @property
    def status(self) -> Status:
        return "error" if self.error else ("failed" if self.failures else "passed")


class SuiteSession:
    """What the tests of one suite share: the connected client and the tool list, fetched once."""

    def __init__(
        self,
        client: Client,
        suite: TestSuiteSpec,
        *,
        reconnect: Callable[[], Awaitable[Client]] | None = None,
        target: ServerTarget | None = None,
    ) -> None:
        self.client = client
        self.suite = suite
        self.target = target
        """Where the client connects (what ``expect: {auth: ...}`` probes)."""
        self._tools: list[Message] | None = None
        self._tools_lock = trio.Lock()
        self._reconnect = reconnect
        self._reconnect_lock = trio.Lock()
        self._forgotten: Client | None = None
        self.reconnects = 0
        """Sessions opened again because the last one broke (a retry reconnects first)."""
        self.snapshots = SnapshotMode.current()
        """How snapshot checks write and compare (``--update-snapshots``, ``CI=true``)."""

    def failed(self, error: McpctlError) -> None:
        """Note an attempt's error: one saying the server forgot the session (HTTP 404) makes the next
        :meth:`revive` open another, as a closed connection does."""
        if isinstance(error, HttpStatusError) and error.status == 404 and "session" in str(error):
            self._forgotten = self.client

    async def revive(self) -> None:
        """Open a new session if the current one is closed or forgotten (once, for tests running at once);
        a no-op while it works, or without a way to reconnect."""
        broken = self.client
        if self._reconnect is None or (broken.session.closed is None and broken is not self._forgotten):
            return
        async with self._reconnect_lock:
            if self.client is broken:
                self.client = await self._reconnect()
                self.reconnects += 1

    async def tool_schema(self, name: str) -> JSONValue:
        """The ``outputSchema`` the server declares for tool ``name`` (``None`` if none)."""
        async with self._tools_lock:
            if self._tools is None:
                self._tools = await self.client.list_tools()
        for tool in self._tools:
            if tool.get("name") == name:
                return tool.get("outputSchema")
        return None

    async def listing(self, which: Listing) -> list[Message]:
        if which == "tools":
            return await self.client.list_tools()
        if which == "resources":
            return await self.client.list_resources()
        return await self.client.list_prompts()


async def run_tests(
    session: SuiteSession,
    tests: Sequence[TestCase],
    *,
    concurrency: int,
    on_case: CaseCallback | None = None,
) -> list[CaseResult]:
    """Run ``tests`` at most ``concurrency`` at a time; results come back in the tests' order."""
    results: list[CaseResult | None] = [None] * len(tests)
    limiter = trio.CapacityLimiter(concurrency)

    async def one(index: int, test: TestCase) -> None:
        try:
            result = await run_case(session, test)
        finally:
            limiter.release_on_behalf_of(index)
        results[index] = result
        if on_case is not None:
            on_case(result)

    async with trio.open_nursery() as nursery:
        for index, test in enumerate(tests):
            # a slot is taken here, before the task starts, so tests start in the order written
            # (trio schedules new tasks in no fixed order): with concurrency 1 they run in sequence
            await limiter.acquire_on_behalf_of(index)
            nursery.start_soon(one, index, test)
    return [result for result in results if result is not None]


async def run_case(session: SuiteSession, test: TestCase) -> CaseResult:
    """One test with its retries: the first passing attempt wins (a pass after a failure is flaky)."""
    if test.skip is not None:
        return CaseResult(
            name=test.name,
            status="skipped",
            duration_ms=0.0,
            message=test.skip,
            file=test.source.path,
            line=test.source.line,
        )
    start = time.perf_counter_ns()
    outcome = _Outcome()
    attempt = 0
    for attempt in range(1, test.retries + 2):  # noqa: B007 - the last value is reported
        try:
            await session.revive()
        except McpctlError as exc:
            outcome = _Outcome(
                error=f"the session broke and reconnecting failed: {type(exc).__name__}: {exc}"
            )
            break
        outcome = await _attempt(session, test)
        if outcome.status == "passed":
            break
    elapsed = (time.perf_counter_ns() - start) / 1e6
    return _case_result(test, outcome, attempts=attempt, duration_ms=elapsed)


def _case_result(test: TestCase, outcome: _Outcome, *, attempts: int, duration_ms: float) -> CaseResult:
    status = outcome.status
    details: tuple[str, ...] = ()
    message = outcome.error
    if outcome.failures:
        first, *rest = outcome.failures
        message = first.message
        details = first.details + tuple(line for f in rest for line in (f.message, *f.details))
    if attempts > 1 and status != "passed":
        message = f"{message} (after {attempts} attempts)"
    output = "" if status == "passed" else "\n".join(outcome.transcript)[-MAX_OUTPUT:]
    passed = sum(outcome.passes)
    mixed = 0 < passed < len(outcome.passes)
    return CaseResult(
        name=test.name,
        status=status,
        duration_ms=duration_ms,
        attempts=attempts,
        flaky=(status == "passed" and attempts > 1) or mixed,
        message=message,
        details=details,
        latency=latency_summary(outcome.samples) if test.repeat > 1 and outcome.samples else None,
        output=output,
        file=test.source.path,
        line=test.source.line,
        reliability=_reliability(test, outcome),
        snapshots=dict(outcome.snapshots),
    )


def _reliability(test: TestCase, outcome: _Outcome) -> Reliability | None:
    if test.repeat < 2 or not outcome.passes:
        return None
    return reliability(
        runs=len(outcome.passes),
        passed=sum(outcome.passes),
        k=test.k or test.repeat,
        required=test.pass_rate.text if test.pass_rate is not None else "",
        failures=outcome.run_failures,
    )


def latency_summary(samples: Sequence[float]) -> LatencySummary:
    """Exact percentiles (nearest rank) of ``samples`` in milliseconds; ``samples`` must not be empty."""
    ordered = sorted(samples)
    return LatencySummary(
        count=len(ordered),
        min=ordered[0],
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )


async def _attempt(session: SuiteSession, test: TestCase) -> _Outcome:
    outcome = _Outcome()
    rounds = max(test.repeat, len(test.steps), 1)
    with trio.move_on_after(test.timeout.seconds * rounds + 1.0) as scope:
        try:
            await _exercise(session, test, outcome)
        except TemplateError as exc:
            outcome.error = f"template: {exc}"
        except McpctlError as exc:
            outcome.error = f"{type(exc).__name__}: {exc}"
            session.failed(exc)
    if scope.cancelled_caught:
        outcome.error = f"timed out after {test.timeout} per request ({rounds} requests)"
    return outcome


async def _exercise(session: SuiteSession, test: TestCase, outcome: _Outcome) -> None:
    context: dict[str, object] = {"vars": dict(session.suite.vars), "test": {"name": test.name}}
    if test.steps:
        await _run_steps(session, test, context, outcome)
    elif test.action is not None:
        await _run_repeats(session, test, test.action, context, outcome)
    else:
        await _run_listings(session, test.expect, outcome)
    if test.expect.mock_calls and not outcome.failures:
        outcome.failures.extend(await check_mock_calls(session.client, test.expect.mock_calls))
    if test.expect.auth:
        outcome.failures.extend(await check_auth(session.target, test.expect.auth))


async def _run_listings(session: SuiteSession, expect: Expect, outcome: _Outcome) -> None:
    checks: tuple[tuple[Listing, ListExpect | None], ...] = (
        ("tools", expect.tools),
        ("resources", expect.resources),
        ("prompts", expect.prompts),
    )
    for which, wanted in checks:
        if wanted is None:
            continue
        start = time.perf_counter_ns()
        items = await session.listing(which)
        outcome.samples.append((time.perf_counter_ns() - start) / 1e6)
        outcome.transcript.append(f"→ {which}/list")
        outcome.transcript.append(f"← {len(items)} {which}")
        outcome.failures.extend(check_listing(which, wanted, items))


async def _run_repeats(
    session: SuiteSession, test: TestCase, action: Action, context: dict[str, object], outcome: _Outcome
) -> None:
    """Every run of the action: a repeated test makes all its runs, counting passes (pass@k, pass^k)."""
    first: list[Failure] = []
    for iteration in range(test.repeat):
        context["iteration"] = iteration
        answer = await perform(session, action, context, timeout=test.timeout.seconds, outcome=outcome)
        outcome.samples.append(answer.elapsed_ms)
        failures = await _check(session, test, test.expect, action, answer, outcome)
        if test.expect.latency is not None and test.expect.latency.max is not None:
            failures.extend(check_latency(_only_max(test), [answer.elapsed_ms]))
        if test.repeat == 1:
            outcome.failures.extend(failures)
            if failures:
                return
            continue
        outcome.passes.append(not failures)
        if failures:
            prefix = f"run {iteration + 1} of {test.repeat}: "
            outcome.run_failures.append(prefix + failures[0].message)
            first = first or [Failure(message=prefix + f.message, details=f.details) for f in failures]
    outcome.failures.extend(check_runs(test.pass_rate, outcome.passes, outcome.run_failures, first))
    if test.expect.latency is not None:
        outcome.failures.extend(check_latency(_percentiles_only(test), outcome.samples))


def _only_max(test: TestCase) -> LatencyExpect:
    latency = test.expect.latency or LatencyExpect()
    return LatencyExpect(max=latency.max)


def _percentiles_only(test: TestCase) -> LatencyExpect:
    latency = test.expect.latency or LatencyExpect()
    return LatencyExpect(p50=latency.p50, p90=latency.p90, p95=latency.p95, p99=latency.p99)


async def _run_steps(
    session: SuiteSession, test: TestCase, context: dict[str, object], outcome: _Outcome
) -> None:
    saved: dict[str, dict[str, object]] = {}
    context["steps"] = saved
    for step in test.steps:
        answer = await perform(session, step.action, context, timeout=test.timeout.seconds, outcome=outcome)
        outcome.samples.append(answer.elapsed_ms)
        failures = await _check(session, test, step.expect, step.action, answer, outcome)
        if step.expect.latency is not None:
            failures.extend(check_latency(step.expect.latency, [answer.elapsed_ms]))
        failures.extend(_save(step, answer, saved))
        if step.expect.mock_calls and not failures:
            failures.extend(await check_mock_calls(session.client, step.expect.mock_calls))
        if failures:
            outcome.failures.extend(
                Failure(message=f"step {step.name!r}: {f.message}", details=f.details) for f in failures
            )
            return


def _save(step: Step, answer: Answer, saved: dict[str, dict[str, object]]) -> list[Failure]:
    values: dict[str, object] = {}
    failures = []
    document = answer.result if answer.error is None else {}
    for key, pointer in step.save.items():
        found, value = pointer_value(document, pointer)
        if not found:
            failures.append(
                Failure(message=f"save {key}: nothing at {pointer} in the result", details=(shown(document),))
            )
        values[key] = value
    saved[step.name] = values
    return failures


async def _check(
    session: SuiteSession, test: TestCase, expect: Expect, action: Action, answer: Answer, outcome: _Outcome
) -> list[Failure]:
    schema: JSONValue = None
    if expect.output_schema and isinstance(action, CallTool) and answer.error is None:
        schema = await session.tool_schema(action.tool)
    failures = check_answer(expect, answer, output_schema=schema)
    if expect.snapshot is not None:
        check = check_snapshot(
            expect.snapshot,
            answer,
            spec_path=test.source.path,
            normalizers=test.normalize,
            mode=session.snapshots,
            others_failed=bool(failures),
        )
        note(outcome.snapshots, expect.snapshot, check.status)
        failures.extend(check.failures)
    return failures


async def perform(
    session: SuiteSession,
    action: Action,
    context: Mapping[str, object],
    *,
    timeout: float,
    outcome: _Outcome,
) -> Answer:
    """Render ``action``'s templates with ``context``, send it, and time the answer."""
    client = session.client
    method, params = _request(action, context)
    outcome.transcript.append(f"→ {method} {shown(params)}")
    start = time.perf_counter_ns()
    try:
        if isinstance(action, CallTool):
            result = (await client.call_tool(action.tool, params["arguments"], timeout=timeout)).raw  # type: ignore[arg-type]
        elif isinstance(action, ReadResource):
            result = await client.read_resource(str(params["uri"]), timeout=timeout)
        else:
            result = await client.get_prompt(action.name, params.get("arguments"), timeout=timeout)  # type: ignore[arg-type]
    except RpcError as exc:
        elapsed = (time.perf_counter_ns() - start) / 1e6
        outcome.transcript.append(f"← error {exc.code}: {exc.rpc_message} ({elapsed:.1f}ms)")
        failure = RpcFailure(code=exc.code, message=exc.rpc_message, data=exc.data)
        return Answer(kind=_kind(action), error=failure, elapsed_ms=elapsed)
    elapsed = (time.perf_counter_ns() - start) / 1e6
    outcome.transcript.append(f"← {shown(result)} ({elapsed:.1f}ms)")
    return Answer(kind=_kind(action), result=result, elapsed_ms=elapsed)


def _kind(action: Action) -> AnswerKind:
    if isinstance(action, CallTool):
        return "tool"
    if isinstance(action, ReadResource):
        return "resource"
    return "prompt"


def _request(action: Action, context: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    if isinstance(action, CallTool):
        arguments = render_value(dict(action.arguments), context)
        if not isinstance(arguments, dict):
            raise TemplateError("the arguments did not render to a mapping")
        return "tools/call", {"name": action.tool, "arguments": arguments}
    if isinstance(action, ReadResource):
        return "resources/read", {"uri": str(render_value(action.uri, context))}
    assert isinstance(action, GetPrompt)
    rendered = render_value(dict(action.arguments), context)
    assert isinstance(rendered, dict)
    # prompt arguments are strings on the wire
    arguments = {k: v if isinstance(v, str) else json.dumps(v) for k, v in rendered.items()}
    return "prompts/get", {"name": action.name, "arguments": arguments}
