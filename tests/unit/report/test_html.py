from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from mcpctl.engine.load.metrics import LoadResult, Metrics
from mcpctl.engine.load.result_json import to_json
from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.report.html import MAX_FAILURES, render_html, render_report
from tests.unit.report.sample import STARTED, sample_run

INJECTIONS = (
    "<script>window.pwned=1;alert(1)</script>",
    '<img src=x onerror="window.pwned=2;alert(1)">',
    "javascript:alert(1)",
    "{{ 7*7 }}",
    "</style><script>window.pwned=3</script>",
    '"><svg onload="window.pwned=4;alert(1)">',
)
"""What a hostile server or spec could put in a tool name, an error text, an answer or a path."""
CORPUS = " ".join(INJECTIONS)
VOID = {"meta", "br", "img", "hr", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}


def load_attachment(tool: str = "add") -> str:
    """A real LoadResult's JSON (what engine/load/record.py attaches): 600 calls over 10 s, 1 in 25 an error."""
    metrics = Metrics((tool,), started_at=STARTED, start_ns=0)
    rng = random.Random(7)
    for n in range(600):
        outcome = "ok" if n % 25 else "rpc_error:-32603"
        metrics.record(tool, outcome, int(rng.lognormvariate(1.0, 0.5) * 1e6), now_ns=n * 16_666_667)
    calls = metrics.calls()
    overall = metrics.overall.stats("*")
    result = LoadResult(
        name="steady",
        spec_hash="ef" * 32,
        model="arrival-rate",
        sessions="shared",
        seed=1,
        started_at=STARTED,
        duration=10.0,
        calls=calls,
        overall=overall,
        lag=metrics.lag.summary(),
        lag_histogram=metrics.lag.encode(),
        dropped=3,
        initialize=None,
        initialize_histogram=None,
        thresholds=(),
        aborted=False,
        abort_reason=None,
        series=metrics.series.to_record(),
    )
    return json.dumps(to_json(result))


def fault_attachment(tool: str = "add") -> str:
    """What engine/faults/scenario.py attaches."""
    return json.dumps(
        {
            "faults": [
                {"name": "drop-answers", "kind": "drop", "injected": 4},
                {"name": f"slow {tool}", "kind": "delay", "injected": 11},
            ],
            "run": {
                "kind": "TestSuite",
                "name": "basic",
                "status": "failed",
                "counts": {"passed": 3, "failed": 1, "error": 0, "skipped": 0},
                "cases": [
                    {"name": f"calls {tool}", "status": "failed", "attempts": 2, "message": "timed out"}
                ],
                "attachment": None,
            },
            "duplicates": [{"tool": tool, "call": "7", "fault": "drop-answers", "repeats": 1}],
            "launches": 2,
        }
    )


def rich_run(text: str = "") -> RunResult:
    """Every kind of suite; ``text`` goes into every untrusted string (names, messages, outputs, paths)."""
    base = sample_run()
    tests = replace(
        base.suites[0],
        name=f"basic{text}",
        server=f"echo{text}",
        cases=(
            *base.suites[0].cases,
            CaseResult(
                name=f"tool {text}",
                status="failed",
                duration_ms=5.0,
                message=f"bad answer {text}",
                details=(f"got {text}",),
                output=f">> tools/call {text}\n<< {text}",
                file=f"specs/{text}.yaml",
                line=3,
            ),
        ),
    )
    load = SuiteResult(
        kind="LoadTest",
        name="steady",
        server="echo",
        spec_path="specs/load.yaml",
        started_at=STARTED + 2,
        duration_ms=10_000.0,
        cases=(CaseResult(name="arrival-rate load", status="passed", duration_ms=10_000.0),),
        attachment=load_attachment(f"add{text}"),
    )
    fault = SuiteResult(
        kind="FaultScenario",
        name="lossy",
        server="echo",
        started_at=STARTED + 12,
        cases=(CaseResult(name="completes", status="passed", duration_ms=1.0),),
        attachment=fault_attachment(f"add{text}"),
    )
    batch = SuiteResult(
        kind="BatchPlan",
        name="rollout/1.execute",
        server="execute",
        cases=(
            CaseResult(
                name="1.execute: 7 items",
                status="passed",
                duration_ms=9.0,
                message="7 items passed (2 after retries)",
            ),
            CaseResult(
                name="row-9", status="failed", duration_ms=1.0, message=f"rejected {text}", attempts=3
            ),
            CaseResult(
                name="2.deploy",
                status="skipped",
                duration_ms=0.0,
                message="not started: row-9 failed; onFailure rollback stops at the first failure",
            ),
        ),
    )
    return replace(base, suites=(tests, *base.suites[1:], load, fault, batch))


