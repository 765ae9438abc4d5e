"""SIGKILL ``mcpctl apply`` at random moments of a deploy + execute plan; resume it; roll it back.

Acceptance 1 of issue 6. Every trial works in its own directory: copies of the four clients' sample
configs and a custom file (tests/data/client_configs), a plan that deploys two mocks (a small echo
mock and examples/weather.yaml) into those five files and a new one, then calls the echo mock's tool
for 40 input records (a few ms each, concurrency 8). ``mcpctl apply plan.yaml --yes`` runs in its
own process group, which gets SIGKILL at a random (seeded) moment; trials take turns between a
moment of the whole run (0 to the time an uncut run takes), of the deploy steps (0-30 ms after
``run.json`` appears) and of the execute items (0-60 ms after the first new answer). Then:

- the journal reads cleanly (a kill tears its last line at most);
- ``mcpctl apply --resume RUN --yes`` runs until it exits 0 (a fresh apply when the kill came before
  ``run.json``), the journal reading cleanly after each;
- every input key has exactly one answer line (valid JSON, the echo of its own record), every step
  is done or skipped in the journal, every config file holds the bytes an uncut run leaves;
- ``mcpctl rollback RUN`` gives back every config file and the output byte for byte, and removes the
  files the run created.

Odd trials start with an output already answering 5 keys (an earlier run's): they must not be
answered again, and rollback must give the file back as it was. The mocks mcpctl starts run in a
session of their own (the kill does not reach them) and must exit once their stdin closes: every
process of a trial carries an environment tag, and a trial fails if a tagged process outlives the
command that started it. ``MCPCTL_KILL_TRIALS`` sets the number of trials (default 30),
``MCPCTL_KILL_SEED`` replays the kill moments of a run (printed with the results).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import orjson
import pytest

from mcpctl.engine.batch.client_configs import ClientConfig, custom, decode, locate
from mcpctl.engine.batch.engine import RUN_FILE, RUNS_DIR
from mcpctl.engine.batch.journal import JOURNAL_NAME, read_entries
from mcpctl.engine.batch.jsonc_edit import read_entries as read_config_entries
from mcpctl.engine.batch.records import answer_line, answered_keys
from testing.paths import PYTHON, ROOT

TRIALS = int(os.environ.get("MCPCTL_KILL_TRIALS", "30"))
SEED = int(os.environ.get("MCPCTL_KILL_SEED") or random.randrange(1 << 30))
WORKERS = 2
"""Trials run two at a time (each is a few processes that mostly start up)."""
ITEMS = 40
PRE_ANSWERED = 5
TAG = "MCPCTL_KILL_TRIAL"
COMMAND_TIMEOUT = 60.0
GONE_TIMEOUT = 10.0
DATA = ROOT / "tests" / "data" / "client_configs"
WEATHER = ROOT / "examples" / "weather.yaml"
SERVERS = ("echo", "weather")
CLIENT_FILES: dict[str, str | None] = {  # the sample -> its client (None: a custom file)
    "claude_desktop_config.json": "claude-desktop",
    "cursor_mcp.json": "cursor",
    "vscode_mcp.json": "vscode",
    "claude_code_mcp.json": "claude-code",
    "custom_three_spaces.json": None,
}
NEW_FILE = "new/mcp.json"
"""A Cursor config that does not exist before the run."""
OUTPUT = "out/answers.jsonl"
DEPLOY_STEPS = len(SERVERS) * (len(CLIENT_FILES) + 1)
DEPLOY_WINDOW = 0.03
"""Seconds from ``run.json`` written to the last deploy step done, about."""
ANSWER_WINDOW = 0.06
"""Seconds from the first answer to the last, about."""

ECHO_MOCK = """\
apiVersion: mcpctl/v1
kind: MockServer
metadata: {name: echo}
seed: 1
tools:
  - name: echo
    inputSchema: {type: object, properties: {value: {type: string}}, required: [value]}
    behaviour: {latency: {distribution: uniform, min: 2ms, max: 12ms}}
    default: {text: "{{ args.value }}"}
"""
PLAN = """\
apiVersion: mcpctl/v1
kind: Servers
metadata: {name: local}
servers:
  echo: {mock: @ECHO@}
  weather: {mock: @WEATHER@}
