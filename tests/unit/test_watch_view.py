"""The live view of ``mcpctl watch``: messages of every type folded into state, and the text drawn from it."""

from __future__ import annotations

import io
import time

import pytest
from rich.console import Console

from mcpctl.cli.watch_view import WatchView, describe
from mcpctl.observe.sparkline import sparkline

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC
HELLO = {
    "type": "hello",
    "seq": 2,
    "status": {
        "monitor": "prod",
        "ts": NOW - 100,
        "window_seconds": 300.0,
        "servers": [
            {"name": "weather", "health": "healthy", "reasons": [], "p50_ms": 4.0, "p90_ms": 5.0,
             "p99_ms": 6.0, "calls_per_second": 0.5, "error_rate": 0.0},
            {"name": "github", "health": None, "reasons": [], "p50_ms": 0.0, "p90_ms": 0.0,
             "p99_ms": 0.0, "calls_per_second": 0.0, "error_rate": 0.0},
        ],
    },
}  # fmt: skip
ALERT = {
    "type": "alert",
    "rule": "HighErrorRate",
    "server": "github",
    "from": "pending",
    "to": "firing",
    "reason": "error_rate 100% > 20%",
    "fingerprint": "f1",
    "severity": "page",
    "labels": {"team": "core"},
}
EVENTS: list[dict[str, object]] = [
    {"type": "health", "server": "github", "from": None, "to": "unhealthy", "reasons": ["error_rate 100% > 20%"]},
    ALERT,
    {"type": "notification", "group": "core", "status": "firing", "why": "new alert",
     "receivers": ["slack", "pager"], "alerts": ["HighErrorRate"]},
    {"type": "delivery", "receiver": "slack", "ok": False, "final": False, "attempt": 1, "error": "HTTP 503"},
    {"type": "delivery", "receiver": "pager", "ok": True, "final": True, "attempt": 1, "error": None},
    {"type": "reload", "ok": False, "files": ["alerts.yaml"],
     "error": "alerts.yaml:3:7: AlertRule/x: expr: unknown metric 'p98'"},
    {"type": "reload", "ok": True, "files": ["alerts.yaml"], "error": None},
    {"type": "error", "message": "receiver slack: token expired"},
]  # fmt: skip


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def _stamped(events: list[dict[str, object]], first_seq: int, ts: float) -> list[dict[str, object]]:
    return [{"seq": first_seq + n, "ts": ts, **event} for n, event in enumerate(events)]


def _text(view: WatchView) -> str:
    console = Console(file=io.StringIO(), width=130, color_system=None, record=True)
    console.print(view.render())
    return console.export_text()


def test_sparkline_scales_from_the_smallest_to_the_largest() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([10.0, None, 80.0, 45.0]) == "▁ █▅"
    assert sparkline([3.0, 3.0]) == "▁▁"
    assert sparkline([None, None]) == "  "
    assert sparkline([]) == ""


def test_every_event_type_has_its_line() -> None:
    lines = [describe(event) for event in _stamped(EVENTS, 3, NOW)]
    assert [None if line is None else (line.plain, str(line.style)) for line in lines] == [
        ("08:00:00 github - → unhealthy: error_rate 100% > 20%", "red"),
        ("08:00:00 alert HighErrorRate github pending → firing: error_rate 100% > 20%", "red"),
        ("08:00:00 notify core firing → slack, pager: HighErrorRate (new alert)", "cyan"),
        ("08:00:00 delivery to slack failed (attempt 1, will retry): HTTP 503", "red"),
        None,
        ("08:00:00 reload failed: alerts.yaml:3:7: AlertRule/x: expr: unknown metric 'p98'", "bold red"),
        ("08:00:00 reloaded alerts.yaml", "green"),
        ("08:00:00 error: receiver slack: token expired", "bold red"),
    ]
    assert describe({"type": "sample", "seq": 1, "ts": NOW, "server": "weather"}) is None
    gap = describe({"type": "gap", "missed": 12})
    assert gap is not None
    assert gap.plain == "12 events missed (no longer kept by the monitor)"
    odd = describe({"type": "silence", "seq": 1, "ts": NOW})
    assert odd is not None
    assert odd.plain == "08:00:00 silence"


def test_the_view_draws_servers_alerts_and_latest_events() -> None:
    view = WatchView(wall=lambda: NOW)
    view.apply(HELLO)
    samples = [
        {"type": "sample", "server": "weather", "outcome": "ok", "latency_ms": ms, "health": "healthy"}
        for ms in (10.0, 20.0, 30.0, 40.0)
    ]
    for n, sample in enumerate(samples):
        view.apply({"seq": 3 + n, "ts": NOW - 280 + n * 90, **sample})
    for event in _stamped(EVENTS, 7, NOW - 5):
        view.apply(event)
    text = _text(view)

    assert "monitor prod · seq 14" in text
    rows = [line for line in text.splitlines() if line.startswith("│ ") and line.count("│") == 9]
    assert rows == [  # weather from its samples (all 4 in the window), github from the hello
        "│ weather │ healthy   │   30.1 │   40.2 │   40.2 │    0.01 │   0.0% │   ▁        ▃        ▆        █ │",
        "│ github  │ unhealthy │    0.0 │    0.0 │    0.0 │    0.00 │   0.0% │                                │",
    ]
    assert "firing alerts (1)" in text
    assert "│ HighErrorRate  github  page  07:59:55  error_rate 100% > 20%" in text
    latest = [line.strip("│ ") for line in text.split("latest events")[1].splitlines()[1:-1]]
    assert latest == [
        "07:59:55 github - → unhealthy: error_rate 100% > 20%",
        "07:59:55 alert HighErrorRate github pending → firing: error_rate 100% > 20%",
        "07:59:55 notify core firing → slack, pager: HighErrorRate (new alert)",
        "07:59:55 delivery to slack failed (attempt 1, will retry): HTTP 503",
        "07:59:55 reload failed: alerts.yaml:3:7: AlertRule/x: expr: unknown metric 'p98'",
        "07:59:55 reloaded alerts.yaml",
        "07:59:55 error: receiver slack: token expired",
    ]


def test_a_resolved_alert_leaves_the_panel_and_notes_are_shown() -> None:
    view = WatchView(wall=lambda: NOW)
    view.apply(HELLO)
    view.apply({"seq": 3, "ts": NOW, **ALERT})
    view.apply({"seq": 4, "ts": NOW, **ALERT, "from": "firing", "to": "resolved", "reason": ""})
    view.note("connection lost (code 1008: too slow); reconnecting in 0.5s after event 4")
    text = _text(view)
    assert view.alerts == {}
    assert "firing alerts (0)" in text
    assert "08:00:00 alert HighErrorRate github firing → resolved" in text
    assert "08:00:00 connection lost (code 1008: too slow); reconnecting in 0.5s after event 4" in text
