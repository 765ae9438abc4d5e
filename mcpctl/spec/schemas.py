"""The JSON Schemas of the spec kinds (draft 2020-12): the public contract of the YAML.

Installed from a wheel they are package data (``mcpctl/schemas/``, force-included by pyproject);
in a checkout they are the repository's ``schemas/`` next to the package.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from jsonschema import Draft202012Validator

KINDS: dict[str, str] = {
    "Servers": "servers.schema.json",
    "TestSuite": "testsuite.schema.json",
    "MockServer": "mockserver.schema.json",
    "BatchPlan": "batchplan.schema.json",
    "LoadTest": "loadtest.schema.json",
    "FaultScenario": "faultscenario.schema.json",
    "Monitor": "monitor.schema.json",
    "AlertRules": "alertrules.schema.json",
    "AlertTest": "alerttest.schema.json",
    "Schedule": "schedule.schema.json",
}
"""Every spec kind with a schema, by its ``kind:`` spelling → the schema's file name."""

SCHEMA_URL = "https://mcpctl.dev/schemas/v1/"


def canonical_kind(kind: str) -> str | None:
    """The ``kind:`` spelling of ``kind`` (matched case-insensitively), or ``None`` if unknown."""
    return next((known for known in KINDS if known.lower() == kind.lower()), None)


def _schema_dir() -> Traversable:
    packaged = resources.files("mcpctl") / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


def schema_for(kind: str) -> dict[str, object]:
    """The JSON Schema of ``kind`` (case-insensitive); ``KeyError`` naming the known kinds if unknown."""
    known = canonical_kind(kind)
    if known is None:
        raise KeyError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return _load(known)


def schema_file(kind: str) -> str:
    """Where the schema of ``kind`` (the ``kind:`` spelling) is on this machine, for editors."""
    return str(_schema_dir() / KINDS[kind])


@cache
def _load(kind: str) -> dict[str, object]:
    data = json.loads((_schema_dir() / KINDS[kind]).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def validator_for(kind: str) -> Draft202012Validator:
    """A validator of ``kind``'s schema (the ``kind:`` spelling), built once.

    Local ``$ref``s are inlined first: resolving one costs jsonschema ~50 µs, and a suite of 1,000
    tests resolves thousands (half of validating it). Errors are reported by instance path, which
    inlining does not change.
    """
    schema = schema_for(kind)
    definitions = schema.get("$defs")
    inlined = _inline(schema, definitions if isinstance(definitions, dict) else {}, ())
    assert isinstance(inlined, dict)
    return Draft202012Validator(inlined)


_REF_AND_ANNOTATIONS = frozenset({"$ref", "description", "title", "$comment", "examples", "default"})


def _inline(node: object, definitions: dict[str, object], seen: tuple[str, ...]) -> object:
    if isinstance(node, list):
        return [_inline(item, definitions, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and set(node) <= _REF_AND_ANNOTATIONS:
        name = ref.removeprefix("#/$defs/")
        target = definitions.get(name)
        if isinstance(target, dict) and name not in seen:  # a recursive definition stays a $ref
            inlined = _inline(target, definitions, (*seen, name))
            assert isinstance(inlined, dict)
            # siblings of a $ref that only annotate (description, title) do not change validation
            return {**inlined, **{k: v for k, v in node.items() if k != "$ref"}}
    return {key: _inline(value, definitions, seen) for key, value in node.items()}
