"""A located YAML tree: every value keeps the 1-based line and column where it was written.

Mapping values are ``dict[str, Node]``, sequence items ``list[Node]``, scalars plain Python values.
JSON paths such as ``tests[3].expect.text`` (or jsonschema's segment lists) find positions, so any
error about any field, even a missing one, can print ``file:line:col``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

Scalar = str | int | float | bool | None
Plain = Scalar | list["Plain"] | dict[str, "Plain"]
Segment = str | int

_SEGMENT = re.compile(r'\.?([^.\[\]"]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')
_BARE_KEY = re.compile(r"[A-Za-z0-9_$-]+\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """A YAML value with its position; ``keys`` holds where each key of a mapping was written."""

    value: Scalar | dict[str, Node] | list[Node]
    line: int
    column: int
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)

    def plain(self) -> Plain:
        """The value as plain Python data (dicts, lists, scalars), positions dropped."""
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, list):
            return [child.plain() for child in self.value]
        return self.value

    def child(self, segment: Segment) -> Node | None:
        """The mapping value under key ``segment`` or the sequence item at index ``segment``."""
        if isinstance(self.value, dict) and isinstance(segment, str):
            return self.value.get(segment)
        if isinstance(self.value, list) and isinstance(segment, int) and 0 <= segment < len(self.value):
            return self.value[segment]
        return None

    def find(self, path: str | Sequence[Segment]) -> Node:
        """The deepest node along ``path`` that exists (the parent mapping of a missing field)."""
        return self._walk(path)[0]

    def get(self, path: str | Sequence[Segment]) -> Node | None:
        """The node at exactly ``path``, or ``None`` if some part of it is missing."""
        node, complete = self._walk(path)
        return node if complete else None

    def locate(self, path: str | Sequence[Segment]) -> tuple[int, int]:
        """``(line, column)`` of the value at ``path``, or of the deepest existing node above it."""
        node = self.find(path)
        return node.line, node.column

    def locate_key(self, path: str | Sequence[Segment]) -> tuple[int, int]:
        """``(line, column)`` of the last key of ``path`` (for unknown fields), else like :meth:`locate`."""
        segments = parse_path(path) if isinstance(path, str) else list(path)
        if segments and isinstance(segments[-1], str):
            parent = self.get(segments[:-1])
            if parent is not None and segments[-1] in parent.keys:
                return parent.keys[segments[-1]]
        return self.locate(segments)

    def _walk(self, path: str | Sequence[Segment]) -> tuple[Node, bool]:
        node = self
        for segment in parse_path(path) if isinstance(path, str) else path:
            found = node.child(segment)
            if found is None:
                return node, False
            node = found
        return node, True


def format_path(segments: Sequence[Segment]) -> str:
    """``["tests", 3, "expect"]`` → ``tests[3].expect``; odd keys are quoted: ``env["A.B"]``."""
    parts: list[str] = []
    for segment in segments:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _BARE_KEY.match(segment):
            parts.append(f".{segment}" if parts else segment)
        else:
            parts.append(f"[{json.dumps(segment)}]")
    return "".join(parts)


def parse_path(path: str) -> list[Segment]:
    """The inverse of :func:`format_path`; raises ``ValueError`` on text it did not produce."""
    segments: list[Segment] = []
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None or match.end() == position:
            raise ValueError(f"malformed JSON path {path!r} at offset {position}")
        key, index, quoted = match.groups()
        if key is not None:
            segments.append(key)
        elif index is not None:
            segments.append(int(index))
        else:
            segments.append(str(json.loads(quoted)))
        position = match.end()
    return segments
