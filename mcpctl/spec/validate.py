"""Schema validation of one spec document, with errors a person can act on.

jsonschema's own messages talk about arrays, objects and "is not valid under any of the given schemas";
here every error is turned into plain words at the place it is about: ``unknown field 'expcet' (did you
mean 'expect'?)`` at the key, ``missing required field 'name'`` at the mapping that lacks it, ``expected
a string, got an integer`` at the value. For a union (``oneOf``) the branch the value was evidently meant
for is picked and only its errors are reported. One error per problem, none twice.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from jsonschema.exceptions import ValidationError

from mcpctl.errors import SpecError
from mcpctl.spec.model import Source
from mcpctl.spec.node import Node, Plain, Segment, format_path
from mcpctl.spec.schemas import KINDS, canonical_kind, validator_for
from mcpctl.spec.units import parse_duration, parse_percent

DURATION_PATTERN = (
    r"^(?=\d)(\d+(\.\d+)?h)?(\d+(\.\d+)?m(?!s))?(\d+(\.\d+)?s)?(\d+(\.\d+)?ms)?(\d+(\.\d+)?us)?$"
)
"""The schema pattern of a duration: exactly what :func:`mcpctl.spec.units.parse_duration` accepts."""
PERCENT_PATTERN = r"^\d+(\.\d+)?%$"
"""The schema pattern of a percentage (:func:`mcpctl.spec.units.parse_percent` also caps it at 100%)."""
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
URL_PATTERN = "^https?://"
POINTER_PATTERN = r"^(/([^~/]|~[01])*)*$"
SAVE_POINTER_PATTERN = r"^(/([^~/]|~[01])*)+$"

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


class Problems:
    """The errors found in one document, each placed at ``file:line:col`` by its JSON path."""

    __slots__ = ("errors", "path", "root", "subject")

    def __init__(self, *, path: str, root: Node, subject: str = "") -> None:
        self.path = path
        self.root = root
        self.subject = subject
        self.errors: list[SpecError] = []

    def add(self, at: Sequence[Segment], message: str, *, key: bool = False) -> None:
        """Record ``message`` about the value at ``at`` (about its key with ``key=True``)."""
        line, column = self.root.locate_key(at) if key else self.root.locate(at)
        self.errors.append(
            SpecError(
                message,
                path=self.path,
                line=line,
                column=column,
                json_path=format_path(at),
                subject=self.subject,
            )
        )


@dataclass(frozen=True, slots=True)
class Cursor:
    """A located value being built: where it is (``at``) and where its problems go."""

    node: Node
    at: tuple[Segment, ...]
    problems: Problems

    def get(self, segment: Segment) -> Cursor | None:
        """The child under a key or index, if present."""
        child = self.node.child(segment)
        return None if child is None else Cursor(child, (*self.at, segment), self.problems)

    def items(self) -> list[tuple[str, Cursor]]:
        """The entries of a mapping (empty for anything else)."""
        value = self.node.value
        if not isinstance(value, dict):
            return []
        return [(key, Cursor(child, (*self.at, key), self.problems)) for key, child in value.items()]

    def elements(self) -> list[Cursor]:
        """The items of a sequence (empty for anything else)."""
        value = self.node.value
        if not isinstance(value, list):
            return []
        return [Cursor(child, (*self.at, index), self.problems) for index, child in enumerate(value)]

    def plain(self) -> Plain:
        """The value as plain data."""
        return self.node.plain()

    def required(self, key: str) -> Cursor:
        """The value under ``key``, which the kind's schema requires (so it is there once valid)."""
        found = self.get(key)
        assert found is not None, key
        return found

    def text(self, key: str) -> str | None:
        """The string under ``key`` (``None`` if absent or not a string)."""
        child = self.node.child(key)
        return child.value if child is not None and isinstance(child.value, str) else None

    def integer(self, key: str) -> int | None:
        """The integer under ``key`` (``None`` if absent or not an integer)."""
        child = self.node.child(key)
        value = None if child is None else child.value
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, key: str) -> bool | None:
        """The boolean under ``key`` (``None`` if absent or not a boolean)."""
        child = self.node.child(key)
        return child.value if child is not None and isinstance(child.value, bool) else None

    def source(self) -> Source:
        """Where this value was written."""
        return Source(path=self.problems.path, line=self.node.line, column=self.node.column)

    def error(self, message: str, *, key: bool = False) -> None:
        """Record a problem with this value (or with its key)."""
        self.problems.add(self.at, message, key=key)


def subject_of(root: Node) -> str:
    """``Kind/name`` of a document as far as it is readable (``Kind`` alone, or nothing)."""
    kind_node = root.child("kind")
    kind = kind_node.value if kind_node is not None else None
    if not isinstance(kind, str) or kind not in KINDS:
        return ""
    name_node = root.find(["metadata", "name"])
    name = name_node.value if root.get(["metadata", "name"]) is not None else None
    return f"{kind}/{name}" if isinstance(name, str) else kind


