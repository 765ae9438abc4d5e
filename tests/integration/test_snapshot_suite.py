"""Snapshots of every kind of answer, in process against the demo mock: a step's resource read (YAML), a
prompt, a JSON-RPC error, and a repeated call (written once, then compared on every run); and against
a bundled mock (builtin:notion) whose answers carry a fresh timestamp: normalized, the snapshot holds;
raw, it fails on exactly that field."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from mcpctl.engine.results import SuiteResult
from mcpctl.engine.runner import run_suites
from mcpctl.spec.build import load_specs
from testing.paths import ROOT

DEMO = ROOT / "tests" / "data" / "mocks" / "demo.yaml"

SUITE = f"""\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {{name: kinds}}
server: {{mock: {DEMO}}}
tests:
  - name: read in a step
    steps:
      - {{name: readme, read: "file:///readme.txt", expect: {{snapshot: readme.yaml}}}}
  - {{name: prompt, prompt: forecast, with: {{city: Oslo}}, expect: {{snapshot: forecast}}}}
  - {{name: error, call: weather, with: {{city: Atlantis}}, expect: {{error: true, snapshot: atlantis}}}}
  - {{name: repeated, call: weather, with: {{city: Paris}}, repeat: 3, expect: {{snapshot: paris}}}}
"""


def run(directory: Path) -> SuiteResult:
    specs = load_specs([str(directory / "kinds.yaml")])
    result = trio.run(lambda: run_suites(specs.suites, servers=specs.servers, run_id="t", command="test"))
    (suite,) = result.suites
    assert not suite.error, suite.error
    return suite


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "kinds.yaml").write_text(SUITE)
    return tmp_path


def test_every_kind_of_answer_is_kept_then_matched(directory: Path) -> None:
    first = run(directory)
    assert [(c.name, c.status, dict(c.snapshots)) for c in first.cases] == [
        ("read in a step", "passed", {"readme.yaml": "written"}),
        ("prompt", "passed", {"forecast": "written"}),
        ("error", "passed", {"atlantis": "written"}),
        ("repeated", "passed", {"paris": "written"}),  # written by run 1, matched by runs 2 and 3
    ]
    stored = directory / "__snapshots__" / "kinds"
    assert (stored / "readme.yaml").read_text() == (
        "contents:\n- mimeType: text/plain\n  text: Read me.\n  uri: file:///readme.txt\n"
    )
    assert (stored / "atlantis.json").read_text() == (
        '{\n  "error": {\n    "code": -32000,\n    "message": "no such city"\n  }\n}\n'
    )
    assert '"text": "What is the forecast for Oslo?"' in (stored / "forecast.json").read_text()
    assert sorted(p.name for p in stored.iterdir()) == [
        "atlantis.json",
        "forecast.json",
        "paris.json",
        "readme.yaml",
    ]
    again = run(directory)
    assert {name for c in again.cases for name, status in c.snapshots.items() if status == "unchanged"} == {
        "readme.yaml",
        "forecast",
        "atlantis",
        "paris",
    }


NOTION = """\
apiVersion: mcpctl/v1
kind: TestSuite
metadata: {name: notion}
server: {mock: "builtin:notion"}
tests:
  - name: normalized
    call: notion-create-comment
    with: {page_id: 1a2b3c4d-0000-4000-8000-000000000001, text: hi}
    normalize: [{preset: timestamps}, {preset: uuids}]
    expect: {snapshot: comment}
  - name: raw
    call: notion-create-comment
    with: {page_id: 1a2b3c4d-0000-4000-8000-000000000001, text: hi}
    expect: {snapshot: comment-raw}
"""


def test_the_normalizers_are_what_hold_against_a_bundled_mock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # builtin:notion answers a comment with a fresh created_time (now()) and a UUID-shaped id
    monkeypatch.delenv("CI", raising=False)
    (tmp_path / "kinds.yaml").write_text(NOTION)
    first = run(tmp_path)
    assert [dict(c.snapshots) for c in first.cases] == [{"comment": "written"}, {"comment-raw": "written"}]
    stored = (tmp_path / "__snapshots__" / "kinds" / "comment.json").read_text()
    assert '"created_time": "<timestamp>"' in stored
    assert '"discussion_id": "<uuid>"' in stored
    assert '"id": "<uuid>"' in stored
    second = run(tmp_path)
    normalized, raw = second.cases
    assert (normalized.status, dict(normalized.snapshots)) == ("passed", {"comment": "unchanged"})
    assert (raw.status, dict(raw.snapshots)) == ("failed", {"comment-raw": "failed"})
    changed = [line for line in raw.details if line.startswith(("-", "+"))]
    assert [line.split(": ")[0] for line in changed] == [
        "--- __snapshots__/kinds/comment-raw.json",
        "+++ answer",
        '-    "created_time"',
        '+    "created_time"',
    ]
