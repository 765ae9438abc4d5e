"""The dashboard's batch progress: counts, items/s, ETA, and at most four events a second plus the final one."""

from __future__ import annotations

from collections.abc import Mapping

from mcpctl.engine.batch.steps import OpPlan
from mcpctl.web.batch_progress import DeskProgress

OP = OpPlan(index=0, op="execute", title="execute work", steps=())


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def progress(total: int) -> tuple[DeskProgress, Clock, list[dict[str, object]]]:
    clock, seen = Clock(), []

    def publish(kind: str, fields: Mapping[str, object]) -> None:
        assert kind == "batch"
        seen.append(dict(fields))

    return DeskProgress(run="r1", plan="p", total=total, publish=publish, clock=clock), clock, seen


def test_events_are_throttled_to_four_a_second_and_the_final_one_always_goes() -> None:
    desk, clock, seen = progress(100)
    desk.announce()
    for _ in range(100):  # 100 steps over 2 s: one every 20 ms
        clock.now += 0.02
        desk.step_done(OP, "passed")
    # the first event, then every 13th step (the first 20 ms tick at or past 250 ms): under 4 a second
    assert [event["done"] for event in seen] == [0, 13, 26, 39, 52, 65, 78, 91]
    desk.finish("done", None)
    assert len(seen) == 9
    assert seen[-1] == {
        "run": "r1",
        "plan": "p",
        "state": "done",
        "done": 100,
        "failed": 0,
        "total": 100,
        "items_per_s": 50.0,
        "eta_s": None,
        "stopped_reason": None,
    }


def test_failures_rate_and_eta_while_running() -> None:
    desk, clock, seen = progress(40)
    clock.now += 2.0
    for status in ("passed", "failed", "error", "skipped", "passed"):
        desk.step_done(OP, status)  # type: ignore[arg-type]
    snapshot = desk.snapshot()
    assert (snapshot["done"], snapshot["failed"], snapshot["items_per_s"], snapshot["eta_s"]) == (
        5,
        2,
        2.5,
        14.0,
    )
    assert seen[0]["done"] == 1


def test_steps_skipped_once_the_run_is_stopping_are_not_done() -> None:
    desk, _, _ = progress(10)
    desk.step_done(OP, "passed")
    desk.note("stopping: cancelled: finishing the steps in flight")
    desk.step_done(OP, "passed")  # in flight when the stop came
    for _ in range(8):
        desk.step_done(OP, "skipped")  # not started
    desk.finish("cancelled", "cancelled: finishing the steps in flight")
    assert (desk.done, desk.total, desk.notes) == (
        2,
        10,
        ["stopping: cancelled: finishing the steps in flight"],
    )