def check_document(problems: Problems) -> str | None:
    """Check the document's envelope, then its kind's schema; the kind if both passed, else ``None``."""
    root = problems.root
    if not isinstance(root.value, dict):
        got = _type_name(root.plain())
        problems.add((), f"a spec document must be a mapping with apiVersion, kind and metadata (got {got})")
        return None
    kind = _kind(root, problems)
    if kind is None:
        return None
    before = len(problems.errors)
    validator = validator_for(kind)
    schema = validator.schema if isinstance(validator.schema, dict) else {}
    found = [f for error in validator.iter_errors(root.plain()) for f in _translate(error, schema)]
    for item in _tidy(found):
        problems.add(item.at, item.message, key=item.key)
    return kind if len(problems.errors) == before else None


def _kind(root: Node, problems: Problems) -> str | None:
    node = root.child("kind")
    if node is None:
        for field in ("apiVersion", "kind"):
            if root.child(field) is None:
                problems.add((), f"missing required field {field!r}")
        return None
    if isinstance(node.value, str) and node.value in KINDS:
        return node.value
    if not isinstance(node.value, str):
        got = _type_name(node.value)
        problems.add(("kind",), f"expected a kind name, got {got} (known: {', '.join(KINDS)})")
        return None
    near = canonical_kind(node.value)
    hint = f"did you mean {near!r}?" if near else f"known: {', '.join(KINDS)}"
    problems.add(("kind",), f"unknown kind {_show(node.value)} ({hint})")
    return None


# -- jsonschema errors in plain words ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Found:
    at: tuple[Segment, ...]
    message: str
    key: bool = False
    shape: bool = False
    """A wrong type: other complaints about the same value are noise."""
    needs: tuple[str, ...] = ()
    """Fields a mapping lacks (missing fields: structural, like unknown ones)."""
    hint: str = ""
    """An unknown field's likely intended name: the field it stands for is not missing too."""

    def structural(self, at: tuple[Segment, ...]) -> bool:
        """Whether this is about the keys of the mapping at ``at`` (not deeper)."""
        return (self.key and self.at[:-1] == at) or (bool(self.needs) and self.at == at)


def _tidy(items: list[_Found]) -> list[_Found]:
    shaped = {item.at for item in items if item.shape}
    meant = {(item.at[:-1], item.hint) for item in items if item.hint}
    seen: set[tuple[tuple[Segment, ...], str]] = set()
    result = []
    for item in items:
        typo = any((item.at, name) in meant for name in item.needs)
        if (item.at in shaped and not item.shape) or typo or (item.at, item.message) in seen:
            continue
        seen.add((item.at, item.message))
        result.append(item)
    return result


def _translate(error: ValidationError, root: dict[str, object]) -> list[_Found]:
    at = tuple(error.absolute_path)
    validator, value, instance = str(error.validator), error.validator_value, error.instance
    schema: dict[str, object] = error.schema if isinstance(error.schema, dict) else {}
    fields = [str(key) for key in instance] if isinstance(instance, dict) else []
    if validator == "additionalProperties":
        known = [str(key) for key in _listed(schema.get("properties"))]
        return [_unknown((*at, key), key, known) for key in fields if key not in known]
    if validator == "required":
        absent = [str(name) for name in _listed(value) if name not in fields]
        missing = next((name for name in absent if repr(name) in error.message), absent[0])
        return [_Found(at, f"missing required field {missing!r}", needs=(missing,))]
    if validator == "type":
        return [_Found(at, _type_message(value, instance, schema), shape=True)]
    if validator in ("oneOf", "anyOf"):
        return _union(error, at, root)
    return [_Found(at, _plain_message(validator, value, instance, error.message))]


def _unknown(at: tuple[Segment, ...], key: str, known: list[str]) -> _Found:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return _Found(at, f"unknown field {key!r}{hint}", key=True, hint=close[0] if close else "")


def _type_message(expected: object, instance: object, schema: dict[str, object]) -> str:
    number = isinstance(instance, int | float) and not isinstance(instance, bool)
    if schema.get("pattern") == DURATION_PATTERN and number:
        return _duration_problem(str(instance))
    if schema.get("pattern") == PERCENT_PATTERN and number:
        return _percent_problem(str(instance))
    names = [expected] if isinstance(expected, str) else _listed(expected)
    return f"expected {_either([_TYPE_NAMES.get(str(n), str(n)) for n in names])}, got {_type_name(instance)}"


