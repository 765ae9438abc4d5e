"""``mcpctl schema [KIND]``: the JSON Schema of a spec kind, for editors and other tools."""

from __future__ import annotations

import json

from mcpctl.errors import UsageError
from mcpctl.spec.schemas import KINDS, canonical_kind, schema_file, schema_for


def run(kind: str | None) -> int:
    """Print the kinds (no ``kind``) or the schema of ``kind`` as indented JSON."""
    if kind is None:
        width = max(len(name) for name in KINDS)
        for name in KINDS:
            print(f"{name:<{width}}  {schema_for(name).get('description', '')}")
        print()
        print("Editor completion (yaml-language-server): start a spec file with the line for its kind:")
        for name in KINDS:
            print(f"  {name:<{width}}  # yaml-language-server: $schema={schema_file(name)}")
        print("or save one beside your specs (mcpctl schema TestSuite > testsuite.schema.json) and name it.")
        return 0
    known = canonical_kind(kind)
    if known is None:
        raise UsageError(f"unknown kind {kind!r} (known: {', '.join(KINDS)})")
    print(json.dumps(schema_for(known), indent=2, ensure_ascii=False))
    return 0
