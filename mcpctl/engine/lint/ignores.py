"""``# mcpctl-lint: ignore MCP003`` comments in the spec a server was written in.

A comment on the server's line, or in the comment block right above it, ignores those rules for that
server; ``# mcpctl-lint: ignore-file MCP003`` among the comments at the top of the file ignores them for
every server of the file (``ignore-file`` alone: every rule). ``//`` comments work the same in client
configs with comments (JSONC).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mcpctl.spec.model import Source

_DIRECTIVE = re.compile(r"(?:#|//)\s*mcpctl-lint:\s*(ignore-file|ignore)\b([^\n]*)")
_RULE = re.compile(r"MCP\d{3}")
_KEY = re.compile(r"\s*[\"']?[^\s:#][^:#]*[\"']?\s*:\s*(?:#.*)?$")
ALL = "*"


@dataclass(slots=True)
class Ignores:
    """The ignore comments of the files read so far (each file read once)."""

    _files: dict[str, list[str]] = field(default_factory=dict)
    _found: dict[tuple[Source, str], frozenset[str]] = field(default_factory=dict)

    def ignored(self, source: Source | None, name: str) -> frozenset[str]:
        """The rule IDs (or ``*`` for all) ignored for server ``name`` written at ``source``."""
        if source is None:
            return frozenset()
        if (source, name) not in self._found:
            self._found[source, name] = self._read(source, name)
        return self._found[source, name]

    def _read(self, source: Source, name: str) -> frozenset[str]:
        lines = self._lines(source.path)
        found = set(_file_level(lines))
        index = source.line - 1
        if 0 <= index < len(lines):
            found.update(_rules(lines[index], "ignore"))
            above = _comments_above(lines, index, found)
            # the spec points at the entry's value (``mock: ...`` under ``weather:``): the key line
            # and the comments above it belong to the entry too
            if above >= 0 and _is_key(lines[above], name, source.column):
                found.update(_rules(lines[above], "ignore"))
                _comments_above(lines, above, found)
        return frozenset(found)

    def _lines(self, path: str) -> list[str]:
        if path not in self._files:
            try:
                with open(path, encoding="utf-8") as handle:
                    self._files[path] = handle.read().splitlines()
            except (OSError, UnicodeDecodeError):
                self._files[path] = []
        return self._files[path]


def _comments_above(lines: Sequence[str], index: int, found: set[str]) -> int:
    """Collect the rules of the comment block above ``lines[index]``; the index of the line above it."""
    above = index - 1
    while above >= 0 and lines[above].lstrip().startswith(("#", "//")):
        found.update(_rules(lines[above], "ignore"))
        above -= 1
    return above


def _is_key(line: str, name: str, column: int) -> bool:
    """Whether ``line`` is ``name:`` alone (the key of the entry whose value starts at ``column``)."""
    indent = len(line) - len(line.lstrip())
    key = line.strip().split(":", 1)[0].strip().strip("'\"")
    return indent < column - 1 and key == name and _KEY.match(line) is not None


def _file_level(lines: Sequence[str]) -> list[str]:
    found: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "//", "---")):
            break
        found.extend(_rules(line, "ignore-file"))
    return found


def _rules(line: str, kind: str) -> list[str]:
    match = _DIRECTIVE.search(line)
    if match is None or match.group(1) != kind:
        return []
    return _RULE.findall(match.group(2)) or [ALL]