---
apiVersion: mcpctl/v1
kind: BatchPlan
metadata: {name: kill-me}
concurrency: 8
operations:
  - deploy:
      servers: [echo, weather]
      to:
        - {client: claude-desktop, file: cfg/claude_desktop_config.json}
        - {client: cursor, file: cfg/cursor_mcp.json}
        - {client: vscode, file: cfg/vscode_mcp.json}
        - {client: claude-code, file: cfg/claude_code_mcp.json}
        - {file: cfg/custom_three_spaces.json, key: mcp.servers}
        - {client: cursor, file: cfg/new/mcp.json}
  - execute:
      server: echo
      tool: echo
      input: @ITEMS@
      key: id
      with: {value: "{{ record.value }}"}
      output: out/answers.jsonl
"""


# -- processes ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


class Processes:
    """Every process a test starts (each in its own process group), and every process those start
    (found by the environment tag each trial sets)."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[bytes]] = []
        self._tags: set[str] = set()
        self._lock = threading.Lock()

    def environ(self, directory: Path) -> dict[str, str]:
        """The environment of a command of the trial in ``directory``, with a tag of its own. The
        mocks record their calls in the trial's own state (trials run side by side)."""
        tag = uuid.uuid4().hex
        with self._lock:
            self._tags.add(tag)
        home, history = directory / "home", directory / "mock-history"
        return {**os.environ, "HOME": str(home), "MCPCTL_STATE_DIR": str(history), "NO_COLOR": "1", TAG: tag}

    def start(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        child = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: the kill takes all of it
        )
        with self._lock:
            self._started.append(child)
        return child

    def run(self, argv: list[str], *, cwd: Path, env: dict[str, str]) -> Done:
        """Run ``argv`` to its end; then no process it started may be left."""
        child = self.start(argv, cwd=cwd, env=env)
        try:
            stdout, stderr = child.communicate(timeout=COMMAND_TIMEOUT)
        finally:
            _kill_group(child)
        self.assert_gone(env[TAG], f"after {' '.join(argv[3:5])}")
        return Done(child.returncode, stdout.decode(errors="replace"), stderr.decode(errors="replace"))

    def assert_gone(self, tag: str, when: str) -> None:
        """Wait for every process tagged ``tag`` to exit; kill and report those that do not."""
        deadline = time.monotonic() + GONE_TIMEOUT
        while (alive := _tagged(tag)) and time.monotonic() < deadline:
            time.sleep(0.02)
        for pid, _ in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        assert not alive, f"{when}: processes still running after {GONE_TIMEOUT} s: {alive}"

    def close(self) -> list[str]:
        """Kill whatever is left; describe it."""
        strays = []
        for child in self._started:
            if child.poll() is None:
                strays.append(f"pid {child.pid}: {child.args!r}")
            _kill_group(child)
        for tag in self._tags:
            for pid, name in _tagged(tag):
                strays.append(f"pid {pid} ({name})")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        return strays


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    for stream in (child.stdout, child.stderr):
        if stream is not None:
            stream.close()


def _tagged(tag: str) -> list[tuple[int, str]]:
    """Live processes whose environment holds ``TAG=tag``."""
    needle = f"{TAG}={tag}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as file:
                environ = file.read()
            with open(f"/proc/{entry}/stat", encoding="utf-8") as file:
                stat = file.read()
        except OSError:
            continue
        if needle in environ and stat[stat.rindex(")") + 2] != "Z":
            found.append((int(entry), stat[stat.index("(") + 1 : stat.rindex(")")]))
    return found


@pytest.fixture
def processes() -> Iterator[Processes]:
    """No process started by a trial, or by mcpctl in a trial, survives the test."""
    procs = Processes()
    try:
        yield procs
    finally:
        strays = procs.close()
    assert not strays, f"processes left behind: {strays}"


def mcpctl(*args: str) -> list[str]:
    return [PYTHON, "-m", "mcpctl", *args]


# -- one trial ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Shared:
    """What every trial uses: the plan text, the input records, the final configs of an uncut run."""

    plan: str
    values: dict[str, str]
    """Input key -> the value the echo tool must answer."""
    final: dict[str, bytes]


