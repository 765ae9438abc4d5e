"""Normalizers: what makes two answers that differ only in time stamps, ids or temporary paths equal.

Pure functions over JSON values, applied in the order written (the suite's ``defaults.normalize``,
then the test's) to an answer before its snapshot is saved and to both sides before they are compared.
Each is idempotent, so a stored snapshot normalizes to itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from mcpctl.spec.model import IgnoreKeys, Normalizer, Preset, ReplaceText, SortLists

_ISO_TIMESTAMP = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?(?![\d:])"
)
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_TMP_PATH = re.compile(r"(?<![\w.~-])(?:(?:/private)?/var/folders/|/tmp/)[^\s\"'<>,;)]*|(?<![\w.~-])/tmp\b")
_TIME_KEY = re.compile(r"(?i)(time|stamp|date|expires?|_at$|(?<=[a-z])At$|^at$|ts$)")
_EPOCH_RANGES = ((1e9, 1e10), (1e12, 1e13), (1e15, 1e16), (1e18, 1e19))
"""Unix time in s, ms, µs or ns between 2001 and 2286."""

TIMESTAMP, UUID, TMP_PATH = "<timestamp>", "<uuid>", "<tmp-path>"

_Change = Callable[[object], object]
_TextChange = Callable[[str], str]


def normalize(value: object, normalizers: Sequence[Normalizer]) -> object:
    """``value`` with every normalizer applied in order (a new value; ``value`` is not changed)."""
    for normalizer in normalizers:
        value = _apply(value, normalizer)
    return value


def _apply(value: object, normalizer: Normalizer) -> object:
    if isinstance(normalizer, ReplaceText):
        return _strings(value, lambda text: normalizer.pattern.sub(normalizer.replacement, text))
    if isinstance(normalizer, IgnoreKeys):
        names = {key for key in normalizer.keys if not key.startswith("/")}
        value = _drop_names(value, names) if names else value
        for pointer in (key for key in normalizer.keys if key.startswith("/")):
            value = _at_pointer(value, _tokens(pointer), lambda _: _DROP)
        return value
    if isinstance(normalizer, SortLists):
        if not normalizer.pointers:
            return _sort_all(value)
        for pointer in normalizer.pointers:
            value = _at_pointer(value, _tokens(pointer), _sorted_list)
        return value
    return _preset(value, normalizer)


def _preset(value: object, preset: Preset) -> object:
    if preset.name == "uuids":
        return _strings(value, lambda text: _UUID.sub(UUID, text))
    if preset.name == "tmp-paths":
        return _strings(value, lambda text: _TMP_PATH.sub(TMP_PATH, text))
    return _timestamps(_strings(value, lambda text: _ISO_TIMESTAMP.sub(TIMESTAMP, text)))


def _strings(value: object, change: _TextChange) -> object:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {key: _strings(item, change) for key, item in value.items()}
    return value


def _timestamps(value: object) -> object:
    """Epoch-like numbers under keys named like a time (``createdAt``, ``timestamp``, ``expires``)."""
    if isinstance(value, list):
        return [_timestamps(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: TIMESTAMP if _TIME_KEY.search(key) and _epoch_like(item) else _timestamps(item)
        for key, item in value.items()
    }


def _epoch_like(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return any(low <= value < high for low, high in _EPOCH_RANGES)


def _drop_names(value: object, names: set[str]) -> object:
    if isinstance(value, list):
        return [_drop_names(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _drop_names(item, names) for key, item in value.items() if key not in names}
    return value


def _sort_all(value: object) -> object:
    if isinstance(value, dict):
        return {key: _sort_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return _sorted_list([_sort_all(item) for item in value])
    return value


def _sorted_list(value: object) -> object:
    if not isinstance(value, list):
        return value
    return sorted(value, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))


_DROP = object()


def _tokens(pointer: str) -> list[str]:
    return [raw.replace("~1", "/").replace("~0", "~") for raw in pointer[1:].split("/")] if pointer else []


def _at_pointer(value: object, tokens: list[str], change: _Change) -> object:
    """``value`` with the value at ``tokens`` changed (``_DROP`` removes it); unchanged if absent."""
    if not tokens:
        return change(value)
    head, rest = tokens[0], tokens[1:]
    if isinstance(value, dict) and head in value:
        changed = _at_pointer(value[head], rest, change)
        copy = dict(value)
        if changed is _DROP:
            del copy[head]
        else:
            copy[head] = changed
        return copy
    if isinstance(value, list) and head.isdigit() and int(head) < len(value):
        index = int(head)
        changed = _at_pointer(value[index], rest, change)
        items = list(value)
        if changed is _DROP:
            del items[index]
        else:
            items[index] = changed
        return items
    return value
