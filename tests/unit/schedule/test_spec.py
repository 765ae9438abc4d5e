"""Schedule specs: meaning errors at their place, and which runs notify."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpctl.engine.schedule.signals import notify_kind
from mcpctl.errors import InvalidSpecs
from tests.unit.schedule.schedule_fixtures import schedule


def test_an_unknown_receiver_is_reported_with_the_known_ones(tmp_path: Path) -> None:
    entries = '  - {name: a, cron: "0 * * * *", specs: [suite.yaml], notify: {receivers: [teem]}}\n'
    extra = "receivers:\n  - {name: team, webhook: http://127.0.0.1:9/hook}\n"
    with pytest.raises(InvalidSpecs) as invalid:
        schedule(tmp_path, entries, extra=extra)
    assert [str(e) for e in invalid.value.errors] == [
        f"{tmp_path / 'schedule.yaml'}:7:76: Schedule/nightly: entries[0].notify.receivers[0]: "
        "no receiver named 'teem' (receivers: console, team)"
    ]


def test_failure_recovery_and_success(tmp_path: Path) -> None:
    entries = (
        '  - {name: a, cron: "0 * * * *", specs: [suite.yaml], notify: {receivers: [console]}}\n'
        '  - {name: b, cron: "0 * * * *", specs: [suite.yaml],'
        " notify: {receivers: [console], when: [success]}}\n"
    )
    a, b = schedule(tmp_path, entries).entries
    assert notify_kind(a, exit_code=1, previous=0) == "failure"
    assert notify_kind(a, exit_code=0, previous=1) == "recovery"
    assert notify_kind(a, exit_code=0, previous=0) is None
    assert notify_kind(a, exit_code=0, previous=None) is None
    assert notify_kind(b, exit_code=0, previous=1) == "success"
    assert notify_kind(b, exit_code=1, previous=0) is None
