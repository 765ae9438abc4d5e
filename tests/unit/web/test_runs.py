"""The Runs pages and API (mcpctl/web/runs.py) over a real store, through their Route handlers."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from mcpctl.engine.results import CaseResult, LatencySummary, RunResult
from mcpctl.report.html import page_assets, render_html
from mcpctl.report.json import render_json
from mcpctl.store import open_store
from mcpctl.web.pages import make_render
from mcpctl.web.routing import HttpError, Render, Request, Response, Route, find
from mcpctl.web.runs import run_routes
from tests.unit.report.sample import STARTED, sample_run
from tests.unit.report.test_html import CORPUS, INJECTIONS, rich_run, walk

RICH = "20261125T161203-3fa2c1"
"""rich_run(CORPUS): every kind, hostile text everywhere, the newest run."""
OLD = ("20261125T151203-000001", "20261125T152903-000002", "20261125T154603-000003")
"""sample_run three times (the same suites), p50/p99 of "lists tools" rising in the last."""
LOAD = "20261125T160000-10ad00"
"""A LoadTest alone, passed."""


def earlier(run_id: str, n: int) -> RunResult:
    run = sample_run(run_id, started_at=STARTED - 3600 + n * 1000)
    basic = run.suites[0]
    p = 1.0 + n * (10 if n == 2 else 0.01)
    latency = LatencySummary(count=100, min=0.5, p50=p, p90=p, p95=p, p99=2 * p, max=3 * p, mean=p)
    cases = (replace(basic.cases[0], latency=latency), *basic.cases[1:])
    return replace(run, suites=(replace(basic, cases=cases), *run.suites[1:]))


def load_only() -> RunResult:
    load = rich_run().suites[2]
    assert load.kind == "LoadTest"
    return RunResult(
        run_id=LOAD, command="load", started_at=STARTED - 60, duration_ms=10_000.0, suites=(load,)
    )


@pytest.fixture
def state(tmp_path: Path) -> Path:
    directory = tmp_path / "state"
    with open_store(directory) as store:
        for n, run_id in enumerate(OLD):
            store.save_run(earlier(run_id, n))
        store.save_run(load_only())
        store.save_run(rich_run(CORPUS))
    return directory


def environment_render() -> Render:
    render = make_render()

    def checked(name: str, **context: object) -> str:
        assert context["nav"] == "runs"
        return render(name, **context)

    return checked


def routes(state_dir: Path) -> list[Route]:
    return run_routes(state_dir=state_dir, render=environment_render())


async def get(state_dir: Path, path: str, **query: str) -> Response:
    route, params = find(routes(state_dir), "GET", path)
    return await route.handler(Request(method="GET", path=path, query=query, params=params))


async def page(state_dir: Path, path: str, **query: str) -> str:
    answer = await get(state_dir, path, **query)
    assert answer.status == 200
    assert answer.content_type == "text/html; charset=utf-8"
    return answer.body.decode()


def lines(html: str) -> list[str]:
    return [line.strip() for line in walk(html).lines()]


def run_links(html: str) -> list[str]:
    return [v for t, n, v in walk(html).attributes if t == "a" and n == "href" and v.startswith("/runs/")]


async def test_the_list_shows_runs_newest_first_with_links_to_page_and_report(state: Path) -> None:
    html = await page(state, "/runs")
    ids = [RICH, LOAD, *reversed(OLD)]
    assert run_links(html) == [link for i in ids for link in (f"/runs/{i}", f"/runs/{i}/report")]
    shown = lines(html)
    row = shown.index(LOAD)
    assert shown[row : row + 12] == [
        LOAD,
        "2026-11-25 16:11:03 UTC",
        "mcpctl load",
        "LoadTest",
        "LoadTest/steady",
        "passed",
        "1",
        "0",
        "0",
        "0",
        "10.00s",
        "HTML report",
    ]
    assert shown[shown.index(OLD[0]) + 5] == "error"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "LoadTest"}, [RICH, LOAD]),
        ({"kind": "BatchPlan"}, [RICH]),
        ({"kind": "TestSuite", "status": "error"}, [RICH, *reversed(OLD)]),
        ({"status": "passed"}, [LOAD]),
        ({"status": "skipped"}, []),
        ({"limit": "2"}, [RICH, LOAD]),
        ({"kind": "TestSuite", "limit": "1"}, [RICH]),
        ({"kind": "", "status": ""}, [RICH, LOAD, *reversed(OLD)]),
    ],
)
async def test_the_list_filters_by_kind_and_status(
    state: Path, query: dict[str, str], expected: list[str]
) -> None:
    html = await page(state, "/runs", **query)
    assert run_links(html)[::2] == [f"/runs/{i}" for i in expected]
    data = json.loads((await get(state, "/api/v1/runs", **query)).body)
    assert [run["id"] for run in data["runs"]] == expected
    if not expected:
        assert "No recorded run matches these filters." in walk(html).lines()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"kind": "Monitor"},
            "kind='Monitor': expected one of TestSuite, LoadTest, FaultScenario, BatchPlan",
        ),
        ({"status": "ok"}, "status='ok': expected one of passed, failed, error, skipped"),
        ({"limit": "0"}, "limit='0': expected a whole number from 1 to 500"),
        ({"limit": "ten"}, "limit='ten': expected a whole number from 1 to 500"),
    ],
)
async def test_a_filter_the_list_does_not_know_is_a_400(
    state: Path, query: dict[str, str], message: str
) -> None:
    for path in ("/runs", "/api/v1/runs"):
        with pytest.raises(HttpError) as caught:
            await get(state, path, **query)
        assert (caught.value.status, caught.value.message) == (400, message)


async def test_the_filter_form_keeps_the_chosen_values(state: Path) -> None:
    parsed = walk(await page(state, "/runs", kind="LoadTest", status="passed", limit="7"))
    assert ("option", "selected", "") in parsed.attributes
    html = await page(state, "/runs", kind="LoadTest", status="passed", limit="7")
    assert '<option value="LoadTest" selected>' in html
    assert '<option value="passed" selected>' in html
    assert 'value="7"' in html
    assert '<a href="/runs">clear filters</a>' in html


async def test_an_empty_state_directory_shows_how_to_record_runs_and_is_not_created(tmp_path: Path) -> None:
    html = await page(tmp_path / "none", "/runs")
    assert lines(html)[-7:] == [
        *("No runs recorded in this state directory yet:", "mcpctl test", ",", "mcpctl load", ","),
        *("mcpctl apply", "record them."),
    ]
    assert json.loads((await get(tmp_path / "none", "/api/v1/runs")).body) == {"runs": []}
    assert not (tmp_path / "none").exists()


async def test_a_run_page_shows_each_failure_with_its_spec_file_line_and_message(state: Path) -> None:
    shown = lines(await page(state, f"/runs/{OLD[0]}"))
    at = shown.index("TestSuite/basic :: adds numbers")
    assert shown[at - 1 : at + 6] == [
        "failed",
        "TestSuite/basic :: adds numbers",
        "specs/basic.yaml:14",
        "structuredContent/sum: expected 42, got 41",
        "details",
        "- 42",
        "+ 41",
    ]
    at = shown.index("TestSuite/broken :: <setup>")
    assert shown[at : at + 3] == [
        "TestSuite/broken :: <setup>",
        "specs/broken.yaml",
        "server did not start (exit code 1); stderr: no such file",
    ]
    assert shown[shown.index("status") + 1] == "error (exit code 3)"


async def test_a_run_is_found_by_a_unique_prefix_or_last(state: Path) -> None:
    assert f"Run {LOAD}: " in await page(state, "/runs/20261125T1600")
    assert f"<title>Run {RICH} · mcpctl dashboard</title>" in await page(state, "/runs/last")


async def test_an_unknown_run_is_a_404_and_an_ambiguous_prefix_a_400(state: Path) -> None:
    for path in ("/runs/nope", "/runs/nope/report", "/api/v1/runs/nope"):
        with pytest.raises(HttpError) as caught:
            await get(state, path)
        assert caught.value.status == 404
        assert caught.value.message == f"no run 'nope' in {state} (the runs page /runs lists them)"
    with pytest.raises(HttpError) as caught:
        await get(state, "/runs/20261125T15")
    assert caught.value.status == 400
    assert caught.value.message == (
        f"run '20261125T15' is ambiguous: it starts {', '.join(OLD)}; give more characters"
    )


async def test_a_load_run_page_draws_its_latency_charts(state: Path) -> None:
    html = await page(state, f"/runs/{LOAD}")
    labels = [v for t, n, v in walk(html).attributes if t == "svg" and n == "aria-label"]
    assert labels == [
        "Cases by status",
        "Latency histogram (calls up to each bound)",
        "Throughput",
        "Latency over time",
    ]
    assert "Latency percentiles (ms)" in walk(html).lines()


async def test_a_run_page_shows_the_trend_of_its_cases_over_earlier_runs_of_the_same_suites(
    state: Path,
) -> None:
    html = await page(state, f"/runs/{OLD[2]}")
    shown = lines(html)
    at = shown.index("changed") + 1
    assert shown[at : at + 14] == [
        *("TestSuite/basic", "lists tools", "3", "100%", "21", "42", "▁▁█", "..."),
        *("TestSuite/basic", "adds numbers", "3", "0%", "▁▁▁", "FFF"),
    ]
    assert "Each case of this run across the last 3 runs of its suite" in " ".join(shown)
    titles = [v for t, n, v in walk(html).attributes if t == "svg" and n == "aria-label"]
    assert titles[-3:] == [
        "TestSuite/basic lists tools",
        "TestSuite/basic adds numbers",
        "TestSuite/basic retried",
    ]
    # the first run has no earlier one
    first = lines(await page(state, f"/runs/{OLD[0]}"))
    assert "No earlier run of these suites is recorded: trends start with the second run." in first


@pytest.mark.parametrize("path", ["/runs", f"/runs/{RICH}"])
async def test_hostile_text_is_escaped_in_the_pages(state: Path, path: str) -> None:
    html = await page(state, path)
    parsed = walk(html)
    # only the dashboard's own script and stylesheet (base.html.j2), nothing inline
    assert [(t, n, v) for t, n, v in parsed.attributes if t in ("script", "link")] == [
        ("link", "rel", "icon"),
        ("link", "href", "data:,"),
        ("link", "rel", "stylesheet"),
        ("link", "href", "/static/dashboard.css"),
        ("script", "src", "/static/dashboard.js"),
        ("script", "defer", ""),
    ]
    assert parsed.raw["script"] == []
    assert {"img", "iframe", "object", "embed", "base", "style"}.isdisjoint(parsed.tags)
    assert [a for a in parsed.attributes if a[1].startswith("on") or a[1] == "style"] == []
    assert not any(
        v.lstrip().lower().startswith("javascript:") for _, n, v in parsed.attributes if n == "href"
    )
    text = "".join(parsed.text)
    for injection in INJECTIONS:
        assert injection in text
    assert "49" not in text.replace(RICH, "")  # {{ 7*7 }} was not evaluated


async def test_the_report_route_serves_the_full_html_report_under_its_own_csp(state: Path) -> None:
    answer = await get(state, "/runs/20261125T1612/report")
    with open_store(state, create=False) as store:
        run = store.get_run(RICH)
    assert answer.status == 200
    assert answer.content_type == "text/html; charset=utf-8"
    assert answer.body.decode() == render_html(run, redact=str)
    _, _, policy = page_assets(printable=False)
    assert answer.headers == (("Content-Security-Policy", policy),)
    assert policy.startswith("default-src 'none'; ")


async def test_the_json_api_lists_runs_and_gives_a_run_as_the_json_report(state: Path) -> None:
    listed = json.loads((await get(state, "/api/v1/runs", limit="1")).body)
    assert listed == {
        "runs": [
            {
                "id": RICH,
                "command": "test",
                "startedAt": "2026-11-25T16:12:03.250Z",
                "durationMs": 1234.5,
                "status": "error",
                "exitCode": 3,
                "suites": [
                    f"TestSuite/basic{CORPUS}",
                    "TestSuite/broken",
                    "LoadTest/steady",
                    "FaultScenario/lossy",
                    "BatchPlan/rollout/1.execute",
                ],
                "summary": {"passed": 5, "failed": 3, "error": 1, "skipped": 2, "total": 11},
                "kinds": ["TestSuite", "LoadTest", "FaultScenario", "BatchPlan"],
                "links": {
                    "page": f"/runs/{RICH}",
                    "report": f"/runs/{RICH}/report",
                    "json": f"/api/v1/runs/{RICH}",
                },
            }
        ]
    }
    answer = await get(state, f"/api/v1/runs/{LOAD[:14]}")
    assert answer.content_type == "application/json"
    with open_store(state, create=False) as store:
        run = store.get_run(LOAD)
    assert json.loads(answer.body) == json.loads(render_json(run, redact=str))
    assert json.loads(answer.body)["run"]["id"] == LOAD


def test_the_routes_are_the_contract() -> None:
    table = routes(Path("unused"))
    assert [(r.method, r.pattern, r.changes) for r in table] == [
        ("GET", "/runs", False),
        ("GET", "/runs/{id}", False),
        ("GET", "/runs/{id}/report", False),
        ("GET", "/api/v1/runs", False),
        ("GET", "/api/v1/runs/{id}", False),
    ]


def test_case_without_history_is_not_trended() -> None:
    from mcpctl.web.runs_view import run_page

    run = sample_run()
    lone = replace(
        run, suites=(replace(run.suites[0], cases=(CaseResult(name="x", status="passed", duration_ms=1.0),)),)
    )
    view = run_page(lone, [])
    assert (view.trends, view.charts, view.trend_runs) == ([], [], 1)


async def test_a_case_that_departs_from_its_history_is_flagged(tmp_path: Path) -> None:
    with open_store(tmp_path) as store:
        for n in range(5):
            store.save_run(earlier(f"20261125T15{n}000-00000{n}", 2 if n == 4 else 0))
    shown = lines(await page(tmp_path, "/runs/last"))
    flag = (
        "p50 up +2000%: 21 ms against a median of 1 ms over 4 runs (beyond 3 scaled MADs);"
        " p99 up +2000%: 42 ms against a median of 2 ms over 4 runs (beyond 3 scaled MADs)"
    )
    at = shown.index("changed") + 1
    assert shown[at : at + 8] == ["TestSuite/basic", "lists tools", "5", "100%", "21", "42", "▁▁▁▁█", "....."]
    assert shown[at + 8] == flag
    caption = shown.index("TestSuite/basic — lists tools:")
    assert shown[caption + 1] == flag
