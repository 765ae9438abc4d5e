"""A notes server on the official Python SDK (mcp 2.x, ``MCPServer``, the former FastMCP), with tools
annotated as a careful author annotates them: read-only ones, one that adds (not destructive), one
that deletes (destructive) and one left unannotated. For ``mcpctl init`` and safety-rule tests.

    python -m testing.servers.sdk_notes            # stdio

MCPCTL_TEST_CALL_LOG, when set, names a file each tool call appends its tool name to (one a line):
the proof of which tools a command called.
"""

from __future__ import annotations

import os
from typing import Annotated, TypedDict

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

mcp = MCPServer("mcpctl-sdk-notes", version="1.0.0", log_level="WARNING")
NOTES: dict[int, str] = {1: "buy milk", 2: "call the plumber about the sink", 3: "milk the cow"}
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


class Note(TypedDict):
    id: int
    text: str


class Found(TypedDict):
    query: str
    notes: list[Note]


def _logged(tool: str) -> None:
    path = os.environ.get("MCPCTL_TEST_CALL_LOG")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(tool + "\n")


@mcp.tool(annotations=READ_ONLY)
async def list_notes() -> Found:
    """Every note, oldest first."""
    _logged("list_notes")
    return {"query": "", "notes": [{"id": k, "text": v} for k, v in sorted(NOTES.items())]}


@mcp.tool(annotations=READ_ONLY)
async def get_note(
    note_id: Annotated[int, Field(ge=1, description="A note's id (from list_notes).")],
) -> Note:
    """One note by id."""
    _logged("get_note")
    if note_id not in NOTES:
        raise ValueError(f"no note {note_id}")
    return {"id": note_id, "text": NOTES[note_id]}


@mcp.tool(annotations=READ_ONLY)
async def search_notes(
    query: Annotated[str, Field(min_length=2, examples=["milk"])],
    limit: Annotated[int, Field(ge=1, le=50)] = 10,
) -> Found:
    """Notes whose text contains the query (case-insensitive)."""
    _logged("search_notes")
    hits = [{"id": k, "text": v} for k, v in sorted(NOTES.items()) if query.lower() in v.lower()]
    return {"query": query, "notes": hits[:limit]}  # type: ignore[typeddict-item]


@mcp.tool(annotations=READ_ONLY)
async def lookup_tag(tag: Annotated[str, Field(pattern=r"^#[a-z]{3,}$")]) -> str:
    """Notes tagged so (a pattern only a generated instance fits)."""
    _logged("lookup_tag")
    return f"no notes tagged {tag}"


@mcp.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False))
async def add_note(text: str) -> Note:
    """Add a note."""
    _logged("add_note")
    note_id = max(NOTES, default=0) + 1
    NOTES[note_id] = text
    return {"id": note_id, "text": text}


@mcp.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True))
async def delete_note(note_id: int) -> str:
    """Delete a note for good."""
    _logged("delete_note")
    NOTES.pop(note_id, None)
    return f"deleted {note_id}"


@mcp.tool()
async def compact() -> str:
    """Renumber the notes (no annotations: a client cannot tell what it changes)."""
    _logged("compact")
    return "compacted"


@mcp.resource("notes://all", name="all-notes", mime_type="text/plain")
async def all_notes() -> str:
    """Every note, one a line."""
    return "\n".join(NOTES[k] for k in sorted(NOTES))


@mcp.prompt()
async def summarize(topic: str) -> str:
    """Ask for a summary of the notes about a topic."""
    return f"Summarize my notes about {topic}."


if __name__ == "__main__":
    mcp.run("stdio")
