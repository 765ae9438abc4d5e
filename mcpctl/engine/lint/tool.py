"""Every rule that looks at one tool alone."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

import orjson

from mcpctl.engine.lint import schema as schemas
from mcpctl.engine.lint import text
from mcpctl.engine.lint.model import Tool
from mcpctl.engine.lint.text import Problem

NAME = re.compile(r"[A-Za-z0-9_.-]{1,128}\Z")
"""Tool names per the MCP specification (2025-11-25, "Tool names")."""
HINTS = ("readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint")
CHARS_PER_TOKEN = 4
"""Token estimate: characters / 4, the usual rule of thumb for English text and JSON with BPE tokenizers."""


def check_tool(tool: Tool, *, budget: int) -> list[Problem]:
    """Every single-tool problem of ``tool``, in rule order."""
    found: list[Problem] = []
    name = tool.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        found.append(("MCP023", f"name {name!r} does not match [A-Za-z0-9_.-]{{1,128}}"))
    description = tool.get("description")
    if not isinstance(description, str) or not description.strip():
        found.append(("MCP015", "no description"))
        description = ""
    for where, value in _texts(tool):
        found.extend(text.invisible(where, value))
        # phrasing is judged in prose only: a URL as a parameter's default or enum value is data
        if where.endswith(("description", "title")):
            found.extend(text.phrasing(where, value))
    schema = tool.get("inputSchema")
    found.extend(schemas.root_problems(schema))
    if isinstance(schema, Mapping):
        for node in schemas.walk(schema):
            found.extend(schemas.node_problems(node))
            if node.property is not None:
                found.extend(text.secret_parameter(node.path, node.property))
    found.extend(_annotation_problems(tool, str(name or ""), description))
    found.extend(_budget(tool, description, budget))
    found.sort(key=lambda problem: problem[0])
    return found


def _texts(tool: Tool) -> Iterator[tuple[str, str]]:
    for key in ("name", "title", "description"):
        value = tool.get(key)
        if isinstance(value, str):
            yield key, value
    annotations = tool.get("annotations")
    if isinstance(annotations, Mapping) and isinstance(annotations.get("title"), str):
        yield "annotations.title", annotations["title"]
    # the output schema too: clients that show it to the model pass its descriptions verbatim
    for field in ("inputSchema", "outputSchema"):
        schema = tool.get(field)
        if isinstance(schema, Mapping):
            for node in schemas.walk(schema, field):
                yield from schemas.texts(node)


def _annotation_problems(tool: Tool, name: str, description: str) -> Iterator[Problem]:
    annotations = tool.get("annotations")
    hints = annotations if isinstance(annotations, Mapping) else {}
    wrong = [hint for hint in HINTS if hint in hints and not isinstance(hints[hint], bool)]
    if wrong:
        yield "MCP022", f"annotations: {', '.join(wrong)} must be true or false"
    if hints.get("readOnlyHint") is True and hints.get("destructiveHint") is True:
        yield "MCP022", "annotations: readOnlyHint and destructiveHint are both true"
    if "readOnlyHint" not in hints and "destructiveHint" not in hints:
        word = text.sounds_destructive(name, description)
        if word is not None:
            yield "MCP021", f"sounds destructive ({word!r}) but has no readOnlyHint or destructiveHint"


def _budget(tool: Tool, description: str, budget: int) -> Iterator[Problem]:
    schema = tool.get("inputSchema")
    size = len(description) + len(str(tool.get("title") or ""))
    if schema is not None:
        size += len(orjson.dumps(schema, default=dict))
    tokens = -(-size // CHARS_PER_TOKEN)
    if tokens > budget:
        yield "MCP017", f"~{tokens} tokens of description and inputSchema (budget {budget})"
