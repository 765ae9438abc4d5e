"""Issue 6, acceptance 2, through the real engine: retries and failure policies of a BatchPlan ``execute``
against ``mcpctl mock serve`` with a seeded error rate.

The plans run in-process (``plan_batch`` + ``apply_batch``, as ``mcpctl apply`` calls them) at concurrency
1, so the mock's draws come in item order: it draws one number per call from ``random.Random(seed)``
(``mcpctl.mock.behaviour.Dice.fails``; no latency is set, so nothing else is drawn) and injects the
busy error when the draw is below the rate. Replaying that generator here, independently of mcpctl,
gives every number checked: the calls the mock answered (its history in the state store, rule by
rule), the attempts of each item, which items pass (their answer lines) and which fail (their results
and journal entries), and where the failure budget stops the run.
"""

from __future__ import annotations

import random
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from mcpctl.cli.batch import plan_context
from mcpctl.engine.batch.engine import BatchOutcome, apply_batch, plan_batch, run_dir
from mcpctl.engine.batch.journal import Entry, read_entries
from mcpctl.engine.results import CaseResult
from mcpctl.spec.build import load_specs
from mcpctl.store import open_store
from mcpctl.store.mock_calls import list_calls
from testing.paths import PYTHON, ROOT

SEED = 11
RATE = 0.30
ITEMS = 200
ATTEMPTS = 3
BUSY = -32000
BUSY_FAILED = "work: tools/call: server error -32000: busy"
TIMED_OUT = "work: tools/call: no answer within 0.25s (request cancelled)"
RETRY = f"{{attempts: {ATTEMPTS}, backoff: 1ms, maxBackoff: 4ms, codes: [{BUSY}]}}"
# items whose answer is final whatever the policy (after any injected busy errors): (mock rule, message)
SPECIAL = {
    5: ("responses[0]", "work answered isError: no 5"),
    9: ("responses[1]", "work: tools/call: server error -32001: not here"),
}

FLAKY = f"""\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {{name: flaky}}
seed: {SEED}
behaviour:
  errorRate: {RATE:.0%}
  error: {{code: {BUSY}, message: busy}}
tools:
  - name: work
    inputSchema:
      type: object
      properties: {{item: {{type: integer}}}}
      required: [item]
    responses:
      - when: {{args: {{item: 5}}}}
        respond: {{text: "no 5", isError: true}}
      - when: {{args: {{item: 9}}}}
        respond: {{error: {{code: -32001, message: "not here"}}}}
    default: {{text: "done {{{{ args.item }}}}"}}
"""
# no error rate: each item answers as its rule says; item 2 is slow twice, item 4 always
STEADY = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: steady}
tools:
  - name: work
    inputSchema:
      type: object
      properties: {item: {type: integer}}
      required: [item]
    responses:
      - when: {args: {item: 2}}
        respond: [{text: slow, latency: 1s}, {text: slow, latency: 1s}, {text: "done 2"}]
      - when: {args: {item: 4}}
        respond: {text: slow, latency: 1s}
      - when: {args: {item: 6}}
        respond: {text: "no 6", isError: true}
      - when: {args: {item: 8}}
        respond: {error: {code: -32001, message: "not here"}}
      - when: {args: {item: 10}}
        respond: {error: {code: -32000, message: busy}}
    default: {text: "done {{ args.item }}"}
"""
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {{name: mocks}}
servers:
  mock: {{mock: mock.yaml}}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {{name: policies}}
concurrency: 1
retry: {retry}
{policy}
operations:
  - execute:
      server: mock
      tool: work
      input: input.jsonl
      key: id
      with: {{item: "{{{{ record.id }}}}"}}
      output: answers.jsonl
      timeout: {timeout}
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    """What one item should come to: its result, and the rule the mock answered each of its calls by."""

    item: int
    status: str
    attempts: int
    message: str
    calls: tuple[str, ...]


def replay(items: int = ITEMS) -> list[Item]:
    """What the seeded FLAKY mock implies for ``items`` items tried in order under RETRY."""
    draws = random.Random(SEED)
    expected = []
    for item in range(items):
        calls: list[str] = []
        status, message = "failed", BUSY_FAILED
        for _ in range(ATTEMPTS):
            if draws.random() < RATE:
                calls.append("error-rate")  # busy: retried while attempts are left
                continue
            rule, message = SPECIAL.get(item, ("default", ""))
            calls.append(rule)
            status = "failed" if message else "passed"
            break
        expected.append(
            Item(item=item, status=status, attempts=len(calls), message=message, calls=tuple(calls))
        )
    return expected


@dataclass(frozen=True, slots=True, kw_only=True)
class Applied:
    """A finished apply, as the user can inspect it."""

    outcome: BatchOutcome
    cases: list[CaseResult]
    answers: list[tuple[Any, str]]
    """(key, answer text) of every output line, in order."""
    journal: list[Entry]
    calls: list[dict[str, Any]]
    """The records of the calls the mock answered, in order (``mcpctl mock history``)."""
    serves: set[str]


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The state dir of the run and of the mock's call history (the mock inherits the environment)."""
    path = tmp_path / "state"
    monkeypatch.setenv("MCPCTL_STATE_DIR", str(path))
    return path