def _plain_message(validator: str, value: object, instance: object, fallback: str) -> str:
    if validator == "enum":
        return f"expected one of: {', '.join(_word(v) for v in _listed(value))} (got {_show(instance)})"
    if validator == "const":
        return f"expected {_show(value)} (got {_show(instance)})"
    if validator in ("minimum", "maximum"):
        bound = "at least" if validator == "minimum" else "at most"
        return f"must be {bound} {value} (got {instance})"
    if validator in ("minItems", "minLength") and value == 1:
        return "must not be empty"
    if validator == "minItems":
        return f"must have at least {value} items"
    if validator == "pattern" and isinstance(instance, str):
        return _pattern_message(str(value), instance)
    return fallback


def _pattern_message(pattern: str, text: str) -> str:
    shown = _show(text)
    if pattern == DURATION_PATTERN:
        return _duration_problem(text)
    if pattern == PERCENT_PATTERN:
        return _percent_problem(text)
    if pattern == NAME_PATTERN:
        return (
            f"{shown} is not a valid name: use letters, digits, '_', '.' and '-', "
            "starting with a letter or digit, at most 63 characters"
        )
    if pattern == URL_PATTERN:
        return f"expected an http:// or https:// URL (got {shown})"
    if pattern == POINTER_PATTERN:
        return f"{shown} is not a JSON pointer: use '' for the whole value or '/key/0' (RFC 6901)"
    if pattern == SAVE_POINTER_PATTERN:
        return f"{shown} is not a JSON pointer: it must start with '/' (e.g. /structuredContent/id)"
    return f"{shown} does not match the pattern {pattern}"


def _duration_problem(text: str) -> str:
    try:
        parse_duration(text)
    except ValueError as exc:
        return str(exc)
    return f"{text!r} is not a duration"  # the pattern and the parser disagree: a bug, said plainly


def _percent_problem(text: str) -> str:
    try:
        parse_percent(text)
    except ValueError as exc:
        return str(exc)
    return f"{text!r} is not a percentage"


def _union(error: ValidationError, at: tuple[Segment, ...], root: dict[str, object]) -> list[_Found]:
    branches = _listed(error.validator_value)
    if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        names = tuple(str(name) for b in branches for name in _listed(_get(b, "required")))
        return [_Found(at, f"needs at least one of: {', '.join(names)}", needs=names)]
    grouped: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        grouped.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    fitting = {
        index: errors
        for index, errors in grouped.items()
        if not any(not e.relative_path and e.validator in ("type", "const") for e in errors)
    }
    if not grouped:
        return [_Found(at, error.message)]
    if not fitting:
        expected = _either([_describe(_resolve(b, root)) for b in branches])
        return [_Found(at, f"expected {expected}, got {_type_name(error.instance)}", shape=True)]
    tag = _discriminator(fitting, error.instance)
    if tag is not None:
        return [_Found((*at, tag[0]), tag[1])]

    found = {index: [f for sub in errors for f in _translate(sub, root)] for index, errors in fitting.items()}

    def rank(index: int) -> tuple[int, int, int, int]:
        tagged = sum(1 for e in fitting[index] if e.validator == "const" and len(e.relative_path) == 1)
        structural = sum(1 for f in found[index] if f.structural(at))
        return (tagged, structural, len(found[index]), index)

    return found[min(found, key=rank)]


def _discriminator(fitting: dict[int, list[ValidationError]], instance: object) -> tuple[str, str] | None:
    """A field whose constant tells the branches apart and matches none of them (``auth.type``)."""
    if len(fitting) < 2 or not isinstance(instance, dict):
        return None
    consts: dict[str, list[object]] = {}
    for errors in fitting.values():
        for e in errors:
            if e.validator == "const" and len(e.relative_path) == 1:
                consts.setdefault(str(e.relative_path[0]), []).append(e.validator_value)
    for key, values in consts.items():
        if len(values) == len(fitting):
            got = _show(instance.get(key))
            return key, f"expected one of: {', '.join(_word(v) for v in values)} (got {got})"
    return None


def _resolve(schema: object, root: dict[str, object]) -> dict[str, object]:
    if isinstance(schema, dict) and isinstance(ref := schema.get("$ref"), str):
        target: object = root
        for part in ref.removeprefix("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        return _resolve(target, root)
    return schema if isinstance(schema, dict) else {}


def _describe(schema: dict[str, object]) -> str:
    if "const" in schema:
        return _word(schema["const"])
    kind = schema.get("type", "object")
    names = [kind] if isinstance(kind, str) else _listed(kind)
    return _either([_TYPE_NAMES.get(str(n), str(n)) for n in names])


def _listed(value: object) -> list[object]:
    """The items of a list, or the keys of a mapping; nothing for anything else."""
    return list(value) if isinstance(value, list | dict) else []


def _get(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None


def _either(words: list[str]) -> str:
    unique = list(dict.fromkeys(words))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} or {unique[-1]}"


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "a mapping"


def _word(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _show(value: object) -> str:
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, bool | int | float) or value is None:
        return json.dumps(value)
    return _type_name(value)
