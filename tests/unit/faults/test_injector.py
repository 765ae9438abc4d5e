"""The injector's decisions, on a fake clock: seeded draws, filters, windows, buckets, crashes, the log."""

from __future__ import annotations

import random
import time

import pytest

from mcpctl.engine.faults.injector import PASS, Decision, Injector, Request
from mcpctl.mock.behaviour import Dice
from mcpctl.spec.fault_model import (
    CrashFault,
    Fault,
    FaultParams,
    HangFault,
    LatencyFault,
    MalformedFault,
    RateLimitFault,
    ResetFault,
    SlowStartFault,
    kind_of,
)
from mcpctl.spec.mock_model import Latency
from mcpctl.spec.model import Source
from mcpctl.spec.units import Duration, Rate

SOURCE = Source(path="faults.yaml", line=3, column=5)


def fault(name: str, params: FaultParams, **fields: object) -> Fault:
    return Fault(name=name, kind=kind_of(params), params=params, source=SOURCE, **fields)


def fixed(seconds: float) -> LatencyFault:
    return LatencyFault(latency=Latency(distribution="fixed", value=Duration(seconds=seconds)))


def uniform(low: float, high: float) -> LatencyFault:
    return LatencyFault(
        latency=Latency(distribution="uniform", min=Duration(seconds=low), max=Duration(seconds=high))
    )


def call(tool: str = "echo", rid: int = 1, **arguments: object) -> Request:
    return Request(method="tools/call", id=rid, tool=tool, arguments=arguments)


def s(seconds: float) -> Duration:
    return Duration(seconds=seconds)


class Clock:
    def __init__(self) -> None:
        self.now = [0.0]

    def __call__(self) -> float:
        return self.now[0]

    def set(self, seconds: float) -> None:
        self.now[0] = seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def struck(injector: Injector, requests: list[Request], name: str) -> list[object]:
    """The ids of the requests fault ``name`` struck."""
    for request in requests:
        injector.decide(request)
    return [e["id"] for e in injector.events if e["event"] == "fault" and e["fault"] == name]


REQUESTS = [call(rid=i) for i in range(200)]


# -- seeded draws --------------------------------------------------------------------------------


def test_the_same_seed_and_requests_give_the_same_decisions(clock: Clock) -> None:
    faults = [fault("drop", ResetFault(), probability=0.5), fault("slow", uniform(0.1, 0.3), probability=0.5)]
    first = Injector(faults, seed=42, clock=clock)
    second = Injector(faults, seed=42, clock=clock)
    decisions = [first.decide(r) for r in REQUESTS]
    assert decisions == [second.decide(r) for r in REQUESTS]
    assert {d.action for d in decisions} == {None, "reset"}
    assert len({d.delay for d in decisions}) > 50


def test_another_scenario_seed_gives_other_decisions(clock: Clock) -> None:
    faults = [fault("drop", ResetFault(), probability=0.5)]
    assert struck(Injector(faults, seed=1, clock=clock), REQUESTS, "drop") != struck(
        Injector(faults, seed=2, clock=clock), REQUESTS, "drop"
    )


def test_a_faults_own_seed_wins_over_the_scenarios(clock: Clock) -> None:
    faults = [fault("drop", ResetFault(), probability=0.5, seed=7)]
    one = struck(Injector(faults, seed=1, clock=clock), REQUESTS, "drop")
    assert one == struck(Injector(faults, seed=2, clock=clock), REQUESTS, "drop")
    assert one == struck(Injector(faults, seed=None, clock=clock), REQUESTS, "drop")
    # and it is the fault's seed that is used, not the scenario's
    unseeded = [fault("drop", ResetFault(), probability=0.5)]
    assert one != struck(Injector(unseeded, seed=7, clock=clock), REQUESTS, "drop")


def test_adding_a_fault_does_not_change_another_faults_draws(clock: Clock) -> None:
    alone = [fault("drop", ResetFault(), probability=0.5)]
    crowded = [
        fault("slow", uniform(0.0, 1.0), probability=0.5),
        fault("drop", ResetFault(), probability=0.5),
        fault("stall", HangFault(), probability=0.5),
    ]
    expected = struck(Injector(alone, seed=9, clock=clock), REQUESTS, "drop")
    assert 50 < len(expected) < 150
    assert struck(Injector(crowded, seed=9, clock=clock), REQUESTS, "drop") == expected


def test_probability_is_the_share_of_requests_struck(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), probability=0.3)], seed=3, clock=clock)
    actions = [injector.decide(call(rid=i)).action for i in range(1000)]
    assert 250 <= actions.count("reset") <= 350
    assert injector.status()[0] == {
        "name": "drop",
        "kind": "reset",
        "enabled": True,
        "matched": 1000,
        "injected": actions.count("reset"),
    }


