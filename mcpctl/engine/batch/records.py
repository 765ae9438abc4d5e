"""The files of an ``execute`` operation: input records (JSONL or CSV) with their keys, and the JSONL
output of answers, each line ``{"key": ..., "result": ...}``.

A record's key is the value of its ``key`` field, or its line number when the plan names no field.
Keys are compared as text (:func:`key_text`): ``42`` and ``"42"`` are one key. The output is the
evidence of which items were answered: an item whose key is in it is not called again, whether the
run was killed, resumed or applied a second time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from mcpctl.errors import UsageError
from mcpctl.mcp.jsonrpc import JSONValue


@dataclass(frozen=True, slots=True, kw_only=True)
class InputRecord:
    """One record of the input: its fields, its key (as written and as text) and where it is."""

    fields: dict[str, JSONValue]
    key: JSONValue
    key_text: str
    line: int


def key_text(value: JSONValue) -> str:
    """The text a key is compared by: a string as is, anything else as compact JSON."""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def read_records(path: str, *, format: str, key: str | None) -> list[InputRecord]:
    """Every record of the input file, keys checked unique. Raises :class:`UsageError` naming the
    file and line of a bad record, a missing key or a repeated one."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the input: {exc.strerror or exc}") from None
    rows = _jsonl_rows(path, data) if format == "jsonl" else _csv_rows(path, data)
    records: list[InputRecord] = []
    seen: dict[str, int] = {}
    for line, fields in rows:
        if key is None:
            value: JSONValue = line
        elif key not in fields or fields[key] in (None, ""):
            raise UsageError(f"{path}:{line}: the record has no {key!r} (the plan's execute.key)")
        else:
            value = fields[key]
        text = key_text(value)
        if text in seen:
            raise UsageError(
                f"{path}:{line}: key {text!r} was already used on line {seen[text]}; keys must be unique"
            )
        seen[text] = line
        records.append(InputRecord(fields=fields, key=value, key_text=text, line=line))
    return records


def _jsonl_rows(path: str, data: bytes) -> Iterator[tuple[int, dict[str, JSONValue]]]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise UsageError(f"{path}:{number}: not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise UsageError(f"{path}:{number}: expected a JSON object per line, got {_kind(value)}")
        yield number, value


def _csv_rows(path: str, data: bytes) -> Iterator[tuple[int, dict[str, JSONValue]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        if not reader.fieldnames:
            return
        start = reader.line_num + 1
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise UsageError(
                    f"{path}:{start}: the row has not the {len(reader.fieldnames)} columns of the header"
                )
            yield start, {str(name): value for name, value in row.items()}
            start = reader.line_num + 1
    except csv.Error as exc:
        raise UsageError(f"{path}:{reader.line_num}: {exc}") from None


def _kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def answered_keys(path: str) -> set[str]:
    """The keys answered in the output at ``path`` (none if it does not exist). A torn last line (a
    write cut by a kill, never acknowledged) is ignored; any other unreadable line is an error."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return set()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the output: {exc.strerror or exc}") from None
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is empty or torn
    keys: set[str] = set()
    for number, raw in enumerate(complete, start=1):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise UsageError(
                f"{path}:{number}: not an answer line (JSON with a key); is this the right output file?"
            ) from None
        if not isinstance(value, dict) or "key" not in value:
            raise UsageError(
                f"{path}:{number}: not an answer line (JSON with a key); is this the right output file?"
            )
        keys.add(key_text(value["key"]))
    return keys


def answer_line(key: JSONValue, result: JSONValue) -> bytes:
    """One output line: ``{"key": ..., "result": ...}`` and a newline."""
    return orjson.dumps({"key": key, "result": result}, option=orjson.OPT_APPEND_NEWLINE)
