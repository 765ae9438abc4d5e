"""The Monitor window report: what a running monitor kept in the store (health changes, hourly rollups,
alert history, active alerts), as JSON, markdown, CSV, HTML and PDF."""

from __future__ import annotations

import json
from pathlib import Path

from mcpctl.report.monitor import (
    MonitorWindow,
    monitor_window,
    render_monitor_csv,
    render_monitor_json,
    render_monitor_markdown,
)
from mcpctl.report.monitor_page import render_monitor_html, render_monitor_pdf
from mcpctl.store import alerts as stored
from mcpctl.store import open_store
from tests.unit.report.test_html import walk

HOUR = 3600.0
T0 = 1_800_000_000.0 - 1_800_000_000.0 % HOUR  # 2027-01-15T08:00:00Z, the start of an hour
EVIL = '<script>window.pwned=1</script><img src=x onerror="alert(1)">'


def _rollup(count: int, errors: int, p50: float | None, uptime: float) -> dict[str, object]:
    return {
        "count": count,
        "errors": errors,
        "outcomes": {"ok": count - errors, "error": errors},
        "p50_ms": p50,
        "p90_ms": None if p50 is None else 2 * p50,
        "p99_ms": None if p50 is None else 4 * p50,
        "throughput": count / HOUR,
        "error_rate": errors / count,
        "uptime": uptime,
    }


def prepare(directory: Path, server: str = "api", reason: str = "p99 310ms > 250ms") -> None:
    """Monitor ``prod`` over two hours: ``server`` degrades and recovers, ``db`` goes offline; one alert."""
    with open_store(directory) as store:
        stored.record_events(
            store,
            [
                ("prod", T0 + 10, "health", server, {"from": "unknown", "to": "healthy", "reasons": []}),
                ("prod", T0 + 10, "health", "db", {"from": "unknown", "to": "healthy", "reasons": []}),
                (
                    "prod",
                    T0 + 1800,
                    "health",
                    server,
                    {"from": "healthy", "to": "degraded", "reasons": [reason]},
                ),
                (
                    "prod",
                    T0 + 5400,
                    "health",
                    "db",
                    {"from": "healthy", "to": "offline", "reasons": ["3 failed connects"]},
                ),
                ("prod", T0 + 5400, "health", server, {"from": "degraded", "to": "healthy", "reasons": []}),
                ("other", T0 + 20, "health", "x", {"from": "unknown", "to": "offline", "reasons": []}),
            ],
        )
        stored.save_rollups(
            store,
            "prod",
            [
                (server, T0, {**_rollup(3600, 36, 12.5, 1.0), "last": T0 + 3599}),
                (server, T0 + HOUR, {**_rollup(3600, 0, 10.0, 1.0), "last": T0 + 7199}),
                ("db", T0 + HOUR, {**_rollup(1800, 900, None, 0.5), "last": T0 + 7200}),
            ],
        )
        stored.record_history(
            store,
            [
                ("prod", T0 + 5400, "fired", "fp1", "DbDown", "db", {"severity": "page"}),
                ("prod", T0 + 5410, "notified", "fp1", "DbDown", "db", {"receiver": "ops", "note": reason}),
            ],
        )
        stored.set_active(
            store,
            "prod",
            [
                stored.ActiveAlert(
                    monitor="prod",
                    alertname="DbDown",
                    server="db",
                    state="firing",
                    since=T0 + 5400,
                    fingerprint="fp1",
                    record={
                        "severity": "page",
                        "labels": {},
                        "annotations": {"summary": f"db down: {reason}"},
                    },
                )
            ],
        )


def window(directory: Path, *, since: float | None = None, until: float | None = None) -> MonitorWindow:
    with open_store(directory) as store:
        return monitor_window(store, "prod", since=since, until=until)


def test_the_window_spans_what_the_store_holds(tmp_path: Path) -> None:
    prepare(tmp_path)
    found = window(tmp_path)
    assert (found.since, found.until, found.servers) == (T0, T0 + 7200, ("api", "db"))
    assert [(s.server, s.start - T0, s.end - T0, s.health, s.reasons) for s in found.health] == [
        ("api", 0, 10, "unknown", ()),
        ("api", 10, 1800, "healthy", ()),
        ("api", 1800, 5400, "degraded", ("p99 310ms > 250ms",)),
        ("api", 5400, 7200, "healthy", ()),
        ("db", 0, 10, "unknown", ()),
        ("db", 10, 5400, "healthy", ()),
        ("db", 5400, 7200, "offline", ("3 failed connects",)),
    ]


def test_a_narrower_window_starts_from_the_health_before_it(tmp_path: Path) -> None:
    prepare(tmp_path)
    found = window(tmp_path, since=T0 + 3600, until=T0 + 5000)
    assert [(s.server, s.start - T0, s.end - T0, s.health) for s in found.health] == [
        ("api", 3600, 5000, "degraded"),
        ("db", 3600, 5000, "healthy"),
    ]
    assert [(h.server, h.hour - T0) for h in found.hours] == [("api", 3600), ("db", 3600)]
    assert (found.alerts, len(found.active)) == ((), 1)  # the active alerts are those of now


