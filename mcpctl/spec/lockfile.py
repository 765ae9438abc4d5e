"""The tools lock file: what ``mcpctl pin`` writes and what a pinned test compares a server against.

::

    {
      "version": 1,
      "server": "github",
      "serverInfo": {"name": "github-mcp", "version": "1.2.0"},
      "protocolVersion": "2025-06-18",
      "tools": {"create_issue": {"sha256": "9f2c…", "definition": {"name": "create_issue", …}}}
    }

A tool's identity is what a model reads and what the tool promises: its name, title, description,
input and output schemas and annotations. Each is hashed over canonical JSON (sorted keys, no
whitespace, UTF-8), so formatting and key order never count as drift; any change of meaning does.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

LOCK_VERSION = 1

# ``_meta`` is left out on purpose: it carries implementation metadata (vendor keys, UI hints,
# build stamps) that servers may change from one listing to the next without changing what the
# model is told or what the tool does; pinning it would report drift nobody needs to review.
IDENTITY_KEYS: tuple[str, ...] = (
    "name",
    "title",
    "description",
    "inputSchema",
    "outputSchema",
    "annotations",
)
TEXT_FIELDS = ("title", "description")


class LockError(ValueError):
    """A lock file is missing, malformed, of another version, or edited by hand."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedTool:
    """One pinned tool: its digest and the definition the digest was computed from."""

    name: str
    sha256: str
    definition: Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lock:
    """A lock file as read: the server it was taken from and its tools by name."""

    server: str
    tools: Mapping[str, LockedTool]
    server_info: Mapping[str, object]
    protocol_version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolChange:
    """How one tool differs from its pin; ``lines`` is the readable diff, headline first."""

    name: str
    change: Literal["added", "removed", "changed"]
    fields: tuple[str, ...] = ()
    """The identity fields that changed (``changed`` only), in :data:`IDENTITY_KEYS` order."""
    lines: tuple[str, ...]


def tool_identity(tool: Mapping[str, object]) -> dict[str, object]:
    """The fields of ``tool`` that pinning covers (absent ones omitted)."""
    return {key: tool[key] for key in IDENTITY_KEYS if key in tool}


def canonical_json(value: object) -> str:
    """``value`` as canonical JSON: sorted keys, no whitespace, non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def tool_digest(tool: Mapping[str, object]) -> str:
    """sha256 (hex) of the canonical JSON of the tool's identity."""
    return hashlib.sha256(canonical_json(tool_identity(tool)).encode("utf-8")).hexdigest()


def make_lock(
    tools: Sequence[Mapping[str, object]], *, server: str, server_info: Mapping[str, object], protocol: str
) -> dict[str, object]:
    """The lock of ``tools`` as JSON-ready data, tools sorted by name (render with :func:`dump_lock`)."""
    by_name: dict[str, dict[str, object]] = {}
    for tool in tools:
        name = str(tool.get("name"))
        if name in by_name:
            raise LockError(
                f"the server lists tool {name!r} twice; a tool list with duplicate names cannot be pinned"
            )
        # a round trip through canonical JSON sorts every nested key, so the file's bytes are stable
        by_name[name] = json.loads(canonical_json(tool_identity(tool)))
    return {
        "version": LOCK_VERSION,
        "server": server,
        "serverInfo": json.loads(canonical_json(dict(server_info))),
        "protocolVersion": protocol,
        "tools": {
            name: {"sha256": tool_digest(by_name[name]), "definition": by_name[name]}
            for name in sorted(by_name)
        },
    }


def dump_lock(lock: Mapping[str, object]) -> str:
    """The text of a lock file: indented two spaces, UTF-8 characters kept, a trailing newline."""
    return json.dumps(lock, indent=2, ensure_ascii=False) + "\n"


# -- reading ------------------------------------------------------------------------------------
def read_lock(path: str) -> Lock:
    """Read and verify the lock file at ``path``; every problem is a :class:`LockError`."""
    data = _load(path)
    if not isinstance(data, dict):
        raise LockError(f"{path}: expected a JSON object (a lock file written by mcpctl pin)")
    version = data.get("version")
    if version != LOCK_VERSION:
        raise LockError(
            f"{path}: unsupported lock version {version!r} (this mcpctl reads version {LOCK_VERSION})"
        )
    tools = data.get("tools")
    if not isinstance(tools, dict):
        raise LockError(f"{path}: tools: expected an object of tools by name")
    info = data.get("serverInfo")
    return Lock(
        server=str(data.get("server", "")),
        tools={name: _locked_tool(path, name, entry) for name, entry in tools.items()},
        server_info=info if isinstance(info, dict) else {},
        protocol_version=str(data.get("protocolVersion", "")),
    )


