"""Snapshots: ``expect: {snapshot: NAME}`` keeps an answer beside the spec and compares later answers to it.

The file is ``__snapshots__/<spec file stem>/NAME.json`` (``NAME.yaml`` for a name ending in .yaml or
.yml) in the spec's directory: the answer's result (tool: ``content``, ``structuredContent``, ``isError``;
resource: ``contents``; prompt: ``description``, ``messages``; a JSON-RPC error: ``error``), normalized
(:mod:`mcpctl.engine.snapshot_normalize`), as sorted-key, indented JSON or YAML. As jest does, a missing
snapshot is written and the test passes, except under ``CI=true`` where it fails; a different one fails
with a unified diff; ``--update-snapshots`` rewrites only those whose normalized content changed, and
never a snapshot of an answer whose other assertions fail. Writes are atomic (temp file, fsync, rename);
a file that did not change is not touched, so it keeps its mtime.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import yaml

from mcpctl.engine.expect import Answer, Failure
from mcpctl.engine.results import SnapshotStatus
from mcpctl.engine.snapshot_normalize import normalize
from mcpctl.spec.build_suite import snapshot_file
from mcpctl.spec.model import Normalizer

UPDATE_SNAPSHOTS: ContextVar[bool] = ContextVar("mcpctl_update_snapshots", default=False)
"""Set by ``mcpctl test --update-snapshots`` around the run (trio tasks inherit it); read once per suite."""
SNAPSHOT_WRITES: ContextVar[bool] = ContextVar("mcpctl_snapshot_writes", default=True)
"""False where a run only compares (``mcpctl compare --suite``): no snapshot is written or rewritten."""
MAX_DIFF_LINES = 60
"""Lines of a snapshot diff shown; the rest are counted."""
DIRECTORY = "__snapshots__"
_RESULT_KEYS = {
    "tool": ("content", "structuredContent", "isError"),
    "resource": ("contents",),
    "prompt": ("description", "messages"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotMode:
    """How snapshot checks treat missing and different snapshots."""

    update: bool = False
    """``--update-snapshots``: rewrite the changed ones (and write missing ones even under CI)."""
    ci: bool = False
    """``CI=true`` in the environment: a missing snapshot fails instead of being written."""
    write: bool = True
    """False: compare with the stored snapshots only (:data:`SNAPSHOT_WRITES`)."""

    @classmethod
    def current(cls, environ: Mapping[str, str] | None = None) -> SnapshotMode:
        """The mode of this run: :data:`UPDATE_SNAPSHOTS` and the ``CI`` environment variable."""
        env = os.environ if environ is None else environ
        ci = env.get("CI", "").strip().lower() in ("true", "1")
        return cls(update=UPDATE_SNAPSHOTS.get(), ci=ci, write=SNAPSHOT_WRITES.get())


@dataclass(frozen=True, slots=True, kw_only=True)
class SnapshotCheck:
    """What one snapshot check did, and the failures it found (none when it passed)."""

    status: SnapshotStatus
    failures: tuple[Failure, ...] = ()


def snapshot_path(spec_path: str, name: str) -> Path:
    """Where snapshot ``name`` of the spec at ``spec_path`` is stored."""
    spec = Path(spec_path)
    return spec.parent / DIRECTORY / spec.stem / snapshot_file(name)


def answer_document(answer: Answer) -> dict[str, object]:
    """The part of an answer a snapshot keeps (``isError`` always present for a tool result)."""
    if answer.error is not None:
        error: dict[str, object] = {"code": answer.error.code, "message": answer.error.message}
        if answer.error.data is not None:
            error["data"] = answer.error.data
        return {"error": error}
    document = {key: answer.result[key] for key in _RESULT_KEYS[answer.kind] if key in answer.result}
    if answer.kind == "tool":
        document.setdefault("isError", False)
    return document


def render(document: object, *, as_yaml: bool) -> str:
    """The canonical text of a snapshot: sorted keys, indented, a final newline."""
    if as_yaml:
        return yaml.safe_dump(
            document, sort_keys=True, allow_unicode=True, default_flow_style=False, width=1000
        )
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check_snapshot(
    name: str,
    answer: Answer,
    *,
    spec_path: str,
    normalizers: Sequence[Normalizer],
    mode: SnapshotMode,
    others_failed: bool,
) -> SnapshotCheck:
    """Compare ``answer`` with snapshot ``name`` (writing or rewriting it as ``mode`` says); a file that
    cannot be read or written fails the check (it is not a bug to crash on)."""
    path = snapshot_path(spec_path, name)
    try:
        return _check(name, path, answer, normalizers=normalizers, mode=mode, others_failed=others_failed)
    except OSError as exc:
        failure = Failure(message=f"snapshot {name}: {path}: {exc.strerror or exc}")
        return SnapshotCheck(status="failed", failures=(failure,))


def _check(
    name: str,
    path: Path,
    answer: Answer,
    *,
    normalizers: Sequence[Normalizer],
    mode: SnapshotMode,
    others_failed: bool,
) -> SnapshotCheck:
    as_yaml = path.suffix in (".yaml", ".yml")
    actual = render(normalize(answer_document(answer), normalizers), as_yaml=as_yaml)
    shown = f"{DIRECTORY}/{path.parent.name}/{path.name}"
    try:
        stored_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _missing(name, path, actual, mode=mode, others_failed=others_failed)
    try:
        stored = render(normalize(_parse(stored_text, as_yaml=as_yaml), normalizers), as_yaml=as_yaml)
    except (ValueError, yaml.YAMLError) as exc:
        stored = f"(unreadable: {type(exc).__name__})\n"
    if stored == actual:
        return SnapshotCheck(status="unchanged")
    if mode.update and mode.write:
        if others_failed:
            return _refused(f"snapshot {name} not updated: the test's other assertions fail")
        write_atomically(path, actual)
        return SnapshotCheck(status="updated")
    message = f"snapshot {name}: the answer differs from {shown} (mcpctl test --update-snapshots accepts it)"
    return SnapshotCheck(
        status="failed", failures=(Failure(message=message, details=diff(stored, actual, shown)),)
    )


_RANK: dict[SnapshotStatus, int] = {
    "unchanged": 0,
    "written": 1,
    "updated": 1,
    "failed": 2,
    "missing": 2,
    "refused": 2,
}


def note(seen: dict[str, SnapshotStatus], name: str, status: SnapshotStatus) -> None:
    """Record ``status`` for snapshot ``name`` in ``seen``: over the runs of a repeated test the weightiest
    stays (a failure over a write over a match: a later match hides neither)."""
    if name not in seen or _RANK[status] > _RANK[seen[name]]:
        seen[name] = status


def _missing(name: str, path: Path, actual: str, *, mode: SnapshotMode, others_failed: bool) -> SnapshotCheck:
    if others_failed:
        return _refused(f"snapshot {name} not written: the test's other assertions fail")
    if not mode.write:
        failure = Failure(message=f"snapshot {name} missing (this command writes none; mcpctl test does)")
        return SnapshotCheck(status="missing", failures=(failure,))
    if mode.ci and not mode.update:
        failure = Failure(message=f"snapshot {name} missing; run mcpctl test --update-snapshots")
        return SnapshotCheck(status="missing", failures=(failure,))
    write_atomically(path, actual)
    return SnapshotCheck(status="written")


def _refused(message: str) -> SnapshotCheck:
    return SnapshotCheck(status="refused", failures=(Failure(message=message),))


def _parse(text: str, *, as_yaml: bool) -> object:
    return yaml.safe_load(text) if as_yaml else json.loads(text)


def diff(stored: str, actual: str, shown: str) -> tuple[str, ...]:
    """The unified diff from the stored snapshot to the answer: changed hunks with one line of context,
    at most :data:`MAX_DIFF_LINES` lines."""
    lines = list(
        difflib.unified_diff(
            stored.splitlines(), actual.splitlines(), fromfile=shown, tofile="answer", n=1, lineterm=""
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        return (*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines of diff")
    return tuple(lines)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file in the same directory, fsynced, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
