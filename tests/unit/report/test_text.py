from __future__ import annotations

from dataclasses import replace

from mcpctl.engine.results import CaseResult
from mcpctl.report.text import render_summary
from tests.unit.report.sample import sample_run

SUMMARY = """\
SUITE             TEST          STATUS    TIME    NOTE
TestSuite/basic   lists tools   passed    12ms    p50 1.2ms p99 3.8ms (n=100)
TestSuite/basic   adds numbers  failed    3ms     structuredContent/sum: expected 42, got 41
TestSuite/basic   later         skipped   0ms     not yet
TestSuite/basic   retried       passed    1.50s   flaky: passed on attempt 2
TestSuite/broken  <setup>       error     0ms     server did not start (exit code 1); stderr: no such file

FAILED TestSuite/basic :: adds numbers (specs/basic.yaml:14)
    structuredContent/sum: expected 42, got 41
    - 42
    + 41

ERROR TestSuite/broken :: <setup> (specs/broken.yaml)
    server did not start (exit code 1); stderr: no such file

1 failed, 2 passed (1 flaky), 1 skipped, 1 error in 1.23s
run 20261125T161203-3fa2c1: mcpctl show 20261125T161203-3fa2c1"""


def test_the_summary_table_failures_and_totals() -> None:
    assert render_summary(sample_run(), color=False, redact=str) == SUMMARY


def test_show_leaves_out_the_hint_to_itself() -> None:
    text = render_summary(sample_run(), color=False, redact=str, show_hint=False)
    assert text == SUMMARY.rsplit("\n", 1)[0]


def test_color_only_when_asked() -> None:
    plain = render_summary(sample_run(), color=False, redact=str)
    assert "\x1b" not in plain
    colored = render_summary(sample_run(), color=True, redact=str)
    assert "\x1b[32mpassed\x1b[0m" in colored
    assert "\x1b[31mfailed\x1b[0m" in colored
    assert "\x1b[33mskipped\x1b[0m" in colored
    assert "\x1b[31m1 failed, 2 passed (1 flaky), 1 skipped, 1 error in 1.23s\x1b[0m" in colored


def test_many_passes_fold_into_one_line() -> None:
    run = sample_run()
    basic = run.suites[0]
    many = tuple(CaseResult(name=f"case {n}", status="passed", duration_ms=1.0) for n in range(40))
    run = replace(run, suites=(replace(basic, cases=(*many, *basic.cases)),))
    lines = render_summary(run, color=False, redact=str).splitlines()
    assert lines[:5] == [
        "SUITE            TEST          STATUS    TIME    NOTE",
        "TestSuite/basic  adds numbers  failed    3ms     structuredContent/sum: expected 42, got 41",
        "TestSuite/basic  later         skipped   0ms     not yet",
        "TestSuite/basic  retried       passed    1.50s   flaky: passed on attempt 2",
        "… 41 more passed",
    ]
    assert lines[-2] == "1 failed, 42 passed (1 flaky), 1 skipped in 1.23s"


def test_totals_wording() -> None:
    run = sample_run()
    only_passes = replace(run, suites=(replace(run.suites[0], cases=run.suites[0].cases[:1]),))
    assert render_summary(only_passes, color=False, redact=str).splitlines()[-2] == "1 passed in 1.23s"
    nothing = replace(run, suites=())
    assert render_summary(nothing, color=True, redact=str).splitlines()[-2] == (
        "\x1b[33mno tests ran in 1.23s\x1b[0m"
    )
    two_errors = replace(run, suites=(run.suites[1], run.suites[1]))
    assert render_summary(two_errors, color=False, redact=str).splitlines()[-2] == "2 errors in 1.23s"


def test_a_long_message_is_cut_in_the_table_and_whole_below() -> None:
    run = sample_run()
    basic = run.suites[0]
    long = replace(basic.cases[1], message="x" * 100)
    text = render_summary(replace(run, suites=(replace(basic, cases=(long,)),)), color=False, redact=str)
    assert "x" * 59 + "…" in text.splitlines()[1]
    assert "    " + "x" * 100 in text.splitlines()


def test_a_limit_caps_the_listed_problems_of_a_long_run_only() -> None:
    run = sample_run()
    basic = run.suites[0]
    failing = tuple(
        CaseResult(name=f"bad {n}", status="failed", duration_ms=1.0, message=f"boom {n}") for n in range(30)
    )
    long_run = replace(run, suites=(replace(basic, cases=failing + basic.cases),))
    text = render_summary(long_run, color=False, redact=str, limit=3)
    rows = [line for line in text.splitlines() if line.startswith("TestSuite/basic")]
    assert [row.split()[1:3] for row in rows] == [["bad", "0"], ["bad", "1"], ["bad", "2"]]
    assert f"… 30 more not passed: mcpctl show {run.run_id}" in text
    assert f"… 28 more failures: mcpctl show {run.run_id}" in text
    assert "… 1 more passed" in text
    # a short run is listed whole, whatever the limit
    short = render_summary(run, color=False, redact=str, limit=1)
    assert "more not passed" not in short
    assert short == render_summary(run, color=False, redact=str)
