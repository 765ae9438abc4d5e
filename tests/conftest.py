from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from testing.paths import ROOT


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces
        rest = stat[stat.rindex(")") + 2 :].split()
        if int(rest[1]) == pid and rest[0] != "Z":
            found.append((int(entry), stat[stat.index("(") + 1 : stat.rindex(")")]))
    return found


@pytest.fixture(autouse=True, scope="module")
def _no_stray_processes() -> Iterator[None]:
    """Every server a test module starts is stopped by the time the module ends."""
    before = {pid for pid, _ in _children(os.getpid())}
    yield
    strays = [(pid, name) for pid, name in _children(os.getpid()) if pid not in before]
    assert not strays, f"processes left behind: {strays}"


@pytest.fixture(autouse=True)
def _run_from_repo(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    # scenario servers are started as `python -m testing.servers...`
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    # runs and mock call history go to a temporary state dir, never the checkout's .mcpctl/
    monkeypatch.setenv("MCPCTL_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    # run inside GitHub Actions, the suite must not see its workflow commands appear in every command's output
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"):
        monkeypatch.delenv(name, raising=False)
