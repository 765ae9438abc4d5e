"""``mcpctl runs`` and ``mcpctl show`` through the typer app, on a state directory in tmp_path."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mcpctl.cli.app import app
from mcpctl.store import open_store
from tests.unit.report.sample import STARTED, sample_run


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # STARTED is shown in local time: pin the zone so the expected text holds everywhere
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("MCPCTL_STATE_DIR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def mcpctl(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def _record(directory: Path) -> None:
    with open_store(directory) as store:
        store.save_run(sample_run())
        passing = sample_run("20261125T170000-0b0b0b", started_at=STARTED + 3600)
        basic = passing.suites[0]
        store.save_run(replace(passing, command="apply", suites=(replace(basic, cases=basic.cases[:1]),)))


def test_no_runs_yet(tmp_path: Path) -> None:
    code, out, err = mcpctl("runs", "--state-dir", str(tmp_path / "state"))
    assert (code, err) == (0, "")
    assert out == f"no runs recorded in {tmp_path / 'state'} (run mcpctl test first)\n"
    assert not (tmp_path / "state").exists()


def test_runs_lists_newest_first(tmp_path: Path) -> None:
    _record(tmp_path)
    code, out, _ = mcpctl("runs", "--state-dir", str(tmp_path))
    assert code == 0
    assert out.splitlines() == [
        "RUN                     STARTED              COMMAND    SUITES                             STATUS    PASSED    FAILED    ERRORS    SKIPPED    TIME",
        "20261125T170000-0b0b0b  2026-11-25 17:12:03  apply      TestSuite/basic                    passed    1         0         0         0          1.23s",
        "20261125T161203-3fa2c1  2026-11-25 16:12:03  test       TestSuite/basic, TestSuite/broken  error     2         1         1         1          1.23s",
    ]
    code, out, _ = mcpctl("runs", "-n", "1", "--state-dir", str(tmp_path))
    assert len(out.splitlines()) == 2


def test_runs_as_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(tmp_path)
    monkeypatch.setenv("MCPCTL_STATE_DIR", str(tmp_path))
    code, out, _ = mcpctl("runs", "-o", "json")
    assert code == 0
    listed = json.loads(out)
    assert [run["id"] for run in listed] == ["20261125T170000-0b0b0b", "20261125T161203-3fa2c1"]
    assert listed[1] == {
        "id": "20261125T161203-3fa2c1",
        "command": "test",
        "startedAt": "2026-11-25T16:12:03.250Z",
        "durationMs": 1234.5,
        "status": "error",
        "exitCode": 3,
        "suites": ["TestSuite/basic", "TestSuite/broken"],
        "summary": {"passed": 2, "failed": 1, "error": 1, "skipped": 1, "total": 5},
    }


def test_show_prints_identity_then_the_summary(tmp_path: Path) -> None:
    _record(tmp_path)
    code, out, _ = mcpctl("show", "20261125T16", "--state-dir", str(tmp_path))
    assert code == 0
    head, summary = out.split("\n\n", 1)
    assert head.splitlines() == [
        "run      20261125T161203-3fa2c1",
        "command  mcpctl test",
        "started  2026-11-25 16:12:03 (1.23s)",
        "status   error (exit code 3)",
        "suites",
        "  TestSuite/basic: server echo (scenario-echo 1.0), protocol 2025-11-25, "
        "spec specs/basic.yaml (sha256 abababababab)",
        "  TestSuite/broken: server gone, spec specs/broken.yaml (sha256 cdcdcdcdcdcd)",
    ]
    assert summary.startswith("SUITE ")
    assert summary.endswith("1 failed, 2 passed (1 flaky), 1 skipped, 1 error in 1.23s\n")
    assert "\x1b" not in out  # not a terminal


def test_show_defaults_to_the_last_run_and_speaks_json(tmp_path: Path) -> None:
    _record(tmp_path)
    code, out, _ = mcpctl("show", "-o", "json", "--state-dir", str(tmp_path))
    assert code == 0
    assert json.loads(out)["run"]["id"] == "20261125T170000-0b0b0b"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["show", "nope"], "no run 'nope' in {dir} (mcpctl runs lists them)"),
        (
            ["show", "2026"],
            "run '2026' is ambiguous: it starts 20261125T161203-3fa2c1, 20261125T170000-0b0b0b; give more characters",
        ),
        (["show", "last", "-o", "yaml"], "--output 'yaml': expected text or json"),
        (["runs", "-o", "yaml"], "--output 'yaml': expected text or json"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    _record(tmp_path)
    code, out, err = mcpctl(*args, "--state-dir", str(tmp_path))
    assert (code, out) == (2, "")
    assert err == f"mcpctl: error: {message.format(dir=tmp_path)}\n"


def test_show_on_an_empty_state(tmp_path: Path) -> None:
    code, _, err = mcpctl("show", "--state-dir", str(tmp_path))
    assert code == 2
    assert err == f"mcpctl: error: no runs recorded in {tmp_path} (run mcpctl test first)\n"
