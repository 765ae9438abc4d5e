from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from mcpctl.engine.results import RunResult
from mcpctl.errors import UsageError
from mcpctl.report import FORMATS, ReportTarget, parse_report, write_reports
from mcpctl.report.text import render_summary
from tests.unit.report.sample import sample_run


def test_a_report_option_names_a_format_and_a_path() -> None:
    assert parse_report("junit:out/results.xml") == ReportTarget(format="junit", path=Path("out/results.xml"))
    # only the first colon separates: a Windows-style or odd path keeps the rest
    assert parse_report("json:C:/x.json") == ReportTarget(format="json", path=Path("C:/x.json"))


@pytest.mark.parametrize("option", ["junit", "junit:", "xml:out.xml", ":out.xml", "JSON:a.json", ""])
def test_a_bad_report_option_says_what_is_expected(option: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_report(option)
    assert (
        str(caught.value)
        == f"--report {option!r}: expected FORMAT:PATH with FORMAT one of json, junit, csv, markdown, html, pdf"
    )


def test_reports_are_written_whole_with_their_directories(tmp_path: Path) -> None:
    targets = [
        parse_report(f"json:{tmp_path}/a/b/run.json"),
        parse_report(f"junit:{tmp_path}/a/results.xml"),
    ]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "results.xml").write_text("old")
    write_reports(sample_run(), targets, redact=str)
    assert (
        json.loads((tmp_path / "a" / "b" / "run.json").read_text())["run"]["id"] == "20261125T161203-3fa2c1"
    )
    assert ET.fromstring((tmp_path / "a" / "results.xml").read_bytes()).tag == "testsuites"
    # no temp files left beside them
    assert sorted(os.listdir(tmp_path / "a")) == ["b", "results.xml"]
    assert os.listdir(tmp_path / "a" / "b") == ["run.json"]


def test_an_unwritable_report_is_a_usage_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    (tmp_path / "dir.json").mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(UsageError) as caught:
        write_reports(sample_run(), [parse_report(f"json:{tmp_path}/dir.json")], redact=str)
    assert str(caught.value).startswith(f"--report json:{tmp_path}/dir.json: cannot write: ")
    assert os.listdir(tmp_path) == ["dir.json"]


SECRET = "s3cr3t-t0ken"


def _leaky_run() -> RunResult:
    run = sample_run()
    basic, broken = run.suites
    case = replace(
        basic.cases[1],
        name=f"auth {SECRET}",
        message=f"header Bearer {SECRET} refused",
        details=(f"sent {SECRET}",),
        output=f">> Authorization: Bearer {SECRET}\x1b[0m",
    )
    basic = replace(
        basic, cases=(basic.cases[0], case), server_info={"name": SECRET}, spec_path=f"/{SECRET}/s.yaml"
    )
    broken = replace(broken, error=f"could not start: {SECRET}", server=f"https://x/?key={SECRET}")
    return replace(run, command=f"test --token {SECRET}", suites=(basic, broken))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_no_secret_reaches_a_report(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"report.{name}"
    write_reports(
        _leaky_run(), [ReportTarget(format=name, path=path)], redact=lambda s: s.replace(SECRET, "***")
    )
    # a PDF's text is in compressed streams: read it as pdftotext (poppler-utils, from setup.sh) does
    text = _pdf_text(path) if name == "pdf" else path.read_text()
    assert SECRET not in text
    assert "***" in text


def _pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_no_secret_reaches_the_summary() -> None:
    text = render_summary(_leaky_run(), color=False, redact=lambda s: s.replace(SECRET, "***"))
    assert SECRET not in text
    assert "header Bearer *** refused" in text