def test_probability_zero_never_strikes(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), probability=0.0)], seed=3, clock=clock)
    assert all(injector.decide(call(rid=i)).passes for i in range(100))


# -- what a fault applies to ---------------------------------------------------------------------


def test_no_fault_applying_gives_pass_itself(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), methods=("ping",))], clock=clock)
    assert injector.decide(call()) is PASS
    assert PASS.passes
    assert (list(injector.events), injector.count) == ([], 0)


def test_methods_are_shell_patterns(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), methods=("tools/*", "ping"))], clock=clock)
    assert injector.decide(Request(method="tools/list", id=1)).action == "reset"
    assert injector.decide(call()).action == "reset"
    assert injector.decide(Request(method="ping", id=2)).action == "reset"
    assert injector.decide(Request(method="resources/read", id=3)) is PASS
    assert injector.decide(Request(method="Tools/list", id=4)) is PASS  # case matters


def test_tools_are_shell_patterns_and_imply_tools_call(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), tools=("get_*", "echo"))], clock=clock)
    assert injector.decide(call("get_weather")).action == "reset"
    assert injector.decide(call("echo")).action == "reset"
    assert injector.decide(call("set_weather")) is PASS
    assert injector.decide(call("echo2")) is PASS
    assert injector.decide(Request(method="tools/list", id=5)) is PASS
    # a request naming a tool outside tools/call is no tool call
    prompt = Request.of({"jsonrpc": "2.0", "id": 6, "method": "prompts/get", "params": {"name": "echo"}})
    assert injector.decide(prompt) is PASS


def test_methods_and_tools_must_both_match(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), methods=("ping",), tools=("echo",))], clock=clock)
    assert injector.decide(call("echo")) is PASS
    assert injector.decide(Request(method="ping", id=1)) is PASS


def test_window_counts_from_the_start(clock: Clock) -> None:
    clock.set(100.0)
    injector = Injector([fault("drop", ResetFault(), start=s(10), end=s(20))], clock=clock)
    for at, action in [(109.999, None), (110.0, "reset"), (119.999, "reset"), (120.0, None), (500.0, None)]:
        clock.set(at)
        assert injector.decide(call()).action == action, at


def test_window_counts_from_a_wall_clock_start_in_the_past(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1000.0)
    injector = Injector([fault("drop", ResetFault(), start=s(10), end=s(20))], clock=clock, started_at=995.0)
    clock.set(4.5)  # 9.5 s after the scenario started
    assert injector.decide(call()) is PASS
    clock.set(5.0)
    assert injector.decide(call(rid=2)).action == "reset"
    clock.set(15.0)
    assert injector.decide(call(rid=3)) is PASS
    assert [e["elapsed"] for e in injector.events] == [10.0]


def test_times_limits_the_strikes_not_the_matches(clock: Clock) -> None:
    injector = Injector([fault("drop", ResetFault(), times=2, probability=0.5)], seed=5, clock=clock)
    actions = [injector.decide(call(rid=i)).action for i in range(50)]
    assert actions.count("reset") == 2
    status = injector.status()[0]
    assert status["injected"] == 2
    # it stops matching once spent: matched counts up to the second strike only
    assert status["matched"] == actions.index("reset", actions.index("reset") + 1) + 1


def test_a_disabled_fault_never_strikes_until_enabled(clock: Clock) -> None:
    injector = Injector([fault("stall", HangFault(forward=False), enabled=False)], clock=clock)
    assert injector.decide(call()) is PASS
    assert injector.set_enabled("stall", True) is True
    assert injector.decide(call(rid=2)).action == "hang"
    assert injector.set_enabled("stall", False) is True
    assert injector.decide(call(rid=3)) is PASS
    assert injector.set_enabled("nope", True) is False
    controls = [
        {k: e[k] for k in ("event", "fault", "enabled")} for e in injector.events if e["event"] == "control"
    ]
    assert controls == [
        {"event": "control", "fault": "stall", "enabled": True},
        {"event": "control", "fault": "stall", "enabled": False},
    ]
    assert [s["enabled"] for s in injector.status()] == [False]


# -- latency and the actions -----------------------------------------------------------------------


def test_latency_faults_add_up(clock: Clock) -> None:
    injector = Injector([fault("a", fixed(0.25)), fault("b", fixed(0.5))], clock=clock)
    decision = injector.decide(call())
    assert decision == Decision(delay=0.75)
    assert not decision.passes
    assert [e["detail"] for e in injector.events] == ["delayed 250.0ms", "delayed 500.0ms"]