def write_plan(
    tmp_path: Path, mock: str, *, items: int, policy: str, retry: str = RETRY, timeout: str = "10s"
) -> Path:
    """The mock, ``items`` input records and the plan; the default timeout is never reached (a timed
    out call would be retried and draw again, out of the replay's order)."""
    (tmp_path / "mock.yaml").write_text(mock, encoding="utf-8")
    (tmp_path / "input.jsonl").write_text("".join(f'{{"id": {i}}}\n' for i in range(items)), encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.format(retry=retry, policy=policy, timeout=timeout), encoding="utf-8")
    return plan


async def apply(plan: Path, state: Path) -> Applied:
    specs = load_specs([str(plan)])
    spec = specs.plans[0]
    ctx = plan_context(specs, spec, [str(plan)], [])
    directory = run_dir(state, "run-1")
    outcome = await apply_batch(plan_batch(spec, ctx), ctx=ctx, run_id="run-1", directory=directory)
    lines = [orjson.loads(line) for line in (plan.parent / "answers.jsonl").read_bytes().splitlines()]
    with open_store(state) as store:
        calls = list_calls(store)
    (suite,) = outcome.result.suites
    return Applied(
        outcome=outcome,
        cases=list(suite.cases),
        answers=[(line["key"], line["result"]["content"][0]["text"]) for line in lines],
        journal=read_entries(directory / "journal.jsonl"),
        calls=[call.record for call in calls],
        serves={call.serve_id for call in calls},
    )


def cases(applied: Applied) -> list[tuple[str, str, int, str]]:
    return [(case.name, case.status, case.attempts, case.message) for case in applied.cases]


def expected_cases(
    started: list[Item], *, skipped: int = 0, reason: str = ""
) -> list[tuple[str, str, int, str]]:
    """The execute operation's cases (mcpctl.engine.batch.tally): one for the items that passed, one
    for those never started, then each failed item with its attempts and why."""
    passed = [i for i in started if i.status == "passed"]
    retried = sum(i.attempts > 1 for i in passed)
    after = f" ({retried} after retries)" if retried else ""
    summary = [(f"1.execute: {len(passed)} items", "passed", 1, f"{len(passed)} items passed{after}")]
    never = [(f"1.execute: {skipped} items skipped", "skipped", 1, f"{skipped} items: not started: {reason}")]
    failed = [
        (f"1.execute/{i.item}", i.status, i.attempts, i.message) for i in started if i.status != "passed"
    ]
    return (summary if passed else []) + (never if skipped else []) + failed


def outcomes(applied: Applied) -> dict[str, tuple[str, Any]]:
    """step -> (phase, attempts) of every journaled outcome."""
    return {
        entry.step: (entry.phase, (entry.data or {}).get("attempts"))
        for entry in applied.journal
        if entry.phase != "intent"
    }


def check_started(applied: Applied, started: list[Item]) -> None:
    """The items that ran match the replay in every number the user can see."""
    assert [(call["arguments"]["item"], call["rule"]) for call in applied.calls] == [
        (item.item, rule) for item in started for rule in item.calls
    ]
    assert len(applied.serves) == 1
    assert applied.answers == [(i.item, f"done {i.item}") for i in started if i.status == "passed"]
    assert outcomes(applied) == {
        f"1.execute/{i.item}": ("done", None) if i.status == "passed" else ("failed", i.attempts)
        for i in started
    }
    assert len(applied.journal) == 2 * len(started)  # an intent and an outcome each, nothing else


async def test_on_failure_continue_runs_every_item_and_every_number_matches_the_seeded_mock(
    tmp_path: Path, state: Path
) -> None:
    expected = replay()
    applied = await apply(write_plan(tmp_path, FLAKY, items=ITEMS, policy="onFailure: continue"), state)
    failures = [i for i in expected if i.status == "failed"]
    assert 2 < len(failures) < 20  # the seed gives up on some busy items besides the two special ones
    assert any(i.attempts == ATTEMPTS and i.status == "passed" for i in expected)  # saved by the last try
    assert sum(i.attempts for i in expected) == len(applied.calls) > ITEMS
    assert cases(applied) == expected_cases(expected)
    check_started(applied, expected)
    assert applied.outcome.stopped is None
    assert applied.outcome.result.exit_code == 1


