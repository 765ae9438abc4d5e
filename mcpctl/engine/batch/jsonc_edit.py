"""Surgical edits of one entry in a JSON / JSONC config file: every other character stays as it was.

:func:`edit` takes the file's text, the key path of the object holding entries by name (``mcpServers``,
``servers``, or any dotted path of a custom file) and one :class:`Operation`, and returns the new text.
Only the span of the entry (or of the field) changes: comments, trailing commas, indentation, CRLF line
endings, a byte order mark, key order and unrelated keys are kept. New text follows the file's style:
its newline, its indent unit (tabs, 3 spaces...), one-line (minified) objects stay on one line, and a
trailing comma after the last entry of a JSONC object stays there. Missing containers are created; an
empty text becomes ``{"mcpServers": {...}}`` indented by 2 spaces.

Round trips: removing an entry that :class:`AddEntry` appended gives back the original text, except
that an object left with no entries is written ``{}`` (so ``{\\n  }`` does not come back as written).
Removing an entry and adding it again gives back the original text when the entry was laid out as
this module writes entries; one written otherwise (say a one-line ``"args": [...]``) comes back with
the same value in the file's indent style. Removing an entry takes the comments on its lines with it
(``// note`` after it); comment lines above it stay. When a name occurs twice in one object, the last
one counts (as in JSON parsers) and is the one edited.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mcpctl.engine.batch.jsonc_tree import BOM, JSON, Value, comment_end, parse_tree, string_end
from mcpctl.errors import UsageError


@dataclass(frozen=True, slots=True, kw_only=True)
class AddEntry:
    """Add entry ``name``; an identical one is left alone, a different one is refused unless ``force``."""

    name: str
    value: JSON
    force: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplaceEntry:
    """Replace the value of the existing entry ``name``."""

    name: str
    value: JSON


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoveEntry:
    """Remove entry ``name``; a missing one is an error unless ``missing_ok``."""

    name: str
    missing_ok: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class UpdateEntry:
    """Set fields of the existing entry ``name`` (``command``, ``args``, ``env``, ``url``...) and drop ``unset``."""

    name: str
    set: Mapping[str, JSON] = field(default_factory=dict)
    unset: tuple[str, ...] = ()


Operation = AddEntry | ReplaceEntry | RemoveEntry | UpdateEntry


class ConfigEditError(UsageError):
    """A config file cannot take the edit; ``path`` is the file, ``where`` the dotted key of the entry."""

    def __init__(self, message: str, *, path: str, where: str) -> None:
        self.path = path
        self.where = where
        super().__init__(f"{path}: {where}: {message}")


class EntryConflict(ConfigEditError):
    """The entry exists with a different value and the operation was not told to overwrite it."""


class EntryMissing(ConfigEditError):
    """The entry to replace, update or remove does not exist."""


class ConfigShapeError(ConfigEditError):
    """Something on the key path is not a JSON object."""


def edit(text: str, key_path: Sequence[str], op: Operation, *, jsonc: bool, path: str) -> str:
    """``text`` with ``op`` applied to the object at ``key_path``; unchanged when there is nothing to do.

    ``path`` names the file in errors. Raises :class:`~mcpctl.engine.batch.jsonc_tree.ConfigSyntaxError`
    for text that does not parse, and a :class:`ConfigEditError` when the edit cannot be made.
    """
    keys = [*key_path, op.name]
    if not text.strip(_BLANK):
        if not isinstance(op, AddEntry):
            return _missing(op, path, keys, text)
        newline = "\r\n" if "\r\n" in text else "\n"
        body = json.dumps(_nest(keys, op.value), indent=2, ensure_ascii=False).replace("\n", newline)
        return (BOM if text.startswith(BOM) else "") + body + newline
    root = parse_tree(text, jsonc=jsonc, path=path)
    container, depth = _walk(root, key_path, path)
    if depth < len(key_path):
        if not isinstance(op, AddEntry):
            return _missing(op, path, keys, text)
        return _Style.of(text, root).insert(container, key_path[depth], _nest(keys[depth + 1 :], op.value))
    index = next((i for i, m in reversed(list(enumerate(container.members))) if m.key == op.name), None)
    if index is None:
        if not isinstance(op, AddEntry):
            return _missing(op, path, keys, text)
        return _Style.of(text, root).insert(container, op.name, op.value)
    if isinstance(op, RemoveEntry):
        return _Style.of(text, root).remove(container, index)
    existing = container.members[index].value
    if isinstance(op, UpdateEntry):
        return _update(text, keys, existing, op, jsonc=jsonc, path=path)
    if same(existing.data, op.value):
        return text
    if isinstance(op, AddEntry) and not op.force:
        raise EntryConflict(
            "already exists with a different value (force replaces it)", path=path, where=_dotted(keys)
        )
    return _Style.of(text, root).replace(container, index, op.value)


def read_entries(text: str | None, key_path: Sequence[str], *, jsonc: bool, path: str) -> dict[str, JSON]:
    """The entries of the object at ``key_path``: empty when the text or the object is missing."""
    if text is None or not text.strip(_BLANK):
        return {}
    container, depth = _walk(parse_tree(text, jsonc=jsonc, path=path), key_path, path)
    return dict(container.data) if depth == len(key_path) and isinstance(container.data, dict) else {}


def same(a: JSON, b: JSON) -> bool:
    """JSON equality that tells ``1`` from ``1.0`` and from ``true`` (Python's ``==`` does not)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


_BLANK = BOM + " \t\r\n"


def _nest(keys: Sequence[str], value: JSON) -> JSON:
    for key in reversed(keys):
        value = {key: value}
    return value


def _dotted(keys: Sequence[str]) -> str:
    return ".".join(keys)


def _walk(root: Value, key_path: Sequence[str], path: str) -> tuple[Value, int]:
    """The deepest object along ``key_path`` that exists, and how many keys of the path it took."""
    if root.kind != "object":
        raise ConfigShapeError(
            f"expected an object, found {_kind_name(root)}", path=path, where="(top level)"
        )
    node = root
    for depth, key in enumerate(key_path):
        member = node.member(key)
        if member is None:
            return node, depth
        if member.value.kind != "object":
            found = _kind_name(member.value)
            raise ConfigShapeError(
                f"expected an object, found {found}", path=path, where=_dotted(key_path[: depth + 1])
            )
        node = member.value
    return node, len(key_path)


def _update(text: str, keys: list[str], entry: Value, op: UpdateEntry, *, jsonc: bool, path: str) -> str:
    if entry.kind != "object":
        raise ConfigShapeError(
            f"expected an object, found {_kind_name(entry)}", path=path, where=_dotted(keys)
        )
    # one field at a time, parsing again in between: config files are small, and every edit then
    # works on exact offsets
    for name, value in op.set.items():
        text = edit(text, keys, AddEntry(name=name, value=value, force=True), jsonc=jsonc, path=path)
    for name in op.unset:
        text = edit(text, keys, RemoveEntry(name=name, missing_ok=True), jsonc=jsonc, path=path)
    return text


def _missing(op: Operation, path: str, keys: Sequence[str], text: str) -> str:
    if isinstance(op, RemoveEntry) and op.missing_ok:
        return text
    raise EntryMissing("no such entry", path=path, where=_dotted(keys))


def _kind_name(value: Value) -> str:
    data = value.data
    if isinstance(data, dict | list):
        return "an object" if isinstance(data, dict) else "an array"
    if isinstance(data, bool) or data is None:
        return json.dumps(data)
    return "a string" if isinstance(data, str) else "a number"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Style:
    """How the file is written: new text copies its newline, indent unit and separators."""

    text: str
    newline: str
    unit: str
    colon: str
    comma: str
    """Between members of a one-line object: ``", "`` or ``","``."""
    one_line: bool

    @classmethod
    def of(cls, text: str, root: Value) -> _Style:
        nodes = list(_nodes(root))
        colon = next(
            (
                _after(text, text.index(":", string_end(text, m.key_start)), ":")
                for n in nodes
                for m in n.members
            ),
            ": ",
        )
        commas = [c for n in nodes for c in _commas(n) if text[c + 1 : c + 2] not in ("\r", "\n")]
        comma = _after(text, commas[0], ",") if commas else "," + colon[1:]
        return cls(
            text=text,
            newline="\r\n" if "\r\n" in text else "\n",
            unit=next((u for n in nodes if (u := _unit(text, n))), "  "),
            colon=colon,
            comma=comma,
            # an empty ``{}`` file grows like a new one, on lines of its own
            one_line="\n" not in text[root.start : root.end] and bool(root.members),
        )

    def inline(self, obj: Value) -> bool:
        if obj.members:
            return "\n" not in self.text[obj.start : obj.members[0].key_start]
        return self.one_line

    def render(self, value: JSON, indent: str, inline: bool) -> str:
        if inline:
            return json.dumps(value, ensure_ascii=False, separators=(self.comma, self.colon))
        rendered = json.dumps(value, ensure_ascii=False, indent=self.unit, separators=(",", self.colon))
        return rendered.replace("\n", self.newline + indent)  # JSON strings never hold a raw newline

    def member(self, key: str, value: JSON, indent: str, inline: bool) -> str:
        return json.dumps(key, ensure_ascii=False) + self.colon + self.render(value, indent, inline)

    def insert(self, obj: Value, key: str, value: JSON) -> str:
        text, inline = self.text, self.inline(obj)
        if obj.members:
            last = obj.members[-1]
            if inline:
                member = self.member(key, value, "", True)
                if last.comma is not None:  # keep the trailing comma after the new last member
                    return _splice(text, last.comma + 1, last.comma + 1, self.comma[1:] + member + ",")
                return _splice(text, last.value.end, last.value.end, self.comma + member)
            indent = _line_indent(text, last.key_start)
            line = self.newline + indent + self.member(key, value, indent, False)
            if last.comma is not None:
                at = _line_end(text, last.comma + 1)
                return _splice(text, at, at, line + ",")
            at = _line_end(text, last.value.end)
            return text[: last.value.end] + "," + text[last.value.end : at] + line + text[at:]
        opening, closing = obj.start + 1, obj.end - 1
        if inline:
            member = self.member(key, value, "", True)
            end = closing if not text[opening:closing].strip() else opening
            return _splice(text, opening, end, member)
        parent = _line_indent(text, obj.start)
        line = self.newline + parent + self.unit + self.member(key, value, parent + self.unit, False)
        at = _line_end(text, opening)
        if "\n" in text[at:closing]:
            return _splice(text, at, at, line)
        return _splice(text, at, closing, line + self.newline + parent)

    def remove(self, obj: Value, index: int) -> str:
        text, members = self.text, obj.members
        member = members[index]
        previous = members[index - 1] if index else None
        after_previous = (
            previous.comma + 1 if previous is not None and previous.comma is not None else obj.start + 1
        )
        if "\n" in text[after_previous : member.key_start]:  # the member has lines of its own
            end = _line_end(text, member.comma + 1 if member.comma is not None else member.value.end)
            line_break = text.rfind("\n", 0, member.key_start)
            start = line_break - 1 if text[line_break - 1] == "\r" else line_break
            more = text[end:].lstrip(" \t")[:1] not in ("", "\r", "\n")
            if more and _line_comment_before(text, after_previous, line_break):
                start = member.key_start  # that line break ends a // comment: keep it
            if member.comma is None and previous is not None and previous.comma is not None:
                text = _splice(text, previous.comma, previous.comma + 1, "")  # before ``start``: offsets hold
                start, end = start - 1, end - 1
        elif previous is not None and previous.comma is not None:
            # from after the comma before it to after its own (or, last, from the end of the one before)
            start, end = (
                (previous.comma + 1, member.comma + 1)
                if member.comma
                else (previous.value.end, member.value.end)
            )
        elif len(members) > 1:
            start, end = member.key_start, members[1].key_start
        else:
            start, end = member.key_start, member.comma + 1 if member.comma is not None else member.value.end
        removed = end - start + (len(self.text) - len(text))
        text = _splice(text, start, end, "")
        closing = obj.end - 1 - removed
        if len(members) == 1 and not text[obj.start + 1 : closing].strip():
            text = _splice(text, obj.start + 1, closing, "")  # an object left empty is written {}
        return text

    def replace(self, obj: Value, index: int, value: JSON) -> str:
        member = obj.members[index]
        rendered = self.render(value, _line_indent(self.text, member.key_start), self.inline(obj))
        return _splice(self.text, member.value.start, member.value.end, rendered)


def _nodes(value: Value) -> Iterator[Value]:
    yield value
    for child in (*(m.value for m in value.members), *value.items):
        yield from _nodes(child)


def _commas(value: Value) -> Iterator[int]:
    return (m.comma for m in value.members if m.comma is not None)


def _after(text: str, offset: int, char: str) -> str:
    return char + " " if text[offset + 1 : offset + 2] == " " else char


def _unit(text: str, value: Value) -> str:
    """The indent unit ``value``'s children add to its line, when they start lines of their own."""
    children = [*(m.key_start for m in value.members), *(v.start for v in value.items)]
    if not children or "\n" not in text[value.start : children[0]]:
        return ""
    outer, inner = _line_indent(text, value.start), _line_indent(text, children[0])
    return inner[len(outer) :] if inner.startswith(outer) else ""


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < offset and text[end] in " \t":
        end += 1
    return text[start:end]


def _line_end(text: str, offset: int) -> int:
    """Past the comments that follow ``offset`` on its line (a remark about the text before it)."""
    end = position = offset
    while True:
        while position < len(text) and text[position] in " \t":
            position += 1
        if text.startswith("//", position):
            return comment_end(text, position)
        if not text.startswith("/*", position):
            return end
        closing = comment_end(text, position)
        if closing < 0 or "\n" in text[position:closing]:
            return end
        end = position = closing


def _line_comment_before(text: str, start: int, line_break: int) -> bool:
    """Whether a ``//`` comment runs up to ``line_break`` (only blanks and comments lie in between)."""
    position = start
    while position < line_break:
        if text.startswith("//", position):
            end = comment_end(text, position)
            if end >= line_break - 1:
                return True
            position = end
        elif text.startswith("/*", position):
            position = comment_end(text, position)
        else:
            position += 1
    return False


def _splice(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]