def test_a_uniform_latency_is_the_fault_dices_draw(clock: Clock) -> None:
    latency = uniform(0.1, 0.3)
    injector = Injector([fault("fixed", fixed(0.2)), fault("spread", latency)], seed=11, clock=clock)
    rng = random.Random("11/spread")
    dice = Dice(rng.getrandbits(64))
    for i in range(20):
        draw = dice.seconds(latency.latency)
        assert 0.1 <= draw <= 0.3
        assert injector.decide(call(rid=i)).delay == 0.2 + draw
    details = [e["detail"] for e in injector.events if e["fault"] == "spread"]
    assert len(details) == 20


def test_the_first_ending_fault_wins_and_later_ones_are_not_logged(clock: Clock) -> None:
    injector = Injector(
        [
            fault("drop", ResetFault(when="before")),
            fault("stall", HangFault()),
            fault("garble", MalformedFault(kind="truncated")),
            fault("slow", fixed(0.5)),
        ],
        clock=clock,
    )
    decision = injector.decide(call())
    assert decision == Decision(delay=0.5, action="reset", fault="drop", reset_after=False)
    assert [(e["fault"], e["detail"]) for e in injector.events] == [
        ("drop", "connection dropped before the server got the request"),
        ("slow", "delayed 500.0ms"),
    ]
    assert [(st["matched"], st["injected"]) for st in injector.status()] == [(1, 1), (1, 0), (1, 0), (1, 1)]


@pytest.mark.parametrize(
    ("params", "expected", "detail"),
    [
        (
            ResetFault(),
            Decision(action="reset", fault="f", reset_after=True),
            "connection dropped after the server got the request",
        ),
        (HangFault(), Decision(action="hang", fault="f", forward=True), "answer withheld"),
        (HangFault(forward=False), Decision(action="hang", fault="f", forward=False), "request swallowed"),
        (
            MalformedFault(kind="oversize", size=1024),
            Decision(action="malformed", fault="f", malformed="oversize", size=1024),
            "oversize",
        ),
    ],
)
def test_each_ending_fault_decides_and_logs(
    clock: Clock, params: FaultParams, expected: Decision, detail: str
) -> None:
    injector = Injector([fault("f", params), fault("later", ResetFault(when="before"))], clock=clock)
    assert injector.decide(call()) == expected
    assert [e["detail"] for e in injector.events] == [detail]


# -- rate limit ----------------------------------------------------------------------------------


def test_rate_limit_is_a_token_bucket(clock: Clock) -> None:
    injector = Injector([fault("bucket", RateLimitFault(rate=Rate(per_second=2.0), burst=3))], clock=clock)
    assert [injector.decide(call(rid=i)).passes for i in range(3)] == [True, True, True]
    assert injector.decide(call(rid=3)) == Decision(action="rate_limit", fault="bucket", retry_after=0.5)
    clock.set(0.25)  # half a token back
    assert injector.decide(call(rid=4)).retry_after == 0.25
    clock.set(0.5)  # a whole token
    assert injector.decide(call(rid=5)).passes
    assert injector.decide(call(rid=6)).retry_after == 0.5
    clock.set(100.0)  # refilled, but never beyond the burst
    assert [injector.decide(call(rid=i)).action for i in range(4)] == [None, None, None, "rate_limit"]
    assert [e["detail"] for e in injector.events] == [
        "retry after 0.500s",
        "retry after 0.250s",
        "retry after 0.500s",
        "retry after 0.500s",
    ]
    assert injector.status()[0]["matched"] == 11
    assert injector.status()[0]["injected"] == 4


def test_rate_limit_does_not_refuse_what_an_earlier_fault_ended(clock: Clock) -> None:
    bucket = fault("bucket", RateLimitFault(rate=Rate(per_second=1.0), burst=1))
    injector = Injector([fault("drop", ResetFault(), probability=1.0), bucket], clock=clock)
    injector.decide(call(rid=1))
    assert injector.decide(call(rid=2)).action == "reset"
    assert [e["fault"] for e in injector.events] == ["drop", "drop"]


# -- server life ---------------------------------------------------------------------------------


