"""Dispatch with a fake clock and exact timings: group_wait batching, group_interval, repeat_interval
(rounded up to a group_interval multiple), one resolved notification, silences, inhibition, acknowledgement
and escalation; and the evaluator's events feeding the dispatcher."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mcpctl.observe.alerts.alert import Alert, AlertStatus, fingerprint
from mcpctl.observe.alerts.route import Dispatcher, EscalationStep, Notification
from mcpctl.observe.alerts.silence import Silence
from mcpctl.observe.alerts.state import Evaluator
from mcpctl.spec.alert_matchers import parse_matcher
from mcpctl.spec.alert_rules import Rule, parse_condition


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def alert(server: str, status: AlertStatus = "firing", *, ends_at: float | None = None) -> Alert:
    labels = {"alertname": "HighP99", "server": server, "severity": "warning"}
    return Alert(
        labels=labels,
        annotations={"condition": "p99 > 500ms"},
        status=status,
        starts_at=0,
        ends_at=ends_at,
        fingerprint=fingerprint(labels),
    )


def dispatcher(clock: Clock, **overrides: object) -> Dispatcher:
    options: dict[str, object] = {
        "group_by": ["alertname"],
        "group_wait": 10,
        "group_interval": 60,
        "repeat_interval": 3600,
    }
    options.update(overrides)
    return Dispatcher(clock=clock, **options)  # type: ignore[arg-type]


Seen = list[tuple[float, str, int, list[str]]]


def run(
    d: Dispatcher, clock: Clock, until: int, script: dict[int, Callable[[], object]] | None = None
) -> Seen:
    """Tick every second from 0 to ``until``; ``script`` acts at given seconds, before that second's tick."""
    seen: Seen = []
    for second in range(until + 1):
        clock.now = float(second)
        if script and second in script:
            script[second]()
        seen += [(n.at, n.why, n.step, servers(n)) for n in d.tick(clock.now)]
    return seen


def servers(notification: Notification) -> list[str]:
    return [f"{a.labels['server']}:{a.status}" for a in notification.alerts]


def test_group_wait_batches_alerts_that_start_together_into_one_notification() -> None:
    clock = Clock()
    d = dispatcher(clock, group_wait=30)
    seen = run(d, clock, 100, {0: lambda: d.push(alert("a")), 10: lambda: d.push(alert("b"))})
    assert seen == [(30, "new", 0, ["a:firing", "b:firing"])]
    assert d.tick(31) == []  # the group flushed; its next flush is at 90


def test_the_notification_carries_what_a_webhook_needs() -> None:
    clock = Clock()
    d = dispatcher(clock, group_by=["alertname", "severity"])
    d.push(alert("b"))
    d.push(alert("a"))
    (note,) = d.tick(10)
    assert note.group_key == '{alertname="HighP99",severity="warning"}'
    assert note.group_labels == {"alertname": "HighP99", "severity": "warning"}
    assert (note.status, note.receivers, note.step, note.at) == ("firing", ("default",), 0, 10)
    assert [a.labels["server"] for a in note.alerts] == ["a", "b"]
    assert note.common_labels == {"alertname": "HighP99", "severity": "warning"}
    assert note.common_annotations == {"condition": "p99 > 500ms"}
    assert note.alerts[0].fingerprint == fingerprint(
        {"alertname": "HighP99", "server": "a", "severity": "warning"}
    )


def test_a_new_alert_in_a_notified_group_waits_for_the_group_interval() -> None:
    clock = Clock()
    d = dispatcher(clock)
    seen = run(d, clock, 200, {0: lambda: d.push(alert("a")), 20: lambda: d.push(alert("b"))})
    assert seen == [(10, "new", 0, ["a:firing"]), (70, "new", 0, ["a:firing", "b:firing"])]


def test_an_unchanged_firing_group_repeats_once_per_repeat_interval_rounded_up_to_the_group_interval() -> (
    None
):
    clock = Clock()
    d = dispatcher(clock, repeat_interval=150)  # group_interval 60: repeats every 180 s
    assert d.repeat_interval == 180
    seen = run(d, clock, 1000, {0: lambda: d.push(alert("a"))})
    assert [(at, why) for at, why, _, _ in seen] == [
        (10, "new"),
        (190, "repeat"),
        (370, "repeat"),
        (550, "repeat"),
        (730, "repeat"),
        (910, "repeat"),
    ]


def test_a_resolved_alert_is_notified_once_then_leaves_the_group() -> None:
    clock = Clock()
    d = dispatcher(clock)
    script = {0: lambda: d.push(alert("a")), 25: lambda: d.push(alert("a", "resolved", ends_at=25))}
    seen = run(d, clock, 1000, script)
    assert seen == [(10, "new", 0, ["a:firing"]), (70, "resolved", 0, ["a:resolved"])]
    assert d.alerts('{alertname="HighP99"}') == ()


def test_an_alert_resolved_before_anyone_was_told_it_fired_notifies_nobody() -> None:
    clock = Clock()
    d = dispatcher(clock)
    script = {0: lambda: d.push(alert("a")), 5: lambda: d.push(alert("a", "resolved", ends_at=5))}
    assert run(d, clock, 300, script) == []


