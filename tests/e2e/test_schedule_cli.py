"""``mcpctl schedule crontab|next|run`` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from testing.cli import mcpctl
from testing.paths import ROOT

GOLDEN = Path(__file__).parent / "golden" / "schedule_crontab.txt"
NIGHTLY = "examples/schedule/nightly.yaml"
QUIET = """\
apiVersion: mcpctl/v1
kind: Schedule
metadata: {name: quiet}
entries:
  - {name: yearly, cron: "0 0 1 1 *", timeZone: Europe/Berlin, specs: [suite.yaml]}
"""
SUITE = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  weather: {mock: %s}
""" % (ROOT / "examples" / "weather.yaml")


def test_crontab_matches_the_golden_file() -> None:
    done = mcpctl("schedule", "crontab", NIGHTLY, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.replace(str(ROOT), "{ROOT}") == GOLDEN.read_text(encoding="utf-8")


def test_next_lists_fire_times_across_the_spring_change() -> None:
    done = mcpctl("schedule", "next", NIGHTLY, "-n", "2", "--after", "2026-03-29T00:00+01:00", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "smoke (*/5 8-18 * * MON-FRI, Europe/Berlin):\n"
        "  2026-03-30T08:00:00+02:00\n"
        "  2026-03-30T08:05:00+02:00\n"
        "nightly (30 2 * * *, Europe/Berlin):\n"
        "  2026-03-29T03:00:00+02:00\n"
        "  2026-03-30T02:30:00+02:00\n"
        "hourly-utc (0 * * * *, UTC):\n"
        "  2026-03-29T00:00:00+00:00\n"
        "  2026-03-29T01:00:00+00:00\n"
    )


def test_a_bad_schedule_is_reported_at_its_place(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        QUIET.replace('"0 0 1 1 *"', '"0 25 * * *"').replace("Europe/Berlin", "Mars/Olympus")
    )
    done = mcpctl("schedule", "crontab", "s.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "mcpctl: error: s.yaml:5:26: Schedule/quiet: entries[0].cron: invalid cron expression "
        "'0 25 * * *': Bad hour",
        "mcpctl: error: s.yaml:5:50: Schedule/quiet: entries[0].timeZone: unknown time zone "
        "'Mars/Olympus' (an IANA name such as Europe/Berlin or UTC)",
        "mcpctl: error: s.yaml:5:72: Schedule/quiet: entries[0].specs[0]: spec path not found: "
        f"suite.yaml (looked for {tmp_path / 'suite.yaml'})",
    ]


def _wait_for(path: Path, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in path.read_text(encoding="utf-8"):
        assert time.monotonic() < deadline, path.read_text(encoding="utf-8")
        time.sleep(0.05)


def test_run_stops_with_130_on_sigint_and_refuses_a_second_scheduler(tmp_path: Path) -> None:
    (tmp_path / "schedule.yaml").write_text(QUIET)
    (tmp_path / "suite.yaml").write_text(SUITE)
    log = tmp_path / "stderr"
    environ = {k: v for k, v in os.environ.items() if k != "MCPCTL_STATE_DIR"}
    with open(log, "w", encoding="utf-8") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mcpctl", "schedule", "run", "schedule.yaml"],
            stdout=subprocess.DEVNULL,
            stderr=sink,
            cwd=tmp_path,
            env=environ,
            start_new_session=True,
        )
        try:
            _wait_for(log, "schedule quiet: 1 entry; next: yearly at ")
            second = mcpctl("schedule", "run", "schedule.yaml", cwd=tmp_path)
            assert second.returncode == 2
            lock = Path(".mcpctl") / "schedules" / "quiet.lock"
            assert second.stderr == (
                f"mcpctl: error: schedule 'quiet' is already running (pid {proc.pid} holds {lock}): "
                "stop that scheduler first, or use another --state-dir\n"
            )
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 130
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert log.read_text(encoding="utf-8").endswith("mcpctl: interrupted\n")