def test_crash_after_calls_fires_on_the_nth_matching_call_and_again_after_a_restart(clock: Clock) -> None:
    injector = Injector(
        [fault("boom", CrashFault(after_calls=3, restart=True), tools=("write",))], clock=clock
    )

    def crashes(n: int) -> list[str]:
        out = []
        for i in range(n):
            injector.decide(call("read", rid=100 + i))  # does not count
            out.append(injector.decide(call("write", rid=i)).crash)
        return out

    assert crashes(5) == ["", "", "boom", "", ""]
    injector.restarted()
    assert crashes(4) == ["", "", "boom", ""]
    assert [(e["id"], e["detail"]) for e in injector.events] == [
        (2, "server killed at call 3"),
        (2, "server killed at call 3"),
    ]
    assert not Decision(crash="boom").passes


def test_crash_times_stops_it(clock: Clock) -> None:
    injector = Injector([fault("boom", CrashFault(after_calls=1), times=1)], clock=clock)
    assert injector.decide(call()).crash == "boom"
    injector.restarted()
    assert injector.decide(call(rid=2)) is PASS


def test_crash_timer_picks_the_earliest_enabled_timed_crash(clock: Clock) -> None:
    injector = Injector(
        [
            fault("late", CrashFault(after=s(5))),
            fault("soon", CrashFault(after=s(2))),
            fault("off", CrashFault(after=s(1)), enabled=False),
            fault("counted", CrashFault(after_calls=1)),
        ],
        clock=clock,
    )
    assert injector.crash_timer() == ("soon", 2.0)
    injector.set_enabled("off", True)
    assert injector.crash_timer() == ("off", 1.0)
    assert injector.crash("late") == CrashFault(after=s(5))
    # a timed crash is not a per-request decision
    assert injector.decide(call()).crash == "counted"
    assert Injector([fault("c", CrashFault(after_calls=2))], clock=clock).crash_timer() is None


def test_a_timed_crash_with_times_is_spent_once_logged(clock: Clock) -> None:
    injector = Injector([fault("soon", CrashFault(after=s(2)), times=1)], clock=clock)
    clock.set(2.0)
    injector.crashed_on_timer("soon")
    assert injector.crash_timer() is None
    (entry,) = injector.events
    assert {k: entry[k] for k in ("event", "fault", "kind", "detail", "elapsed")} == {
        "event": "fault",
        "fault": "soon",
        "kind": "crash",
        "detail": "server killed 2s after it started",
        "elapsed": 2.0,
    }
    assert "method" not in entry


def test_slow_start_is_the_longest_enabled_one(clock: Clock) -> None:
    injector = Injector(
        [
            fault("short", SlowStartFault(delay=s(1))),
            fault("long", SlowStartFault(delay=s(3))),
            fault("off", SlowStartFault(delay=s(5)), enabled=False),
        ],
        clock=clock,
    )
    assert injector.slow_start() == 3.0
    assert injector.decide(call()) is PASS  # it holds the server, not requests
    injector.slowed(3.0)
    assert [(e["fault"], e["detail"]) for e in injector.events] == [
        ("short", "server held back 3000ms after start")
    ]
    injector.set_enabled("off", True)
    assert injector.slow_start() == 5.0
    assert Injector([], clock=clock).slow_start() == 0.0


# -- what the proxy relays -----------------------------------------------------------------------

TOOLS = [
    {"name": "read", "annotations": {"readOnlyHint": True}, "outputSchema": {"type": "object"}},
    {"name": "put", "annotations": {"idempotentHint": True}},
    {"name": "write", "annotations": {"readOnlyHint": False, "destructiveHint": True}},
    {"name": "quoted", "annotations": {"readOnlyHint": "true"}},
    {"name": "plain"},
    {"title": "no name"},
    "not a tool",
]


def test_learn_tools_keeps_output_schemas(clock: Clock) -> None:
    injector = Injector([], clock=clock)
    injector.learn_tools(TOOLS)
    assert injector.output_schema("read") == {"type": "object"}
    assert injector.output_schema("plain") is None
    assert injector.output_schema("unknown") is None
    assert injector.output_schema(None) is None


def test_forwarded_calls_say_which_have_side_effects(clock: Clock) -> None:
    injector = Injector([], clock=clock, track_calls=True)
    injector.learn_tools(TOOLS)
    for i, name in enumerate(["read", "put", "write", "quoted", "plain", "unknown"]):
        injector.forwarded(call(name, rid=i, x=1))
    injector.forwarded(Request(method="tools/list", id=9))
    effects = {e["tool"]: e["side_effects"] for e in injector.events}
    assert effects == {
        "read": False,
        "put": False,
        "write": True,
        "quoted": True,
        "plain": True,
        "unknown": True,
    }


