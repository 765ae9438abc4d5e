"""The one safety rule for tools the user did not name (DESIGN.md §4).

``mcpctl init``, ``fuzz``, ``mock record`` and coverage probing call tools nobody asked for by name.
They call a tool only if the rule allows it at the level the user chose:

=================== ============================================ ==================================
level               calls                                        given by
=================== ============================================ ==================================
``read-only``       tools annotated ``readOnlyHint: true``       (the default)
``non-destructive`` also tools not annotated read-only, except   ``--allow-destructive``
                    those annotated ``destructiveHint: true``
``all``             every tool                                   ``--allow-destructive-all``
                                                                 (or ``--allow-destructive=all``)
=================== ============================================ ==================================

Annotations are hints a server gives, so the rule reads them strictly: only the JSON value ``true``
makes a tool read-only; a ``destructiveHint`` that is present but not a boolean (``"true"``, ``1``)
is taken as destructive, since the server meant to say something and we cannot tell it meant "no".
Tools whose ``annotations`` are missing or not an object have no hints: not read-only, not marked
destructive. A tool the user names (``--tool``, a suite's ``call:``) is not subject to this rule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Generic, Literal, TypeVar

from mcpctl.errors import UsageError

Level = Literal["read-only", "non-destructive", "all"]
"""How far a command may go calling tools the user did not name."""
LEVELS: Final[tuple[Level, ...]] = ("read-only", "non-destructive", "all")

NOT_READ_ONLY: Final = "not annotated readOnlyHint: true (call it with --allow-destructive)"
DESTRUCTIVE: Final = "annotated destructiveHint: true (call it with --allow-destructive=all)"

ToolT = TypeVar("ToolT", bound=Mapping[str, object])


@dataclass(frozen=True, slots=True, kw_only=True)
class Skipped:
    """A tool the rule kept from being called, and why (the text users read)."""

    tool: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection(Generic[ToolT]):
    """The tools a command may call (in listed order) and the ones it must skip."""

    chosen: tuple[ToolT, ...]
    skipped: tuple[Skipped, ...]


def level_of(text: str) -> Level:
    """``text`` as a level; anything else is a usage error naming the three."""
    for level in LEVELS:
        if text == level:
            return level
    raise UsageError(f"safety level {text!r}: expected {', '.join(LEVELS)}")


def refusal(tool: Mapping[str, object] | None, level: Level) -> str | None:
    """Why ``level`` forbids calling ``tool`` (``None``: it may be called)."""
    found = tool.get("annotations") if tool is not None else None
    hints: Mapping[str, object] = found if isinstance(found, Mapping) else {}
    destructive = hints.get("destructiveHint", False)
    if level != "all":
        if destructive is True:
            return DESTRUCTIVE
        if destructive is not None and not isinstance(destructive, bool):
            return (
                f"annotated destructiveHint: {_shown(destructive)}, not a boolean: taken as destructive "
                "(call it with --allow-destructive=all)"
            )
    if level == "read-only" and hints.get("readOnlyHint") is not True:
        return NOT_READ_ONLY
    return None


def allowed(tool: Mapping[str, object] | None, level: Level) -> bool:
    """Whether ``level`` lets a command call ``tool`` unasked."""
    return refusal(tool, level) is None


def select(tools: Sequence[ToolT], level: Level) -> Selection[ToolT]:
    """Split ``tools`` (as ``tools/list`` gives them) into those ``level`` lets a command call and
    those it must skip, each with the reason."""
    chosen: list[ToolT] = []
    skipped: list[Skipped] = []
    for tool in tools:
        reason = refusal(tool, level)
        if reason is None:
            chosen.append(tool)
        else:
            skipped.append(Skipped(tool=str(tool.get("name")), reason=reason))
    return Selection(chosen=tuple(chosen), skipped=tuple(skipped))


def _shown(value: object) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