def budget_stop(expected: list[Item], percentage: int) -> tuple[int, str]:
    """Items started before a budget of ``percentage`` % stops the run, and the reason given."""
    allowed = percentage * ITEMS // 100
    failed = 0
    for started, item in enumerate(expected, start=1):
        failed += item.status == "failed"
        if failed > allowed:
            share = f"{failed * 100 / ITEMS:g}%"
            return started, (
                f"execute: {failed} of {ITEMS} items failed ({share}): "
                f"more than max_fail_percentage {percentage}% allows ({allowed}); stopping"
            )
    raise AssertionError(f"the seed never exceeds {percentage}%")


@pytest.mark.parametrize(("on_failure", "percentage"), [("continue", 1), ("continue", 2), ("halt", 2)])
async def test_max_fail_percentage_stops_the_run_at_the_right_item(
    tmp_path: Path, state: Path, on_failure: str, percentage: int
) -> None:
    expected = replay()
    started, reason = budget_stop(expected, percentage)
    policy = f"onFailure: {on_failure}\nmaxFailPercentage: {percentage}%"
    applied = await apply(write_plan(tmp_path, FLAKY, items=ITEMS, policy=policy), state)
    assert cases(applied) == expected_cases(expected[:started], skipped=ITEMS - started, reason=reason)
    assert expected[started - 1].status == "failed"  # the failure that tipped the budget was the last start
    check_started(applied, expected[:started])
    assert applied.outcome.stopped is not None
    assert (applied.outcome.stopped.reason, applied.outcome.stopped.interrupted) == (reason, False)
    assert applied.outcome.result.exit_code == 1


async def test_on_failure_halt_stops_at_the_first_failure(tmp_path: Path, state: Path) -> None:
    expected = replay()
    first = next(i.item for i in expected if i.status == "failed")
    reason = f"1.execute/{first} failed; onFailure halt stops at the first failure"
    applied = await apply(write_plan(tmp_path, FLAKY, items=ITEMS, policy="onFailure: halt"), state)
    skipped = ITEMS - first - 1
    assert cases(applied) == expected_cases(expected[: first + 1], skipped=skipped, reason=reason)
    check_started(applied, expected[: first + 1])
    assert applied.outcome.stopped is not None
    assert applied.outcome.stopped.reason == reason
    assert applied.outcome.result.exit_code == 1


def steady_cases(errors: str) -> list[tuple[str, str, int | None, str]]:
    """The STEADY run's cases; the attempts of an item in error are left to the next test."""
    if errors == "timeout":  # item 2 timed out twice, then answered
        head = [("1.execute: 8 items", "passed", 1, "8 items passed (1 after retries)")]
    else:
        head = [
            ("1.execute: 7 items", "passed", 1, "7 items passed"),
            ("1.execute/2", "error", None, TIMED_OUT),
        ]
    return [
        *head,
        ("1.execute/4", "error", None, TIMED_OUT),
        ("1.execute/6", "failed", 1, "work answered isError: no 6"),  # an isError answer is final
        ("1.execute/8", "failed", 1, "work: tools/call: server error -32001: not here"),  # not in `codes`
        ("1.execute/10", "failed", 3, BUSY_FAILED),
    ]


@pytest.mark.parametrize("errors", ["timeout", "connection"])
async def test_only_retryable_errors_are_retried_and_the_session_survives_timeouts(
    tmp_path: Path, state: Path, errors: str
) -> None:
    retry = f"{{attempts: 3, backoff: 1ms, maxBackoff: 4ms, errors: [{errors}], codes: [{BUSY}]}}"
    plan = write_plan(tmp_path, STEADY, items=12, policy="onFailure: continue", retry=retry, timeout="250ms")
    applied = await apply(plan, state)
    assert [
        (case.name, case.status, None if case.status == "error" else case.attempts, case.message)
        for case in applied.cases
    ] == steady_cases(errors)
    # the mock answered every call but those timed out (cancelled, never answered)
    answered_2 = [(2, "responses[0]")] if errors == "timeout" else []
    assert [(call["arguments"]["item"], call["rule"]) for call in applied.calls] == [
        (0, "default"),
        (1, "default"),
        *answered_2,
        (3, "default"),
        (5, "default"),
        (6, "responses[2]"),
        (7, "default"),
        (8, "responses[3]"),
        (9, "default"),
        *[(10, "responses[4]")] * 3,
        (11, "default"),
    ]
    # one session all along: the timed-out requests did not break it
    assert len(applied.serves) == 1
    assert {call["session"] for call in applied.calls} == {applied.calls[0]["session"]}
    passed = [0, 1, 2, 3, 5, 7, 9, 11] if errors == "timeout" else [0, 1, 3, 5, 7, 9, 11]
    assert applied.answers == [(i, f"done {i}") for i in passed]