def _load(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise LockError(f"{path}: no such lock file (create it with: mcpctl pin SERVER > {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LockError(f"{path}: cannot read: {reason}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LockError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None


def _locked_tool(path: str, name: str, entry: object) -> LockedTool:
    where = f"{path}: tools.{name}"
    if not isinstance(entry, dict) or not isinstance(entry.get("definition"), dict):
        raise LockError(f"{where}: expected an object with 'sha256' and 'definition'")
    definition: dict[str, object] = entry["definition"]
    if definition.get("name") != name:
        raise LockError(f"{where}: the definition names tool {definition.get('name')!r}")
    digest = entry.get("sha256")
    if digest != tool_digest(definition):
        raise LockError(
            f"{where}: sha256 does not match the definition (was the lock edited by hand? "
            "re-create it with mcpctl pin)"
        )
    return LockedTool(name=name, sha256=str(digest), definition=definition)


# -- comparing ----------------------------------------------------------------------------------
def diff_tools(lock: Lock, tools: Sequence[Mapping[str, object]]) -> list[ToolChange]:
    """How the server's ``tools`` differ from ``lock``, by tool name; empty when nothing drifted."""
    current = {str(tool.get("name")): tool for tool in tools}
    changes: list[ToolChange] = []
    for name in sorted(set(current) | set(lock.tools)):
        pinned = lock.tools.get(name)
        tool = current.get(name)
        if pinned is None:
            changes.append(
                ToolChange(name=name, change="added", lines=(f"tool {name!r}: added (not in the lock)",))
            )
        elif tool is None:
            line = f"tool {name!r}: removed (in the lock, no longer offered)"
            changes.append(ToolChange(name=name, change="removed", lines=(line,)))
        elif tool_digest(tool) != pinned.sha256:
            changes.append(_changed(name, pinned.definition, tool_identity(tool)))
    return changes


def _changed(name: str, old: Mapping[str, object], new: Mapping[str, object]) -> ToolChange:
    fields = tuple(
        key for key in IDENTITY_KEYS if canonical_json(old.get(key)) != canonical_json(new.get(key))
    )
    lines: list[str] = []
    for key in fields:
        if key == "annotations":
            lines.extend(_annotation_lines(name, old.get(key), new.get(key)))
            continue
        lines.append(f"tool {name!r}: {key} changed")
        if key in TEXT_FIELDS:
            before, after = _text(old.get(key)), _text(new.get(key))
        else:
            before, after = _pretty(old.get(key)), _pretty(new.get(key))
        lines.extend(_unified(before, after))
    return ToolChange(name=name, change="changed", fields=fields, lines=tuple(lines))


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else canonical_json(value)


def _pretty(value: object) -> str:
    return "" if value is None else json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


def _unified(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(
        before.splitlines(), after.splitlines(), fromfile="pinned", tofile="server", lineterm=""
    )
    return [f"  {line}" for line in diff]


def _annotation_lines(name: str, old: object, new: object) -> list[str]:
    before = old if isinstance(old, dict) else {}
    after = new if isinstance(new, dict) else {}
    lines = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if canonical_json(was) == canonical_json(now):
            continue
        line = f"tool {name!r}: annotations.{key} changed: {_shown(was, key in before)} -> {_shown(now, key in after)}"
        if key == "destructiveHint" and now is True:
            line += "  <-- WARNING: the tool now declares destructive updates"
        elif key == "readOnlyHint" and was is True:
            line += "  <-- WARNING: the tool no longer declares itself read-only"
        lines.append(line)
    return lines


def _shown(value: object, present: bool) -> str:
    return canonical_json(value) if present else "(unset)"


def format_changes(changes: Sequence[ToolChange]) -> list[str]:
    """Every change's lines in order, for printing one per line."""
    return [line for change in changes for line in change.lines]


def summarize(changes: Sequence[ToolChange]) -> str:
    """``1 changed, 2 added`` (only the kinds that occur)."""
    counts = {kind: sum(1 for c in changes if c.change == kind) for kind in ("changed", "added", "removed")}
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
