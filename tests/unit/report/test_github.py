from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from mcpctl.engine.results import CaseResult
from mcpctl.report.github import ANNOTATION_LIMIT, error_lines, escape_data, escape_property, publish
from mcpctl.report.markdown import render_markdown
from tests.unit.report.sample import sample_run

ERRORS = [
    "::error file=specs/basic.yaml,line=14,title=TestSuite/basic %3A%3A adds numbers::"
    "structuredContent/sum: expected 42, got 41%0A- 42%0A+ 41",
    "::error file=specs/broken.yaml,title=TestSuite/broken %3A%3A <setup>::"
    "server did not start (exit code 1); stderr: no such file",
]


def test_escaping_follows_the_runner_rules() -> None:
    assert escape_data("100% done\r\nnext::x, y") == "100%25 done%0D%0Anext::x, y"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_one_error_per_failing_case_at_its_spec_line() -> None:
    assert error_lines(sample_run(), redact=str) == ERRORS


def test_a_newline_in_a_server_message_cannot_start_another_command() -> None:
    run = sample_run()
    basic = run.suites[0]
    case = replace(basic.cases[1], message="boom\n::add-mask::x", details=(), file="a,b:c.yaml")
    lines = error_lines(replace(run, suites=(replace(basic, cases=(case,)),)), redact=str)
    assert lines == [
        "::error file=a%2Cb%3Ac.yaml,line=14,title=TestSuite/basic %3A%3A adds numbers::boom%0A::add-mask::x"
    ]


def test_paths_are_made_relative_to_the_workspace(tmp_path: Path) -> None:
    run = sample_run()
    basic = run.suites[0]
    inside = replace(basic.cases[1], file=str(tmp_path / "specs" / "x.yaml"))
    outside = replace(basic.cases[1], file="/elsewhere/y.yaml")
    lines = error_lines(
        replace(run, suites=(replace(basic, cases=(inside, outside)),)), redact=str, workspace=str(tmp_path)
    )
    assert [line.split(",")[0] for line in lines] == [
        "::error file=specs/x.yaml",
        "::error file=/elsewhere/y.yaml",
    ]


def test_past_the_limit_one_notice_counts_the_rest() -> None:
    cases = tuple(
        CaseResult(name=f"c{n}", status="error", duration_ms=0.0) for n in range(ANNOTATION_LIMIT + 3)
    )
    run = sample_run()
    lines = error_lines(replace(run, suites=(replace(run.suites[0], cases=cases),)), redact=str)
    assert len(lines) == ANNOTATION_LIMIT + 1
    assert lines[0] == "::error title=TestSuite/basic %3A%3A c0::error"
    assert lines[-1] == "::notice::3 more failures not annotated: mcpctl show 20261125T161203-3fa2c1"


def test_secrets_are_redacted_in_annotations() -> None:
    lines = error_lines(sample_run(), redact=lambda s: s.replace("42", "***"))
    assert "42" not in "".join(lines)


def test_outside_github_actions_nothing_happens(tmp_path: Path) -> None:
    stream = io.StringIO()
    summary = tmp_path / "summary.md"
    publish(sample_run(), redact=str, environ={"GITHUB_STEP_SUMMARY": str(summary)}, stream=stream)
    assert stream.getvalue() == ""
    assert not summary.exists()


def test_in_github_actions_annotations_print_and_the_summary_is_appended(tmp_path: Path) -> None:
    stream = io.StringIO()
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    publish(sample_run(), redact=str, environ=environ, stream=stream)
    assert stream.getvalue().splitlines() == ERRORS
    assert summary.read_text() == "earlier step\n" + render_markdown(sample_run(), redact=str) + "\n"


def test_an_unwritable_summary_is_a_warning(tmp_path: Path) -> None:
    stream = io.StringIO()
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path)}  # a directory
    publish(sample_run(), redact=str, environ=environ, stream=stream)
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith(
        f"::warning::cannot append to GITHUB_STEP_SUMMARY {tmp_path}: [Errno 21] Is a directory"
    )
