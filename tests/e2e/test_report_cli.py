"""``mcpctl report`` and ``mcpctl export`` on runs a real ``mcpctl test`` recorded (the bundled GitHub
mock over stdio), the GitHub Actions annotations and step summary, and the example CI files."""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import textwrap
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from testing.cli import mcpctl
from testing.paths import ROOT

SUITE = textwrap.dedent(
    """\
    apiVersion: mcpctl/v1
    kind: TestSuite
    metadata: {name: github}
    server: {mock: "builtin:github"}
    tests:
      - name: the tools are listed
        expect: {tools: {include: [issue_read, create_issue]}}
      - name: an issue reads back
        call: issue_read
        with: {method: get, owner: octo-org, repo: demo, issue_number: 1}
        expect: {structuredContent: {pointer: /state, equals: open}}
      - name: a tool nobody wrote
        expect: {tools: {include: [teleport]}}
    """
)
MISSING = "tools: expected 'teleport' to be listed"
LISTED = (
    "tools listed: add_issue_comment, create_issue, create_pull_request, get_file_contents, get_me, issue_read,"
    " list_issues, list_pull_requests, merge_pull_request, pull_request_read, search_repositories, update_issue"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    where = tmp_path / "project"
    (where / "specs").mkdir(parents=True)
    (where / "specs" / "suite.yaml").write_text(SUITE)
    return where


def _test(project: Path) -> str:
    done = mcpctl("test", "specs", cwd=project)
    assert done.returncode == 1, done.stderr
    found = re.search(r"^run (\S+): mcpctl show", done.stdout, re.MULTILINE)
    assert found, done.stdout
    return found.group(1)


def test_report_renders_the_last_run_in_every_text_format(project: Path) -> None:
    run_id = _test(project)
    done = mcpctl("report", "last", "--format", "csv", "--columns", "case,status,line", cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "case,status,line",
        "the tools are listed,passed,6",
        "an issue reads back,passed,8",
        "a tool nobody wrote,failed,12",
    ]
    markdown = mcpctl("report", run_id[:10], "--format", "markdown", cwd=project)
    assert markdown.stdout.startswith(
        "### ❌ mcpctl test: 1 failed, 2 passed\n\nRun `" + run_id + "` started "
    )
    assert (
        f"❌ **TestSuite/github :: a tool nobody wrote** `specs/suite.yaml:12`: {MISSING}\n"
        in markdown.stdout
    )
    junit = mcpctl("report", "last", "--format", "junit", "--out", "out/junit.xml", cwd=project)
    assert (junit.returncode, junit.stdout) == (0, "")
    assert 'failures="1"' in (project / "out" / "junit.xml").read_text()
    document = json.loads(mcpctl("report", "last", "--format", "json", cwd=project).stdout)
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text())
    Draft202012Validator(schema).validate(document)
    assert document["run"]["id"] == run_id


def test_several_runs_make_one_report(project: Path) -> None:
    first, second = _test(project), _test(project)
    done = mcpctl("report", first, second, "last", "--format", "json", cwd=project)
    document = json.loads(done.stdout)
    assert document["run"]["id"] == f"{first}+{second}"
    assert document["run"]["summary"]["total"] == 6


def test_report_errors_say_what_to_do(project: Path) -> None:
    empty = mcpctl("report", "last", cwd=project)
    assert (empty.returncode, empty.stderr) == (
        2,
        "mcpctl: error: no runs recorded in .mcpctl (run mcpctl test first)\n",
    )
    _test(project)
    wrong = mcpctl("report", "last", "--format", "xml", cwd=project)
    assert (
        wrong.stderr
        == "mcpctl: error: --format 'xml': expected one of json, junit, csv, markdown, html, pdf\n"
    )
    columns = mcpctl("report", "last", "--format", "json", "--columns", "case", cwd=project)
    assert columns.stderr == "mcpctl: error: --columns: only with --format csv (not json)\n"
    pdf = mcpctl("report", "last", "--format", "pdf", cwd=project)
    assert pdf.stderr == "mcpctl: error: --format pdf: give --out PATH (a pdf is not printed on a terminal)\n"


