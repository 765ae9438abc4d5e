"""The dashboard's parts without a network: the live log and its status ticks, the frame cache, the
templates (autoescaped, sandboxed, strict), the overview's SVG, the token file and the printed link."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import trio
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from mcpctl.cli.dashboard import read_token, shown_url
from mcpctl.errors import UsageError
from mcpctl.web.charts import dependency_map, health_word, spark_points, sparkline_svg
from mcpctl.web.live import NO_MONITOR, FrameCache, Live, events_url
from mcpctl.web.pages import make_render

EVIL = '<img src=x onerror="window.pwned=1">'


def test_each_event_is_encoded_once_for_every_viewer() -> None:
    cache = FrameCache()
    event: dict[str, object] = {"seq": 7, "ts": 1.0, "type": "status", "status": {"servers": []}}
    first = cache(event)
    assert first == '{"seq":7,"ts":1.0,"type":"status","status":{"servers":[]}}'
    assert cache(event) is first  # the same text object: not encoded again
    hello: dict[str, object] = {"type": "hello", "seq": 7, "status": {}}
    assert cache(hello) == '{"type":"hello","seq":7,"status":{}}'


async def test_status_is_pushed_each_second_and_at_once_after_a_health_change() -> None:
    live = Live(name="prod")
    async with trio.open_nursery() as nursery:
        await nursery.start(live.tick)
        await trio.sleep(0.05)
        live.events.append("health", {"server": "a", "from": "healthy", "to": "unhealthy"})
        await trio.sleep(0.05)  # far less than a tick: the change's snapshot is already there
        kinds = [e["type"] for e in live.events.since(0)[0]]
        assert kinds == ["health", "status"]
        await trio.sleep(1.0)
        assert [e["type"] for e in live.events.since(0)[0]] == ["health", "status", "status"]
        nursery.cancel_scope.cancel()
    status = live.events.since(0)[0][1]["status"]
    assert isinstance(status, dict)
    assert (status["monitor"], status["source"], status["servers"], status["message"]) == (
        "prod",
        "none",
        [],
        NO_MONITOR,
    )


def test_samples_feed_the_sparklines_and_the_failures() -> None:
    live = Live()
    live.publish("sample", {"server": "a", "outcome": "ok", "latency_ms": 3.0})
    live.publish("sample", {"server": "a", "outcome": "error", "latency_ms": None, "message": EVIL})
    assert list(live.latencies["a"]) == [3.0, None]
    assert [e["message"] for e in live.failures["a"]] == [EVIL]


def test_connect_urls() -> None:
    assert events_url("127.0.0.1:8081") == ("http://127.0.0.1:8081", "ws://127.0.0.1:8081/api/v1/events")
    assert events_url("https://mon.example/x") == ("https://mon.example", "wss://mon.example/api/v1/events")
    with pytest.raises(UsageError) as bad:
        events_url("ftp://x")
    assert str(bad.value) == "--connect 'ftp://x': expected the URL of a monitor, e.g. http://127.0.0.1:8081"


def test_templates_escape_and_are_strict(tmp_path: Path) -> None:
    (tmp_path / "base.html.j2").write_text("{% block content %}{% endblock %}")
    (tmp_path / "page.html.j2").write_text(
        '{% extends "base.html.j2" %}{% block content %}{{ text }}{% endblock %}'
    )
    (tmp_path / "poke.html.j2").write_text("{{ text.__class__.__mro__ }}")
    (tmp_path / "mutate.html.j2").write_text("{{ items.append(1) }}")
    render = make_render(tmp_path)
    assert render("page.html.j2", text=EVIL) == "&lt;img src=x onerror=&#34;window.pwned=1&#34;&gt;"
    with pytest.raises(UndefinedError):
        render("page.html.j2")
    with pytest.raises(SecurityError):
        render("mutate.html.j2", items=[])
    with pytest.raises(SecurityError):  # no way from a value to Python's internals
        render("poke.html.j2", text="x")


def test_the_real_pages_render_with_hostile_names() -> None:
    render = make_render()
    page = render(
        "overview.html.j2",
        nav="overview",
        status={"monitor": EVIL, "message": ""},
        tiles=[
            {
                "name": EVIL,
                "health_word": "healthy",
                "reasons": [EVIL],
                "spark": sparkline_svg(EVIL, [1.0]),
                "p50_ms": 1.0,
                "p90_ms": None,
                "p99_ms": 2.0,
                "calls_per_second": 1.0,
                "error_rate": 0.5,
                "last_probe": {"outcome": "error", "message": EVIL},
            }
        ],
        depmap=dependency_map({EVIL: "healthy"}, {}),
    )
    assert EVIL not in page
    assert page.count("&lt;img src=x onerror=&#34;window.pwned=1&#34;&gt;") >= 4
    assert '<a href="/" aria-current="page" class="active">Overview</a>' in page
    assert '<dd class="errors">50.0%</dd>' in page
    assert '<script src="/static/overview.js" defer></script>' in page
    assert "onclick" not in page
    assert "style=" not in page


def test_the_dependency_map_puts_dependencies_left_and_says_health_in_words() -> None:
    svg = dependency_map(
        {"api": "offline", "db": "unhealthy", "web": None}, {"api": ("db",), "web": ("api", "nope")}
    )  # type: ignore[dict-item]
    assert '<g class="node h-unhealthy" data-server="db">' in svg
    assert '<rect x="12" y="12"' in svg  # db: first column
    assert '<rect x="262" y="12"' in svg  # api: second
    assert '<rect x="512" y="12"' in svg  # web: third
    assert ">offline</text>" in svg
    assert ">unknown</text>" in svg
    assert svg.count('class="edge"') == 2  # to a server not monitored: no edge
    cyclic = dependency_map({"a": "healthy", "b": "healthy"}, {"a": ("b",), "b": ("a",)})
    assert cyclic.count('class="edge"') == 2
    assert health_word("bogus") == "unknown"


def test_sparkline_points() -> None:
    assert spark_points([]) == ""
    assert spark_points([None, None]) == ""
    assert spark_points([1.0, None, 2.0], width=100, height=20) == "0.0,10.0 100.0,2.0"
    assert "▁ █" in sparkline_svg("a", [1.0, None, 2.0])


def test_the_token_comes_from_the_file_or_is_made(tmp_path: Path) -> None:
    (tmp_path / "t").write_text("  abc\n")
    assert read_token(str(tmp_path / "t")) == "abc"
    made = read_token(None)
    assert len(made) == 43
    assert made != read_token(None)
    (tmp_path / "e").write_text(" \n")
    with pytest.raises(UsageError, match=r"the file is empty \(expected the token\)$"):
        read_token(str(tmp_path / "e"))


def test_the_printed_link() -> None:
    assert shown_url("127.0.0.1", 8081, "tok") == "http://127.0.0.1:8081/?token=tok"
    assert shown_url("0.0.0.0", 80, "tok") == "http://127.0.0.1:80/?token=tok"
    assert shown_url("::1", 80, "tok") == "http://[::1]:80/?token=tok"


def test_a_bind_beyond_loopback_warns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mcpctl.cli.dashboard import DashboardConfig, Running, _announce
    from mcpctl.web.security import Security
    from mcpctl.web.server import Dashboard

    config = DashboardConfig(host="0.0.0.0", port=8081, token="tok", state_dir=tmp_path)
    security = Security(host="0.0.0.0", port=8081, token="tok")
    running = Running(port=8081, live=Live(), dashboard=Dashboard(routes=[], security=security, live=Live()))
    _announce(config, running)
    out, err = capsys.readouterr()
    assert out == "mcpctl dashboard: http://127.0.0.1:8081/?token=tok\n"
    assert err == (
        "mcpctl dashboard: warning: listening on 0.0.0.0, beyond this machine: every page needs the token,"
        " and plain HTTP carries it in clear (put TLS in front for a network)\n"
        "mcpctl dashboard: no monitor (store only)\n"
    )


def test_the_server_page_reads_the_stored_hours_and_health_changes(tmp_path: Path) -> None:
    from mcpctl.store import alerts as stored
    from mcpctl.store.db import open_store
    from mcpctl.web.overview import server_view

    now = time.time()
    hour = now - now % 3600
    with open_store(tmp_path) as store:
        stored.save_rollups(store, "prod", [
            ("api", hour - 3600, {"p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 4.0, "histogram": "x"}),
            ("api", hour, {"p50_ms": 2.0, "p90_ms": 3.0, "p99_ms": None}),
            ("db", hour, {"p50_ms": 9.0}),
        ])  # fmt: skip
        stored.record_events(store, [("prod", now - 5, "health", "api", {"from": None, "to": "unhealthy",
                                                                          "reasons": [EVIL]})])  # fmt: skip
    live = Live(name="prod")
    live.publish("sample", {"server": "api", "outcome": "timeout", "latency_ms": None, "message": "slow"})
    view = server_view(live, tmp_path, "api")
    assert [h["hour"] for h in view["hours"]] == [hour - 3600, hour]  # type: ignore[union-attr]
    assert "histogram" not in view["hours"][0]  # type: ignore[index]
    assert [(e["to"], e["reasons"]) for e in view["timeline"]] == [("unhealthy", [EVIL])]  # type: ignore[union-attr]
    assert [(f["outcome"], f["message"]) for f in view["failures"]] == [("timeout", "slow")]  # type: ignore[union-attr]
    chart = str(view["chart"])
    assert chart.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="chart"')
    assert "api: latency per hour" in chart
    assert chart.count("<polyline") == 3
    page = make_render()("server.html.j2", nav="server", **view)
    assert EVIL not in page
    assert "&lt;img src=x onerror=&#34;window.pwned=1&#34;&gt;" in page
