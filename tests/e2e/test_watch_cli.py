"""``mcpctl watch`` as a user runs it: JSON lines through a pipe, the live table in a terminal (tmux), and
following a running ``mcpctl monitor`` over its WebSocket."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from testing.cli import mcpctl
from testing.paths import ROOT
from tests.integration.conftest import _stop, _wait_for_port, free_port, start_server

WEATHER = ROOT / "examples" / "weather.yaml"
FAILING = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: failing}
tools:
  - name: echo
    inputSchema: {type: object}
    behaviour: {errorRate: 100%}
    default: {text: ok}
"""
MONITOR = f"""\
apiVersion: mcpctl/v1
kind: Monitor
metadata: {{name: one}}
health: {{unhealthy: ["error_rate > 20%"]}}
servers:
  - {{server: {{mock: {WEATHER}}}, name: weather, interval: 500ms, timeout: 400ms}}
  - {{server: {{mock: failing.yaml}}, name: failing, interval: 500ms, timeout: 400ms, probe: {{call: echo}}}}
"""
Message = dict[str, object]


def _environ(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path / "home"), "NO_COLOR": "1"}


@contextmanager
def _running(argv: list[str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``argv`` in its own process group, its stdout a pipe, its stderr in ``tmp_path/stderr.log``; killed
    with its group on the way out."""
    with open(tmp_path / "stderr.log", "wb") as stderr:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            cwd=tmp_path,
            env=_environ(tmp_path),
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


def _read_until(proc: subprocess.Popen[bytes], done: Callable[[Message], bool], seconds: float) -> list[str]:
    """Lines of ``proc``'s stdout up to the first whose JSON satisfies ``done``."""
    assert proc.stdout is not None
    fd, buffer, lines = proc.stdout.fileno(), b"", []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if ready and not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        lines += [line.decode() for line in complete]
        if any(done(json.loads(line)) for line in complete):
            return lines
    raise AssertionError(f"not seen within {seconds}s; got {lines[-3:]}")


def _unhealthy(message: Message) -> bool:
    return message.get("type") == "health" and message.get("to") == "unhealthy"


def _check_stream(lines: list[str]) -> list[Message]:
    messages = [json.loads(line) for line in lines]
    assert all(isinstance(m["seq"], int) and isinstance(m["type"], str) for m in messages)
    return messages


def test_jsonl_prints_the_hello_then_every_event(tmp_path: Path) -> None:
    (tmp_path / "failing.yaml").write_text(FAILING, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(MONITOR, encoding="utf-8")
    argv = [sys.executable, "-m", "mcpctl", "watch", "monitor.yaml", "--output", "jsonl"]
    with _running(argv, tmp_path) as proc:
        lines = _read_until(proc, _unhealthy, 12)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
    messages = _check_stream(lines)
    assert messages[0]["type"] == "hello"
    assert messages[0]["status"]["monitor"] == "one"  # type: ignore[index]
    assert [m["seq"] for m in messages[1:]] == list(range(1, len(messages)))
    assert messages[-1]["server"] == "failing"
    assert messages[-1]["from"] is None
    assert code == 143
    assert (tmp_path / "stderr.log").read_text(encoding="utf-8") == "mcpctl: interrupted\n"


def test_connect_follows_a_running_monitor(tmp_path: Path) -> None:
    (tmp_path / "failing.yaml").write_text(FAILING, encoding="utf-8")
    (tmp_path / "monitor.yaml").write_text(MONITOR, encoding="utf-8")
    port = free_port()
    monitor = [sys.executable, "-m", "mcpctl", "monitor", "monitor.yaml", "--listen", f"127.0.0.1:{port}"]
    watch = [sys.executable, "-m", "mcpctl", "watch", "--connect", f"http://127.0.0.1:{port}", "-o", "jsonl"]
    with _running(monitor, tmp_path) as server:
        _wait_for_port(port, server, str(tmp_path / "stderr.log"))  # type: ignore[arg-type]
        (tmp_path / "monitor").mkdir()
        with _running(watch, tmp_path / "monitor") as proc:
            lines = _read_until(proc, lambda m: m.get("type") == "sample", 12)
            proc.send_signal(signal.SIGINT)
            code = proc.wait(timeout=10)
    messages = _check_stream(lines)
    assert messages[0]["type"] == "hello"
    assert messages[0]["status"]["monitor"] == "one"  # type: ignore[index]
    first = messages[0]["seq"]
    assert isinstance(first, int)
    assert [m["seq"] for m in messages[1:]] == list(range(first + 1, first + len(messages)))  # live only
    assert code == 130


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_table_shows_a_server_failing(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "monitor.yaml").write_text(
        "apiVersion: mcpctl/v1\nkind: Monitor\nmetadata: {name: live}\n"
        'health: {unhealthy: ["error_rate > 20%"]}\nservers:\n'
        f"  - {{server: {{url: http://127.0.0.1:{port}/mcp}}, name: weather, interval: 300ms, timeout: 250ms}}\n",
        encoding="utf-8",
    )
    tmux = ["tmux", "-L", f"mcpctl-watch-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
    pid_file = tmp_path / "watch.pid"
    script = f"echo $$ > {pid_file}; exec {sys.executable} -m mcpctl watch monitor.yaml"
    mock = [sys.executable, "-m", "mcpctl", "mock", "serve", str(WEATHER), "--http", f"127.0.0.1:{port}"]
    env = _environ(tmp_path)
    try:
        with start_server(mock, port=port, path="/mcp") as server:
            subprocess.run(
                [
                    *tmux,
                    "new-session",
                    "-d",
                    "-x",
                    "120",
                    "-y",
                    "30",
                    "-c",
                    str(tmp_path),
                    "sh",
                    "-c",
                    script,
                ],
                check=True,
                env=env,
            )
            healthy = _pane_until(tmux, lambda text: "│ weather │ healthy" in text, 10)
            _stop(server.process)
            failing = _pane_until(tmux, lambda text: "│ weather │ unhealthy" in text, 10)
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
        _reap(pid_file)
    assert "monitor live · seq" in healthy
    assert "weather - → healthy" in healthy
    assert "weather healthy → unhealthy: error_rate" in failing


def _pane_until(tmux: list[str], done: Callable[[str], bool], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = subprocess.run(
            [*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=True
        ).stdout
        if done(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"not shown within {seconds}s:\n{text}")


def _reap(pid_file: Path) -> None:
    """Make sure the watch process that ran in tmux is gone (tmux hangs it up; kill it if not)."""
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text(encoding="utf-8"))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def test_bad_input_is_refused_before_anything_runs(tmp_path: Path) -> None:
    bad_spec = "\n".join(MONITOR.splitlines()[:-1]).replace("timeout: 400ms", "timeout: 1s")
    (tmp_path / "monitor.yaml").write_text(bad_spec + "\n", encoding="utf-8")
    bad = mcpctl("watch", "monitor.yaml", cwd=tmp_path)
    neither = mcpctl("watch", cwd=tmp_path)
    both = mcpctl("watch", "monitor.yaml", "--connect", "http://127.0.0.1:1", cwd=tmp_path)
    gone = mcpctl("watch", "--connect", "http://127.0.0.1:1", "-o", "jsonl", cwd=tmp_path)
    assert (bad.returncode, bad.stdout) == (2, "")
    why = "timeout (1s) must be shorter than interval (500ms): a probe ends before the next"
    # the column depends on the checkout's path, written into line 6 before the field
    column = bad_spec.splitlines()[5].index("1s") + 1
    assert bad.stderr == f"mcpctl: error: monitor.yaml:6:{column}: Monitor/one: servers[0].timeout: {why}\n"
    assert (neither.returncode, neither.stderr) == (
        2,
        "mcpctl: error: give either FILE (run its Monitor here) or --connect URL (a running mcpctl monitor)\n",
    )
    assert both.returncode == 2
    assert (gone.returncode, gone.stderr) == (
        3,
        "mcpctl: error: ws://127.0.0.1:1/api/v1/events: cannot follow a monitor there:"
        " all attempts to connect to 127.0.0.1:1 failed\n",
    )
