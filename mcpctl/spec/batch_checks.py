"""What the BatchPlan schema cannot say: checks on meaning, made before anything runs.

Servers and suites must be defined by the documents loaded with the plan, and listed once; an
``execute`` needs an input that exists in a format it can read and an output of its own; its
``with`` templates must compile and read only ``record``, ``key`` and ``vars``.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from typing import Literal

from mcpctl.spec.semantics import Scope, check_templates, check_unique, stray_reference, template_strings
from mcpctl.spec.validate import Cursor

EXTENSIONS: dict[str, Literal["jsonl", "csv"]] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
"""An execute input's format by its file extension (lower case)."""
RECORD_NAMES = ("record", "key")
"""What an ``execute.with`` template reads besides ``vars``: the input record and its key."""


def check_names(field: Cursor, *, noun: str, known: Collection[str], none: str) -> list[str]:
    """The names listed at ``field``, each unknown one and each repeat reported where it is written.

    ``none`` says what to do when nothing of the kind is defined at all."""
    items = [(str(item.plain()), item) for item in field.elements()]
    check_unique(items, noun)
    for name, item in items:
        check_known(item, name, noun=noun, known=known, none=none)
    return [name for name, _ in items]


def check_known(field: Cursor, name: str, *, noun: str, known: Collection[str], none: str) -> None:
    """Report ``name`` at ``field`` unless it is among ``known``."""
    if name not in known:
        listed = ", ".join(sorted(known))
        field.error(f"unknown {noun} {name!r} ({f'known: {listed}' if listed else none})")


def records_format(field: Cursor, path: str, written: Cursor | None, *, what: str) -> Literal["jsonl", "csv"]:
    """The format of the records file ``path`` (named at ``field``; ``what`` it is to the spec: ``input``,
    ``data``): ``format:`` if ``written``, else its extension; a file that is missing or of no known
    format is reported."""
    shown = str(field.plain())
    if not os.path.exists(path):
        field.error(f"{what} file {shown!r} does not exist ({path})")
    elif not os.path.isfile(path):
        field.error(f"{what} {shown!r} is not a file ({path})")
        return "jsonl"  # a directory's name says nothing of a format
    if written is not None:
        return "csv" if written.plain() == "csv" else "jsonl"
    found = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if found is None:
        field.error(
            f"cannot tell the format of {shown!r} from its extension: "
            "name it .jsonl, .ndjson or .csv, or set format: jsonl or csv"
        )
    return found or "jsonl"


def check_output(field: Cursor, output: str, input_path: str) -> None:
    """An execute's output must not be its input (answers are appended to it)."""
    if os.path.normcase(output) == os.path.normcase(input_path):
        field.error(f"output is the input file ({output}): answers need a file of their own")


def check_record_templates(cursor: Cursor | None, variables: Collection[str]) -> None:
    """Check the templates of an ``execute.with``: they compile, and read only ``record``, ``key``
    and the plan's ``vars`` (and call the template functions)."""
    readable = (*RECORD_NAMES, "vars") if variables else RECORD_NAMES
    scope = Scope(vars=variables, steps={})
    for field in template_strings(cursor):
        stray = stray_reference(str(field.plain()), readable)
        if stray is None:
            check_templates(field, scope)
        else:
            what = "record, key and vars" if variables else "record and key; the plan has no vars"
            field.error(f"{stray} is not defined (execute templates read {what})")