@dataclass(frozen=True, slots=True, kw_only=True)
class Trial:
    number: int
    directory: Path
    pre_answered: bool

    @property
    def state(self) -> Path:
        return self.directory / "state"

    @property
    def output(self) -> Path:
        return self.directory / OUTPUT

    def config(self, name: str) -> Path:
        return self.directory / "cfg" / name


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    phase: str
    resumes: int
    fresh: bool


def prepare(trial: Trial, shared: Shared) -> dict[Path, bytes | None]:
    """Lay out the trial's files; return every file the run may change with its bytes (None: absent)."""
    (trial.directory / "home").mkdir(parents=True)
    (trial.directory / "cfg").mkdir()
    for sample in CLIENT_FILES:
        trial.config(sample).write_bytes((DATA / sample).read_bytes())
    (trial.directory / "plan.yaml").write_text(shared.plan, encoding="utf-8")
    if trial.pre_answered:
        trial.output.parent.mkdir()
        earlier = sorted(shared.values)[:PRE_ANSWERED]
        trial.output.write_bytes(b"".join(answer_line(key, _echoed(shared.values[key])) for key in earlier))
    files = [*(trial.config(sample) for sample in CLIENT_FILES), trial.config(NEW_FILE), trial.output]
    return {path: path.read_bytes() if path.exists() else None for path in files}