class Page(HTMLParser):
    """Walks a page: the open elements (to find unclosed or stray tags), every attribute, the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}

    def lines(self) -> list[str]:
        """The text, one line per element (blank lines dropped)."""
        return [line for line in "".join(self.text).splitlines() if line.strip()]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.text.append("\n")
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        self.text.append("\n")
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in self.raw:
            self.raw[self.stack[-1]].append(data)
        else:
            self.text.append(data)


def walk(page: str) -> Page:
    parser = Page()
    parser.feed(page)
    parser.close()
    assert parser.problems == []
    assert parser.stack == []
    return parser


def digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_the_page_is_well_formed_and_points_nowhere_outside() -> None:
    page = walk(render_html(rich_run(CORPUS), redact=str))
    assert page.tags.count("script") == 1
    assert page.tags.count("style") == 1
    assert {"img", "iframe", "object", "embed", "link", "base", "form"}.isdisjoint(page.tags)
    assert [a for a in page.attributes if a[1].startswith("on")] == []
    links = [(tag, name, value) for tag, name, value in page.attributes if name in ("src", "href", "action")]
    assert links, "the suites table links to each suite"
    assert all(value.startswith("#") for _, _, value in links), links
    # the only URL is the SVG namespace, which is a name, not something fetched
    assert [a for a in page.attributes if "://" in a[2]] == [
        ("svg", "xmlns", "http://www.w3.org/2000/svg") for _ in range(page.tags.count("svg"))
    ]


def test_the_policy_allows_only_the_pages_own_script_and_style() -> None:
    page = walk(render_html(rich_run(CORPUS), redact=str))
    (policy,) = [v for t, n, v in page.attributes if t == "meta" and n == "content" and "default-src" in v]
    (script,), (style,) = page.raw["script"], page.raw["style"]
    assert policy == (
        "default-src 'none'; base-uri 'none'; form-action 'none'; img-src data:;"
        f" style-src '{digest(style)}'; script-src '{digest(script)}'"
    )
    # the policy comes before anything the data could have put on the page
    assert page.tags.index("meta") < page.tags.index("style") < page.tags.index("body")


@pytest.mark.parametrize("injection", INJECTIONS)
def test_hostile_text_is_shown_as_text(injection: str) -> None:
    html = render_html(rich_run(injection), redact=str)
    page = walk(html)
    text = "".join(page.text)
    for shown in (
        f"basic{injection}",
        f"tool {injection}",
        f"bad answer {injection}",
        f"got {injection}",
        f">> tools/call {injection}\n<< {injection}",
        f"specs/{injection}.yaml:3",
        f"add{injection}",
        f"slow add{injection}",
        f"rejected {injection}",
    ):
        assert shown in text, shown
    assert len(page.raw["script"]) == 1
    assert "pwned" not in page.raw["script"][0]
    assert "pwned" not in "".join(page.raw["style"])
    assert all(not value.startswith("javascript:") for _, name, value in page.attributes if name == "href")
    if set(injection) & set("<>\"'"):
        assert injection not in html  # never as markup: each < > " ' is an entity


def test_template_syntax_in_data_is_not_evaluated() -> None:
    html = render_html(rich_run("{{ 7*7 }}"), redact=str)
    assert "tool {{ 7*7 }}" in html
    assert "tool 49" not in html


def test_the_summary_comes_first_then_failures_then_suites() -> None:
    page = walk(render_html(rich_run(), redact=str))
    text = "\n".join(page.lines())
    assert text.index("Summary") < text.index("Failures (4)") < text.index("TestSuite/basic:")
    facts = text[text.index("Summary") : text.index("kind\nsuite")]
    assert facts.splitlines()[1:13] == [
        "run",
        "20261125T161203-3fa2c1",
        "command",
        "mcpctl test",
        "started",
        "2026-11-25T16:12:03.250Z",
        "duration",
        "1.23s",
        "status",
        "error (exit code 3)",
        "cases",
        "11 total: 5 passed (1 flaky), 3 failed, 1 error, 2 skipped",
    ]


def test_a_failure_shows_where_what_and_the_exchange() -> None:
    html = render_html(sample_run(), redact=str)
    start = html.index('id="failure-0"')
    assert html[start : html.index("</div>", start)] == (
        'id="failure-0">\n'
        '<h3><span class="badge b-failed">failed</span> TestSuite/basic :: adds numbers</h3>\n'
        '<p class="where">specs/basic.yaml:14</p><pre>structuredContent/sum: expected 42, got 41</pre>'
        '<p class="muted">details</p><pre>- 42\n+ 41</pre>'
        '<p class="muted">request and answer</p><pre>&gt;&gt; tools/call add {a: 1, b: 40}\n&lt;&lt; {sum: 41}</pre>'
    )
    assert '<h3><span class="badge b-error">error</span> TestSuite/broken :: &lt;setup&gt;</h3>' in html


def test_case_rows_carry_sort_keys_and_status_words() -> None:
    html = render_html(sample_run(), redact=str)
    assert (
        '<tr class="s-passed"><td data-v="4">4</td><td>retried</td>'
        '<td><span class="badge b-passed">passed (flaky)</span></td>'
        '<td data-v="1500.000">1.50s</td><td>2</td><td></td><td></td></tr>'
    ) in html
    assert html.count('<table class="sortable cases">') == 2


def test_a_load_test_shows_percentiles_charts_and_outcomes() -> None:
    page = walk(render_html(rich_run(), redact=str))
    text = "\n".join(page.lines())
    section = text[text.index("LoadTest/steady") :]
    assert section[: section.index("Latency percentiles")].splitlines()[-10:] == [
        "model",
        "arrival-rate",
        "sessions",
        "shared",
        "duration",
        "10.0s",
        "calls",
        "600 (60.0/s)",
        "dropped",
        "3",
    ]
    rows = section[section.index("mean\n") + 5 :].splitlines()[:20]
    assert rows[:3] == ["add", "600", "4.00%"]
    assert rows[10:13] == ["all calls", "600", "4.00%"]
    titles = [
        t
        for t in section.splitlines()
        if t in ("Latency histogram (calls up to each bound)", "Throughput", "Latency over time")
    ]
    # each chart's <title> (read aloud) and its visible heading
    assert titles == [
        title
        for title in ("Latency histogram (calls up to each bound)", "Throughput", "Latency over time")
        for _ in "12"
    ]
    outcomes = section[section.index("Outcomes") :].splitlines()
    assert outcomes[5:13] == ["add", "ok", "576", "96.00%", "add", "rpc_error:-32603", "24", "4.00%"]


def test_a_fault_scenario_shows_faults_against_outcomes() -> None:
    page = walk(render_html(rich_run(), redact=str))
    text = "\n".join(page.lines())
    section = text[text.index("FaultScenario/lossy") : text.index("\nBatchPlan/rollout/1.execute: ")]
    assert section[section.index("Faults injected") :].splitlines()[1:10] == [
        "fault",
        "kind",
        "times injected",
        "drop-answers",
        "drop",
        "4",
        "slow add",
        "delay",
        "11",
    ]
    outcome = section[section.index("Outcome of the run") :].splitlines()[1:9]
    assert outcome == [
        "run",
        "TestSuite/basic",
        "outcome",
        "failed",
        "cases",
        "3 passed, 1 failed, 0 error, 0 skipped",
        "server launches",
        "2",
    ]
    assert "Calls with side effects repeated after a lost answer" in section


def test_a_batch_plan_shows_items_retries_and_why_it_stopped() -> None:
    page = walk(render_html(rich_run(), redact=str))
    text = "\n".join(page.lines())
    section = text[text.index("BatchPlan/rollout/1.execute") :]
    assert section[section.index("Items") :].splitlines()[1:15] == [
        "items passed",
        "7",
        "items failed",
        "1",
        "items error",
        "0",
        "items skipped",
        "1",
        "items retried",
        "3",
        "steps not started",
        "1",
        "stopped because",
        "row-9 failed; onFailure rollback stops at the first failure",
    ]


def test_an_unreadable_attachment_is_said_not_fatal() -> None:
    run = rich_run()
    broken = replace(run.suites[2], attachment="{not json")
    html = render_html(replace(run, suites=(broken,)), redact=str)
    assert "The load result cannot be shown: the attachment is not JSON: " in html


def test_every_string_is_redacted() -> None:
    html = render_html(rich_run("hunter2"), redact=lambda s: s.replace("hunter2", "***"))
    assert "hunter2" not in html
    assert "tool ***" in html
    assert "add***" in html


def test_failures_beyond_the_limit_are_counted() -> None:
    cases = tuple(CaseResult(name=f"c{n}", status="failed", duration_ms=1.0) for n in range(MAX_FAILURES + 5))
    run = replace(sample_run(), suites=(replace(sample_run().suites[0], cases=cases),))
    html = render_html(run, redact=str)
    assert html.count('<div class="failure') == MAX_FAILURES
    assert f"Failures ({MAX_FAILURES + 5})" in html
    assert "5 more failures are not shown in full: see the suites' tables." in html


def test_the_print_variant_has_no_script_and_charts_as_svg_images() -> None:
    page = walk(render_report(rich_run(CORPUS), redact=str, printable=True))
    assert "script" not in page.tags
    assert "svg" not in page.tags
    sources = [v for t, n, v in page.attributes if n == "src"]
    assert len(sources) == 1 + 5 + 3  # the run's and 5 suites' statuses, the load charts
    for source in sources:
        prefix = "data:image/svg+xml;base64,"
        assert source.startswith(prefix)
        chart = ET.fromstring(base64.b64decode(source[len(prefix) :]))
        assert chart.tag == "{http://www.w3.org/2000/svg}svg"
    assert [v for t, n, v in page.attributes if n == "href"] == []
    assert re.search(r"script-src 'none'", "".join(v for _, _, v in page.attributes))