def test_a_silence_mutes_until_it_ends_then_the_next_flush_notifies() -> None:
    clock = Clock()
    silence = Silence(id="s1", matchers=(parse_matcher("server=a"),), starts_at=0, ends_at=100)
    d = dispatcher(clock, silences=[silence])
    script = {0: lambda: (d.push(alert("a")), d.push(alert("b")))}
    seen = run(d, clock, 400, script)
    assert seen == [(10, "new", 0, ["b:firing"]), (130, "new", 0, ["a:firing", "b:firing"])]


def test_a_silence_added_later_stops_repeats_which_resume_when_it_ends() -> None:
    clock = Clock()
    d = dispatcher(clock, repeat_interval=120)
    silence = Silence(id="s1", matchers=(parse_matcher("alertname=~High.*"),), starts_at=100, ends_at=400)
    seen = run(d, clock, 600, {0: lambda: d.push(alert("a")), 50: lambda: d.add_silence(silence)})
    assert [(at, why) for at, why, _, _ in seen] == [(10, "new"), (430, "repeat"), (550, "repeat")]


def test_an_inhibited_alert_is_left_out_until_the_hook_releases_it() -> None:
    clock = Clock()
    down = {"b"}  # b depends on something that is down: its alerts are noise
    d = dispatcher(clock, inhibit=lambda a: a.labels["server"] in down)
    script = {0: lambda: (d.push(alert("a")), d.push(alert("b"))), 100: down.clear}
    seen = run(d, clock, 200, script)
    assert seen == [(10, "new", 0, ["a:firing"]), (130, "new", 0, ["a:firing", "b:firing"])]


def test_an_acknowledged_alert_is_not_notified_again_until_it_resolves() -> None:
    clock = Clock()
    d = dispatcher(clock, repeat_interval=60)
    fp = alert("a").fingerprint
    acks: list[bool] = []
    script = {
        0: lambda: (d.push(alert("a")), d.push(alert("b"))),
        20: lambda: acks.append(d.ack(fp)),
        200: lambda: d.push(alert("a", "resolved", ends_at=200)),
    }
    seen = run(d, clock, 260, script)
    assert acks == [True]
    assert seen == [
        (10, "new", 0, ["a:firing", "b:firing"]),
        (70, "repeat", 0, ["b:firing"]),
        (130, "repeat", 0, ["b:firing"]),
        (190, "repeat", 0, ["b:firing"]),
        (250, "resolved", 0, ["b:firing", "a:resolved"]),
    ]
    assert d.ack("no-such-alert") is False
    assert d.ack(fp) is False  # resolved and gone


def test_an_unacknowledged_group_escalates_to_the_next_step_after_its_wait() -> None:
    clock = Clock()
    steps = [EscalationStep(receivers=("oncall",), wait=300), EscalationStep(receivers=("manager", "slack"))]
    d = dispatcher(clock, escalation=steps, repeat_interval=1200)
    received: list[tuple[float, tuple[str, ...]]] = []
    for second in range(1600):
        clock.now = float(second)
        if second == 0:
            d.push(alert("a"))
        received += [(n.at, n.receivers) for n in d.tick()]
    assert received == [(10, ("oncall",)), (310, ("manager", "slack")), (1510, ("manager", "slack"))]


def test_acknowledging_stops_the_escalation_and_a_new_alert_starts_it_again() -> None:
    clock = Clock()
    steps = [EscalationStep(receivers=("oncall",), wait=300), EscalationStep(receivers=("manager",))]
    d = dispatcher(clock, escalation=steps)
    counts: list[int] = []
    script = {
        0: lambda: d.push(alert("a")),
        200: lambda: counts.append(d.ack_group('{alertname="HighP99"}')),
        500: lambda: d.push(alert("b")),
    }
    seen = run(d, clock, 1000, script)
    assert counts == [1]
    assert seen == [
        (10, "new", 0, ["a:firing"]),
        (550, "new", 0, ["b:firing"]),
        (850, "escalation", 1, ["b:firing"]),
    ]


def test_coarse_ticks_keep_the_group_schedule() -> None:
    clock = Clock()
    d = dispatcher(clock, repeat_interval=120)
    d.push(alert("a"))
    whys = [(t, [n.why for n in d.tick(t)]) for t in (5.0, 45.0, 131.0, 250.0, 251.0)]
    # flushes are due at 10, 70, 130, 190, 250: a late tick flushes once and keeps to that grid
    assert whys == [(5.0, []), (45.0, ["new"]), (131.0, []), (250.0, ["repeat"]), (251.0, [])]


def test_evaluator_events_feed_the_dispatcher() -> None:
    clock = Clock()
    evaluator = Evaluator([Rule(name="HighP99", condition=parse_condition("p99 > 500ms"), for_=20)])
    d = dispatcher(clock)
    seen: Seen = []
    for second in range(0, 200, 10):
        clock.now = float(second)
        p99 = 800.0 if second < 100 else 100.0
        d.ingest(evaluator.evaluate(clock.now, {"a": {"p99": p99}, "b": {"p99": 100.0}}))
        seen += [(n.at, n.why, n.step, servers(n)) for n in d.tick()]
    # pending at 0, firing at 20 (+10 group_wait), resolved at 100, reported at the 90 + 60 flush
    assert seen == [(30, "new", 0, ["a:firing"]), (150, "resolved", 0, ["a:resolved"])]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"group_interval": 0},
            "group_wait must not be negative; group_interval and repeat_interval must be > 0",
        ),
        ({"escalation": []}, "escalation needs at least one step"),
    ],
)
def test_bad_dispatch_settings(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        dispatcher(Clock(), **overrides)