async def test_an_item_that_timed_out_on_every_try_reports_every_attempt(tmp_path: Path, state: Path) -> None:
    retry = f"{{attempts: 3, backoff: 1ms, maxBackoff: 4ms, errors: [timeout], codes: [{BUSY}]}}"
    plan = write_plan(tmp_path, STEADY, items=5, policy="onFailure: continue", retry=retry, timeout="250ms")
    applied = await apply(plan, state)
    assert ("1.execute/4", "error", 3, TIMED_OUT) in cases(applied)
    assert outcomes(applied)["1.execute/4"] == ("failed", 3)


def mcpctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "mcpctl", *args, "--state-dir", str(cwd / "state")],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "HOME": str(cwd)},
    )


def stopped_run(stderr: str) -> str:
    """The id of the run stderr says stopped, after checking the hint that follows."""
    match = re.search(r"^mcpctl: run (\S+) stopped: ", stderr, re.MULTILINE)
    assert match is not None, stderr
    run = match.group(1)
    hint = f"mcpctl: finish it with `mcpctl apply --resume {run}` or undo it with `mcpctl rollback {run}`"
    assert hint in stderr.splitlines()
    return run


def progress_counts(stderr: str) -> dict[str, int]:
    """The counts of the operation's progress line (``1.execute: 5 passed, 35 skipped in 0.41s ...``);
    statuses come in the order they were first seen, which varies: passes count once durable."""
    match = re.search(r"^1\.execute: (.+?) in \d+\.\d\ds", stderr, re.MULTILINE)
    assert match is not None, stderr
    return {status: int(n) for n, status in (part.split(" ") for part in match.group(1).split(", "))}


def test_the_cli_prints_where_max_fail_percentage_stopped_the_run(tmp_path: Path) -> None:
    expected = replay()
    started, reason = budget_stop(expected, 1)
    plan = write_plan(tmp_path, FLAKY, items=ITEMS, policy="onFailure: continue\nmaxFailPercentage: 1%")
    done = mcpctl("apply", str(plan), "--yes", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    run = stopped_run(done.stderr)
    lines = done.stderr.splitlines()
    assert f"mcpctl: run {run} stopped: {reason}" in lines
    passed = sum(i.status == "passed" for i in expected[:started])
    assert (tmp_path / "answers.jsonl").read_bytes().count(b"\n") == passed
    assert progress_counts(done.stderr) == {
        "passed": passed,
        "failed": started - passed,
        "skipped": ITEMS - started,
    }


MEMORY_STOP = re.compile(
    r"memory limit 1\.0 MiB crossed \(resident \d+\.\d MiB\); "
    r"raise memoryLimit and resume with `mcpctl apply --resume \d{8}T\d{6}-[0-9a-f]{6}`"
)


def test_a_memory_limit_crossed_stops_the_run_cleanly_and_the_advice_works(tmp_path: Path) -> None:
    plan = write_plan(tmp_path, STEADY, items=2, policy="memoryLimit: 1MiB")  # any process is larger
    done = mcpctl("apply", str(plan), "--yes", cwd=tmp_path)
    run = stopped_run(done.stderr)
    lines = done.stderr.splitlines()
    assert any(re.fullmatch(f"mcpctl: run {run} stopped: {MEMORY_STOP.pattern}", line) for line in lines)
    assert any(re.fullmatch(f"mcpctl: stopping: {MEMORY_STOP.pattern}", line) for line in lines)
    assert progress_counts(done.stderr) == {"skipped": 2}
    assert (tmp_path / "answers.jsonl").read_bytes() == b""
    assert "Traceback" not in done.stderr
    # as the message says: raise the limit and resume (how a plan runs may change; what it does not)
    original = plan.read_text()
    plan.write_text(original.replace("memoryLimit: 1MiB", "memoryLimit: 64GiB"))
    resumed = mcpctl("apply", "--resume", run, "--yes", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert [orjson.loads(line)["key"] for line in (tmp_path / "answers.jsonl").read_bytes().splitlines()] == [
        0,
        1,
    ]
    plan.write_text(original.replace("tool: work", "tool: other"))
    refused = mcpctl("apply", "--resume", run, "--yes", cwd=tmp_path)
    assert refused.returncode == 2
    assert (
        f"mcpctl: error: run {run}: the operations of BatchPlan/policies changed since the run started"
        in (refused.stderr)
    )


def test_a_run_stopped_by_its_memory_limit_does_not_exit_0(tmp_path: Path) -> None:
    """DESIGN.md section 6: 1 when a threshold failed; memoryLimit is one, and items were left undone."""
    plan = write_plan(tmp_path, STEADY, items=2, policy="memoryLimit: 1MiB")
    done = mcpctl("apply", str(plan), "--yes", cwd=tmp_path)
    assert MEMORY_STOP.search(done.stderr), done.stderr
    assert done.returncode == 1
