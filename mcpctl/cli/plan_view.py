"""How ``mcpctl plan`` (and ``apply`` before it asks) shows a planned BatchPlan: per operation its
title, counts and each step's line, then the diff of every file change; or the same as JSON."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from mcpctl.engine.batch.engine import PlannedBatch
from mcpctl.engine.batch.session import plan_document
from mcpctl.engine.batch.steps import OpPlan

MAX_STEP_LINES = 20
"""Bulk operations (10,000 execute items) list this many steps, then a count."""


def _counts(plan: OpPlan) -> str:
    parts = [f"{n} {verb}" for verb, n in plan.counts.items() if n]
    return ", ".join(parts) or "nothing to do"


def render_plan_text(planned: PlannedBatch, *, redact: Callable[[str], str]) -> str:
    """The plan for a reader: what each operation will do, and the diffs of the files it changes."""
    plan = planned.plan
    head = (
        f"BatchPlan/{plan.metadata.name}: {len(plan.operations)} operations, concurrency {plan.concurrency}, "
        f"onFailure {plan.on_failure}"
    )
    lines = [head, ""]
    for op_plan in planned.op_plans:
        lines.append(f"{op_plan.index + 1}. {op_plan.title}: {_counts(op_plan)}")
        bulk = op_plan.op == "execute"  # one line per record would drown the plan: counts say it
        described = [step for step in op_plan.steps if step.summary and not step.diff and not bulk]
        for step in described[:MAX_STEP_LINES]:
            lines.append(f"   {step.summary}")
        if len(described) > MAX_STEP_LINES:
            lines.append(f"   ... and {len(described) - MAX_STEP_LINES} more")
        lines.extend(f"   {note}" for note in op_plan.notes)
        for step in op_plan.steps:
            if step.diff:
                lines.append(f"   {step.summary}" if step.summary else f"   {step.id}")
                lines.extend(f"     {line}" for line in step.diff.rstrip("\n").split("\n"))
    totals: dict[str, int] = {}
    for op_plan in planned.op_plans:
        for verb, n in op_plan.counts.items():
            totals[verb] = totals.get(verb, 0) + n
    summary = ", ".join(f"{n} {verb}" for verb, n in totals.items() if n) or "nothing to do"
    lines += ["", f"Plan: {summary}."]
    return redact("\n".join(lines))


def render_plan_json(planned: PlannedBatch, *, redact: Callable[[str], str]) -> str:
    """The plan as JSON: operations with counts, notes and every step (id, item, summary, noop, diff)."""
    data = plan_document(planned)
    return redact(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def changes(planned: PlannedBatch) -> int:
    """How many steps would do something (not no-ops)."""
    return sum(not step.noop for op_plan in planned.op_plans for step in op_plan.steps)
