from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest
import xmlschema

from mcpctl.report.junit import render_junit
from tests.unit.report.sample import SPEC_HASH, sample_run

XSD = Path(__file__).resolve().parents[2] / "data" / "junit-10.xsd"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(XSD)


def test_the_report_validates_against_the_published_schema(schema: xmlschema.XMLSchema) -> None:
    text = render_junit(sample_run(), redact=str)
    schema.validate(text)
    failure = ET.fromstring(text).find(".//testcase[@name='adds numbers']/failure")
    assert failure is not None
    assert failure.attrib == {
        "message": "structuredContent/sum: expected 42, got 41",
        "type": "AssertionError",
    }
    assert failure.text == "specs/basic.yaml:14\nstructuredContent/sum: expected 42, got 41\n- 42\n+ 41"


def test_counts_properties_and_cases() -> None:
    root = ET.fromstring(render_junit(sample_run(), redact=str))
    assert root.attrib == {"name": "mcpctl", "tests": "5", "failures": "1", "errors": "1", "time": "1.234"}
    basic, _broken = root.findall("testsuite")
    assert {key: basic.attrib[key] for key in ("name", "tests", "failures", "errors", "skipped", "time")} == {
        "name": "TestSuite/basic",
        "tests": "4",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
        "time": "1.200",
    }
    assert basic.attrib["timestamp"] == "2026-11-25T16:12:03.260Z"
    assert basic.attrib["file"] == "specs/basic.yaml"
    assert [(p.attrib["name"], p.attrib["value"]) for p in basic.iterfind("properties/property")] == [
        ("server", "echo"),
        ("server.name", "scenario-echo"),
        ("server.version", "1.0"),
        ("protocol", "2025-11-25"),
        ("spec.path", "specs/basic.yaml"),
        ("spec.sha256", SPEC_HASH),
        ("run.id", "20261125T161203-3fa2c1"),
    ]
    cases = basic.findall("testcase")
    assert [(c.attrib["name"], c.attrib["classname"], c.attrib["time"]) for c in cases] == [
        ("lists tools", "basic", "0.012"),
        ("adds numbers", "basic", "0.003"),
        ("later", "basic", "0.000"),
        ("retried", "basic", "1.500"),
    ]
    assert cases[1].findtext("system-out") == ">> tools/call add {a: 1, b: 40}\n<< {sum: 41}"
    skipped = cases[2].find("skipped")
    assert skipped is not None
    assert skipped.attrib == {"message": "not yet"}
    assert cases[3].findtext("system-out") == "flaky: passed on attempt 2"


def test_a_suite_that_could_not_run_is_a_setup_error(schema: xmlschema.XMLSchema) -> None:
    root = ET.fromstring(render_junit(sample_run(), redact=str))
    broken = root.findall("testsuite")[1]
    assert (broken.attrib["tests"], broken.attrib["errors"], broken.attrib["failures"]) == ("1", "1", "0")
    (setup,) = broken.findall("testcase")
    assert setup.attrib["name"] == "<setup>"
    error = setup.find("error")
    assert error is not None
    assert error.attrib == {
        "message": "server did not start (exit code 1); stderr: no such file",
        "type": "SetupError",
    }


def test_characters_xml_cannot_hold_are_shown_escaped(schema: xmlschema.XMLSchema) -> None:
    run = sample_run()
    basic = run.suites[0]
    noisy = replace(
        basic.cases[1],
        name="nul\x00 bell\x07",
        message='colored \x1b[31mred\x1b[0m & <tag> "quoted"\nsecond line',
        details=("\ud800 lone surrogate", "\ufffe"),
        output="form\x0cfeed\ttab\r\n",
    )
    run = replace(run, suites=(replace(basic, cases=(noisy,)),))
    text = render_junit(run, redact=str)
    schema.validate(text)
    case = ET.fromstring(text).find(".//testcase")
    assert case is not None
    assert case.attrib["name"] == "nul\\x00 bell\\x07"
    failure = case.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == 'colored \\x1b[31mred\\x1b[0m & <tag> "quoted"'
    assert failure.text == (
        'specs/basic.yaml:14\ncolored \\x1b[31mred\\x1b[0m & <tag> "quoted"\nsecond line\n'
        "\\ud800 lone surrogate\n\\ufffe"
    )
    assert case.findtext("system-out") == "form\\x0cfeed\ttab\n"  # the parser folds \r\n


def test_an_empty_run_is_still_valid(schema: xmlschema.XMLSchema) -> None:
    text = render_junit(replace(sample_run(), suites=()), redact=str)
    schema.validate(text)
    assert ET.fromstring(text).attrib["tests"] == "0"


def test_the_schema_is_strict_enough_to_matter(schema: xmlschema.XMLSchema) -> None:
    # why testcase carries no file/line attributes: this schema (and Jenkins xunit) rejects them
    root = ET.fromstring(render_junit(sample_run(), redact=str))
    case = root.find(".//testcase")
    assert case is not None
    case.set("file", "specs/basic.yaml")
    assert not schema.is_valid(ET.tostring(root, encoding="unicode"))


def test_repeated_case_names_are_numbered_so_readers_keep_every_case() -> None:
    run = sample_run()
    suite = run.suites[0]
    twice = replace(suite, cases=(suite.cases[0], suite.cases[0], suite.cases[0]))
    root = ET.fromstring(render_junit(replace(run, suites=(twice,)), redact=str))
    name = suite.cases[0].name
    assert [case.get("name") for case in root.iter("testcase")] == [name, f"{name} (2)", f"{name} (3)"]


def test_a_huge_run_stays_under_gitlabs_30_mb_and_says_what_was_cut(schema: xmlschema.XMLSchema) -> None:
    run = sample_run()
    suite = run.suites[0]
    failing = next(case for case in suite.cases if case.status == "failed")
    cases = tuple(replace(failing, name=f"case {n}", output="x" * 100_000) for n in range(1000))  # 100 MB
    text = render_junit(replace(run, suites=(replace(suite, cases=cases, error=""),)), redact=str)
    assert len(text.encode()) < 30 * 1024 * 1024
    assert f"characters cut (mcpctl show {run.run_id} has them all)" in text
    schema.validate(text)
