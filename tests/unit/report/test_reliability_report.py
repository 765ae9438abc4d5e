"""pass@k, pass^k, flaky repeats and snapshot outcomes in every report: the text summary, JSON (valid
against ``schemas/report.schema.json``), JUnit (valid against junit-10.xsd), markdown and HTML."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import xmlschema
from jsonschema import Draft202012Validator

from mcpctl.engine.results import CaseResult, RunResult, SuiteResult, reliability
from mcpctl.report.html import render_html
from mcpctl.report.json import render_json
from mcpctl.report.junit import render_junit
from mcpctl.report.markdown import render_markdown
from mcpctl.report.text import render_summary
from testing.paths import ROOT
from tests.unit.report.sample import STARTED

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
XSD = ROOT / "tests" / "data" / "junit-10.xsd"
FAILING = ('run 3 of 20: text: expected "ok", got "no"', 'run 9 of 20: text: expected "ok", got "no"')


def run() -> RunResult:
    cases = (
        CaseResult(
            name="dice",
            status="passed",
            duration_ms=40.0,
            flaky=True,
            reliability=reliability(runs=20, passed=18, k=5, required=">= 80%", failures=FAILING),
            file="s.yaml",
            line=6,
        ),
        CaseResult(
            name="strict",
            status="failed",
            duration_ms=40.0,
            flaky=True,
            message="pass rate 90.0% (18 of 20 runs passed) is not >= 95%",
            details=FAILING,
            reliability=reliability(runs=20, passed=18, k=5, required=">= 95%", failures=FAILING),
            file="s.yaml",
            line=9,
        ),
        CaseResult(name="made", status="passed", duration_ms=2.0, snapshots={"made": "written"}),
        CaseResult(name="same", status="passed", duration_ms=2.0, snapshots={"same": "unchanged"}),
        CaseResult(name="moved", status="passed", duration_ms=2.0, snapshots={"moved": "updated"}),
    )
    suite = SuiteResult(kind="TestSuite", name="s", server="dice", started_at=STARTED, cases=cases)
    return RunResult(run_id="r1", command="test", started_at=STARTED, duration_ms=90.0, suites=(suite,))


def test_the_text_summary() -> None:
    lines = render_summary(run(), color=False, redact=str, show_hint=False).splitlines()
    assert lines[:6] == [
        "SUITE        TEST    STATUS    TIME    NOTE",
        "TestSuite/s  dice    passed    40ms    flaky: 18/20 passed (90.0%), pass@5 1.000, pass^5 0.553",
        "TestSuite/s  strict  failed    40ms    pass rate 90.0% (18 of 20 runs passed) is not >= 95%",
        "TestSuite/s  made    passed    2ms     snapshot made written",
        "TestSuite/s  same    passed    2ms",
        "TestSuite/s  moved   passed    2ms     snapshot moved updated",
    ]
    assert lines[7:] == [
        "FAILED TestSuite/s :: strict (s.yaml:9)",
        "    pass rate 90.0% (18 of 20 runs passed) is not >= 95%",
        '    run 3 of 20: text: expected "ok", got "no"',
        '    run 9 of 20: text: expected "ok", got "no"',
        "    18/20 passed (90.0%), pass@5 1.000, pass^5 0.553",
        "",
        "1 failed, 4 passed (1 flaky) in 0.09s",
        "snapshots: 1 written, 1 updated, 1 unchanged",
    ]


def test_the_json_report_is_valid_and_carries_the_numbers() -> None:
    document = json.loads(render_json(run(), redact=str))
    Draft202012Validator(SCHEMA).validate(document)
    dice, _, made, same, _ = document["suites"][0]["cases"]
    assert dice["reliability"] == {
        "runs": 20,
        "passed": 18,
        "rate": 0.9,
        "k": 5,
        "passAtK": 1.0,
        "passHatK": 8568 / 15504,
        "required": ">= 80%",
        "failures": list(FAILING),
    }
    assert "reliability" not in made
    assert "snapshots" not in dice
    assert (made["snapshots"], same["snapshots"]) == ({"made": "written"}, {"same": "unchanged"})
    assert document["run"]["summary"]["snapshots"] == {"unchanged": 1, "updated": 1, "written": 1}


def test_junit_carries_them_as_suite_properties_and_stays_valid() -> None:
    text = render_junit(run(), redact=str)
    xmlschema.XMLSchema(XSD).validate(text)
    root = ET.fromstring(text)
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert {k: v for k, v in properties.items() if k and k.startswith("dice.")} == {
        "dice.runs": "20",
        "dice.passed": "18",
        "dice.pass_rate": "0.9000",
        "dice.pass_rate.required": ">= 80%",
        "dice.pass@5": "1.000000",
        "dice.pass^5": "0.552632",
    }
    assert properties["made.snapshot.made"] == "written"
    dice = next(case for case in root.iter("testcase") if case.get("name") == "dice")
    assert dice.findtext("system-out") == "\n".join(["flaky: 18 of 20 runs passed", *FAILING])


def test_markdown_has_a_reliability_table_and_the_snapshot_counts() -> None:
    text = render_markdown(run(), redact=str)
    section = text[text.index("#### Reliability") :].splitlines()
    assert section[2:6] == [
        "| suite       | case           | passed   | rate   | required   | k   | pass@k   | pass^k   |",
        "|-------------|----------------|----------|--------|------------|-----|----------|----------|",
        "| TestSuite/s | dice (flaky)   | 18/20    | 90.0%  | &gt;= 80%  | 5   | 1.000    | 0.553    |",
        "| TestSuite/s | strict (flaky) | 18/20    | 90.0%  | &gt;= 95%  | 5   | 1.000    | 0.553    |",
    ]
    assert text.endswith("\n\nSnapshots: 1 written, 1 updated, 1 unchanged.\n")


def test_html_notes_them_beside_the_message() -> None:
    page = render_html(run(), redact=str)
    assert (
        "<td>pass rate 90.0% (18 of 20 runs passed) is not &gt;= 95% · "
        "18/20 passed (90.0%), pass@5 1.000, pass^5 0.553</td>"
    ) in page
    assert "<td>snapshot made written</td>" in page
