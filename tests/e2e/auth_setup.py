"""What the auth e2e tests share: an environment that keeps tokens away from the user's keyring and
config, and the OAuth mock (examples/auth/oauth-mock.yaml, or a variant) served on a free port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testing.paths import ROOT

MOCK = ROOT / "examples" / "auth" / "oauth-mock.yaml"


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment with HOME, XDG_CONFIG_HOME and the state dir in ``tmp_path`` and the
    token store forced to a file: nothing touches the user's keyring or config."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("MCPCTL_", "XDG_"))}
    return environ | {
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "MCPCTL_TOKEN_STORE": "file",
        "MCPCTL_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


@contextmanager
def serve_mock(
    env: dict[str, str], state_dir: Path, *, spec: Path = MOCK, log: Path | None = None
) -> Iterator[str]:
    """``mcpctl mock serve SPEC --http`` on a free port (its call history in ``state_dir``, not the run's);
    its MCP URL. With ``log`` its stderr goes there (else it is read for the URL and then left)."""
    cmd = [sys.executable, "-m", "mcpctl", "mock", "serve", str(spec), "--http", "127.0.0.1:0"]
    cmd += ["--state-dir", str(state_dir)]
    sink = open(log, "w+", encoding="utf-8") if log is not None else subprocess.PIPE  # noqa: SIM115
    proc = subprocess.Popen(cmd, stderr=sink, text=True, env=env, cwd=ROOT, start_new_session=True)
    try:
        found = _url(proc, log)
        assert found, log.read_text(encoding="utf-8") if log is not None else "no URL printed"
        yield found
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()
        if log is not None and not isinstance(sink, int):
            sink.close()


def _url(proc: subprocess.Popen[str], log: Path | None) -> str | None:
    pattern = re.compile(r"on (http://\S+/mcp)")
    if log is None:
        assert proc.stderr is not None
        found = pattern.search(proc.stderr.readline())
        return found.group(1) if found else None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and proc.poll() is None:
        found = pattern.search(log.read_text(encoding="utf-8"))
        if found:
            return found.group(1)
        time.sleep(0.05)
    return None
