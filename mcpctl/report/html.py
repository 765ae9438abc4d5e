"""The HTML report (``--report html:PATH``): one self-contained file that opens from disk.

Summary first (run, totals, a table of suites), then the recommendations (when a rule of
:mod:`mcpctl.report.recommend` fired), then every failure in full (the spec's ``file:line``, the
message, the details, the request and the answer), then one section per suite: its cases in a sortable
table, and by kind a LoadTest's percentiles, latency histogram, time series and error breakdown, a
FaultScenario's faults against outcomes, a BatchPlan's items, retries and stop.

**Untrusted text stays data.** Tool names, error texts, server answers and spec paths are escaped where
they enter markup: by the template (a sandboxed jinja2 environment with autoescape, separate from the one
that renders specs) or by :func:`markupsafe.escape` in the few places markup is built in Python (the case
rows: 100,000 of them are joined here in about a second, where a template loop would take several). The
page also carries a Content-Security-Policy that allows only its own stylesheet and script, by hash, so
markup that escaped the escaping could still not run or load anything. No URL points outside the file.

The print variant (:func:`render_report` with ``printable=True``) is what :mod:`mcpctl.report.pdf` feeds
xhtml2pdf: no script, a plainer stylesheet, charts as ``<img>`` of SVG data (xhtml2pdf draws those with
svglib, but ignores inline ``<svg>``).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.report import svg
from mcpctl.report.json import iso8601
from mcpctl.report.recommend import Recommendation, recommend
from mcpctl.report.text import duration, reliability_text
from mcpctl.report.totals import Totals, run_totals, suite_totals

TEMPLATES = Path(__file__).parent / "templates"
MAX_FAILURES = 1000
"""Failures shown in full; the rest are counted (each is still a row of its suite's table)."""
STATUSES = ("passed", "failed", "error", "skipped")

Redact = Callable[[str], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """A failed or erred case as the failures section shows it."""

    anchor: str
    suite: str
    case: str
    status: str
    where: str
    message: str
    details: str
    output: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SuiteView:
    """One suite: its summary row, its case rows (markup) and its kind's own section."""

    anchor: str
    kind: str
    name: str
    server: str
    spec: str
    status: str
    totals: Totals
    duration: str
    error: str
    cases: Markup
    """The case rows of a table on screen; in print, one paragraph a case."""
    chart: Markup
    load: LoadView | None = None
    fault: FaultView | None = None
    batch: BatchView | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """Everything the template shows, every string already redacted."""

    run_id: str
    command: str
    started: str
    duration: str
    status: str
    exit_code: int
    totals: Totals
    chart: Markup
    suites: list[SuiteView]
    failures: list[Failure] = field(default_factory=list)
    more_failures: int = 0
    recommendations: list[Recommendation] = field(default_factory=list)


def render_html(run: RunResult, *, redact: Redact) -> str:
    """``run`` as a self-contained HTML page, every string passed through ``redact``."""
    return render_report(run, redact=redact, printable=False)


def render_report(run: RunResult, *, redact: Redact, printable: bool) -> str:
    """The report page; ``printable``: the variant for PDF (no script, charts as images)."""
    view = report_view(run, redact=redact, printable=printable)
    css, script, policy = page_assets(printable=printable)
    template = environment().get_template("report.html.j2")
    return template.render(run=view, css=css, script=script, policy=policy, printable=printable)


def page_assets(*, printable: bool) -> tuple[Markup, Markup, str]:
    """A report page's stylesheet, script ("" in print) and the Content-Security-Policy allowing just them."""
    css = _asset("print.css" if printable else "report.css")
    script = "" if printable else _asset("report.js")
    scripts = f"'{_digest(script)}'" if script else "'none'"
    policy = (
        "default-src 'none'; base-uri 'none'; form-action 'none'; img-src data:;"
        f" style-src '{_digest(css)}'; script-src {scripts}"
    )
    return Markup(css), Markup(script), policy


@functools.cache
def environment() -> ImmutableSandboxedEnvironment:
    """The jinja2 environment of the report templates that ship with mcpctl (trusted templates,
    untrusted values: autoescape on, sandboxed, undefined names an error)."""
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


def _digest(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


_SIZE = re.compile(r'width="(\d+)" height="(\d+)"')


def image(chart: str) -> Markup:
    """An SVG chart as an ``<img>`` of SVG data, the form xhtml2pdf draws."""
    size = _SIZE.search(chart)
    width, height = (size.group(1), size.group(2)) if size else ("640", "220")
    data = base64.b64encode(chart.encode("utf-8")).decode("ascii")
    source = f"data:image/svg+xml;base64,{data}"
    return Markup(f'<div class="chart"><img src="{source}" width="{width}" height="{height}"/></div>')


def report_view(run: RunResult, *, redact: Redact, printable: bool = False) -> ReportView:
    """What the template shows of ``run``, on screen or in print."""
    chart = image if printable else Markup
    totals = run_totals(run)
    failures = [
        _failure(f"failure-{n}", suite, case, redact)
        for n, (suite, case) in enumerate(
            (suite, case)
            for suite in run.suites
            for case in _cases(suite)
            if case.status in ("failed", "error")
        )
        if n < MAX_FAILURES
    ]
    bad = totals.failed + totals.error
    return ReportView(
        run_id=redact(run.run_id),
        command=redact(run.command),
        started=iso8601(run.started_at),
        duration=duration(run.duration_ms),
        status=run.status,
        exit_code=run.exit_code,
        totals=totals,
        chart=chart(svg.status_bar(_counts(totals), title="Cases by status")),
        suites=[_suite(f"suite-{n}", suite, redact, printable) for n, suite in enumerate(run.suites)],
        failures=failures,
        more_failures=max(bad - len(failures), 0),
        recommendations=redacted_recommendations(run, redact),
    )


def redacted_recommendations(run: RunResult, redact: Redact) -> list[Recommendation]:
    """The recommendations over ``run`` (:mod:`mcpctl.report.recommend`), every string redacted."""
    return [
        Recommendation(
            rule=r.rule, subject=redact(r.subject), advice=redact(r.advice), evidence=redact(r.evidence)
        )
        for r in recommend(run)
    ]


def _counts(totals: Totals) -> list[tuple[str, int]]:
    return [
        ("passed", totals.passed),
        ("failed", totals.failed),
        ("error", totals.error),
        ("skipped", totals.skipped),
    ]


def _cases(suite: SuiteResult) -> tuple[CaseResult, ...]:
    # a suite that could not run is one erred "<setup>" case, as in the text and JUnit reports
    if not suite.error:
        return suite.cases
    setup = CaseResult(
        name="<setup>", status="error", duration_ms=0.0, message=suite.error, file=suite.spec_path
    )
    return (setup, *suite.cases)


def where(case: CaseResult) -> str:
    """``specs/basic.yaml:14``, ``specs/basic.yaml`` without a line, "" without a file."""
    return f"{case.file}:{case.line}" if case.file and case.line else case.file


def _failure(anchor: str, suite: SuiteResult, case: CaseResult, redact: Redact) -> Failure:
    return Failure(
        anchor=anchor,
        suite=redact(f"{suite.kind}/{suite.name}"),
        case=redact(case.name),
        status=case.status,
        where=redact(where(case)),
        message=redact(case.message),
        details=redact("\n".join(case.details)),
        output=redact(case.output),
    )


def _suite(anchor: str, suite: SuiteResult, redact: Redact, printable: bool) -> SuiteView:
    chart = image if printable else Markup
    totals = suite_totals(suite)
    view = SuiteView(
        anchor=anchor,
        kind=redact(suite.kind),
        name=redact(suite.name),
        server=redact(suite.server),
        spec=redact(suite.spec_path),
        status=suite.status,
        totals=totals,
        duration=duration(suite.duration_ms),
        error=redact(suite.error),
        cases=(case_paragraphs if printable else case_rows)(_cases(suite), redact),
        chart=chart(svg.status_bar(_counts(totals), title="Cases by status")),
    )
    if suite.kind == "LoadTest":
        return dataclasses.replace(view, load=load_view(suite.attachment, redact=redact, chart=chart))
    if suite.kind == "FaultScenario":
        return dataclasses.replace(view, fault=fault_view(suite.attachment, redact=redact, chart=chart))
    if suite.kind == "BatchPlan":
        return dataclasses.replace(view, batch=batch_view(suite.cases, redact=redact))
    return view


def case_notes(case: CaseResult) -> str:
    """What a case adds to its message: a repeated case's pass@k and pass^k, snapshots written or updated
    ("" when neither)."""
    notes = [reliability_text(case.reliability)] if case.reliability is not None else []
    notes += [f"snapshot {name} {status}" for name, status in case.snapshots.items() if status != "unchanged"]
    return " · ".join(notes)


def case_rows(cases: Sequence[CaseResult], redact: Redact) -> Markup:
    """The ``<tr>`` rows of a cases table, each string escaped (built here: see the module docstring)."""
    rows = []
    for n, case in enumerate(cases, 1):
        status = case.status if case.status in STATUSES else "error"
        flaky = " (flaky)" if case.flaky else ""
        message = " · ".join(filter(None, [redact(case.message.strip().split("\n", 1)[0]), case_notes(case)]))
        rows.append(
            f'<tr class="s-{status}"><td data-v="{n}">{n}</td><td>{escape(redact(case.name))}</td>'
            f'<td><span class="badge b-{status}">{status}{flaky}</span></td>'
            f'<td data-v="{case.duration_ms:.3f}">{duration(case.duration_ms)}</td>'
            f"<td>{case.attempts}</td><td>{escape(redact(where(case)))}</td>"
            f"<td>{escape(message)}</td></tr>"
        )
    return Markup("\n".join(rows))


# --- the sections of each kind, from its attachment (JSON: read defensively, it may be from any version)

Facts = list[tuple[str, str]]
Rows = list[list[str]]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadView:
    """A LoadTest's own section: facts, percentiles per call, outcomes per call and three charts."""

    facts: Facts
    percentiles: Rows
    outcomes: Rows
    charts: list[Markup]
    problem: str = ""
    """Why the attachment could not be shown ("" when it was)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultView:
    """A FaultScenario's own section: each fault and how often it struck, against what the run did."""

    faults: Rows
    facts: Facts
    cases: Rows
    duplicates: Rows
    load: LoadView | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchView:
    """A BatchPlan operation's items by outcome, its retries and why it stopped."""

    facts: Facts


def _parse(attachment: str) -> tuple[dict[str, object], str]:
    if not attachment:
        return {}, "no attachment was recorded"
    try:
        document = orjson.loads(attachment)
    except orjson.JSONDecodeError as exc:
        return {}, f"the attachment is not JSON: {exc}"
    return (document, "") if isinstance(document, dict) else ({}, "the attachment is not a JSON object")


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _ms(value: object) -> str:
    return f"{_num(value):.2f}"


def load_view(attachment: str, *, redact: Redact, chart: Callable[[str], Markup]) -> LoadView:
    """The section of a LoadTest whose whole result is ``attachment`` (``mcpctl load -o json``)."""
    document, problem = _parse(attachment)
    if problem:
        return LoadView(facts=[], percentiles=[], outcomes=[], charts=[], problem=problem)
    overall = _dict(document.get("overall"))
    calls = [_dict(call) for call in _list(document.get("calls"))]
    took = _num(document.get("duration"))
    count = _num(overall.get("count"))
    facts = [
        ("model", redact(str(document.get("model", "")))),
        ("sessions", redact(str(document.get("sessions", "")))),
        ("duration", f"{took:.1f}s"),
        ("calls", f"{count:.0f} ({count / took if took > 0 else 0.0:.1f}/s)"),
        ("dropped", f"{_num(document.get('dropped')):.0f}"),
    ]
    if document.get("aborted"):
        facts.append(("aborted", redact(str(document.get("abort_reason") or "aborted"))))
    charts = [chart(text) for text in (_histogram(overall), *_series(_dict(document.get("series")))) if text]
    return LoadView(
        facts=facts,
        percentiles=[_percentiles(call, redact) for call in [*calls, {**overall, "name": "all calls"}]],
        outcomes=[row for call in calls for row in _outcomes(call, redact)],
        charts=charts,
    )


def _percentiles(call: dict[str, object], redact: Redact) -> list[str]:
    latency, count = _dict(call.get("latency")), _num(call.get("count"))
    ok = _num(_dict(call.get("outcomes")).get("ok"))
    errors = f"{100 * (count - ok) / count:.2f}%" if count else "-"
    keys = ("p50", "p90", "p95", "p99", "p999", "max", "mean")
    return [redact(str(call.get("name", ""))), f"{count:.0f}", errors, *(_ms(latency.get(k)) for k in keys)]


def _outcomes(call: dict[str, object], redact: Redact) -> Rows:
    outcomes, count = _dict(call.get("outcomes")), _num(call.get("count")) or 1.0
    name = redact(str(call.get("name", "")))
    ranked = sorted(outcomes.items(), key=lambda item: -_num(item[1]))
    return [[name, redact(key), f"{_num(n):.0f}", f"{100 * _num(n) / count:.2f}%"] for key, n in ranked]


def _histogram(overall: dict[str, object]) -> str:
    """Bars of the overall latencies over 24 buckets spaced evenly on a log scale from min to max."""
    encoded = overall.get("histogram")
    try:
        histogram = LatencyHistogram.decode(encoded) if isinstance(encoded, str) else None
    except ValueError:
        return ""
    if histogram is None or not histogram.count:
        return ""
    low, high = max(round(histogram.min * 1000), 1), max(round(histogram.max * 1000), 1)
    bounds = sorted({round(low * (high / low) ** (n / 24)) for n in range(25)})
    below = histogram.counts_at_or_below(bounds)
    bars = [
        svg.Bar(label=f"{bound / 1000:.3g}ms", value=count - previous)
        for bound, count, previous in zip(bounds, below, [0, *below], strict=False)
    ]
    return svg.bar_chart(bars, title="Latency histogram (calls up to each bound)", y_label="calls")


def _series(series: dict[str, object]) -> tuple[str, str]:
    """Two time series from the per-second buckets: calls and errors per second; p50 and p99."""
    width = _num(series.get("width")) or 1.0
    buckets = [_dict(bucket) for bucket in _list(series.get("buckets"))]
    if not buckets:
        return "", ""
    first = _num(buckets[0].get("start"))
    rate: dict[str, list[tuple[float, float]]] = {"calls/s": [], "errors/s": []}
    latency: dict[str, list[tuple[float, float]]] = {"p50 ms": [], "p99 ms": []}
    for bucket in buckets:
        at, outcomes = _num(bucket.get("start")) - first, _dict(bucket.get("outcomes"))
        calls = sum(_num(n) for key, n in outcomes.items() if key != "dropped")
        rate["calls/s"].append((at, calls / width))
        rate["errors/s"].append((at, (calls - _num(outcomes.get("ok"))) / width))
        encoded = bucket.get("latency")
        try:
            histogram = LatencyHistogram.decode(encoded) if isinstance(encoded, str) and encoded else None
        except ValueError:
            histogram = None
        if histogram is not None and histogram.count:
            p50, p99 = histogram.percentiles((50.0, 99.0))
            latency["p50 ms"].append((at, p50))
            latency["p99 ms"].append((at, p99))
    colours = ("blue", "red")
    return (
        svg.line_chart(
            [
                svg.Line(name=k, points=tuple(v), colour=c)
                for (k, v), c in zip(rate.items(), colours, strict=True)
            ],
            title="Throughput",
            x_label="seconds since the start",
            y_label="per second",
        ),
        svg.line_chart(
            [
                svg.Line(name=k, points=tuple(v), colour=c)
                for (k, v), c in zip(latency.items(), colours, strict=True)
            ],
            title="Latency over time",
            x_label="seconds since the start",
            y_label="ms",
        ),
    )


def fault_view(attachment: str, *, redact: Redact, chart: Callable[[str], Markup]) -> FaultView:
    """The section of a FaultScenario: its faults (how often each struck) against the inner run's outcome."""
    document, problem = _parse(attachment)
    if problem:
        return FaultView(faults=[], facts=[], cases=[], duplicates=[], problem=problem)
    run = _dict(document.get("run"))
    counts = _dict(run.get("counts"))

    def text(value: object) -> str:
        return redact(str(value))

    inner = _dict(run.get("attachment"))
    return FaultView(
        faults=[
            [text(f.get("name", "")), text(f.get("kind", "")), f"{_num(f.get('injected')):.0f}"]
            for f in map(_dict, _list(document.get("faults")))
        ],
        facts=[
            ("run", text(f"{run.get('kind', '')}/{run.get('name', '')}")),
            ("outcome", text(run.get("status", ""))),
            ("cases", ", ".join(f"{_num(counts.get(s)):.0f} {s}" for s in STATUSES)),
            ("server launches", f"{_num(document.get('launches')):.0f}"),
        ],
        cases=[
            [
                text(c.get("name", "")),
                text(c.get("status", "")),
                f"{_num(c.get('attempts')):.0f}",
                text(c.get("message", "")),
            ]
            for c in map(_dict, _list(run.get("cases")))
        ],
        duplicates=[
            [
                text(d.get("tool", "")),
                text(d.get("call", "")),
                text(d.get("fault", "")),
                f"{_num(d.get('repeats')):.0f}",
            ]
            for d in map(_dict, _list(document.get("duplicates")))
        ],
        load=load_view(orjson.dumps(inner).decode(), redact=redact, chart=chart)
        if "series" in inner
        else None,
    )


_ITEMS = re.compile(r"^(\d+) (?:more )?items?\b")
_RETRIED = re.compile(r"\((\d+) after retries\)")
_NOT_STARTED = "not started: "


def batch_view(cases: Sequence[CaseResult], *, redact: Redact) -> BatchView:
    """Items by outcome (a case may stand for many: ``3 items passed``), retried items, and why the plan
    stopped when steps were not started."""
    items = dict.fromkeys(STATUSES, 0)
    retried, not_started, stopped = 0, 0, ""
    for case in cases:
        many = _ITEMS.match(case.message)
        items[case.status] = items.get(case.status, 0) + (int(many.group(1)) if many else 1)
        again = _RETRIED.search(case.message)
        retried += int(again.group(1)) if again else (1 if case.attempts > 1 else 0)
        if case.status == "skipped" and case.message.startswith(_NOT_STARTED):
            not_started += 1
            stopped = stopped or case.message.removeprefix(_NOT_STARTED)
    facts = [(f"items {status}", str(items[status])) for status in STATUSES]
    facts.append(("items retried", str(retried)))
    if not_started:
        facts += [("steps not started", str(not_started)), ("stopped because", redact(stopped))]
    return BatchView(facts=facts)


def case_paragraphs(cases: Sequence[CaseResult], redact: Redact) -> Markup:
    """The cases as print shows them: one paragraph each, since xhtml2pdf lays out a table cell about as
    slowly as a whole paragraph (1,000 cases took 8 s as table rows, 1.3 s as paragraphs)."""
    rows = []
    for n, case in enumerate(cases, 1):
        status = case.status if case.status in STATUSES else "error"
        tries = f", {case.attempts} attempts" if case.attempts > 1 else ""
        parts = [f"{n}. {escape(redact(case.name))}", f"{duration(case.duration_ms)}{tries}"]
        texts = (redact(where(case)), redact(case.message.strip()), case_notes(case))
        parts += [str(escape(text)) for text in texts if text]
        flaky = " (flaky)" if case.flaky else ""
        rows.append(f'<p class="case"><b class="b-{status}">{status}{flaky}</b> {" | ".join(parts)}</p>')
    return Markup("\n".join(rows))