def test_export_writes_every_case_since_a_date(project: Path) -> None:
    run_id = _test(project)
    done = mcpctl("export", "--since", "2020-01-01", "--format", "csv", cwd=project)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(row["run_id"], row["suite_name"], row["case"], row["status"]) for row in rows] == [
        (run_id, "github", "the tools are listed", "passed"),
        (run_id, "github", "an issue reads back", "passed"),
        (run_id, "github", "a tool nobody wrote", "failed"),
    ]
    lines = mcpctl(
        "export", "--since", "2020-01-01T00:00Z", "--format", "jsonl", "--out", "x.jsonl", cwd=project
    )
    assert lines.returncode == 0, lines.stderr
    first = json.loads((project / "x.jsonl").read_text().splitlines()[0])
    assert {key: first[key] for key in ("runId", "command", "suiteKind", "server", "name", "line")} == {
        "runId": run_id,
        "command": "test",
        "suiteKind": "TestSuite",
        "server": "mock builtin:github",
        "name": "the tools are listed",
        "line": 6,
    }
    future = mcpctl("export", "--since", "2999-01-01", "--format", "jsonl", cwd=project)
    assert (future.returncode, future.stdout) == (0, "")
    bad = mcpctl("export", "--since", "yesterday", cwd=project)
    assert bad.stderr == (
        "mcpctl: error: --since 'yesterday': expected an ISO 8601 date or time, e.g. 2026-11-25 or 2026-11-25T16:00Z\n"
    )


def test_in_github_actions_failures_are_annotations_and_a_step_summary(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project.parent / "step-summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    run_id = _test(project)
    done = mcpctl("test", "specs", "--select", "nobody", cwd=project)
    second = re.search(r"^run (\S+): mcpctl show", done.stdout, re.MULTILINE)
    assert second
    annotation = f"::error file=specs/suite.yaml,line=12,title=TestSuite/github %3A%3A a tool nobody wrote::{MISSING}%0A{LISTED}"
    assert done.stdout.splitlines()[-1] == annotation
    text = summary.read_text()
    assert text.count("### ❌ mcpctl test: ") == 2
    assert f"### ❌ mcpctl test: 1 failed, 2 passed\n\nRun `{run_id}` started " in text
    tail = text.split(f"Run `{second.group(1)}` started ", 1)[1]
    assert tail.split("\n", 1)[1] == textwrap.dedent(
        f"""\

        | status   | suite            | server              | passed   | failed   | errors   | skipped   | time   |
        |----------|------------------|---------------------|----------|----------|----------|-----------|--------|
        | ❌ failed | TestSuite/github | mock builtin:github | 0        | 1        | 0        | 0         | {_time(tail)} |

        #### Failures (1)

        ❌ **TestSuite/github :: a tool nobody wrote** `specs/suite.yaml:12`: {MISSING}

        <details><summary>details</summary>

        ```
        {LISTED}

        → tools/list
        ← 12 tools
        ```

        </details>

        """
    )


def _time(text: str) -> str:
    # the suite's time is measured: take it from the row, as wide as tabulate made the column
    row = next(line for line in text.splitlines() if line.startswith("| ❌ failed"))
    return row.rsplit("|", 2)[1].strip().ljust(6)


CI_FILES = [ROOT / "examples" / "ci" / "github-actions.yml", ROOT / "examples" / "ci" / "gitlab-ci.yml"]


def _commands(path: Path) -> list[str]:
    document = yaml.safe_load(path.read_text())
    if "jobs" in document:
        scripts = [step.get("run", "") for job in document["jobs"].values() for step in job["steps"]]
    else:
        scripts = [
            line for job in document.values() if isinstance(job, dict) for line in job.get("script", [])
        ]
    return [line for script in scripts for line in script.splitlines() if line.startswith("mcpctl ")]


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_the_example_ci_files_run_mcpctl_commands_that_exist(path: Path, project: Path) -> None:
    commands = _commands(path)
    assert [shlex.split(c)[1] for c in commands] == ["validate", "apply"]
    listed = mcpctl("--help", cwd=project).stdout
    for command in commands:
        words = shlex.split(command)
        assert re.search(rf"^\s*│?\s*{words[1]}\b", listed, re.MULTILINE), f"{words[1]} not in mcpctl --help"
        # run it on the project (against the bundled mock)
        done = mcpctl(*words[1:], cwd=project)
        assert done.returncode in (0, 1), done.stderr
    assert (project / "reports" / "junit.xml").exists()
    assert (project / "reports" / "report.html").read_text().startswith("<!DOCTYPE html>")