MARKDOWN = """\
### mcpctl monitor prod: 2027-01-15T09:00:00.000Z to 2027-01-15T10:00:00.000Z

2 servers, 2 alert events, 1 alerts active now.

#### api

| health   | from                     | until                    | for   | reasons              |
|----------|--------------------------|--------------------------|-------|----------------------|
| degraded | 2027-01-15T09:00:00.000Z | 2027-01-15T09:30:00.000Z | 30m0s | p99 310ms &gt; 250ms |
| healthy  | 2027-01-15T09:30:00.000Z | 2027-01-15T10:00:00.000Z | 30m0s |                      |

| hour              | probes   | errors   | p50 ms   | p90 ms   | p99 ms   | uptime   | error rate   |
|-------------------|----------|----------|----------|----------|----------|----------|--------------|
| 2027-01-15T09:00Z | 3600     | 0        | 10.00    | 20.00    | 40.00    | 100.00%  | 0.00%        |

#### db

| health   | from                     | until                    | for   | reasons           |
|----------|--------------------------|--------------------------|-------|-------------------|
| healthy  | 2027-01-15T09:00:00.000Z | 2027-01-15T09:30:00.000Z | 30m0s |                   |
| offline  | 2027-01-15T09:30:00.000Z | 2027-01-15T10:00:00.000Z | 30m0s | 3 failed connects |

| hour              | probes   | errors   | p50 ms   | p90 ms   | p99 ms   | uptime   | error rate   |
|-------------------|----------|----------|----------|----------|----------|----------|--------------|
| 2027-01-15T09:00Z | 1800     | 900      | -        | -        | -        | 50.00%   | 50.00%       |

#### Alert history (2)

| at                       | event    | alert   | server   | detail                                 |
|--------------------------|----------|---------|----------|----------------------------------------|
| 2027-01-15T09:30:00.000Z | fired    | DbDown  | db       | severity=page                          |
| 2027-01-15T09:30:10.000Z | notified | DbDown  | db       | note=p99 310ms &gt; 250ms receiver=ops |

#### Active alerts (1)

| alert   | server   | state   | since                    | severity   | annotations                            |
|---------|----------|---------|--------------------------|------------|----------------------------------------|
| DbDown  | db       | firing  | 2027-01-15T09:30:00.000Z | page       | summary: db down: p99 310ms &gt; 250ms |
"""


def test_markdown(tmp_path: Path) -> None:
    prepare(tmp_path)
    assert render_monitor_markdown(window(tmp_path, since=T0 + HOUR)) == MARKDOWN


def test_markdown_of_an_empty_window_says_so(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        empty = monitor_window(store, "prod", since=T0, until=T0 + HOUR)
    assert render_monitor_markdown(empty) == (
        "### mcpctl monitor prod: 2027-01-15T08:00:00.000Z to 2027-01-15T09:00:00.000Z\n\n"
        "0 servers, 0 alert events, 0 alerts active now.\n\n"
        "#### Alert history (0)\n\nNo alert events.\n\n#### Active alerts (0)\n\nNo alert is active.\n"
    )


def test_json(tmp_path: Path) -> None:
    prepare(tmp_path)
    document = json.loads(render_monitor_json(window(tmp_path, since=T0 + HOUR)))
    assert list(document) == ["monitor", "since", "until", "servers", "health", "hours", "alerts", "active"]
    assert document["health"][0] == {
        "server": "api",
        "start": "2027-01-15T09:00:00.000Z",
        "end": "2027-01-15T09:30:00.000Z",
        "health": "degraded",
        "reasons": ["p99 310ms > 250ms"],
    }
    assert document["hours"][1] == {
        "server": "db",
        "hour": "2027-01-15T09:00:00.000Z",
        "count": 1800,
        "errors": 900,
        "p50Ms": None,
        "p90Ms": None,
        "p99Ms": None,
        "throughput": 0.5,
        "errorRate": 0.5,
        "uptime": 0.5,
    }
    assert document["alerts"][1]["detail"] == {"receiver": "ops", "note": "p99 310ms > 250ms"}
    assert document["active"] == [
        {
            "alertname": "DbDown",
            "server": "db",
            "state": "firing",
            "since": "2027-01-15T09:30:00.000Z",
            "severity": "page",
            "fingerprint": "fp1",
            "annotations": {"summary": "db down: p99 310ms > 250ms"},
        }
    ]


def test_csv_is_a_row_per_server_and_hour_and_defuses_formulas(tmp_path: Path) -> None:
    prepare(tmp_path, server="=HYPERLINK(1)")
    assert render_monitor_csv(window(tmp_path)) == (
        "monitor,server,hour,count,errors,p50_ms,p90_ms,p99_ms,throughput,error_rate,uptime\n"
        "prod,'=HYPERLINK(1),2027-01-15T08:00:00.000Z,3600,36,12.5,25.0,50.0,1.0,0.01,1.0\n"
        "prod,'=HYPERLINK(1),2027-01-15T09:00:00.000Z,3600,0,10.0,20.0,40.0,1.0,0.0,1.0\n"
        "prod,db,2027-01-15T09:00:00.000Z,1800,900,,,,0.5,0.5,0.5\n"
    )


def test_html_is_well_formed_and_shows_hostile_text_as_text(tmp_path: Path) -> None:
    prepare(tmp_path, server=EVIL, reason=EVIL)
    page = render_monitor_html(window(tmp_path))
    parsed = walk(page)
    assert "script" not in [tag for tag in parsed.tags[:-1]]  # only the page's own script, last
    assert parsed.tags.count("script") == 1
    assert "img" not in parsed.tags
    assert not [a for a in parsed.attributes if a[1].startswith("on")]
    text = "\n".join(parsed.lines())
    assert "mcpctl monitor prod" in text
    assert text.count(EVIL) >= 3  # the server's heading, the alert detail, the annotation
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    # the timeline says each health in words, the chart names each percentile
    assert all(word in page for word in (">degraded</text>", ">offline</text>", ">p99 ms</text>"))
    assert "Health timeline" in text
    assert "Hourly latency percentiles" in text


def test_pdf_renders(tmp_path: Path) -> None:
    prepare(tmp_path, server=EVIL, reason=EVIL)
    assert render_monitor_pdf(window(tmp_path)).startswith(b"%PDF")
