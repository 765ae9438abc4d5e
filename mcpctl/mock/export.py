"""MockServer documents as files: YAML or JSON text (the same shape), written atomically, and
converted from one format to the other after validation.

JSON is YAML, so a ``.json`` MockServer loads through the spec loader like any spec (errors at
``file:line:col``). The one place they differ is tabs: JSON may indent with them, YAML may not
where a line starts a block. JSON strings cannot hold a raw tab, so every tab in valid JSON is
whitespace and becomes a space (lines and columns unchanged) before loading.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import yaml

from mcpctl.errors import InvalidSpecs, SpecError, UsageError
from mcpctl.mcp.jsonrpc import JSONValue
from mcpctl.spec.build import load_specs
from mcpctl.store import files

Format = Literal["yaml", "json"]


class _Dumper(yaml.SafeDumper):
    """Block style, no anchors (the spec loader refuses them), multi-line text as ``|`` blocks."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(document: Mapping[str, JSONValue], *, header: str = "") -> str:
    """``document`` as YAML (keys in their order), after the ``header`` comment lines."""
    body = yaml.dump(
        dict(document),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )
    return header + body


def dump_json(document: Mapping[str, JSONValue]) -> str:
    """``document`` as indented JSON (JSON has no comments: no header)."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def dump(document: Mapping[str, JSONValue], fmt: Format, *, header: str = "") -> str:
    """``document`` in ``fmt``."""
    return dump_yaml(document, header=header) if fmt == "yaml" else dump_json(document)


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader sees the old file or the new one)."""
    try:
        files.write_atomic(Path(path), text.encode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror}") from None


def check_text(text: str, *, path: str) -> None:
    """Validate ``text`` as the spec file ``path`` (it must hold a MockServer document); errors name
    ``path`` with the lines and columns of ``text``."""
    suffix = ".json" if _is_json(path, text) else ".yaml"
    fd, temp = tempfile.mkstemp(prefix="mcpctl-check-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            mocks = load_specs([temp], check_locks=False).mocks
        except InvalidSpecs as exc:
            raise InvalidSpecs([_relocated(error, temp, path) for error in exc.errors]) from None
    finally:
        Path(temp).unlink(missing_ok=True)
    if not mocks:
        raise UsageError(f"{path}: no MockServer document")


def _relocated(error: SpecError, temp: str, path: str) -> SpecError:
    return SpecError(
        error.problem.replace(temp, path),
        path=path if error.path == temp else error.path,
        line=error.line,
        column=error.column,
        json_path=error.json_path,
        subject=error.subject,
    )


def read_text(path: str) -> str:
    """The text of spec file ``path``; a JSON file's tabs become spaces (see the module docstring)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8; save the file as UTF-8") from None
    return text.replace("\t", " ") if _is_json(path, text) else text


def _is_json(path: str, text: str) -> bool:
    return path.endswith(".json") or text.lstrip().startswith("{")


class _RawLoader(yaml.SafeLoader):
    """Plain data as written: no ``${env:...}`` substitution (a secret must not be baked into an
    export), timestamps kept as strings like the spec loader does."""


def _timestamp_as_text(loader: _RawLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_RawLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def mock_documents(text: str, *, path: str, name: str | None) -> dict[str, JSONValue]:
    """The MockServer document of ``text`` (validated already), chosen by ``name`` if several."""
    found = [
        doc
        for doc in yaml.load_all(text, Loader=_RawLoader)  # a SafeLoader subclass
        if isinstance(doc, dict) and doc.get("kind") == "MockServer"
    ]
    if name is not None:
        found = [
            doc
            for doc in found
            if isinstance(doc.get("metadata"), dict) and doc["metadata"].get("name") == name
        ]
    if len(found) == 1:
        return found[0]
    if not found:
        raise UsageError(f"{path}: no MockServer document" + (f" named {name!r}" if name else ""))
    names = ", ".join(str(doc.get("metadata", {}).get("name")) for doc in found)
    raise UsageError(f"{path}: several MockServer documents ({names}): choose one with --name")


def convert(path: str, fmt: Format, *, name: str | None = None, verb: str = "export") -> str:
    """The MockServer document of ``path`` (YAML or JSON), validated, as ``fmt`` text."""
    text = read_text(path)
    check_text(text, path=path)
    document = mock_documents(text, path=path, name=name)
    header = f"# Converted from {os.path.basename(path)} by mcpctl mock {verb}\n" if fmt == "yaml" else ""
    return dump(document, fmt, header=header)
