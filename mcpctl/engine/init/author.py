"""``mcpctl init``: survey a server, write its specs, run them once, settle what did not hold."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import trio

from mcpctl import __version__
from mcpctl.engine.init.plan import SuitePlan, plan_suite
from mcpctl.engine.init.rehearsal import run_written, settle
from mcpctl.engine.init.render import lock_text, servers_text, suite_text
from mcpctl.engine.init.survey import Survey, survey
from mcpctl.engine.safety import Level
from mcpctl.errors import UsageError
from mcpctl.mcp.client import ServerTarget, open_client
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.mcp.session import ClientOptions
from mcpctl.spec.lockfile import LockError

NAME: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
"""``metadata.name`` as the schemas allow it."""
GAP: Final = 1.1
"""Seconds at least between the starts of two runs of the written suite."""
RUNS: Final = 4
"""Runs of the written suite at most: one records the snapshots, the others check them."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InitFiles:
    """Where the specs of server ``name`` go in ``directory``."""

    directory: Path
    servers: Path
    suite: Path
    lock: Path

    @classmethod
    def named(cls, directory: Path, name: str) -> InitFiles:
        """The files for ``name``: ``NAME.servers.yaml``, ``NAME.tests.yaml``, ``NAME.tools.lock.json``."""
        return cls(
            directory=directory,
            servers=directory / f"{name}.servers.yaml",
            suite=directory / f"{name}.tests.yaml",
            lock=directory / f"{name}.tools.lock.json",
        )

    @property
    def snapshots(self) -> Path:
        """Where the suite's snapshots are kept (``__snapshots__/<spec file stem>/``)."""
        return self.directory / "__snapshots__" / self.suite.stem

    def existing(self) -> list[Path]:
        """The files (and snapshot directory) that are there already."""
        found = [path for path in (self.servers, self.suite, self.lock) if path.exists()]
        if self.snapshots.is_dir() and any(self.snapshots.iterdir()):
            found.append(self.snapshots)
        return found


@dataclass(frozen=True, slots=True, kw_only=True)
class InitResult:
    """What ``mcpctl init`` wrote and learned."""

    plan: SuitePlan
    files: InitFiles
    changes: tuple[str, ...]
    """What running the suite once (or twice) changed in it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InitRequest:
    """What to survey and where to write."""

    target: ServerTarget
    entry: Mapping[str, JSONValue]
    """The server's entry in the Servers spec (how it was reached)."""
    source: str
    name: str | None
    directory: Path
    allow: Level = "read-only"
    timeout: float = 30.0
    protocol: str = "auto"
    force: bool = False


async def init_server(request: InitRequest) -> InitResult:
    """Survey the server, write its Servers spec, TestSuite and pin lock, run the suite and settle it."""
    if request.name is not None:
        _check_free(InitFiles.named(request.directory, checked_name(request.name)), request.force)
    surveyed = await survey_target(request)
    name = checked_name(request.name) if request.name else name_of(surveyed.server_info)
    files = InitFiles.named(request.directory, name)
    _check_free(files, request.force)
    plan = plan_suite(
        surveyed,
        name=name,
        entry=request.entry,
        source=request.source,
        lock=files.lock.name,
        snapshots=snapshots_supported(),
    )
    request.directory.mkdir(parents=True, exist_ok=True)
    if files.snapshots.is_dir():  # --force: the snapshots of the suite being replaced go with it
        for stale in files.snapshots.iterdir():
            if stale.is_file():
                stale.unlink()
    _write(files, plan)
    plan, changes = await _rehearse(files, plan)
    return InitResult(plan=plan, files=files, changes=changes)


async def survey_target(request: InitRequest) -> Survey:
    """Connect to the server and survey it as the safety level allows."""
    options = ClientOptions(client_version=__version__, timeout=request.timeout)
    async with open_client(
        request.target, options=options, protocol=request.protocol, connect_timeout=request.timeout
    ) as client:
        n = client.negotiated
        return await survey(
            client,
            capabilities=n.capabilities,
            server_info=n.server_info,
            protocol=n.protocol_version,
            allow=request.allow,
            call_timeout=request.timeout,
        )


async def _rehearse(files: InitFiles, plan: SuitePlan) -> tuple[SuitePlan, tuple[str, ...]]:
    """Run the written suite until a run changes nothing (at most :data:`RUNS` runs): the first
    records the snapshots, each later one compares with them."""
    paths = [str(files.servers), str(files.suite)]
    changes: list[str] = []
    started = trio.current_time()
    settled = settle(plan, await run_written(paths, update=plan.snapshots, round=1), snapshots=None)
    changes += settled.changes
    for round in range(2, RUNS + 1 if plan.snapshots else 2):
        _write_suite(files, settled.plan)
        # a clock in an answer ("created at 6:21:46 AM") must have ticked before it is compared
        await trio.sleep_until(started + GAP)
        started = trio.current_time()
        settled = settle(
            settled.plan, await run_written(paths, update=False, round=round), snapshots=files.snapshots
        )
        changes += settled.changes
        if not settled.changes:
            break
    _write_suite(files, settled.plan)
    return settled.plan, tuple(changes)


def _write(files: InitFiles, plan: SuitePlan) -> None:
    try:
        lock = lock_text(plan)
    except LockError as exc:
        raise UsageError(f"cannot pin the server's tools: {exc}") from None
    _write_atomic(files.lock, lock)
    command = f"mcpctl test {files.directory}"
    schema = _schema_ref("Servers", files.directory)
    _write_atomic(
        files.servers, servers_text(plan, lock_file=files.lock.name, schema_ref=schema, command=command)
    )
    _write_suite(files, plan)


def _write_suite(files: InitFiles, plan: SuitePlan) -> None:
    schema = _schema_ref("TestSuite", files.directory)
    _write_atomic(files.suite, suite_text(plan, schema_ref=schema, command=f"mcpctl test {files.directory}"))


def _check_free(files: InitFiles, force: bool) -> None:
    existing = files.existing()
    if existing and not force:
        shown = ", ".join(str(path) for path in existing)
        raise UsageError(f"{shown}: already there (pass --force to overwrite)")


def checked_name(name: str) -> str:
    """``--name`` as given, if the specs can use it as a name."""
    if NAME.match(name) is None:
        raise UsageError(
            f"--name {name!r}: use letters, digits, '_', '.' and '-', starting with a letter or digit "
            "(at most 63 characters)"
        )
    return name


def name_of(server_info: Mapping[str, object]) -> str:
    """A spec name from the server's ``serverInfo.name`` (``mcp-servers/everything`` →
    ``mcp-servers-everything``), ``server`` when it gives none that can be made one."""
    raw = str(server_info.get("name") or "")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).lstrip("-_.")[:63].rstrip("-")
    return name if NAME.match(name) else "server"


def snapshots_supported() -> bool:
    """Whether TestSuites have ``expect: {snapshot: NAME}`` (the switch for the snapshot tests init
    writes): a suite holding one validates against the TestSuite schema, the contract it must meet."""
    from mcpctl.spec.schemas import validator_for

    suite = {
        "apiVersion": "mcpctl/v1",
        "kind": "TestSuite",
        "metadata": {"name": "probe"},
        "server": "probe",
        "defaults": {"normalize": [{"preset": "timestamps"}]},
        "tests": [{"name": "probe", "call": "probe", "expect": {"snapshot": "probe"}}],
    }
    return bool(validator_for("TestSuite").is_valid(suite))


def _schema_ref(kind: str, directory: Path) -> str:
    from mcpctl.spec.schemas import schema_file

    return os.path.relpath(schema_file(kind), directory.absolute())


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (temp file, fsync, rename)."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