def _echoed(value: str) -> dict[str, object]:
    return {"content": [{"type": "text", "text": value}]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Kill:
    """When a trial's apply gets SIGKILL: ``delay`` s after ``after``."""

    after: Literal["the start", "run.json", "a new answer"]
    delay: float

    @classmethod
    def draw(cls, number: int, chance: random.Random, *, uncut: float) -> Kill:
        """Trials take turns: a moment of the whole run, of the deploy steps, of the execute items.
        (Deploying takes a few ms of a run of a second or so, and so do the items: moments drawn
        over the whole run would seldom land in them.)"""
        if number % 3 == 1:
            return cls(after="run.json", delay=chance.uniform(0.0, DEPLOY_WINDOW))
        if number % 3 == 2:
            return cls(after="a new answer", delay=chance.uniform(0.0, ANSWER_WINDOW))
        return cls(after="the start", delay=chance.uniform(0.0, uncut))


def kill_at_random(trial: Trial, procs: Processes, kill: Kill) -> bool:
    """Start the apply, SIGKILL its process group when ``kill`` says; True if it had finished first."""
    env = procs.environ(trial.directory)
    argv = mcpctl("apply", "plan.yaml", "--yes", "--state-dir", str(trial.state))
    size = trial.output.stat().st_size if trial.output.exists() else 0

    def reached() -> bool:
        if kill.after == "run.json":
            return bool(runs_of(trial))
        if kill.after == "a new answer":
            return trial.output.exists() and trial.output.stat().st_size > size
        return True

    child = procs.start(argv, cwd=trial.directory, env=env)
    while child.poll() is None and not reached():
        time.sleep(0.001)
    try:
        child.wait(timeout=kill.delay)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
    _, stderr = child.communicate(timeout=COMMAND_TIMEOUT)
    _kill_group(child)
    finished = child.returncode == 0
    assert finished or child.returncode == -signal.SIGKILL, (child.returncode, stderr.decode()[-2000:])
    procs.assert_gone(env[TAG], f"trial {trial.number}: after the kill")
    return finished


def runs_of(trial: Trial) -> list[str]:
    """The batch runs recorded in the trial's state (a kill before ``run.json`` leaves none)."""
    root = trial.state / RUNS_DIR
    return sorted(p.name for p in root.iterdir() if (p / RUN_FILE).exists()) if root.is_dir() else []


def journal_of(trial: Trial, run_id: str) -> list[str]:
    """Read the run's journal as resume would (raises if damaged); return each step's last phase."""
    last: dict[str, str] = {}
    for entry in read_entries(trial.state / RUNS_DIR / run_id / JOURNAL_NAME):
        last[entry.step] = entry.phase
    return [f"{step} {phase}" for step, phase in last.items()]


def phase_of(trial: Trial, finished: bool) -> str:
    """Where the kill landed, told by what it left (and checking the journal reads cleanly)."""
    if finished:
        return "after the run (none)"
    runs = runs_of(trial)
    if not runs:
        return "start (no run.json)"
    steps = journal_of(trial, runs[0])
    deployed = sum(s.startswith("1.deploy/") and s.endswith((" done", " skipped")) for s in steps)
    answered = len(answered_keys(str(trial.output))) - (PRE_ANSWERED if trial.pre_answered else 0)
    if not steps:
        return "run.json written"
    if deployed < DEPLOY_STEPS:
        return "deploy"
    if answered == 0:
        return "execute, none answered"
    if answered < ITEMS - (PRE_ANSWERED if trial.pre_answered else 0):
        return "execute, some answered"
    return "execute, all answered"


def finish(trial: Trial, procs: Processes) -> tuple[str, int, bool]:
    """Resume the run until it exits 0 (or apply afresh if there is no run); its id, how many
    resumes, and whether it was a fresh apply."""
    env = procs.environ(trial.directory)
    runs = runs_of(trial)
    assert len(runs) <= 1, runs
    if not runs:
        done = procs.run(
            mcpctl("apply", "plan.yaml", "--yes", "--state-dir", str(trial.state)),
            cwd=trial.directory,
            env=env,
        )
        assert done.returncode == 0, f"trial {trial.number}: fresh apply: {done.stderr[-2000:]}"
        (run_id,) = runs_of(trial)
        return run_id, 0, True
    (run_id,) = runs
    failures = []
    for resumes in range(1, 4):
        argv = mcpctl("apply", "--resume", run_id, "--yes", "--state-dir", str(trial.state))
        done = procs.run(argv, cwd=trial.directory, env=env)
        journal_of(trial, run_id)
        if done.returncode == 0:
            return run_id, resumes, False
        failures.append(f"resume {resumes} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    raise AssertionError(f"trial {trial.number} in {trial.directory}: " + "\n".join(failures))


def check_finished(trial: Trial, shared: Shared, run_id: str, before: dict[Path, bytes | None]) -> None:
    """Every key answered once with its own echo; every step settled; every config as an uncut run leaves it."""
    data = trial.output.read_bytes()
    earlier = before[trial.output]
    assert earlier is None or data.startswith(earlier), "the output's earlier answers were changed"
    assert data.endswith(b"\n")
    counts: Counter[str] = Counter()
    for line in data.split(b"\n")[:-1]:
        answer = orjson.loads(line)
        assert answer["result"] == _echoed(shared.values[answer["key"]]), answer
        counts[answer["key"]] += 1
    assert counts == dict.fromkeys(shared.values, 1), f"answers per key: {sorted(counts.items())}"
    steps = journal_of(trial, run_id)
    unsettled = [s for s in steps if not s.endswith((" done", " skipped"))]
    assert not unsettled, unsettled
    assert sum(s.startswith("1.deploy/") for s in steps) == DEPLOY_STEPS
    assert sum(s.startswith("2.execute/") for s in steps) == ITEMS
    for name, final in shared.final.items():
        path = trial.config(name)
        assert path.read_bytes() == final, f"{path}: not what an uncut run leaves"
        assert set(SERVERS) <= set(entries_of(path, CLIENT_FILES.get(name, "cursor")))


def entries_of(path: Path, client: str | None) -> dict[str, object]:
    config: ClientConfig = (
        custom(str(path), "mcp.servers")
        if client is None
        else replace(locate(client, base_dir="/", home="/", environ={}), path=str(path))  # type: ignore[arg-type]
    )
    text = decode(path.read_bytes(), path=str(path))
    return dict(read_config_entries(text, config.key_path, jsonc=config.jsonc, path=str(path)))


def roll_back(trial: Trial, procs: Processes, run_id: str, before: dict[Path, bytes | None]) -> None:
    env = procs.environ(trial.directory)
    done = procs.run(
        mcpctl("rollback", run_id, "--state-dir", str(trial.state)), cwd=trial.directory, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for path, data in before.items():
        if data is None:
            assert not path.exists(), f"{path}: created by the run, still there after rollback"
        else:
            assert path.read_bytes() == data, f"{path}: not restored byte for byte"


def trial_run(trial: Trial, shared: Shared, procs: Processes, kill: Kill) -> Outcome:
    before = prepare(trial, shared)
    finished = kill_at_random(trial, procs, kill)
    phase = phase_of(trial, finished)
    run_id, resumes, fresh = finish(trial, procs)
    check_finished(trial, shared, run_id, before)
    roll_back(trial, procs, run_id, before)
    return Outcome(phase=phase, resumes=resumes, fresh=fresh)


def calibrate(
    root: Path, procs: Processes, plan: str, values: dict[str, str]
) -> tuple[float, dict[str, bytes]]:
    """Run the plan uncut, as many at once as the trials will: the longest run, the configs it leaves."""
    shared = Shared(plan=plan, values=values, final={})

    def uncut(number: int) -> tuple[float, dict[str, bytes]]:
        trial = Trial(number=number, directory=root / f"uncut-{number}", pre_answered=False)
        prepare(trial, shared)
        env = procs.environ(trial.directory)
        started = time.monotonic()
        done = procs.run(
            mcpctl("apply", "plan.yaml", "--yes", "--state-dir", str(trial.state)),
            cwd=trial.directory,
            env=env,
        )
        took = time.monotonic() - started
        assert done.returncode == 0, done.stdout + done.stderr
        assert len(answered_keys(str(trial.output))) == ITEMS
        return took, {name: trial.config(name).read_bytes() for name in [*CLIENT_FILES, NEW_FILE]}

    with ThreadPoolExecutor(WORKERS) as pool:
        found = list(pool.map(uncut, range(WORKERS)))
    assert all(final == found[0][1] for _, final in found)
    return max(took for took, _ in found), found[0][1]


def world(root: Path) -> tuple[str, dict[str, str]]:
    """The shared mock and input; the plan text and the input's values by key."""
    root.mkdir()
    echo, items = root / "echo.yaml", root / "items.jsonl"
    echo.write_text(ECHO_MOCK, encoding="utf-8")
    values = {f"item-{n:03d}": f"value {n}" for n in range(ITEMS)}
    items.write_bytes(b"".join(orjson.dumps({"id": k, "value": v}) + b"\n" for k, v in values.items()))
    plan = PLAN.replace("@ECHO@", str(echo)).replace("@WEATHER@", str(WEATHER)).replace("@ITEMS@", str(items))
    return plan, values


@pytest.mark.timeout(120 + 6 * TRIALS)
def test_killed_applies_resume_to_exactly_once_and_roll_back_byte_identical(
    tmp_path: Path, processes: Processes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "nobody"))
    started = time.monotonic()
    plan, values = world(tmp_path / "shared")
    uncut, final = calibrate(tmp_path, processes, plan, values)
    shared = Shared(plan=plan, values=values, final=final)
    chance = random.Random(SEED)
    kills = [Kill.draw(number, chance, uncut=uncut) for number in range(TRIALS)]

    def one(number: int) -> Outcome:
        trial = Trial(number=number, directory=tmp_path / f"trial-{number}", pre_answered=number % 2 == 1)
        try:
            return trial_run(trial, shared, processes, kills[number])
        except AssertionError as exc:
            kill = kills[number]
            exc.add_note(
                f"trial {number}: killed {kill.delay:.3f} s after {kill.after} (MCPCTL_KILL_SEED={SEED})"
            )
            raise

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = list(pool.map(one, range(TRIALS)))
    phases = Counter(outcome.phase for outcome in outcomes)
    resumes = Counter(outcome.resumes for outcome in outcomes if not outcome.fresh)
    print(
        f"\n{TRIALS} trials in {time.monotonic() - started:.1f} s (an uncut run takes {uncut:.2f} s; "
        f"MCPCTL_KILL_SEED={SEED}); kills landed in: "
        + ", ".join(f"{phase} {n}" for phase, n in sorted(phases.items()))
        + f"; fresh applies {sum(o.fresh for o in outcomes)}, resumes needed: "
        + ", ".join(f"{k}x {n}" for k, n in sorted(resumes.items()))
    )