def test_forwarded_and_lost_entries(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1700000000.1234567)
    injector = Injector([], clock=clock, track_calls=True)
    request = call("write", rid=7, path="/tmp/x")
    clock.set(1.5)
    injector.forwarded(request)
    injector.lost(request, "drop")
    injector.lost(Request(method="ping", id=8), "drop")  # not a tool call
    assert list(injector.events) == [
        {
            "ts": 1700000000.123457,
            "elapsed": 1.5,
            "event": "call",
            "tool": "write",
            "id": 7,
            "call": request.call_key,
            "side_effects": True,
            "seq": 1,
        },
        {
            "ts": 1700000000.123457,
            "elapsed": 1.5,
            "event": "lost",
            "fault": "drop",
            "id": 7,
            "call": request.call_key,
            "seq": 2,
        },
    ]


def test_calls_are_not_logged_unless_tracked(clock: Clock) -> None:
    injector = Injector([], clock=clock)
    injector.forwarded(call())
    injector.lost(call(), "drop")
    assert (list(injector.events), injector.count) == ([], 0)


# -- the fault log -------------------------------------------------------------------------------


def test_the_sink_gets_every_entry_in_order(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 50.0)
    got: list[dict[str, object]] = []
    injector = Injector(
        [fault("drop", ResetFault(when="before"), tools=("echo",))],
        sink=got.append,
        clock=clock,
        track_calls=True,
    )
    clock.set(2.5)
    injector.decide(call("echo", rid=1))
    clock.set(3.0)
    injector.forwarded(call("other", rid=2))
    injector.set_enabled("drop", False)
    assert got == list(injector.events)
    assert [e["seq"] for e in got] == [1, 2, 3]
    assert [e["elapsed"] for e in got] == [2.5, 3.0, 3.0]
    assert injector.count == 3
    assert got[0] == {
        "ts": 50.0,
        "elapsed": 2.5,
        "event": "fault",
        "fault": "drop",
        "kind": "reset",
        "method": "tools/call",
        "id": 1,
        "tool": "echo",
        "detail": "connection dropped before the server got the request",
        "seq": 1,
    }


def test_a_fault_on_another_method_logs_no_tool(clock: Clock) -> None:
    injector = Injector([fault("stall", HangFault())], clock=clock)
    injector.decide(Request(method="ping", id="a"))
    (entry,) = injector.events
    assert (entry["method"], entry["id"], "tool" in entry) == ("ping", "a", False)


def test_status_counts_matched_and_injected(clock: Clock) -> None:
    injector = Injector(
        [fault("drop", ResetFault(), times=1), fault("slow", fixed(0.1), methods=("ping",))], clock=clock
    )
    for i in range(3):
        injector.decide(call(rid=i))
    injector.decide(Request(method="ping", id=9))
    assert injector.status() == [
        {"name": "drop", "kind": "reset", "enabled": True, "matched": 1, "injected": 1},
        {"name": "slow", "kind": "latency", "enabled": True, "matched": 1, "injected": 1},
    ]


# -- requests ------------------------------------------------------------------------------------


def test_request_of_a_tool_call() -> None:
    message = {
        "jsonrpc": "2.0",
        "id": 4,
        "method": "tools/call",
        "params": {"name": "echo", "arguments": {"text": "hi"}},
    }
    assert Request.of(message) == Request(method="tools/call", id=4, tool="echo", arguments={"text": "hi"})


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            {"id": "x", "method": "resources/read", "params": {"name": "echo", "arguments": {}}},
            Request(method="resources/read", id="x"),
        ),
        ({"id": 1, "method": "tools/call", "params": {"name": 5}}, Request(method="tools/call", id=1)),
        ({"id": 1, "method": "tools/call", "params": ["echo"]}, Request(method="tools/call", id=1)),
        ({"method": "notifications/initialized"}, Request(method="notifications/initialized", id=None)),
        ({"id": 2}, Request(method="", id=2)),
    ],
)
def test_request_of_other_messages(message: dict[str, object], expected: Request) -> None:
    assert Request.of(message) == expected


def test_call_key_ignores_key_order_only() -> None:
    key = call("echo", a=1, b={"x": 1, "y": [1, 2]}).call_key
    assert len(key) == 16
    assert int(key, 16) >= 0
    assert (
        Request(
            method="tools/call", id=2, tool="echo", arguments={"b": {"y": [1, 2], "x": 1}, "a": 1}
        ).call_key
        == key
    )
    assert call("echo", a=1, b={"x": 1, "y": [2, 1]}).call_key != key
    assert call("echo", a=2, b={"x": 1, "y": [1, 2]}).call_key != key
    assert call("other", a=1, b={"x": 1, "y": [1, 2]}).call_key != key
