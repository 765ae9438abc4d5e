"""Protocol checks on what a server lists: tools, resources, prompts (``expect.tools`` …)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Literal

import jsonschema
from jsonschema.exceptions import SchemaError

from mcpctl.engine.expect import Failure
from mcpctl.mcp.jsonrpc import Message
from mcpctl.spec.lockfile import LockError, diff_tools, format_changes, read_lock
from mcpctl.spec.model import ListExpect

Listing = Literal["tools", "resources", "prompts"]
KEY: dict[Listing, str] = {"tools": "name", "resources": "uri", "prompts": "name"}


def check_listing(which: Listing, expect: ListExpect, items: Sequence[Message]) -> list[Failure]:
    """Every check of ``expect`` against the items of ``tools/list`` (or resources, prompts)."""
    key = KEY[which]
    names = [str(item.get(key, "")) for item in items]
    present = set(names)
    failures = [
        Failure(message=f"{which}: expected {name!r} to be listed", details=(_listed(which, names),))
        for name in expect.include
        if name not in present
    ]
    failures.extend(
        Failure(message=f"{which}: expected {name!r} not to be listed")
        for name in expect.exclude
        if name in present
    )
    if expect.count is not None and len(items) != expect.count:
        failures.append(Failure(message=f"{which}: expected {expect.count}, got {len(items)}"))
    if expect.unique_names:
        repeated = sorted(name for name, n in Counter(names).items() if n > 1)
        if repeated:
            failures.append(
                Failure(message=f"{which}: listed more than once: {', '.join(map(repr, repeated))}")
            )
    if expect.schema_valid:
        failures.extend(_schema_problems(items))
    if expect.pinned is not None:
        failures.extend(_pin_drift(expect.pinned, items))
    return failures


def _listed(which: str, names: Sequence[str]) -> str:
    shown = ", ".join(sorted(names)[:50]) or "(none)"
    return f"{which} listed: {shown}" + (f" … ({len(names)} in all)" if len(names) > 50 else "")


def _schema_problems(tools: Sequence[Message]) -> list[Failure]:
    failures = []
    for tool in tools:
        name = tool.get("name", "?")
        for field in ("inputSchema", "outputSchema"):
            schema = tool.get(field)
            if schema is None and field == "outputSchema":
                continue
            if not isinstance(schema, dict):
                failures.append(Failure(message=f"tools: {name!r} has no {field} object"))
                continue
            if field == "inputSchema" and schema.get("type") != "object":
                failures.append(Failure(message=f"tools: {name!r} {field} must have type 'object'"))
            validator = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
            try:
                validator.check_schema(schema)
            except SchemaError as exc:
                path = "/" + "/".join(str(p) for p in exc.absolute_path) if exc.absolute_path else "(root)"
                failures.append(
                    Failure(
                        message=f"tools: {name!r} {field} is not a valid JSON Schema at {path}: {exc.message}"
                    )
                )
    return failures


def _pin_drift(path: str, tools: Sequence[Message]) -> list[Failure]:
    try:
        lock = read_lock(path)
    except LockError as exc:
        return [Failure(message=f"tools: pinned: {exc}")]
    changes = diff_tools(lock, tools)
    if not changes:
        return []
    names = ", ".join(repr(change.name) for change in changes)
    return [
        Failure(
            message=f"tools: {len(changes)} tool(s) differ from the pinned {path}: {names}",
            details=tuple(format_changes(changes)),
        )
    ]
