"""What a batch run shows: the progress lines, the tally of a bulk operation, the plan."""

from __future__ import annotations

import io

import pytest

from mcpctl.cli import batch_progress
from mcpctl.cli.batch_progress import LiveBatchProgress, PlainBatchProgress, operation_line
from mcpctl.cli.plan_view import changes, render_plan_json, render_plan_text
from mcpctl.engine.batch.engine import PlannedBatch
from mcpctl.engine.batch.steps import OpPlan, PlannedStep
from mcpctl.engine.batch.tally import MAX_LISTED, Tally
from mcpctl.engine.results import CaseResult
from mcpctl.spec.batch_model import BatchPlanSpec, ValidateOp
from mcpctl.spec.model import Metadata, Source

SOURCE = Source(path="plan.yaml", line=1, column=1)


def op_plan(op: str = "execute", steps: int = 3, **extra: object) -> OpPlan:
    planned = tuple(
        PlannedStep(id=f"2.{op}/{n}", op=op, item=str(n), summary=f"do {n}" if op != "execute" else "")
        for n in range(steps)
    )
    return OpPlan(index=1, op=op, title=f"{op} things", steps=planned, **extra)  # type: ignore[arg-type]


def test_the_plain_line_counts_steps_by_status_with_the_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([10.0, 12.0])
    monkeypatch.setattr(batch_progress.time, "perf_counter", lambda: next(clock))
    stream = io.StringIO()
    progress = PlainBatchProgress(stream)
    plan = op_plan()
    progress.operation_started(plan, 3)
    for status in ("passed", "failed", "passed"):
        progress.step_done(plan, status)  # type: ignore[arg-type]
    progress.operation_done(plan, [])
    progress.note("stopping: because")
    assert stream.getvalue() == (
        "2.execute: 2 passed, 1 failed in 2.00s (1.5 items/s)\nmcpctl: stopping: because\n"
    )
    assert operation_line(plan, {}, 0.0) == "2.execute: nothing to do in 0.00s"


def test_the_live_bar_shows_done_failed_rate_eta_and_memory() -> None:
    progress = LiveBatchProgress(color=False)
    out = io.StringIO()
    progress._console.file = out  # a terminal-less console records what the bar would draw
    plan = op_plan(steps=4)
    progress.operation_started(plan, 4)
    progress.step_done(plan, "passed")
    progress.step_done(plan, "error")
    progress._flush(progress._started + 2.0)
    task = progress._progress.tasks[0]
    assert (task.completed, task.total, task.fields["failed"], task.fields["rate"]) == (
        2,
        4,
        "1 failed",
        "1 items/s",
    )
    assert task.fields["rss"].startswith("RSS ")
    assert task.fields["rss"].endswith("MiB")
    progress.operation_done(plan, [])
    assert "2.execute: 1 passed, 1 error in" in out.getvalue()


def case(name: str, status: str, message: str = "", ms: float = 1.0, attempts: int = 1) -> CaseResult:
    return CaseResult(name=name, status=status, duration_ms=ms, message=message, attempts=attempts)  # type: ignore[arg-type]


def test_a_tally_counts_passes_and_skips_and_lists_failures() -> None:
    tally = Tally("4.execute")
    for ms in (1.0, 2.0, 3.0, 4.0):
        tally.passed(ms, attempts=1)
    tally.add(case("4.execute/9", "passed", ms=5.0, attempts=2))
    tally.add(case("4.execute/7", "skipped", "already answered in out.jsonl"))
    tally.add(case("4.execute/8", "skipped", "already answered in out.jsonl"))
    failure = case("4.execute/3", "failed", "forecast answered isError: no")
    tally.add(failure)
    cases = tally.cases(elapsed_ms=12.5)
    passes, skips, listed = cases
    assert (passes.name, passes.status, passes.duration_ms, passes.message) == (
        "4.execute: 5 items",
        "passed",
        12.5,
        "5 items passed (1 after retries)",
    )
    assert passes.latency is not None
    assert (passes.latency.count, passes.latency.p50, passes.latency.max) == (5, 3.0, 5.0)
    assert (skips.name, skips.status, skips.message) == (
        "4.execute: 2 items skipped",
        "skipped",
        "2 items: already answered in out.jsonl",
    )
    assert listed is failure


def test_failures_past_the_listing_limit_are_counted() -> None:
    tally = Tally("1.execute")
    for n in range(MAX_LISTED + 3):
        tally.add(case(f"1.execute/{n}", "error", "timed out"))
    cases = tally.cases(elapsed_ms=1.0)
    assert len(cases) == MAX_LISTED + 1
    assert (cases[-1].name, cases[-1].status, cases[-1].message) == (
        "1.execute: 3 more items error",
        "error",
        "3 more items error (not listed one by one; see the journal)",
    )


def planned(*op_plans: OpPlan) -> PlannedBatch:
    spec = BatchPlanSpec(
        metadata=Metadata(name="roll"),
        operations=(ValidateOp(servers=("a",), source=SOURCE),),
        source=SOURCE,
        spec_hash="0" * 64,
    )
    return PlannedBatch(plan=spec, operations=tuple((object(), p) for p in op_plans))  # type: ignore[misc]


def test_the_plan_lists_steps_diffs_notes_and_totals_and_hides_secrets() -> None:
    diff = '--- /dev/null\n+++ cfg.json\n@@ -0,0 +1 @@\n+{"token": "s3cret"}\n'
    deploy = OpPlan(
        index=0,
        op="deploy",
        title="deploy a to cursor",
        steps=(
            PlannedStep(
                id="1.deploy/a@cursor", op="deploy", item="a@cursor", summary="add a to cfg.json", diff=diff
            ),
            PlannedStep(
                id="1.deploy/b@cursor", op="deploy", item="b@cursor", summary="unchanged: b", noop=True
            ),
        ),
        counts={"add": 1, "unchanged": 1},
        notes=("creates cfg.json",),
    )
    bulk = op_plan(steps=30, counts={"to call": 30, "already answered": 0})
    text = render_plan_text(planned(deploy, bulk), redact=lambda t: t.replace("s3cret", "***"))
    assert text == "\n".join(
        [
            "BatchPlan/roll: 1 operations, concurrency 10, onFailure halt",
            "",
            "1. deploy a to cursor: 1 add, 1 unchanged",
            "   unchanged: b",
            "   creates cfg.json",
            "   add a to cfg.json",
            "     --- /dev/null",
            "     +++ cfg.json",
            "     @@ -0,0 +1 @@",
            '     +{"token": "***"}',
            "2. execute things: 30 to call",
            "",
            "Plan: 1 add, 1 unchanged, 30 to call.",
        ]
    )
    assert changes(planned(deploy, bulk)) == 31
    data = render_plan_json(planned(deploy), redact=lambda t: t)
    assert '"summary": "unchanged: b"' in data
    assert '"noop": true' in data


def test_items_settled_by_a_resume_are_counted_apart_from_the_latency() -> None:
    tally = Tally("2.execute")
    tally.passed(4.0, attempts=1)
    tally.add(case("2.execute/1", "passed", "done before this resume", ms=0.0))
    tally.add(case("2.execute/2", "passed", "done before this resume", ms=0.0))
    ran, settled = tally.cases(elapsed_ms=5.0)
    assert ran.latency is not None
    assert (ran.message, ran.latency.count, ran.latency.min) == ("1 item passed", 1, 4.0)
    assert (settled.name, settled.status, settled.message, settled.latency) == (
        "2.execute: 2 items done before this resume",
        "passed",
        "2 items: done before this resume",
        None,
    )
