"""Recommendations in the HTML, markdown and JSON reports: shown with their numbers when a rule fired,
absent when none did."""

from __future__ import annotations

import json
from dataclasses import replace

from mcpctl.report.html import render_html
from mcpctl.report.json import render_json
from mcpctl.report.markdown import render_markdown
from tests.unit.report.sample import sample_run
from tests.unit.report.test_html import rich_run

EVIDENCE = "24 of 24 failed calls (100%) were rpc_error:-32603; 24 of 600 calls failed (4.0%)"


def test_errors_in_one_class_are_recommended_in_every_report() -> None:
    run = rich_run()  # its LoadTest: 1 call in 25 failed, every one with rpc_error:-32603
    assert json.loads(render_json(run, redact=str))["recommendations"] == [
        {
            "rule": "errors in one class",
            "subject": "LoadTest/steady",
            "advice": "errors concentrate in one class, rpc_error:-32603: one cause to fix, not many",
            "evidence": EVIDENCE,
        }
    ]
    markdown = render_markdown(run, redact=str)
    assert (
        "#### Recommendations (1)\n\n- **LoadTest/steady** (errors in one class): errors concentrate in one"
        " class, rpc\\_error:-32603: one cause to fix, not many. Evidence: 24 of 24 failed calls (100%) were"
        " rpc\\_error:-32603; 24 of 600 calls failed (4.0%)\n\n#### Failures"
    ) in markdown
    page = render_html(run, redact=str)
    section = page[page.index('<section id="recommendations">') : page.index('<section id="failures">')]
    assert "<h2>Recommendations (1)</h2>" in section
    assert "<h3>LoadTest/steady: errors in one class</h3>" in section
    assert f'<p class="muted">evidence: {EVIDENCE}</p>' in section
    assert page.index('id="summary"') < page.index('id="recommendations"')


def test_recommendations_are_redacted() -> None:
    document = json.loads(render_json(rich_run(), redact=lambda text: text.replace("steady", "***")))
    assert document["recommendations"][0]["subject"] == "LoadTest/***"


def test_no_evidence_no_section() -> None:
    run = sample_run()
    assert json.loads(render_json(run, redact=str))["recommendations"] == []
    assert "Recommendations" not in render_markdown(run, redact=str)
    assert 'id="recommendations"' not in render_html(run, redact=str)


def test_an_unreadable_attachment_gives_no_recommendation() -> None:
    run = rich_run()
    load = replace(run.suites[2], attachment='{"overall": 1}')
    assert json.loads(render_json(replace(run, suites=(load,)), redact=str))["recommendations"] == []
