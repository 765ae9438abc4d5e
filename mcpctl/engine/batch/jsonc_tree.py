"""A JSON / JSONC parser that keeps where every value, key and comma was written.

:func:`parse_tree` returns :class:`Value` nodes with character offsets into the text as given, so
that :mod:`mcpctl.engine.batch.jsonc_edit` can replace exactly one span and leave every other
character alone. With ``jsonc=True`` it accepts what VS Code accepts: ``//`` and ``/* */`` comments
and trailing commas; with ``jsonc=False`` those are errors, because the client reads plain JSON.
A leading byte order mark is kept as part of the text and skipped like whitespace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from mcpctl.errors import UsageError

JSON = None | bool | int | float | str | list["JSON"] | dict[str, "JSON"]
Kind = Literal["object", "array", "scalar"]

BOM = "\ufeff"
_WHITESPACE = " \t\r\n"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS: dict[str, JSON] = {"true": True, "false": False, "null": None}
_MAX_DEPTH = 400


class ConfigSyntaxError(UsageError):
    """A config file is not valid JSON (or JSONC); ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, *, path: str, line: int, column: int) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
        super().__init__(f"{path}:{line}:{column}: invalid JSON: {problem}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    """``"key": value`` inside an object; ``comma`` is the offset of the comma after it, if any."""

    key: str
    key_start: int
    value: Value
    comma: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Value:
    """A parsed value spanning ``text[start:end]`` (braces and brackets included)."""

    kind: Kind
    start: int
    end: int
    data: JSON
    members: tuple[Member, ...] = ()
    items: tuple[Value, ...] = ()

    def member(self, key: str) -> Member | None:
        """The member named ``key`` (the last one, as JSON parsers do, when a key repeats)."""
        return next((m for m in reversed(self.members) if m.key == key), None)


def parse_tree(text: str, *, jsonc: bool, path: str) -> Value:
    """The root value of ``text``; raises :class:`ConfigSyntaxError` naming ``path``, line and column."""
    parser = _Parser(text=text, jsonc=jsonc, path=path)
    start = parser.skip(1 if text.startswith(BOM) else 0)
    root = parser.value(start, 0)
    end = parser.skip(root.end)
    if end < len(text):
        raise parser.error(end, "unexpected text after the end of the document")
    return root


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based ``(line, column)`` of ``offset`` in ``text`` (a byte order mark takes no column)."""
    line_start = text.rfind("\n", 0, offset) + 1
    column = offset - line_start + 1
    if line_start == 0 and text.startswith(BOM) and offset > 0:
        column -= 1
    return text.count("\n", 0, offset) + 1, column


@dataclass(frozen=True, slots=True, kw_only=True)
class _Parser:
    text: str
    jsonc: bool
    path: str

    def error(self, offset: int, problem: str) -> ConfigSyntaxError:
        line, column = position(self.text, offset)
        return ConfigSyntaxError(problem, path=self.path, line=line, column=column)

    def skip(self, i: int) -> int:
        """The offset of the next significant character at or after ``i`` (whitespace, comments skipped)."""
        text = self.text
        while i < len(text):
            if text[i] in _WHITESPACE:
                i += 1
            elif text.startswith(("//", "/*"), i):
                if not self.jsonc:
                    raise self.error(i, "comments are not allowed in this JSON file")
                i = comment_end(text, i)
                if i < 0:
                    raise self.error(len(text), "unterminated /* comment")
            else:
                break
        return i

    def value(self, i: int, depth: int) -> Value:
        if depth > _MAX_DEPTH:
            raise self.error(i, "values are nested too deeply")
        if i >= len(self.text):
            raise self.error(i, "expected a value, found the end of the file")
        char = self.text[i]
        if char == "{":
            return self.object(i, depth)
        if char == "[":
            return self.array(i, depth)
        if char == '"':
            end = self.string_end(i)
            return Value(kind="scalar", start=i, end=end, data=self.decode(i, end))
        for word, data in _LITERALS.items():
            if self.text.startswith(word, i):
                return Value(kind="scalar", start=i, end=i + len(word), data=data)
        number = _NUMBER.match(self.text, i)
        if number is None:
            raise self.error(i, f"expected a value, found {self.text[i]!r}")
        return Value(kind="scalar", start=i, end=number.end(), data=json.loads(number.group()))

    def object(self, start: int, depth: int) -> Value:
        members: list[Member] = []
        i = self.skip(start + 1)
        while i < len(self.text) and self.text[i] != "}":
            if self.text[i] != '"':
                raise self.error(i, "expected a quoted key or '}'")
            key_start, key_end = i, self.string_end(i)
            key = self.decode(i, key_end)
            colon = self.skip(key_end)
            if not self.text.startswith(":", colon):
                raise self.error(colon, f"expected ':' after the key {key!r}")
            value = self.value(self.skip(colon + 1), depth + 1)
            i, comma = self.separator(value.end, "}")
            members.append(Member(key=key, key_start=key_start, value=value, comma=comma))
        if i >= len(self.text):
            raise self.error(i, "expected '}', found the end of the file")
        data: dict[str, JSON] = {m.key: m.value.data for m in members}
        return Value(kind="object", start=start, end=i + 1, data=data, members=tuple(members))

    def array(self, start: int, depth: int) -> Value:
        items: list[Value] = []
        i = self.skip(start + 1)
        while i < len(self.text) and self.text[i] != "]":
            item = self.value(i, depth + 1)
            items.append(item)
            i, _ = self.separator(item.end, "]")
        if i >= len(self.text):
            raise self.error(i, "expected ']', found the end of the file")
        return Value(kind="array", start=start, end=i + 1, data=[v.data for v in items], items=tuple(items))

    def separator(self, end: int, close: str) -> tuple[int, int | None]:
        """After a member or item: the offset of the next one (or of ``close``) and of the comma."""
        i = self.skip(end)
        if i < len(self.text) and self.text[i] == close:
            return i, None
        if i >= len(self.text) or self.text[i] != ",":
            raise self.error(i, f"expected ',' or {close!r}")
        following = self.skip(i + 1)
        if following < len(self.text) and self.text[following] == close and not self.jsonc:
            raise self.error(i, "trailing commas are not allowed in this JSON file")
        return following, i

    def string_end(self, start: int) -> int:
        end = string_end(self.text, start)
        if end < 0:
            raise self.error(start, "unterminated string")
        return end

    def decode(self, start: int, end: int) -> str:
        try:
            decoded = json.loads(self.text[start:end])
        except json.JSONDecodeError as exc:
            raise self.error(start + exc.pos, exc.msg.lower()) from None
        assert isinstance(decoded, str)
        return decoded


def string_end(text: str, start: int) -> int:
    """The offset just after the string opening at ``start``; -1 when it is not closed on its line."""
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
        elif char == '"':
            return i + 1
        elif char == "\n":
            return -1
        else:
            i += 1
    return -1


def comment_end(text: str, start: int) -> int:
    """The offset just after the comment at ``start`` (a ``//`` comment ends before its newline)."""
    if text.startswith("//", start):
        end = text.find("\n", start)
        return len(text) if end < 0 else end
    end = text.find("*/", start + 2)
    return -1 if end < 0 else end + 2
