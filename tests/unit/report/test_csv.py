from __future__ import annotations

import csv
import io
from dataclasses import replace

import orjson
import pytest

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult
from mcpctl.errors import UsageError
from mcpctl.observe.histogram import LatencyHistogram
from mcpctl.report.csv import BUCKET_COLUMNS, CASE_COLUMNS, render_csv
from tests.unit.report.sample import STARTED, sample_run

RUN = "20261125T161203-3fa2c1,test,2026-11-25T16:12:03.250Z"


def test_one_row_per_case_with_a_setup_row_for_a_suite_that_could_not_run() -> None:
    assert render_csv(sample_run(), redact=str).splitlines() == [
        ",".join(CASE_COLUMNS),
        f"{RUN},TestSuite,basic,echo,specs/basic.yaml,lists tools,passed,12.3,1,false,,specs/basic.yaml,7,"
        "100,1.25,2.0,2.5,3.75,4.0,1.5",
        f'{RUN},TestSuite,basic,echo,specs/basic.yaml,adds numbers,failed,3.0,1,false,"structuredContent/sum: '
        'expected 42, got 41",specs/basic.yaml,14,,,,,,,',
        f"{RUN},TestSuite,basic,echo,specs/basic.yaml,later,skipped,0.0,1,false,not yet,,,,,,,,,",
        f"{RUN},TestSuite,basic,echo,specs/basic.yaml,retried,passed,1500.0,2,true,,,,,,,,,,",
        f"{RUN},TestSuite,broken,gone,specs/broken.yaml,<setup>,error,0.0,1,false,server did not start "
        "(exit code 1); stderr: no such file,specs/broken.yaml,,,,,,,,",
    ]


def test_columns_are_chosen_and_ordered() -> None:
    text = render_csv(sample_run(), redact=str, columns=["status", "case", "p99_ms"])
    assert text.splitlines() == [
        "status,case,p99_ms",
        "passed,lists tools,3.75",
        "failed,adds numbers,",
        "skipped,later,",
        "passed,retried,",
        "error,<setup>,",
    ]


def test_an_unknown_column_is_named_with_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        render_csv(sample_run(), redact=str, columns=["case", "p42", "colour"])
    assert str(caught.value) == f"--columns p42,colour: unknown (known: {', '.join(CASE_COLUMNS)})"


def test_untrusted_text_cannot_become_a_formula_and_keeps_its_quotes_and_newlines() -> None:
    run = sample_run()
    basic = run.suites[0]
    case = replace(basic.cases[1], name='=HYPERLINK("http://x")', message='-2+3 "quoted"\nnext line')
    run = replace(run, suites=(replace(basic, cases=(case,)),))
    rows = list(csv.reader(io.StringIO(render_csv(run, redact=str, columns=["case", "message", "line"]))))
    assert rows == [
        ["case", "message", "line"],
        ['\'=HYPERLINK("http://x")', '\'-2+3 "quoted"\nnext line', "14"],
    ]


def test_every_text_is_redacted() -> None:
    text = render_csv(sample_run(), redact=lambda s: s.replace("basic", "***"))
    assert "basic" not in text
    assert ",***," in text


def _load_run() -> RunResult:
    fast, slow = LatencyHistogram(significant_figures=2), LatencyHistogram(significant_figures=2)
    for ms in (1, 2, 3, 4):
        fast.record(ms * 1_000_000)
    slow.record(100_000_000)
    series = {
        "start": 1795623120,
        "width": 2,
        "max_buckets": 3600,
        "buckets": [
            {"start": 1795623120, "outcomes": {"ok": 4}, "latency": fast.encode()},
            {
                "start": 1795623122,
                "outcomes": {"ok": 1, "timeout": 2, "rpc:-32603": 1},
                "latency": slow.encode(),
            },
            {"start": 1795623124, "outcomes": {}, "latency": ""},
        ],
    }
    load = SuiteResult(
        kind="LoadTest",
        name="steady",
        server="echo",
        started_at=STARTED,
        cases=(CaseResult(name="arrival-rate load", status="passed", duration_ms=6000.0),),
        attachment=orjson.dumps({"name": "steady", "series": series}).decode(),
    )
    suites = (sample_run().suites[0], load)
    return RunResult(run_id="r1", command="apply", started_at=STARTED, duration_ms=1.0, suites=suites)


def test_a_load_test_series_gives_one_row_per_bucket() -> None:
    assert render_csv(_load_run(), redact=str, rows="buckets").splitlines() == [
        ",".join(BUCKET_COLUMNS),
        # the per-bucket histograms keep 2 significant figures: 4 ms reads back as 4.015
        "r1,steady,2026-11-25T16:12:00.000Z,2,4,4,0,0.0,2.007,4.015,4.015,4.015,2.5",
        "r1,steady,2026-11-25T16:12:02.000Z,2,4,1,3,0.75,100.351,100.351,100.351,100.351,100.0",
        "r1,steady,2026-11-25T16:12:04.000Z,2,0,0,0,,,,,,",
    ]


def test_bucket_columns_are_checked_against_the_bucket_shape() -> None:
    text = render_csv(_load_run(), redact=str, rows="buckets", columns=["bucket_start", "p99_ms"])
    assert text.splitlines()[:2] == ["bucket_start,p99_ms", "2026-11-25T16:12:00.000Z,4.015"]
    with pytest.raises(UsageError, match=r"^--columns case: unknown \(known: run_id, suite_name, "):
        render_csv(_load_run(), redact=str, rows="buckets", columns=["case"])


def test_an_unreadable_attachment_has_no_buckets() -> None:
    run = _load_run()
    broken = replace(run.suites[1], attachment="{not json")
    assert (
        render_csv(replace(run, suites=(broken,)), redact=str, rows="buckets")
        == ",".join(BUCKET_COLUMNS) + "\n"
    )
